"""What staff write down without moving the complaint: contacts, internal notes, features' events.

A contact that reached the customer is the first response and stops the 24 h timer (SPEC §4);
notes are for staff only and never shown to the customer. Evidence uploads are in
complaints/attachments.py.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from kernel.errors import Conflict, InvalidInput, NotAllowed

from ..models import Complaint, Contact, ContactMethod, Note
from .access import authorize
from .steps import _audit, _lock, _now, _require, _save


@transaction.atomic
def complaint_log_contact(
    *, complaint: Complaint, by, method: str, summary: str, reached: bool = True, at=None, now=None
) -> Contact:
    """Record a contact with the customer; the first one that reached them stops the 24 h timer."""
    now = _now(now)
    authorize(by, "contact_customer", complaint, action="contact")
    if method not in ContactMethod.values:
        raise InvalidInput(_("联系方式无效。"), field_errors={"method": _("联系方式无效。")})
    summary = _require(summary, "summary", _("联系内容"))
    at = at or now
    if at > now + timedelta(minutes=5):
        raise InvalidInput(
            _("联系时间不能晚于现在。"), field_errors={"at": _("联系时间不能晚于现在。")}
        )
    locked = _lock(complaint, by=by, perm="contact_customer", action="contact", unchanged=False)
    if not locked.is_open:
        raise Conflict(
            _("工单已%(status)s，不能再记录联系。") % {"status": locked.get_status_display()}
        )
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
def complaint_add_note(*, complaint: Complaint, by, text: str, now=None) -> Note:
    """An internal note for staff; never shown to the customer."""
    now = _now(now)
    authorize(by, "note_complaint", complaint, action="note")
    text = _require(text, "text", _("备注内容"))
    # Locked and checked again: a clerk whose unit lost the ticket meanwhile writes nothing.
    locked = _lock(complaint, by=by, perm="note_complaint", action="note", unchanged=False)
    return Note.objects.create(complaint=locked, by=by, at=now, text=text)


@transaction.atomic
def complaint_log_event(
    *, complaint: Complaint, by, event: str, reason: str = "", now=None, **details
):
    """Write a feature's event (a dispute filed or decided…) on the complaint's audit trail.

    No state changes. The calling feature has checked the actor's right to do what it records
    (a hub disputing a ruling on another unit's complaint may not see the complaint itself).
    """
    now = _now(now)
    if by is None or isinstance(by, str) or not getattr(by, "is_active", False):
        raise NotAllowed(_("请先登录。"))
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    return _audit(locked, by, event, locked.status, now=now, reason=reason, **details)
