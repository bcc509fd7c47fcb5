"""Fault ruling and assessment rules (判责/考核): a ruling's facts + a rule version → the charge.

Pure Python, no Django. The figures are the company's own versioned rules (seed 002 §5, seed 001
(二)5; no statute sets them); every step names its source so the ledger entry explains itself.
See docs/rulings.md, "The rules (versions)".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from kernel.clock import WorkCalendar, add_working_days


class Verdict(StrEnum):
    AT_FAULT = "at_fault"  # 有责
    PARTLY = "partly"  # 部分有责
    NOT_AT_FAULT = "not_at_fault"  # 无责


class Stage(StrEnum):
    PICKUP = "pickup"  # 收寄
    HUB = "hub"  # 中转/分拨
    TRANSPORT = "transport"  # 运输
    DELIVERY = "delivery"  # 派送
    SERVICE = "service"  # 客服


class NoFaultCause(StrEnum):
    CUSTOMER = "customer"  # 客户原因
    FORCE_MAJEURE = "force_majeure"  # 不可抗力
    THIRD_PARTY = "third_party"  # 第三方原因
    NOT_ESTABLISHED = "not_established"  # 责任不成立（申诉改判）


FAULT_VERDICTS = frozenset({Verdict.AT_FAULT, Verdict.PARTLY})

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
ONE = Decimal("1")


def is_justified(verdict: Verdict | str) -> bool:
    """有理由投诉 follows the ruling: 有责 and 部分有责 are justified, 无责 is not (issue 22)."""
    return Verdict(verdict) in FAULT_VERDICTS


@dataclass(frozen=True)
class Line:
    """A rule line: amount and points for 有责 in a stage and category (None = any category)."""

    stage: Stage
    amount: Decimal
    points: Decimal
    category: str | None = None


@dataclass(frozen=True)
class RuleVersion:
    """A version of the assessment rules, as the ledger applies it."""

    version: str
    lines: tuple[Line, ...]
    partial_share: Decimal = Decimal("0.50")
    repeat_multiplier: Decimal = Decimal("1.50")
    appeal_multiplier: Decimal = Decimal("2.00")
    overdue_multiplier: Decimal = Decimal("1.20")
    amount_cap: Decimal | None = None
    points_cap: Decimal | None = None
    dispute_days: int = 3
    decision_days: int = 3

    def line_for(self, *, category: str, stage: Stage) -> Line | None:
        """The line of this category and stage, else the stage's line for any category."""
        specific = [ln for ln in self.lines if ln.stage == stage and ln.category == category]
        general = [ln for ln in self.lines if ln.stage == stage and not ln.category]
        return (specific or general or [None])[0]


@dataclass(frozen=True)
class RulingFacts:
    """What a ruling decided and what the complaint's record says about it."""

    verdict: Verdict
    category: str
    stage: Stage | None = None
    repeat: bool = False  # 二次投诉: linked as a repeat of an earlier complaint
    appealed: bool = False  # came via, or was taken to, the regulator (外部投诉)
    overdue: bool = False  # the reply came after its deadline, or has not come by it


@dataclass(frozen=True)
class Step:
    rule: str
    amount: Decimal
    points: Decimal

    def to_dict(self) -> dict:
        return {"rule": self.rule, "amount": f"{self.amount:.2f}", "points": f"{self.points:.1f}"}


@dataclass(frozen=True)
class Assessment:
    amount: Decimal
    points: Decimal
    steps: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def charges(self) -> bool:
        """Whether the ruling writes a ledger entry (有责 or 部分有责, even at ¥0 and 0 points)."""
        return bool(self.steps)

    def steps_dict(self) -> list[dict]:
        return [step.to_dict() for step in self.steps]


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _points(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


STAGE_LABELS = {
    Stage.PICKUP: "收寄",
    Stage.HUB: "中转/分拨",
    Stage.TRANSPORT: "运输",
    Stage.DELIVERY: "派送",
    Stage.SERVICE: "客服",
}


def assess(facts: RulingFacts, rule: RuleVersion) -> Assessment:
    """The charge of one ruling: base line, partial share, multipliers, caps — each a step.

    无责 charges nothing and writes no entry. A fault without a line for its stage charges ¥0
    and 0 points but still counts as a justified complaint of the unit.
    """
    verdict = Verdict(facts.verdict)
    if verdict not in FAULT_VERDICTS:
        return Assessment(ZERO, _points(Decimal(0)))
    if facts.stage is None:
        raise ValueError("a fault ruling needs its stage")
    stage = Stage(facts.stage)
    line = rule.line_for(category=facts.category, stage=stage)
    steps: list[Step] = []
    if line is None:
        amount, points = ZERO, _points(Decimal(0))
        steps.append(Step(f"{rule.version}：{STAGE_LABELS[stage]}环节未设考核标准", amount, points))
    else:
        amount, points = _money(line.amount), _points(line.points)
        scope = "本类别" if line.category else "各类别"
        steps.append(
            Step(f"{rule.version}：{STAGE_LABELS[stage]}环节有责（{scope}）", amount, points)
        )
    # 部分有责: the unit bears its share of the line.
    if verdict == Verdict.PARTLY:
        amount = _money(amount * rule.partial_share)
        points = _points(points * rule.partial_share)
        steps.append(Step(f"部分有责 × {rule.partial_share}", amount, points))
    for applies, multiplier, label in (
        (facts.repeat, rule.repeat_multiplier, "重复投诉（二次投诉）"),
        (facts.appealed, rule.appeal_multiplier, "升级为监管申诉（外部投诉）"),
        (facts.overdue, rule.overdue_multiplier, "未在处理时限内答复"),
    ):
        if applies and multiplier != ONE:
            amount = _money(amount * multiplier)
            points = _points(points * multiplier)
            steps.append(Step(f"{label} × {multiplier}", amount, points))
    # Caps per complaint: one complaint never costs a unit more than this, whatever applied.
    if rule.amount_cap is not None and amount > rule.amount_cap:
        amount = _money(rule.amount_cap)
        steps.append(Step(f"单宗投诉扣款上限 {amount:.2f}", amount, points))
    if rule.points_cap is not None and points > rule.points_cap:
        points = _points(rule.points_cap)
        steps.append(Step(f"单宗投诉扣分上限 {points:.1f}", amount, points))
    return Assessment(amount, points, tuple(steps))


def dispute_closes_at(ruled_at: datetime, rule: RuleVersion, calendar: WorkCalendar) -> datetime:
    """24:00 of the N-th working day after the ruling (the ruling's day does not count)."""
    return add_working_days(ruled_at, rule.dispute_days, calendar=calendar)


def decision_due_at(filed_at: datetime, rule: RuleVersion, calendar: WorkCalendar) -> datetime:
    """24:00 of the M-th working day after the dispute was filed."""
    return add_working_days(filed_at, rule.decision_days, calendar=calendar)


def may_dispute(*, verdict: Verdict | str, closes_at: datetime | None, now: datetime) -> bool:
    """Only a fault can be disputed, and only before the window closes (24:00 is already late)."""
    return Verdict(verdict) in FAULT_VERDICTS and closes_at is not None and now < closes_at
