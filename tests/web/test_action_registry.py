"""One registry of complaint actions (issue 26 §2): the API, the ticket page and docs/api.md
agree with it, and with the state machine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django_fsm import can_proceed

from complaints import actions as registry
from complaints.api import actions as api
from complaints.models import Status
from complaints.web import ticket
from tests.complaints.helpers import bring_to

STATES = ("accepted", "verifying", "answered", "follow_up", "closed", "rejected", "withdrawn")

# The actions that are one FSM transition (or, for follow_up, either of two).
TRANSITIONS = {
    "dispatch": ("dispatch",),
    "reassign": ("reassign",),
    "reply": ("reply",),
    "start_follow_up": ("start_follow_up",),
    "follow_up": ("start_follow_up", "close"),
    "reopen": ("reopen",),
    "reject": ("reject",),
    "withdraw": ("withdraw",),
}
EVERY_PERM = {f"complaints.{a.perm}" for a in registry.REGISTRY}


@pytest.fixture
def in_every_state(make_complaint, alice, bob, org, now):
    def make(state):
        complaint = make_complaint()
        return bring_to(state, complaint, agent=alice, branch_user=bob, unit=org["a"], now=now)

    return {state: make(state) for state in STATES}


def test_the_page_and_the_api_offer_the_same_actions_the_fsm_allows(
    in_every_state, alice, bob, sam
):
    both = [a for a in registry.REGISTRY if a.page and a.api_name]
    for state, complaint in in_every_state.items():
        for user in (alice, bob, sam):
            on_page = set(ticket.allowed_actions(complaint, user))
            in_api = set(api.available_actions(complaint, user))
            for action in both:
                assert (action.name in on_page) == (action.api_name in in_api), (
                    f"{action.name} on {state} as {user.username}: page {on_page}, api {in_api}"
                )
        for name, transitions in TRANSITIONS.items():
            fsm = any(can_proceed(getattr(complaint, t)) for t in transitions)
            action = registry.ACTIONS[name]
            assert action.when(complaint) == fsm, f"{name} on {state}"
            assert action.who is None  # so only the state and the permission decide
            allowed = registry.available({name: action}, complaint, sam, perms=EVERY_PERM)
            assert bool(allowed) == fsm, f"{name} on {state}"


def test_the_page_offers_reopen_during_the_follow_up_as_the_fsm_does(
    client_as, alice, in_every_state
):
    """The page used to offer 重新下发 on closed complaints only; the FSM allows it in 回访."""
    complaint = in_every_state["follow_up"]
    assert complaint.status == Status.FOLLOW_UP
    page = client_as(alice).get(reverse("web:ticket", args=[complaint.ticket_no]))
    assert 'data-action="reopen"' in page.content.decode()
    response = client_as(alice).post(
        reverse("web:action", args=[complaint.ticket_no, "reopen"]),
        {"reopen-reason": "客户仍不满意", "seen_status": complaint.status},
    )
    assert response.status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == Status.VERIFYING


def test_every_page_form_is_the_registrys_fields():
    for name, page_action in ticket.ACTIONS.items():
        fields = [f for f in page_action.action.fields if f.page]
        if page_action.form is None:
            assert fields == [], name
            continue
        form_fields = page_action.form.base_fields
        assert set(form_fields) == {f.name for f in fields}, name
        for f in fields:
            built = form_fields[f.name]
            assert built.label == f.label, (name, f.name)
            if f.kind in ("text", "ticket"):
                assert built.max_length == f.max_length, (name, f.name)
                assert built.required == f.required, (name, f.name)


def test_every_api_body_is_the_registrys_fields():
    for name, api_action in api.ACTIONS.items():
        fields = [f for f in api_action.action.fields if f.api_name]
        if api_action.body is None:
            assert fields == [], name
            continue
        body = api_action.body().fields
        assert set(body) == {f.api_name for f in fields}, name
        for f in fields:
            if f.kind in ("text", "handler"):
                assert body[f.api_name].max_length == f.max_length, (name, f.name)
            if f.kind == "text":
                assert body[f.api_name].required == f.required, (name, f.name)


def test_the_page_shows_every_page_action_of_the_registry():
    assert set(ticket.ACTIONS) == set(registry.PAGE_ACTIONS)


def test_docs_api_lists_every_api_action_with_its_body():
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    section = text.split("Actions and their bodies:", 1)[1].split("\n### ", 1)[0]
    documented = set(re.findall(r"`([a-z_]+)`", section))
    assert set(registry.API_ACTIONS) <= documented
    for name, action in registry.API_ACTIONS.items():
        for f in action.fields:
            if f.api_name:
                assert f"`{f.api_name}`" in section, (name, f.api_name)
