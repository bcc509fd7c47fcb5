"""Evidence storage failing mid-write, and the outbox's send lease."""

from __future__ import annotations

import errno
import io
import os
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from PIL import Image

from complaints.models import Complaint
from kernel.models import Channel, Notification
from kernel.outbox.delivery import _claim

from .conftest import SUBMISSION

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _files(folder) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(folder) for f in files]


def test_it_refuses_evidence_with_503_and_leaves_no_partial_file_when_the_disk_fills(
    api, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = str(tmp_path)
    created = api.post("/api/v1/complaints/", SUBMISSION, format="json").json()
    complaint = Complaint.objects.get(ticket_no=created["ticket_no"])
    audit_rows = complaint.transitions.count()

    def disk_full(self, name, content):
        # What FileSystemStorage does on a full disk: the file exists, half written.
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content.read()[:100])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", disk_full)
    upload = io.BytesIO(_png())
    upload.name = "photo.png"
    response = api.post(
        f"/api/v1/complaints/{created['ticket_no']}/evidence/",
        {"file": upload},
        format="multipart",
        HTTP_X_ACCESS_CODE=created["access_code"],
    )
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["error"]["code"] == "unavailable"
    assert "投诉本身不受影响" in response.json()["error"]["message"]
    complaint.refresh_from_db()
    assert complaint.attachments.count() == 0
    assert complaint.transitions.count() == audit_rows
    assert _files(tmp_path) == []


def test_it_takes_a_dead_workers_message_back_after_the_configured_lease(settings, alice):
    settings.OUTBOX = {**settings.OUTBOX, "SEND_LEASE_SECONDS": 20}
    now = timezone.now()
    message = Notification.objects.create(
        topic="test:lease",
        template="staff_assigned",
        channel=Channel.IN_APP,
        recipient_key=f"user:{alice.pk}",
        user=alice,
        next_attempt_at=now,
        created_at=now,
    )
    assert _claim(message.pk, now) == 1
    message.refresh_from_db()
    assert message.locked_until == now + timedelta(seconds=20)
    assert _claim(message.pk, now + timedelta(seconds=19)) == 0  # still leased
    assert _claim(message.pk, now + timedelta(seconds=21)) == 1  # its worker died: retry
