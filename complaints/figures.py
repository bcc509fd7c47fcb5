"""What every report counts as a complaint (有效投诉) and as a justified one (有理由投诉).

The dashboard's rollup (SQL) and the regulator report (ORM) both count with these definitions
and print JUSTIFIED_RATE_DEFINITION, so they can never disagree on a period. The definitions in
words: docs/dashboard.md, "有效投诉 and 有理由投诉".
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Status

NOT_COUNTED_STATUSES: tuple[str, ...] = (Status.REJECTED, Status.WITHDRAWN)

# 满意: a rating of 4 or 5 (of 5); without a rating, the follow-up call's outcome.
SATISFIED_RATING = 4

COUNTED = ~Q(status__in=NOT_COUNTED_STATUSES)
JUSTIFIED = COUNTED & Q(justified=True)

JUSTIFIED_RATE_DEFINITION = _(
    "有理由投诉率 = 有理由投诉 ÷ 有效投诉。有效投诉：已受理且未不予受理、未撤诉的投诉；"
    "有理由投诉：经判责为有责或部分有责的投诉（申诉改判无责的不计）；尚未判责的，按答复时"
    "核实情况属实且属我方责任，或客服判定虽非我方责任但因不配合、延误处理导致投诉升级的投诉计；"
    "尚未判定的按非有理由计。"
)
