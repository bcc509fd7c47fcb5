"""The list filters, defined once: the branch queue, the agent's console and the API staff list.

`parse` validates a query string or saved view (an InvalidInput per field, never a 500),
`condition` makes one Q object of column comparisons, so the planner stays on the unit queue
indexes. See docs/console.md, "Filters".
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kernel.errors import InvalidInput

from .models import Category, Channel, Priority, Status

# The deadline window's "today" and the date range are days of the company's clock.
SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE_SOON = timedelta(hours=4)
# A query string longer than a saved view can hold, or a list of more values than there are
# choices, is not a person's filter.
MAX_VALUES = 20
MAX_QUERY_LENGTH = 500
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)

FLAG_LABELS = {
    "urgent": gettext_lazy("重大紧急"),
    "repeat": gettext_lazy("重复投诉"),
    "chased": gettext_lazy("客户催促"),
    "escalated": gettext_lazy("投诉升级"),
    "external": gettext_lazy("外部投诉"),
}
DUE_LABELS = {
    "overdue": gettext_lazy("已超时"),
    "4h": gettext_lazy("4小时内到期"),
    "today": gettext_lazy("今日到期"),
}
HANDLER_LABELS = {"me": gettext_lazy("我的工单"), "none": gettext_lazy("未分配")}

_FLAG_CONDITIONS = {
    "urgent": Q(priority=Priority.URGENT),
    "repeat": Q(repeat_of__isnull=False) | Q(repeat_count__gt=0),
    "chased": Q(chase_count__gt=0),
    "escalated": Q(is_escalated=True),
    "external": Q(is_external=True),
}


@dataclass(frozen=True)
class ListFilters:
    """A validated filter set; empty fields filter nothing."""

    status: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    priority: str = ""
    flag: tuple[str, ...] = ()
    due: str = ""
    channel: tuple[str, ...] = ()
    handler: str = ""  # "me", "none" or a user's id
    accepted_from: date | None = None
    accepted_to: date | None = None

    def items(self) -> list[tuple[str, str]]:
        """The filter set as query-string pairs, in one canonical order."""
        pairs: list[tuple[str, str]] = []
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, tuple):
                pairs += [(field.name, v) for v in value]
            elif isinstance(value, date):
                pairs.append((field.name, value.isoformat()))
            elif value:
                pairs.append((field.name, value))
        return pairs

    def querystring(self) -> str:
        return urlencode(self.items())

    def __bool__(self) -> bool:
        return bool(self.items())


FIELD_NAMES = tuple(f.name for f in fields(ListFilters))


def _values(data, name: str) -> list[str]:
    """All non-empty values of `name`: a QueryDict's list, a dict's str or list."""
    if hasattr(data, "getlist"):
        raw = data.getlist(name)
    else:
        value = data.get(name)
        raw = value if isinstance(value, list | tuple) else ([] if value is None else [value])
    values = []
    for value in raw:
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise InvalidInput(
                _("筛选条件格式不正确。"), field_errors={name: _("筛选条件格式不正确。")}
            )
        value = str(value).strip()
        if value and value not in values:
            values.append(value)
    if len(values) > MAX_VALUES:
        raise InvalidInput(_("筛选条件过多。"), field_errors={name: _("筛选条件过多。")})
    return values


def _choices(data, name: str, allowed, label: str, errors: dict[str, str]) -> tuple[str, ...]:
    values = _values(data, name)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        errors[name] = _("%(label)s“%(value)s”无效。") % {"label": label, "value": unknown[0][:20]}
        return ()
    return tuple(values)


def _one(data, name: str, allowed, label: str, errors: dict[str, str]) -> str:
    values = _choices(data, name, allowed, label, errors)
    if len(values) > 1:
        errors[name] = _("%(label)s只能选择一项。") % {"label": label}
        return ""
    return values[0] if values else ""


def _day(data, name: str, label: str, errors: dict[str, str]) -> date | None:
    values = _values(data, name)
    if not values:
        return None
    try:
        day = date.fromisoformat(values[0]) if len(values) == 1 else None
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        errors[name] = _("%(label)s应为日期，如 2026-12-01。") % {"label": label}
        return None
    return day


def _handler(data, errors: dict[str, str]) -> str:
    values = _values(data, "handler")
    if not values:
        return ""
    value = values[0]
    if len(values) > 1 or not (
        value in HANDLER_LABELS or (value.isascii() and value.isdigit() and 0 < int(value) < 2**31)
    ):
        errors["handler"] = _("处理人筛选无效：可选“我的工单”“未分配”或某位员工。")
        return ""
    return value


def parse(data) -> ListFilters:
    """Validate a query string's filters; InvalidInput names every field that is wrong."""
    if isinstance(data, str):
        if len(data) > MAX_QUERY_LENGTH:
            raise InvalidInput(_("筛选条件过长。"))
        pairs = parse_qsl(data, keep_blank_values=False)
        grouped: dict[str, list[str]] = {}
        for key, value in pairs:
            grouped.setdefault(key, []).append(value)
        data = grouped
    errors: dict[str, str] = {}
    result = ListFilters(
        status=_choices(data, "status", Status.values, _("状态"), errors),
        category=_choices(data, "category", Category.values, _("类别"), errors),
        priority=_one(data, "priority", Priority.values, _("优先级"), errors),
        flag=_choices(data, "flag", FLAG_LABELS, _("标记"), errors),
        due=_one(data, "due", DUE_LABELS, _("时限"), errors),
        channel=_choices(data, "channel", Channel.values, _("渠道"), errors),
        handler=_handler(data, errors),
        accepted_from=_day(data, "accepted_from", _("受理日期（起）"), errors),
        accepted_to=_day(data, "accepted_to", _("受理日期（止）"), errors),
    )
    if (
        result.accepted_from
        and result.accepted_to
        and result.accepted_from > result.accepted_to
        and "accepted_to" not in errors
    ):
        errors["accepted_to"] = _("受理日期（止）不能早于受理日期（起）。")
    if errors:
        raise InvalidInput(
            _("筛选条件有误：%(detail)s") % {"detail": "；".join(errors.values())},
            field_errors=errors,
        )
    return result


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def condition(f: ListFilters, *, user, now: datetime) -> Q:
    """The filter set as one Q over Complaint (AND of the fields, OR within a field)."""
    q = Q()
    if f.status:
        q &= Q(status__in=f.status)
    if f.category:
        q &= Q(category__in=f.category)
    if f.priority:
        q &= Q(priority=f.priority)
    for flag in f.flag:
        q &= _FLAG_CONDITIONS[flag]
    if f.due == "overdue":
        q &= Q(next_deadline__lte=now)
    elif f.due == "4h":
        q &= Q(next_deadline__gt=now, next_deadline__lte=now + DUE_SOON)
    elif f.due == "today":
        today = now.astimezone(SHANGHAI).date()
        q &= Q(
            next_deadline__gte=_start_of(today),
            next_deadline__lt=_start_of(today + timedelta(days=1)),
        )
    if f.channel:
        q &= Q(channel__in=f.channel)
    if f.handler == "me":
        q &= Q(handler_id=getattr(user, "pk", None))
    elif f.handler == "none":
        q &= Q(handler__isnull=True)
    elif f.handler:
        q &= Q(handler_id=int(f.handler))
    if f.accepted_from:
        q &= Q(accepted_at__gte=_start_of(f.accepted_from))
    if f.accepted_to:
        q &= Q(accepted_at__lt=_start_of(f.accepted_to + timedelta(days=1)))
    return q


def apply(queryset: QuerySet, f: ListFilters, *, user, now: datetime) -> QuerySet:
    return queryset.filter(condition(f, user=user, now=now)) if f else queryset


def options() -> dict:
    """The filter bar's choices, labelled for display."""
    return {
        "statuses": Status.choices,
        "categories": Category.choices,
        "priorities": Priority.choices,
        "flags": list(FLAG_LABELS.items()),
        "dues": list(DUE_LABELS.items()),
        "channels": Channel.choices,
    }
