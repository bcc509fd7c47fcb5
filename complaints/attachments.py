"""Evidence uploads: accepted by what the bytes are, not by what the name says (SPEC §9).

Images (JPEG, PNG, WebP) must decode as the image they claim to be; PDFs must start with the
PDF header. Files are stored under random names and served only as downloads with their
detected type, so nothing uploaded can ever be rendered as HTML.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import unicodedata
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.errors import Conflict, InvalidInput, TooLarge, Unavailable

from .models import Attachment, Complaint
from .services import _actor_fields, _audit, authorize

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_COMPLAINT = 20
# Pillow refuses to decode images above this many pixels (decompression bombs).
MAX_PIXELS = 50_000_000


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str


JPEG = Kind("image/jpeg", ".jpg")
PNG = Kind("image/png", ".png")
WEBP = Kind("image/webp", ".webp")
PDF = Kind("application/pdf", ".pdf")
PILLOW_FORMATS = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP}


def sniff(data: bytes) -> Kind | None:
    """Return the kind of file the bytes are, or None when it is not one we accept."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    ):
        return _decoded_image(data)
    return None


def _decoded_image(data: bytes) -> Kind | None:
    import io
    import warnings

    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = PILLOW_FORMATS.get(image.format or "")
                image.verify()
    except Exception:
        return None
    return kind


def clean_name(name: str) -> str:
    """Keep a display name: no path, no control characters, at most 120 characters."""
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip()[:120]


def read_upload(upload) -> bytes:
    """Read an uploaded file, refusing it before reading everything when it is too large."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise TooLarge(_("文件不能超过10MB。"), field_errors={"file": _("文件不能超过10MB。")})
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TooLarge(_("文件不能超过10MB。"), field_errors={"file": _("文件不能超过10MB。")})
    if not data:
        raise InvalidInput(_("文件是空的。"), field_errors={"file": _("文件是空的。")})
    return data


def _remove_partial(attachment: Attachment) -> None:
    """Remove what a failed write left (the storage does not: a disk filling up mid-write
    leaves a truncated file under the attachment's random name). Best effort: on a read-only
    folder nothing was written and nothing can be removed."""
    storage = attachment.file.storage
    name = attachment.file.field.generate_filename(attachment, "evidence")
    try:
        if storage.exists(name):
            storage.delete(name)
    except OSError:
        log.warning("could not remove the partial evidence file %s", name)


@transaction.atomic
def attachment_add(*, complaint: Complaint, by, upload, now=None) -> Attachment:
    """Attach evidence to an open or recently answered complaint; audited like any change."""
    now = now or timezone.now()
    authorize(by, "contact_customer", complaint, action="evidence")
    data = read_upload(upload)
    kind = sniff(data)
    if kind is None:
        message = _("只接受JPEG、PNG、WebP图片或PDF文件（按文件内容判断）。")
        raise InvalidInput(message, field_errors={"file": message})
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.status in ("rejected", "withdrawn"):
        raise Conflict(
            _("工单已%(status)s，不能再上传证据。") % {"status": locked.get_status_display()}
        )
    if locked.attachments.count() >= MAX_PER_COMPLAINT:
        raise Conflict(_("每宗投诉最多上传%(count)s个附件。") % {"count": MAX_PER_COMPLAINT})
    actor, actor_kind = _actor_fields(by)
    attachment = Attachment(
        complaint=locked,
        token=secrets.token_hex(16),
        extension=kind.extension,
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        original_name=clean_name(getattr(upload, "name", "")),
        uploaded_at=now,
        uploaded_by=actor,
        uploaded_by_kind=actor_kind,
    )
    try:
        attachment.file.save("evidence", ContentFile(data), save=False)
    except OSError as exc:  # disk full, read-only media folder…
        _remove_partial(attachment)
        log.warning("evidence storage unavailable for %s: %s", locked.ticket_no, exc)
        raise Unavailable(_("证据存储暂不可用，请稍后重试；投诉本身不受影响。")) from exc
    try:
        attachment.save()
        _audit(
            locked,
            by,
            "evidence",
            locked.status,
            now=now,
            attachment=attachment.token,
            content_type=kind.content_type,
            size=len(data),
        )
    except Exception:
        attachment.file.delete(save=False)  # no orphan file when the row is not stored
        raise
    return attachment
