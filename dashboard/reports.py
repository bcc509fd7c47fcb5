"""The dashboard's figures as one report: what the page shows, the exports and the e-mail use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from complaints.models import Category
from rulings.scorecard import unit_totals

from . import kpis
from .periods import Period
from .rollup import local_day
from .unit_scope import UnitTree

CATEGORY_LABELS = dict(Category.choices)


@dataclass(frozen=True)
class Selection:
    """A period, unit (None = whole company) and category: the filters of every view."""

    period: Period
    unit_id: int | None
    category: str
    tree: UnitTree
    today: date
    # The unit ranking's order: 处理及时率 (default) or the assessment ledger (rulings/).
    sort: str = "res_rate"

    @property
    def scope(self) -> kpis.Scope:
        keys = None if self.unit_id is None else tuple(self.tree.subtree(self.unit_id))
        return kpis.Scope(unit_keys=keys, category=self.category)

    def unit_label(self) -> str:
        if self.unit_id is None:
            return "全公司"
        return " / ".join(self.tree.name(u) for u in self.tree.path(self.unit_id))

    def category_label(self) -> str:
        return str(CATEGORY_LABELS.get(self.category, "全部类别")) if self.category else "全部类别"

    def filters(self) -> list[tuple[str, str]]:
        prev = self.period.previous()
        return [
            ("统计周期", self.period.label()),
            ("对比周期", prev.label()),
            ("单位", self.unit_label()),
            ("投诉类别", self.category_label()),
            ("生成时间", timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        ]


RANKING_SORTS = ("res_rate", "assessment")


def selection(
    *, period: Period, unit_id: int | None, category: str, tree=None, sort: str = "res_rate"
) -> Selection:
    return Selection(
        period, unit_id, category, tree or UnitTree.load(), local_day(timezone.now()), sort
    )


def kpi_rows(sel: Selection) -> list[dict]:
    return kpis.kpi_table(sel.period, sel.today, sel.scope)


def ranking_rows(sel: Selection) -> list[dict]:
    groups = sel.tree.groups_under(sel.unit_id)
    if sel.unit_id is None:
        groups.setdefault(0, 0)  # not yet dispatched, as its own line
    rows = []
    for grp, received, res_ok, res_n, fr_ok, fr_n, just_yes, just_n in kpis.ranking(
        sel.period, sel.today, sel.scope, groups
    ):
        rows.append(
            {
                "unit_id": grp,
                "unit": sel.tree.name(grp),
                "received": int(received),
                "res_rate": (res_ok / res_n) if res_n else None,
                "fr_rate": (fr_ok / fr_n) if fr_n else None,
                "justified_rate": (just_yes / just_n) if just_n else None,
                "drill": grp or None,
            }
        )
    _add_assessment(sel, rows, groups)
    if sel.sort == "assessment":
        rows.sort(key=lambda r: (-r["assessment_amount"], -r["assessment_points"], r["unit"]))
    else:
        rows.sort(key=lambda r: (r["res_rate"] is None, -(r["res_rate"] or 0), r["unit"]))
    return rows


def _add_assessment(sel: Selection, rows: list[dict], groups: dict[int, int]) -> None:
    """Each group's assessment ledger over the period (有责件数, 扣款, 扣分; rulings/ scorecards),
    summed in SQL per unit and added up per group here."""
    totals = {r["unit_id"]: [0, Decimal("0.00"), Decimal("0.0")] for r in rows}
    for unit_id, (count, amount, points) in unit_totals(
        first=sel.period.first, last=sel.period.last
    ).items():
        grp = groups.get(unit_id)
        if grp is None:
            continue
        if grp not in totals:  # a group with ledger entries but no complaints in the period
            totals[grp] = [0, Decimal("0.00"), Decimal("0.0")]
            rows.append(
                {
                    "unit_id": grp,
                    "unit": sel.tree.name(grp),
                    "received": 0,
                    "res_rate": None,
                    "fr_rate": None,
                    "justified_rate": None,
                    "drill": grp or None,
                }
            )
        totals[grp][0] += count
        totals[grp][1] += amount
        totals[grp][2] += points
    for r in rows:
        count, amount, points = totals[r["unit_id"]]
        r["assessment_count"], r["assessment_amount"], r["assessment_points"] = (
            count,
            amount,
            points,
        )


def category_rows(sel: Selection) -> list[dict]:
    return [
        {
            "category": cat,
            "label": str(CATEGORY_LABELS.get(cat, cat)),
            "received": int(received),
            "justified_rate": (jy / jn) if jn else None,
            "res_rate": (ro / rn) if rn else None,
        }
        for cat, received, jy, jn, ro, rn in kpis.by_category(sel.period, sel.today, sel.scope)
    ]


def trend_rows(sel: Selection) -> list[dict]:
    monthly = sel.period.days > kpis.DAILY_TREND_MAX_DAYS
    return [
        {
            "day": d.strftime("%Y-%m") if monthly else d.isoformat(),
            "received": int(r),
            "closed": int(c),
            "breaches": int(b),
        }
        for d, r, c, b in kpis.daily_trend(sel.period, sel.today, sel.scope)
    ]
