"""REST API: a complaint's templates filled, picking one, macros; refusals change nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from complaints.models import Note
from playbook import services
from playbook.models import ReplyTemplate, TemplateEvent

from .conftest import GOOD_REPLY_TEMPLATE

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_it_lists_a_complaints_templates_filled(
    bob, make_complaint, reply_template, follow_up_script
):
    complaint = make_complaint(unit_code="A")
    url = f"/api/v1/complaints/{complaint.ticket_no}/templates/"

    answer = client_for(bob).get(url, {"kind": "reply"})

    assert answer.status_code == 200
    [template] = answer.json()
    assert template["title"] == reply_template.title and template["scope"] == "company"
    assert template["parts"]["basic_facts"]["text"].startswith(
        "经查，您于11月16日10:00反映的运单SF1234567890"
    )
    assert template["parts"]["result"]["unfilled"] == []
    assert not TemplateEvent.objects.filter(action="used").exists()  # listing is no use


def test_the_list_takes_the_same_queries_for_one_or_many_templates(
    sam, bob, make_complaint, reply_template, now
):
    from dataclasses import replace

    complaint = make_complaint(unit_code="A")
    url = f"/api/v1/complaints/{complaint.ticket_no}/templates/"
    client = client_for(bob)
    client.get(url)  # the first request fills the permission and reference-data caches
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(5):
        services.template_save(by=sam, data=replace(GOOD_REPLY_TEMPLATE, title=f"口径{n}"), now=now)
    with CaptureQueriesContext(connection) as six:
        assert len(client.get(url).json()) == 6
    assert len(six) == len(one)


def test_picking_a_template_records_the_use(bob, make_complaint, reply_template):
    complaint = make_complaint(unit_code="A")
    url = f"/api/v1/complaints/{complaint.ticket_no}/templates/{reply_template.pk}/use/"

    answer = client_for(bob).post(url)

    assert answer.status_code == 200
    assert answer.json()["parts"]["handling"]["text"].startswith(
        "网点甲投诉专员已电话联系测先生/女士"
    )
    assert ReplyTemplate.objects.get().use_count == 1


# (who, what is asked, status) — valid requests that must be refused, changing nothing.
REFUSALS = [
    ("carol", "templates/{t}/use/", 404),  # another unit's complaint is not there for carol
    ("nobody", "templates/{t}/use/", 403),  # not staff
    ("bob", "templates/999999/use/", 404),
    ("bob", "templates/abc/use/", 400),  # bad input: a clear message, not a 500
    ("bob", "templates/99999999999999999999/use/", 400),
    ("bob", "macros/{m}/apply/", 403),  # branch staff may not set priorities: nothing stays
    ("alice", "macros/0/apply/", 400),
]


@pytest.fixture
def macro(sam, reply_template, now):
    return services.macro_save(
        by=sam,
        data=services.MacroInput(
            title="加急", priority="urgent", priority_reason="客户情绪激动", note="请优先处理。"
        ),
        now=now,
    )


@pytest.mark.parametrize(("persona", "path", "status"), REFUSALS)
def test_refusals_change_nothing(
    request, make_complaint, reply_template, macro, persona, path, status
):
    complaint = make_complaint(unit_code="A")
    user = request.getfixturevalue(persona)
    url = f"/api/v1/complaints/{complaint.ticket_no}/" + path.format(
        t=reply_template.pk, m=macro.pk
    )

    answer = client_for(user).post(url)

    assert answer.status_code == status
    assert answer.json()["error"]["message"]  # the one error shape, in Chinese
    complaint.refresh_from_db()
    assert complaint.priority == "normal"
    assert not Note.objects.exists()
    assert not TemplateEvent.objects.filter(action__in=["used", "applied"]).exists()
    assert ReplyTemplate.objects.get().use_count == 0


def test_an_agent_runs_a_macro(alice, make_complaint, macro):
    complaint = make_complaint(unit_code="A")
    client = client_for(alice)
    listed = client.get(f"/api/v1/complaints/{complaint.ticket_no}/macros/").json()
    assert [m["title"] for m in listed] == ["加急"]

    answer = client.post(f"/api/v1/complaints/{complaint.ticket_no}/macros/{macro.pk}/apply/")

    assert answer.status_code == 200
    assert answer.json() | {"template": None} == {
        "ticket_no": complaint.ticket_no,
        "done": ["priority", "note"],
        "priority": "urgent",
        "category": "delay",
        "template": None,
    }


def test_an_unknown_kind_is_a_clear_400(bob, make_complaint):
    complaint = make_complaint(unit_code="A")
    answer = client_for(bob).get(f"/api/v1/complaints/{complaint.ticket_no}/templates/?kind=x")
    assert answer.status_code == 400


def test_a_branch_keeps_its_templates_over_the_api(bob, org):
    client = client_for(bob)
    body = {
        "kind": "contact",
        "title": "首次联系",
        "text": "网点专员于{受理时间}后电话联系{客户称呼}，说明正在核实运单{运单号}。",
    }
    refused = client.post("/api/v1/templates/", {**body, "unit": org["b"].pk}, format="json")
    assert refused.status_code == 403

    created = client.post("/api/v1/templates/", {**body, "unit": org["a"].pk}, format="json")
    assert created.status_code == 201
    template_id = created.json()["id"]
    evasive = client.post(
        f"/api/v1/templates/{template_id}/",
        {**body, "unit": org["a"].pk, "text": "这个我们没办法，请客户自己联系。"},
        format="json",
    )
    assert evasive.status_code == 400
    assert "推诿用语" in evasive.json()["error"]["fields"]["text"]
    off = client.post(f"/api/v1/templates/{template_id}/deactivate/")
    assert off.json()["is_active"] is False
    actions = TemplateEvent.objects.order_by("id").values_list("action", flat=True)
    assert list(actions) == ["created", "deactivated"]


# Bad input from a client is a clear 400 (or nothing found), never a 500.
def test_a_nul_character_is_refused_not_a_server_error(sam, make_complaint):
    complaint = make_complaint(unit_code="A")
    client = client_for(sam)
    assert (
        client.get(f"/api/v1/complaints/{complaint.ticket_no}/templates/?q=%00延误").status_code
        == 200
    )
    bad = {
        "kind": "contact",
        "title": "首次\x00联系",
        "text": "已电话联系客户说明情况。",
        "unit": 10**12,
    }
    answer = client.post("/api/v1/templates/", bad, format="json")
    assert answer.status_code == 400
    assert not ReplyTemplate.objects.exists()


def test_a_macro_changes_the_category_over_the_api(alice, sam, make_complaint, now):
    # Issue 20 §1: the category moves (audited as its own action), then the macro's other parts.
    macro = services.macro_save(
        by=sam,
        data=services.MacroInput(title="改为丢失", category="loss", category_reason="客户确认丢失"),
        now=now,
    )
    complaint = make_complaint(unit_code="A")

    answer = client_for(alice).post(
        f"/api/v1/complaints/{complaint.ticket_no}/macros/{macro.pk}/apply/"
    )

    assert answer.status_code == 200, answer.json()
    assert answer.json()["done"] == ["category"]
    assert answer.json()["category"] == "loss"
    assert complaint.transitions.get(transition="set_category").reason == "客户确认丢失"
