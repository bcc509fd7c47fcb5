"""Revealing the customer's unmasked name and phone, recorded per look (SPEC §9)."""

from __future__ import annotations

from ..models import Complaint, PersonalDataAccess
from .access import authorize
from .steps import _now


def complaint_reveal_personal_data(
    *, complaint: Complaint, by, purpose: str = "", now=None
) -> dict:
    """Return the customer's full name and phone, and record who looked (SPEC §9)."""
    now = _now(now)
    authorize(by, "view_personal_data", complaint, action="reveal")
    PersonalDataAccess.objects.create(complaint=complaint, user=by, at=now, purpose=purpose[:100])
    return {"complainant_name": complaint.complainant_name, "phone": complaint.phone}


def complaint_record_access(*, complaint: Complaint, by, purpose: str, now=None) -> None:
    """Record that a staff user looked at the customer's file or printed the complaint.

    The same audit as a reveal (the privacy audit reads PersonalDataAccess): an evidence photo
    shows a face, a label, an address; a print-out leaves the system. The caller has checked
    that the user may see the complaint (get_for_staff); no further right is needed to look at
    what the ticket page already links to.
    """
    now = _now(now)
    authorize(by, "view_complaint", complaint, action="view")
    PersonalDataAccess.objects.create(complaint=complaint, user=by, at=now, purpose=purpose[:100])
