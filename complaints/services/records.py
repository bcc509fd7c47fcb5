"""What staff write down without moving the complaint: contacts, internal notes, features' events.

A contact that reached the customer is the first response and stops the 24 h timer (SPEC §4);
notes are for staff only and never shown to the customer. Evidence uploads are in
complaints/attachments.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kernel.actors import Actor, is_user
from kernel.errors import Conflict, InvalidInput, NotAllowed
from kernel.workflow import now_or

from ..models import Complaint, ComplaintTransition, Contact, ContactMethod, Note
from .audit import record
from .authorization import authorize, staff_user
from .steps import lock_complaint, require_text, save_complaint


@transaction.atomic
def complaint_log_contact(
    *,
    complaint: Complaint,
    by: Actor,
    method: str,
    summary: str,
    reached: bool = True,
    at: datetime | None = None,
    now: datetime | None = None,
) -> Contact:
    """Record a contact with the customer; the first one that reached them stops the 24 h timer."""
    now = now_or(now)
    authorize(by, "contact_customer", complaint)
    if method not in ContactMethod.values:
        raise InvalidInput(_("联系方式无效。"), field_errors={"method": _("联系方式无效。")})
    summary = require_text(summary, "summary", _("联系内容"))
    at = at or now
    if at > now + timedelta(minutes=5):
        raise InvalidInput(
            _("联系时间不能晚于现在。"), field_errors={"at": _("联系时间不能晚于现在。")}
        )
    locked = lock_complaint(complaint, by=by, perm="contact_customer", unchanged=False)
    if not locked.is_open:
        raise Conflict(
            _("工单已%(status)s，不能再记录联系。") % {"status": locked.get_status_display()}
        )
    contact = Contact.objects.create(
        complaint=locked, by=staff_user(by), at=at, method=method, summary=summary, reached=reached
    )
    # The first response is a contact that reached the customer, or a reply (SPEC §4).
    if reached and locked.first_response_at is None:
        locked.first_response_at = at
        save_complaint(locked, now=now)
    record(locked, by, "contact", locked.status, now=now, method=method, reached=reached)
    return contact


@transaction.atomic
def complaint_add_note(
    *, complaint: Complaint, by: Actor, text: str, now: datetime | None = None
) -> Note:
    """An internal note for staff; never shown to the customer."""
    now = now_or(now)
    authorize(by, "note_complaint", complaint)
    text = require_text(text, "text", _("备注内容"))
    # Locked and checked again: a clerk whose unit lost the ticket meanwhile writes nothing.
    locked = lock_complaint(complaint, by=by, perm="note_complaint", unchanged=False)
    return Note.objects.create(complaint=locked, by=staff_user(by), at=now, text=text)


@transaction.atomic
def complaint_log_event(
    *,
    complaint: Complaint,
    by: Actor,
    event: str,
    reason: str = "",
    now: datetime | None = None,
    **details: Any,
) -> ComplaintTransition:
    """Write a feature's event (a dispute filed or decided…) on the complaint's audit trail.

    No state changes. The calling feature has checked the actor's right to do what it records
    (a hub disputing a ruling on another unit's complaint may not see the complaint itself).
    """
    now = now_or(now)
    if not is_user(by) or not by.is_active:
        raise NotAllowed(_("请先登录。"))
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    return record(locked, by, event, locked.status, now=now, reason=reason, **details)
