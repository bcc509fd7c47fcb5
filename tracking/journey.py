"""The journey on a complaint: its facts kept and audited, and 智能分单 at acceptance.

Runs after new scans are stored and from the 滞留 sweep, never inside a submission. See
docs/tracking.md, "Facts" and "智能分单".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import services
from complaints.models import (
    OPEN_STATES,
    ActorKind,
    Category,
    Complaint,
    Status,
    Unit,
)
from complaints.services import audit as trail
from kernel.errors import Conflict, DomainError, NotFound

from . import journey_rules, pull
from .models import (
    JourneyFact,
    PullJob,
    RoutingDecision,
    RoutingRule,
    ScanEvent,
    ScanType,
    Waybill,
)

log = logging.getLogger(__name__)

_DIGITS = re.compile(r"[0-9]{7,}")
FACT_EVENT = "journey_fact"  # the audit rows of facts (complaints.web.timeline labels it)
DEFAULT_STUCK_HOURS = 24


# --- Owing pulls when a complaint is accepted or dispatched -----------------------------------


def on_complaint_changed(sender, *, complaint, event, audit=None, **kwargs) -> None:
    """Owe a pull of the waybill at acceptance and at a dispatch by a person.

    At acceptance the pull job rides the submission's single write round trip; a dispatch by
    智能分单 itself follows a pull and owes none.
    """
    at = audit.at if audit is not None else None
    if event == "create":
        pull.request_pull(complaint.tracking_no, reason=PullJob.Reason.ACCEPTED, now=at)
    elif event in ("dispatch", "reassign") and (
        audit is None or audit.actor_kind != ActorKind.SYSTEM
    ):
        pull.request_pull(complaint.tracking_no, reason=PullJob.Reason.DISPATCHED, now=at)


# --- Reading the journey ------------------------------------------------------------------------


def scans_of(waybill: str) -> list[journey_rules.Scan]:
    """The waybill's scans, oldest first (one index range scan over its months)."""
    rows = ScanEvent.objects.filter(waybill=waybill).order_by("scanned_at", "id")
    return [row.as_scan() for row in rows]


def stuck_hours(service: str) -> int:
    return int(settings.TRACKING["STUCK_HOURS"].get(service, DEFAULT_STUCK_HOURS))


def facts_input(complaint: Complaint, waybill: Waybill | None) -> journey_rules.JourneyFacts:
    return journey_rules.JourneyFacts(
        # 误投/虚假签收: the customer says the parcel never reached them (seed 003 §4).
        signs_disputed=complaint.category == Category.MISDELIVERY,
        stuck_hours=stuck_hours(complaint.service),
        promised_at=waybill.promised_at if waybill else None,
    )


def current_facts(
    complaint: Complaint, scans: list[journey_rules.Scan], waybill: Waybill | None, *, now=None
) -> list[journey_rules.Fact]:
    """The facts the journey supports now (the page shows these; the stored flags are what
    was audited)."""
    return journey_rules.journey_facts(
        scans, now=now or timezone.now(), facts=facts_input(complaint, waybill)
    )


def scan_json(scan: journey_rules.Scan, *, for_customer: bool = False) -> dict:
    """A scan as the API, the audit trail and the templates show it."""
    label = str(ScanType(scan.type).label) if scan.type in ScanType.values else scan.type
    data = {
        "time": timezone.localtime(scan.at).isoformat(),
        "type": scan.type,
        "type_label": label,
        "unit_name": scan.unit_name,
        "text": scan.detail,
    }
    if for_customer:
        data["text"] = customer_text(scan)
        return data
    return {
        **data,
        "code": scan.code,
        "unit_code": scan.unit_code,
        "operator": scan.operator,
        "key": scan.key,
    }


def customer_text(scan: journey_rules.Scan) -> str:
    """The scan's text without the courier's name or phone: staff names stay inside."""
    from kernel.privacy import mask_phone

    text = scan.detail
    if scan.operator:
        text = text.replace(scan.operator, _("快递员"))
    # Any run of seven digits or more is taken for a phone number (a courier's, a signer's).
    return _DIGITS.sub(lambda m: mask_phone(m.group()), text)


def fact_text(fact: journey_rules.Fact | JourneyFact) -> str:
    """One line a clerk reads: what the journey shows, where."""
    unit = fact.unit_name or fact.unit_code or _("未知单位")
    if fact.kind == journey_rules.SUSPECTED_FALSE_SIGN:
        if fact.reason == journey_rules.NO_DELIVERY_SCAN:
            return _("疑似虚假签收：%(unit)s 签收前没有该网点的派件扫描，请核实签收人。") % {
                "unit": unit
            }
        return _(
            "疑似虚假签收：客户否认收到，轨迹显示 %(unit)s 已签收，请核实签收人与签收方式。"
        ) % {"unit": unit}
    if fact.kind == journey_rules.STUCK:
        return _("滞留：在 %(unit)s 已 %(hours)s 小时无扫描。") % {
            "unit": unit,
            "hours": fact.hours,
        }
    if fact.kind == journey_rules.LATE:
        return _("延误：超过承诺送达时间 %(hours)s 小时。") % {"hours": fact.hours}
    return _("最后经手单位：%(unit)s") % {"unit": unit}


# --- Evaluating a complaint ----------------------------------------------------------------------


def evaluate_waybills(waybills: Iterable[str], *, now: datetime | None = None) -> int:
    """Check the open complaints about these waybills; return how many were checked."""
    now = now or timezone.now()
    ids = list(
        Complaint.objects.filter(tracking_no__in=set(waybills), status__in=OPEN_STATES)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for complaint_id in ids:
        try:
            evaluate(complaint_id, now=now)
        except DomainError as exc:  # the complaint moved on meanwhile: the next scan retries
            log.info("journey check of complaint %s skipped: %s", complaint_id, exc.message)
    return len(ids)


@transaction.atomic
def evaluate(complaint_id: int, *, now: datetime) -> None:
    """Keep the complaint's journey facts and route it if it waits to be dispatched."""
    complaint = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
    if complaint is None or complaint.status not in OPEN_STATES:
        return
    scans = scans_of(complaint.tracking_no)
    waybill = Waybill.objects.filter(pk=complaint.tracking_no).first()
    facts = journey_rules.journey_facts(scans, now=now, facts=facts_input(complaint, waybill))
    _keep_flags(complaint, facts, now=now)
    if scans:
        _route(complaint, scans, facts, now=now)


def _audit(complaint: Complaint, *, now: datetime, reason: str, **details) -> None:
    """One row on the complaint's trail, by the system (listeners hear it as any change)."""
    trail.record(
        complaint, services.SYSTEM, FACT_EVENT, complaint.status, now=now, reason=reason, **details
    )


def _keep_flags(complaint: Complaint, facts: list[journey_rules.Fact], *, now: datetime) -> None:
    found = {f.kind: f for f in facts if f.kind in journey_rules.FLAGS}
    kept = {f.kind: f for f in JourneyFact.objects.filter(complaint=complaint)}
    for kind in journey_rules.FLAGS:
        fact, row = found.get(kind), kept.get(kind)
        if fact is None:
            if row is not None and row.active:
                row.active, row.updated_at = False, now
                row.save(update_fields=["active", "updated_at"])
                _audit(
                    complaint,
                    now=now,
                    reason=_("轨迹事实已解除：%(fact)s") % {"fact": row.get_kind_display()},
                    fact=kind,
                    change="cleared",
                )
            continue
        evidence = list(fact.evidence)
        scans = [scan_json(s) for s in fact.scans]
        changed = row is None or not row.active or row.evidence != evidence
        if row is None:
            row = JourneyFact(complaint=complaint, kind=kind, detected_at=now)
        row.active, row.reason, row.hours = True, fact.reason, fact.hours
        row.unit_code, row.unit_name = fact.unit_code, fact.unit_name
        row.scans, row.evidence, row.updated_at = scans, evidence, now
        row.save()
        if changed:
            _audit(
                complaint,
                now=now,
                reason=fact_text(fact),
                fact=kind,
                change="raised",
                fact_reason=fact.reason,
                unit=fact.unit_code,
                hours=fact.hours,
                scans=scans,
            )


# --- 智能分单 (routing) -----------------------------------------------------------------------


def routing_rules() -> list[journey_rules.RoutingRule]:
    return [
        r.as_rule() for r in RoutingRule.objects.filter(is_active=True).select_related("fixed_unit")
    ]


def _route(
    complaint: Complaint,
    scans: list[journey_rules.Scan],
    facts: list[journey_rules.Fact],
    *,
    now: datetime,
) -> None:
    decisions = RoutingDecision.objects.filter(complaint=complaint)
    if complaint.status != Status.ACCEPTED or complaint.unit_id is not None:
        # Dispatched by someone meanwhile: an open suggestion is moot.
        decisions.filter(outcome=RoutingDecision.Outcome.SUGGESTED).update(
            outcome=RoutingDecision.Outcome.STALE, resolved_at=now
        )
        return
    if decisions.exclude(outcome=RoutingDecision.Outcome.UNMATCHED).exists():
        return  # decided once (dispatched, suggested, or the agent chose otherwise)
    ruleset = routing_rules()
    codes = {s.unit_code for s in scans if s.unit_code} | {r.fixed_unit_code for r in ruleset}
    units = {u.code: u for u in Unit.objects.filter(code__in=codes - {""}, is_active=True)}
    found = journey_rules.route(
        ruleset,
        category=complaint.category,
        party=complaint.party,
        scans=scans,
        facts=facts,
        known_units=set(units),
    )
    if found.rule is None:
        RoutingDecision.objects.update_or_create(
            complaint=complaint,
            outcome=RoutingDecision.Outcome.UNMATCHED,
            defaults={"decided_at": now, "tried": list(found.tried)},
        )
        return
    unit = units[found.unit_code]
    decision = RoutingDecision(
        complaint=complaint,
        rule_id=found.rule.rule_id,
        rule_name=found.rule.name,
        unit=unit,
        scan=scan_json(found.scan) if found.scan else {},
        tried=list(found.tried),
        decided_at=now,
    )
    if found.rule.action == journey_rules.AUTO:
        services.complaint_dispatch(
            complaint=complaint,
            unit=unit,
            by=services.SYSTEM,
            reason=route_reason(decision),
            now=now,
        )
        decision.outcome = RoutingDecision.Outcome.DISPATCHED
    else:
        decision.outcome = RoutingDecision.Outcome.SUGGESTED
    decision.save()


def route_reason(decision: RoutingDecision) -> str:
    """The dispatch's reason on the audit trail: the rule and the scan it used."""
    scan = decision.scan
    if scan:
        moment = timezone.localtime(datetime.fromisoformat(scan["time"]))
        basis = _("%(time)s %(unit)s %(type)s扫描") % {
            "time": moment.strftime("%Y-%m-%d %H:%M"),
            "unit": scan.get("unit_name") or scan.get("unit_code"),
            "type": scan.get("type_label", ""),
        }
    else:
        basis = _("规则指定单位")
    return _("智能分单：规则「%(rule)s」，依据 %(basis)s") % {
        "rule": decision.rule_name,
        "basis": basis,
    }


@transaction.atomic
def suggestion_accept(*, decision_id: int, by, now: datetime | None = None) -> Complaint:
    """The agent accepts 智能分单's suggestion: dispatch to the suggested unit, as them."""
    now = now or timezone.now()
    decision = _open_suggestion(decision_id)
    complaint = services.complaint_dispatch(
        complaint=decision.complaint,
        unit=decision.unit,
        by=by,
        reason=_("采纳%(reason)s") % {"reason": route_reason(decision)},
        now=now,
    )
    decision.outcome = RoutingDecision.Outcome.ACCEPTED
    decision.resolved_by, decision.resolved_at = by, now
    decision.save(update_fields=["outcome", "resolved_by", "resolved_at"])
    return complaint


@transaction.atomic
def suggestion_dismiss(*, decision_id: int, by, now: datetime | None = None) -> None:
    """The agent will dispatch by hand: the suggestion is closed (the complaint stays)."""
    now = now or timezone.now()
    decision = _open_suggestion(decision_id)
    services.authorize(by, "dispatch_complaint", decision.complaint)
    decision.outcome = RoutingDecision.Outcome.DISMISSED
    decision.resolved_by, decision.resolved_at = by, now
    decision.save(update_fields=["outcome", "resolved_by", "resolved_at"])


def open_suggestions(complaint_ids: list[int]) -> dict[int, str]:
    """The unit each of these complaints has an open suggestion for (the 待下发 list's hint)."""
    return dict(
        RoutingDecision.objects.filter(
            complaint_id__in=complaint_ids, outcome=RoutingDecision.Outcome.SUGGESTED
        ).values_list("complaint_id", "unit__name")
    )


def _open_suggestion(decision_id: int) -> RoutingDecision:
    decision = (
        RoutingDecision.objects.select_for_update(of=("self",))
        .select_related("complaint", "unit")
        .filter(pk=decision_id)
        .first()
    )
    if decision is None:
        raise NotFound(_("分单建议不存在。"))
    if decision.outcome != RoutingDecision.Outcome.SUGGESTED:
        raise Conflict(
            _("该分单建议已处理（%(outcome)s），请刷新。")
            % {"outcome": decision.get_outcome_display()}
        )
    return decision
