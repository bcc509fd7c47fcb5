"""Every write to a complaint goes through here.

Each service: checks the actor may do it (django-fsm does not enforce `permission=`), locks the
row, runs the transition, recomputes the deadlines, saves, writes the audit row and tells
listeners — all in one transaction. Two people acting on one complaint at once: the second waits
for the row lock, then sees the changed state and gets a Conflict, never a silent overwrite.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from escalation import refdata
from escalation.deadlines import refresh_deadlines

from . import numbering, rules
from .errors import Conflict, InvalidInput, NotAllowed, NotFound
from .models import (
    OPEN_STATES,
    PAUSABLE_STATES,
    ActorKind,
    Category,
    Channel,
    Complaint,
    ComplaintTransition,
    Contact,
    ContactMethod,
    Demand,
    FollowUp,
    FollowUpOutcome,
    Note,
    Party,
    PauseInterval,
    PersonalDataAccess,
    Phrase,
    Priority,
    Reply,
    Role,
    Service,
    Status,
    Unit,
)
from .signals import complaint_changed

# Actors that are not staff users.
CUSTOMER = "customer"
SYSTEM = "system"

# What a customer may do on their own ticket (by ticket number + access code).
CUSTOMER_ACTIONS = {"create", "withdraw", "reopen", "chase", "evidence", "rating"}

ACTION_LABELS = {
    "dispatch": "下发",
    "reassign": "改派",
    "reply": "答复",
    "start_follow_up": "开始回访",
    "close": "闭环",
    "reopen": "重新下发",
    "reject": "不予受理",
    "withdraw": "撤诉",
}


def _conf(key: str):
    return settings.COMPLAINTS[key]


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


# --- Authorisation and audit --------------------------------------------------------------


def _actor_fields(by) -> tuple[object | None, str]:
    if by == CUSTOMER:
        return None, ActorKind.CUSTOMER
    if by == SYSTEM:
        return None, ActorKind.SYSTEM
    profile = getattr(by, "staff", None)
    if profile and profile.role == Role.PARTNER:
        return by, ActorKind.PARTNER
    return by, ActorKind.STAFF


def authorize(by, perm: str, complaint: Complaint | None = None, *, action: str = "") -> None:
    """Refuse unless the actor may use `perm` on this complaint.

    Customers may only do the CUSTOMER_ACTIONS (the caller has already checked their access
    code); the system may do anything. Branch staff see and act only on their own unit's
    complaints: another unit's complaint is answered as "not found", as if it did not exist.
    """
    if by == SYSTEM:
        return
    if by == CUSTOMER:
        if action not in CUSTOMER_ACTIONS:
            raise NotAllowed("客户不能执行此操作。")
        return
    if by is None or not getattr(by, "is_active", False):
        raise NotAllowed("请先登录。")
    if complaint is not None and not by.is_superuser:
        profile = getattr(by, "staff", None)
        if profile is None:
            raise NotAllowed("您不是系统内的员工，不能处理投诉。")
        if profile.role == Role.BRANCH and complaint.unit_id != profile.unit_id:
            raise NotFound("工单不存在。")
    if not by.has_perm(f"complaints.{perm}"):
        raise NotAllowed("您没有权限执行此操作。")


def _audit(
    complaint: Complaint,
    by,
    transition: str,
    from_state: str,
    *,
    now: datetime,
    reason: str = "",
    **details,
) -> ComplaintTransition:
    actor, kind = _actor_fields(by)
    row = ComplaintTransition.objects.create(
        complaint=complaint,
        at=now,
        actor=actor,
        actor_kind=kind,
        transition=transition,
        from_state=from_state,
        to_state=complaint.status,
        reason=reason,
        details=details,
    )
    complaint_changed.send(
        sender=Complaint,
        complaint=complaint,
        event=transition,
        actor=actor,
        details=details,
        audit=row,
    )
    return row


def _lock(complaint: Complaint) -> Complaint:
    """Lock the complaint row; refuse if it changed state since the caller read it."""
    try:
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    except Complaint.DoesNotExist as exc:
        raise NotFound("工单不存在。") from exc
    if locked.status != complaint.status:
        raise Conflict(
            f"工单已被他人处理，当前状态为“{locked.get_status_display()}”，请刷新后再操作。"
        )
    return locked


def _run(locked: Complaint, name: str) -> str:
    """Run the FSM transition `name` in memory; return the state it left."""
    method = getattr(locked, name)
    if not can_proceed(method):
        raise Conflict(
            f"工单当前状态为“{locked.get_status_display()}”，不能{ACTION_LABELS.get(name, name)}。"
        )
    from_state = locked.status
    method()
    return from_state


def _save(locked: Complaint, *, now: datetime) -> None:
    refresh_deadlines(locked, now=now)
    try:
        locked.save()
    except ConcurrentTransition as exc:  # a path that did not lock the row lost the race
        raise Conflict("工单已被他人处理，请刷新后再操作。") from exc


def _require(text: str, field: str, label: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"请填写{label}。", field_errors={field: f"请填写{label}。"})
    return text


# --- Creating a complaint -----------------------------------------------------------------


@dataclass(frozen=True)
class NewComplaint:
    """What a complaint is created from (the API and the intake form fill it)."""

    tracking_no: str
    complainant_name: str
    phone: str
    party: str
    category: str
    description: str
    channel: str = Channel.API
    demand: str = ""
    demand_detail: str = ""
    service: str = Service.EXPRESS
    insured: bool = False
    insured_amount: Decimal | None = None
    declared_value: Decimal | None = None
    freight: Decimal | None = None
    unit_code: str = ""
    key_account: bool = False
    urgent_contents: bool = False
    is_external: bool = False


def _money(value, field: str, label: str, errors: dict[str, str]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = f"{label}必须是金额数字。"
        return None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        errors[field] = f"{label}必须是不小于0的合理金额。"
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors[field] = f"{label}最多两位小数。"
        return None
    return amount.quantize(Decimal("0.01"))


def validate_new_complaint(data: NewComplaint) -> tuple[dict, dict[str, str]]:
    """Check a new complaint; return its cleaned fields and the Chinese error per field."""
    errors: dict[str, str] = {}
    cleaned: dict = {}
    for field, label, max_len in (
        ("tracking_no", "运单号", 40),
        ("complainant_name", "投诉人姓名", 50),
        ("description", "投诉内容", 5000),
    ):
        value = (getattr(data, field) or "").strip()
        if not value:
            errors[field] = f"请填写{label}。"
        elif len(value) > max_len:
            errors[field] = f"{label}不能超过{max_len}个字。"
        cleaned[field] = value
    tracking = cleaned["tracking_no"].upper()
    if tracking and not tracking.replace("-", "").isalnum():
        errors["tracking_no"] = "运单号只能包含字母和数字。"
    cleaned["tracking_no"] = tracking
    phone = rules.normalize_phone(data.phone)
    if not rules.is_valid_phone(phone):
        errors["phone"] = "请填写正确的手机号或带区号的固定电话。"
    cleaned["phone"] = phone
    for field, choices, label in (
        ("party", Party, "投诉人身份"),
        ("category", Category, "投诉类别"),
        ("channel", Channel, "渠道"),
        ("service", Service, "业务类型"),
    ):
        value = getattr(data, field)
        if value not in choices.values:
            errors[field] = f"{label}无效。"
        cleaned[field] = value
    if data.demand and data.demand not in Demand.values:
        errors["demand"] = "诉求无效。"
    cleaned["demand"] = data.demand or ""
    cleaned["demand_detail"] = (data.demand_detail or "").strip()[:2000]
    cleaned["insured"] = bool(data.insured)
    cleaned["insured_amount"] = _money(data.insured_amount, "insured_amount", "保价金额", errors)
    cleaned["declared_value"] = _money(data.declared_value, "declared_value", "申报价值", errors)
    cleaned["freight"] = _money(data.freight, "freight", "资费", errors)
    if cleaned["insured"] and not cleaned["insured_amount"] and "insured_amount" not in errors:
        errors["insured_amount"] = "保价的邮件请填写保价金额。"
    if not cleaned["insured"] and cleaned["insured_amount"]:
        errors["insured_amount"] = "未保价的邮件不应填写保价金额。"
    cleaned["unit"] = None
    if data.unit_code:
        unit = Unit.objects.filter(code=data.unit_code, is_active=True).first()
        if unit is None:
            errors["unit"] = "责任单位不存在。"
        cleaned["unit"] = unit
    cleaned["key_account"] = bool(data.key_account)
    cleaned["urgent_contents"] = bool(data.urgent_contents)
    cleaned["is_external"] = bool(data.is_external) or data.channel == Channel.REGULATOR
    return cleaned, errors


def next_ticket_no(now: datetime) -> str:
    """Give out the next ticket number of the day, e.g. TS20261128000123 (complaints.numbering).

    Concurrent creations each get their own number without waiting for one another's commit.
    """
    day = timezone.localtime(now).date()
    return f"TS{day:%Y%m%d}{numbering.next_number(day):06d}"


# Access codes avoid letters people confuse (0/O, 1/I/L).
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_access_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def hash_access_code(ticket_no: str, code: str) -> str:
    message = f"{ticket_no}:{code.strip().upper()}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def access_code_matches(complaint: Complaint, code: str | None) -> bool:
    if not code:
        return False
    return hmac.compare_digest(
        complaint.access_code_hash, hash_access_code(complaint.ticket_no, code)
    )


def find_earlier_complaint(*, tracking_no: str, phone: str, category: str, now: datetime):
    """Return the earlier complaint a new one repeats, or None (重复投诉, seed 001 §(二)3).

    Same tracking number, or same phone and category, while the earlier one is open or was
    answered within the repeat window (default 30 days).
    """
    since = now - timedelta(days=_conf("REPEAT_WINDOW_DAYS"))
    # Written out once rather than built by the ORM on every submission: compiling this query
    # was the largest single cost of a submission in the profile (docs/api.md, Benchmark).
    # The same conditions as Q(tracking_no) | Q(phone, category), open or recently answered or
    # closed, not rejected; the indexes on tracking_no and (phone, category) serve it.
    rows = Complaint.objects.raw(
        f"SELECT * FROM {Complaint._meta.db_table} "
        "WHERE (tracking_no = %s OR (phone = %s AND category = %s)) "
        f"AND (status IN ({', '.join(['%s'] * len(OPEN_STATES))}) "
        "OR answered_at >= %s OR closed_at >= %s) AND status <> %s "
        "ORDER BY accepted_at DESC LIMIT 1",  # nosec B608  # the model's table and placeholders only
        [tracking_no, phone, category, *OPEN_STATES, since, since, Status.REJECTED],
    )
    return next(iter(rows), None)


@transaction.atomic
def complaint_create(*, data: NewComplaint, by, now: datetime | None = None):
    """Accept (受理) a complaint; return it with the customer's access code (shown once).

    The first staff member to receive it owns it (首问责任制). Repeat and urgent detection run
    here; nothing is stored when any field is invalid.
    """
    now = _now(now)
    authorize(by, "add_complaint", action="create")
    cleaned, errors = validate_new_complaint(data)
    if errors:
        raise InvalidInput("提交的投诉信息有误，请修改后重试。", field_errors=errors)

    actor, kind = _actor_fields(by)
    earlier = find_earlier_complaint(
        tracking_no=cleaned["tracking_no"],
        phone=cleaned["phone"],
        category=cleaned["category"],
        now=now,
    )
    if earlier is not None:
        _hold_key(earlier)
    ticket_no = next_ticket_no(now)
    code = new_access_code()
    complaint = Complaint(
        ticket_no=ticket_no,
        access_code_hash=hash_access_code(ticket_no, code),
        accepted_at=now,
        created_by=actor,
        owner=actor if kind == ActorKind.STAFF else None,
        repeat_of=earlier,
        repeat_count=(earlier.repeat_count + 1) if earlier else 0,
        **cleaned,
    )
    _apply_urgency(complaint, now=now)
    refresh_deadlines(complaint, now=now)
    complaint.save()
    _audit(
        complaint,
        by,
        "create",
        Status.ACCEPTED,
        now=now,
        reason="",
        channel=complaint.channel,
        repeat_of=earlier.ticket_no if earlier else None,
        urgent_reasons=complaint.urgent_reasons,
    )
    if complaint.unit_id:
        _escalate_cluster(complaint, now=now)
    return complaint, code


def _hold_key(earlier: Complaint) -> None:
    """Take the lock the repeat_of foreign key needs now, not at COMMIT.

    The key is checked at commit (Django's keys are deferred), after the signal has upserted
    the dashboard's dirty day: a staff action holding the earlier complaint FOR UPDATE and
    waiting for that same day row then deadlocked with the submission (`make faults` found it
    under load). Taken first, the submission simply waits for the action to finish.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {Complaint._meta.db_table} WHERE id = %s FOR KEY SHARE",  # nosec B608  # table name from the model
                [earlier.pk],
            )


# --- Urgency ------------------------------------------------------------------------------


def _cluster_count(complaint: Complaint, *, now: datetime) -> int:
    if not complaint.unit_id:
        return 0
    since = now - timedelta(hours=_conf("CLUSTER_WINDOW_HOURS"))
    others = Complaint.objects.filter(
        unit_id=complaint.unit_id,
        category=complaint.category,
        accepted_at__gte=since,
        accepted_at__lte=now,
    ).exclude(status__in=[Status.REJECTED, Status.WITHDRAWN])
    if complaint.pk:
        others = others.exclude(pk=complaint.pk)
    return others.count() + 1


def _urgent_reasons(complaint: Complaint, *, now: datetime) -> list[str]:
    reference = refdata.current()  # the phrase lists, cached until someone edits them
    return rules.urgent_reasons(
        text=f"{complaint.description}\n{complaint.demand_detail}",
        threat_words=reference.active_phrases(Phrase.Kind.URGENT_THREAT),
        contents_words=reference.active_phrases(Phrase.Kind.URGENT_CONTENTS),
        key_account=complaint.key_account,
        urgent_contents=complaint.urgent_contents,
        chase_count=complaint.chase_count,
        chase_limit=_conf("URGENT_ON_CHASE"),
        cluster_count=_cluster_count(complaint, now=now),
        cluster_size=_conf("CLUSTER_SIZE"),
    )


def _apply_urgency(complaint: Complaint, *, now: datetime) -> bool:
    """Make the complaint urgent when a rule says so; return whether it became urgent now.

    Urgency is only ever raised automatically; lowering it takes an agent with a reason.
    """
    reasons = _urgent_reasons(complaint, now=now)
    if complaint.is_external and "外部投诉" not in reasons:
        reasons.insert(0, "外部投诉")
    new = [r for r in reasons if r not in complaint.urgent_reasons]
    if not new:
        return False
    complaint.urgent_reasons = [*complaint.urgent_reasons, *new]
    was_urgent = complaint.priority == Priority.URGENT
    complaint.priority = Priority.URGENT
    return not was_urgent


def _audit_raised_priority(complaint: Complaint, *, now: datetime, **details) -> None:
    """Record that the system made a complaint urgent, with the reasons it found."""
    _audit(
        complaint,
        SYSTEM,
        "set_priority",
        complaint.status,
        now=now,
        reason="；".join(complaint.urgent_reasons),
        priority=Priority.URGENT,
        **details,
    )


def _escalate_cluster(complaint: Complaint, *, now: datetime) -> None:
    """When this complaint completes a cluster, make the other open ones in it urgent too."""
    if _cluster_count(complaint, now=now) < _conf("CLUSTER_SIZE"):
        return
    since = now - timedelta(hours=_conf("CLUSTER_WINDOW_HOURS"))
    siblings = (
        Complaint.objects.select_for_update()
        .filter(
            unit_id=complaint.unit_id,
            category=complaint.category,
            accepted_at__gte=since,
            accepted_at__lte=now,
            status__in=OPEN_STATES,
            priority=Priority.NORMAL,
        )
        .exclude(pk=complaint.pk)
        .order_by("pk")
    )
    for sibling in siblings:
        if _apply_urgency(sibling, now=now):
            _save(sibling, now=now)
            _audit_raised_priority(sibling, now=now, cluster_with=complaint.ticket_no)


# --- The loop -----------------------------------------------------------------------------


def _assignable_unit(unit: Unit | None) -> Unit:
    if unit is None or not unit.is_active:
        raise InvalidInput(
            "请选择有效的责任单位。", field_errors={"unit": "请选择有效的责任单位。"}
        )
    return unit


@transaction.atomic
def complaint_dispatch(*, complaint: Complaint, unit: Unit, by, reason: str = "", now=None):
    """受理 → 核实: send the complaint to its responsible unit."""
    now = _now(now)
    authorize(by, "dispatch_complaint", complaint, action="dispatch")
    unit = _assignable_unit(unit)
    locked = _lock(complaint)
    from_state = _run(locked, "dispatch")
    locked.unit = unit
    locked.dispatched_at = now
    became_urgent = _apply_urgency(locked, now=now)
    _save(locked, now=now)
    _audit(locked, by, "dispatch", from_state, now=now, reason=reason, unit=unit.code)
    if became_urgent:
        _audit_raised_priority(locked, now=now)
    _escalate_cluster(locked, now=now)
    return locked


@transaction.atomic
def complaint_reassign(*, complaint: Complaint, unit: Unit, by, reason: str, now=None):
    """核实 → 核实: hand the complaint to another unit; the reason is required."""
    now = _now(now)
    authorize(by, "dispatch_complaint", complaint, action="reassign")
    reason = _require(reason, "reason", "改派原因")
    unit = _assignable_unit(unit)
    if unit.pk == complaint.unit_id:
        raise InvalidInput("工单已在该单位。", field_errors={"unit": "请选择另一个单位。"})
    locked = _lock(complaint)
    from_state = _run(locked, "reassign")
    previous = locked.unit.code if locked.unit else None
    locked.unit = unit
    locked.dispatched_at = now
    _save(locked, now=now)
    _audit(
        locked,
        by,
        "reassign",
        from_state,
        now=now,
        reason=reason,
        unit=unit.code,
        previous=previous,
    )
    return locked


@transaction.atomic
def complaint_log_contact(
    *, complaint: Complaint, by, method: str, summary: str, reached: bool = True, at=None, now=None
) -> Contact:
    """Record a contact with the customer; the first one that reached them stops the 24 h timer."""
    now = _now(now)
    authorize(by, "contact_customer", complaint, action="contact")
    if method not in ContactMethod.values:
        raise InvalidInput("联系方式无效。", field_errors={"method": "联系方式无效。"})
    summary = _require(summary, "summary", "联系内容")
    at = at or now
    if at > now + timedelta(minutes=5):
        raise InvalidInput("联系时间不能晚于现在。", field_errors={"at": "联系时间不能晚于现在。"})
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if not locked.is_open:
        raise Conflict(f"工单已{locked.get_status_display()}，不能再记录联系。")
    contact = Contact.objects.create(
        complaint=locked, by=by, at=at, method=method, summary=summary, reached=reached
    )
    # The first response is a contact that reached the customer, or a reply (SPEC §4).
    if reached and locked.first_response_at is None:
        locked.first_response_at = at
        _save(locked, now=now)
    _audit(locked, by, "contact", locked.status, now=now, method=method, reached=reached)
    return contact


@transaction.atomic
def complaint_pause(*, complaint: Complaint, by, reason: str, now=None):
    """Stop the resolution clock while waiting for the customer (e.g. evidence photos)."""
    now = _now(now)
    authorize(by, "pause_complaint", complaint, action="pause")
    reason = _require(reason, "reason", "暂停原因")
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.status not in PAUSABLE_STATES:
        raise Conflict(f"工单当前状态为“{locked.get_status_display()}”，不能暂停计时。")
    if locked.is_paused:
        raise Conflict("工单已在暂停计时中。")
    locked.paused_at = now
    PauseInterval.objects.create(
        complaint=locked, started_at=now, reason=reason, started_by=_actor_fields(by)[0]
    )
    _save(locked, now=now)
    _audit(locked, by, "pause", locked.status, now=now, reason=reason)
    return locked


@transaction.atomic
def complaint_resume(*, complaint: Complaint, by, reason: str = "", now=None):
    """Restart the resolution clock; its deadline moves out by the time paused."""
    now = _now(now)
    authorize(by, "pause_complaint", complaint, action="resume")
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if not locked.is_paused:
        raise Conflict("工单未在暂停计时中。")
    _end_pause(locked, now=now)
    _save(locked, now=now)
    _audit(locked, by, "resume", locked.status, now=now, reason=reason)
    return locked


def _end_pause(locked: Complaint, *, now: datetime) -> None:
    paused = max(int((now - locked.paused_at).total_seconds()), 0)
    locked.paused_seconds += paused
    locked.paused_at = None
    PauseInterval.objects.filter(complaint=locked, ended_at__isnull=True).update(ended_at=now)


@dataclass(frozen=True)
class ReplyInput:
    basic_facts: str
    handling: str
    result: str
    customer_accepts: bool | None = None
    facts_confirmed: bool = False
    our_fault: bool = False


@transaction.atomic
def complaint_reply(*, complaint: Complaint, by, reply: ReplyInput, now=None) -> Reply:
    """核实 → 反馈: the unit's structured reply, refused when a part is missing or vague.

    The reply also decides the first view of 有理由投诉 (seed 001 §(二)5) from the unit's own
    finding; the customer-service centre may correct it later with a reason.
    """
    now = _now(now)
    authorize(by, "reply_complaint", complaint, action="reply")
    parts = {"basic_facts": reply.basic_facts, "handling": reply.handling, "result": reply.result}
    problems = rules.reply_problems(parts, Phrase.active(Phrase.Kind.VAGUE_REPLY))
    if problems:
        raise InvalidInput("答复不符合回复要素要求，请补充后再提交。", field_errors=problems)
    locked = _lock(complaint)
    from_state = _run(locked, "reply")
    if locked.is_paused:
        _end_pause(locked, now=now)
    saved = Reply.objects.create(
        complaint=locked,
        unit=locked.unit,
        by=by,
        at=now,
        basic_facts=reply.basic_facts.strip(),
        handling=reply.handling.strip(),
        result=reply.result.strip(),
        customer_accepts=reply.customer_accepts,
        facts_confirmed=reply.facts_confirmed,
        our_fault=reply.our_fault,
    )
    locked.answered_at = now
    locked.first_answered_at = locked.first_answered_at or now
    locked.first_response_at = locked.first_response_at or now
    locked.justified = rules.is_justified(
        facts_confirmed=reply.facts_confirmed, our_fault=reply.our_fault, obstructed=False
    )
    _save(locked, now=now)
    _audit(locked, by, "reply", from_state, now=now, reply_id=saved.pk, justified=locked.justified)
    return saved


@transaction.atomic
def complaint_start_follow_up(*, complaint: Complaint, by, now=None):
    """反馈 → 回访: the customer-service centre starts the follow-up call."""
    now = _now(now)
    authorize(by, "follow_up_complaint", complaint, action="start_follow_up")
    locked = _lock(complaint)
    from_state = _run(locked, "start_follow_up")
    _save(locked, now=now)
    _audit(locked, by, "start_follow_up", from_state, now=now)
    return locked


@transaction.atomic
def complaint_record_follow_up(
    *,
    complaint: Complaint,
    by,
    outcome: str,
    customer_words: str = "",
    reply_truthful: bool | None = None,
    now=None,
):
    """Record the follow-up call (回访) and close the loop or send it back (seed 001 §(四)5–6).

    Satisfied or no objection → 闭环. Not satisfied → 重新下发 to the unit, repeat count + 1.
    Not called (the seed allows it with the reason written down) → 闭环 with that reason.
    From 反馈 the call is started implicitly: one click for the agent, two audit rows.
    """
    now = _now(now)
    authorize(by, "follow_up_complaint", complaint, action="follow_up")
    if outcome not in FollowUpOutcome.values:
        raise InvalidInput("回访结果无效。", field_errors={"outcome": "回访结果无效。"})
    words = (customer_words or "").strip()
    if outcome != FollowUpOutcome.SATISFIED and not words:
        label = "客户意见" if outcome == FollowUpOutcome.UNSATISFIED else "不回访原因"
        raise InvalidInput(f"请填写{label}。", field_errors={"customer_words": f"请填写{label}。"})
    locked = _lock(complaint)
    if locked.status == Status.ANSWERED:
        from_state = _run(locked, "start_follow_up")
        _save(locked, now=now)
        _audit(locked, by, "start_follow_up", from_state, now=now)
    elif locked.status != Status.FOLLOW_UP:
        raise Conflict(f"工单当前状态为“{locked.get_status_display()}”，不能回访。")
    FollowUp.objects.create(
        complaint=locked,
        by=by,
        at=now,
        outcome=outcome,
        customer_words=words,
        reply_truthful=reply_truthful,
    )
    locked.follow_up_at = now
    if outcome == FollowUpOutcome.UNSATISFIED:
        locked.satisfied = False
        _reopen(locked, by, reason=words, now=now)
    else:
        locked.satisfied = True if outcome == FollowUpOutcome.SATISFIED else locked.satisfied
        from_state = _run(locked, "close")
        locked.closed_at = now
        _save(locked, now=now)
        _audit(locked, by, "close", from_state, now=now, reason=words, outcome=outcome)
    return locked


def _reopen(locked: Complaint, by, *, reason: str, now: datetime) -> None:
    from_state = _run(locked, "reopen")
    locked.repeat_count += 1
    locked.reopened_at = now
    locked.answered_at = None
    locked.closed_at = None
    locked.paused_seconds = 0
    _save(locked, now=now)
    _audit(
        locked, by, "reopen", from_state, now=now, reason=reason, repeat_count=locked.repeat_count
    )


@transaction.atomic
def complaint_reopen(*, complaint: Complaint, by, reason: str, now=None):
    """闭环 → 核实: the customer is not satisfied after closing, within the reopen window.

    After the window a new complaint is created and linked instead (SPEC §2).
    """
    now = _now(now)
    authorize(by, "follow_up_complaint", complaint, action="reopen")
    reason = _require(reason, "reason", "重新下发原因")
    locked = _lock(complaint)
    if locked.status == Status.CLOSED:
        window = timedelta(days=_conf("REOPEN_WINDOW_DAYS"))
        if locked.closed_at and now - locked.closed_at > window:
            raise Conflict(
                f"工单闭环已超过{window.days}天，不能重新打开，请新建投诉（系统将自动关联）。"
            )
    _reopen(locked, by, reason=reason, now=now)
    return locked


@transaction.atomic
def complaint_reject(
    *, complaint: Complaint, by, reason: str, merged_into: Complaint | None = None, now=None
):
    """→ 不予受理: out of scope, or a duplicate merged into the complaint that is kept."""
    now = _now(now)
    authorize(by, "reject_complaint", complaint, action="reject")
    reason = _require(reason, "reason", "不予受理原因")
    if merged_into is not None and merged_into.pk == complaint.pk:
        raise InvalidInput("不能合并到自身。", field_errors={"merged_into": "不能合并到自身。"})
    if merged_into is not None and merged_into.status in (Status.REJECTED, Status.WITHDRAWN):
        raise InvalidInput(
            "只能合并到有效工单。", field_errors={"merged_into": "只能合并到有效工单。"}
        )
    locked = _lock(complaint)
    from_state = _run(locked, "reject")
    locked.merged_into = merged_into
    locked.ended_at = now
    if locked.is_paused:
        _end_pause(locked, now=now)
    _save(locked, now=now)
    _audit(
        locked,
        by,
        "reject",
        from_state,
        now=now,
        reason=reason,
        merged_into=merged_into.ticket_no if merged_into else None,
    )
    return locked


@transaction.atomic
def complaint_withdraw(*, complaint: Complaint, by, reason: str, now=None):
    """→ 撤诉: the customer withdraws the complaint (from any open state)."""
    now = _now(now)
    authorize(by, "withdraw_complaint", complaint, action="withdraw")
    reason = _require(reason, "reason", "撤诉原因")
    locked = _lock(complaint)
    from_state = _run(locked, "withdraw")
    locked.ended_at = now
    if locked.is_paused:
        _end_pause(locked, now=now)
    _save(locked, now=now)
    _audit(locked, by, "withdraw", from_state, now=now, reason=reason)
    return locked


# --- Flags --------------------------------------------------------------------------------


@transaction.atomic
def complaint_set_priority(*, complaint: Complaint, by, priority: str, reason: str, now=None):
    """Override the priority by hand; the reason is kept in the audit trail."""
    now = _now(now)
    authorize(by, "set_priority", complaint, action="set_priority")
    if priority not in Priority.values:
        raise InvalidInput("优先级无效。", field_errors={"priority": "优先级无效。"})
    reason = _require(reason, "reason", "调整原因")
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if not locked.is_open:
        raise Conflict(f"工单已{locked.get_status_display()}，不能调整优先级。")
    if locked.priority == priority:
        raise Conflict("优先级没有变化。")
    previous = locked.priority
    locked.priority = priority
    locked.urgent_reasons = (
        [*locked.urgent_reasons, f"人工设定：{reason}"] if priority == Priority.URGENT else []
    )
    _save(locked, now=now)
    _audit(
        locked,
        by,
        "set_priority",
        locked.status,
        now=now,
        reason=reason,
        priority=priority,
        previous=previous,
    )
    return locked


@transaction.atomic
def complaint_chase(*, complaint: Complaint, by, note: str = "", now=None):
    """The customer chases (催促); the second chase makes a general complaint urgent."""
    now = _now(now)
    authorize(by, "follow_up_complaint", complaint, action="chase")
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if not locked.is_open:
        raise Conflict(f"工单已{locked.get_status_display()}，无需催促。")
    locked.chase_count += 1
    became_urgent = _apply_urgency(locked, now=now)
    _save(locked, now=now)
    _audit(locked, by, "chase", locked.status, now=now, reason=note, chase_count=locked.chase_count)
    if became_urgent:
        _audit_raised_priority(locked, now=now)
    return locked


@transaction.atomic
def complaint_mark_escalated(*, complaint: Complaint, by, reason: str, now=None):
    """Flag 投诉升级: the customer took it to a higher level or an authority (seed 001 §(二)2)."""
    now = _now(now)
    authorize(by, "escalate_complaint", complaint, action="escalate")
    reason = _require(reason, "reason", "升级情况")
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.is_escalated:
        raise Conflict("工单已标记为投诉升级。")
    locked.is_escalated = True
    _apply_urgency(locked, now=now)
    if locked.priority != Priority.URGENT:
        locked.priority = Priority.URGENT
        locked.urgent_reasons = [*locked.urgent_reasons, "投诉升级"]
    _save(locked, now=now)
    _audit(locked, by, "escalate", locked.status, now=now, reason=reason)
    return locked


@transaction.atomic
def complaint_mark_external(*, complaint: Complaint, by, reason: str, now=None):
    """Flag 外部投诉 (the regulator forwarded it): urgent targets, 2 h follow-up (seed 001).

    Marking an already external complaint again changes nothing and writes no audit row.
    """
    now = _now(now)
    authorize(by, "escalate_complaint", complaint, action="mark_external")
    reason = _require(reason, "reason", "外部投诉来源")
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.is_external:
        return locked
    locked.is_external = True
    _apply_urgency(locked, now=now)
    _save(locked, now=now)
    _audit(locked, by, "mark_external", locked.status, now=now, reason=reason)
    return locked


@transaction.atomic
def complaint_set_justified(
    *,
    complaint: Complaint,
    by,
    facts_confirmed: bool,
    our_fault: bool,
    obstructed: bool,
    reason: str,
    now=None,
):
    """Decide 有理由投诉 (seed 001 §(二)5) at or after verification, with the reason audited."""
    now = _now(now)
    authorize(by, "set_priority", complaint, action="set_justified")
    reason = _require(reason, "reason", "判定依据")
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.status in (Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN):
        raise Conflict("工单尚未核实，不能判定是否有理由。")
    locked.justified = rules.is_justified(
        facts_confirmed=facts_confirmed, our_fault=our_fault, obstructed=obstructed
    )
    _save(locked, now=now)
    _audit(
        locked,
        by,
        "set_justified",
        locked.status,
        now=now,
        reason=reason,
        justified=locked.justified,
        facts_confirmed=facts_confirmed,
        our_fault=our_fault,
        obstructed=obstructed,
    )
    return locked


@transaction.atomic
def complaint_add_note(*, complaint: Complaint, by, text: str, now=None) -> Note:
    """An internal note for staff; never shown to the customer."""
    now = _now(now)
    authorize(by, "note_complaint", complaint, action="note")
    text = _require(text, "text", "备注内容")
    return Note.objects.create(complaint=complaint, by=by, at=now, text=text)


def complaint_reveal_personal_data(
    *, complaint: Complaint, by, purpose: str = "", now=None
) -> dict:
    """Return the customer's full name and phone, and record who looked (SPEC §9)."""
    now = _now(now)
    authorize(by, "view_personal_data", complaint, action="reveal")
    PersonalDataAccess.objects.create(complaint=complaint, user=by, at=now, purpose=purpose[:100])
    return {"complainant_name": complaint.complainant_name, "phone": complaint.phone}


def get_for_staff(*, ticket_no: str, by) -> Complaint:
    """Find a complaint the staff user may see, or NotFound (the same for another unit's)."""
    if by is None or not getattr(by, "is_active", False):
        raise NotAllowed("请先登录。")
    if not by.has_perm("complaints.view_complaint"):
        raise NotAllowed("您没有权限查看工单。")
    if "\x00" in ticket_no:  # PostgreSQL refuses NUL in text: a 500 (found by tests/security)
        raise NotFound("工单不存在。")
    complaint = Complaint.objects.visible_to(by).filter(ticket_no=ticket_no).first()
    if complaint is None:
        raise NotFound("工单不存在。")
    return complaint


def get_for_customer(*, ticket_no: str, access_code: str | None) -> Complaint:
    """Find the customer's own complaint; a wrong code is answered exactly like a missing one."""
    complaint = Complaint.objects.filter(ticket_no=ticket_no).first()
    if complaint is None or not access_code_matches(complaint, access_code):
        raise NotFound("工单不存在。")
    return complaint


# --- The customer's rating ----------------------------------------------------------------

# A score at or below this during the follow-up counts as "unsatisfied" (不满意) and sends the
# complaint back for handling, like an unsatisfied follow-up call (seed 001 §(四)6).
UNSATISFIED_SCORE = 2
RATEABLE_STATES = (Status.FOLLOW_UP, Status.CLOSED)


@transaction.atomic
def complaint_rate(*, complaint: Complaint, by, score: int, comment: str = "", now=None):
    """The customer rates the outcome (1–5) once it is answered: in follow-up or closed.

    A low score during the follow-up is the customer saying "not satisfied": the complaint is
    reopened (重新下发) to the unit, repeat count + 1, exactly as an unsatisfied follow-up call.
    """
    now = _now(now)
    authorize(by, "follow_up_complaint", complaint, action="rating")
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput(
            "评分必须是1到5的整数。", field_errors={"score": "评分必须是1到5的整数。"}
        )
    comment = (comment or "").strip()[:1000]
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.status not in RATEABLE_STATES:
        raise Conflict(f"工单当前状态为“{locked.get_status_display()}”，答复并进入回访后才能评价。")
    locked.rating = score
    unsatisfied = score <= UNSATISFIED_SCORE
    _save(locked, now=now)
    _audit(locked, by, "rate", locked.status, now=now, reason=comment, score=score)
    if unsatisfied and locked.status == Status.FOLLOW_UP:
        locked.satisfied = False
        _reopen(locked, by, reason=comment or f"客户评价不满意（{score}分）", now=now)
    return locked
