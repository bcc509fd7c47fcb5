"""The journey on a complaint: facts audited as system actions, 智能分单 at acceptance."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from complaints.models import ActorKind, ComplaintTransition, Status
from tracking import journey, pull
from tracking.models import JourneyFact, RoutingDecision, RoutingRule
from tracking.seeding import ensure_default_rules
from tracking.sweep import sweep_stuck

from .conftest import event, hours, journey_events

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(now):
    # The push evaluates at the wall clock: let it be the tests' `now` (and run on from there).
    with time_machine.travel(now, tick=True):
        yield


@pytest.fixture
def default_rules(db):
    ensure_default_rules(RoutingRule)


def _fact_rows(complaint):
    return list(
        ComplaintTransition.objects.filter(complaint=complaint, transition="journey_fact")
        .order_by("id")
        .values_list("actor_kind", "details__fact", "details__change")
    )


def test_a_signature_without_delivery_routes_a_false_sign_complaint_to_the_signing_branch(
    tms, make_complaint, default_rules, now, org
):
    """Issue 21 "done when": automatic routing sends a 虚假签收 complaint to the signing branch."""
    tms.add("SF1001", journey_events("SF1001", now - hours(40), plot="signed_without_delivery"))
    complaint = make_complaint(tracking_no="SF1001", category="misdelivery")
    assert complaint.unit_id is None
    pull.run_due(now=now)

    complaint.refresh_from_db()
    assert (complaint.status, complaint.unit.code) == (Status.VERIFYING, "A")
    dispatch = ComplaintTransition.objects.get(complaint=complaint, transition="dispatch")
    assert dispatch.actor_kind == ActorKind.SYSTEM and dispatch.actor is None
    assert "虚假签收/误投 → 签收网点" in dispatch.reason  # the rule's name
    assert "网点甲 签收扫描" in dispatch.reason  # the scan it used
    decision = RoutingDecision.objects.get(complaint=complaint)
    assert (decision.outcome, decision.unit.code, decision.scan["type"]) == (
        "dispatched",
        "A",
        "sign",
    )
    # The flag for the branch to verify, on the trail as a system action with its scans.
    assert _fact_rows(complaint) == [("system", "suspected_false_sign", "raised")]
    fact = JourneyFact.objects.get(complaint=complaint)
    assert fact.reason == "no_delivery_scan" and [s["type"] for s in fact.scans] == ["sign"]


def test_the_routed_unit_counts_for_the_cluster_rule(
    tms, make_complaint, default_rules, now, settings
):
    settings.COMPLAINTS = {**settings.COMPLAINTS, "CLUSTER_SIZE": 2}
    for n in (1, 2):
        tms.add(
            f"SF110{n}",
            journey_events(f"SF110{n}", now - hours(40), plot="signed_without_delivery"),
        )
        make_complaint(tracking_no=f"SF110{n}", category="misdelivery", phone=f"1390000010{n}")
    pull.run_due(now=now)
    routed = ComplaintTransition.objects.filter(transition="dispatch").values_list(
        "complaint__priority", flat=True
    )
    assert list(routed) == ["urgent", "urgent"]  # two for one unit and category: a cluster


def test_in_suggest_mode_the_agent_accepts_with_one_click(
    tms, make_complaint, default_rules, now, alice
):
    RoutingRule.objects.update(action="suggest")
    tms.add("SF1201", journey_events("SF1201", now - hours(40), plot="signed_without_delivery"))
    complaint = make_complaint(tracking_no="SF1201", category="misdelivery")
    pull.run_due(now=now)
    complaint.refresh_from_db()
    assert complaint.status == Status.ACCEPTED  # only suggested
    suggestion = RoutingDecision.objects.get(complaint=complaint, outcome="suggested")

    journey.suggestion_accept(decision_id=suggestion.pk, by=alice, now=now)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.unit.code) == (Status.VERIFYING, "A")
    dispatch = ComplaintTransition.objects.get(complaint=complaint, transition="dispatch")
    assert dispatch.actor == alice and "采纳智能分单" in dispatch.reason
    suggestion.refresh_from_db()
    assert (suggestion.outcome, suggestion.resolved_by) == ("accepted", alice)


def test_a_branch_clerk_cannot_accept_a_suggestion_and_nothing_changes(
    tms, make_complaint, default_rules, now, bob
):
    RoutingRule.objects.update(action="suggest")
    tms.add("SF1202", journey_events("SF1202", now - hours(40), plot="signed_without_delivery"))
    complaint = make_complaint(tracking_no="SF1202", category="misdelivery")
    pull.run_due(now=now)
    suggestion = RoutingDecision.objects.get(complaint=complaint)
    with pytest.raises(Exception) as refused:
        journey.suggestion_accept(decision_id=suggestion.pk, by=bob, now=now)
    assert getattr(refused.value, "status_code", None) in (403, 404)
    complaint.refresh_from_db()
    suggestion.refresh_from_db()
    assert complaint.status == Status.ACCEPTED and suggestion.outcome == "suggested"


def test_an_unmatched_complaint_waits_for_the_agent_as_before(
    tms, make_complaint, default_rules, now
):
    tms.add("SF1301", journey_events("SF1301", now - hours(40), plot="stuck_at_hub"))
    complaint = make_complaint(tracking_no="SF1301", category="delay")
    pull.run_due(now=now)
    complaint.refresh_from_db()
    assert complaint.status == Status.ACCEPTED and complaint.unit_id is None
    assert RoutingDecision.objects.get(complaint=complaint).outcome == "unmatched"
    # Stuck at the second hub (not a unit of the complaint system) for 20 h < 24 h: no flag yet.
    assert _fact_rows(complaint) == []


def test_a_complaint_with_a_unit_chosen_at_intake_is_not_routed(
    tms, make_complaint, default_rules, now
):
    tms.add("SF1302", journey_events("SF1302", now - hours(40), plot="signed_without_delivery"))
    complaint = make_complaint(tracking_no="SF1302", category="misdelivery", unit_code="B")
    pull.run_due(now=now)
    complaint.refresh_from_db()
    assert complaint.unit.code == "B" and complaint.status == Status.ACCEPTED
    assert not RoutingDecision.objects.filter(complaint=complaint).exists()


def test_a_flag_is_audited_once_and_again_when_it_clears(push, make_complaint, now):
    complaint = make_complaint(tracking_no="SF1401", category="delay", at=now - hours(1))
    push({"events": [event("SF1401", now - hours(30), "到达", "HUB", unit_name="测试转运中心")]})
    journey.evaluate(complaint.pk, now=now)
    journey.evaluate(complaint.pk, now=now + hours(1))  # the same fact read again: no new row
    assert _fact_rows(complaint) == [("system", "stuck", "raised")]
    stuck = JourneyFact.objects.get(complaint=complaint, kind="stuck")
    assert (stuck.unit_name, stuck.active) == ("测试转运中心", True)

    push({"events": [event("SF1401", now + hours(1), "发往", "HUB")]})  # it moves again
    journey.evaluate(complaint.pk, now=now + hours(1))
    assert _fact_rows(complaint)[-1] == ("system", "stuck", "cleared")
    assert not JourneyFact.objects.get(complaint=complaint, kind="stuck").active


def test_the_sweep_finds_a_parcel_gone_quiet_without_any_new_scan(push, make_complaint, now):
    complaint = make_complaint(tracking_no="SF1501", category="delay", at=now - hours(1))
    push({"events": [event("SF1501", now - hours(10), "到达", "HUB")]})
    assert sweep_stuck(now=now) == 0  # quiet 10 h: below every threshold
    assert sweep_stuck(now=now + hours(20)) == 1
    assert _fact_rows(complaint) == [("system", "stuck", "raised")]


def test_a_closed_complaint_is_not_touched(push, make_complaint, now, alice):
    complaint = make_complaint(tracking_no="SF1601", category="delay")
    from complaints import services

    services.complaint_withdraw(complaint=complaint, by=alice, reason="客户撤诉", now=now)
    push({"events": [event("SF1601", now - hours(60), "到达", "HUB")]})
    assert _fact_rows(complaint) == []


def test_the_customer_view_of_a_scan_hides_the_courier(now):
    from tracking.journey_rules import Scan

    scan = Scan(
        at=now,
        type="deliver",
        operator="测试派送员",
        detail="测试派送员正在派送，电话 13900000002",
        unit_name="网点甲",
    )
    shown = journey.scan_json(scan, for_customer=True)
    assert "operator" not in shown
    assert "测试派送员" not in shown["text"] and "13900000002" not in shown["text"]
    assert "139****0002" in shown["text"]
    assert journey.scan_json(scan)["operator"] == "测试派送员"  # staff see who


def test_the_dispatch_by_the_routing_owes_no_second_pull(tms, make_complaint, default_rules, now):
    tms.add("SF1701", journey_events("SF1701", now - hours(40), plot="signed_without_delivery"))
    make_complaint(tracking_no="SF1701", category="misdelivery")
    pull.run_due(now=now)
    from tracking.models import PullJob

    assert not PullJob.objects.filter(waybill="SF1701", status="pending").exists()
    assert pull.run_due(now=now + timedelta(minutes=1))["pulled"] == 0
