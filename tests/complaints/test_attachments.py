"""Evidence uploads are checked by content, size-limited and audited (SPEC §9)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from complaints import attachments
from complaints.models import Attachment
from kernel.errors import InvalidInput, TooLarge, Unavailable
from tests import evidence_files


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        pytest.param("photo.jpg", image_bytes("JPEG"), "image/jpeg", id="jpeg"),
        pytest.param("photo.png", image_bytes("PNG"), "image/png", id="png"),
        pytest.param("photo.webp", image_bytes("WEBP"), "image/webp", id="webp"),
        pytest.param("receipt.pdf", evidence_files.pdf(), "application/pdf", id="pdf"),
        pytest.param(
            "named-wrong.txt", image_bytes("PNG"), "image/png", id="png-with-a-misleading-name"
        ),
    ],
)
def test_it_accepts_images_and_pdfs_by_content(name, data, content_type, make_complaint, now):
    complaint = make_complaint()
    attachment = attachments.attachment_add(
        complaint=complaint, by="customer", upload=SimpleUploadedFile(name, data), now=now
    )
    assert attachment.content_type == content_type
    assert attachment.size == len(data)
    assert attachment.original_name == name
    assert attachment.file.name.startswith("evidence/2026/11/")
    assert attachment.file.name.endswith(attachment.extension)
    assert complaint.transitions.last().transition == "evidence"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        pytest.param("evil.jpg", b"<html><script>alert(1)</script></html>", id="html-named-jpg"),
        pytest.param(
            "fake.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, id="png-header-but-not-an-image"
        ),
        pytest.param("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', id="svg"),
        pytest.param("a.zip", b"PK\x03\x04" + b"\0" * 30, id="zip"),
    ],
)
def test_it_refuses_other_content(name, data, make_complaint, now):
    complaint = make_complaint()
    with pytest.raises(InvalidInput, match="按文件内容判断"):
        attachments.attachment_add(
            complaint=complaint, by="customer", upload=SimpleUploadedFile(name, data), now=now
        )
    assert Attachment.objects.count() == 0


def test_it_refuses_files_over_10_mb(make_complaint, now):
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * attachments.MAX_BYTES)
    with pytest.raises(TooLarge):
        attachments.attachment_add(complaint=make_complaint(), by="customer", upload=big, now=now)


def test_it_keeps_at_most_20_per_complaint(make_complaint, now):
    complaint = make_complaint()
    png = image_bytes("PNG")
    for i in range(attachments.MAX_PER_COMPLAINT):
        attachments.attachment_add(
            complaint=complaint, by="customer", upload=SimpleUploadedFile(f"{i}.png", png), now=now
        )
    with pytest.raises(TooLarge, match="最多"):
        attachments.attachment_add(
            complaint=complaint, by="customer", upload=SimpleUploadedFile("21.png", png), now=now
        )


def test_it_strips_paths_from_file_names():
    assert attachments.clean_name("../../etc/passwd") == "passwd"
    assert attachments.clean_name("C:\\Users\\x\\photo.jpg") == "photo.jpg"
    assert attachments.clean_name("a\x00b\u202e.jpg") == "ab.jpg"


def test_it_reports_an_unwritable_media_folder_clearly(make_complaint, now, settings, tmp_path):
    # Tests run as root, where permissions do not stop writes: a file where the folder should
    # be makes every write fail the way a full or read-only disk does (OSError).
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    settings.MEDIA_ROOT = blocked
    complaint = make_complaint()
    with pytest.raises(Unavailable, match="投诉本身不受影响"):
        attachments.attachment_add(
            complaint=complaint,
            by="customer",
            upload=SimpleUploadedFile("p.png", image_bytes("PNG")),
            now=now,
        )
    complaint.refresh_from_db()
    assert complaint.status == "accepted"
    assert Attachment.objects.count() == 0
    assert complaint.transitions.count() == 1
