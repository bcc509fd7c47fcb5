"""Evidence seen in the browser (issue 20 §5): thumbnails, files opened inline, the look audited.

The same access as the download: staff who may see the complaint; branch staff only their
unit's (another unit's file answers 404 like a missing one); partners never (403). Every inline
view records a PersonalDataAccess row (the privacy audit's table); thumbnails do not.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from complaints import attachments, thumbnails
from complaints.models import PersonalDataAccess
from tests import evidence_files
from tests.complaints.helpers import bring_to
from tests.unchanged import nothing_changed


def _rotated_photo() -> bytes:
    """A 400 × 200 JPEG whose EXIF says "rotate 90°" (as phones write), with a GPS tag."""
    image = Image.new("RGB", (400, 200), "blue")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was held upright
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}  # GPSInfo: where the customer lives
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def evidence(settings, tmp_path, make_complaint, alice, bob, org, now):
    """A complaint in 核实 at branch A with the customer's photo and PDF."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    complaint = bring_to(
        "verifying", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    photo = attachments.attachment_add(
        complaint=complaint, by="customer", upload=SimpleUploadedFile("破损.jpg", _rotated_photo())
    )
    pdf = attachments.attachment_add(
        complaint=complaint,
        by="customer",
        upload=SimpleUploadedFile("发票.pdf", evidence_files.pdf()),
    )
    return complaint, photo, pdf


def _url(name: str, complaint, attachment) -> str:
    return reverse(name, args=[complaint.ticket_no, attachment.token])


def test_the_timeline_shows_thumbnails_that_open_the_viewer(client_as, bob, evidence):
    complaint, photo, pdf = evidence
    page = client_as(bob).get(reverse("web:ticket", args=[complaint.ticket_no])).content.decode()
    assert f'src="{_url("web:attachment_thumb", complaint, photo)}"' in page
    assert f'href="{_url("web:attachment_view", complaint, photo)}"' in page
    assert f'href="{_url("web:attachment_view", complaint, pdf)}"' in page
    assert 'data-kind="pdf"' in page and 'data-kind="image"' in page
    assert 'id="evidence-viewer"' in page  # the modal, outside the panel htmx swaps
    assert f'href="{reverse("web:print", args=[complaint.ticket_no])}"' in page
    # The download stays as it was.
    assert f'href="{_url("web:attachment", complaint, photo)}"' in page


def test_a_thumbnail_is_small_upright_without_exif_made_once_and_not_audited(
    client_as, bob, evidence, settings
):
    complaint, photo, _pdf = evidence
    client = client_as(bob)
    response = client.get(_url("web:attachment_thumb", complaint, photo))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    data = response.content
    with Image.open(io.BytesIO(data)) as thumb:
        # 400 × 200 turned upright is 200 × 400: 144 × 288 at most 288 on its longest side.
        assert thumb.size == (144, 288)
        assert not thumb.getexif()  # no orientation, no GPS position
    assert len(data) < 20_000
    stored = Path(settings.MEDIA_ROOT) / thumbnails.thumbnail_name(photo)
    assert stored.read_bytes() == data
    made_at = stored.stat().st_mtime_ns
    assert client.get(_url("web:attachment_thumb", complaint, photo)).content == data
    assert stored.stat().st_mtime_ns == made_at  # served from the cache, not made again
    assert not PersonalDataAccess.objects.exists()


def test_a_pdf_has_no_thumbnail(client_as, bob, evidence):
    complaint, _photo, pdf = evidence
    response = client_as(bob).get(_url("web:attachment_thumb", complaint, pdf))
    assert response.status_code == 404


@pytest.mark.parametrize("which", ["photo", "pdf"])
def test_a_file_opens_inline_sandboxed_and_the_look_is_recorded(
    client_as, bob, alice, sam, evidence, which
):
    complaint, photo, pdf = evidence
    attachment = photo if which == "photo" else pdf
    for user in (bob, alice, sam):
        response = client_as(user).get(_url("web:attachment_view", complaint, attachment))
        assert response.status_code == 200
        assert response["Content-Type"] == attachment.content_type
        assert response["Content-Disposition"].startswith("inline")
        assert response["X-Content-Type-Options"] == "nosniff"
        csp = response["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "sandbox" in csp
        assert "frame-ancestors 'self'" in csp
        assert response["X-Frame-Options"] == "SAMEORIGIN"  # the viewer frames a PDF
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content) == attachment.file.open("rb").read()
    looks = PersonalDataAccess.objects.filter(complaint=complaint).order_by("at", "id")
    assert [(row.user, row.purpose) for row in looks] == [
        (user, f"查看证据 {attachment.token}") for user in (bob, alice, sam)
    ]


def test_a_download_is_an_attachment_and_recorded_like_a_look(client_as, bob, evidence):
    complaint, _photo, pdf = evidence
    response = client_as(bob).get(_url("web:attachment", complaint, pdf))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "no-store" in response["Cache-Control"]
    look = PersonalDataAccess.objects.get(complaint=complaint)
    assert (look.user, look.purpose) == (bob, f"下载证据 {pdf.token}")


@pytest.mark.parametrize("route", ["web:attachment", "web:attachment_view", "web:attachment_thumb"])
def test_another_unit_a_partner_and_strangers_are_refused_and_nothing_changes(
    client_as, carol, pat, evidence, route, make_complaint, alice
):
    complaint, photo, _pdf = evidence
    url = _url(route, complaint, photo)
    cases = [(client_as(carol), 404), (client_as(pat), 403), (Client(), 302)]
    for client, status in cases:
        with nothing_changed():  # no audit row, no thumbnail file
            response = client.get(url)
        assert response.status_code == status, (client, response.status_code)
    # A token works only under its own ticket.
    other = make_complaint(tracking_no="SF5555666677")
    wrong = reverse(route, args=[other.ticket_no, photo.token])
    agent = client_as(alice)  # logging in sets last_login: before the snapshot
    with nothing_changed():
        assert agent.get(wrong).status_code == 404


def test_a_post_is_not_a_view(client_as, bob, evidence):
    complaint, photo, _pdf = evidence
    client = client_as(bob)
    with nothing_changed():
        response = client.post(_url("web:attachment_view", complaint, photo))
    assert response.status_code == 405
