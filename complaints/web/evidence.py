"""Evidence seen in the browser (issue 20 §5): thumbnails in the timeline, files opened inline.

Opening or downloading a file is recorded like a reveal (PersonalDataAccess); thumbnails are not,
or every page view would bury the deliberate looks. See docs/security.md, "证据预览与打印".
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from complaints import attachments, services, thumbnails
from complaints.models import Attachment

from .ticket import _complaint_for

# Opened as a page (a PDF in the browser's viewer, an image in a tab): no script, no plugin of
# the file's own, no request anywhere, a unique origin; framed only by our own ticket page.
INLINE_CSP = "default-src 'none'; sandbox; frame-ancestors 'self'"
# Saved, not shown: should a browser open it anyway, it runs nothing (issue 19 §3).
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def _attachment(request, ticket_no: str, token: str) -> Attachment:
    complaint = _complaint_for(request, ticket_no)
    return get_object_or_404(
        Attachment.objects.select_related("complaint"), complaint=complaint, token=token
    )


@login_required
@require_GET
def attachment_download(request, ticket_no: str, token: str):
    """Serve evidence as a download with its detected type: never rendered as a page.

    Named with the detected type's extension (`照片.bat` that is a PDF saves as `照片.pdf`),
    `attachment` disposition, `nosniff`, and a CSP that sandboxes it should a browser open
    it anyway (issue 19 §3). Recorded like a look.
    """
    attachment = _attachment(request, ticket_no, token)
    purpose = _("下载证据 %(token)s") % {"token": attachment.token}
    return _served(request, attachment, purpose=purpose, download=True, csp=DOWNLOAD_CSP)


@login_required
@require_GET
@xframe_options_sameorigin
def attachment_view(request, ticket_no: str, token: str):
    """The file itself, to be shown rather than saved: an image or a PDF in the viewer."""
    attachment = _attachment(request, ticket_no, token)
    purpose = _("查看证据 %(token)s") % {"token": attachment.token}
    return _served(request, attachment, purpose=purpose, download=False, csp=INLINE_CSP)


def _served(request, attachment: Attachment, *, purpose: str, download: bool, csp: str):
    """The file with its detected type, the look recorded first (the privacy audit's table)."""
    services.complaint_record_access(
        complaint=attachment.complaint, by=request.user, purpose=purpose
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=download,
        filename=attachments.download_name(attachment),
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = csp
    # Each look reaches the server (and the audit); nothing of it stays on a shared PC's disk.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def attachment_thumbnail(request, ticket_no: str, token: str):
    """A small JPEG of an image (made on first request and kept); PDFs have none (404)."""
    attachment = _attachment(request, ticket_no, token)
    if not thumbnails.is_image(attachment):
        raise Http404(_("该证据没有缩略图。"))
    try:
        data = thumbnails.thumbnail_of(attachment)
    except (OSError, ValueError) as exc:  # the original is missing or no longer decodes
        raise Http404(_("缩略图暂不可用。")) from exc
    response = HttpResponse(data, content_type=thumbnails.THUMBNAIL_TYPE)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = INLINE_CSP
    # The token never changes and neither does the file: the browser may keep it (not proxies).
    response["Cache-Control"] = "private, max-age=86400"
    return response
