"""Accepting a complaint (受理): the input, its validation, the ticket number, repeats.

`complaint_create` is the submission hot path (tests/api/test_submission_cost.py pins its SQL
statements; docs/api.md, "Benchmark"). Repeats (重复投诉) follow seed 001 §(二)3; the first staff
member to receive a complaint owns it (首问责任制).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel import privacy, refdata, workflow
from kernel.actors import Actor
from kernel.db import inserts, prepared
from kernel.errors import InvalidInput

from .. import hooks, numbering, rules
from ..models import (
    OPEN_STATES,
    ActorKind,
    Channel,
    Complaint,
    ComplaintTransition,
    Service,
    Status,
    Unit,
)
from .audit import actor_fields, record
from .authorization import authorize, hash_access_code, new_access_code
from .steps import track_urgency
from .urgency import _apply_urgency, _cluster_count, _escalate_cluster


@dataclass(frozen=True)
class NewComplaint:
    """What a complaint is created from: the Complaint fields of the same names (their rules are
    the model's), the unit by its code. The API's serializer and the console's form take these
    fields, so a field added here and on the model reaches both."""

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

    @classmethod
    def from_input(cls, values: Mapping[str, Any], **extra: Any) -> NewComplaint:
        """The intake from a form's or serializer's cleaned values (absent ones: defaults)."""
        given = {name: values[name] for name in INPUT_FIELDS if values.get(name) is not None}
        return cls(**{**_REQUIRED_BLANK, **given, **extra})


INPUT_FIELDS = tuple(f.name for f in fields(NewComplaint) if f.name != "unit_code")
_REQUIRED_BLANK = dict.fromkeys((f.name for f in fields(NewComplaint) if f.default is MISSING), "")


class _Rule(NamedTuple):
    """A Complaint field's rules as the intake checks them, read from the model once (an enum's
    `.values` would build a new list on every submission)."""

    name: str
    label: str
    max_length: int | None
    values: frozenset[str]  # the stored values of its choices; empty: free text
    blank: bool

    @classmethod
    def of(cls, name: str) -> _Rule:
        field = Complaint._meta.get_field(name)
        values = frozenset(value for value, _label in field.choices or ())
        return cls(name, field.verbose_name, field.max_length, values, field.blank)


class _Money(NamedTuple):
    """A money field's rules from the model: below 10 ** its whole digits, its places, minimum."""

    name: str
    label: str
    bound: Decimal
    quantum: Decimal
    minimum: Decimal

    @classmethod
    def of(cls, name: str) -> _Money:
        field = Complaint._meta.get_field(name)
        minimum = max(v.limit_value for v in field.validators if isinstance(v, MinValueValidator))
        whole = field.max_digits - field.decimal_places
        quantum = Decimal(1).scaleb(-field.decimal_places)
        return cls(name, field.verbose_name, Decimal(10) ** whole, quantum, Decimal(minimum))


_TEXTS = tuple(
    map(_Rule.of, ("tracking_no", "complainant_name", "phone", "description", "demand_detail"))
)
_CHOICES = tuple(map(_Rule.of, ("party", "category", "channel", "service", "demand")))
_MONEY = tuple(map(_Money.of, ("insured_amount", "declared_value", "freight")))


def _money(value: object, rule: _Money, errors: dict[str, str]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[rule.name] = _("%(label)s必须是金额数字。") % {"label": rule.label}
        return None
    if not amount.is_finite() or amount < rule.minimum or amount >= rule.bound:
        errors[rule.name] = _("%(label)s必须是不小于0的合理金额。") % {"label": rule.label}
        return None
    if amount != amount.quantize(rule.quantum):
        errors[rule.name] = _("%(label)s最多两位小数。") % {"label": rule.label}
        return None
    return amount.quantize(rule.quantum)


def tracking_no_pattern() -> str:
    """The configured shape of a normalised tracking number (a whole-string regex)."""
    pattern: str = settings.COMPLAINTS["TRACKING_NO_PATTERN"]  # declared with its default
    return pattern


def normalize_tracking_no(raw: str) -> str:
    """A tracking number as stored and searched (complaints.rules.normalize_tracking_no)."""
    return rules.normalize_tracking_no(raw)


def is_valid_tracking_no(normalized: str) -> bool:
    """Tell whether a normalised tracking number has the configured shape."""
    return rules.is_valid_tracking_no(normalized, tracking_no_pattern())


def validate_new_complaint(data: NewComplaint) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a new complaint; return its cleaned fields and the Chinese error per field.

    Every caller passes here (API, console, enquiries, regulators' appeals, refiling), so the
    model's field rules are checked here too, then the intake's own: one spelling of waybill and
    phone (normalised here, once), their shapes, the insured amount, the unit.
    """
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for rule in _TEXTS:
        value = (getattr(data, rule.name) or "").strip()
        if not value and not rule.blank:
            errors[rule.name] = _("请填写%(label)s。") % {"label": rule.label}
        elif rule.max_length and len(value) > rule.max_length:
            errors[rule.name] = _("%(label)s不能超过%(max_len)s个字。") % {
                "label": rule.label,
                "max_len": rule.max_length,
            }
        cleaned[rule.name] = value
    # Normalised before anything compares or stores them (issue 19 §10): NFKC, half-width,
    # no spaces or dashes — the repeat lookup and search then meet one spelling.
    tracking = rules.normalize_tracking_no(cleaned["tracking_no"])
    if tracking and "tracking_no" not in errors and not is_valid_tracking_no(tracking):
        errors["tracking_no"] = _("运单号格式不正确：只能包含字母和数字，请核对后重新填写。")
    cleaned["tracking_no"] = tracking
    phone = privacy.normalize_phone(cleaned["phone"])
    if privacy.has_foreign_digits(phone):
        errors.setdefault("phone", _("电话号码只能使用数字0–9。"))
    elif not privacy.is_valid_phone(phone):
        errors.setdefault("phone", _("请填写正确的手机号或带区号的固定电话。"))
    cleaned["phone"] = phone
    for rule in _CHOICES:
        value = getattr(data, rule.name) or ""
        if value not in rule.values and (value or not rule.blank):
            errors[rule.name] = _("%(label)s无效。") % {"label": rule.label}
        cleaned[rule.name] = value
    cleaned["insured"] = bool(data.insured)
    for money in _MONEY:
        cleaned[money.name] = _money(getattr(data, money.name), money, errors)
    if cleaned["insured"] and not cleaned["insured_amount"] and "insured_amount" not in errors:
        errors["insured_amount"] = _("保价的邮件请填写保价金额。")
    if not cleaned["insured"] and cleaned["insured_amount"]:
        errors["insured_amount"] = _("未保价的邮件不应填写保价金额。")
    cleaned["unit"] = None
    if data.unit_code:
        unit = Unit.objects.filter(code=data.unit_code, is_active=True).first()
        if unit is None:
            errors["unit"] = _("责任单位不存在。")
        cleaned["unit"] = unit
    cleaned["key_account"] = bool(data.key_account)
    cleaned["urgent_contents"] = bool(data.urgent_contents)
    cleaned["is_external"] = bool(data.is_external) or data.channel == Channel.REGULATOR
    return cleaned, errors


class EarlierComplaint(NamedTuple):
    """What a repeat records of the complaint it repeats."""

    id: int
    ticket_no: str
    repeat_count: int


def _repeat_lookup(
    *, tracking_no: str, phone: str, category: str, now: datetime
) -> tuple[str, list[Any]]:
    """The repeat lookup's SELECT (at most one row: id, ticket_no, repeat_count) and parameters.

    Same tracking number, or same phone and category, while the earlier one is open or was
    answered or closed within the repeat window (default 30 days); rejected ones never count.
    Written out once rather than built by the ORM on every submission: compiling this query
    was the largest single cost of a submission in the profile (docs/api.md, Benchmark). The
    indexes on tracking_no and (phone, category) serve it.
    """
    since = now - timedelta(days=settings.COMPLAINTS["REPEAT_WINDOW_DAYS"])
    sql = (
        f"SELECT id, ticket_no, repeat_count FROM {Complaint._meta.db_table} "
        "WHERE (tracking_no = %s OR (phone = %s AND category = %s)) "
        f"AND (status IN ({', '.join(['%s'] * len(OPEN_STATES))}) "
        "OR answered_at >= %s OR closed_at >= %s) AND status <> %s "
        "ORDER BY accepted_at DESC LIMIT 1"  # nosec B608  # the model's table and placeholders only
    )
    return sql, [tracking_no, phone, category, *OPEN_STATES, since, since, Status.REJECTED]


def find_earlier_complaint(
    *, tracking_no: str, phone: str, category: str, now: datetime
) -> EarlierComplaint | None:
    """Return the earlier complaint a new one repeats, or None (重复投诉, seed 001 §(二)3)."""
    sql, params = _repeat_lookup(tracking_no=tracking_no, phone=phone, category=category, now=now)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return EarlierComplaint(*row) if row else None


class Opening(NamedTuple):
    """What a submission reads before it writes."""

    earlier: EarlierComplaint | None
    ticket_no: str
    reference: refdata.ReferenceData
    # Primary keys reserved for the complaint and its audit row (PostgreSQL), so that both are
    # written with the messages in one round trip (inserts.batch).
    complaint_id: int | None = None
    audit_id: int | None = None


def _open_submission(cleaned: dict[str, Any], now: datetime) -> Opening:
    """The earlier complaint this one repeats, the day's next number, the reference data, and
    (PostgreSQL) the primary keys of the complaint and its audit row.

    One prepared statement reads them all (one round trip). The earlier complaint is locked
    FOR KEY SHARE as it is found, before the submission's other writes, so that a staff action
    holding it waits or is waited for instead of deadlocking with the submission
    (tests/reliability/test_lock_order.py; the story: docs/reliability.md).
    """
    day = timezone.localtime(now).date()
    lookup = {k: cleaned[k] for k in ("tracking_no", "phone", "category")}
    repeat_sql, repeat_params = _repeat_lookup(**lookup, now=now)
    complaint_id_sql = inserts.next_id_sql(Complaint)
    audit_id_sql = inserts.next_id_sql(ComplaintTransition)
    with connection.cursor() as cursor:
        prepared.execute(  # parsed and planned once per database session
            cursor,
            f"SELECT e.id, e.ticket_no, e.repeat_count, {numbering.NEXT_NUMBER_SQL}, "
            f"({refdata.VERSION_SQL}), {complaint_id_sql}, {audit_id_sql} FROM (SELECT 1) AS one "
            f"LEFT JOIN LATERAL ({repeat_sql} FOR KEY SHARE) AS e ON true",  # nosec B608  # constant fragments; values are parameters
            [day, *repeat_params],  # in the order of the placeholders in the text
        )
        earlier_id, earlier_no, earlier_count, number, version, complaint_id, audit_id = (
            cursor.fetchone()
        )
    earlier = None
    if earlier_id is not None:
        earlier = EarlierComplaint(earlier_id, earlier_no, earlier_count)
    return Opening(
        earlier,
        numbering.ticket_no(day, number),
        refdata.current(version=version),
        complaint_id,
        audit_id,
    )


@transaction.atomic
def complaint_create(
    *, data: NewComplaint, by: Actor, now: datetime | None = None
) -> tuple[Complaint, str]:
    """Accept (受理) a complaint; return it with the customer's access code (shown once).

    The first staff member to receive it owns it (首问责任制). Repeat and urgent detection run
    here; nothing is stored when any field is invalid.
    """
    now = workflow.now_or(now)
    authorize(by, "add_complaint", action="create")
    cleaned, errors = validate_new_complaint(data)
    if errors:
        raise InvalidInput(_("提交的投诉信息有误，请修改后重试。"), field_errors=errors)

    actor, kind = actor_fields(by)
    earlier, ticket_no, reference, complaint_id, audit_id = _open_submission(cleaned, now)
    code = new_access_code()
    complaint = Complaint(
        id=complaint_id,
        ticket_no=ticket_no,
        access_code_hash=hash_access_code(ticket_no, code),
        accepted_at=now,
        created_by=actor,
        owner=actor if kind == ActorKind.STAFF else None,
        repeat_of_id=earlier.id if earlier else None,
        repeat_count=(earlier.repeat_count + 1) if earlier else 0,
        **cleaned,
    )
    cluster_count = _cluster_count(complaint, now=now)  # for the urgency and the cluster's others
    _apply_urgency(complaint, now=now, reference=reference, cluster_count=cluster_count)
    track_urgency(complaint, now=now)  # urgent at acceptance: urgent targets from acceptance
    hooks.refresh_deadlines(complaint, now=now, reference=reference)
    # The complaint, its audit row and the messages it causes go in one round trip.
    with inserts.batch():
        inserts.insert(complaint)
        record(
            complaint,
            by,
            "create",
            Status.ACCEPTED,
            now=now,
            pk=audit_id,
            reference=reference,
            reason="",
            channel=complaint.channel,
            repeat_of=earlier.ticket_no if earlier else None,
            urgent_reasons=complaint.urgent_reasons,
        )
    if complaint.unit_id:
        _escalate_cluster(complaint, now=now, cluster_count=cluster_count)
    return complaint, code
