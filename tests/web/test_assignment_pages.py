"""The 处理人 on the pages (issue 20 §2): the ticket's controls, the queue row, the team page."""

from __future__ import annotations

import pytest
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, ComplaintTransition, Role, StaffProfile
from tests.conftest import _user, new_complaint
from tests.unchanged import nothing_changed


@pytest.fixture
def dan(org):
    return _user("dan", Role.BRANCH, org["a"])


@pytest.fixture
def head(org):
    user = _user("hana", Role.BRANCH, org["a"])
    org["a"].head = user
    org["a"].save()
    return user


@pytest.fixture
def complaint(alice, org):
    created, _ = services.complaint_create(data=new_complaint(), by=alice, now=timezone.now())
    return services.complaint_dispatch(complaint=created, unit=org["a"], by=alice)


def _do(client, complaint, name, data=None):
    return client.post(
        f"/tickets/{complaint.ticket_no}/do/{name}/",
        {"seen_status": complaint.status, **(data or {})},
    )


def test_it_shows_take_to_unit_staff_and_takes(client_as, bob, complaint):
    client = client_as(bob)
    page = client.get(f"/tickets/{complaint.ticket_no}/").content.decode()
    assert 'data-action="take"' in page
    assert 'data-action="assign"' not in page
    assert "未分配" in page
    response = _do(client, complaint, "take")
    assert response.status_code == 200
    body = response.content.decode()
    assert "您已是该工单的处理人。" in body
    assert 'id="ticket-handler">bob<' in body
    assert "接单（我来处理）：bob" in body  # the timeline's audit row
    assert Complaint.objects.get(pk=complaint.pk).handler_id == bob.pk


def test_it_shows_assign_with_the_units_staff(client_as, alice, bob, dan, carol, complaint):
    page = client_as(alice).get(f"/tickets/{complaint.ticket_no}/").content.decode()
    assert 'data-action="assign"' in page and 'data-action="take"' not in page
    assert f'<option value="{bob.pk}">bob</option>' in page
    assert f'<option value="{dan.pk}">dan</option>' in page
    assert f'value="{carol.pk}"' not in page


def test_it_assigns_and_unassigns(client_as, alice, dan, complaint):
    client = client_as(alice)
    response = _do(client, complaint, "assign", {"assign-handler": str(dan.pk)})
    assert response.status_code == 200
    assert "处理人已更新。" in response.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).handler_id == dan.pk
    response = _do(client, complaint, "assign", {"assign-handler": ""})
    assert Complaint.objects.get(pk=complaint.pk).handler_id is None
    assert ComplaintTransition.objects.filter(transition="unassign_handler").count() == 1


def test_it_lets_the_head_assign(client_as, head, dan, complaint):
    client = client_as(head)
    page = client.get(f"/tickets/{complaint.ticket_no}/").content.decode()
    assert 'data-action="assign"' in page and 'data-action="take"' in page
    _do(client, complaint, "assign", {"assign-handler": str(dan.pk)})
    assert Complaint.objects.get(pk=complaint.pk).handler_id == dan.pk


@pytest.mark.parametrize("value", ["999999", "abc", "-1", "1" * 30])
def test_it_refuses_a_bad_handler_inline(client_as, alice, carol, complaint, value):
    client = client_as(alice)
    client.get(f"/tickets/{complaint.ticket_no}/")
    with nothing_changed():
        response = _do(client, complaint, "assign", {"assign-handler": value})
    assert response.status_code == 400
    assert "处理人须为本单位在职的网点人员。" in response.content.decode()


def test_it_refuses_another_units_staff_inline(client_as, alice, carol, complaint):
    client = client_as(alice)
    with nothing_changed():
        response = _do(client, complaint, "assign", {"assign-handler": str(carol.pk)})
    assert response.status_code == 400


def test_it_refuses_assign_by_plain_staff(client_as, bob, dan, complaint):
    client = client_as(bob)
    with nothing_changed():
        response = _do(client, complaint, "assign", {"assign-handler": str(dan.pk)})
    assert response.status_code == 403


def test_it_refuses_take_when_taken(client_as, bob, dan, complaint):
    services.complaint_take(complaint=complaint, by=dan)
    client = client_as(bob)
    with nothing_changed():
        response = _do(client, complaint, "take")
    assert response.status_code == 409


def test_it_shows_the_handler_in_the_queue(client_as, bob, dan, complaint):
    services.complaint_take(complaint=complaint, by=dan)
    page = client_as(bob).get("/queue/").content.decode()
    assert 'class="small text-muted queue-handler"' in page and ">dan</div>" in page


# --- The team page ------------------------------------------------------------------------


def test_it_shows_loads_in_constant_queries(
    client_as, bob, dan, head, alice, org, django_assert_max_num_queries
):
    for i in range(3):
        created, _ = services.complaint_create(
            data=new_complaint(tracking_no=f"SF77700000{i:02d}", phone=f"1380000{i:04d}"),
            by=alice,
            now=timezone.now(),
        )
        sent = services.complaint_dispatch(complaint=created, unit=org["a"], by=alice)
        services.complaint_take(complaint=sent, by=dan)
    client = client_as(bob)
    client.get("/queue/team/")
    with django_assert_max_num_queries(5):
        response = client.get("/queue/team/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "在办 3" in page and "已超时 0" in page
    assert 'id="team-settings"' not in page  # not the head
    # bob may switch only himself.
    assert page.count('class="team-duty"') == 1


def test_it_lets_staff_switch_themselves(client_as, bob, dan):
    client = client_as(bob)
    response = client.post(f"/queue/team/duty/{bob.pk}/", {"on_duty": "0"})
    assert response.status_code == 302
    assert not StaffProfile.objects.get(user=bob).on_duty
    page = client.get(response["Location"]).content.decode()
    assert "bob 已设为不在岗。" in page


def test_it_refuses_switching_a_colleague(client_as, bob, dan):
    client = client_as(bob)
    with nothing_changed():
        response = client.post(f"/queue/team/duty/{dan.pk}/", {"on_duty": "0"})
    assert response.status_code == 403


def test_it_refuses_switching_an_unknown_person(client_as, head):
    client = client_as(head)
    with nothing_changed():
        response = client.post("/queue/team/duty/99999999999/", {"on_duty": "0"})
    assert response.status_code == 404


def test_it_lets_the_head_switch_others_and_auto_assign(client_as, head, bob, org):
    client = client_as(head)
    page = client.get("/queue/team/").content.decode()
    assert 'id="team-settings"' in page and page.count('class="team-duty"') == 2
    client.post(f"/queue/team/duty/{bob.pk}/", {"on_duty": "0"})
    assert not StaffProfile.objects.get(user=bob).on_duty
    response = client.post(
        "/queue/team/settings/", {"unit": "A", "auto_assign": "1", "assign_cap": "12"}
    )
    assert response.status_code == 302
    org["a"].refresh_from_db()
    assert org["a"].auto_assign and org["a"].assign_cap == 12


@pytest.mark.parametrize("cap", ["0", "1000", "abc", "", "-3", "9" * 40])
def test_it_refuses_a_bad_cap_inline(client_as, head, cap):
    client = client_as(head)
    with nothing_changed():
        response = client.post(
            "/queue/team/settings/", {"unit": "A", "auto_assign": "1", "assign_cap": cap}
        )
    assert response.status_code == 400
    assert "每人在办上限须为1至999之间的整数。" in response.content.decode()


@pytest.mark.parametrize("who", ["bob", "alice", "sam"])
def test_it_refuses_auto_assign_to_others(client_as, who, request, head):
    client = client_as(request.getfixturevalue(who))
    with nothing_changed():
        response = client.post(
            "/queue/team/settings/", {"unit": "A", "auto_assign": "1", "assign_cap": "5"}
        )
    assert response.status_code == 403


def test_it_lets_supervisors_pick_a_branch(client_as, sam, bob, org):
    client = client_as(sam)
    assert 'id="team-unit-pick"' in client.get("/queue/team/").content.decode()
    page = client.get("/queue/team/?unit=A").content.decode()
    assert 'data-user="bob"' in page
    assert client.get("/queue/team/?unit=NOPE").status_code == 404


def test_it_refuses_the_team_page_to_partners_and_strangers(client_as, pat, nobody):
    assert client_as(pat).get("/queue/team/").status_code == 403
    assert client_as(nobody).get("/queue/team/").status_code == 403


def test_it_lets_a_manager_head_without_a_role_run_the_team(client_as, org, bob):
    from django.contrib.auth import get_user_model

    hank = get_user_model().objects.create_user(username="hank")
    org["a"].head = hank
    org["a"].save()
    client = client_as(hank)
    page = client.get("/queue/team/").content.decode()
    assert 'data-user="bob"' in page and 'id="team-settings"' in page
    response = client.post(f"/queue/team/duty/{bob.pk}/", {"on_duty": "0"})
    assert response.status_code == 302 and response["Location"].endswith("?unit=A")
    assert not StaffProfile.objects.get(user=bob).on_duty
    response = client.post(
        "/queue/team/settings/", {"unit": "A", "auto_assign": "1", "assign_cap": "3"}
    )
    assert response.status_code == 302
    org["a"].refresh_from_db()
    assert org["a"].auto_assign and org["a"].assign_cap == 3
    # Not branch B's head.
    with nothing_changed():
        response = client.post(
            "/queue/team/settings/", {"unit": "B", "auto_assign": "1", "assign_cap": "3"}
        )
    assert response.status_code == 403
