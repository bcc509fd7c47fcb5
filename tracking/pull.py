"""Pulling a waybill's events from the TMS: owed in the writer's transaction, done by a worker.

Nothing in a web request ever waits on the TMS; jobs are leased, retried with backoff and held
behind a shared circuit breaker. See docs/tracking.md, "Two transports, one store".
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import time
from datetime import datetime, timedelta
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from kernel.db import inserts
from kernel.errors import DomainError

from . import ingest, journey_rules
from .models import BreakerState, PullJob, Source

log = logging.getLogger(__name__)

BREAKER = "tms"
LEASE = timedelta(minutes=2)  # far above one pull's timeouts
CHUNK = 20
RUN_BUDGET_SECONDS = 50  # the task's soft time limit is 60 s
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
MAX_ANSWER_BYTES = 2 * 1024 * 1024


class PullFailed(Exception):
    """The TMS did not answer usefully (down, slow, an error status, not JSON)."""


def _conf(key: str):
    return settings.TRACKING[key]


# --- Owing a pull ------------------------------------------------------------------------------


def request_pull(waybill: str, *, reason: str, now: datetime | None = None) -> None:
    """Owe a pull of this waybill (one pending per waybill) and kick a worker after commit."""
    now = now or timezone.now()
    job = PullJob(
        waybill=waybill,
        reason=reason,
        status=PullJob.Status.PENDING,
        attempts=0,
        next_attempt_at=now,
        last_error="",
        created_at=now,
    )
    # Inside the submission's inserts.batch() this rides its one write round trip.
    inserts.insert_ignoring_conflicts([job])
    if connection.in_atomic_block:
        transaction.on_commit(kick)
    else:
        kick()


_last_kick = float("-inf")
_last_later = float("-inf")


def kick() -> None:
    """Ask a worker to pull now; with the broker down the minute catch-up does it."""
    from django.core.cache import cache

    from .tasks import pull_due

    # At most one kick a second (and one more a second later) across processes, as the
    # outbox's kick: a run takes every due job. The later one catches what was owed during a
    # run that had already looked (an agent's lookup, then the submission a second after it).
    # Each process asks the shared cache for each slot at most once a second, not per
    # submission: a Redis round trip per request cost a tenth of a submission (issue 25).
    global _last_kick, _last_later
    now = time.monotonic()
    if now - _last_kick >= 1:
        _last_kick = now
        if cache.add("tracking:kick", 1, timeout=1):
            countdown = None
        elif cache.add("tracking:kick:later", 1, timeout=1):
            _last_later, countdown = now, 1
        else:
            return
    elif now - _last_later >= 1:
        _last_later = now
        if not cache.add("tracking:kick:later", 1, timeout=1):
            return
        countdown = 1
    else:
        return
    try:
        pull_due.apply_async(countdown=countdown, retry=False)
    except Exception:  # never fail the caller: the job row is committed
        log.warning("could not reach the broker; the pull catch-up will run", exc_info=True)


# --- The breaker -------------------------------------------------------------------------------


def _breaker_row() -> BreakerState:
    row, _ = BreakerState.objects.select_for_update().get_or_create(name=BREAKER)
    return row


def _save_breaker(
    row: BreakerState, state: journey_rules.Breaker, error: str | None = None
) -> None:
    row.state, row.failures = state.state, state.failures
    row.open_until, row.probe_until = state.open_until, state.probe_until
    if error is not None:
        row.last_error = error[:500]
    row.save()


def breaker_admit(now: datetime) -> datetime | None:
    """None if a pull may go out now (taking the probe of a half-open breaker), else when to
    try again."""
    with transaction.atomic():
        row = _breaker_row()
        state = row.as_rule()
        if not journey_rules.breaker_allows(state, now=now):
            return max(t for t in (state.open_until, state.probe_until, now) if t is not None)
        if state.state != journey_rules.CLOSED:
            _save_breaker(row, journey_rules.breaker_probe(state, now=now, timeout=LEASE))
    return None


def breaker_record(now: datetime, *, error: str | None) -> None:
    with transaction.atomic():
        row = _breaker_row()
        if error is None:
            if row.state != journey_rules.CLOSED or row.failures:
                _save_breaker(row, journey_rules.Breaker(), "")
            return
        state = journey_rules.breaker_failure(
            row.as_rule(),
            now=now,
            threshold=int(_conf("BREAKER_FAILURES")),
            cooldown=timedelta(seconds=int(_conf("BREAKER_COOLDOWN_SECONDS"))),
        )
        if state.state == journey_rules.OPEN and row.state != journey_rules.OPEN:
            log.warning("TMS circuit breaker opened after %d failures: %s", state.failures, error)
        _save_breaker(row, state, error)


# --- Asking the TMS ----------------------------------------------------------------------------


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket (the demo TMS listens in var/run, like PostgreSQL and Redis)."""

    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


def _connection(url: str, connect_timeout: float):
    parts = urlsplit(url)
    if parts.scheme == "http+unix":
        return _UnixConnection(unquote(parts.netloc), connect_timeout)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=connect_timeout)
    if parts.scheme == "http":
        return http.client.HTTPConnection(parts.hostname, parts.port, timeout=connect_timeout)
    raise PullFailed(f"unsupported pull URL scheme {parts.scheme!r}")


def fetch(waybill: str) -> dict | None:
    """Ask the TMS for the waybill's events: its JSON answer, or None when it does not know it.

    Connecting may take PULL_CONNECT_TIMEOUT, each read PULL_TIMEOUT, the whole answer no more
    than PULL_TIMEOUT more: a TMS trickling bytes cannot hold a worker.
    """
    url = _conf("PULL_URL").replace("{waybill}", quote(waybill, safe=""))
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Accept": "application/json", "User-Agent": "complaint-loop-tracking/1"}
    if _conf("PULL_TOKEN"):
        headers["Authorization"] = f"Bearer {_conf('PULL_TOKEN')}"
    read_timeout = float(_conf("PULL_TIMEOUT"))
    conn = _connection(url, float(_conf("PULL_CONNECT_TIMEOUT")))
    began = time.monotonic()
    try:
        conn.connect()
        conn.sock.settimeout(read_timeout)
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = bytearray()
        while chunk := response.read(65536):
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                raise PullFailed("answer too large")
            if time.monotonic() - began > 2 * read_timeout:
                raise PullFailed("answer too slow")
    except (OSError, http.client.HTTPException) as exc:
        raise PullFailed(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()
    if response.status == 404:
        return None
    if response.status != 200:
        raise PullFailed(f"HTTP {response.status}")
    try:
        answer = json.loads(bytes(body))
    except ValueError as exc:
        raise PullFailed("answer is not JSON") from exc
    if not isinstance(answer, dict):
        raise PullFailed("answer is not a JSON object")
    return answer


def pull_waybill(waybill: str, *, now: datetime) -> ingest.Stored:
    """Fetch one waybill and store what the TMS says (raises PullFailed)."""
    answer = fetch(waybill)
    if answer is None:
        return ingest.store(
            ingest.Batch(), source=Source.PULL, now=now, pulled=[waybill], unknown=[waybill]
        )
    info = {k: answer.get(k) for k in ("promised_at", "service") if answer.get(k) is not None}
    payload = {"events": answer.get("events", []), "waybills": [{"waybill": waybill, **info}]}
    try:
        batch = ingest.parse(payload, now=now, default_waybill=waybill)
    except DomainError as exc:
        raise PullFailed(f"answer refused: {exc.message} {exc.field_errors}"[:500]) from exc
    # Only this waybill's events: a TMS answering with another's is not trusted for either.
    batch.events = [e for e in batch.events if e.waybill == waybill]
    return ingest.store(batch, source=Source.PULL, now=now, pulled=[waybill])


# --- Running the owed pulls --------------------------------------------------------------------


def _claim(now: datetime, size: int) -> list[tuple[int, str]]:
    table = PullJob._meta.db_table
    sql = (
        f"UPDATE {table} SET status = %s, attempts = attempts + 1, locked_until = %s "  # nosec B608  # the model's table
        # ANY(ARRAY(…)): the subquery runs once (an IN subquery may be rescanned and claim
        # more than `size`; kernel/outbox/delivery.py).
        f"WHERE id = ANY(ARRAY(SELECT id FROM {table} WHERE status IN (%s, %s) "
        "AND next_attempt_at <= %s AND (locked_until IS NULL OR locked_until < %s) "
        "ORDER BY next_attempt_at, id LIMIT %s FOR UPDATE SKIP LOCKED)) RETURNING id, waybill"
    )
    params = [
        PullJob.Status.RUNNING,
        now + LEASE,
        PullJob.Status.PENDING,
        PullJob.Status.RUNNING,
        now,
        now,
        size,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _finish(job_id: int, **fields) -> None:
    PullJob.objects.filter(pk=job_id, status=PullJob.Status.RUNNING).update(
        locked_until=None, **fields
    )


def run_due(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Pull the waybills whose pulls are due, then check their open complaints."""
    from .journey import evaluate_waybills

    counts = {"pulled": 0, "retry": 0, "failed": 0, "deferred": 0}
    began = time.monotonic()
    while sum(counts.values()) < limit and time.monotonic() - began < RUN_BUDGET_SECONDS:
        moment = now or timezone.now()
        claimed = _claim(moment, min(CHUNK, limit - sum(counts.values())))
        if not claimed:
            break
        for job_id, waybill in claimed:
            moment = now or timezone.now()
            wait_until = breaker_admit(moment)
            if wait_until is not None:
                # The breaker is open: hand the job back untouched (this attempt not counted).
                _back_to_pending(job_id, attempts=F("attempts") - 1, next_attempt_at=wait_until)
                counts["deferred"] += 1
                continue
            try:
                pull_waybill(waybill, now=moment)
            except PullFailed as exc:
                breaker_record(moment, error=str(exc))
                counts[_failed(job_id, waybill, str(exc), moment)] += 1
                continue
            breaker_record(moment, error=None)
            _finish(job_id, status=PullJob.Status.DONE, finished_at=moment, last_error="")
            counts["pulled"] += 1
            evaluate_waybills({waybill}, now=moment)
    return counts


def _attempts(job_id: int) -> int:
    return PullJob.objects.filter(pk=job_id).values_list("attempts", flat=True).first() or 0


def _failed(job_id: int, waybill: str, error: str, now: datetime) -> str:
    attempts = _attempts(job_id)
    if attempts >= int(_conf("PULL_MAX_ATTEMPTS")):
        log.error("pull of %s failed for good after %d attempts: %s", waybill, attempts, error)
        _finish(job_id, status=PullJob.Status.FAILED, finished_at=now, last_error=error[:500])
        return "failed"
    log.warning("pull of %s attempt %d failed: %s", waybill, attempts, error)
    delay = journey_rules.pull_backoff(attempts, base=BACKOFF_BASE, cap=BACKOFF_CAP)
    _back_to_pending(job_id, next_attempt_at=now + delay, last_error=error[:500])
    return "retry"


def _back_to_pending(job_id: int, **fields) -> None:
    """Make a claimed job wait again; if a newer request for its waybill waits already (one
    pending per waybill), that one stands for both and this one ends."""
    try:
        with transaction.atomic():
            _finish(job_id, status=PullJob.Status.PENDING, **fields)
    except IntegrityError:
        _finish(
            job_id,
            status=PullJob.Status.DONE,
            finished_at=timezone.now(),
            last_error="由同一运单较新的拉取请求接替",
        )
