"""The 处理人: the one person of the responsible unit who works on a complaint (issue 20 §2).

Taking, assigning and automatic assignment; nobody to take it leaves it unassigned and tells
the unit head. Each change is its own audit row. See docs/api.md, "The 处理人 (issue 20 §2)".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from kernel.actors import Actor, is_user
from kernel.errors import Conflict, InvalidInput, NotAllowed
from kernel.workflow import now_or

from ..assignment_rules import StaffLoad, choose_handler
from ..models import OPEN_STATES, Complaint, Role, StaffProfile, Unit
from .audit import record
from .authorization import SYSTEM, authorize, staff_user
from .steps import lock_complaint

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _display(user: User | None) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def is_unit_head(user: Actor | None, unit_id: int | None) -> bool:
    """Whether `user` heads the unit (Unit.head): one query."""
    if unit_id is None or not is_user(user) or not user.pk:
        return False
    return Unit.objects.filter(pk=unit_id, head_id=user.pk).exists()


def may_assign(user: User, complaint: Complaint) -> bool:
    """The unit's head, supervisors and agents (they dispatch) give a complaint to a person."""
    if user.is_superuser or user.has_perm("complaints.dispatch_complaint"):
        return True
    # The unit as the caller loaded it (lists select it with the rows; the ticket shows it).
    return complaint.unit is not None and complaint.unit.head_id == user.pk


def may_take(user: Actor, complaint: Complaint) -> bool:
    """Branch staff of the complaint's unit take it while it has no handler."""
    profile = getattr(user, "staff", None)
    return bool(
        is_user(user)
        and profile is not None
        and profile.role == Role.BRANCH
        and complaint.unit_id is not None
        and profile.unit_id == complaint.unit_id
        and user.has_perm("complaints.view_complaint")
    )


def _check_assignable(locked: Complaint) -> None:
    if locked.status not in OPEN_STATES or locked.unit_id is None:
        raise Conflict(
            _("工单当前状态为“%(status)s”，不能指派处理人。")
            % {"status": locked.get_status_display()}
        )


def _unit_staff(handler: User, unit_id: int) -> StaffProfile:
    """The handler as branch staff of the unit, or InvalidInput."""
    profile: StaffProfile | None = StaffProfile.objects.filter(
        user_id=handler.pk,
        role=Role.BRANCH,
        unit_id=unit_id,
        user__is_active=True,
    ).first()
    if profile is None:
        message = _("处理人须为本单位在职的网点人员。")
        raise InvalidInput(message, field_errors={"handler": message})
    return profile


@transaction.atomic
def complaint_take(*, complaint: Complaint, by: Actor, now: datetime | None = None) -> Complaint:
    """我来处理: branch staff of the complaint's unit become its handler.

    Only while nobody handles it: taking a colleague's complaint is the head's decision
    (complaint_assign_handler, audited with who gave it), not a race between clerks.
    """
    now = now_or(now)
    authorize(by, "view_complaint", complaint)
    if not may_take(by, complaint) or not is_user(by):
        raise NotAllowed(_("只有本单位的网点人员可以接单。"))
    locked = lock_complaint(complaint, by=by, perm="view_complaint", unchanged=False)
    if locked.unit_id != complaint.unit_id:
        raise Conflict(_("工单已被他人改派至其他单位，请刷新后再操作。"))
    _check_assignable(locked)
    if locked.handler_id == by.pk:
        raise Conflict(_("您已是该工单的处理人。"))
    if locked.handler_id is not None:
        raise Conflict(
            _("该工单已由%(name)s处理，如需转交请联系单位负责人。")
            % {"name": _display(locked.handler)}
        )
    locked.handler = by
    locked.save(update_fields=["handler", "updated_at"])
    record(locked, by, "take", locked.status, now=now, handler=by.pk, handler_name=_display(by))
    return locked


@transaction.atomic
def complaint_assign_handler(
    *,
    complaint: Complaint,
    handler: User | None,
    by: Actor,
    reason: str = "",
    now: datetime | None = None,
) -> Complaint:
    """Give the complaint to a staff member of its unit (`handler=None`: nobody handles it).

    By the unit's head, a supervisor or an agent; refused when the handler is not active
    branch staff of the complaint's unit, the complaint is not open at a unit, or nothing
    would change.
    """
    now = now_or(now)
    authorize(by, "view_complaint", complaint)
    if not may_assign(staff_user(by), complaint):
        raise NotAllowed(_("只有单位负责人、客服坐席或质量监控主管可以指派处理人。"))
    locked = lock_complaint(complaint, by=by, perm="view_complaint", unchanged=False)
    if locked.unit_id != complaint.unit_id:
        raise Conflict(_("工单已被他人改派至其他单位，请刷新后再操作。"))
    _check_assignable(locked)
    if handler is not None and locked.unit_id is not None:  # _check_assignable: it has a unit
        _unit_staff(handler, locked.unit_id)
    new_id = handler.pk if handler is not None else None
    if locked.handler_id == new_id:
        raise Conflict(_("处理人没有变化。"))
    previous = locked.handler
    locked.handler = handler
    locked.save(update_fields=["handler", "updated_at"])
    record(
        locked,
        by,
        "assign_handler" if handler is not None else "unassign_handler",
        locked.status,
        now=now,
        reason=(reason or "").strip(),
        handler=new_id,
        handler_name=_display(handler) if handler is not None else "",
        previous=previous.pk if previous is not None else None,
        previous_name=_display(previous) if previous is not None else "",
    )
    return locked


# --- Automatic assignment -----------------------------------------------------------------


def staff_loads(unit_id: int, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """The unit's active branch staff with their open and overdue complaints, in ONE query.

    Rows: user_id, username, first_name, last_name, on_duty, open_load, overdue,
    last_assigned_at (when the newest of their open complaints came to the unit).
    """
    now = now_or(now)
    theirs = Q(
        user__handled_complaints__unit_id=unit_id,
        user__handled_complaints__status__in=OPEN_STATES,
    )
    return list(
        StaffProfile.objects.filter(role=Role.BRANCH, unit_id=unit_id, user__is_active=True)
        .values("user_id", "user__username", "user__first_name", "user__last_name", "on_duty")
        .annotate(
            open_load=Count("user__handled_complaints", filter=theirs),
            overdue=Count(
                "user__handled_complaints",
                filter=theirs & Q(user__handled_complaints__next_deadline__lt=now),
            ),
            last_assigned_at=Max("user__handled_complaints__dispatched_at", filter=theirs),
        )
        .order_by("user__username")
    )


@dataclass(frozen=True)
class AutoPick:
    """What automatic assignment decided for one complaint, to be audited by the caller."""

    handler: object | None
    details: dict[str, Any]


def auto_assign_pick(locked: Complaint, *, now: datetime) -> AutoPick | None:
    """Choose a handler for a complaint being dispatched or reassigned to its unit.

    Sets `locked.handler` in memory (the caller saves); None when the unit does not assign
    automatically. The unit row is locked, so two complaints dispatched to one unit at once are
    assigned one after the other, each seeing the other's load and the cap as it is now.
    `locked.unit` is the unit it goes to (set by the caller, so reading it costs nothing).
    """
    if locked.unit is None or not locked.unit.auto_assign:
        return None  # most units: no lock, no query
    # FOR NO KEY UPDATE: serialises the unit's automatic assignments without blocking the
    # foreign-key checks of complaints written to the unit meanwhile (FOR KEY SHARE).
    unit = Unit.objects.select_for_update(no_key=True).filter(pk=locked.unit_id).first()
    if unit is None or not unit.auto_assign:
        return None
    rows = staff_loads(unit.pk, now=now)
    choice = choose_handler(
        [
            StaffLoad(
                user_id=r["user_id"],
                on_duty=r["on_duty"],
                open_load=r["open_load"],
                last_assigned_at=r["last_assigned_at"],
            )
            for r in rows
        ],
        cap=unit.assign_cap,
    )
    if choice.user_id is None:
        return AutoPick(
            None, {"why": str(choice.reason), "cap": unit.assign_cap, "head": unit.head_id}
        )
    handler = get_user_model().objects.get(pk=choice.user_id)
    locked.handler = handler
    load = next(r["open_load"] for r in rows if r["user_id"] == handler.pk)
    details = {
        "handler": handler.pk,
        "handler_name": _display(handler),
        "load": load,
        "cap": unit.assign_cap,
    }
    return AutoPick(handler, details)


def audit_auto_assign(locked: Complaint, pick: AutoPick | None, *, now: datetime) -> None:
    """The audit row of an automatic assignment, after the dispatch's own.

    Nobody available: the complaint stays unassigned and complaints.messages tells the unit
    head from this row (`auto_assign_none`).
    """
    if pick is None:
        return
    event = "auto_assign" if pick.handler is not None else "auto_assign_none"
    record(locked, SYSTEM, event, locked.status, now=now, **pick.details)


# --- The team page's switches ----------------------------------------------------------------


@transaction.atomic
def staff_set_on_duty(*, person: User | None, on_duty: bool, by: Actor) -> StaffProfile:
    """Switch a branch staff member on or off duty: they themselves or their unit's head."""
    if not is_user(by) or not by.is_active:
        raise NotAllowed(_("请先登录。"))
    profile: StaffProfile | None = (
        StaffProfile.objects.select_for_update()
        .filter(user_id=getattr(person, "pk", None), role=Role.BRANCH)
        .first()
    )
    if profile is None:
        raise NotAllowed(_("只有网点人员有在岗状态。"))
    if by.pk != profile.user_id and not is_unit_head(by, profile.unit_id):
        raise NotAllowed(_("只有本人或单位负责人可以切换在岗状态。"))
    if profile.on_duty != on_duty:
        profile.on_duty = on_duty
        profile.save(update_fields=["on_duty"])
        _log_change(by, profile, _("在岗") if on_duty else _("离岗"))
    return profile


def _log_change(by: User, obj: StaffProfile | Unit, message: str) -> None:
    """Record who switched it, in the history the admin shows for the person or the unit.

    Not a complaint's audit row: it explains why automatic assignment passed someone over.
    """
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[obj],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )


def unit_set_auto_assign(*, unit: Unit, auto_assign: bool, cap: int, by: Actor) -> Unit:
    """The unit head switches automatic assignment and sets the cap (1–999 open complaints)."""
    if not is_user(by) or not by.is_active:
        raise NotAllowed(_("请先登录。"))
    if not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= 999:
        message = _("每人在办上限须为1至999之间的整数。")
        raise InvalidInput(message, field_errors={"assign_cap": message})
    with transaction.atomic():
        locked: Unit | None = Unit.objects.select_for_update().filter(pk=unit.pk).first()
        if locked is None or locked.head_id != by.pk:
            raise NotAllowed(_("只有单位负责人可以设置自动分配。"))
        if (locked.auto_assign, locked.assign_cap) != (auto_assign, cap):
            locked.auto_assign = auto_assign
            locked.assign_cap = cap
            locked.save(update_fields=["auto_assign", "assign_cap"])
            state = _("自动分配：开") if auto_assign else _("自动分配：关")
            _log_change(
                by, locked, _("%(state)s，每人在办上限 %(cap)d") % {"state": state, "cap": cap}
            )
        return locked
