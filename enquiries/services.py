"""Record, answer and convert enquiries (查件/咨询). Rules: enquiries.conversion.

A conversion creates the complaint through complaints.services (its timers start then) and
links it here; the enquiry keeps the time of the first contact.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import services as complaint_services
from complaints.models import Channel
from complaints.services.intake import validate_new_complaint
from kernel import workflow
from kernel.errors import Conflict, InvalidInput, NotAllowed

from . import conversion
from .models import ConversionReason, Enquiry, EnquiryChannel, EnquiryContact, EnquiryStatus

CUSTOMER = complaint_services.CUSTOMER
SYSTEM = complaint_services.SYSTEM
logger = logging.getLogger(__name__)
PLACEHOLDER_NAME = "查件客户"  # a complaint needs a name; enquiries often have none


def _config(name: str):
    return settings.ENQUIRIES[name]


@dataclass(frozen=True)
class NewEnquiry:
    tracking_no: str
    phone: str
    question: str
    answer: str = ""
    name: str = ""
    party: str = "recipient"
    category: str = "delay"
    channel: str = EnquiryChannel.PHONE
    resolved: bool = False  # the agent's answer solved it on the call
    wants_complaint: bool = False  # the customer says they want to complain


@dataclass(frozen=True)
class Outcome:
    enquiry: Enquiry
    created: bool  # a new enquiry (False: a further contact on an earlier one)
    access_code: str = ""  # the new complaint's code when this contact converted it


def _authorize(by, perm: str) -> None:
    if by in (CUSTOMER, SYSTEM):
        return
    if by is None or not getattr(by, "is_active", False) or not by.has_perm(f"enquiries.{perm}"):
        raise NotAllowed(_("您没有权限处理查件咨询。"))


def validate(data: NewEnquiry) -> dict:
    """Check with the complaint's own rules (the enquiry may become one): the same waybill and
    phone normalisation, so a second contact meets the first whatever the spelling."""
    if data.channel not in EnquiryChannel.values:
        raise InvalidInput(_("渠道无效。"), field_errors={"channel": _("渠道无效。")})
    cleaned, errors = validate_new_complaint(
        complaint_services.NewComplaint(
            tracking_no=data.tracking_no,
            complainant_name=(data.name or "").strip() or PLACEHOLDER_NAME,
            phone=data.phone,
            party=data.party,
            category=data.category,
            description=data.question,
        )
    )
    errors = {
        {"complainant_name": "name", "description": "question"}.get(k, k): str(v).replace(
            "投诉内容", "客户问题"
        )
        for k, v in errors.items()
        if k in ("tracking_no", "phone", "party", "category", "complainant_name", "description")
    }
    answer = (data.answer or "").strip()
    if len(answer) > 5000:
        errors["answer"] = _("答复内容不能超过5000个字。")
    if errors:
        raise InvalidInput(_("查件咨询信息有误，请修改后重试。"), field_errors=errors)
    return {
        "tracking_no": cleaned["tracking_no"],
        "phone": cleaned["phone"],
        "name": (data.name or "").strip(),
        "party": cleaned["party"],
        "category": cleaned["category"],
        "question": cleaned["description"],
        "answer": answer,
    }


@transaction.atomic
def enquiry_record(*, data: NewEnquiry, by, now: datetime | None = None) -> Outcome:
    """Record a contact: a new enquiry, or a further contact on the customer's earlier one
    about the same waybill (which converts it, conversion.is_second_contact)."""
    now = workflow.now_or(now)
    _authorize(by, "add_enquiry")
    cleaned = validate(data)
    staff = None if by in (CUSTOMER, SYSTEM) else by
    earlier = (
        Enquiry.objects.select_for_update()
        .filter(tracking_no=cleaned["tracking_no"], phone=cleaned["phone"])
        .order_by("-last_contact_at", "-id")
        .first()
    )
    if earlier is not None and conversion.is_second_contact(
        last_contact_at=earlier.last_contact_at, now=now, window_days=_config("REPEAT_DAYS")
    ):
        EnquiryContact.objects.create(
            enquiry=earlier,
            at=now,
            channel=data.channel,
            by=staff,
            question=cleaned["question"],
            answer=cleaned["answer"],
        )
        earlier.contact_count += 1
        earlier.last_contact_at = now
        earlier.save(update_fields=["contact_count", "last_contact_at"])
        code = ""
        if earlier.status != EnquiryStatus.CONVERTED:
            reason = (
                conversion.Reason.CUSTOMER_REQUEST
                if data.wants_complaint
                else conversion.Reason.SECOND_CONTACT
            )
            code = _convert(earlier, reason=reason, by=by, now=now)
        return Outcome(earlier, created=False, access_code=code)

    enquiry = Enquiry.objects.create(
        **cleaned,
        channel=data.channel,
        created_by=staff,
        first_contact_at=now,
        last_contact_at=now,
        resolve_due=conversion.resolve_due(now, _config("RESOLVE_HOURS")),
        status=EnquiryStatus.RESOLVED if data.resolved else EnquiryStatus.OPEN,
        resolved_at=now if data.resolved else None,
    )
    EnquiryContact.objects.create(
        enquiry=enquiry,
        at=now,
        channel=data.channel,
        by=staff,
        question=cleaned["question"],
        answer=cleaned["answer"],
    )
    code = ""
    if data.wants_complaint:
        code = _convert(enquiry, reason=conversion.Reason.CUSTOMER_REQUEST, by=by, now=now)
    return Outcome(enquiry, created=True, access_code=code)


@transaction.atomic
def enquiry_resolve(*, enquiry: Enquiry, by, answer: str = "", now: datetime | None = None):
    """The customer's question is answered and solved: no conversion by timeout."""
    now = workflow.now_or(now)
    _authorize(by, "change_enquiry")
    locked = Enquiry.objects.select_for_update().get(pk=enquiry.pk)
    if locked.status != EnquiryStatus.OPEN:
        raise Conflict(
            _("该查件咨询已%(s)s，不能再标记为已解决。") % {"s": locked.get_status_display()}
        )
    answer = (answer or "").strip()[:5000]
    if answer:
        locked.answer = answer
    locked.status = EnquiryStatus.RESOLVED
    locked.resolved_at = now
    locked.save(update_fields=["answer", "status", "resolved_at"])
    return locked


@transaction.atomic
def enquiry_convert(
    *, enquiry: Enquiry, by, reason: str = conversion.Reason.CUSTOMER_REQUEST, now=None
) -> tuple[Enquiry, str]:
    """Convert on the customer's request (or the sweep's timeout); return it and the code."""
    now = workflow.now_or(now)
    _authorize(by, "change_enquiry")
    locked = Enquiry.objects.select_for_update().get(pk=enquiry.pk)
    if locked.status == EnquiryStatus.CONVERTED:
        raise Conflict(_("该查件咨询已转为投诉 %(t)s。") % {"t": locked.complaint.ticket_no})
    code = _convert(locked, reason=conversion.Reason(reason), by=by, now=now)
    return locked, code


def history_text(enquiry: Enquiry) -> str:
    """The enquiry's contacts, oldest first, as the complaint's description carries them."""
    lines = [
        _("【由查件咨询转入】首次联系：%(at)s；联系 %(n)d 次。")
        % {
            "at": timezone.localtime(enquiry.first_contact_at).strftime("%Y-%m-%d %H:%M"),
            "n": enquiry.contact_count,
        }
    ]
    for c in enquiry.contacts.order_by("at", "id"):
        when = timezone.localtime(c.at).strftime("%m-%d %H:%M")
        lines.append(_("%(at)s 客户：%(q)s") % {"at": when, "q": c.question})
        if c.answer:
            lines.append(_("%(at)s 答复：%(a)s") % {"at": when, "a": c.answer})
    return "\n".join(lines)


_CHANNELS = {
    EnquiryChannel.PHONE: Channel.PHONE,
    EnquiryChannel.API: Channel.API,
    EnquiryChannel.WEB: Channel.WEB,
    EnquiryChannel.COUNTER: Channel.COUNTER,
}


def _convert(enquiry: Enquiry, *, reason: conversion.Reason, by, now: datetime) -> str:
    """Create the linked complaint (its timers start now) and mark the enquiry converted."""
    actor = SYSTEM if by in (None, SYSTEM) else by
    if actor not in (CUSTOMER, SYSTEM) and not actor.has_perm("complaints.add_complaint"):
        actor = SYSTEM  # the conversion is the rule's, not the clerk's own intake
    description = history_text(enquiry)[:5000]
    complaint, code = complaint_services.complaint_create(
        data=complaint_services.NewComplaint(
            tracking_no=enquiry.tracking_no,
            complainant_name=enquiry.name or PLACEHOLDER_NAME,
            phone=enquiry.phone,
            party=enquiry.party,
            category=enquiry.category,
            description=description,
            channel=_CHANNELS.get(enquiry.channel, Channel.PHONE),
        ),
        by=actor,
        now=now,
    )
    enquiry.status = EnquiryStatus.CONVERTED
    enquiry.converted_at = now
    enquiry.conversion_reason = ConversionReason(reason.value)
    enquiry.complaint = complaint
    enquiry.save(update_fields=["status", "converted_at", "conversion_reason", "complaint"])
    return code


def sweep_timeouts(*, now: datetime | None = None, batch: int | None = None) -> int:
    """Convert the open enquiries past their due time, a batch at a time; return how many.

    Each is claimed with SKIP LOCKED in its own transaction: two sweeps never convert the same
    enquiry, and one failing enquiry does not hold back the rest.
    """
    now = workflow.now_or(now)
    batch = batch or _config("SWEEP_BATCH")
    done = 0
    failed: list[int] = []
    while True:
        with transaction.atomic():
            claimed = list(
                Enquiry.objects.select_for_update(skip_locked=True)
                .filter(status=EnquiryStatus.OPEN, resolve_due__lte=now)
                .exclude(pk__in=failed)
                .order_by("resolve_due")[:batch]
            )
            for enquiry in claimed:
                if not conversion.timed_out(is_open=True, due=enquiry.resolve_due, now=now):
                    continue
                try:
                    with transaction.atomic():  # a savepoint: one bad row, not the batch
                        _convert(enquiry, reason=conversion.Reason.TIMEOUT, by=SYSTEM, now=now)
                except Exception:  # logged; retried by the next sweep
                    logger.exception("enquiry %s: conversion failed", enquiry.pk)
                    failed.append(enquiry.pk)
                else:
                    done += 1
        if len(claimed) < batch:
            return done


def purge_keys(*, now: datetime | None = None) -> int:
    """Forget Idempotency-Keys older than the complaints' retention (24 h by default): a retry
    after that records a new contact, as a complaint retry creates a new complaint."""
    from datetime import timedelta

    from .models import EnquiryKey

    cutoff = workflow.now_or(now) - timedelta(hours=settings.API_IDEMPOTENCY_RETENTION_HOURS)
    oldest = EnquiryKey.objects.filter(created_at__lt=cutoff).values("pk")[:5000]
    deleted, _per_model = EnquiryKey.objects.filter(pk__in=oldest).delete()
    return deleted
