"""The rulings API: role-scoped reads (a branch never sees another unit's entries), rulings by
agents and supervisors, disputes by the unit's staff with a photo, decisions by supervisors."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from rulings.models import Dispute, LedgerEntry, Ruling

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def two_units(answered, rule_it, hub, now):
    """A ruling against B-EAST-1 and one against the hub."""
    east_ruling = rule_it(answered())
    other = answered(tracking_no="ZT0000000002", phone="13900000002")
    hub_ruling = rule_it(other, stage="hub", unit_id=hub.pk)
    return east_ruling, hub_ruling


def test_a_branch_sees_only_its_own_ledger_entries(api, erin, hank, sam, two_units):
    for user, units in ((erin, {"B-EAST-1"}), (hank, {"HUB-1"}), (sam, {"B-EAST-1", "HUB-1"})):
        body = api(user).get("/api/v1/ledger/").json()
        assert {e["unit"]["code"] for e in body["results"]} == units
    assert api(erin).get("/api/v1/ledger/?unit=HUB-1").json()["results"] == []


def test_a_branch_sees_its_rulings_and_never_another_units_charge(api, hank, erin, two_units):
    east_ruling, hub_ruling = two_units
    assert api(hank).get(f"/api/v1/rulings/{east_ruling.pk}/").status_code == 404
    mine = api(hank).get("/api/v1/rulings/").json()["results"]
    assert [r["id"] for r in mine] == [hub_ruling.pk]
    assert mine[0]["assessment"]["amount"] == "80.00"
    # On its own complaint a branch sees that the hub is at fault, not what the hub pays.
    hub_ruling_on_erins_complaint = api(erin).get(f"/api/v1/rulings/{hub_ruling.pk}/").json()
    assert hub_ruling_on_erins_complaint["unit"]["code"] == "HUB-1"
    assert hub_ruling_on_erins_complaint["assessment"] is None


def test_an_agent_records_a_ruling_through_the_api(api, alice, answered, east):
    complaint = answered()
    reply = complaint.replies.get()
    response = api(alice).post(
        f"/api/v1/complaints/{complaint.ticket_no}/rulings/",
        {
            "verdict": "partly",
            "stage": "delivery",
            "unit": east.pk,
            "reason": "部分延误属实。",
            "replies": [reply.pk],
            "current_ruling": None,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["verdict"], body["assessment"]["amount"], body["is_current"]) == (
        "partly",
        "25.00",
        True,
    )


def test_a_refused_ruling_is_400_with_the_fields_and_stores_nothing(api, alice, answered):
    complaint = answered()
    response = api(alice).post(
        f"/api/v1/complaints/{complaint.ticket_no}/rulings/",
        {"verdict": "at_fault", "reason": "", "replies": ["x"], "colour": "red"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"colour": "未知字段"}
    response = api(alice).post(
        f"/api/v1/complaints/{complaint.ticket_no}/rulings/",
        {"verdict": "at_fault", "reason": "", "replies": ["x"]},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) >= {"stage", "unit", "reason", "replies"}
    assert not Ruling.objects.exists()


def test_a_branch_cannot_rule_through_the_api(api, erin, answered, east):
    complaint = answered()
    response = api(erin).post(
        f"/api/v1/complaints/{complaint.ticket_no}/rulings/",
        {
            "verdict": "not_at_fault",
            "no_fault_cause": "customer",
            "reason": "客户原因。",
            "replies": [complaint.replies.get().pk],
        },
        format="json",
    )
    assert response.status_code == 403
    assert not Ruling.objects.exists()


def test_the_branch_disputes_with_a_photo_and_the_supervisor_overturns(
    api, erin, sam, two_units, now
):
    from tests.rulings.conftest import photo

    east_ruling, _ = two_units
    clock = time_machine.travel(now + timedelta(days=1), tick=False)
    clock.start()
    response = api(erin).post(
        f"/api/v1/rulings/{east_ruling.pk}/disputes/",
        {"reason": "客户本人签收。", "files": [photo()]},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    dispute = response.json()
    assert dispute["status"] == "pending" and len(dispute["evidence"]) == 1

    refused = api(erin).post(
        f"/api/v1/disputes/{dispute['id']}/decision/",
        {"outcome": "overturn", "reason": "我自己改判。"},
        format="json",
    )
    assert refused.status_code == 403
    decided = api(sam).post(
        f"/api/v1/disputes/{dispute['id']}/decision/",
        {"outcome": "overturn", "reason": "底单属实。"},
        format="json",
    )
    assert decided.status_code == 200
    assert decided.json()["status"] == "overturned"
    clock.stop()
    amounts = api(erin).get("/api/v1/ledger/").json()["results"]
    assert sorted(e["amount"] for e in amounts) == ["-50.00", "50.00"]


def test_another_unit_cannot_dispute(api, hank, two_units):
    from tests.rulings.conftest import photo

    east_ruling, _ = two_units
    response = api(hank).post(
        f"/api/v1/rulings/{east_ruling.pk}/disputes/",
        {"reason": "不服。", "files": [photo()]},
        format="multipart",
    )
    assert response.status_code == 404
    assert not Dispute.objects.exists()


def test_a_late_dispute_is_409_with_the_closing_day(api, erin, two_units):
    from tests.rulings.conftest import photo

    east_ruling, _ = two_units
    with time_machine.travel(east_ruling.dispute_until + timedelta(hours=1), tick=False):
        response = api(erin).post(
            f"/api/v1/rulings/{east_ruling.pk}/disputes/",
            {"reason": "不服。", "files": [photo()]},
            format="multipart",
        )
    assert response.status_code == 409
    assert response.json()["error"]["message"].startswith("申诉期已于11月19日 24:00截止")
    assert not Dispute.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/rulings/?limit=0",
        "/api/v1/rulings/?before=abc",
        "/api/v1/rulings/?unit=%00",
        "/api/v1/rulings/?ticket_no=%00",
        "/api/v1/rulings/?current=maybe",
        "/api/v1/ledger/?month=2026-13",
        "/api/v1/disputes/?status=lost",
    ],
)
def test_bad_query_parameters_are_400(url, api, sam):
    response = api(sam).get(url)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_a_huge_id_is_not_found(api, sam):
    assert api(sam).get(f"/api/v1/rulings/{2**70}/").status_code == 404
    assert api(sam).get(f"/api/v1/disputes/{2**70}/").status_code == 404


def test_lists_page_by_id(api, sam, two_units):
    first = api(sam).get("/api/v1/ledger/?limit=1").json()
    assert len(first["results"]) == 1 and first["next_before"] == first["results"][0]["id"]
    second = api(sam).get(f"/api/v1/ledger/?limit=1&before={first['next_before']}").json()
    assert second["next_before"] is None
    assert LedgerEntry.objects.count() == 2
