"""Stored XSS: script and event-handler payloads in everything people type render as text on
every page, in a real headless Chromium. The test fails if any dialog opens, if any payload's
code runs (each sets window.__xss before alerting), or if a payload became an element.

Payloads go in through the real services: the customer's name and complaint text, dispatch and
contact notes, internal notes, the branch's reply, the customer's chase note, the evidence file
name, claim notes (override reason, rejection), and a 12305 appeal's facts and request.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from compensation import services as claims
from compensation.amounts import ClaimFacts, Incident, Service
from complaints import attachments, services
from complaints.models import Complaint
from regulators import services as appeals
from regulators.models import Appeal
from tests.conftest import GOOD_REPLY, new_complaint
from tests.security.world import PNG_1PX

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


NAME = "<img src=x onerror=window.__xss=1;alert(1)>"  # ≤ 50 characters, like a name
SCRIPT = "<script>window.__xss=2;alert(2)</script>"
SVG = '"><svg onload="window.__xss=3;alert(3)">'
QUOTES = "';window.__xss=4;alert(4);//\"\\u003c"
LINK = '<a id="xss-link" href="javascript:window.__xss=5;alert(5)">点我</a>'
HTMX = '<div id="xss-htmx" hx-get="/admin/" hx-trigger="load" hx-target="body">htmx</div>'
TEMPLATE = "{{ request.user.password }}{% debug %}"
ALL = f"{SCRIPT} {SVG} {QUOTES} {LINK} {HTMX} {TEMPLATE} {NAME}"

# Elements a payload would create if it were rendered as markup.
INJECTED = "img[src='x'], svg[onload], #xss-link, #xss-htmx, [onerror], [onload]"


def _plant(org, alice, bob, sam, now) -> Complaint:
    complaint, _code = services.complaint_create(
        data=new_complaint(
            tracking_no="SFXSS0001",
            complainant_name=NAME,
            description=f"快件破损。{ALL}",
            category="damage",
            service="express",
            freight="12.00",
        ),
        by=alice,
        now=now,
    )
    complaint = services.complaint_dispatch(
        complaint=complaint, unit=org["a"], by=alice, reason=f"下发 {ALL}"[:200], now=now
    )
    services.complaint_log_contact(
        complaint=complaint, by=bob, method="phone", summary=f"已联系 {ALL}", now=now
    )
    services.complaint_add_note(complaint=complaint, by=alice, text=f"内部 {ALL}", now=now)
    services.complaint_chase(complaint=complaint, by=services.CUSTOMER, note=SCRIPT, now=now)
    attachments.attachment_add(
        complaint=complaint,
        by=services.CUSTOMER,
        upload=SimpleUploadedFile(f"{NAME}.png", PNG_1PX),
        now=now,
    )
    facts = ClaimFacts(
        service=Service.EXPRESS,
        incident=Incident.PARTIAL_DAMAGE,
        insured=False,
        freight=Decimal("12.00"),
        actual_loss=Decimal("80.00"),
        limit_clause_shown=True,
    )
    rejected = claims.claim_propose(
        complaint=complaint,
        by=bob,
        facts=facts,
        override=claims.Override(amount=Decimal("50.00"), reason=f"发票 {ALL}"[:200]),
        note=f"备注 {ALL}"[:200],
        now=now,
    )
    claims.claim_reject(claim=rejected, by=sam, reason=f"驳回 {ALL}"[:200], now=now)
    claims.claim_propose(complaint=complaint, by=bob, facts=facts, note=SVG, now=now)
    services.complaint_reply(
        complaint=Complaint.objects.get(pk=complaint.pk),
        by=bob,
        reply=services.ReplyInput(
            basic_facts=f"{GOOD_REPLY.basic_facts}{SCRIPT}",
            handling=f"{GOOD_REPLY.handling}{SVG}",
            result=f"{GOOD_REPLY.result}{LINK}",
            customer_accepts=True,
            facts_confirmed=True,
            our_fault=True,
        ),
        now=now,
    )
    appeals.appeal_register(
        data=appeals.NewAppeal(
            case_no="SGXSS0001",
            received_at=now,
            province="GD",
            appellant_name=NAME,
            appellant_phone="13800000000",
            facts=f"申诉 {ALL}",
            request=f"要求 {SCRIPT}",
            ticket_no=complaint.ticket_no,
        ),
        by=sam,
        now=now,
    )
    return Complaint.objects.get(pk=complaint.pk)


def _check(page, url: str, dialogs: list[str]) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    problems = []
    if dialogs:
        problems.append(f"{url}: dialog {dialogs[:3]}")
        dialogs.clear()
    ran = page.evaluate("() => window.__xss")
    if ran is not None:
        problems.append(f"{url}: payload {ran} ran")
    injected = page.locator(INJECTED).count()
    if injected:
        problems.append(f"{url}: {injected} injected element(s)")
    return problems


def test_it_renders_every_payload_inert_on_every_page(
    browser, open_as, live_server, org, alice, bob, sam, now
):
    sam.is_staff = sam.is_superuser = True  # to see the admin pages too
    sam.save()
    complaint = _plant(org, alice, bob, sam, now)
    ticket = complaint.ticket_no
    appeal = Appeal.objects.get()
    claim_id = complaint.claims.order_by("pk").first().pk
    base = live_server.url

    problems: list[str] = []
    for user, paths in (
        (
            sam,
            [
                "/queue/",
                "/console/",
                f"/tickets/{ticket}/",
                f"/search/?q={ticket}",
                "/search/?q=SFXSS0001",
                f"/search/?q={SCRIPT}",
                "/console/earlier/?tracking_no=SFXSS0001",
                "/regulators/appeals/",
                f"/admin/complaints/complaint/{complaint.pk}/change/",
                "/admin/complaints/complaint/",
                "/admin/complaints/complainttransition/",
                f"/admin/regulators/appeal/{appeal.pk}/change/",
                "/admin/regulators/appealevent/",
                f"/admin/compensation/claim/{claim_id}/change/",
            ],
        ),
        (
            bob,
            ["/queue/", f"/tickets/{ticket}/", f"/compensation/complaints/{ticket}/claims/panel/"],
        ),
        (alice, ["/console/", f"/tickets/{ticket}/"]),
    ):
        page = open_as(user)
        dialogs: list[str] = []
        page.on("dialog", lambda d, seen=dialogs: (seen.append(d.message), d.dismiss()))
        for path in paths:
            problems += _check(page, base + path, dialogs)
        if user in (sam, bob):
            # The full name shown after "reveal" is a payload too.
            page.goto(f"{base}/tickets/{ticket}/")
            page.wait_for_load_state("networkidle")
            if not page.locator("#reveal-btn").count():
                problems.append(f"ticket page as {user.username}: reveal button gone")
                continue
            page.locator("#reveal-btn").click()
            expect(page.locator("#personal-data")).to_contain_text(NAME)
            page.wait_for_load_state("networkidle")
            if page.evaluate("() => window.__xss") is not None or dialogs:
                problems.append(f"reveal as {user.username}: payload ran")
            if page.locator(INJECTED).count():
                problems.append(f"reveal as {user.username}: injected element")
    assert problems == []


def test_it_shows_the_payload_as_text(open_as, live_server, org, alice, bob, sam, now):
    """The payloads are there, visibly, as the characters people typed."""
    complaint = _plant(org, alice, bob, sam, now)
    page = open_as(sam)
    page.goto(f"{live_server.url}/tickets/{complaint.ticket_no}/")
    page.wait_for_load_state("networkidle")
    text = page.locator("body").inner_text()
    assert SCRIPT in text
    assert page.locator("text=window.__xss=2").count() >= 1
