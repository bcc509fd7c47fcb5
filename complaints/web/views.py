"""Pages for staff: each role's home, the agent console with phone intake, the branch work
queue and search. Thin: read with querysets, write through complaints.services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, Q, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from complaints import filters, hooks, services
from complaints import search as search_terms
from complaints.models import (
    OPEN_STATES,
    Category,
    Complaint,
    Role,
    SavedView,
    Status,
    Unit,
)
from complaints.roles import role_of
from kernel import privacy, refdata
from kernel.errors import DomainError, NotFound

from . import lists
from .clock_display import queue_row
from .forms import IntakeForm
from .templatetags.console import countdown

# Codes are shown once after intake: kept in the session only until the result page is read.
_SESSION_CODES = "intake_access_codes"
QUEUE_PAGE_SIZE = 50
QUEUE_MAX_PAGE_SIZE = 200
LOOKUP_LIMIT = 8
SEARCH_PAGE_SIZE = 20
# Ranked results are paged by offset; past 25 pages the term needs narrowing, not paging.
SEARCH_MAX_PAGES = 25
# Roles holding view_complaint (complaints.roles.ROLE_PERMISSIONS) have a work queue.
QUEUE_ROLES = (Role.AGENT, Role.BRANCH, Role.SUPERVISOR)
# Answered, waiting for the agent's follow-up call: not the branch's work any more.
AWAITING_AGENT = (Status.ANSWERED, Status.FOLLOW_UP)


def _require_perm(user, perm: str) -> None:
    if not user.has_perm(f"complaints.{perm}"):
        raise PermissionDenied(_("您没有权限访问此页面。"))


@login_required
def home(request):
    """Send each role to its own home (agents: console; branch staff and supervisors: queue)."""
    role = role_of(request.user)
    if role == Role.AGENT:
        return redirect("web:console")
    if role in (Role.BRANCH, Role.SUPERVISOR) or request.user.is_superuser:
        return redirect("web:queue")
    if Unit.objects.filter(head=request.user).exists():
        # A unit head's manager account needs no staff role: it hears of escalations and
        # claim timers through its notices, which are its home.
        return redirect("web:notices")
    raise PermissionDenied(_("您的账号没有工单系统的员工角色，请联系管理员。"))


# --- Agent console ------------------------------------------------------------------------


def _console_lists(user, now, chosen: filters.ListFilters | None = None):
    # Theirs (首问责任制) and the ones nobody owns yet (submitted by customers or partners),
    # each narrowed by the console's filters (issue 20 §3); the whole list is the queue's.
    scope = filters.apply(
        Complaint.objects.all(), chosen or filters.ListFilters(), user=user, now=now
    ).select_related("unit")
    mine = scope.filter(Q(owner=user) | Q(owner__isnull=True))
    to_dispatch = list(scope.filter(status=Status.ACCEPTED).order_by("next_deadline")[:20])
    # The unit 智能分单 suggests for each (accepted on the ticket page with one click).
    suggested = hooks.dispatch_suggestions([c.pk for c in to_dispatch]) if to_dispatch else {}
    for complaint in to_dispatch:
        complaint.suggested_unit = suggested.get(complaint.pk, "")
    return {
        "to_dispatch": to_dispatch,
        "follow_ups_due": mine.filter(status__in=[Status.ANSWERED, Status.FOLLOW_UP]).order_by(
            "follow_up_due"
        )[:20],
        "chased": mine.filter(status__in=OPEN_STATES, chase_count__gt=0).order_by(
            "-chase_count", "next_deadline"
        )[:20],
    }


def _console_filters(request, now) -> dict:
    """The console's filter bar, its saved views with their counts, and the bulk form."""
    error = ""
    try:
        chosen = filters.parse(request.GET)
    except DomainError as exc:
        chosen, error = filters.ListFilters(), exc.message
    views = lists.load_views(request, SavedView.List.CONSOLE)
    if views:
        base = Complaint.objects.visible_to(request.user).filter(status__in=OPEN_STATES)
        lists.view_counts(base, views, user=request.user, now=now, extra={})
    return {
        "filter_error": error,
        **_console_lists(request.user, now, chosen),
        **lists.list_context(request, list_name=SavedView.List.CONSOLE, f=chosen, views=views),
    }


@login_required
def console(request):
    """客服工作台: phone intake on the left, the agent's work lists on the right."""
    _require_perm(request.user, "add_complaint")
    now = timezone.now()
    form = IntakeForm()
    if request.method == "POST":
        form = IntakeForm(request.POST)
        valid = form.is_valid()
        new = services.NewComplaint.from_input(form.cleaned_data)
        if not valid:
            # Say everything that is wrong at once: the service's checks of the fields the form
            # let through (a waybill or phone of the wrong shape, an insured item's amount).
            _, problems = services.validate_new_complaint(new)
            for field, message in problems.items():
                if field in form.fields and field not in form.errors:
                    form.add_error(field, message)
        else:
            try:
                complaint, code = services.complaint_create(data=new, by=request.user)
            except DomainError as exc:
                form.add_error(None, exc.message)
                for field, message in exc.field_errors.items():
                    form.add_error(field, message)
            else:
                codes = request.session.get(_SESSION_CODES, {})
                codes[complaint.ticket_no] = code
                request.session[_SESSION_CODES] = codes
                return redirect("web:intake_done", ticket_no=complaint.ticket_no)
    context = {"form": form, "now": now, "nav": "console", **_console_filters(request, now)}
    bad = form.errors or context["filter_error"]
    return render(request, "complaints/console.html", context, status=400 if bad else 200)


def _term(raw: str | None) -> str:
    """A search term as typed, safe to compare in SQL.

    PostgreSQL refuses NUL characters in text, so "\\x00" in a query string was a 500 (found
    by tests/security); no ticket, waybill or phone contains one, nor is longer than 100.
    """
    return (raw or "").replace("\x00", "").strip()[:100]


@login_required
def intake_done(request, ticket_no: str):
    """The result of an intake: the ticket number and, once, the access code to read out."""
    # Found by the access matrix (tests/security): these two escaped as a 500 for a partner
    # and for another unit's staff. Answer them as the ticket page does: 404 / 403.
    try:
        complaint = services.get_for_staff(ticket_no=ticket_no, by=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    codes = request.session.get(_SESSION_CODES, {})
    code = codes.pop(ticket_no, None)
    request.session[_SESSION_CODES] = codes
    return render(
        request, "complaints/intake_done.html", {"complaint": complaint, "access_code": code}
    )


@login_required
@require_http_methods(["GET", "POST"])
def earlier_complaints(request):
    """htmx: the customer's earlier complaints on this waybill or phone, as soon as typed.

    The console posts the fields (hx-post): a phone number is read from the body only, never
    from the query string, which access and proxy logs keep (issue 19 §11).
    """
    _require_perm(request.user, "view_complaint")
    source = request.POST if request.method == "POST" else request.GET
    tracking = services.normalize_tracking_no(_term(source.get("tracking_no")))
    phone = privacy.normalize_phone(_term(request.POST.get("phone")))
    query = Q()
    if len(tracking) >= 6:
        query |= Q(tracking_no=tracking)
    if privacy.is_valid_phone(phone):
        query |= Q(phone=phone)
    found = []
    if query:
        found = list(
            Complaint.objects.visible_to(request.user)
            .filter(query)
            .select_related("unit")
            .order_by("-accepted_at")[:LOOKUP_LIMIT]
        )
    return render(
        request,
        "complaints/_earlier.html",
        {"earlier": found, "asked": bool(query), "tracking_no": tracking},
    )


# --- Branch work queue --------------------------------------------------------------------


def _queue_context(request):
    """The open complaints the user may see, filtered, nearest deadline first: ≤ 5 queries.

    Session, user and staff profile are 3; the rows (with their unit and the SLA policies'
    version) 1; the summary, the tabs' and the saved views' counts 1, one filtered Count each
    (+5 once after a policy or calendar edit). The saved views come from the cache
    (complaints.services.saved_views). Pages follow a cursor on the list's order; one extra
    row is fetched to know whether a next page exists without a COUNT.
    """
    # The profile and its unit, loaded by the partner guard before any page (partner_guard.py); no
    # has_perm() here, which costs two permission queries: the role decides who sees a queue.
    profile = getattr(request.user, "staff", None)
    if not (request.user.is_superuser or role_of(request.user) in QUEUE_ROLES):
        raise PermissionDenied(_("您没有权限访问此页面。"))
    try:
        size = max(1, min(int(request.GET.get("size", QUEUE_PAGE_SIZE)), QUEUE_MAX_PAGE_SIZE))
    except ValueError:
        size = QUEUE_PAGE_SIZE
    # An old `?page=` link (offset paging, before issue 20 §3) shows the first page.
    position = lists.decode_cursor(request.GET.get("cursor"))
    error = ""
    try:
        chosen = filters.parse(request.GET)
    except DomainError as exc:
        chosen, error = filters.ListFilters(), exc.message
    now = timezone.now()
    unit = profile.unit if profile and profile.role == Role.BRANCH else None
    base = Complaint.objects.visible_to(request.user).filter(status__in=OPEN_STATES)
    rows = filters.apply(base, chosen, user=request.user, now=now).select_related("unit", "handler")
    order = ("next_deadline", "id")
    awaiting_q = None
    if unit is not None:
        # Answered complaints wait for the agent's follow-up call, which the branch cannot
        # make: after the branch's own work, shown apart and not counted as its overdue.
        awaiting_q = Q(status__in=AWAITING_AGENT)
        rows = rows.annotate(awaiting_agent=Case(When(awaiting_q, then=1), default=0))
        order = ("awaiting_agent", *order)
    if position is not None:
        rows = rows.filter(lists.after(position, awaiting_q=awaiting_q))
    if unit is None:
        # The whole company's list: the page's ids first, from complaint_open_summary alone
        # (it holds every column a filter reads, complaints_web migration 0002), then those
        # rows. A filter few complaints match then scans the index, not a table row each.
        page_ids = rows.order_by(*order).values("pk")[: size + 1]
        rows = base.filter(pk__in=page_ids).select_related("unit", "handler")
    # The SLA policies' version rides along with the rows (no query of its own), see below.
    version = refdata.version_column()
    if version is not None:
        rows = rows.annotate(reference_version=version)
    rows = (
        []
        if error
        else list(
            rows.only(
                "ticket_no",
                "status",
                "tracking_no",
                "phone",
                "category",
                "priority",
                "channel",
                "urgent_reasons",
                "repeat_of_id",
                "repeat_count",
                "chase_count",
                "is_escalated",
                "is_external",
                "accepted_at",
                "reopened_at",
                "answered_at",
                "first_answered_at",
                "satisfied",  # with answered_at and party: the 12305 line (regulators.hints)
                "party",
                "paused_at",
                "paused_seconds",  # with urgent_since: the clock of one that turned urgent later
                "urgent_since",
                "first_response_due",
                "resolution_due",
                "statutory_due",
                "follow_up_due",
                "next_deadline",
                "handler_id",
                "handler__username",  # the 处理人's name on the row (issue 20 §2)
                "handler__first_name",
                "handler__last_name",
                "unit__name",
                "unit__code",
            ).order_by(*order)[: size + 1]
        )
    )
    next_cursor = ""
    if len(rows) > size:
        last = rows[size - 1]
        next_cursor = lists.encode_cursor(
            getattr(last, "awaiting_agent", 0), last.next_deadline, last.pk
        )
    rows = rows[:size]
    own_work = ~Q(status__in=AWAITING_AGENT) if unit else Q()
    views = lists.load_views(request, SavedView.List.QUEUE)
    summary = lists.view_counts(
        base,
        views,
        user=request.user,
        now=now,
        extra={
            "total": Count("id"),
            "overdue": Count("id", filter=Q(next_deadline__lte=now) & own_work),
            "urgent": Count("id", filter=Q(priority="urgent")),
            "awaiting": Count("id", filter=Q(status__in=AWAITING_AGENT)),
            "mine": Count("id", filter=Q(handler_id=request.user.pk)),
            "unassigned": Count("id", filter=Q(handler__isnull=True)),
        },
    )
    status_labels = {k: str(v) for k, v in Status.choices}
    category_labels = {k: str(v) for k, v in Category.choices}
    # The SLA policies once for the page, the submissions' cached copy (reloaded only when a
    # policy or the calendar changed, which the version read with the rows tells): the rows
    # are coloured exactly as the sweep warns. An empty page needs none.
    reference = None
    if rows:
        reference = refdata.current(version=getattr(rows[0], "reference_version", None))
    items = [
        queue_row(
            c,
            now=now,
            url_template=reverse("web:ticket", args=["__TICKET__"]),
            countdown_text=countdown,
            status_labels=status_labels,
            category_labels=category_labels,
            reference=reference,
        )
        for c in rows
    ]
    tab_query = [(k, v) for k, v in chosen.items() if k != "handler"]
    return {
        "items": [r for r in items if unit is None or r.status not in AWAITING_AGENT],
        "awaiting": [r for r in items if unit is not None and r.status in AWAITING_AGENT],
        "summary": summary,
        "size": size,
        "cursor": request.GET.get("cursor", "") if position else "",
        "next_cursor": next_cursor,
        "has_next": bool(next_cursor),
        "filter_error": error,
        "tabs": [
            ("", _("全部"), summary["total"], urlencode(tab_query)),
            ("me", _("我的工单"), summary["mine"], urlencode([*tab_query, ("handler", "me")])),
            (
                "none",
                _("未分配"),
                summary["unassigned"],
                urlencode([*tab_query, ("handler", "none")]),
            ),
        ],
        "now": now,
        "unit": unit,
        "nav": "queue",
        # The seed asks branches to log in every 20 minutes; polling makes that unnecessary.
        "poll_seconds": settings.COMPLAINTS["QUEUE_POLL_SECONDS"],
        **lists.list_context(request, list_name=SavedView.List.QUEUE, f=chosen, views=views),
    }


@login_required
@require_GET
def queue(request):
    """网点工单队列: the full page; the rows refresh themselves every 30 s (queue_rows)."""
    context = _queue_context(request)
    status = 400 if context["filter_error"] else 200
    return render(request, "complaints/queue.html", context, status=status)


@login_required
@require_GET
def queue_rows(request):
    """htmx: the queue's rows and summary, polled by the page to show new assignments."""
    context = _queue_context(request)
    status = 400 if context["filter_error"] else 200
    return render(request, "complaints/_queue_rows.html", context, status=status)


# --- Search -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def search(request):
    """One search box: ticket, waybill or phone in full or in part, name, words (issue 20 §4).

    complaints.search reads the term and ranks; this page scopes it to the user (a branch sees
    its unit only), masks the customer and pages with the same POST, so the term never sits in
    a URL (access and proxy logs keep those, issue 19 §11). A link may still carry a ticket or
    waybill number (`?q=`); a phone number or any run of digits that may be part of one is
    not searched from a URL and not shown back.
    """
    _require_perm(request.user, "view_complaint")
    posted = request.method == "POST"
    q = search_terms.clean(request.POST.get("q") if posted else request.GET.get("q"))
    terms = search_terms.parse_terms(q)
    if not posted and (terms.phone or any(n.isdigit() for n in terms.numbers)):
        # Sent on to the bare page: this URL (already in the logs) goes no further, not
        # even into the page's own links, and the warning says how to search instead.
        messages.warning(
            request, _("为保护客户隐私，电话号码不能放在网址中查询，请在搜索框中输入后搜索。")
        )
        return redirect("web:search")
    results, more, error, page_no = [], False, "", 1
    if q:
        try:
            page_no = min(max(int(request.POST.get("page") or 1), 1), SEARCH_MAX_PAGES)
        except ValueError:
            page_no = 1
        visible = Complaint.objects.visible_to(request.user).select_related("unit")
        try:
            results, more = search_terms.search_page(
                visible, terms, offset=(page_no - 1) * SEARCH_PAGE_SIZE, size=SEARCH_PAGE_SIZE
            )
        except DomainError as exc:
            error = exc.message
        exact_ticket = len(results) == 1 and results[0].ticket_no == terms.whole
        if exact_ticket and page_no == 1 and not request.headers.get("HX-Request"):
            return redirect("web:ticket", ticket_no=results[0].ticket_no)
    for complaint in results:
        complaint.masked_name = privacy.mask_name(complaint.complainant_name)
    return render(
        request,
        "complaints/search.html",
        {
            "q": q,
            "error": error,
            "results": results,
            "page_no": page_no,
            "first": (page_no - 1) * SEARCH_PAGE_SIZE + 1,
            "more": more and page_no < SEARCH_MAX_PAGES,
            "posted": posted,
        },
    )
