"""A complaint on paper (issue 20 §5): one A4 print-out for the branch's file or a regulator.

Masked, and every print view or PDF is recorded (PersonalDataAccess): the browser's print dialog
cannot be observed. The PDF is WeasyPrint from the same template, fetching nothing. See
docs/security.md, "证据预览与打印 (issue 20 §5)".
"""

from __future__ import annotations

import logging
from functools import cache

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from complaints import hooks, services, thumbnails
from kernel import privacy, refdata

from .ticket import _complaint_for, _deadlines
from .timeline import build_timeline

log = logging.getLogger(__name__)


def _context(request, complaint, *, now, pdf: bool) -> dict:
    # For a regulator's request the internal records (notes, rulings) can be left out.
    internal = request.GET.get("internal") != "0"
    timeline = build_timeline(complaint)
    evidence = [e.obj for e in timeline if e.kind == "attachment"]
    follow_ups = [e.obj for e in timeline if e.kind == "follow_up"]
    sections = [
        section
        for provide in hooks.print_sections
        if (section := provide(complaint, user=request.user)) is not None
    ]
    return {
        "complaint": complaint,
        "timeline": [e for e in timeline if internal or not e.internal],
        "internal": internal,
        "deadlines": _deadlines(complaint, now, calendar=refdata.current()["calendar"]),
        "masked_name": privacy.mask_name(complaint.complainant_name),
        "can_reveal": not pdf and request.user.has_perm("complaints.view_personal_data"),
        "follow_up": follow_ups[-1] if follow_ups else None,
        "evidence": evidence,
        "image_types": thumbnails.IMAGE_TYPES,
        "sections": sections,
        "printed_at": now,
        "pdf": pdf,
        "print_css": _print_css() if pdf else "",
    }


@login_required
@require_GET
def ticket_print(request, ticket_no: str):
    complaint = _complaint_for(request, ticket_no)
    now = timezone.now()
    services.complaint_record_access(
        complaint=complaint, by=request.user, purpose=_("打印"), now=now
    )
    return render(
        request, "complaints/print.html", _context(request, complaint, now=now, pdf=False)
    )


@cache
def _print_css() -> str:
    path = finders.find("console/print.css")
    with open(path, encoding="utf-8") as css:
        return css.read()


def render_pdf(html: str) -> bytes:
    """The PDF of a page of ours; nothing is fetched while it is made (no file, no network).

    Raises OSError when WeasyPrint cannot load pango (a machine without the system packages).
    """
    # Imported here: it loads pango through cffi, which only the PDF needs.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url, headers=None):
            raise ValueError(f"not fetched: {url[:80]}")

    return HTML(string=html, url_fetcher=NoFetching()).write_pdf()


@login_required
@require_GET
def ticket_print_pdf(request, ticket_no: str):
    """The print view as an A4 PDF download (masked personal data)."""
    complaint = _complaint_for(request, ticket_no)
    now = timezone.now()
    html = render_to_string(
        "complaints/print.html", _context(request, complaint, now=now, pdf=True), request
    )
    try:
        data = render_pdf(html)
    except OSError as exc:  # pango missing on this machine: the browser's print still works
        log.warning("WeasyPrint cannot load its system libraries: %s", exc)
        return HttpResponse(
            _("暂时无法生成PDF，请在打印页使用浏览器的“打印 → 另存为PDF”。"),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    # Recorded once the PDF exists: a failure to make it prints nothing.
    services.complaint_record_access(
        complaint=complaint, by=request.user, purpose=_("打印PDF"), now=now
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{complaint.ticket_no}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
