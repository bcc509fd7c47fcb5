"""Evidence uploads: accepted by what the bytes are, within quotas (SPEC §9, issue 19 §3–4).

A file is what Pillow or pypdf make of it, never what its first bytes or name claim, and it is
served only as a download, so nothing uploaded runs as a page of ours. Quota counts are upserted
in the upload's transaction, so a refusal rolls its count back. See docs/security.md, "公开提交面
(issue 19)".
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from kernel.db import inserts
from kernel.errors import Conflict, InvalidInput, QuotaExceeded, TooLarge, Unavailable
from kernel.models import Channel, Notification

from .models import Attachment, Complaint, EvidenceFile, EvidenceUsage, Role, StaffProfile, Status
from .services import CUSTOMER, authorize
from .services.audit import actor_fields, record
from .services.steps import lock_complaint

log = logging.getLogger(__name__)
Row = TypeVar("Row", bound=EvidenceFile)

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_COMPLAINT = 20
DEFAULT_LIMITS = {
    "MAX_FILE_BYTES": MAX_BYTES,
    "MAX_FILES_PER_COMPLAINT": MAX_PER_COMPLAINT,
    "MAX_BYTES_PER_COMPLAINT": 60 * 1024**2,
    "ADDRESS_DAILY_FILES": 60,
    "ADDRESS_DAILY_BYTES": 200 * 1024**2,
    "DAILY_BYTES": 20 * 1024**3,
    "ALERT_SHARE": 0.8,
}
# Pillow refuses to decode images above this many pixels (decompression bombs).
MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# A PDF with more objects than this is not a receipt or a scan; walking it costs too much.
MAX_PDF_OBJECTS = 100_000


def limits() -> dict:
    return {**DEFAULT_LIMITS, **getattr(settings, "EVIDENCE", {})}


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str


JPEG = Kind("image/jpeg", ".jpg")
PNG = Kind("image/png", ".png")
WEBP = Kind("image/webp", ".webp")
PDF = Kind("application/pdf", ".pdf")
PILLOW_FORMATS = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP}


# --- What the bytes are -------------------------------------------------------------------


def sniff(data: bytes) -> Kind | None:
    """Return the kind of file the bytes are, or None when it is not one we accept."""
    return inspect(data)[0]


def inspect(data: bytes) -> tuple[Kind | None, str]:
    """Return the kind of file the bytes are, or None and why it is refused (Chinese)."""
    if data.startswith(b"%PDF-"):
        problem = _pdf_problem(data)
        return (None, problem) if problem else (PDF, "")
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    ):
        kind = _decoded_image(data)
        if kind is not None:
            return kind, ""
    return None, _("只接受JPEG、PNG、WebP图片或PDF文件（按文件内容判断）。")


def _decoded_image(data: bytes) -> Kind | None:
    """The image's kind when Pillow verifies it and then decodes every pixel, else None.

    verify() checks the structure without decoding and leaves the image unusable, so the
    file is opened again and loaded: a truncated or corrupt image fails there.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = PILLOW_FORMATS.get(image.format or "")
            width, height = image.size
            if kind is None or width * height > MAX_PIXELS:
                return None
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception:  # any decoder error is "not an image we accept"
        return None
    return kind


# Keys and actions that make a PDF do something when opened or clicked, rather than show pages:
# scripts, launching programs, files inside the file, XFA forms, forms that post data away.
_ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/EmbeddedFile", "/EmbeddedFiles", "/XFA", "/RichMedia", "/Launch"}
)
_ACTIVE_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/RichMediaExecute",
        "/GoToE",
        "/GoToR",
        "/Rendition",
        "/Sound",
        "/Movie",
    }
)


def _pdf_problem(data: bytes) -> str:
    """Why a file that begins like a PDF is refused, or "" when it is a plain document."""
    not_pdf = _("文件以PDF开头，但不是可以打开的PDF文档。")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return _("加密的PDF无法检查内容，请上传未加密的文件。")
        if len(reader.pages) < 1:
            return not_pdf
        active = _has_active_content(reader.trailer)
    except Exception:  # pypdf raises many kinds on a broken file: all mean "not a PDF"
        return not_pdf
    if active is None:
        return not_pdf
    if active:
        return _("PDF含有脚本、附件或自动执行的动作，不能作为证据上传，请导出为普通PDF或图片。")
    return ""


def _has_active_content(trailer: DictionaryObject) -> bool | None:
    """Walk every object reachable from the trailer; True at the first active one.

    Streams are walked as dictionaries only: their data is never decoded here. None when the
    document is too large to walk.
    """
    stack: list = [trailer]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            node = node.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            return None
        if isinstance(node, DictionaryObject):
            if _ACTIVE_KEYS.intersection(node.keys()):
                return True
            if node.get("/S") in _ACTIVE_ACTIONS:
                return True
            stack.extend(node.values())
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return False


# --- Names ---------------------------------------------------------------------------------


def clean_name(name: str) -> str:
    """Keep a display name: no path, no control characters, at most 120 characters."""
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip()[:120]


def download_name(attachment: Attachment) -> str:
    """The name a download is saved under: the customer's name, the detected extension.

    `照片.bat` that is a PDF downloads as `照片.pdf`: the extension a desktop uses to decide
    what to run is always the one of what the bytes are.
    """
    name = clean_name(attachment.original_name)
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    stem = stem.strip(" .") or attachment.token
    return f"{stem}{attachment.extension}"


# --- Reading -------------------------------------------------------------------------------


def read_upload(upload, max_bytes: int | None = None) -> bytes:
    """Read an uploaded file, refusing it before reading everything when it is too large."""
    max_bytes = max_bytes or limits()["MAX_FILE_BYTES"]
    message = _("文件不能超过%(mb)sMB。") % {"mb": _megabytes(max_bytes)}
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise TooLarge(message, field_errors={"file": message})
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLarge(message, field_errors={"file": message})
    if not data:
        raise InvalidInput(_("文件是空的。"), field_errors={"file": _("文件是空的。")})
    return data


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:g}"


# --- Quotas --------------------------------------------------------------------------------

_UPSERT = (
    f"INSERT INTO {EvidenceUsage._meta.db_table} AS u (day, scope, key, files, total_bytes) "
    "VALUES (%s, %s, %s, 1, %s) "
    "ON CONFLICT (day, scope, key) DO UPDATE "
    "SET files = u.files + 1, total_bytes = u.total_bytes + EXCLUDED.total_bytes "
    "WHERE u.files + 1 <= %s AND u.total_bytes + EXCLUDED.total_bytes <= %s "
    "RETURNING u.total_bytes"  # nosec B608  # the model's table; values are parameters
)
_NO_FILE_LIMIT = 2**31 - 1


def address_key(address: str) -> str:
    """A client address as stored: keyed hash, so the table never holds an address."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def _count(day, scope: str, key: str, size: int, *, max_files: int, max_bytes: int) -> int | None:
    """Add one file of `size` to a day's count; its new byte total, or None when over a limit."""
    if size > max_bytes:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [day, scope, key, size, max_files, max_bytes])
        row = cursor.fetchone()
    return row[0] if row else None


def _seconds_to_next_day(now: datetime) -> int:
    local = timezone.localtime(now)
    midnight = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), time()))
    return max(int((midnight - now).total_seconds()), 1)


def _check_complaint_quota(locked: Complaint, size: int, conf: dict) -> None:
    used = locked.attachments.aggregate(files=Count("id"), bytes=Sum("size"))
    files, total = used["files"], used["bytes"] or 0
    if (
        files + 1 > conf["MAX_FILES_PER_COMPLAINT"]
        or total + size > conf["MAX_BYTES_PER_COMPLAINT"]
    ):
        message = _("每宗投诉最多上传%(count)s个证据文件，合计不超过%(mb)sMB。") % {
            "count": conf["MAX_FILES_PER_COMPLAINT"],
            "mb": _megabytes(conf["MAX_BYTES_PER_COMPLAINT"]),
        }
        raise TooLarge(message, field_errors={"file": message})


def _count_daily(*, size: int, address: str, now: datetime, conf: dict) -> None:
    """Count the upload against the address's and the site's day, or refuse it (429)."""
    day = timezone.localdate(now)
    wait = _seconds_to_next_day(now)
    if address:
        counted = _count(
            day,
            EvidenceUsage.Scope.ADDRESS,
            address_key(address),
            size,
            max_files=conf["ADDRESS_DAILY_FILES"],
            max_bytes=conf["ADDRESS_DAILY_BYTES"],
        )
        if counted is None:
            log.warning("evidence quota of a client address reached (%s)", day)
            raise QuotaExceeded(
                _("今天从您的网络上传的证据已达上限，请明天再试，或联系客服。"), retry_after=wait
            )
    budget = conf["DAILY_BYTES"]
    total = _count(
        day, EvidenceUsage.Scope.SITE, "", size, max_files=_NO_FILE_LIMIT, max_bytes=budget
    )
    if total is None:
        log.warning("daily evidence budget used up (%s)", day)
        raise QuotaExceeded(
            _("今天的证据上传总量已达上限，请明天再试；投诉本身不受影响。"), retry_after=wait
        )
    alert_at = budget * conf["ALERT_SHARE"]
    if total - size < alert_at <= total:
        _alert_supervisors(day=day, used=total, budget=budget, now=now, share=conf["ALERT_SHARE"])


def _alert_supervisors(*, day, used: int, budget: int, now: datetime, share: float) -> None:
    """Queue the day's budget warning to every supervisor (in-app, and e-mail if they have one).

    The topic names the day, so a second crossing the same day (after a rollback) queues
    nothing new.
    """
    context = {
        "kind": "warning",
        "day": day.isoformat(),
        "used_mb": _megabytes(round(used / 1024**2, 1) * 1024**2),
        "budget_mb": _megabytes(budget),
        "percent": round(used * 100 / budget),
        "share_percent": round(share * 100),
    }
    rows = []
    supervisors = StaffProfile.objects.filter(role=Role.SUPERVISOR, user__is_active=True)
    for user_id, email in supervisors.values_list("user_id", "user__email"):
        for channel in (Channel.IN_APP, Channel.EMAIL) if email else (Channel.IN_APP,):
            rows.append(
                Notification(
                    topic=f"evidence-budget:{day.isoformat()}",
                    template="staff_evidence_budget",
                    channel=channel,
                    recipient_key=f"user:{user_id}",
                    user_id=user_id,
                    context=context,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    if rows:
        inserts.insert_ignoring_conflicts(rows)
        from kernel.outbox.delivery import kick_delivery

        transaction.on_commit(kick_delivery)


# --- Storing -------------------------------------------------------------------------------


def describe(
    row_class: type[Row], data: bytes, kind: Kind, *, name: str, at: datetime, **fields: Any
) -> Row:
    """A new, unsaved evidence row (a complaint's or a dispute's) for bytes `inspect` accepted."""
    return row_class(
        token=secrets.token_hex(16),
        extension=kind.extension,
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        original_name=name,
        uploaded_at=at,
        **fields,
    )


def write_file(row: EvidenceFile, data: bytes) -> None:
    """Store the row's file under its random name; a failed write (OSError) leaves no part."""
    try:
        row.file.save("evidence", ContentFile(data), save=False)
    except OSError:
        remove_file(row)
        raise


def remove_file(row: EvidenceFile) -> None:
    """Remove the row's file, or what a failed write left (a disk filling up mid-write leaves a
    truncated file). Best effort: on a read-only folder nothing can be removed."""
    storage = row.file.storage
    name = row.file.name or row.file.field.generate_filename(row, "evidence")
    try:
        if storage.exists(name):
            storage.delete(name)
    except OSError:
        log.warning("could not remove the evidence file %s", name)


@transaction.atomic
def attachment_add(*, complaint: Complaint, by, upload, client: str = "", now=None) -> Attachment:
    """Attach evidence to an open or recently answered complaint; audited like any change.

    `client`: the uploader's address, for the customers' daily quota per address (staff and
    partners are counted against the complaint's and the site's quotas only).
    """
    now = now or timezone.now()
    authorize(by, "contact_customer", complaint, action="evidence")
    conf = limits()
    data = read_upload(upload, conf["MAX_FILE_BYTES"])
    kind, problem = inspect(data)
    if kind is None:
        raise InvalidInput(problem, field_errors={"file": problem})
    # The right and the scope again on the locked row (issue 19 §8): a clerk whose ticket was
    # reassigned away while the file was uploading finds it gone, as on any other action.
    locked = lock_complaint(
        complaint, by=by, perm="contact_customer", action="evidence", unchanged=False
    )
    if locked.status in (Status.REJECTED, Status.WITHDRAWN):
        raise Conflict(
            _("工单已%(status)s，不能再上传证据。") % {"status": locked.get_status_display()}
        )
    # Counted before anything is written: a refusal leaves no file and no count behind.
    _check_complaint_quota(locked, len(data), conf)
    _count_daily(size=len(data), address=client if by == CUSTOMER else "", now=now, conf=conf)
    name = clean_name(getattr(upload, "name", ""))
    attachment = describe(Attachment, data, kind, name=name, at=now, complaint=locked)
    attachment.uploaded_by, attachment.uploaded_by_kind = actor_fields(by)
    try:
        write_file(attachment, data)
    except OSError as exc:  # disk full, read-only media folder…
        log.warning("evidence storage unavailable for %s: %s", locked.ticket_no, exc)
        raise Unavailable(_("证据存储暂不可用，请稍后重试；投诉本身不受影响。")) from exc
    try:
        attachment.save()
        record(
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
