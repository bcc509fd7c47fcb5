"""What makes a complaint urgent, read as the procedure means it (seed 001 §(二)4; issue 18):
hotline numbers only where they stand alone, "强烈要求立即答复" and its variants, and a cluster of
several customers — not one customer three times.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from complaints import rules
from complaints.models import Phrase, Priority

THREATS = rules.DEFAULT_URGENT_THREATS


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("运单号SF1234512305，三天没动", [], id="seed001-12305-inside-a-waybill"),
        pytest.param("联系电话13812345678", [], id="seed001-12345-inside-a-phone-number"),
        pytest.param("货值1100元，要求赔偿", [], id="seed001-110-inside-an-amount"),
        pytest.param("运费110元太贵了", [], id="seed001-110-as-an-amount-of-yuan"),
        pytest.param("赔偿¥110就行", [], id="seed001-110-after-a-currency-sign"),
        pytest.param("申报价值12315.00", [], id="seed001-12315-with-decimals"),
        pytest.param("单号 YT12345 查不到", [], id="seed001-12345-glued-to-latin-letters"),
        pytest.param("再不处理我就打12305", ["12305"], id="seed001-12305-standing-alone"),
        pytest.param("我要打１２３４５投诉", ["12345"], id="seed001-full-width-digits-count"),
        pytest.param("打110报警", ["报警", "110"], id="seed001-110-and-报警"),
        pytest.param("找12345热线", ["12345"], id="seed001-number-before-chinese-text"),
        pytest.param("我要找记者曝光", ["记者", "曝光"], id="seed001-chinese-words-as-they-stand"),
    ],
)
def test_it_matches_hotlines_only_where_they_stand_alone(text, found):
    assert rules.mentions(text, THREATS) == found


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        pytest.param("强烈要求立即答复！", True, id="seed001-强烈要求立即答复"),
        pytest.param("要求马上处理", True, id="seed001-要求马上处理"),
        pytest.param("要求你们立刻给个说法", True, id="seed001-要求…立刻给说法"),
        pytest.param("我要求今天答复", True, id="seed001-要求今天答复"),
        pytest.param("希望尽快处理，谢谢", False, id="seed001-a-polite-wish-is-not-urgent"),
        pytest.param("要求赔偿运费", False, id="seed001-a-demand-without-immediacy"),
    ],
)
def test_a_demand_for_an_immediate_answer_is_urgent(text, urgent):
    reasons = rules.urgent_reasons(
        text=text,
        threat_words=THREATS,
        contents_words=(),
        key_account=False,
        urgent_contents=False,
        chase_count=0,
        chase_limit=2,
        cluster_count=1,
        cluster_size=3,
        demand_words=rules.DEFAULT_URGENT_DEMANDS,
    )
    assert any("立即答复" in r for r in reasons) is urgent


@pytest.mark.parametrize(
    ("phones", "own", "customers"),
    [
        pytest.param(["13900000001", "13900000001"], "13900000001", 1, id="seed001-one-customer"),
        pytest.param(["13900000001"], "13900000002", 2, id="seed001-two-customers"),
        pytest.param(["13900000001", "13900000002"], "13900000001", 2, id="seed001-repeat-and-one"),
        pytest.param(["13900000001", "13900000002"], "13900000003", 3, id="seed001-three"),
    ],
)
def test_a_cluster_counts_customers_not_complaints(phones, own, customers):
    assert rules.distinct_customers(phones, own) == customers


# --- Applied to complaints (real PostgreSQL) -------------------------------------------------


@pytest.fixture
def api():
    cache.clear()  # the submission throttle counts live in the cache
    yield APIClient()
    cache.clear()


def test_one_customer_three_times_is_a_repeat_not_a_cluster(make_complaint, now):
    made = [
        make_complaint(
            tracking_no=f"SF9000000{i}",
            phone="13911110001",
            unit_code="A",
            at=now + timedelta(minutes=i),
        )
        for i in range(3)
    ]
    for complaint in made:
        complaint.refresh_from_db()
    assert [c.priority for c in made] == [Priority.NORMAL] * 3
    assert made[2].is_repeat


def test_three_customers_make_a_cluster_whatever_the_repeats(make_complaint, now):
    phones = ["13911110001", "13911110001", "13911110002", "13911110003"]
    made = []
    for i, phone in enumerate(phones):
        made.append(
            make_complaint(
                tracking_no=f"SF9000001{i}",
                phone=phone,
                unit_code="A",
                at=now + timedelta(minutes=i),
            )
        )
        if i == 2:  # three complaints, two customers: no cluster yet
            assert made[2].priority == Priority.NORMAL
    assert made[3].priority == Priority.URGENT
    assert any("3名客户" in r for r in made[3].urgent_reasons)
    for complaint in made[:3]:  # the cluster's other members follow (seed 001 §(二)4(7))
        complaint.refresh_from_db()
        assert complaint.priority == Priority.URGENT


@pytest.mark.parametrize(
    ("description", "priority"),
    [
        pytest.param("运单SF1234512305未更新，电话13812345678", "normal", id="seed001-api-digits"),
        pytest.param("货值1100元，快件丢失", "normal", id="seed001-api-amount"),
        pytest.param("再不处理我就打12305投诉", "urgent", id="seed001-api-hotline"),
        pytest.param("我强烈要求立即答复", "urgent", id="seed001-api-immediate-answer"),
        pytest.param("要求你们马上处理", "urgent", id="seed001-api-要求马上处理"),
    ],
)
def test_the_api_makes_urgent_only_what_the_procedure_calls_urgent(api, org, description, priority):
    body = {
        "tracking_no": "SF0000000001",
        "complainant_name": "测试客户",
        "phone": "13800000000",
        "party": "recipient",
        "category": "delay",
        "description": description,
    }
    response = api.post("/api/v1/complaints/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["priority"] == priority


def test_the_demand_list_is_edited_in_the_admin(make_complaint):
    Phrase.objects.create(kind=Phrase.Kind.URGENT_DEMAND, text="今晚必须给答复")
    assert make_complaint(description="今晚必须给答复").priority == Priority.URGENT
    Phrase.objects.filter(text="今晚必须给答复").update(is_active=False)
    assert make_complaint(tracking_no="SF2", description="今晚必须给答复").priority == "normal"


def test_the_default_lists_are_in_the_admin(db):
    kinds = set(Phrase.objects.values_list("kind", flat=True))
    assert {Phrase.Kind.EVASIVE_REPLY, Phrase.Kind.URGENT_DEMAND} <= kinds
