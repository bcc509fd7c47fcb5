"""The compensation part of a complaint's print-out (issue 20 §5), through complaints.hooks.

complaints prints the complaint and asks the registered sections for the rest; this one shows
each claim's amount and its decision (approved, rejected with the reason, paid with the
voucher). A user who may not see claims gets no section rather than a refusal of the print.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from complaints.hooks import PrintSection
from complaints.models import Complaint
from kernel.errors import DomainError

from . import services


def claims_section(complaint: Complaint, *, user) -> PrintSection | None:
    """The claims with their decisions, newest first (one query), or None without the right."""
    try:
        claims = list(
            services.claims_for_staff(complaint=complaint, by=user).prefetch_related(None)
        )
    except DomainError:
        return None
    return PrintSection(_("赔偿处理"), "compensation/_print.html", {"claims": claims})
