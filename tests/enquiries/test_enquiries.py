"""Enquiries (查件/咨询) kept apart from complaints, and their conversion to a linked complaint:
by timeout, by a second contact about the same waybill, and on the customer's request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

from complaints.models import Complaint, Status
from enquiries import services
from enquiries.models import Enquiry, EnquiryContact, EnquiryStatus
from kernel.errors import Conflict, NotAllowed

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
URL = "/api/v1/enquiries/"
QUESTION = "快件三天没有更新物流信息，请问到哪里了？"


def enquiry(by, at=T0, **overrides) -> services.Outcome:
    fields = {
        "tracking_no": "SF1234567890",
        "phone": "13900000001",
        "question": QUESTION,
        "answer": "已查询，快件在转运中心，预计明日派送。",
    }
    fields.update(overrides)
    return services.enquiry_record(data=services.NewEnquiry(**fields), by=by, now=at)


@pytest.fixture(autouse=True)
def _roomy_throttles(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "submit": "1000/min",
            "partner": "1000/min",
        },
    }
    cache.clear()
    yield
    cache.clear()


def test_an_enquiry_is_not_a_complaint(alice):
    outcome = enquiry(alice)

    assert outcome.created and outcome.enquiry.status == EnquiryStatus.OPEN
    assert outcome.enquiry.resolve_due == T0 + timedelta(hours=24)
    assert not Complaint.objects.exists()  # no 受理, no SLA, no page to a branch


# --- By timeout ----------------------------------------------------------------------------------

# (hours after the first contact when the sweep runs, resolved meanwhile?, converted?)
TIMEOUTS = [
    (23.99, False, False),
    (24, False, True),
    (30, False, True),
    (30, True, False),
]


@pytest.mark.parametrize(("hours", "resolved", "converted"), TIMEOUTS)
def test_an_open_enquiry_becomes_a_complaint_after_24_hours(alice, hours, resolved, converted):
    e = enquiry(alice).enquiry
    if resolved:
        services.enquiry_resolve(enquiry=e, by=alice, now=T0 + timedelta(hours=2))
    at = T0 + timedelta(hours=hours)

    assert services.sweep_timeouts(now=at) == int(converted)

    e.refresh_from_db()
    assert (e.status == EnquiryStatus.CONVERTED) is converted
    assert Complaint.objects.count() == int(converted)
    if converted:
        complaint = e.complaint
        assert (e.conversion_reason, e.converted_at) == ("timeout", at)
        # Its timers start at the conversion; the first contact is kept on the enquiry.
        assert complaint.accepted_at == at and e.first_contact_at == T0
        assert complaint.status == Status.ACCEPTED
        assert complaint.tracking_no == "SF1234567890" and complaint.phone == "13900000001"
        assert "【由查件咨询转入】首次联系：2026-11-16 10:00" in complaint.description
        assert QUESTION in complaint.description


def test_the_resolve_time_is_configurable(alice, settings):
    settings.ENQUIRIES = {**settings.ENQUIRIES, "RESOLVE_HOURS": 4}
    enquiry(alice)

    assert services.sweep_timeouts(now=T0 + timedelta(hours=4)) == 1


def test_the_sweep_converts_each_enquiry_once(alice):
    enquiry(alice)
    enquiry(alice, tracking_no="SF0000000002", phone="13900000002")
    later = T0 + timedelta(days=2)

    assert services.sweep_timeouts(now=later, batch=1) == 2
    assert services.sweep_timeouts(now=later) == 0
    assert Complaint.objects.count() == 2


def test_the_beat_task_runs_the_sweep(alice):
    from enquiries.tasks import convert_timed_out

    enquiry(alice)
    with time_machine.travel(T0 + timedelta(hours=25), tick=False):
        assert convert_timed_out.apply().get() == 1


# --- By a second contact -------------------------------------------------------------------------


def test_the_same_customer_asking_again_about_the_same_waybill_converts_it(alice):
    first = enquiry(alice).enquiry
    services.enquiry_resolve(enquiry=first, by=alice, now=T0 + timedelta(minutes=5))
    again_at = T0 + timedelta(days=2)

    outcome = enquiry(alice, at=again_at, question="还是没收到，怎么回事？", answer="")

    e = outcome.enquiry
    assert not outcome.created and e.pk == first.pk
    assert (e.status, e.conversion_reason, e.contact_count) == ("converted", "second_contact", 2)
    assert e.complaint.accepted_at == again_at and e.first_contact_at == T0
    history = e.complaint.description
    assert history.index(QUESTION) < history.index("还是没收到，怎么回事？")
    assert EnquiryContact.objects.filter(enquiry=e).count() == 2


def test_the_second_contact_meets_the_first_whatever_the_spelling(alice):
    enquiry(alice)

    outcome = enquiry(
        alice, tracking_no="sf 1234-567890", phone="139 0000 0001", at=T0 + timedelta(hours=1)
    )

    assert outcome.enquiry.status == EnquiryStatus.CONVERTED


# (who contacts second, how long after) → is it a second contact?
SECOND_CONTACTS = [
    ({"phone": "13900000009"}, timedelta(hours=1), False),  # another customer
    ({"tracking_no": "SF9999999999"}, timedelta(hours=1), False),  # another waybill
    ({}, timedelta(days=30), True),
    ({}, timedelta(days=30, seconds=1), False),  # outside the window: a new enquiry
]


@pytest.mark.parametrize(("who", "after", "converts"), SECOND_CONTACTS)
def test_what_counts_as_a_second_contact(alice, who, after, converts):
    enquiry(alice)

    outcome = enquiry(alice, at=T0 + after, **who)

    assert outcome.created is not converts
    assert Complaint.objects.count() == int(converts)


def test_a_contact_on_a_converted_enquiry_adds_to_it_and_makes_no_second_complaint(alice):
    enquiry(alice)
    enquiry(alice, at=T0 + timedelta(hours=1))

    outcome = enquiry(alice, at=T0 + timedelta(hours=2))

    assert outcome.enquiry.contact_count == 3
    assert Complaint.objects.count() == 1


# --- On the customer's request -------------------------------------------------------------------


def test_the_agent_converts_on_the_customers_request(alice):
    e = enquiry(alice).enquiry

    e, code = services.enquiry_convert(enquiry=e, by=alice, now=T0 + timedelta(minutes=3))

    assert (e.status, e.conversion_reason) == ("converted", "customer_request")
    assert code and e.complaint.created_by == alice


def test_converting_twice_is_refused_and_changes_nothing(alice):
    e = enquiry(alice, wants_complaint=True).enquiry

    with pytest.raises(Conflict):
        services.enquiry_convert(enquiry=e, by=alice)
    assert Complaint.objects.count() == 1


def test_a_branch_clerk_cannot_record_enquiries(bob):
    with pytest.raises(NotAllowed):
        enquiry(bob)
    assert not Enquiry.objects.exists()


# --- The API -------------------------------------------------------------------------------

BODY = {"tracking_no": "SF1234567890", "phone": "13900000001", "question": QUESTION}


def test_a_customer_submits_an_enquiry_over_the_api(db):
    response = APIClient().post(URL, BODY, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["complaint"], body["contact_count"]) == ("open", None, 1)
    assert Enquiry.objects.get().channel == "api"
    assert not Complaint.objects.exists()


def test_a_customer_who_wants_to_complain_gets_the_complaint_and_its_code(db):
    response = APIClient().post(URL, {**BODY, "wants_complaint": True}, format="json")

    body = response.json()
    assert body["status"] == "converted" and body["conversion_reason"] == "customer_request"
    assert body["complaint"]["ticket_no"] == Complaint.objects.get().ticket_no
    assert len(body["complaint"]["access_code"]) >= 8


def test_the_same_idempotency_key_and_body_give_the_same_enquiry(db):
    api = APIClient()
    first = api.post(
        URL, {**BODY, "wants_complaint": True}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = api.post(
        URL, {**BODY, "wants_complaint": True}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()  # the same complaint and access code
    assert (Enquiry.objects.count(), Complaint.objects.count(), EnquiryContact.objects.count()) == (
        1,
        1,
        1,
    )


def test_a_key_reused_for_another_body_is_refused_and_nothing_changes(db):
    api = APIClient()
    api.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    response = api.post(
        URL, {**BODY, "question": "别的问题"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert EnquiryContact.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "12345"), ("tracking_no", "SF-中文"), ("question", " "), ("category", "nope")],
)
def test_bad_input_gets_a_chinese_message_per_field_and_stores_nothing(db, field, value):
    response = APIClient().post(URL, {**BODY, field: value}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["fields"] and error["message"]
    assert not Enquiry.objects.exists()


@pytest.mark.usefixtures("one_throttle_window")
def test_submissions_share_the_complaint_submission_throttle(db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "submit": "2/min",
        },
    }
    api = APIClient()
    codes = [
        api.post(URL, {**BODY, "phone": f"1390000000{i}"}, format="json").status_code
        for i in range(3)
    ]

    assert codes == [201, 201, 429]
    assert Enquiry.objects.count() == 2


def test_idempotency_keys_are_forgotten_after_the_retention(db):
    from enquiries.models import EnquiryKey

    APIClient().post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    created = EnquiryKey.objects.get().created_at

    assert services.purge_keys(now=created + timedelta(hours=23)) == 0
    assert services.purge_keys(now=created + timedelta(hours=24, seconds=1)) == 1
    assert Enquiry.objects.count() == 1  # the enquiry stays


@pytest.mark.parametrize(
    ("age", "replayed"),
    [(timedelta(hours=24), True), (timedelta(hours=24, seconds=1), False)],
)
def test_a_key_replays_for_24_hours_to_the_second_then_is_a_new_request(db, age, replayed):
    """The same Idempotency-Key rules as complaints' (complaints.api.idempotency.submit_once):
    a retry within 24 h answers the first request again; one second later, before the hourly
    purge has removed the key, it is a new request — here a second contact on the same open
    enquiry (the copy this module kept replayed forever)."""
    with time_machine.travel(T0, tick=False):
        first = APIClient().post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    with time_machine.travel(T0 + age, tick=False):
        again = APIClient().post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-4")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert (again.headers.get("Idempotent-Replayed") == "true") is replayed
    assert again.json()["contact_count"] == (1 if replayed else 2)
    assert Enquiry.objects.get().contact_count == (1 if replayed else 2)


def test_a_partner_submits_an_enquiry_for_its_customer_but_handles_none(db):
    """Partners (platforms acting for their customers) submit enquiries as they submit
    complaints; resolving or converting one is the agents' (enquiries/apps.py)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from complaints.models import Role, StaffProfile

    partner = get_user_model().objects.create_user("enquiry-partner")
    StaffProfile.objects.create(user=partner, role=Role.PARTNER)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=partner).key}")

    created = api.post(URL, BODY, format="json")
    assert created.status_code == 201
    enquiry = Enquiry.objects.get()
    assert enquiry.created_by == partner

    refused = api.post(f"{URL}{enquiry.pk}/resolve/", {"answer": "已派送"}, format="json")
    assert refused.status_code == 403
    enquiry.refresh_from_db()
    assert enquiry.status == EnquiryStatus.OPEN and enquiry.answer == ""
