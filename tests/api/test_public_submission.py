"""The public submission cannot choose the unit nor steer the cluster rule (issue 19 §2).

A customer (anonymous, or with only an access code) who could name the responsible unit would
route a complaint past triage, and two such submissions made a third customer's genuine
complaint urgent through the cluster rule (deadlines 24 h → 2 h, supervisors paged). The unit
is the agent's to set at dispatch; partners and staff may name it. The cluster counts distinct
customers, and only complaints someone stands behind: entered by staff or a partner, or
dispatched by an agent.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaints import services
from complaints.models import Complaint, Priority
from tests.conftest import new_complaint
from tests.unchanged import nothing_changed

from .conftest import SUBMISSION, token_client

URL = "/api/v1/complaints/"
REFUSAL = "客户提交投诉时不能指定责任单位，客服核实后会下发到责任单位。"


@pytest.mark.parametrize("code", ["A", "B", "NOPE"], ids=["existing", "other", "missing"])
def test_it_refuses_a_unit_from_an_anonymous_submission_with_one_answer(api, org, code):
    with nothing_changed():
        response = api.post(URL, {**SUBMISSION, "unit": code}, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    # The same words for every code: the answer tells nothing about which units exist.
    assert error["fields"] == {"unit": REFUSAL}


def test_it_lets_a_partner_name_the_unit(org, pat):
    response = token_client(pat).post(URL, {**SUBMISSION, "unit": "A"}, format="json")
    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get(ticket_no=response.json()["ticket_no"])
    assert complaint.unit.code == "A"


def test_it_takes_an_anonymous_submission_without_a_unit(api, org):
    response = api.post(URL, SUBMISSION, format="json")
    assert response.status_code == 201, response.content


def _genuine(by, unit, *, now, **fields):
    """A complaint an agent took and dispatched to `unit`."""
    complaint, _ = services.complaint_create(data=new_complaint(**fields), by=by, now=now)
    return services.complaint_dispatch(complaint=complaint, unit=unit, by=by, now=now)


def test_unverified_anonymous_complaints_do_not_make_a_cluster_until_dispatched(alice, org, now):
    genuine = _genuine(alice, org["a"], now=now, tracking_no="CLG001", phone="13900000101")
    # Two anonymous complaints naming the same unit (as a refiled complaint may, or one stored
    # before this rule): they are claims nobody has checked yet.
    anonymous = [
        services.complaint_create(
            data=new_complaint(
                tracking_no=f"CLA00{i}", phone=f"1390000020{i}", unit_code="A", channel="api"
            ),
            by=services.CUSTOMER,
            now=now + timedelta(minutes=i + 1),
        )[0]
        for i in range(2)
    ]
    genuine.refresh_from_db()
    assert genuine.priority == Priority.NORMAL
    assert all(c.priority == Priority.NORMAL for c in anonymous)

    # An agent looks at them and dispatches them: now they are three customers' complaints.
    later = now + timedelta(minutes=10)
    for complaint in anonymous:
        services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=later)
    genuine.refresh_from_db()
    assert genuine.priority == Priority.URGENT
    assert any("3名客户" in reason for reason in genuine.urgent_reasons)


def test_one_customers_repeats_are_no_cluster(alice, org, now):
    for i in range(3):
        complaint = _genuine(
            alice,
            org["a"],
            now=now + timedelta(minutes=i),
            tracking_no=f"CLR00{i}",
            phone="13900000301",
        )
    complaint.refresh_from_db()
    assert complaint.priority == Priority.NORMAL


def test_three_customers_through_a_partner_are_a_cluster(pat, org, now):
    made = [
        services.complaint_create(
            data=new_complaint(
                tracking_no=f"CLP00{i}", phone=f"1390000040{i}", unit_code="A", channel="api"
            ),
            by=pat,
            now=now + timedelta(minutes=i),
        )[0]
        for i in range(3)
    ]
    for complaint in made:
        complaint.refresh_from_db()
    assert [c.priority for c in made] == [Priority.URGENT] * 3
