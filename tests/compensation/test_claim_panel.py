"""The claim panel's htmx views, driven with Django's test client."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import Client

from compensation import services
from compensation.models import Claim, ClaimStatus
from tests.compensation.conftest import loss_facts
from tests.unchanged import nothing_changed

FORM = {
    "service": "postal_registered",
    "incident": "loss",
    "freight": "20.00",
    "actual_loss": "500",
    "insured": "false",
    "limit_clause_shown": ["false", "true"],  # hidden "false", then the ticked checkbox
    "value_evidence": ["false", "true"],
    "policy": "insured_amount_3x",
}


@pytest.fixture
def web():
    def client(user) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return client


def url(complaint, tail: str) -> str:
    return f"/compensation/complaints/{complaint.ticket_no}/claims/{tail}"


def test_it_includes_with_only_the_complaint_and_loads_itself(complaint_at_a):
    html = Template(
        '{% include "compensation/claim_panel.html" with complaint=complaint %}'
    ).render(Context({"complaint": complaint_at_a}))
    assert f'id="claim-panel-{complaint_at_a.pk}"' in html
    assert f'hx-get="/compensation/complaints/{complaint_at_a.ticket_no}/claims/panel/"' in html
    assert 'hx-trigger="load"' in html


def test_it_shows_the_proposal_form_prefilled_from_the_complaint(web, complaint_at_a, bob):
    response = web(bob).get(url(complaint_at_a, "panel/"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "提出赔偿申请" in html
    assert 'value="20.00"' in html  # the complaint's freight
    assert '<option value="loss" selected>' in html  # from the category
    assert 'hx-post="/compensation/complaints/' in html and "claims/quote/" in html
    # The live quote sits inside the proposal form: without its own target it would inherit
    # the form's (the whole panel) and replace the form while the user types.
    assert 'class="claim-live-quote" aria-live="polite" hx-target="this"' in html
    assert "暂无赔偿申请" in html


def test_it_quotes_live_as_the_facts_are_typed(web, complaint_at_a, bob):
    response = web(bob).post(url(complaint_at_a, "quote/"), FORM)
    html = response.content.decode()
    assert response.status_code == 200
    assert "¥60.00" in html and "邮政法第四十七条" in html
    incomplete = web(bob).post(url(complaint_at_a, "quote/"), {**FORM, "freight": "-1"})
    assert "金额不能为负数" in incomplete.content.decode()
    assert not Claim.objects.exists()


def test_it_proposes_and_shows_only_the_allowed_buttons(web, complaint_at_a, bob, alice, sam):
    response = web(bob).post(url(complaint_at_a, "propose/"), FORM)
    assert response.status_code == 200
    html = response.content.decode()
    assert "已提交赔偿申请" in html and "¥60.00" in html
    claim = Claim.objects.get()
    assert claim.limit_clause_shown is True and claim.value_evidence is True
    assert "claim-approve" not in html and "claim-pay" not in html  # branch staff
    assert "提出赔偿申请" not in html  # one claim in progress

    agent_view = web(alice).get(url(complaint_at_a, "panel/")).content.decode()
    assert "claim-approve" in agent_view and "claim-reject" in agent_view
    assert "claim-pay" not in agent_view


def test_it_hides_approval_above_the_threshold_from_agents(web, complaint_at_a, alice, sam):
    form = {**FORM, "override_amount": "900", "override_reason": "按发票金额"}
    web(alice).post(url(complaint_at_a, "propose/"), form)
    assert Claim.objects.get().amount == 900
    assert "claim-approve" not in web(alice).get(url(complaint_at_a, "panel/")).content.decode()
    assert "claim-approve" in web(sam).get(url(complaint_at_a, "panel/")).content.decode()


def test_it_shows_form_errors_in_place_and_stores_nothing(web, complaint_at_a, bob):
    form = {**FORM, "override_amount": "100", "incident": "partial_damage", "full_value": "10"}
    response = web(bob).post(url(complaint_at_a, "propose/"), form)
    html = response.content.decode()
    assert response.status_code == 200
    assert "调整赔偿金额必须填写理由" in html
    assert 'value="100"' in html  # what was typed is kept
    assert not Claim.objects.exists()


def test_it_walks_approve_and_pay_from_the_panel(web, complaint_at_a, alice, bob, sam, now):
    claim = services.claim_propose(complaint=complaint_at_a, by=bob, facts=loss_facts())
    html = web(sam).post(url(complaint_at_a, f"{claim.pk}/approve/"), {"note": "同意"}).content
    assert "已批准赔偿申请" in html.decode()
    html = (
        web(alice)
        .post(
            url(complaint_at_a, f"{claim.pk}/pay/"),
            {"payment_reference": "", "paid_on": "2026-13-01"},
        )
        .content.decode()
    )
    assert "赔付日期" in html
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    today = services.timezone.localdate().isoformat()
    html = (
        web(alice)
        .post(
            url(complaint_at_a, f"{claim.pk}/pay/"), {"payment_reference": "WX-1", "paid_on": today}
        )
        .content.decode()
    )
    assert "已登记赔偿申请" in html and "WX-1" in html
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID


def test_it_shows_a_refusal_inside_the_panel(web, complaint_at_a, alice, bob):
    claim = services.claim_propose(complaint=complaint_at_a, by=alice, facts=loss_facts())
    response = web(bob).post(url(complaint_at_a, f"{claim.pk}/approve/"), {})
    assert response.status_code == 200
    assert "您没有权限审批赔偿申请" in response.content.decode()
    reject = web(alice).post(url(complaint_at_a, f"{claim.pk}/reject/"), {"reason": ""})
    assert "请填写驳回原因" in reject.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PROPOSED


def test_it_answers_another_units_complaint_with_404(web, complaint_at_a, carol, alice):
    claim = services.claim_propose(complaint=complaint_at_a, by=alice, facts=loss_facts())
    client = web(carol)
    with nothing_changed():
        assert client.get(url(complaint_at_a, "panel/")).status_code == 404
        assert client.post(url(complaint_at_a, "quote/"), FORM).status_code == 404
        assert client.post(url(complaint_at_a, "propose/"), FORM).status_code == 404
        assert client.post(url(complaint_at_a, f"{claim.pk}/approve/"), {}).status_code == 404
    assert Claim.objects.get().status == ClaimStatus.PROPOSED


def test_it_answers_unknown_paths_with_404(web, complaint_at_a, alice):
    client = web(alice)
    assert client.post(url(complaint_at_a, "1/explode/"), {}).status_code == 404
    assert (
        client.post(url(complaint_at_a, "99999999999999999999999/approve/"), {}).status_code == 404
    )
    assert client.get("/compensation/complaints/TS%00/claims/panel/").status_code == 404


def test_it_sends_anonymous_users_to_log_in(complaint_at_a):
    response = Client().get(url(complaint_at_a, "panel/"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_refuses_people_without_a_claim_role(web, complaint_at_a, pat):
    response = web(pat).get(url(complaint_at_a, "panel/"))
    assert response.status_code == 403


def test_it_answers_403_to_staff_who_see_tickets_but_not_claims(web, complaint_at_a, alice):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from complaints.models import Role, StaffProfile

    viewer = get_user_model().objects.create_user(username="vera", password="pw-for-tests-only")
    StaffProfile.objects.create(user=viewer, role=Role.AGENT)
    viewer.groups.clear()
    viewer.user_permissions.add(Permission.objects.get(codename="view_complaint"))
    claim = services.claim_propose(complaint=complaint_at_a, by=alice, facts=loss_facts())
    client = web(viewer)
    with nothing_changed():
        assert client.get(url(complaint_at_a, "panel/")).status_code == 403
        assert client.post(url(complaint_at_a, "quote/"), FORM).status_code == 403
        assert client.post(url(complaint_at_a, "propose/"), FORM).status_code == 403
        assert client.post(url(complaint_at_a, f"{claim.pk}/approve/"), {}).status_code == 403
    assert Claim.objects.count() == 1


def test_it_renders_the_panel_in_constant_queries(
    web, complaint_at_a, sam, now, django_assert_max_num_queries
):
    for _ in range(4):
        claim = services.claim_propose(
            complaint=complaint_at_a, by=sam, facts=loss_facts(), now=now
        )
        services.claim_reject(claim=claim, by=sam, reason="重复申请", now=now)
    client = web(sam)
    client.get(url(complaint_at_a, "panel/"))
    # + 2 for the approval limits: the complaint's approved total, the user's approvals today.
    with django_assert_max_num_queries(14):
        response = client.get(url(complaint_at_a, "panel/"))
    assert response.content.decode().count('class="claim border') == 4
