"""Accepting a complaint (受理): the input, its validation, the ticket number, repeats.

`complaint_create` is the submission hot path (docs/api.md, "Benchmark";
tests/api/test_submission_cost.py pins its SQL statements): the repeat lookup is written-out
SQL, the INSERTs are prebuilt (complaints/inserts.py), ticket numbers come from
complaints/numbering.py. Repeat complaints (重复投诉) follow seed 001 §(二)3; the first staff
member to receive a complaint owns it (首问责任制).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kernel import privacy, refdata
from kernel.db import inserts, prepared
from kernel.errors import InvalidInput

from .. import hooks, numbering, rules
from ..models import (
    OPEN_STATES,
    ActorKind,
    Category,
    Channel,
    Complaint,
    ComplaintTransition,
    Demand,
    Party,
    Service,
    Status,
    Unit,
)
from .access import _actor_fields, authorize, hash_access_code, new_access_code
from .steps import _audit, _conf, _now, track_urgency
from .urgency import _apply_urgency, _cluster_count, _escalate_cluster


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
        errors[field] = _("%(label)s必须是金额数字。") % {"label": label}
        return None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        errors[field] = _("%(label)s必须是不小于0的合理金额。") % {"label": label}
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors[field] = _("%(label)s最多两位小数。") % {"label": label}
        return None
    return amount.quantize(Decimal("0.01"))


# Each choice's stored values, once: an enum's `.values` builds a new list on every use.
_PARTIES = frozenset(Party.values)
_CATEGORIES = frozenset(Category.values)
_CHANNELS = frozenset(Channel.values)
_SERVICES = frozenset(Service.values)
_DEMANDS = frozenset(Demand.values)


def tracking_no_pattern() -> str:
    """The configured shape of a normalised tracking number (a whole-string regex)."""
    return settings.COMPLAINTS["TRACKING_NO_PATTERN"]  # declared with its default in settings


def normalize_tracking_no(raw: str) -> str:
    """A tracking number as stored and searched (complaints.rules.normalize_tracking_no)."""
    return rules.normalize_tracking_no(raw)


def is_valid_tracking_no(normalized: str) -> bool:
    """Tell whether a normalised tracking number has the configured shape."""
    return rules.is_valid_tracking_no(normalized, tracking_no_pattern())


def validate_new_complaint(data: NewComplaint) -> tuple[dict, dict[str, str]]:
    """Check a new complaint; return its cleaned fields and the Chinese error per field.

    Field labels are lazy (_lazy): translated only when an error message needs them (every
    submission passes through here).
    """
    errors: dict[str, str] = {}
    cleaned: dict = {}
    for field, label, max_len in (
        ("tracking_no", _lazy("运单号"), 40),
        ("complainant_name", _lazy("投诉人姓名"), 50),
        ("description", _lazy("投诉内容"), 5000),
    ):
        value = (getattr(data, field) or "").strip()
        if not value:
            errors[field] = _("请填写%(label)s。") % {"label": label}
        elif len(value) > max_len:
            errors[field] = _("%(label)s不能超过%(max_len)s个字。") % {
                "label": label,
                "max_len": max_len,
            }
        cleaned[field] = value
    # Normalised before anything compares or stores them (issue 19 §10): NFKC, half-width,
    # no spaces or dashes — the repeat lookup and search then meet one spelling.
    tracking = rules.normalize_tracking_no(cleaned["tracking_no"])
    if tracking and "tracking_no" not in errors and not is_valid_tracking_no(tracking):
        errors["tracking_no"] = _("运单号格式不正确：只能包含字母和数字，请核对后重新填写。")
    cleaned["tracking_no"] = tracking
    phone = privacy.normalize_phone(data.phone)
    if privacy.has_foreign_digits(phone):
        errors["phone"] = _("电话号码只能使用数字0–9。")
    elif not privacy.is_valid_phone(phone):
        errors["phone"] = _("请填写正确的手机号或带区号的固定电话。")
    cleaned["phone"] = phone
    for field, values, label in (
        ("party", _PARTIES, _lazy("投诉人身份")),
        ("category", _CATEGORIES, _lazy("投诉类别")),
        ("channel", _CHANNELS, _lazy("渠道")),
        ("service", _SERVICES, _lazy("业务类型")),
    ):
        value = getattr(data, field)
        if value not in values:
            errors[field] = _("%(label)s无效。") % {"label": label}
        cleaned[field] = value
    if data.demand and data.demand not in _DEMANDS:
        errors["demand"] = _("诉求无效。")
    cleaned["demand"] = data.demand or ""
    cleaned["demand_detail"] = (data.demand_detail or "").strip()[:2000]
    cleaned["insured"] = bool(data.insured)
    cleaned["insured_amount"] = _money(
        data.insured_amount, "insured_amount", _lazy("保价金额"), errors
    )
    cleaned["declared_value"] = _money(
        data.declared_value, "declared_value", _lazy("申报价值"), errors
    )
    cleaned["freight"] = _money(data.freight, "freight", _lazy("资费"), errors)
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


def _repeat_lookup(*, tracking_no: str, phone: str, category: str, now: datetime):
    """The repeat lookup's SELECT (at most one row: id, ticket_no, repeat_count) and parameters.

    Same tracking number, or same phone and category, while the earlier one is open or was
    answered or closed within the repeat window (default 30 days); rejected ones never count.
    Written out once rather than built by the ORM on every submission: compiling this query
    was the largest single cost of a submission in the profile (docs/api.md, Benchmark). The
    indexes on tracking_no and (phone, category) serve it.
    """
    since = now - timedelta(days=_conf("REPEAT_WINDOW_DAYS"))
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


def _open_submission(cleaned: dict, now: datetime) -> Opening:
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
def complaint_create(*, data: NewComplaint, by, now: datetime | None = None):
    """Accept (受理) a complaint; return it with the customer's access code (shown once).

    The first staff member to receive it owns it (首问责任制). Repeat and urgent detection run
    here; nothing is stored when any field is invalid.
    """
    now = _now(now)
    authorize(by, "add_complaint", action="create")
    cleaned, errors = validate_new_complaint(data)
    if errors:
        raise InvalidInput(_("提交的投诉信息有误，请修改后重试。"), field_errors=errors)

    actor, kind = _actor_fields(by)
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
        _audit(
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
