"""The staff notices page and the header's unread badge (htmx), over the outbox's notices.

Constant queries: the badge is session, user, one count and one short list (the newest unread,
for the toast); the page is the base layout's, one page of notices and one count.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from complaints.models import Complaint
from kernel.errors import NotFound
from kernel.outbox import notices as service

# What a notice is about (Notice.level holds the SLA event kind, "info" for new work).
LEVEL_LABELS = {
    "warning": _("时限预警"),
    "breach": _("已超时"),
    "escalation": _("升级督办"),
    "statutory_risk": _("12305风险"),
    "info": _("新工单"),
}
LEVEL_CSS = {
    "warning": "text-bg-warning",
    "breach": "text-bg-danger",
    "escalation": "text-bg-dark",
    "statutory_risk": "text-bg-danger",
    "info": "text-bg-primary",
}


NOTICES_PAGE_SIZE = 50
# The newest unread notices the badge carries for the page to announce (toast).
TOAST_LIMIT = 5


# The ticket number of a notice's complaint, read with the notice (the outbox keeps only its id).
_TICKET_NO = Subquery(Complaint.objects.filter(pk=OuterRef("complaint_id")).values("ticket_no")[:1])


def _poll_seconds() -> int:
    return settings.COMPLAINTS["NOTICE_POLL_SECONDS"]


def _badge_context(user) -> dict:
    latest = list(
        service.notices_for(user)
        .filter(read_at__isnull=True)
        .annotate(ticket_no=_TICKET_NO)
        .only("id", "level", "title", "created_at", "complaint_id")[:TOAST_LIMIT]
    )
    count = len(latest) if len(latest) < TOAST_LIMIT else service.unread_count(user)
    return {"unread": count, "latest": latest[::-1], "poll_seconds": _poll_seconds()}


@login_required
@require_GET
def notice_badge(request):
    """htmx: the header's unread count; it polls itself, and carries the newest for a toast."""
    return render(request, "complaints/_notice_badge.html", _badge_context(request.user))


@login_required
@require_GET
def notices(request):
    """站内通知: the user's notices, newest first, unread ones marked; links to the tickets."""
    unread_only = request.GET.get("show") == "unread"
    try:
        page = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        page = 1
    rows = service.notices_for(request.user).annotate(ticket_no=_TICKET_NO)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    start = (page - 1) * NOTICES_PAGE_SIZE
    items = list(
        rows.only(
            "id",
            "level",
            "title",
            "body",
            "created_at",
            "read_at",
            "complaint_id",
        )[start : start + NOTICES_PAGE_SIZE + 1]
    )
    has_next = len(items) > NOTICES_PAGE_SIZE
    items = items[:NOTICES_PAGE_SIZE]
    for notice in items:
        _decorate(notice)
    context = {
        "items": items,
        "page": page,
        "has_next": has_next,
        "unread_only": unread_only,
        "unread": service.unread_count(request.user),
        "nav": "notices",
    }
    return render(request, "complaints/notices.html", context)


def _ticket_no(notice) -> str | None:
    if notice.complaint_id is None:
        return None
    return (
        Complaint.objects.filter(pk=notice.complaint_id).values_list("ticket_no", flat=True).first()
    )


def _decorate(notice) -> None:
    notice.label = str(LEVEL_LABELS.get(notice.level, notice.level))
    notice.css = LEVEL_CSS.get(notice.level, "text-bg-secondary")


def _mark(request, notice_id: int):
    try:
        return service.notice_mark_read(notice_id=notice_id, by=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_POST
def notice_read(request, notice_id: int):
    """Mark one notice read: htmx gets the row and the badge back, a plain form the page."""
    notice = _mark(request, notice_id)
    notice.ticket_no = _ticket_no(notice)
    if not request.headers.get("HX-Request"):
        return redirect(_safe_next(request) or reverse("web:notices"))
    _decorate(notice)
    context = {"notice": notice, **_badge_context(request.user)}
    return render(request, "complaints/_notice_read.html", context)


@login_required
@require_POST
def notice_open(request, notice_id: int):
    """Open the notice's ticket, marking the notice read on the way."""
    notice = _mark(request, notice_id)
    if notice.complaint_id is None:
        return redirect("web:notices")
    return redirect("web:ticket", ticket_no=_ticket_no(notice))


@login_required
@require_POST
def notices_read_all(request):
    """Mark every unread notice of the user read."""
    service.notices_mark_all_read(by=request.user)
    return redirect(reverse("web:notices"))


def _safe_next(request) -> str:
    """The page to return to, only when it is on this site (never an open redirect)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""
