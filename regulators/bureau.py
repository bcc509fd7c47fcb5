"""The State Post Bureau's published service-quality figures, as plain arithmetic (pure).

申诉率, 有效申诉率, 有效申诉处理满意率 and 投诉率 as the bureau's monthly
《关于邮政业用户申诉情况的通告》 defines them; the counting is in regulators.indicators. See
docs/dashboard.md, "The postal regulator's figures — 监管指标 (issue 23)".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

MILLION = Decimal(1_000_000)
PER_MILLION_PLACES = Decimal("0.01")  # the bureau prints 申诉率 with two decimals
PERCENT_PLACES = Decimal("0.1")  # …and 满意率 with one


class ProblemType(StrEnum):
    """The bureau's problem types, in the order of its monthly notice."""

    DELAY = "delay"  # 延误
    LOSS_SHORT = "loss_short"  # 丢失短少
    DAMAGE = "damage"  # 损毁
    DELIVERY = "delivery"  # 投递服务
    PICKUP = "pickup"  # 收寄服务
    ILLEGAL_FEE = "illegal_fee"  # 违规收费
    COD = "cod"  # 代收货款
    OTHER = "other"  # 其他


# The default mapping of the product's complaint categories to the bureau's problem types.
# Source: the bureau's notice classifies 内件短少 with 丢失 (丢失短少), 误投/虚假签收
# under 投递服务, and charges beyond the published tariff as 违规收费. 服务态度 goes to
# 投递服务 because the courier the customer meets is, in nearly every complaint, the
# delivering one; a company whose attitude complaints are mostly at pick-up changes it in
# the admin (ProblemTypeMapping).
DEFAULT_MAPPING: dict[str, ProblemType] = {
    "delay": ProblemType.DELAY,
    "loss": ProblemType.LOSS_SHORT,
    "short": ProblemType.LOSS_SHORT,
    "damage": ProblemType.DAMAGE,
    "misdelivery": ProblemType.DELIVERY,
    "attitude": ProblemType.DELIVERY,
    "fee": ProblemType.ILLEGAL_FEE,
    "other": ProblemType.OTHER,
}


def problem_type_of(category: str, mapping: dict[str, str]) -> ProblemType:
    """Return the one problem type a category counts under: the edited mapping, else the
    default, else 其他 — so every complaint and appeal counts exactly once."""
    value = mapping.get(category) or DEFAULT_MAPPING.get(category) or ProblemType.OTHER
    try:
        return ProblemType(value)
    except ValueError:
        return ProblemType.OTHER


def per_million(count: int, volume: int | None) -> Decimal | None:
    """Return count per million parcels, two decimals; None without a volume (never 0 or ∞)."""
    if not volume or volume <= 0:
        return None
    return (Decimal(count) * MILLION / Decimal(volume)).quantize(PER_MILLION_PLACES, ROUND_HALF_UP)


def percent(part: int, whole: int) -> Decimal | None:
    """Return part ÷ whole in percent, one decimal; None when there is nothing to rate."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT_PLACES, ROUND_HALF_UP)


def change(current: Decimal | None, before: Decimal | None) -> Decimal | None:
    """Return the relative change in percent (环比/同比), one decimal; None without a base."""
    if current is None or before is None or before == 0:
        return None
    return ((current - before) * 100 / before).quantize(PERCENT_PLACES, ROUND_HALF_UP)


# --- Periods ------------------------------------------------------------------------------

MONTH, QUARTER, YEAR = "month", "quarter", "year"
PERIOD_KINDS = (MONTH, QUARTER, YEAR)


class PeriodError(ValueError):
    """A period the user asked for that does not exist."""


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year (Asia/Shanghai dates)."""

    kind: str
    year: int
    number: int = 1  # the month (1–12) or the quarter (1–4); 1 for a year

    def __post_init__(self):
        if self.kind not in PERIOD_KINDS:
            raise PeriodError("周期类型无效。")
        if not 2000 <= self.year <= 2099:
            raise PeriodError("年份须在2000年至2099年之间。")
        top = {MONTH: 12, QUARTER: 4, YEAR: 1}[self.kind]
        if not 1 <= self.number <= top:
            raise PeriodError("月份或季度无效。")

    @property
    def months(self) -> tuple[date, ...]:
        """The first days of the months in the period."""
        if self.kind == MONTH:
            return (date(self.year, self.number, 1),)
        if self.kind == QUARTER:
            first = 3 * (self.number - 1) + 1
            return tuple(date(self.year, m, 1) for m in range(first, first + 3))
        return tuple(date(self.year, m, 1) for m in range(1, 13))

    @property
    def start(self) -> date:
        return self.months[0]

    @property
    def end(self) -> date:
        """The first day after the period."""
        last = self.months[-1]
        return date(last.year + 1, 1, 1) if last.month == 12 else date(last.year, last.month + 1, 1)

    @property
    def key(self) -> str:
        """2026-11, 2026-Q4, 2026: how a period is written in URLs and the industry table."""
        if self.kind == MONTH:
            return f"{self.year}-{self.number:02d}"
        if self.kind == QUARTER:
            return f"{self.year}-Q{self.number}"
        return str(self.year)

    @property
    def label(self) -> str:
        if self.kind == MONTH:
            return f"{self.year}年{self.number}月"
        if self.kind == QUARTER:
            return f"{self.year}年第{self.number}季度"
        return f"{self.year}年"

    def previous(self) -> Period:
        """The period just before (环比: the month before, the quarter before, the year before)."""
        if self.number > 1:
            return Period(self.kind, self.year, self.number - 1)
        top = {MONTH: 12, QUARTER: 4, YEAR: 1}[self.kind]
        return Period(self.kind, self.year - 1, top)

    def year_before(self) -> Period:
        """The same period a year earlier (同比)."""
        return Period(self.kind, self.year - 1, self.number)


def parse_period(text: str) -> Period:
    """Parse 2026-11, 2026-Q4 or 2026; raise PeriodError with a Chinese message."""
    text = (text or "").strip().upper()
    try:
        if "-Q" in text:
            year, quarter = text.split("-Q")
            return Period(QUARTER, int(year), int(quarter))
        if "-" in text:
            year, month = text.split("-")
            return Period(MONTH, int(year), int(month))
        return Period(YEAR, int(text))
    except (ValueError, TypeError):
        raise PeriodError("周期格式须为 2026-11、2026-Q4 或 2026。") from None


def month_of(text: str) -> date:
    """Parse a volume row's month: 2026-11, 2026/11, 202611 or 2026-11-01 → its first day."""
    raw = (text or "").strip().replace("/", "-").replace(".", "-")
    parts = raw.split("-")
    try:
        if len(parts) == 1 and len(raw) == 6:
            year, month = int(raw[:4]), int(raw[4:])
        elif len(parts) in (2, 3):
            year, month = int(parts[0]), int(parts[1])
            if len(parts) == 3 and int(parts[2]) != 1:
                raise ValueError
        else:
            raise ValueError
        return Period(MONTH, year, month).start
    except (ValueError, PeriodError):
        raise PeriodError("月份格式须为 YYYY-MM。") from None


def parcels_of(value) -> int:
    """Parse a parcel count (a whole number ≥ 0, thousands separators allowed)."""
    if isinstance(value, bool):
        raise ValueError("业务量须为非负整数。")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = str(value or "").strip().replace(",", "").replace("，", "")
        if not text.isdigit():
            raise ValueError("业务量须为非负整数。")
        number = int(text)
    if not 0 <= number <= 10**12:
        raise ValueError("业务量须为非负整数，且不超过一万亿件。")
    return number
