"""Revealing the customer's unmasked name and phone, recorded per look (SPEC §9)."""

from __future__ import annotations

from datetime import datetime

from kernel.actors import Actor
from kernel.workflow import now_or

from ..models import Complaint, PersonalDataAccess
from .authorization import authorize, staff_user


def complaint_reveal_personal_data(
    *, complaint: Complaint, by: Actor, purpose: str = "", now: datetime | None = None
) -> dict[str, str]:
    """Return the customer's full name and phone, and record who looked (SPEC §9)."""
    now = now_or(now)
    authorize(by, "view_personal_data", complaint)
    PersonalDataAccess.objects.create(
        complaint=complaint, user=staff_user(by), at=now, purpose=purpose[:100]
    )
    return {"complainant_name": complaint.complainant_name, "phone": complaint.phone}


def complaint_record_access(
    *, complaint: Complaint, by: Actor, purpose: str, now: datetime | None = None
) -> None:
    """Record that a staff user looked at the customer's file or printed the complaint.

    The same audit as a reveal (the privacy audit reads PersonalDataAccess): an evidence photo
    shows a face, a label, an address; a print-out leaves the system. The caller has checked
    that the user may see the complaint (get_for_staff); no further right is needed to look at
    what the ticket page already links to.
    """
    now = now_or(now)
    authorize(by, "view_complaint", complaint)
    PersonalDataAccess.objects.create(
        complaint=complaint, user=staff_user(by), at=now, purpose=purpose[:100]
    )
