"""Tracking numbers and phones have one spelling before anything compares or stores them.

issue 19 §10: NFKC (full-width → half-width), spaces and dashes removed, before validation,
storage, the repeat lookup and search; digits of other scripts are refused for phones; a
tracking number must have the configured shape. `ＳＦ１２３４５６７` is found by `SF1234567`.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints import rules, services
from complaints.models import Complaint
from kernel import privacy
from kernel.errors import InvalidInput
from tests.api.conftest import token_client


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800000000", "13800000000"),
        ("138 0000 0000", "13800000000"),
        ("138-0000-0000", "13800000000"),
        ("１３８００００００００", "13800000000"),  # full-width digits
        ("１３８－００００－００００", "13800000000"),  # full-width dashes
        ("138\u20140000\u20130000", "13800000000"),  # em and en dashes
        ("138\u30000000\u00a00000", "13800000000"),  # ideographic and no-break spaces
        ("+86 138 0000 0000", "13800000000"),
        ("0086-138-0000-0000", "13800000000"),
        ("(010) 8888-6666", "01088886666"),
        ("（０２０）８８８８６６６６", "02088886666"),
    ],
)
def test_it_normalises_phones(typed, stored):
    assert privacy.normalize_phone(typed) == stored
    assert privacy.is_valid_phone(stored)


@pytest.mark.parametrize(
    "typed",
    [
        "١٣٨٠٠٠٠٠٠٠٠",  # Arabic-Indic
        "۱۳۸۰۰۰۰۰۰۰۰",  # Extended Arabic-Indic (Persian)
        "१३८००००००००",  # Devanagari
        "138০০০০০০০০",  # Bengali, mixed with ASCII
    ],
)
def test_it_refuses_digits_of_other_scripts_for_phones(typed, make_complaint):
    normalized = privacy.normalize_phone(typed)
    assert privacy.has_foreign_digits(normalized) and not privacy.is_valid_phone(normalized)
    with pytest.raises(InvalidInput) as refused:
        make_complaint(phone=typed)
    assert refused.value.field_errors == {"phone": "电话号码只能使用数字0–9。"}
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("SF1234567", "SF1234567"),
        ("sf1234567", "SF1234567"),
        ("ＳＦ１２３４５６７", "SF1234567"),
        ("SF 123 4567", "SF1234567"),
        ("SF-123-4567", "SF1234567"),
        ("ｓｆ－１２３\u3000４５６７", "SF1234567"),
    ],
)
def test_it_normalises_tracking_numbers(typed, stored, make_complaint):
    assert rules.normalize_tracking_no(typed) == stored
    assert make_complaint(tracking_no=typed).tracking_no == stored


@pytest.mark.parametrize(
    "typed",
    ["SF12;DROP", "SF12'34", "运单１２３４", "SF١٢٣٤٥", "SFＡ\u0301123", "S", "X" * 41],
)
def test_it_refuses_tracking_numbers_of_another_shape(typed, make_complaint):
    with pytest.raises(InvalidInput) as refused:
        make_complaint(tracking_no=typed)
    assert "tracking_no" in refused.value.field_errors
    assert not Complaint.objects.exists()


def test_it_takes_the_tracking_number_shape_from_the_settings(settings, make_complaint):
    settings.COMPLAINTS = {**settings.COMPLAINTS, "TRACKING_NO_PATTERN": r"SF[0-9]{12}"}
    assert make_complaint(tracking_no="ＳＦ 1234 5678 9012").tracking_no == "SF123456789012"
    with pytest.raises(InvalidInput):
        make_complaint(tracking_no="YT1234567890123")


def test_a_full_width_waybill_is_a_repeat_of_the_half_width_one(make_complaint):
    first = make_complaint(tracking_no="SF1234567", phone="13900000001")
    second = make_complaint(tracking_no="ＳＦ１２３４５６７", phone="13900000002")
    assert second.repeat_of_id == first.pk


def test_a_phone_spelled_another_way_is_a_repeat(make_complaint):
    first = make_complaint(tracking_no="SF0000000001", phone="13900000003")
    second = make_complaint(tracking_no="SF0000000002", phone="１３９ ００００ ０００３")
    assert second.repeat_of_id == first.pk


def test_search_finds_a_full_width_waybill_by_its_half_width_spelling(
    make_complaint, alice, client
):
    complaint = make_complaint(tracking_no="ＳＦ１２３４５６７")
    client.force_login(alice)
    page = client.get(reverse("web:search"), {"q": "SF1234567"}).content.decode()
    assert complaint.ticket_no in page
    page = client.get(reverse("web:search"), {"q": "sf 123-4567"}).content.decode()
    assert complaint.ticket_no in page
    api = token_client(alice)
    rows = api.get("/api/v1/complaints/", {"tracking_no": "ｓｆ１２３４５６７"}).json()["results"]
    assert [r["ticket_no"] for r in rows] == [complaint.ticket_no]
    rows = api.post(
        "/api/v1/complaints/search/", {"phone": "１３８-００００-００００"}, format="json"
    ).json()["results"]
    assert [r["ticket_no"] for r in rows] == [complaint.ticket_no]


def test_the_console_lookup_finds_earlier_complaints_by_any_spelling(make_complaint, alice, client):
    earlier = make_complaint(tracking_no="YT0000000001", phone="13900000009")
    client.force_login(alice)
    page = client.post(reverse("web:earlier"), {"tracking_no": "ｙｔ０００００００００１"})
    assert earlier.ticket_no in page.content.decode()
    page = client.post(reverse("web:earlier"), {"phone": "+86 139-0000-0009"})
    assert earlier.ticket_no in page.content.decode()


def test_the_service_exposes_one_normalisation_for_every_caller():
    assert services.normalize_tracking_no(" ｙｔ-0001 ") == "YT0001"
    assert services.is_valid_tracking_no("YT0001") and not services.is_valid_tracking_no("YT;1")


def test_numbers_stored_before_normalisation_are_rewritten_by_migration_0013(make_complaint):
    """Rows written before the intake normalised (full-width digits, dashes, +86) are
    normalised once by complaints/migrations/0013, so repeats and search find them."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("complaints.migrations.0013_normalise_stored_numbers")
    old = make_complaint()
    clean = make_complaint(phone="13900001111", tracking_no="SF1234500001")
    Complaint.objects.filter(pk=old.pk).update(
        phone="+86 １３９-0000-２２２２", tracking_no="ｓｆ 12345-00002"
    )
    migration.normalise(apps, None)

    old.refresh_from_db()
    assert (old.phone, old.tracking_no) == ("13900002222", "SF1234500002")
    clean.refresh_from_db()
    assert (clean.phone, clean.tracking_no) == ("13900001111", "SF1234500001")
