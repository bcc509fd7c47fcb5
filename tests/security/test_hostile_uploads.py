"""Hostile evidence uploads: refused, or stored and only ever handed back as a download.

Uploads arrive through the API (the customer with the access code); what is stored is judged
by its bytes (complaints.attachments), and the ticket page's download sets the detected type,
`Content-Disposition: attachment`, `nosniff` and a sandboxing CSP — so even a file that is also
valid HTML (a polyglot) is never rendered by the browser as a page of ours.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from complaints.models import Attachment
from tests import evidence_files

SCRIPT = (
    b"<html><body><script>alert(document.cookie)</script><img src=x onerror=alert(1)></body></html>"
)


def image(fmt: str, size=(8, 8), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else 1).save(buffer, fmt)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A zip holding 50 MB of zeros in ~50 KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()


def pixel_bomb() -> bytes:
    """A 9000×9000 PNG (81 Mpx, over the 50 Mpx limit) that compresses to a few KB."""
    return image("PNG", size=(9000, 9000), mode="1")


def upload(api, world, name: str, data: bytes, content_type="application/octet-stream"):
    return api.post(
        f"/api/v1/complaints/{world.ticket_no}/evidence/",
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        format="multipart",
        HTTP_X_ACCESS_CODE=world.access_code,
    )


REFUSED = [
    pytest.param("photo.jpg", SCRIPT, "image/jpeg", id="html-named-jpg"),
    pytest.param("scan.pdf", b"<!DOCTYPE html>" + SCRIPT, "application/pdf", id="html-named-pdf"),
    pytest.param(
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
        b"<script>alert(2)</script></svg>",
        "image/svg+xml",
        id="svg-with-script",
    ),
    pytest.param("evidence.zip", zip_bomb(), "application/zip", id="zip-bomb"),
    pytest.param("huge.png", pixel_bomb(), "image/png", id="decompression-bomb-png"),
    pytest.param("fake.png", b"\x89PNG\r\n\x1a\n" + SCRIPT, "image/png", id="png-magic-then-html"),
    pytest.param("fake.jpg", b"\xff\xd8\xff\xe0" + SCRIPT, "image/jpeg", id="jpeg-magic-then-html"),
    pytest.param("page.html", SCRIPT, "text/html", id="plain-html"),
    pytest.param("run.exe", b"MZ\x90\x00" + b"\0" * 100, "application/octet-stream", id="exe"),
]


@pytest.mark.parametrize(("name", "data", "content_type"), REFUSED)
def test_it_refuses_files_that_are_not_evidence(api, world, name, data, content_type):
    response = upload(api, world, name, data, content_type)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]["file"]
    assert Attachment.objects.filter(complaint__ticket_no=world.ticket_no).count() == 1


def test_it_refuses_an_oversized_file_with_413(api, world):
    data = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    response = upload(api, world, "big.pdf", data, "application/pdf")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


# Stored (they are what they say underneath), but only ever served as inert downloads.
POLYGLOTS = [
    pytest.param("evil.jpg", image("JPEG") + SCRIPT, "image/jpeg", id="jpeg-with-html-appended"),
    pytest.param("mixed.pdf", evidence_files.pdf() + SCRIPT, "application/pdf", id="pdf-html-mix"),
    pytest.param("page.html", image("PNG"), "image/png", id="png-named-html"),
    pytest.param("../../../../etc/passwd.png", image("PNG"), "image/png", id="path-traversal-name"),
    pytest.param(
        'a"\r\nX-Injected: yes\r\n.webp', image("WEBP"), "image/webp", id="header-injection-name"
    ),
]


@pytest.mark.parametrize(("name", "data", "detected"), POLYGLOTS)
def test_it_serves_stored_files_only_as_downloads_of_the_detected_type(
    api, world, bob, name, data, detected
):
    response = upload(api, world, name, data, "text/html")
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == detected
    attachment = Attachment.objects.get(sha256=response.json()["sha256"])

    # Stored under a random name inside the media folder, whatever the client called it.
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert "passwd" not in stored.name and ".." not in attachment.file.name
    assert "/" not in attachment.original_name and "\r" not in attachment.original_name

    client = Client()
    client.force_login(bob)
    download = client.get(f"/tickets/{world.ticket_no}/evidence/{attachment.token}/")
    assert download.status_code == 200
    assert download["Content-Type"] == detected
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    assert "X-Injected" not in download.headers
    assert b"".join(download.streaming_content) == data


def test_it_never_serves_the_media_folder_as_pages(api, world, bob):
    """Nothing maps /media/ to files; a stored file's path is not a URL of the app."""
    upload(api, world, "box.png", image("PNG"))
    attachment = Attachment.objects.filter(complaint__ticket_no=world.ticket_no).last()
    client = Client()
    client.force_login(bob)
    assert client.get(f"/{settings.MEDIA_URL}{attachment.file.name}").status_code == 404


def test_it_does_not_let_another_ticket_reach_an_attachment(api, world, alice):
    """An attachment's token is looked up within the ticket named in the URL."""
    attachment = Attachment.objects.filter(complaint__ticket_no=world.ticket_no).get()
    from complaints.models import Complaint

    other = Complaint.objects.exclude(ticket_no=world.ticket_no).get()
    client = Client()
    client.force_login(alice)
    assert client.get(f"/tickets/{other.ticket_no}/evidence/{attachment.token}/").status_code == 404
