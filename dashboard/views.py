"""The dashboard page, its JSON endpoints and the exports. Thin: parse filters, call reports."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from complaints.models import Category
from enquiries.figures import enquiry_figures
from kernel.api_errors import error_body
from kernel.errors import DomainError, NotAllowed, Unavailable

from . import exports, reports
from .kpis import heatmap
from .lists import live_lists
from .models import RollupState
from .periods import KINDS, PeriodError, period_from
from .rollup import local_day
from .unit_scope import UnitTree, dashboard_unit


def _selection(request) -> reports.Selection:
    """Read period, unit and category from the query string; refuse what the user may not see."""
    if connection.vendor != "postgresql":
        # The rollup SQL uses PostgreSQL arrays and FILTER; the SQLite demo database has none.
        raise Unavailable("统计看板需要 PostgreSQL 数据库（设置 DATABASE_URL=postgres://…）。")
    tree = UnitTree.load()
    q = request.GET
    unit_id = dashboard_unit(user=request.user, requested=q.get("unit"), tree=tree)
    category = q.get("category", "")
    if category and category not in Category.values:
        raise PeriodError("投诉类别无效。")
    period = period_from(
        kind=q.get("period"),
        today=local_day(timezone.now()),
        start=q.get("start", ""),
        end=q.get("end", ""),
        month=q.get("month", ""),
    )
    sort = q.get("sort") or "res_rate"
    if sort not in reports.RANKING_SORTS:
        raise PeriodError("排序方式无效。")
    return reports.selection(
        period=period, unit_id=unit_id, category=category, tree=tree, sort=sort
    )


def _json_error(exc: Exception) -> JsonResponse:
    if isinstance(exc, PeriodError):
        return JsonResponse(error_body("invalid", str(exc)), status=400)
    if not isinstance(exc, DomainError):
        raise exc
    return JsonResponse(error_body(exc.code, exc.message, exc.field_errors), status=exc.status_code)


def _plain(value):
    """JSON-friendly figures: Decimals as strings (money keeps its cents)."""
    if isinstance(value, Decimal):
        return str(value)
    return value


def json_endpoint(build):
    """Wrap a builder(sel) → dict as a GET endpoint that answers errors in the API's shape."""

    @require_GET
    def view(request):
        if not request.user.is_authenticated:
            return JsonResponse(error_body("not_authenticated", "请先登录。"), status=401)
        try:
            sel = _selection(request)
        except (DomainError, PeriodError) as exc:
            return _json_error(exc)
        body = {"period": sel.period.label(), "filters": dict(sel.filters()), **build(sel)}
        return JsonResponse(body, json_dumps_params={"ensure_ascii": False})

    view.__name__ = build.__name__
    return view


@json_endpoint
def kpis_json(sel):
    rows = [{k: _plain(v) for k, v in row.items()} for row in reports.kpi_rows(sel)]
    return {"kpis": rows}


@json_endpoint
def trend_json(sel):
    return {"trend": reports.trend_rows(sel)}


@json_endpoint
def categories_json(sel):
    return {"categories": reports.category_rows(sel)}


@json_endpoint
def ranking_json(sel):
    rows = [{k: _plain(v) for k, v in row.items()} for row in reports.ranking_rows(sel)]
    return {"ranking": rows, "sort": sel.sort}


@json_endpoint
def heatmap_json(sel):
    cells = [
        [hour, dow - 1, count] for dow, hour, count in heatmap(sel.period, sel.today, sel.scope)
    ]
    return {"heatmap": cells, "max": max((c[2] for c in cells), default=0)}


@json_endpoint
def lists_json(sel):
    return {"lists": live_lists(unit_keys=sel.scope.unit_keys, now=timezone.now())}


def _page_selection(request):
    try:
        return _selection(request), None
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except Unavailable:
        raise
    except (DomainError, PeriodError) as exc:
        return None, getattr(exc, "message", str(exc))


@login_required
@require_GET
def dashboard(request):
    try:
        sel, error = _page_selection(request)
    except Unavailable as exc:
        return render(request, "dashboard/unavailable.html", {"message": exc.message}, status=503)
    if sel is None:
        # Bad filters: show the default view with the message, never a server error.
        request.GET = request.GET.copy()
        for key in ("period", "start", "end", "month", "category", "unit", "sort"):
            request.GET.pop(key, None)
        sel, _ = _page_selection(request)
        if sel is None:
            raise PermissionDenied(error)
    tree = sel.tree
    crumbs = [(u, tree.name(u)) for u in tree.path(sel.unit_id)]
    if sel.unit_id:
        children = tree.children.get(sel.unit_id, [])
    else:  # the whole company: offer the companies and their regions
        tops = tree.children.get(None, [])
        children = [u for t in tops for u in (t, *tree.children.get(t, []))]
    own_unit = getattr(getattr(request.user, "staff", None), "unit_id", None)
    is_branch = not request.user.is_superuser and request.user.staff.role == "branch"
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "nav": "dashboard",
            "sel": sel,
            "error": error,
            "kpis": reports.kpi_rows(sel),
            "lists": live_lists(unit_keys=sel.scope.unit_keys, now=timezone.now()),
            # Enquiries apart from complaints, and how many became one (issue 23).
            "enquiries": enquiry_figures(sel.period.first, sel.period.last),
            "crumbs": crumbs,
            "children": [(u, tree.name(u)) for u in children],
            "categories": Category.choices,
            "period_kinds": KINDS,
            "can_choose_unit": not is_branch,
            "own_unit": own_unit,
            "query": request.GET.urlencode(),
            "refreshed_at": RollupState.objects.filter(id=1)
            .values_list("refreshed_at", flat=True)
            .first(),
        },
    )


def _export(request, ext: str):
    if not request.user.is_authenticated:
        raise PermissionDenied("请先登录。")
    try:
        sel = _selection(request)
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except (DomainError, PeriodError) as exc:
        status = getattr(exc, "status_code", 400)
        return HttpResponse(
            getattr(exc, "message", str(exc)),
            status=status,
            content_type="text/plain; charset=utf-8",
        )
    if ext == "csv":
        response = HttpResponse(exports.csv_report(sel), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.xlsx_report(sel),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    name = exports.export_filename(sel, ext)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def export_csv(request):
    return _export(request, "csv")


@login_required
@require_GET
def export_xlsx(request):
    return _export(request, "xlsx")
