"""Who hears about an SLA event, and on which channels.

The directory itself (staff, units, heads) is complaints'; this is the routing of the SLA
engine on top of it: the handlers of a timer, the ladder of an escalation.
"""

from __future__ import annotations

from complaints.directory import StaffDirectory
from escalation.schedule import EventKind, Notify, TimerName

# Staff always get an in-app notice; e-mail when they have an address; an SMS only for what
# cannot wait (breaches, escalations, the 12305 risk, urgent assignments).
SMS_KINDS = {EventKind.BREACH, EventKind.ESCALATION, EventKind.STATUTORY_RISK}


def handlers(
    directory: StaffDirectory,
    *,
    timer: str,
    unit_id: int | None,
    owner_id: int | None,
    handler_id: int | None = None,
) -> list[int]:
    """The people who must act on a timer; supervisors when nobody else is there.

    The unit answers the first response, resolution and the statutory answer — its 处理人
    when the complaint has one (issue 20 §2: the handler first, the head at the first
    escalation, then the supervisors), else all its staff; the customer-service owner
    (首问责任人) does the follow-up call.
    """
    people: list[int] = []
    if timer != TimerName.FOLLOW_UP and unit_id:
        staff = directory.unit_staff.get(unit_id, [])
        people = [handler_id] if handler_id in staff else list(staff)
    if not people and owner_id and owner_id in directory.active:
        people = [owner_id]
    return people or list(directory.supervisors)


def for_event(
    directory: StaffDirectory,
    *,
    kind: str,
    timer: str,
    notify: str | None,
    unit_id,
    owner_id,
    handler_id: int | None = None,
) -> list[int]:
    """Staff to notify of an SLA event, without duplicates, in a stable order."""
    if kind == EventKind.ESCALATION:
        if notify == Notify.UNIT_HEAD:
            head = directory.head_of(unit_id)
            people = [head] if head else list(directory.supervisors)
        else:
            people = list(directory.supervisors)
    else:
        people = handlers(
            directory, timer=timer, unit_id=unit_id, owner_id=owner_id, handler_id=handler_id
        )
        if kind in (EventKind.BREACH, EventKind.STATUTORY_RISK) and owner_id in directory.active:
            people.append(owner_id)
    return list(dict.fromkeys(people))
