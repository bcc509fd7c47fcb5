"""What the work lists share (issue 20 §3): keyset pages, saved views and bulk actions.

The queue pages by a cursor on its own order, so every page is the same indexed range scan
however deep (an old `?page=` link shows the first page). See docs/console.md, "Pages".
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.db.models.signals import post_save
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints import filters
from complaints.models import Role, SavedView, StaffProfile, Unit
from complaints.roles import ROLE_PERMISSIONS, role_of
from complaints.services import bulk
from complaints.services.saved_views import (
    saved_view_create,
    saved_view_delete,
    saved_view_rename,
    saved_views_for,
)
from kernel.errors import DomainError, InvalidInput, NotFound

# --- Keyset pages -------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a page ended: its last row's place in the list's order."""

    awaiting: int
    deadline: datetime | None
    pk: int


def encode_cursor(awaiting: int, deadline: datetime | None, pk: int) -> str:
    raw = f"{awaiting}|{deadline.astimezone(UTC).isoformat() if deadline else ''}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Position | None:
    """The position a cursor names, or None (first page) for anything that is not one."""
    if not cursor or len(cursor) > 100:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        awaiting, deadline, pk = raw.split("|")
        when = datetime.fromisoformat(deadline) if deadline else None
        if when is not None and (when.tzinfo is None or not 2000 <= when.year <= 2100):
            return None
        position = Position(int(awaiting), when, int(pk))
    except (ValueError, UnicodeDecodeError, OverflowError):
        return None
    if position.awaiting not in (0, 1) or not 0 < position.pk < 2**63:
        return None
    return position


def after(position: Position, *, awaiting_q: Q | None) -> Q:
    """Rows after `position` in (awaiting, next_deadline NULLS LAST, id) order."""
    if position.deadline is None:
        same_group = Q(next_deadline__isnull=True, pk__gt=position.pk)
    else:
        same_group = (
            Q(next_deadline__gt=position.deadline)
            | Q(next_deadline=position.deadline, pk__gt=position.pk)
            | Q(next_deadline__isnull=True)
        )
    if awaiting_q is None:
        return same_group
    if position.awaiting:
        return awaiting_q & same_group
    return awaiting_q | (~awaiting_q & same_group)


# --- Saved views --------------------------------------------------------------------------

_UNITS_KEY = "bulk_units"
_UNITS_SECONDS = 300
LIST_URLS = {SavedView.List.QUEUE: "web:queue", SavedView.List.CONSOLE: "web:console"}


def view_counts(base, views: list[SavedView], *, user, now, extra: dict) -> dict:
    """`extra` aggregates and one filtered Count per saved view, in one query."""
    counts = dict(extra)
    for view in views:
        try:
            condition = filters.condition(filters.parse(view.query), user=user, now=now)
        except InvalidInput:
            continue  # saved before a choice was retired: shown without a count
        counts[f"view_{view.pk}"] = Count("id", filter=condition)
    result = base.aggregate(**counts) if counts else {}
    for view in views:
        view.count = result.pop(f"view_{view.pk}", None)
    return result


def _next(request) -> str:
    """The page the form came from, if it is one of ours and fit for a Location header."""
    target = request.POST.get("next", "")
    if not target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return ""  # a newline in a header value is a 500, not a redirect
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return target


def _back(request, list_name: str, query: str = ""):
    target = _next(request)
    if target:
        return redirect(target)
    url = reverse(LIST_URLS.get(list_name, "web:queue"))
    # Re-encoded: what was posted goes back into a URL only as plain query pairs.
    query = urlencode(parse_qsl(query[:500]))
    return redirect(f"{url}?{query}" if query else url)


def _refuse(exc: DomainError):
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from exc
    raise PermissionDenied(exc.message) from exc


@login_required
@require_POST
def saved_view_save(request):
    """Save the list's current filters under a name (personal, or the unit's by its head)."""
    list_name = request.POST.get("list", "")
    query = request.POST.get("query", "")
    try:
        view = saved_view_create(
            by=request.user,
            list_name=list_name,
            name=request.POST.get("name", ""),
            query=query,
            share=request.POST.get("share") == "1",
        )
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return _back(request, list_name if list_name in LIST_URLS else "queue", query[:500])
    except DomainError as exc:
        _refuse(exc)
    messages.success(request, _("已保存视图“%(name)s”。") % {"name": view.name})
    return redirect(f"{reverse(LIST_URLS[view.list])}?{view.query}")


@login_required
@require_POST
def saved_view_change(request, view_id: int, change: str):
    """Rename or delete one's own saved view; another user's is refused and left unchanged."""
    try:
        if change == "rename":
            view = saved_view_rename(
                view_id=view_id, by=request.user, name=request.POST.get("name")
            )
            messages.success(request, _("视图已改名为“%(name)s”。") % {"name": view.name})
        elif change == "delete":
            saved_view_delete(view_id=view_id, by=request.user)
            messages.success(request, _("视图已删除。"))
        else:
            raise Http404(_("没有这个操作。"))
    except InvalidInput as exc:
        messages.error(request, exc.message)
    except DomainError as exc:
        _refuse(exc)
    return _back(request, request.POST.get("list", "queue"))


# --- Bulk actions -------------------------------------------------------------------------


@login_required
@require_POST
def bulk_action(request):
    """Run one action on the selected complaints; the page lists what was done and refused."""
    list_name = request.POST.get("list", "queue")
    try:
        result = bulk.complaints_bulk(
            by=request.user,
            action=request.POST.get("action", ""),
            tickets=request.POST.getlist("tickets"),
            unit=request.POST.get("unit", ""),
            # The page has one text box: the reassignment's reason or the note.
            reason=request.POST.get("reason") or request.POST.get("text", ""),
            text=request.POST.get("text", ""),
            handler=request.POST.get("handler"),
        )
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return _back(request, list_name)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    target = _next(request) or reverse(LIST_URLS.get(list_name, "web:queue"))
    return render(
        request,
        "complaints/bulk_result.html",
        {
            "result": result,
            "action_label": bulk.ACTION_LABELS[result.action],
            "back": target,
            "nav": "queue" if list_name == "queue" else "console",
        },
    )


def list_context(request, *, list_name: str, f: filters.ListFilters, views: list) -> dict:
    """What the filter bar, the saved views and the bulk form need on a list page."""
    profile = getattr(request.user, "staff", None)
    headed = profile is not None and profile.role == Role.BRANCH and profile.unit is not None
    can_assign = headed and profile.unit.head_id == request.user.pk
    may_dispatch = _may_dispatch(request.user)
    return {
        "filters": f,
        "filter_query": f.querystring(),
        "filter_options": filters.options(),
        "saved_views": views,
        "list_name": list_name,
        "can_share": can_assign,
        "bulk_actions": [
            (name, label)
            for name, label in bulk.ACTION_LABELS.items()
            if (name not in ("dispatch", "reassign") or may_dispatch)
            and (name != "assign" or can_assign)
        ],
        "bulk_units": _dispatch_units() if may_dispatch else [],
        "bulk_staff": _unit_staff(profile.unit_id) if can_assign else [],
    }


def _units_changed(**kwargs) -> None:
    cache.delete(_UNITS_KEY)


def _staff_changed(instance, **kwargs) -> None:
    cache.delete(_staff_key(instance.unit_id))


def connect_cache_invalidation() -> None:
    """A new or renamed unit, a person joining a unit: the bulk form offers it on the next page."""
    post_save.connect(_units_changed, sender=Unit, dispatch_uid="bulk_units")
    post_save.connect(_staff_changed, sender=StaffProfile, dispatch_uid="bulk_staff")


def _staff_key(unit_id) -> str:
    return f"bulk_staff:{unit_id}"


def _unit_staff(unit_id: int) -> list[tuple[int, str]]:
    """A unit head's people to assign to, cached a few minutes (the service checks again)."""
    key = _staff_key(unit_id)
    people = cache.get(key)
    if people is None:
        people = [
            (p.user_id, p.user.get_full_name() or p.user.get_username())
            for p in StaffProfile.objects.filter(
                unit_id=unit_id, role=Role.BRANCH, user__is_active=True
            )
            .select_related("user")
            .order_by("user__username")
        ]
        cache.set(key, people, _UNITS_SECONDS)
    return people


def _may_dispatch(user) -> bool:
    # By the role table, not has_perm(): that costs the page two permission queries.
    return user.is_superuser or "dispatch_complaint" in ROLE_PERMISSIONS.get(role_of(user), ())


def _dispatch_units() -> list[tuple[str, str]]:
    """The active branches to dispatch to, cached a few minutes (the service checks again)."""
    units = cache.get(_UNITS_KEY)
    if units is None:
        units = list(
            Unit.objects.filter(is_active=True, kind=Unit.Kind.BRANCH)
            .order_by("code")
            .values_list("code", "name")
        )
        cache.set(_UNITS_KEY, units, _UNITS_SECONDS)
    return units


def load_views(request, list_name: str) -> list[SavedView]:
    return saved_views_for(request.user, list_name)
