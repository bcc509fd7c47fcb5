"""Repeat linking (重复投诉) and urgent detection (重大、紧急), seed 001 §(二)3–4."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from complaints import rules, services
from complaints.models import Complaint, Priority
from tests.complaints.helpers import bring_to


def test_it_links_a_complaint_about_the_same_waybill(make_complaint, now):
    first = make_complaint()
    second = make_complaint(phone="13911112222", at=now + timedelta(hours=1))
    assert second.repeat_of == first
    assert second.repeat_count == 1
    third = make_complaint(phone="13933334444", at=now + timedelta(hours=2))
    assert third.repeat_of == second
    assert third.repeat_count == 2
    assert list(Complaint.objects.same_waybill("SF1234567890")) == [third, second, first]


def test_it_links_the_same_phone_and_category(make_complaint, now):
    first = make_complaint()
    second = make_complaint(tracking_no="YT000111", at=now + timedelta(hours=1))
    other_category = make_complaint(
        tracking_no="YT000222", category="fee", at=now + timedelta(hours=2)
    )
    assert second.repeat_of == first
    assert other_category.repeat_of is None


def test_it_links_to_a_complaint_answered_within_30_days_only(make_complaint, alice, bob, org, now):
    first = bring_to(
        "closed", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    within = make_complaint(phone="13911112222", at=now + timedelta(days=29))
    assert within.repeat_of == first
    later = make_complaint(
        tracking_no="NEW1", phone="13800000000", category="delay", at=now + timedelta(days=90)
    )
    assert later.repeat_of is None


def test_it_does_not_link_to_a_rejected_complaint(make_complaint, alice, now):
    first = make_complaint()
    services.complaint_reject(complaint=first, by=alice, reason="误录", now=now)
    assert make_complaint(at=now + timedelta(minutes=5)).repeat_of is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        pytest.param(
            {"description": "再不处理我就打12305投诉你们"},
            "12305",
            id="seed001-4(1)-threatens-12305",
        ),
        pytest.param({"description": "我要找媒体曝光"}, "媒体", id="seed001-4(1)-threatens-media"),
        pytest.param({"description": "我会去法院起诉"}, "起诉", id="seed001-4(1)-threatens-court"),
        pytest.param({"description": "我已经报警了"}, "报警", id="seed001-4(1)-police"),
        pytest.param({"key_account": True}, "大客户", id="seed001-4(3)(4)-key-account"),
        pytest.param(
            {"description": "里面是我的护照，下周要出国"}, "护照", id="seed001-4(6)-id-documents"
        ),
        pytest.param({"urgent_contents": True}, "贵重", id="seed001-4(6)-valuables-flag"),
        pytest.param({"channel": "regulator"}, "外部投诉", id="external-complaint"),
    ],
)
def test_it_detects_urgent_complaints_at_intake(overrides, reason, make_complaint):
    complaint = make_complaint(**overrides)
    assert complaint.priority == Priority.URGENT
    assert any(reason in r for r in complaint.urgent_reasons), complaint.urgent_reasons
    # Urgent complaints run on the 2 h / 12 h targets (SPEC §4).
    assert complaint.first_response_due == complaint.accepted_at + timedelta(hours=2)
    assert complaint.resolution_due == complaint.accepted_at + timedelta(hours=12)
    assert complaint.transitions.get().details["urgent_reasons"] == complaint.urgent_reasons


def test_it_leaves_a_general_complaint_normal(make_complaint):
    complaint = make_complaint()
    assert complaint.priority == Priority.NORMAL
    assert complaint.urgent_reasons == []
    assert complaint.first_response_due == complaint.accepted_at + timedelta(hours=24)


def test_it_makes_a_complaint_urgent_on_the_second_chase(make_complaint, alice, now):
    complaint = make_complaint()
    complaint = services.complaint_chase(
        complaint=complaint, by=alice, note="客户来电催促", now=now
    )
    assert complaint.priority == Priority.NORMAL
    complaint = services.complaint_chase(complaint=complaint, by=alice, note="再次催促", now=now)
    assert complaint.priority == Priority.URGENT
    assert "客户第2次催促" in complaint.urgent_reasons
    assert list(complaint.transitions.values_list("transition", flat=True)) == [
        "create",
        "chase",
        "chase",
        "set_priority",
    ]


def test_it_makes_a_cluster_of_complaints_urgent(make_complaint, alice, org, now):
    """seed 001 §(二)4(7): several customers, same problem, short time → all urgent."""
    made = [
        make_complaint(
            tracking_no=f"CL{i}",
            phone=f"1391111000{i}",
            unit_code="A",
            at=now + timedelta(minutes=i),
        )
        for i in range(3)
    ]
    for complaint in made:
        complaint.refresh_from_db()
    assert all(c.priority == Priority.URGENT for c in made)
    assert any("3名客户" in r for r in made[2].urgent_reasons)
    # The earlier ones were raised by the system, with the reason in their audit trail.
    raised = made[0].transitions.get(transition="set_priority")
    assert raised.actor_kind == "system"
    assert raised.details["cluster_with"] == made[2].ticket_no


def test_it_does_not_count_other_units_or_old_complaints_in_a_cluster(make_complaint, now):
    make_complaint(
        tracking_no="X1", phone="13911110001", unit_code="A", at=now - timedelta(hours=30)
    )
    make_complaint(tracking_no="X2", phone="13911110002", unit_code="B", at=now)
    third = make_complaint(tracking_no="X3", phone="13911110003", unit_code="A", at=now)
    assert third.priority == Priority.NORMAL


def test_it_lets_an_agent_override_the_priority_with_a_reason(make_complaint, alice, now):
    complaint = make_complaint(description="我要打12305")
    complaint = services.complaint_set_priority(
        complaint=complaint, by=alice, priority="normal", reason="客户已表示不再申诉", now=now
    )
    assert complaint.priority == Priority.NORMAL
    row = complaint.transitions.last()
    assert (row.transition, row.reason, row.details["previous"]) == (
        "set_priority",
        "客户已表示不再申诉",
        "urgent",
    )


def test_it_lists_every_urgent_reason():
    reasons = rules.urgent_reasons(
        text="里面有身份证，不解决我就找记者",
        threat_words=rules.DEFAULT_URGENT_THREATS,
        contents_words=rules.DEFAULT_URGENT_CONTENTS,
        key_account=True,
        urgent_contents=False,
        chase_count=2,
        chase_limit=2,
        cluster_count=3,
        cluster_size=3,
    )
    assert len(reasons) == 5


def urgent(text="", *, key_account=False, urgent_contents=False, chase_count=0, cluster_count=1):
    """The facts of one row: urgent_reasons is called in the test, with the default word
    lists, a chase limit of 2 and clusters of 3."""
    return {
        "text": text,
        "key_account": key_account,
        "urgent_contents": urgent_contents,
        "chase_count": chase_count,
        "cluster_count": cluster_count,
    }


def _urgent_reasons(text, *, key_account, urgent_contents, chase_count, cluster_count):
    return rules.urgent_reasons(
        text=text,
        threat_words=rules.DEFAULT_URGENT_THREATS,
        contents_words=rules.DEFAULT_URGENT_CONTENTS,
        key_account=key_account,
        urgent_contents=urgent_contents,
        chase_count=chase_count,
        chase_limit=2,
        cluster_count=cluster_count,
        cluster_size=3,
    )


# Each reason word for word, as the agent reads it on the complaint (seed 001 §(二)4).
@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param(urgent("快件三天没有更新"), [], id="a-general-complaint"),
        pytest.param(
            urgent("再不处理我就打12305，还要找记者曝光，去法院起诉"),
            ["客户表示将向外部渠道反映（12305、记者、曝光）"],
            id="seed001-4(1)-names-the-first-three-threats-in-list-order",
        ),
        pytest.param(
            urgent("我强烈要求立即答复"),
            ["客户强烈要求立即答复（强烈要求立即答复）"],
            id="seed001-4(5)-names-the-demand-word",
        ),
        pytest.param(
            urgent("你们马上给个说法"),
            ["客户强烈要求立即答复（马上给个说法）"],
            id="seed001-4(5)-a-demand-word-without-要求",
        ),
        pytest.param(
            urgent("要求你们今天给个说法"),
            ["客户强烈要求立即答复（要求你们今天给个说法）"],
            id="seed001-4(5)-any-demand-for-an-answer-today",
        ),
        pytest.param(
            urgent(key_account=True), ["大客户或重要敏感客户"], id="seed001-4(3)(4)-key-account"
        ),
        pytest.param(
            urgent("里面有身份证和护照，还有现金和黄金"),
            ["涉及证照或贵重物品（身份证、护照、黄金）"],
            id="seed001-4(6)-names-the-first-three-contents-in-list-order",
        ),
        pytest.param(
            urgent(urgent_contents=True),
            ["涉及证照或贵重物品"],
            id="seed001-4(6)-flagged-without-naming-them",
        ),
        pytest.param(urgent(chase_count=1), [], id="seed001-5-first-chase"),
        pytest.param(urgent(chase_count=2), ["客户第2次催促"], id="seed001-5-second-chase"),
        pytest.param(urgent(cluster_count=2), [], id="seed001-4(7)-two-customers"),
        pytest.param(
            urgent(cluster_count=3),
            ["短期内3名客户对同一单位同类问题投诉"],
            id="seed001-4(7)-three-customers",
        ),
        pytest.param(
            urgent(
                "要求立刻处理，不然报警，护照丢了",
                key_account=True,
                chase_count=3,
                cluster_count=4,
            ),
            [
                "客户表示将向外部渠道反映（报警）",
                "客户强烈要求立即答复（要求立刻处理）",
                "大客户或重要敏感客户",
                "涉及证照或贵重物品（护照）",
                "客户第3次催促",
                "短期内4名客户对同一单位同类问题投诉",
            ],
            id="seed001-every-reason-in-order",
        ),
    ],
)
def test_it_gives_each_urgent_reason_word_for_word(row, expected):
    assert _urgent_reasons(**row) == expected


def test_it_reads_no_text_as_none():
    assert (
        rules.urgent_reasons(
            text=None,  # type: ignore[arg-type]
            threat_words=["XXXX"],
            contents_words=["XXXX"],
            key_account=False,
            urgent_contents=False,
            chase_count=0,
            chase_limit=2,
            cluster_count=1,
            cluster_size=3,
            demand_words=["XXXX"],
        )
        == []
    )
    assert rules.mentions(None, ["XXXX"]) == []  # type: ignore[arg-type]
    assert rules.mentions("XXXX", ["", None, " "]) == []  # type: ignore[list-item]


# SPEC §2: the customer may reopen within 7 days of closing, the very instant it ends included.
CLOSED = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("closed_at", "now", "open_"),
    [
        pytest.param(None, CLOSED, True, id="never-closed"),
        pytest.param(CLOSED, CLOSED + timedelta(days=1), True, id="a-day-after"),
        pytest.param(CLOSED, datetime(2026, 3, 9, 10, tzinfo=UTC), True, id="at-the-7th-day"),
        pytest.param(
            CLOSED, datetime(2026, 3, 9, 10, 0, 1, tzinfo=UTC), False, id="one-second-past"
        ),
    ],
)
def test_it_keeps_the_reopen_window_open_for_7_days(closed_at, now, open_):
    assert rules.reopen_window_open(closed_at=closed_at, now=now, window_days=7) is open_
