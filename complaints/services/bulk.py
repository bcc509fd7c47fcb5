"""Bulk actions on a list's selected complaints (issue 20 §3): one complaint at a time.

Each complaint goes through its own service in its own transaction, exactly as from its ticket
page, so one refusal leaves the others done; a wrong request as a whole changes nothing. See
docs/console.md, "Bulk actions".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kernel.actors import Actor, is_user
from kernel.errors import DomainError, InvalidInput, NotAllowed
from kernel.models import Notice

from ..models import Complaint, Role, Unit
from .assignment import complaint_assign_handler
from .records import complaint_add_note
from .transitions import complaint_dispatch, complaint_reassign

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_TICKETS = 100
ACTION_LABELS = {
    "dispatch": gettext_lazy("下发"),
    "reassign": gettext_lazy("改派"),
    "assign": gettext_lazy("指派处理人"),
    "mark_read": gettext_lazy("通知标为已读"),
    "note": gettext_lazy("添加备注"),
}
_NEEDS_UNIT = ("dispatch", "reassign")


@dataclass(frozen=True)
class BulkItem:
    ticket_no: str
    ok: bool
    message: str
    code: str = "done"  # or the refusal's kind: invalid, forbidden, not_found, conflict


@dataclass
class BulkResult:
    action: str
    items: list[BulkItem] = field(default_factory=list)

    @property
    def done(self) -> list[BulkItem]:
        return [i for i in self.items if i.ok]

    @property
    def refused(self) -> list[BulkItem]:
        return [i for i in self.items if not i.ok]


def _tickets(raw: object) -> list[str]:
    if not isinstance(raw, list | tuple) or not all(isinstance(t, str) for t in raw):
        raise InvalidInput(_("请选择工单。"), field_errors={"tickets": _("请选择工单。")})
    tickets: list[str] = []
    for ticket in raw:
        ticket = ticket.replace("\x00", "").strip().upper()[:24]
        if ticket and ticket not in tickets:
            tickets.append(ticket)
    if not tickets:
        raise InvalidInput(_("请选择工单。"), field_errors={"tickets": _("请选择工单。")})
    if len(tickets) > MAX_TICKETS:
        message = _("一次最多处理%(n)d件工单。") % {"n": MAX_TICKETS}
        raise InvalidInput(message, field_errors={"tickets": message})
    return tickets


def _unit(code: object) -> Unit:
    unit: Unit | None = None
    if isinstance(code, str) and code.strip() and "\x00" not in code:
        unit = Unit.objects.filter(code=code.strip()[:32], is_active=True).first()
    if unit is None:
        message = _("请选择有效的责任单位。")
        raise InvalidInput(message, field_errors={"unit": message})
    return unit


def _person(value: object) -> User:
    """The staff member to assign, by user id; whether they may handle it is the service's."""
    try:
        pk = int(value)  # type: ignore[call-overload]  # anything a client sent
    except (TypeError, ValueError):
        pk = 0
    person: User | None = (
        get_user_model().objects.filter(pk=pk, is_active=True).first() if 0 < pk < 2**31 else None
    )
    if person is None:
        message = _("请选择处理人。")
        raise InvalidInput(message, field_errors={"handler": message})
    return person


def _text(value: object, name: str, label: str) -> str:
    text = value.replace("\x00", "").strip() if isinstance(value, str) else ""
    if not text:
        message = _("请填写%(label)s。") % {"label": label}
        raise InvalidInput(message, field_errors={name: message})
    if len(text) > 2000:
        message = _("%(label)s不能超过2000字。") % {"label": label}
        raise InvalidInput(message, field_errors={name: message})
    return text


def _require_staff(by: Actor) -> User:
    profile = getattr(by, "staff", None)
    if (
        not is_user(by)
        or not by.is_active
        or not (
            by.is_superuser
            or (profile and profile.role in (Role.AGENT, Role.BRANCH, Role.SUPERVISOR))
        )
    ):
        raise NotAllowed(_("您没有权限批量处理工单。"))
    if not by.has_perm("complaints.view_complaint"):
        raise NotAllowed(_("您没有权限批量处理工单。"))
    return by


def complaints_bulk(
    *,
    by: Actor,
    action: str,
    tickets: object,
    unit: str = "",
    reason: str = "",
    text: str = "",
    handler: object = None,
    now: datetime | None = None,
) -> BulkResult:
    """Run `action` on each ticket in its own transaction; collect what was done or refused."""
    user = _require_staff(by)
    if action not in ACTION_LABELS:
        message = _("批量操作无效。")
        raise InvalidInput(message, field_errors={"action": message})
    numbers = _tickets(tickets)
    target = _unit(unit) if action in _NEEDS_UNIT else None
    if action == "reassign":
        reason = _text(reason, "reason", _("改派原因"))
    else:  # optional: kept on the audit row as sent, without what PostgreSQL refuses
        reason = reason.replace("\x00", "").strip()[:2000] if isinstance(reason, str) else ""
    if action == "note":
        text = _text(text, "text", _("备注内容"))
    person = _person(handler) if action == "assign" else None
    now = now or timezone.now()
    # One query for the rows the user may see; another unit's complaint is "not found",
    # exactly as on its ticket page.
    found = {
        c.ticket_no: c
        for c in Complaint.objects.visible_to(by)
        .filter(ticket_no__in=numbers)
        .select_related("unit")
    }
    result = BulkResult(action=action)
    for number in numbers:
        complaint = found.get(number)
        if complaint is None:
            result.items.append(BulkItem(number, False, _("工单不存在。"), "not_found"))
            continue
        try:
            with transaction.atomic():
                message = _run(
                    action,
                    complaint,
                    by=user,
                    unit=target,
                    person=person,
                    reason=reason,
                    text=text,
                    now=now,
                )
        except DomainError as exc:
            result.items.append(BulkItem(number, False, exc.message, exc.code))
        else:
            result.items.append(BulkItem(number, True, message))
    return result


def _run(
    action: str,
    complaint: Complaint,
    *,
    by: User,
    unit: Unit | None,
    person: User | None,
    reason: str,
    text: str,
    now: datetime,
) -> str:
    if action in ("dispatch", "reassign"):
        if unit is None:  # complaints_bulk has read it
            raise InvalidInput(_("请选择有效的责任单位。"))
        move = complaint_dispatch if action == "dispatch" else complaint_reassign
        move(complaint=complaint, unit=unit, by=by, reason=reason, now=now)
        done = _("已下发至%(unit)s。") if action == "dispatch" else _("已改派至%(unit)s。")
        return done % {"unit": unit.name}
    if action == "assign":
        if person is None:  # complaints_bulk has read them
            raise InvalidInput(_("请选择处理人。"))
        complaint_assign_handler(complaint=complaint, handler=person, by=by, reason=reason, now=now)
        name = person.get_full_name() or person.get_username()
        return _("已指派给%(name)s。") % {"name": name}
    if action == "note":
        complaint_add_note(complaint=complaint, by=by, text=text, now=now)
        return _("已添加备注。")
    read = Notice.objects.filter(user=by, complaint_id=complaint.pk, read_at__isnull=True).update(
        read_at=now
    )
    return _("%(n)d条通知已标为已读。") % {"n": read} if read else _("没有未读通知。")
