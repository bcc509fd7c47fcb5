"""What the soak and the fault scenarios share: the data they need and the consistency checks.

Django runs in this (orchestrating) process too, against the stack's database, to set up the
people and policies and to compare the generator's log with what was stored. The checks:

- acknowledged == stored: every ticket number a client got with a 201 is in the database
  exactly once, with its one `create` audit row (nothing half-stored); complaints stored
  without an acknowledgement (the client saw an error or a cut connection) are counted;
- audit rows == transitions: per staff action, the audit rows of this run's complaints equal
  the 2xx answers the staff clients got;
- notifications exactly once: the outbox drains (nothing pending, sending or failed), and the
  delivery ids the receiver got are exactly those of the SMS / webhook rows marked sent;
  an id received twice (a worker killed between the gateway's 200 and the UPDATE) is counted;
- SLA events exactly once: no (complaint, timer, kind, level) twice, and every complaint whose
  first-response timer ran out while still untouched has its warning and its breach.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.reliability.stack import ROOT, VENV_BIN, Proc, Stack

UNIT = "REL-BR1"
# In a description, makes the complaint urgent (a threat to go to the media, seed 001 §(二)4).
URGENT_PHRASE = "要向媒体曝光"


@dataclass
class Tokens:
    agent: str
    branch: str
    partner: str


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    checks: list[CheckResult] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(CheckResult(name, ok, detail))
        print(f"  [{'PASS' if ok else 'FAIL'}] {name}: {detail}", flush=True)
        return ok

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def django_setup(stack: Stack) -> None:
    os.environ.update(stack.env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(stack: Stack, *, first_response_hours: float) -> Tokens:
    """Schema, a small organisation, staff with tokens, a partner webhook, short SLA timers."""
    stack.manage("migrate", "--noinput", "-v", "0")
    django_setup(stack)
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from complaints.models import Phrase, Role, StaffProfile, Unit
    from escalation.models import SlaPolicy
    from kernel.models import WebhookEndpoint

    user_model = get_user_model()
    company = Unit.objects.create(code="REL-C", name="可靠性测试快递公司", kind="company")
    region = Unit.objects.create(code="REL-R", name="测试区域", kind="region", parent=company)
    branch_unit = Unit.objects.create(code=UNIT, name="测试网点一", kind="branch", parent=region)

    def person(username, role, unit=None, phone=""):
        # No e-mail address: staff hear in the app (and by SMS when urgent or breached).
        user = user_model.objects.create_user(username)
        StaffProfile.objects.create(user=user, role=role, unit=unit, phone=phone)
        return Token.objects.create(user=user).key

    agent = person("rel-agent", Role.AGENT)
    branch = person("rel-branch", Role.BRANCH, branch_unit, "19900000001")
    person("rel-supervisor", Role.SUPERVISOR, company, "19900000002")
    partner = person("rel-partner", Role.PARTNER)
    WebhookEndpoint.objects.create(
        partner=user_model.objects.get(username="rel-partner"),
        url=f"{stack.receiver_url}/webhook",
        secret="reliability-webhook-secret",
        events=["complaint.accepted", "complaint.answered", "complaint.closed"],
    )
    # Short timers, so warnings, breaches and escalations fire during a run of minutes (the
    # production defaults are 24 h and more): same engine, same sweep, compressed clock.
    hours = Decimal(str(first_response_hours))
    # Short timers for urgent complaints only (the generator makes every n-th one urgent with
    # this threat phrase); general complaints keep the production timers, so the message volume
    # stays what a day of real traffic would cause instead of five messages per complaint.
    Phrase.objects.get_or_create(kind="urgent_threat", text=URGENT_PHRASE)
    SlaPolicy.objects.filter(is_active=True, priority="urgent").update(
        clock_type="calendar_hours",
        first_response_hours=hours,
        resolution_hours=hours * 4,
        follow_up_hours=hours * 8,
    )
    return Tokens(agent=agent, branch=branch, partner=partner)


def run_load(
    stack: Stack,
    tokens: Tokens,
    *,
    run: str,
    rate: float,
    seconds: float,
    log: Path,
    offset: int = 0,
    staff_rate: float = 2.0,
    urgent_every: int = 10,
) -> subprocess.Popen:
    """Start the generator as its own process (it keeps its schedule while we break things)."""
    popen = subprocess.Popen(
        [
            str(VENV_BIN / "python"),
            "-m",
            "benchmarks.reliability.load",
            "--base",
            stack.base_url,
            "--rate",
            str(rate),
            "--seconds",
            str(seconds),
            "--run",
            run,
            "--offset",
            str(offset),
            "--log",
            str(log),
            "--agent-token",
            tokens.agent,
            "--branch-token",
            tokens.branch,
            "--partner-token",
            tokens.partner,
            "--partner-every",
            "10",
            "--unit",
            UNIT,
            "--staff-rate",
            str(staff_rate),
            "--urgent-every",
            str(urgent_every),
            "--urgent-phrase",
            URGENT_PHRASE,
        ],
        cwd=ROOT,
        start_new_session=True,
    )
    # Registered with the stack, so it is stopped with everything else on any exit.
    stack.procs[f"load-{run}"] = Proc(f"load-{run}", popen, log)
    return popen


def read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def summarize(records: list[dict], seconds: float) -> dict:
    """Throughput, latency percentiles of 2xx submissions and answers by status."""
    submits = [r for r in records if r["kind"] == "submit"]
    ok = sorted(r["ms"] for r in submits if r["status"] == 201)

    def pct(p):
        return round(ok[min(int(p / 100 * len(ok)), len(ok) - 1)], 1) if ok else None

    by_kind: dict[str, Counter] = {}
    for r in records:
        by_kind.setdefault(r["kind"], Counter())[str(r["status"])] += 1
    # Per minute (by answer time): how the run went over time, not only on the whole.
    per_minute = []
    if submits:
        t0 = min(r["t"] for r in submits)
        buckets: dict[int, list[dict]] = {}
        for r in submits:
            buckets.setdefault(int((r["t"] - t0) // 60), []).append(r)
        for minute in sorted(buckets):
            rows = buckets[minute]
            good = sorted(r["ms"] for r in rows if r["status"] == 201)
            per_minute.append(
                {
                    "minute": minute + 1,
                    "ok": len(good),
                    "failed": len(rows) - len(good),
                    "p50_ms": round(good[len(good) // 2], 1) if good else None,
                    "p99_ms": round(good[min(int(0.99 * len(good)), len(good) - 1)], 1)
                    if good
                    else None,
                }
            )
    return {
        "per_minute": per_minute,
        "submissions": len(submits),
        "acknowledged": len(ok),
        "throughput_per_s": round(len(ok) / seconds, 1) if seconds else None,
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "statuses": {k: dict(v) for k, v in by_kind.items()},
    }


def server_errors(records: list[dict], *, allow_503: bool) -> Counter:
    """5xx answers that are failures: a 503 counts unless allowed *and* in the one error shape
    with a Retry-After header."""
    bad: Counter = Counter()
    for r in records:
        status = r["status"]
        if not isinstance(status, int) or status < 500:
            continue
        clean = status == 503 and r.get("shape_ok") and r.get("retry_after")
        if not (allow_503 and clean):
            bad[f"{r['kind']} {status} {r.get('code')}"] += 1
    return bad


def outbox_backlog() -> int:
    from django.db import close_old_connections
    from django.utils import timezone

    from kernel.models import Notification

    close_old_connections()
    return Notification.objects.filter(
        status__in=["pending", "sending"], next_attempt_at__lte=timezone.now()
    ).count()


def quiesce(stack: Stack, *, timeout: float) -> tuple[bool, list[str]]:
    """Catch up, then stop beat(s) and worker(s), so nothing changes while the checks read.

    (With the sweep still running, an escalation due a second after the check began would
    create a message between two of its queries.) Returns (caught up, names stopped).
    """
    drained = wait_drained(timeout=timeout, run_prefixes=[])
    beats = [n for n in stack.procs if n.startswith("beat")]
    workers = [n for n in stack.procs if n.startswith("worker")]
    for name in beats:
        stack.kill(name)
    # Let the workers finish what the last beat tick queued.
    quiet = 0
    deadline = time.monotonic() + 60
    while quiet < 3 and time.monotonic() < deadline:
        time.sleep(1)
        quiet = quiet + 1 if outbox_backlog() == 0 else 0
    for name in workers:
        stack.kill(name)
    return drained, beats + workers


def wait_web_idle(*, quiet_seconds: float = 5, timeout: float = 120) -> None:
    """Wait until no complaint has been stored for `quiet_seconds`: requests still queued at
    the server when the load stopped (their clients gone) are served and write messages too."""
    from django.db import close_old_connections

    from complaints.models import Complaint

    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        close_old_connections()
        newest = Complaint.objects.order_by("-id").values_list("id", flat=True).first()
        if newest != last:
            last, since = newest, time.monotonic()
        elif time.monotonic() - since >= quiet_seconds:
            return
        time.sleep(1)


def wait_drained(*, timeout: float, run_prefixes: list[str]) -> bool:
    """Wait until the outbox has nothing due left and the sweep has nothing overdue."""
    from django.db import close_old_connections, connection
    from django.utils import timezone

    from complaints.models import Complaint
    from kernel.models import Notification

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            close_old_connections()
            now = timezone.now()
            # Retries waiting out their back-off count too: "caught up" means every message
            # has its final state, not only the ones due this second.
            pending = Notification.objects.filter(status__in=["pending", "sending"]).count()
            unswept = Complaint.objects.filter(sla_next_check__lt=now - grace()).count()
            if pending == 0 and unswept == 0:
                return True
        except Exception:  # the database may be coming back
            connection.close()
        time.sleep(2)
    return False


def grace():
    from datetime import timedelta

    # One sweep interval plus the sweep's own run time.
    return timedelta(seconds=float(os.environ.get("SLA_SWEEP_SECONDS", "5")) * 3 + 10)


def consistency(
    report: Report,
    records: list[dict],
    *,
    run_prefixes: list[str],
    deliveries: Path,
    allow_redelivery: bool = False,
) -> None:
    from django.db import close_old_connections
    from django.db.models import Count, Exists, OuterRef, Q
    from django.utils import timezone

    from complaints.models import Complaint, ComplaintTransition
    from escalation.models import SlaEvent
    from kernel.models import Notification

    close_old_connections()
    prefix_q = Q()
    for p in run_prefixes:
        prefix_q |= Q(tracking_no__startswith=p)
    stored = Complaint.objects.filter(prefix_q)

    # 1. Acknowledged == stored, exactly once.
    acked = [r["ticket_no"] for r in records if r["kind"] == "submit" and r["status"] == 201]
    acked_tracking = {
        r["tracking_no"] for r in records if r["kind"] == "submit" and r["status"] == 201
    }
    stored_tickets = dict(stored.values_list("ticket_no", "tracking_no"))
    per_tracking = Counter(stored_tickets.values())
    missing = [t for t in acked if t not in stored_tickets]
    doubled = [n for n, c in per_tracking.items() if c > 1]
    dup_acks = [t for t, c in Counter(acked).items() if c > 1]
    unacked = [t for t, n in stored_tickets.items() if n not in acked_tracking]
    failed_submits = sum(
        1 for r in records if r["kind"] == "submit" and r["status"] not in (201, 400)
    )
    report.check(
        "acknowledged == stored exactly once",
        not missing and not doubled and not dup_acks and len(unacked) <= failed_submits,
        f"{len(acked)} acknowledged, {len(missing)} missing, {len(doubled)} stored twice, "
        f"{len(unacked)} stored without a 201 (of {failed_submits} requests that got an error "
        "or a cut connection)",
    )

    # 2. Nothing half-stored: each complaint has exactly one `create` audit row; audit rows of
    # each staff action == the 2xx answers staff got.
    creates = Counter(
        ComplaintTransition.objects.filter(complaint__in=stored, transition="create").values_list(
            "complaint_id", flat=True
        )
    )
    bad_create = stored.count() - sum(1 for c in creates.values() if c == 1)
    # Staff act on whichever complaints their list shows (earlier runs' too), and only these
    # clients act: compare within the time window of this run's log.
    actions = ("dispatch", "contact", "reply")
    answered = Counter(
        r["kind"] for r in records if r["kind"] in actions and r["status"] in (200, 201)
    )
    times = [r["t"] for r in records]
    audited = {}
    if times:
        start = datetime.fromtimestamp(min(times) - 20, tz=UTC)
        end = datetime.fromtimestamp(max(times) + 1, tz=UTC)
        audited = dict(
            ComplaintTransition.objects.filter(transition__in=actions, at__gte=start, at__lte=end)
            .values_list("transition")
            .annotate(n=Count("id"))
        )
    # An action whose client timed out or was cut off may still have been done (the server
    # finished after the client gave up): allowed up to the number of such requests.
    unanswered = Counter(
        r["kind"] for r in records if r["kind"] in actions and not isinstance(r["status"], int)
    )
    mismatched = {
        a: (answered.get(a, 0), audited.get(a, 0))
        for a in actions
        if not 0 <= audited.get(a, 0) - answered.get(a, 0) <= unanswered.get(a, 0)
    }
    report.check(
        "audit rows == transitions",
        bad_create == 0 and not mismatched,
        f"{stored.count()} complaints, {bad_create} without exactly one create row; "
        + ", ".join(
            f"{a} {answered.get(a, 0)} answered/{audited.get(a, 0)} audited"
            + (f" ({unanswered[a]} unanswered)" if unanswered.get(a) else "")
            for a in actions
        ),
    )

    # 3. Notifications of this run's complaints: drained, and each SMS / webhook delivered
    # (by delivery id) once. Ids the receiver got that no outbox row has are "unknown".
    mine = Notification.objects.filter(complaint_id__in=stored.values("id"))
    states = dict(mine.values_list("status").annotate(n=Count("id")))
    stuck = states.get("pending", 0) + states.get("sending", 0)
    failed = states.get("failed", 0)
    run_ids = {
        str(i): st
        for i, st in mine.filter(channel__in=["sms", "webhook"]).values_list(
            "delivery_id", "status"
        )
    }
    sent_ids = {i for i, st in run_ids.items() if st == "sent"}
    received_all: Counter = Counter()
    if deliveries.exists():
        with open(deliveries, encoding="utf-8") as f:
            received_all = Counter(json.loads(line)["id"] for line in f if line.strip())
    known = {str(i) for i in Notification.objects.values_list("delivery_id", flat=True)}
    received = Counter({i: c for i, c in received_all.items() if i in run_ids})
    never = sent_ids - set(received)
    unknown = set(received_all) - known
    twice = {i: c for i, c in received.items() if c > 1}
    report.check(
        "each notification sent exactly once",
        stuck == 0
        and failed == 0
        and not never
        and not unknown
        and set(received) <= sent_ids
        and (allow_redelivery or not twice),
        f"outbox {dict(states)}; {len(sent_ids)} SMS/webhooks sent, {sum(received.values())} "
        f"received ({len(received)} distinct ids), {len(never)} never arrived, "
        f"{len(unknown)} unknown, {len(twice)} ids redelivered"
        + (" (allowed here: at-least-once + delivery id)" if twice and allow_redelivery else ""),
    )

    # 4. SLA events exactly once, none missed.
    dup_events = (
        SlaEvent.objects.values("complaint_id", "timer", "kind", "level")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    cutoff = timezone.now() - grace()
    untouched = stored.filter(
        priority="urgent",
        status="accepted",
        first_response_at__isnull=True,
        first_response_due__lt=cutoff,
        paused_at__isnull=True,
    )
    missed = 0
    for kind in ("warning", "breach"):
        fired = SlaEvent.objects.filter(
            complaint_id=OuterRef("pk"), timer="first_response", kind=kind
        )
        missed += untouched.exclude(Exists(fired)).count()
    total_events = SlaEvent.objects.filter(complaint__in=stored).count()
    report.check(
        "each SLA event fired exactly once",
        dup_events == 0 and missed == 0 and (total_events > 0 or not untouched.exists()),
        f"{total_events} events, {dup_events} duplicated, {missed} missing "
        f"(over {untouched.count()} complaints past their first-response deadline)",
    )
