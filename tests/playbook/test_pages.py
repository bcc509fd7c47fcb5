"""The unit's template page, the macro bar and the admin: the same checks, owners and audit."""

from __future__ import annotations

import pytest
from django.test import Client

from playbook.models import Macro, ReplyTemplate, TemplateEvent

pytestmark = pytest.mark.django_db

GOOD = {
    "kind": "reply",
    "title": "本网点延误口径",
    "category": "delay",
    "basic_facts": "经查，运单{运单号}于{受理时间}滞留本网点，原因是中转延误。",
    "handling": "网点专员已电话联系{客户称呼}，说明原因并致歉，安排专人派送。",
    "result": "快件已安排派送，客户表示认可。",
    "text": "",
}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_branch_without_a_head_keeps_its_own_templates(bob, org):
    client = logged_in(bob)
    assert client.get("/playbook/templates/").status_code == 200

    answer = client.post("/playbook/templates/", GOOD)

    assert answer.status_code == 302
    template = ReplyTemplate.objects.get()
    assert (template.unit, template.created_by) == (org["a"], bob)


def test_an_evasive_template_is_refused_on_the_page_and_nothing_is_stored(bob):
    answer = logged_in(bob).post(
        "/playbook/templates/", {**GOOD, "handling": "此事不归我管，请客户自行联系发件人。"}
    )

    assert answer.status_code == 400
    assert "推诿用语" in answer.content.decode()
    assert not ReplyTemplate.objects.exists() and not TemplateEvent.objects.exists()


def test_an_agent_cannot_keep_templates(alice):
    assert logged_in(alice).get("/playbook/templates/").status_code == 403
    assert logged_in(alice).post("/playbook/templates/", GOOD).status_code == 403
    assert not ReplyTemplate.objects.exists()


def test_the_macro_bar_lists_the_macros_and_a_refused_run_says_why(bob, sam, make_complaint):
    from playbook import services

    macro = services.macro_save(
        by=sam,
        data=services.MacroInput(title="加急", priority="urgent", priority_reason="客户情绪激动"),
    )
    complaint = make_complaint(unit_code="A")
    client = logged_in(bob)
    bar = client.get(f"/playbook/tickets/{complaint.ticket_no}/macros/")
    assert "加急" in bar.content.decode()

    answer = client.post(
        f"/playbook/tickets/{complaint.ticket_no}/macros/{macro.pk}/run/", follow=True
    )

    assert "您没有权限执行此操作" in answer.content.decode()
    complaint.refresh_from_db()
    assert complaint.priority == "normal"


@pytest.fixture
def sam_admin(sam):
    sam.is_staff = True
    sam.save()
    return logged_in(sam)


def test_the_admin_saves_through_the_checks_and_audits(sam_admin):
    url = "/admin/playbook/replytemplate/add/"
    refused = sam_admin.post(url, {**GOOD, "basic_facts": "我局正常发出。", "unit": ""})
    assert refused.status_code == 200 and "模糊答复" in refused.content.decode()
    assert not ReplyTemplate.objects.exists()

    saved = sam_admin.post(url, {**GOOD, "unit": ""})
    assert saved.status_code == 302
    template = ReplyTemplate.objects.get()
    assert template.unit is None
    assert list(template.events.values_list("action", flat=True)) == ["created"]
    listing = sam_admin.get("/admin/playbook/replytemplate/")
    assert GOOD["title"] in listing.content.decode()
    assert sam_admin.get("/admin/playbook/templateevent/").status_code == 200


def test_the_admin_saves_a_macro_through_the_service(sam_admin):
    answer = sam_admin.post(
        "/admin/playbook/macro/add/",
        {"title": "加急", "unit": "", "priority": "urgent", "priority_reason": "", "note": ""},
    )
    assert answer.status_code == 200 and "调整原因" in answer.content.decode()
    assert not Macro.objects.exists()
