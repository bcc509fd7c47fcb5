"""What every report counts as a complaint and as a justified one — defined here, once.

The dashboard's rollup (dashboard/rollup.py, in SQL) and the monthly regulator report
(regulators/statistics.py, in the ORM) both count with these definitions, and both pages print
JUSTIFIED_RATE_DEFINITION under the figure, so the two can never disagree on the same period.

- 有效投诉 (counted): accepted and neither rejected (不予受理, merged duplicates included) nor
  withdrawn (撤诉) — those never reach an answer, so every rate leaves them out; they still count
  in 受理量.
- 有理由投诉 (seed 001 §(二)5): a counted complaint judged justified. Once a fault ruling
  (判责, rulings/) is recorded it decides alone: 有责 or 部分有责 → justified, 无责 → not, and a
  dispute overturned to 无责 makes it not justified again. Before any ruling, the reply's first
  view (facts confirmed and our fault) or the agent's decision (also when the unit obstructed
  the handling — complaints.rules.is_justified) stands.
- 有理由投诉率 = 有理由投诉 ÷ 有效投诉. A complaint not yet judged counts as not justified: the
  rate of a recent period can only rise as replies come in, never jump from a handful of
  judged complaints to 100 %.
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
