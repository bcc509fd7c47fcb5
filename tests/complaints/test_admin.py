"""The admin: supervisors configure units and phrase lists; complaints are read-only there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.models import Complaint, ComplaintTransition, Phrase, Unit


@pytest.fixture
def sam_admin(sam, client):
    sam.is_staff = True
    sam.save()
    client.force_login(sam)
    return client


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:complaints_unit_changelist",
        "admin:complaints_complaint_changelist",
        "admin:complaints_complainttransition_changelist",
        "admin:complaints_phrase_changelist",
        "admin:complaints_personaldataaccess_changelist",
    ],
)
def test_it_shows_the_configuration_pages_to_a_supervisor(url_name, sam_admin, make_complaint):
    make_complaint()
    response = sam_admin.get(reverse(url_name))
    assert response.status_code == 200


def test_it_shows_a_complaint_read_only_with_its_trail(sam_admin, make_complaint):
    complaint = make_complaint()
    response = sam_admin.get(reverse("admin:complaints_complaint_change", args=[complaint.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert complaint.ticket_no in page
    assert "13800000000" not in page  # the phone is not shown in the admin
    assert 'name="status"' not in page  # no editable state: changes go through the services
    assert reverse("admin:complaints_complaint_delete", args=[complaint.pk]) not in page


def test_it_refuses_to_delete_through_the_admin(sam_admin, make_complaint):
    complaint = make_complaint()
    response = sam_admin.post(
        reverse("admin:complaints_complaint_delete", args=[complaint.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Complaint.objects.filter(pk=complaint.pk).exists()
    row = ComplaintTransition.objects.get(complaint=complaint)
    response = sam_admin.post(
        reverse("admin:complaints_complainttransition_delete", args=[row.pk]), {"post": "yes"}
    )
    assert response.status_code == 403


def test_it_lets_a_supervisor_switch_a_vague_phrase_off(sam_admin):
    phrase = Phrase.objects.get(kind=Phrase.Kind.VAGUE_REPLY, text="已妥投")
    response = sam_admin.post(
        reverse("admin:complaints_phrase_change", args=[phrase.pk]),
        {"kind": phrase.kind, "text": phrase.text},  # is_active unticked
    )
    assert response.status_code == 302
    phrase.refresh_from_db()
    assert phrase.is_active is False


@pytest.mark.parametrize(
    ("persona", "perm", "allowed"),
    [
        ("sam", "complaints.change_phrase", True),
        ("sam", "complaints.change_unit", True),
        ("alice", "complaints.change_phrase", False),
        ("alice", "complaints.change_unit", False),
        ("bob", "complaints.dispatch_complaint", False),
        ("alice", "complaints.reply_complaint", False),
        ("pat", "complaints.view_complaint", False),
    ],
)
def test_it_gives_each_role_only_its_permissions(persona, perm, allowed, request):
    assert request.getfixturevalue(persona).has_perm(perm) is allowed


def test_it_moves_a_user_to_their_new_roles_group(alice, org):
    from complaints.models import Role
    from complaints.roles import GROUP_NAMES

    profile = alice.staff
    profile.role = Role.BRANCH
    profile.unit = org["a"]
    profile.save()
    assert list(alice.groups.values_list("name", flat=True)) == [GROUP_NAMES[Role.BRANCH]]
    assert Unit.objects.count() == 4
