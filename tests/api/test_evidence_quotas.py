"""Evidence quotas: per complaint, per client address per day, and for the site (issue 19 §4).

One address could store about 1.2 GB a minute. Now: a complaint holds at most N files and
M bytes (413); a customer's address uploads at most so much a day (429 until the next day,
Asia/Shanghai, with Retry-After); the whole site has a daily budget (429), and the upload that
passes 80 % of it tells every supervisor once. Over a quota nothing is written: no row, no
audit, no file, and no count used up.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints.models import Attachment, EvidenceUsage
from kernel.models import Notification
from tests import evidence_files
from tests.unchanged import nothing_changed

from .conftest import token_client

URL = "/api/v1/complaints/{}/evidence/"
PNG = evidence_files.image("PNG")  # a few dozen bytes
NOON = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai: 12 h to the next day


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def limits(settings, db):
    def set_limits(**values):
        settings.EVIDENCE = {**settings.EVIDENCE, **values}

    return set_limits


def send(client, ticket, data=PNG, *, address="203.0.113.7", name="photo.png"):
    ticket_no, code = ticket
    return client.post(
        URL.format(ticket_no),
        {"file": SimpleUploadedFile(name, data, content_type="image/png")},
        format="multipart",
        HTTP_X_ACCESS_CODE=code,
        REMOTE_ADDR=address,
    )


def refused_without_a_trace(client, ticket, data=PNG, **kwargs):
    with nothing_changed():
        response = send(client, ticket, data, **kwargs)
    return response


@time_machine.travel(NOON, tick=False)
def test_a_complaint_holds_at_most_n_files(api, submit, limits):
    limits(MAX_FILES_PER_COMPLAINT=3)
    ticket = submit()
    for _ in range(3):
        assert send(api, ticket).status_code == 201
    response = refused_without_a_trace(api, ticket)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert error["message"].startswith("每宗投诉最多上传3个证据文件")


@time_machine.travel(NOON, tick=False)
def test_a_complaint_holds_at_most_m_bytes(api, submit, limits):
    pdf = evidence_files.pdf()
    limits(MAX_BYTES_PER_COMPLAINT=2 * len(pdf) + 10)
    ticket = submit()
    assert send(api, ticket, pdf, name="a.pdf").status_code == 201
    assert send(api, ticket, pdf, name="b.pdf").status_code == 201
    response = refused_without_a_trace(api, ticket, pdf, name="c.pdf")
    assert response.status_code == 413
    assert response.json()["error"]["fields"]["file"]


@time_machine.travel(NOON, tick=False)
def test_an_address_uploads_at_most_so_much_a_day(api, submit, limits):
    limits(ADDRESS_DAILY_FILES=2)
    first, second = submit(tracking_no="SF0000000001"), submit(tracking_no="SF0000000002")
    assert send(api, first).status_code == 201
    assert send(api, second).status_code == 201
    response = refused_without_a_trace(api, second)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "quota_exceeded"
    assert "明天" in response.json()["error"]["message"]
    assert response["Retry-After"] == str(12 * 3600)
    # Another address is not held back by this one.
    assert send(api, second, address="198.51.100.8").status_code == 201


def test_the_address_quota_counts_bytes_and_starts_again_the_next_day(api, submit, limits):
    pdf = evidence_files.pdf()
    limits(ADDRESS_DAILY_BYTES=len(pdf) + len(PNG))
    ticket = submit()
    with time_machine.travel(NOON, tick=False):
        assert send(api, ticket, pdf, name="a.pdf").status_code == 201
        assert send(api, ticket).status_code == 201
        assert send(api, ticket).status_code == 429
    with time_machine.travel(datetime(2026, 11, 16, 16, 0, tzinfo=UTC), tick=False):  # 00:00
        assert send(api, ticket).status_code == 201


@time_machine.travel(NOON, tick=False)
def test_staff_and_partners_are_not_held_by_the_address_quota(submit, limits, sam):
    limits(ADDRESS_DAILY_FILES=1)
    ticket = submit()
    staff = token_client(sam)
    for _ in range(3):
        response = staff.post(
            URL.format(ticket[0]),
            {"file": SimpleUploadedFile("p.png", PNG)},
            format="multipart",
            REMOTE_ADDR="203.0.113.7",
        )
        assert response.status_code == 201, response.content


@time_machine.travel(NOON, tick=False)
def test_the_site_has_a_daily_budget_and_warns_supervisors_at_80_percent(
    api, submit, limits, sam, org
):
    limits(DAILY_BYTES=5 * len(PNG), ALERT_SHARE=0.8)
    ticket = submit()
    for n in range(3):
        assert send(api, ticket, address=f"203.0.113.{n}").status_code == 201
    assert not Notification.objects.filter(template="staff_evidence_budget").exists()
    assert send(api, ticket, address="203.0.113.3").status_code == 201  # 4 of 5: 80 %
    alerts = Notification.objects.filter(template="staff_evidence_budget")
    assert [(a.user_id, a.channel) for a in alerts] == [(sam.pk, "in_app")]
    assert alerts.get().topic == "evidence-budget:2026-11-16"
    assert send(api, ticket, address="203.0.113.4").status_code == 201  # 5 of 5
    assert alerts.count() == 1  # once a day

    response = refused_without_a_trace(api, ticket, address="203.0.113.5")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "quota_exceeded"
    assert "总量" in response.json()["error"]["message"]
    site = EvidenceUsage.objects.get(scope="site")
    assert (site.files, site.total_bytes) == (5, 5 * len(PNG))
    assert Attachment.objects.count() == 5


@time_machine.travel(NOON, tick=False)
def test_it_stores_addresses_only_as_keyed_hashes(api, submit, db):
    send(api, submit(), address="203.0.113.77")
    keys = list(EvidenceUsage.objects.filter(scope="address").values_list("key", flat=True))
    assert len(keys) == 1 and "203.0.113.77" not in keys[0] and len(keys[0]) == 64
