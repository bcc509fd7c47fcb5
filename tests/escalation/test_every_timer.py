# ruff: noqa: E501  (the table: one event per line)
"""Every timer × every event kind, through the beat's own sweep tasks, exactly once.

One row per event: the timer, the kind (and escalation level), the setup that leaves that timer
running, the instant it must fire — a literal, worked out from SPEC §4–§6 and the default
policies (normal: 24 h / 72 h / 24 h, warning at 80 %, level 1 two hours and level 2 a day
after the breach; urgent: 2 h, level 1 after 30 minutes; claims: 48 h / 72 h; appeals: report
10 days, regulator 30 days, mediation 3 working days, due-soon leads 48 h / 72 h / 24 h) —
and who hears of it on which channel.

Each row runs with frozen time: both beat tasks (the SLA sweep, which also sweeps the claim
timers, and the appeal-deadline sweep) one second before the instant (nothing may fire), then
twice at the instant; the outbox is delivered twice. It asserts one event (or reminder), one
set of messages to exactly the expected people, each delivered once.

The people: bob works at branch A (phone: SMS for what cannot wait), alice took the complaint
(its owner, 首问责任人; e-mail), hank heads branch A (a manager account with e-mail), sam is
the supervisor (e-mail and phone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model

from compensation import services as claim_services
from compensation.amounts import ClaimFacts, Incident, Service
from complaints import services
from complaints.models import StaffProfile
from escalation import tasks as sla_tasks
from escalation.models import SlaEvent
from kernel.models import Notice, Notification
from kernel.outbox.delivery import outbox_deliver_due
from regulators import services as appeal_services
from regulators import tasks as appeal_tasks
from regulators.models import AppealReminder
from tests.conftest import GOOD_REPLY, NOW, new_complaint


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# T0 = NOW = 2026-11-16 02:00 UTC, Monday 10:00 in Shanghai: every setup starts then.
H = timedelta(hours=1)


@dataclass(frozen=True)
class Row:
    setup: str
    timer: str  # an SLA timer, or an appeal deadline
    kind: str  # an SLA event kind, or a reminder stage
    level: int
    fires: datetime  # UTC
    template: str
    heard_by: frozenset[tuple[str, str]]  # (person, channel)


def row(setup, timer, kind, level, fires, template, *heard_by):
    return Row(setup, timer, kind, level, at(fires), template, frozenset(heard_by))


BOB = (("bob", "in_app"), ("bob", "sms"))
ALICE = (("alice", "in_app"), ("alice", "email"))
HANK = (("hank", "in_app"), ("hank", "email"))
SAM = (("sam", "in_app"), ("sam", "email"), ("sam", "sms"))
SAM_QUIET = (("sam", "in_app"), ("sam", "email"))

# fmt: off
ROWS = {
    # Open, nobody reached yet: the first response (24 h) runs. Warning at 80 % = 19 h 12 min.
    "first response warning":       row("open", "first_response", "warning", 0, "2026-11-16 21:12", "staff_warning", ("bob", "in_app")),
    "first response breach":        row("open", "first_response", "breach", 0, "2026-11-17 02:00", "staff_breach", *BOB, *ALICE),
    "first response escalation 1":  row("open", "first_response", "escalation", 1, "2026-11-17 04:00", "staff_escalation", *HANK),
    "first response escalation 2":  row("open", "first_response", "escalation", 2, "2026-11-18 02:00", "staff_escalation", *SAM),
    # Urgent (重大紧急): 2 h, warning at 1 h 36 min, level 1 thirty minutes after the breach.
    "urgent first response warning":      row("urgent", "first_response", "warning", 0, "2026-11-16 03:36", "staff_warning", ("bob", "in_app")),
    "urgent first response escalation 1": row("urgent", "first_response", "escalation", 1, "2026-11-16 04:30", "staff_escalation", *HANK),
    # Customer reached at T0 + 1 h: the resolution (72 h) still runs. Warning at 57 h 36 min.
    "resolution warning":           row("reached", "resolution", "warning", 0, "2026-11-18 11:36", "staff_warning", ("bob", "in_app")),
    "resolution breach":            row("reached", "resolution", "breach", 0, "2026-11-19 02:00", "staff_breach", *BOB, *ALICE),
    "resolution escalation 1":      row("reached", "resolution", "escalation", 1, "2026-11-19 04:00", "staff_escalation", *HANK),
    "resolution escalation 2":      row("reached", "resolution", "escalation", 2, "2026-11-20 02:00", "staff_escalation", *SAM),
    # Replied at T0 + 1 h: the follow-up call (24 h from the reply) is the owner's.
    "follow-up warning":            row("answered", "follow_up", "warning", 0, "2026-11-16 22:12", "staff_warning", ("alice", "in_app"), ("alice", "email")),
    "follow-up breach":             row("answered", "follow_up", "breach", 0, "2026-11-17 03:00", "staff_breach", *ALICE),
    "follow-up escalation 1":       row("answered", "follow_up", "escalation", 1, "2026-11-17 05:00", "staff_escalation", *HANK),
    "follow-up escalation 2":       row("answered", "follow_up", "escalation", 2, "2026-11-18 03:00", "staff_escalation", *SAM),
    # Reached and paused at T0 + 1 h: only the statutory 7 days run. Accepted Monday 16 Nov;
    # the day of acceptance does not count: due at the end of Monday 23 Nov (Shanghai) =
    # 16:00 UTC; the 12305 risk a day earlier.
    "statutory 12305 risk":         row("paused", "statutory", "statutory_risk", 0, "2026-11-22 16:00", "staff_statutory_risk", *BOB, *ALICE),
    "statutory breach":             row("paused", "statutory", "breach", 0, "2026-11-23 16:00", "staff_breach", *BOB, *ALICE),
    "statutory escalation 1":       row("paused", "statutory", "escalation", 1, "2026-11-23 18:00", "staff_escalation", *HANK),
    "statutory escalation 2":       row("paused", "statutory", "escalation", 2, "2026-11-24 16:00", "staff_escalation", *SAM),
    # Claims (seed 003), proposed at T0: a loss is settled within 72 h, damage assessed within
    # 48 h; the unit head and the supervisors hear, never by SMS.
    "claim settlement warning":     row("loss claim", "claim_settlement", "warning", 0, "2026-11-18 11:36", "staff_claim_warning", *HANK, *SAM_QUIET),
    "claim settlement breach":      row("loss claim", "claim_settlement", "breach", 0, "2026-11-19 02:00", "staff_claim_breach", *HANK, *SAM_QUIET),
    "claim assessment warning":     row("damage claim", "claim_assessment", "warning", 0, "2026-11-17 16:24", "staff_claim_warning", *HANK, *SAM_QUIET),
    "claim assessment breach":      row("damage claim", "claim_assessment", "breach", 0, "2026-11-18 02:00", "staff_claim_breach", *HANK, *SAM_QUIET),
    # A dispute of a fault ruling (issue 22), filed by branch A at T0 + 1 h (Monday 11:00 in
    # Shanghai): decided within 3 working days → end of Thursday 19 Nov; warning at 80 % of the
    # 85 h span = 68 h. The unit head and the supervisors hear, never by SMS.
    "dispute decision warning":     row("dispute", "dispute_decision", "warning", 0, "2026-11-18 23:00", "staff_dispute_warning", *HANK, *SAM_QUIET),
    "dispute decision breach":      row("dispute", "dispute_decision", "breach", 0, "2026-11-19 16:00", "staff_dispute_breach", *HANK, *SAM_QUIET),
    # Appeals received at T0. The report: 10 days → end of Thursday 26 Nov; the regulator's
    # answer: 30 days → end of Wednesday 16 Dec; supervisors hear, by SMS once overdue.
    "appeal report due soon":       row("appeal", "company_report", "due_soon", 0, "2026-11-24 16:00", "staff_appeal_due_soon", *SAM_QUIET),
    "appeal report overdue":        row("appeal", "company_report", "overdue", 0, "2026-11-26 16:00", "staff_appeal_overdue", *SAM),
    "regulator answer due soon":    row("appeal", "regulator_reply", "due_soon", 0, "2026-12-13 16:00", "staff_appeal_due_soon", *SAM_QUIET),
    "regulator answer overdue":     row("appeal", "regulator_reply", "overdue", 0, "2026-12-16 16:00", "staff_appeal_overdue", *SAM),
    # A mediation proposed at T0 (Monday): 3 working days, the day itself not counted → end of
    # Thursday 19 Nov.
    "mediation answer due soon":    row("mediation", "mediation_feedback", "due_soon", 0, "2026-11-18 16:00", "staff_appeal_due_soon", *SAM_QUIET),
    "mediation answer overdue":     row("mediation", "mediation_feedback", "overdue", 0, "2026-11-19 16:00", "staff_appeal_overdue", *SAM),
}
# fmt: on
APPEAL_DEADLINES = {"company_report", "regulator_reply", "mediation_feedback"}


@pytest.fixture
def people(org, alice, bob, sam):
    hank = get_user_model().objects.create_user(username="hank", email="hank@example.invalid")
    org["a"].head = hank
    org["a"].save()
    alice.email = "alice@example.invalid"
    alice.save()
    sam.email = "sam@example.invalid"
    sam.save()
    StaffProfile.objects.filter(user=bob).update(phone="13900000001")
    StaffProfile.objects.filter(user=sam).update(phone="13900000002")
    return {"alice": alice, "bob": bob, "sam": sam, "hank": hank}


LOSS = ClaimFacts(
    service=Service.POSTAL_REGISTERED,
    incident=Incident.LOSS,
    insured=False,
    freight=Decimal("20.00"),
    actual_loss=Decimal("500.00"),
    limit_clause_shown=True,
)
DAMAGE = ClaimFacts(
    service=Service.POSTAL_REGISTERED,
    incident=Incident.PARTIAL_DAMAGE,
    insured=False,
    freight=Decimal("20.00"),
    full_value=Decimal("1000.00"),
    actual_loss=Decimal("100.00"),
    limit_clause_shown=True,
)


def _appeal(*, sam, now):
    return appeal_services.appeal_register(
        data=appeal_services.NewAppeal(
            case_no="SG2026110077",
            received_at=now,
            regulator_received_on=now.date(),
            province="GD",
            appellant_name="测试客户",
            appellant_phone="13800000077",
            facts="快件丢失，向企业投诉后未获处理。",
            request="要求赔偿。",
            ticket_no="",
            tracking_no="SF7700000077",
            category="loss",
            party="recipient",
        ),
        by=sam,
        now=now,
    )


def _dispute(complaint, *, bob, sam, now):
    """Branch A answers, the supervisor rules it at fault (the seeded example rule version),
    branch A disputes with a photo: the decision timer runs from `now`."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from rulings import services as rulings

    services.complaint_reply(complaint=complaint, by=bob, reply=GOOD_REPLY, now=now)
    ruling = rulings.ruling_record(
        complaint=complaint,
        by=sam,
        data=rulings.RulingInput(
            verdict="at_fault",
            stage="delivery",
            unit_id=complaint.unit_id,
            reason="派送延误属实。",
            reply_ids=tuple(complaint.replies.values_list("pk", flat=True)),
        ),
        now=now,
    )
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "gray").save(image, "JPEG")
    upload = SimpleUploadedFile("底单.jpg", image.getvalue(), content_type="image/jpeg")
    return rulings.dispute_file(
        ruling=ruling, by=bob, reason="客户本人签收。", uploads=[upload], now=now
    )


def set_up(name: str, *, org, people):
    """Leave the timer of `name` running from T0; return the complaint, claim or appeal."""
    alice, bob, sam = people["alice"], people["bob"], people["sam"]
    if name in ("appeal", "mediation"):
        appeal = _appeal(sam=sam, now=NOW)
        if name == "mediation":
            appeal = appeal_services.appeal_send_report(
                appeal=appeal, by=sam, via="监管申诉系统", now=NOW
            )
            appeal = appeal_services.appeal_record_mediation_proposal(
                appeal=appeal, by=sam, proposal="建议按实际损失赔偿。", now=NOW
            )
        return appeal
    complaint, _code = services.complaint_create(
        data=new_complaint(unit_code="A"), by=alice, now=NOW
    )
    later = NOW + H
    if name == "urgent":
        services.complaint_set_priority(
            complaint=complaint, by=alice, priority="urgent", reason="大客户", now=NOW
        )
    elif name in ("reached", "paused"):
        services.complaint_log_contact(
            complaint=complaint, by=bob, method="phone", summary="已联系客户", now=later
        )
        if name == "paused":
            services.complaint_pause(complaint=complaint, by=bob, reason="等待客户照片", now=later)
    elif name in ("answered", "loss claim", "damage claim", "dispute"):
        complaint = services.complaint_dispatch(
            complaint=complaint, unit=org["a"], by=alice, now=NOW
        )
        if name == "answered":
            services.complaint_reply(complaint=complaint, by=bob, reply=GOOD_REPLY, now=later)
        elif name == "dispute":
            return _dispute(complaint, bob=bob, sam=sam, now=later)
        else:
            facts = LOSS if name == "loss claim" else DAMAGE
            return claim_services.claim_propose(complaint=complaint, by=bob, facts=facts, now=NOW)
    else:
        assert name == "open", name
    return complaint


def sweep_at(moment: datetime) -> None:
    """What beat runs: the SLA sweep (complaints and claims) and the appeal-deadline sweep."""
    with time_machine.travel(moment, tick=False):
        sla_tasks.sla_sweep()
        appeal_tasks.sweep_appeal_deadlines()


def fired(row: Row, subject) -> list:
    """The events (or reminders) of the row's timer and kind that exist for this subject."""
    if row.timer in APPEAL_DEADLINES:
        return list(AppealReminder.objects.filter(appeal=subject, kind=row.timer, stage=row.kind))
    events = SlaEvent.objects.filter(timer=row.timer, kind=row.kind, level=row.level)
    if row.timer.startswith("claim_") or row.timer == "dispute_decision":
        return list(events.filter(record_id=subject.pk))
    return list(events.filter(complaint_id=subject.pk))


def messages(row: Row, event) -> list[Notification]:
    if row.timer in APPEAL_DEADLINES:
        rows = Notification.objects.filter(topic=f"appeal-reminder:{event.pk}")
    else:
        rows = Notification.objects.filter(event_id=event.pk)
    return list(rows.select_related("user").order_by("id"))


@pytest.mark.parametrize("name", list(ROWS))
def test_it_fires_each_event_once_at_its_instant(name, org, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the dispute's photo
    row = ROWS[name]
    subject = set_up(row.setup, org=org, people=people)

    sweep_at(row.fires - timedelta(seconds=1))
    assert fired(row, subject) == [], "fired before its instant"

    sweep_at(row.fires)
    sweep_at(row.fires)  # beat again (or a second beat): nothing new
    events = fired(row, subject)
    assert len(events) == 1
    sent = messages(row, events[0])
    assert {(m.user.username, m.channel) for m in sent} == row.heard_by
    assert len(sent) == len(row.heard_by)  # one message per person and channel, no repeat
    assert {m.template for m in sent} == {row.template}

    with time_machine.travel(row.fires, tick=False):
        outbox_deliver_due(now=row.fires)
        outbox_deliver_due(now=row.fires)
    for message in sent:
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("sent", 1), message.channel
    in_app = [m for m in sent if m.channel == "in_app"]
    assert Notice.objects.filter(notification__in=in_app).count() == len(in_app)
    # Delivered once: a second delivery run finds nothing of this event's left to send.
    assert Notice.objects.filter(notification__in=sent).count() == len(in_app)


def test_it_has_a_row_for_every_timer_and_kind():
    """Every timer of the SLA engine × every kind it raises, and every appeal deadline × stage."""
    from escalation.schedule import EventKind, TimerName
    from regulators.appeal_deadlines import DeadlineKind, ReminderStage

    sla = {(r.timer, r.kind) for r in ROWS.values() if r.timer not in APPEAL_DEADLINES}
    complaint_timers = {"first_response", "resolution", "follow_up"}
    expected = {(t, k) for t in complaint_timers for k in ("warning", "breach", "escalation")}
    expected |= {("statutory", k) for k in ("statutory_risk", "breach", "escalation")}
    expected |= {
        (t, k)
        for t in ("claim_settlement", "claim_assessment", "dispute_decision")
        for k in ("warning", "breach")
    }
    assert sla == expected
    assert {t.value for t in TimerName} == complaint_timers | {
        "statutory",
        "claim_settlement",
        "claim_assessment",
        "dispute_decision",
    }
    assert {k.value for k in EventKind} == {k for _t, k in expected}
    appeals = {(r.timer, r.kind) for r in ROWS.values() if r.timer in APPEAL_DEADLINES}
    assert appeals == {(d.value, s.value) for d in DeadlineKind for s in ReminderStage}
