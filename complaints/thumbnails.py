"""Small server-side thumbnails of image evidence, for the ticket's timeline (issue 20 §5).

A phone photo is megabytes and a thumbnail tens of KB; made once, kept beside the evidence and
served only through the download's access check. Safe to decode: every stored image was
verified at upload; re-encoded from pixels, it carries no EXIF and no polyglot tail. See
docs/security.md, "证据预览与打印 (issue 20 §5)".
"""

from __future__ import annotations

import io
import logging

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from .models import Attachment

log = logging.getLogger(__name__)

# The longest side, in pixels: 96 CSS pixels on a phone with a pixel ratio of 3.
THUMBNAIL_SIZE = 288
THUMBNAIL_TYPE = "image/jpeg"
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def is_image(attachment: Attachment) -> bool:
    return attachment.content_type in IMAGE_TYPES


def thumbnail_name(attachment: Attachment) -> str:
    """Where the thumbnail is kept: under the evidence folder, named by the random token."""
    return f"evidence/thumbs/{attachment.token}.jpg"


def make_thumbnail(data: bytes) -> bytes:
    """A JPEG no larger than THUMBNAIL_SIZE on its longest side, upright (EXIF orientation)."""
    with Image.open(io.BytesIO(data)) as image:
        # JPEG decodes at 1/2, 1/4 or 1/8 scale directly: a 12 Mpx photo costs a fraction.
        image.draft("RGB", (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        if upright.mode != "RGB":
            # Transparent screenshots get a white background, not black.
            background = Image.new("RGB", upright.size, "white")
            rgba = upright.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            upright = background
        out = io.BytesIO()
        upright.save(out, format="JPEG", quality=80, optimize=True)
    return out.getvalue()


def thumbnail_of(attachment: Attachment) -> bytes:
    """The attachment's thumbnail, made and stored the first time it is asked for."""
    storage = attachment.file.storage
    name = thumbnail_name(attachment)
    try:
        if storage.exists(name):
            with storage.open(name, "rb") as cached:
                return cached.read()
    except OSError:
        log.warning("could not read the cached thumbnail %s", name)
    with attachment.file.open("rb") as original:
        data = make_thumbnail(original.read())
    try:
        saved = storage.save(name, ContentFile(data))
        if saved != name:
            # Another request made it at the same moment and the storage kept both: keep one.
            storage.delete(saved)
    except OSError:
        # A full or read-only disk costs the cache, not the picture.
        log.warning("could not store the thumbnail %s", name)
    return data
