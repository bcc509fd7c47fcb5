"""Admin: supervisors copy presets and edit the copy; claims are read-only with their trail."""

from __future__ import annotations

import pytest
from django.test import Client

from compensation import services
from compensation.carrier_policies import PRESETS
from compensation.models import CompensationPolicy
from tests.compensation.conftest import loss_facts

ADMIN = "/admin/compensation/compensationpolicy/"


@pytest.fixture
def sam_admin(sam):
    sam.is_staff = True
    sam.save()
    client = Client()
    client.force_login(sam)
    return client


def test_it_seeds_every_preset_with_one_company_default(db):
    rows = {p.code: p for p in CompensationPolicy.objects.all()}
    assert set(PRESETS) <= set(rows)
    assert [p.code for p in CompensationPolicy.objects.filter(is_default=True)] == [
        "insured_amount_3x"
    ]
    for code, preset in PRESETS.items():
        assert rows[code].to_policy() == preset  # the row is the preset, value for value


def test_it_copies_a_preset_for_editing(sam_admin):
    preset = CompensationPolicy.objects.get(code="proven_value_5x")
    response = sam_admin.post(
        ADMIN, {"action": "copy_policies", "_selected_action": [preset.pk]}, follow=True
    )
    assert response.status_code == 200
    copy = CompensationPolicy.objects.get(code="proven_value_5x-copy")
    assert copy.based_on == "proven_value_5x" and not copy.is_default
    assert copy.to_policy().uninsured_cap_multiple == 5

    edit = sam_admin.post(
        f"{ADMIN}{copy.pk}/change/",
        {
            "name": "本公司快件规则",
            "notes": "",
            "is_active": "on",
            "insured_payout": "proven_value_capped",
            "partial_damage": "actual_loss_capped",
            "uninsured_cap_multiple": "4",
            "deemed_lost_after_days": "10",
            "review_cap_cut_share": "0.40",
        },
    )
    assert edit.status_code == 302, edit.content.decode()[:2000]
    copy.refresh_from_db()
    assert (copy.name, copy.uninsured_cap_multiple, copy.deemed_lost_after_days) == (
        "本公司快件规则",
        4,
        10,
    )


def test_it_refuses_an_inconsistent_policy(sam_admin):
    policy = CompensationPolicy.objects.get(code="proven_value_3x")
    response = sam_admin.post(
        f"{ADMIN}{policy.pk}/change/",
        {
            "name": policy.name,
            "is_active": "on",
            "insured_payout": policy.insured_payout,
            "partial_damage": policy.partial_damage,
            "uninsured_cap_multiple": "0",
            "deemed_lost_after_days": "7",
            "review_cap_cut_share": "0.5",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "倍数必须大于0" in response.content.decode()
    policy.refresh_from_db()
    assert policy.uninsured_cap_multiple == 3


def test_it_switches_the_company_default(sam_admin):
    target = CompensationPolicy.objects.get(code="proven_value_7x")
    sam_admin.post(ADMIN, {"action": "make_default", "_selected_action": [target.pk]})
    assert list(CompensationPolicy.objects.filter(is_default=True)) == [target]
    assert services.default_policy() == target


def test_it_never_deletes_policies(sam_admin):
    policy = CompensationPolicy.objects.get(code="proven_value_3x")
    assert sam_admin.post(f"{ADMIN}{policy.pk}/delete/", {"post": "yes"}).status_code == 403
    assert CompensationPolicy.objects.filter(pk=policy.pk).exists()


def test_it_shows_claims_read_only_with_their_events(sam_admin, complaint_at_a, bob, sam, now):
    claim = services.claim_propose(complaint=complaint_at_a, by=bob, facts=loss_facts(), now=now)
    services.claim_approve(claim=claim, by=sam, note="同意赔付", now=now)
    page = sam_admin.get(f"/admin/compensation/claim/{claim.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "同意赔付" in html and 'name="_save"' not in html
    assert sam_admin.get("/admin/compensation/claim/add/").status_code == 403
    listing = sam_admin.get("/admin/compensation/claim/", {"q": complaint_at_a.ticket_no})
    assert listing.status_code == 200


def test_it_gives_the_roles_their_claim_permissions_on_top_of_others(db):
    from django.contrib.auth.models import Group, Permission

    from compensation.seeding import grant_claim_permissions

    supervisors = Group.objects.get(name="质量监控主管")
    other = Permission.objects.get(codename="add_logentry")  # stands in for another app's grant
    supervisors.permissions.add(other)
    grant_claim_permissions()
    codenames = set(supervisors.permissions.values_list("codename", flat=True))
    assert {"approve_claim", "pay_claim", "change_compensationpolicy"} <= codenames
    assert "add_logentry" in codenames
    agents = set(Group.objects.get(name="客服坐席").permissions.values_list("codename", flat=True))
    assert {"approve_small_claim", "propose_claim"} <= agents and "approve_claim" not in agents
    branch = set(Group.objects.get(name="网点人员").permissions.values_list("codename", flat=True))
    assert "propose_claim" in branch and not {"approve_small_claim", "pay_claim"} & branch
