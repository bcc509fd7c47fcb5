"""Evidence is what a parser makes of it, and downloads carry the detected type (issue 19 §3).

A `.bat` or `.hta` that began with `%PDF-` used to be stored and handed to staff as `照片.bat`.
Now a PDF must parse (pypdf), have a page, not be encrypted and carry no active content; an
image must verify and decode in full (Pillow). What is stored downloads as
`<the customer's name><the detected extension>`, as an attachment, with nosniff and a
sandboxing CSP. A refused upload leaves nothing: no row, no audit, no file, no quota used.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from complaints.models import Attachment
from tests import evidence_files
from tests.unchanged import nothing_changed

REFUSED = [
    pytest.param("照片.bat", evidence_files.batch_file_with_pdf_header(), id="bat-with-pdf-header"),
    pytest.param("help.hta", b"%PDF-1.4\n<hta:application><script>x</script>", id="hta-pdf-header"),
    pytest.param("scan.pdf", evidence_files.pdf_with_javascript(), id="pdf-javascript"),
    pytest.param("scan.pdf", evidence_files.pdf_with_embedded_file(), id="pdf-embedded-file"),
    pytest.param("scan.pdf", evidence_files.pdf_with_launch_action(), id="pdf-launch-action"),
    pytest.param("scan.pdf", evidence_files.pdf_with_submit_form(), id="pdf-submit-form"),
    pytest.param("scan.pdf", evidence_files.encrypted_pdf(), id="pdf-encrypted"),
    pytest.param("scan.pdf", evidence_files.pdf()[:200], id="pdf-truncated"),
    pytest.param("photo.jpg", evidence_files.image("JPEG", (64, 64))[:300], id="jpeg-truncated"),
    pytest.param("photo.png", evidence_files.image("PNG", (64, 64))[:-20], id="png-truncated"),
]


def upload(api, world, name: str, data: bytes):
    return api.post(
        f"/api/v1/complaints/{world.ticket_no}/evidence/",
        {"file": SimpleUploadedFile(name, data, content_type="application/pdf")},
        format="multipart",
        HTTP_X_ACCESS_CODE=world.access_code,
    )


@pytest.mark.parametrize(("name", "data"), REFUSED)
def test_it_refuses_what_does_not_parse_as_a_plain_document(api, world, name, data):
    with nothing_changed():
        response = upload(api, world, name, data)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["fields"]["file"]


@pytest.mark.parametrize(
    ("name", "data", "saved_as", "content_type"),
    [
        ("照片.bat", evidence_files.pdf(), "照片.pdf", "application/pdf"),
        ("照片.hta", evidence_files.image("PNG"), "照片.png", "image/png"),
        ("收据.PDF.exe", evidence_files.pdf(2), "收据.PDF.pdf", "application/pdf"),
        ("无扩展名", evidence_files.image("JPEG"), "无扩展名.jpg", "image/jpeg"),
        (".bashrc", evidence_files.image("WEBP"), "bashrc.webp", "image/webp"),
        ("scan.pdf", evidence_files.pdf(), "scan.pdf", "application/pdf"),
    ],
)
def test_it_serves_a_download_named_with_the_detected_extension(
    api, world, bob, name, data, saved_as, content_type
):
    response = upload(api, world, name, data)
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get(token=response.json()["id"])
    # Stored under a generated name with the detected extension; the customer's name is data.
    assert attachment.token in attachment.file.name
    assert attachment.file.name.endswith(attachment.extension)
    assert attachment.original_name == name

    client = Client()
    client.force_login(bob)
    download = client.get(f"/tickets/{world.ticket_no}/evidence/{attachment.token}/")
    assert download.status_code == 200
    assert download["Content-Type"] == content_type
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith((f'filename="{saved_as}"', f"filename*=utf-8''{quote(saved_as)}"))
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(download.streaming_content) == data
