"""Who may act on a complaint, and how a complaint is found for the person asking.

The actors that are not staff users (`CUSTOMER`, `SYSTEM`), `authorize` (the permission check
every service runs first: django-fsm does not enforce `permission=`; branch staff see only
their own unit's complaints, SPEC §1), the customer's access code (a keyed hash, never stored
in clear) and the reads `get_for_staff` / `get_for_customer`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _

from kernel.actors import CUSTOMER as CUSTOMER  # re-exported: existing imports keep working
from kernel.actors import SYSTEM as SYSTEM
from kernel.actors import Actor, is_user
from kernel.errors import NotAllowed, NotFound

from ..models import TICKET_NO_PATTERN, Complaint, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# What a customer may do on their own ticket (by ticket number + access code).
CUSTOMER_ACTIONS = {"create", "withdraw", "reopen", "chase", "evidence", "rating"}


def authorize(
    by: Actor | None, perm: str, complaint: Complaint | None = None, *, action: str = ""
) -> None:
    """Refuse unless the actor may use `perm` on this complaint.

    Customers may only do the CUSTOMER_ACTIONS, named by `action` (the caller has already
    checked their access code; a staff-only service names none, so a customer is refused);
    the system may do anything. Branch staff see and act only on their own unit's
    complaints: another unit's complaint is answered as "not found", as if it did not exist.
    """
    if by == SYSTEM:
        return
    if by == CUSTOMER:
        if action not in CUSTOMER_ACTIONS:
            raise NotAllowed(_("客户不能执行此操作。"))
        return
    if not is_user(by) or not by.is_active:
        raise NotAllowed(_("请先登录。"))
    if complaint is not None and not by.is_superuser:
        profile = getattr(by, "staff", None)
        if profile is None:
            raise NotAllowed(_("您不是系统内的员工，不能处理投诉。"))
        if profile.role == Role.BRANCH and complaint.unit_id != profile.unit_id:
            raise NotFound(_("工单不存在。"))
    if not by.has_perm(f"complaints.{perm}"):
        raise NotAllowed(_("您没有权限执行此操作。"))


def staff_user(by: Actor | None) -> User:
    """`by` where the record names a user (a note's writer, a reply's…), after `authorize`.

    The customer was refused there and the system never writes these: anyone else is asked
    to log in, as `authorize` asks.
    """
    if not is_user(by):
        raise NotAllowed(_("请先登录。"))
    return by


# Access codes avoid letters people confuse (0/O, 1/I/L): 10 of 31 symbols, ~49.5 bits.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 10


def new_access_code() -> str:
    """A uniformly random code: one draw below 31**10 written in base 31.

    One call to the system's random source instead of one per symbol (secrets.choice ten
    times was 4 % of a submission's CPU in the profile).
    """
    number = secrets.randbelow(len(_CODE_ALPHABET) ** _CODE_LENGTH)
    symbols = []
    for _place in range(_CODE_LENGTH):
        number, digit = divmod(number, len(_CODE_ALPHABET))
        symbols.append(_CODE_ALPHABET[digit])
    return "".join(symbols)


def hash_access_code(ticket_no: str, code: str) -> str:
    message = f"{ticket_no}:{code.strip().upper()}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def access_code_matches(complaint: Complaint, code: str | None) -> bool:
    if not code:
        return False
    return hmac.compare_digest(
        complaint.access_code_hash, hash_access_code(complaint.ticket_no, code)
    )


def get_for_staff(*, ticket_no: str, by: Actor | None) -> Complaint:
    """Find a complaint the staff user may see, or NotFound (the same for another unit's)."""
    if not is_user(by) or not by.is_active:
        raise NotAllowed(_("请先登录。"))
    if not by.has_perm("complaints.view_complaint"):
        raise NotAllowed(_("您没有权限查看工单。"))
    if not re.fullmatch(TICKET_NO_PATTERN, ticket_no):
        raise NotFound(_("工单不存在。"))
    complaint: Complaint | None = (
        Complaint.objects.visible_to(by).filter(ticket_no=ticket_no.upper()).first()
    )
    if complaint is None:
        raise NotFound(_("工单不存在。"))
    return complaint


def get_for_customer(*, ticket_no: str, access_code: str | None) -> Complaint:
    """Find the customer's own complaint; a wrong code is answered exactly like a missing one."""
    complaint: Complaint | None = Complaint.objects.filter(ticket_no=ticket_no).first()
    if complaint is None or not access_code_matches(complaint, access_code):
        raise NotFound(_("工单不存在。"))
    return complaint
