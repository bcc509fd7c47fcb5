"""Accepting a complaint (受理): validation, numbering, ownership, deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from complaints import services
from complaints.api.serializers import SubmitSerializer
from complaints.models import Complaint
from complaints.services.intake import INPUT_FIELDS
from complaints.web.forms import IntakeForm
from kernel import privacy
from kernel.errors import InvalidInput
from tests.conftest import new_complaint


def test_it_accepts_a_phone_complaint(make_complaint, alice, now):
    complaint = make_complaint()
    assert complaint.status == "accepted"
    assert complaint.ticket_no == "TS20261116000001"
    assert complaint.owner == alice  # 首问责任制: the agent who took the call owns it
    assert complaint.accepted_at == now
    assert complaint.first_response_due == now + timedelta(hours=24)
    assert complaint.resolution_due == now + timedelta(hours=72)
    # Statutory 7 days: accepted Mon 2026-11-16 → due by the end of Mon 2026-11-23 (Shanghai).
    assert complaint.statutory_due == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    assert complaint.next_deadline == complaint.first_response_due


def test_it_numbers_tickets_by_the_shanghai_date(alice, org):
    late_evening_utc = datetime(2026, 11, 16, 17, 30, tzinfo=UTC)  # already 17 Nov in Shanghai
    complaint, _ = services.complaint_create(data=new_complaint(), by=alice, now=late_evening_utc)
    assert complaint.ticket_no == "TS20261117000001"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        pytest.param("tracking_no", "", "请填写运单号", id="tracking-number-required"),
        pytest.param("tracking_no", "SF 12;DROP", "字母和数字", id="tracking-number-alphanumeric"),
        pytest.param("phone", "12345", "手机号", id="phone-invalid"),
        pytest.param("phone", "1380000000", "手机号", id="mobile-too-short"),
        pytest.param("party", "neighbour", "投诉人身份", id="party-unknown"),
        pytest.param("category", "weather", "投诉类别", id="category-unknown"),
        pytest.param("description", " ", "请填写投诉内容", id="description-required"),
        pytest.param("freight", "-1", "不小于0", id="negative-freight"),
        pytest.param("freight", "abc", "金额数字", id="freight-not-a-number"),
        pytest.param("declared_value", "1.234", "两位小数", id="three-decimals"),
        pytest.param("unit_code", "NOPE", "责任单位不存在", id="unknown-unit"),
    ],
)
def test_it_refuses_bad_input_and_stores_nothing(field, value, message, alice, now):
    with pytest.raises(InvalidInput) as refused:
        services.complaint_create(data=new_complaint(**{field: value}), by=alice, now=now)
    errors = refused.value.field_errors
    key = "unit" if field == "unit_code" else field
    assert message in errors[key]
    assert Complaint.objects.count() == 0


def test_it_requires_an_insured_amount_for_insured_items(alice, now):
    with pytest.raises(InvalidInput) as refused:
        services.complaint_create(data=new_complaint(insured=True), by=alice, now=now)
    assert "insured_amount" in refused.value.field_errors


@pytest.mark.parametrize(
    ("raw", "normalized", "valid"),
    [
        ("138 0000 0000", "13800000000", True),
        ("+86 13800000000", "13800000000", True),
        ("010-12345678", "01012345678", True),
        ("0755-1234567", "07551234567", True),
        ("020 1234 5678", "02012345678", True),
        ("12800000000", "12800000000", False),
        ("12345678", "12345678", False),
    ],
)
def test_it_normalizes_and_checks_phone_numbers(raw, normalized, valid):
    assert privacy.normalize_phone(raw) == normalized
    assert privacy.is_valid_phone(normalized) is valid


def test_it_masks_phones_and_names():
    assert privacy.mask_phone("13800008000") == "138****8000"
    assert privacy.mask_name("张三丰") == "张**"


def test_a_customer_submission_has_no_owner_until_an_agent_takes_it(org, now):
    complaint, code = services.complaint_create(
        data=new_complaint(channel="api"), by="customer", now=now
    )
    assert complaint.owner is None and complaint.created_by is None
    assert len(code) == 10
    assert complaint.access_code_hash != code
    assert complaint.transitions.get().actor_kind == "customer"


def test_it_stops_the_first_response_timer_on_the_first_contact_that_reached_the_customer(
    make_complaint, alice, now
):
    complaint = make_complaint()
    services.complaint_log_contact(
        complaint=complaint, by=alice, method="phone", summary="无人接听", reached=False, now=now
    )
    complaint.refresh_from_db()
    assert complaint.first_response_at is None
    later = now + timedelta(hours=1)
    services.complaint_log_contact(
        complaint=complaint, by=alice, method="phone", summary="已联系上客户", now=later
    )
    complaint.refresh_from_db()
    assert complaint.first_response_at == later
    assert complaint.next_deadline == complaint.resolution_due


# --- One definition of the intake (issue 26 §1): the model states the field rules ----------

INTAKE_TEXTS = ("tracking_no", "complainant_name", "phone", "description", "demand_detail")
INTAKE_CHOICES = ("party", "category", "service", "demand")


@pytest.mark.parametrize("name", INTAKE_TEXTS)
def test_the_api_and_the_console_take_the_models_lengths(name):
    limit = Complaint._meta.get_field(name).max_length
    assert limit
    assert SubmitSerializer().fields[name].max_length == limit
    assert IntakeForm().fields[name].max_length == limit
    too_long = "1" * (limit + 1)
    _, errors = services.validate_new_complaint(new_complaint(**{name: too_long}))
    assert f"不能超过{limit}个字" in errors[name]


@pytest.mark.parametrize("name", INTAKE_CHOICES)
def test_the_api_and_the_console_take_the_models_choices(name):
    values = {value for value, _label in Complaint._meta.get_field(name).choices}
    assert set(SubmitSerializer().fields[name].choices) == values
    assert {v for v, _label in IntakeForm().fields[name].choices if v} == values


def test_the_api_takes_every_intake_field_but_those_an_agent_sets():
    taken = set(SubmitSerializer().fields)
    assert taken == set(INPUT_FIELDS) - {
        "channel",
        "key_account",
        "urgent_contents",
        "is_external",
    } | {"unit"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        pytest.param("freight", "100000000", "合理金额", id="freight-beyond-its-column"),
        pytest.param("insured_amount", "-0.01", "不小于0", id="negative-insured-amount"),
        pytest.param("demand", "refund", "诉求无效", id="demand-unknown"),
        pytest.param("complainant_name", "  ", "请填写投诉人姓名", id="name-required"),
    ],
)
def test_the_service_checks_the_models_rules_for_callers_without_a_form(field, value, message):
    _, errors = services.validate_new_complaint(new_complaint(**{field: value, "insured": True}))
    assert message in errors[field]


def test_a_phone_typed_with_separators_fits_the_model_and_is_stored_normalised(alice, now):
    typed = "0086 - 138 - 0000 - 0000"  # 24 characters as typed: beyond the old 20 of the page
    complaint, _ = services.complaint_create(data=new_complaint(phone=typed), by=alice, now=now)
    assert complaint.phone == "13800000000"


def test_the_intake_is_built_from_cleaned_values_with_defaults_for_the_rest():
    new = services.NewComplaint.from_input(
        {"tracking_no": "SF1", "freight": None, "insured": True, "noise": "x"}, unit_code="A"
    )
    assert new.tracking_no == "SF1" and new.insured is True and new.unit_code == "A"
    assert new.phone == "" and new.freight is None and new.service == "express"
