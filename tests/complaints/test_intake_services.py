"""complaints.services.intake, word for word: the rules it reads from the model, each refusal's
message per field, the limits at and one past their edge, the cleaned values, what a created
complaint and its audit row hold, and the repeat lookup.

tests/complaints/test_intake.py tells the story; this file pins the details.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model

from complaints import services
from complaints.models import Complaint, ComplaintTransition, Status, Unit
from complaints.services import intake
from complaints.services.authorization import access_code_matches
from kernel.errors import InvalidInput, NotAllowed
from tests.complaints.helpers import bring_to
from tests.conftest import NOW, new_complaint
from tests.unchanged import nothing_changed

LATER = timedelta(hours=3, minutes=11)  # a `now` apart from the clock the tests freeze

# --- the rules, as the intake reads them from the model ----------------------------------------

PARTIES = {"sender", "recipient", "agent"}
CATEGORIES = {"delay", "loss", "damage", "short", "misdelivery", "attitude", "fee", "other"}
CHANNELS = {"api", "phone", "counter", "web", "email", "regulator"}
SERVICES = {"express", "postal_registered", "registered_letter", "postal_ordinary"}
DEMANDS = {"compensation", "redelivery", "apology", "other"}


@pytest.mark.parametrize(
    ("name", "label", "max_length", "values", "blank"),
    [
        ("tracking_no", "运单号", 40, set(), False),
        ("complainant_name", "投诉人姓名", 50, set(), False),
        ("phone", "联系电话", 30, set(), False),
        ("description", "投诉内容", 5000, set(), False),
        ("demand_detail", "诉求说明", 2000, set(), True),
        ("party", "投诉人身份", 16, PARTIES, False),
        ("category", "投诉类别", 16, CATEGORIES, False),
        ("channel", "渠道", 16, CHANNELS, False),
        ("service", "业务类型", 24, SERVICES, False),
        ("demand", "诉求", 16, DEMANDS, True),
    ],
)
def test_a_fields_rule_is_read_from_the_model(name, label, max_length, values, blank):
    rule = intake._Rule.of(name)
    assert (rule.name, str(rule.label), rule.max_length, rule.values, rule.blank) == (
        name,
        label,
        max_length,
        frozenset(values),
        blank,
    )
    assert type(rule.values) is frozenset


@pytest.mark.parametrize(
    ("name", "label", "bound"),
    [
        ("insured_amount", "保价金额", Decimal("10000000000")),
        ("declared_value", "申报价值", Decimal("10000000000")),
        ("freight", "资费", Decimal("100000000")),
    ],
)
def test_a_money_fields_rule_is_read_from_the_model(name, label, bound):
    rule = intake._Money.of(name)
    assert (rule.name, str(rule.label), rule.bound, rule.minimum) == (name, label, bound, 0)
    assert str(rule.quantum) == "0.01"
    assert type(rule.minimum) is Decimal and type(rule.bound) is Decimal


# --- validation: each field's message, each limit at and one past its edge ---------------------


BAD_WAYBILL = "运单号格式不正确：只能包含字母和数字，请核对后重新填写。"
NOT_AN_AMOUNT = "%s必须是不小于0的合理金额。"
NEEDS_AMOUNT = "保价的邮件请填写保价金额。"


def errors_of(**overrides):
    return intake.validate_new_complaint(new_complaint(**overrides))[1]


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        # Required texts; blank and spaces are missing.
        ({"tracking_no": "  "}, {"tracking_no": "请填写运单号。"}),
        ({"complainant_name": ""}, {"complainant_name": "请填写投诉人姓名。"}),
        ({"complainant_name": None}, {"complainant_name": "请填写投诉人姓名。"}),
        ({"phone": ""}, {"phone": "请填写联系电话。"}),
        ({"description": " \n "}, {"description": "请填写投诉内容。"}),
        # Lengths: at the model's limit fine, one past refused (spaces around do not count).
        ({"tracking_no": "A" * 40}, {}),
        ({"tracking_no": f" {'A' * 40} "}, {}),
        ({"tracking_no": "A" * 41}, {"tracking_no": "运单号不能超过40个字。"}),
        ({"complainant_name": "名" * 50}, {}),
        ({"complainant_name": "名" * 51}, {"complainant_name": "投诉人姓名不能超过50个字。"}),
        ({"phone": "138" + " " * 19 + "00000000"}, {}),  # 30 as typed, 11 digits
        ({"phone": "138" + " " * 20 + "00000000"}, {"phone": "联系电话不能超过30个字。"}),
        ({"description": "述" * 5000}, {}),
        ({"description": "述" * 5001}, {"description": "投诉内容不能超过5000个字。"}),
        ({"demand_detail": ""}, {}),
        ({"demand_detail": "求" * 2000}, {}),
        ({"demand_detail": "求" * 2001}, {"demand_detail": "诉求说明不能超过2000个字。"}),
        # The waybill's shape, once normalised.
        ({"tracking_no": "sf-1234 5678"}, {}),
        (
            {"tracking_no": "SF#123"},
            {"tracking_no": BAD_WAYBILL},
        ),
        (
            {"tracking_no": "S"},
            {"tracking_no": BAD_WAYBILL},
        ),
        ({"tracking_no": "SF１２３"}, {}),  # full-width digits: NFKC makes them ASCII
        (
            {"tracking_no": "SF١٢٣"},
            {"tracking_no": BAD_WAYBILL},
        ),
        # The phone's shape.
        ({"phone": "12345"}, {"phone": "请填写正确的手机号或带区号的固定电话。"}),
        ({"phone": "١٣٨٠٠٠٠٠٠٠٠"}, {"phone": "电话号码只能使用数字0–9。"}),
        ({"phone": "021-6000 0000"}, {}),
        # Choices: a value of the list; blank only where the model allows it.
        ({"party": "boss"}, {"party": "投诉人身份无效。"}),
        ({"party": ""}, {"party": "投诉人身份无效。"}),
        ({"category": "DELAY"}, {"category": "投诉类别无效。"}),
        ({"channel": ""}, {"channel": "渠道无效。"}),
        ({"service": "air"}, {"service": "业务类型无效。"}),
        ({"demand": ""}, {}),
        ({"demand": None}, {}),
        ({"demand": "refund"}, {"demand": "诉求无效。"}),
        # Money: a number, not below 0, below 10 ** its whole digits, at most two places.
        ({"declared_value": "abc"}, {"declared_value": "申报价值必须是金额数字。"}),
        ({"declared_value": [1]}, {"declared_value": "申报价值必须是金额数字。"}),
        ({"declared_value": "-0.01"}, {"declared_value": NOT_AN_AMOUNT % "申报价值"}),
        ({"declared_value": "NaN"}, {"declared_value": NOT_AN_AMOUNT % "申报价值"}),
        ({"declared_value": "Infinity"}, {"declared_value": NOT_AN_AMOUNT % "申报价值"}),
        ({"declared_value": "9999999999.99"}, {}),
        (
            {"declared_value": "10000000000"},
            {"declared_value": NOT_AN_AMOUNT % "申报价值"},
        ),
        ({"freight": "99999999.99"}, {}),
        ({"freight": "100000000"}, {"freight": "资费必须是不小于0的合理金额。"}),
        ({"freight": "0"}, {}),
        ({"freight": "1.001"}, {"freight": "资费最多两位小数。"}),
        ({"freight": "1.100"}, {}),
        # Insured: an amount above 0 is required, and only then.
        ({"insured": True}, {"insured_amount": NEEDS_AMOUNT}),
        (
            {"insured": True, "insured_amount": "0"},
            {"insured_amount": NEEDS_AMOUNT},
        ),
        ({"insured": True, "insured_amount": "x"}, {"insured_amount": "保价金额必须是金额数字。"}),
        ({"insured": True, "insured_amount": "12.5"}, {}),
        ({"insured_amount": "12.5"}, {"insured_amount": "未保价的邮件不应填写保价金额。"}),
        ({"insured_amount": "0"}, {}),
        ({"insured_amount": "x"}, {"insured_amount": "保价金额必须是金额数字。"}),
        # Several at once: each its own.
        (
            {"tracking_no": "", "phone": "1", "party": "x", "freight": "-1"},
            {
                "tracking_no": "请填写运单号。",
                "phone": "请填写正确的手机号或带区号的固定电话。",
                "party": "投诉人身份无效。",
                "freight": "资费必须是不小于0的合理金额。",
            },
        ),
    ],
)
def test_each_field_is_checked_with_its_own_message(overrides, errors):
    assert errors_of(**overrides) == errors


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "active", "error"),
    [("A", True, None), ("A", False, "责任单位不存在。"), ("Z", True, "责任单位不存在。")],
)
def test_the_unit_is_an_active_one_by_its_code(org, code, active, error):
    Unit.objects.filter(code="A").update(is_active=active)
    cleaned, errors = intake.validate_new_complaint(new_complaint(unit_code=code))
    assert errors == ({"unit": error} if error else {})
    assert cleaned["unit"] == (org["a"] if error is None else None)


def test_the_cleaned_values_are_the_stored_ones():
    cleaned, errors = intake.validate_new_complaint(
        new_complaint(
            tracking_no=" sf 1234-5678 ",
            complainant_name=" 测试客户 ",
            phone=" 138-0000-0000 ",
            description=" 快件超时。 ",
            demand="compensation",
            demand_detail=" 赔偿运费 ",
            service="postal_registered",
            insured=1,
            insured_amount="100.5",
            declared_value=Decimal("200"),
            freight=12,
            key_account=1,
            urgent_contents="yes",
            is_external=0,
        )
    )
    assert errors == {}
    assert cleaned == {
        "tracking_no": "SF12345678",
        "complainant_name": "测试客户",
        "phone": "13800000000",
        "description": "快件超时。",
        "demand_detail": "赔偿运费",
        "party": "recipient",
        "category": "delay",
        "channel": "phone",
        "service": "postal_registered",
        "demand": "compensation",
        "insured": True,
        "insured_amount": Decimal("100.50"),
        "declared_value": Decimal("200.00"),
        "freight": Decimal("12.00"),
        "unit": None,
        "key_account": True,
        "urgent_contents": True,
        "is_external": False,
    }
    assert [str(cleaned[k]) for k in ("insured_amount", "declared_value", "freight")] == [
        "100.50",
        "200.00",
        "12.00",
    ]


@pytest.mark.parametrize(
    ("channel", "is_external", "expected"),
    [("phone", False, False), ("phone", True, True), ("regulator", False, True)],
)
def test_a_regulators_complaint_is_external(channel, is_external, expected):
    cleaned, errors = intake.validate_new_complaint(
        new_complaint(channel=channel, is_external=is_external)
    )
    assert errors == {}
    assert cleaned["is_external"] is expected
    assert cleaned["insured"] is False and cleaned["key_account"] is False
    assert cleaned["urgent_contents"] is False
    assert (cleaned["insured_amount"], cleaned["declared_value"], cleaned["freight"]) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("raw", "normalized", "valid"),
    [("sf 12-34", "SF1234", True), ("ＳＦ１２", "SF12", True), ("SF#1", "SF#1", False)],
)
def test_the_tracking_number_helpers(raw, normalized, valid):
    assert intake.normalize_tracking_no(raw) == normalized
    assert intake.is_valid_tracking_no(normalized) is valid
    assert intake.tracking_no_pattern() == r"[A-Z0-9]{2,40}"


def test_the_tracking_number_pattern_is_the_setting(settings):
    settings.COMPLAINTS = {**settings.COMPLAINTS, "TRACKING_NO_PATTERN": r"SF[0-9]{4}"}
    assert intake.tracking_no_pattern() == r"SF[0-9]{4}"
    assert intake.is_valid_tracking_no("SF1234") is True
    assert intake.is_valid_tracking_no("YT1234") is False


# --- complaint_create: what it stores, when, and for whom ---------------------------------------


@pytest.mark.django_db
def test_create_stores_the_cleaned_complaint_and_its_audit_row_at_the_given_time(alice, org):
    at = NOW + LATER
    complaint, code = services.complaint_create(
        data=new_complaint(tracking_no="sf 555-666", phone="138 0000 1111", unit_code="A"),
        by=alice,
        now=at,
    )
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.ticket_no == "TS20261116000001" == complaint.ticket_no
    assert (stored.tracking_no, stored.phone, stored.unit) == ("SF555666", "13800001111", org["a"])
    assert (stored.status, stored.accepted_at, stored.created_by, stored.owner) == (
        Status.ACCEPTED,
        at,
        alice,
        alice,
    )
    assert (stored.repeat_of_id, stored.repeat_count) == (None, 0)
    assert len(code) == 10 and access_code_matches(stored, code)
    assert not access_code_matches(stored, "A" * 10)
    row = ComplaintTransition.objects.get(complaint=stored)
    assert (row.transition, row.from_state, row.to_state, row.at) == (
        "create",
        Status.ACCEPTED,
        Status.ACCEPTED,
        at,
    )
    assert (row.actor, row.actor_kind, row.reason) == (alice, "staff", "")
    assert row.details == {
        "channel": "phone",
        "repeat_of": None,
        "urgent_reasons": stored.urgent_reasons,
    }


@pytest.mark.django_db
def test_without_now_the_time_is_the_clock(alice):
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        complaint, _code = services.complaint_create(data=new_complaint(), by=alice)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.accepted_at == NOW + timedelta(days=2)
    assert stored.ticket_no == "TS20261118000001"
    assert ComplaintTransition.objects.get(complaint=stored).at == NOW + timedelta(days=2)


@pytest.mark.django_db
def test_a_customers_complaint_has_no_owner(org):
    complaint, _code = services.complaint_create(
        data=new_complaint(channel="web"), by="customer", now=NOW
    )
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.created_by, stored.owner) == (None, None)
    row = ComplaintTransition.objects.get(complaint=stored)
    assert (row.actor, row.actor_kind) == (None, "customer")


@pytest.mark.django_db
def test_a_repeat_names_the_latest_earlier_one_and_counts(alice, org):
    first, _ = services.complaint_create(data=new_complaint(), by=alice, now=NOW)
    second, _ = services.complaint_create(
        data=new_complaint(phone="13911112222"), by=alice, now=NOW + timedelta(hours=1)
    )
    third, _ = services.complaint_create(
        data=new_complaint(phone="13733334444"), by=alice, now=NOW + timedelta(hours=2)
    )
    got = {c.pk: c for c in Complaint.objects.filter(pk__in=[first.pk, second.pk, third.pk])}
    assert (got[second.pk].repeat_of_id, got[second.pk].repeat_count) == (first.pk, 1)
    # The same waybill as the first two: the latest of them is the one it repeats.
    assert (got[third.pk].repeat_of_id, got[third.pk].repeat_count) == (second.pk, 2)
    row = ComplaintTransition.objects.get(complaint=third)
    assert row.details["repeat_of"] == second.ticket_no
    assert [c.ticket_no for c in (first, second, third)] == [
        "TS20261116000001",
        "TS20261116000002",
        "TS20261116000003",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("no role", "您没有权限执行此操作。"),
        ("agent without the right", "您没有权限执行此操作。"),
        ("inactive agent", "请先登录。"),
    ],
)
def test_who_may_not_accept_is_refused_and_nothing_is_stored(alice, nobody, who, message):
    User = get_user_model()
    if who == "agent without the right":
        alice.groups.clear()
    if who == "inactive agent":
        User.objects.filter(pk=alice.pk).update(is_active=False)
    by = nobody if who == "no role" else User.objects.get(pk=alice.pk)  # no cached rights
    with nothing_changed(), pytest.raises(NotAllowed) as caught:
        services.complaint_create(data=new_complaint(), by=by, now=NOW)
    assert caught.value.message == message


@pytest.mark.django_db
def test_bad_input_is_refused_with_every_fields_message_and_nothing_is_stored(alice, org):
    with nothing_changed(), pytest.raises(InvalidInput) as caught:
        services.complaint_create(
            data=new_complaint(description="", unit_code="Z"), by=alice, now=NOW
        )
    assert caught.value.message == "提交的投诉信息有误，请修改后重试。"
    assert caught.value.field_errors == {
        "description": "请填写投诉内容。",
        "unit": "责任单位不存在。",
    }


# --- find_earlier_complaint: the repeat lookup on its own --------------------------------------


@pytest.mark.django_db
def test_find_earlier_complaint(make_complaint, alice, bob, org):
    first = make_complaint(tracking_no="SF0001", phone="13800000001", category="delay")
    find = intake.find_earlier_complaint
    at = NOW + timedelta(days=1)
    expected = intake.EarlierComplaint(first.pk, first.ticket_no, 0)
    assert find(tracking_no="SF0001", phone="13899999999", category="loss", now=at) == expected
    assert find(tracking_no="YT9999", phone="13800000001", category="delay", now=at) == expected
    assert find(tracking_no="YT9999", phone="13800000001", category="loss", now=at) is None
    assert find(tracking_no="YT9999", phone="13899999999", category="delay", now=at) is None
    second = make_complaint(
        tracking_no="SF0001", phone="13800000002", at=NOW + timedelta(minutes=5)
    )
    assert find(tracking_no="SF0001", phone="1", category="fee", now=at) == (
        intake.EarlierComplaint(second.pk, second.ticket_no, 1)
    )
    # Closed 31 days ago: no longer a repeat; rejected: never.
    later = NOW + timedelta(minutes=10)
    bring_to("closed", first, agent=alice, branch_user=bob, unit=org["a"], now=later)
    bring_to("rejected", second, agent=alice, branch_user=bob, unit=org["a"], now=later)
    closed = Complaint.objects.get(pk=first.pk).closed_at
    assert find(
        tracking_no="SF0001", phone="1", category="fee", now=closed + timedelta(days=30)
    ) == (intake.EarlierComplaint(first.pk, first.ticket_no, 0))
    assert (
        find(tracking_no="SF0001", phone="1", category="fee", now=closed + timedelta(days=31))
        is None
    )


TIMES = (
    "accepted_at",
    "urgent_since",
    "first_response_due",
    "resolution_due",
    "follow_up_due",
    "statutory_due",
    "next_deadline",
    "sla_next_check",
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("channel", "priority", "reasons"),
    [("phone", "normal", []), ("regulator", "urgent", ["外部投诉"])],
)
def test_a_given_now_counts_as_the_clock_would(alice, channel, priority, reasons):
    # Every time the intake stores (acceptance, urgency, deadlines) comes from `now`: the same
    # as a submission at that moment on the clock.
    at = NOW + LATER
    with time_machine.travel(at, tick=False):
        on_the_clock, _ = services.complaint_create(data=new_complaint(channel=channel), by=alice)
    given, _ = services.complaint_create(
        data=new_complaint(channel=channel, tracking_no="YT0002", phone="13722223333"),
        by=alice,
        now=at,
    )
    one, other = (Complaint.objects.get(pk=c.pk) for c in (on_the_clock, given))
    assert {t: getattr(other, t) for t in TIMES} == {t: getattr(one, t) for t in TIMES}
    assert other.accepted_at == at and other.first_response_due is not None
    assert (other.priority, other.urgent_reasons) == (priority, reasons)
    assert other.urgent_since == (at if reasons else None)
    row = ComplaintTransition.objects.get(complaint=other)
    assert row.details == {"channel": channel, "repeat_of": None, "urgent_reasons": reasons}
