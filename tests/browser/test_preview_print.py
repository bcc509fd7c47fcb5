"""Evidence preview and the print view in a real Chromium (issue 20 §5).

At 1366 px: the timeline's thumbnails open the viewer, → goes to the next file (a PDF shown by
Chromium's own viewer inside the sandboxed frame), ← back, Esc closes; every file looked at is
recorded. On a 390 px phone the branch clerk taps a photo and sees it whole. The print view,
emulated as print media, hides its buttons and prints on A4 (Chromium's own PDF of it checked
with pypdf).
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from complaints import attachments
from complaints.models import PersonalDataAccess
from tests import evidence_files
from tests.complaints.helpers import bring_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

A4 = (595, 842)  # points


def _photo(colour: str, size=(1600, 1200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def ticket(settings, tmp_path, make_complaint, alice, bob, org, now):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    complaint = bring_to(
        "verifying", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    files = [
        ("外箱破损.jpg", _photo("saddlebrown")),
        ("面单.jpg", _photo("navy", (900, 1600))),
        ("购物发票.pdf", evidence_files.pdf()),
    ]
    for name, data in files:
        attachments.attachment_add(
            complaint=complaint, by="customer", upload=SimpleUploadedFile(name, data)
        )
    return complaint


def _loaded(locator) -> bool:
    return locator.evaluate("img => img.complete && img.naturalWidth > 0")


def test_thumbnails_open_the_viewer_next_previous_and_escape(
    open_as, alice, ticket, live_server, screenshot
):
    page = open_as(alice)
    page.goto(f"{live_server.url}/tickets/{ticket.ticket_no}/")
    thumbs = page.locator("#timeline img.evidence-thumb")
    expect(thumbs).to_have_count(2)
    for i in range(2):
        thumbs.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=thumbs.nth(i).element_handle()
        )
        # Server-side thumbnails: 288 px at most, not the 1600 px original.
        assert max(thumbs.nth(i).evaluate("i => [i.naturalWidth, i.naturalHeight]")) == 288
    assert not PersonalDataAccess.objects.exists()  # thumbnails are not recorded

    viewer = page.locator("#evidence-viewer")
    thumbs.first.click()
    expect(viewer).to_be_visible()
    expect(page.locator("#evidence-viewer-count")).to_have_text("1 / 3")
    expect(page.locator("#evidence-viewer-title")).to_have_text("外箱破损.jpg")
    shown = page.locator("#evidence-viewer-stage img")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=shown.element_handle()
    )
    assert shown.evaluate("i => i.naturalWidth") == 1600  # the original in the viewer
    assert "/view/?look=" in shown.get_attribute("src")
    screenshot(page, "evidence-viewer-1366")

    page.keyboard.press("ArrowRight")
    expect(page.locator("#evidence-viewer-count")).to_have_text("2 / 3")
    expect(page.locator("#evidence-viewer-title")).to_have_text("面单.jpg")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#evidence-viewer-count")).to_have_text("3 / 3")
    frame = page.locator("#evidence-viewer-stage iframe")
    expect(frame).to_have_attribute("title", "购物发票.pdf")
    expect(page.locator("#evidence-next")).to_be_disabled()
    # Chromium shows the PDF with its own viewer inside the sandboxed frame (not a download).
    for _ in range(50):
        if any(f.url.startswith("chrome-extension://") for f in page.frames):
            break
        page.wait_for_timeout(100)
    assert any(f.url.startswith("chrome-extension://") for f in page.frames), [
        f.url for f in page.frames
    ]
    screenshot(page, "evidence-viewer-pdf-1366")

    page.locator("#evidence-prev").click()  # the PDF viewer holds the keyboard: the button
    expect(page.locator("#evidence-viewer-count")).to_have_text("2 / 3")
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(page.locator("#evidence-viewer-stage *")).to_have_count(0)

    looks = list(
        PersonalDataAccess.objects.filter(complaint=ticket, user=alice).values_list(
            "purpose", flat=True
        )
    )
    tokens = list(ticket.attachments.order_by("uploaded_at", "id").values_list("token", flat=True))
    for token in tokens:
        assert f"查看证据 {token}" in looks
    assert looks.count(f"查看证据 {tokens[1]}") == 2  # seen twice: recorded twice


def test_a_branch_clerk_opens_a_photo_on_a_phone(open_as, bob, ticket, live_server, screenshot):
    page = open_as(bob, phone=True)
    page.goto(f"{live_server.url}/tickets/{ticket.ticket_no}/")
    thumb = page.locator("#timeline img.evidence-thumb").first
    thumb.scroll_into_view_if_needed()
    thumb.tap()
    viewer = page.locator("#evidence-viewer")
    expect(viewer).to_be_visible()
    shown = page.locator("#evidence-viewer-stage img")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=shown.element_handle()
    )
    box = shown.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, box  # whole, no sideways scroll
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "evidence-viewer-390")
    page.locator("#evidence-viewer .btn-close").tap()
    expect(viewer).to_be_hidden()
    assert PersonalDataAccess.objects.filter(complaint=ticket, user=bob).count() == 1


def test_the_print_view_prints_on_a4_without_its_buttons(
    open_as, sam, ticket, live_server, screenshot, tmp_path
):
    page = open_as(sam)
    page.goto(f"{live_server.url}/tickets/{ticket.ticket_no}/")
    with page.context.expect_page() as opened:
        page.locator("#print-link").click()
    printing = opened.value
    printing.wait_for_load_state()
    expect(printing.locator("#print-btn")).to_be_visible()
    expect(printing.locator("#print-ticket-no")).to_have_text(ticket.ticket_no)
    printing.emulate_media(media="print")
    expect(printing.locator("#print-btn")).to_be_hidden()
    expect(printing.locator("#reveal-btn")).to_be_hidden()
    expect(printing.locator("#print-evidence")).to_contain_text("购物发票.pdf")
    screenshot(printing, "print-view-print-media")
    printing.screenshot(path=str(tmp_path / "print-full.png"), full_page=True)
    pdf = PdfReader(io.BytesIO(printing.pdf(prefer_css_page_size=True)))
    sizes = {(round(p.mediabox.width), round(p.mediabox.height)) for p in pdf.pages}
    assert sizes == {A4}, sizes
    text = "".join(p.extract_text() for p in pdf.pages)
    assert ticket.ticket_no in text and "处理记录" in text
    assert (
        PersonalDataAccess.objects.filter(complaint=ticket, user=sam, purpose="打印").count() == 1
    )
