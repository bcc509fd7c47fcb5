"""Registering and handling forwarded appeals through the services (real PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.sites import site
from django.db import connection, transaction
from django.test import RequestFactory

from complaints.models import Complaint
from kernel.errors import Conflict, InvalidInput, NotAllowed
from regulators import services
from regulators.models import Appeal, AppealEvent, AppealReminder
from tests.regulators.conftest import sh


def test_it_links_the_complaint_on_the_same_waybill_and_makes_it_external(
    make_complaint, register, now
):
    complaint = make_complaint(tracking_no="SF1234567890")
    assert complaint.priority == "normal" and not complaint.is_external

    appeal = register(tracking_no="sf1234567890")

    complaint.refresh_from_db()
    assert appeal.complaint == complaint and not appeal.complaint_created
    assert complaint.is_external and complaint.priority == "urgent"
    assert "外部投诉" in complaint.urgent_reasons
    # SPEC §4: external complaints run on the urgent targets (2 h first response, 2 h follow-up).
    assert complaint.first_response_due == now + timedelta(hours=2)
    assert complaint.transitions.filter(transition="mark_external").count() == 1


def test_it_links_by_phone_when_the_waybill_is_unknown(make_complaint, register):
    complaint = make_complaint(tracking_no="YT000111", phone="13911112222")
    appeal = register(tracking_no="", appellant_phone="139-1111-2222")
    assert appeal.complaint == complaint
    assert appeal.tracking_no == "YT000111"


def test_it_does_not_link_another_shipment_by_phone(make_complaint, register):
    other = make_complaint(tracking_no="YT000111", phone="13800000000")
    appeal = register(tracking_no="ZT99887766", appellant_phone="13800000000")
    assert appeal.complaint != other and appeal.complaint_created


def test_it_links_the_ticket_the_supervisor_names(make_complaint, register):
    named = make_complaint(tracking_no="YT000111", phone="13911112222")
    make_complaint(tracking_no="SF1234567890")
    assert register(ticket_no=named.ticket_no.lower()).complaint == named


def test_it_creates_an_external_urgent_complaint_when_none_is_found(register, sam, now):
    appeal = register(tracking_no="ZT99887766")

    complaint = appeal.complaint
    assert appeal.complaint_created
    assert complaint.channel == "regulator" and complaint.is_external
    assert complaint.priority == "urgent" and "外部投诉" in complaint.urgent_reasons
    assert complaint.created_by == sam and complaint.owner == sam
    assert complaint.description == appeal.facts and complaint.demand_detail == appeal.request
    assert complaint.first_response_due == now + timedelta(hours=2)


def test_it_stores_the_three_deadlines_at_registration(register):
    with time_machine.travel(sh(2026, 9, 24, 11), tick=False):
        appeal = services.appeal_register(
            data=_data(case_no="SG-NATIONAL-DAY", received_at=sh(2026, 9, 24, 10)),
            by=_sam(),
        )
    appeal.refresh_from_db()
    # 10 days; the 10th (4 Oct) is in the holiday → 24:00 of Thursday 8 Oct (民法典 art. 203).
    assert appeal.company_report_due == sh(2026, 10, 9, 0)
    assert appeal.mediation_feedback_due is None
    # 邮政法 art. 65: 30 days → Saturday 24 Oct → Monday 26 Oct.
    assert appeal.regulator_reply_due == sh(2026, 10, 27, 0)
    assert appeal.report_days == 10


def test_it_uses_the_older_15_days_when_configured(register, settings):
    settings.REGULATORS = {**settings.REGULATORS, "COMPANY_REPORT_DAYS": 15}
    appeal = register(received_at=sh(2026, 11, 16, 9))
    assert appeal.report_days == 15
    assert appeal.company_report_due == sh(2026, 12, 2, 0)  # Tuesday 1 Dec, 24:00


def test_it_tracks_the_mediation_feedback_over_national_day(sam):
    with time_machine.travel(sh(2026, 9, 21, 10), tick=False):
        appeal = services.appeal_register(
            data=_data(case_no="SG-MEDIATION", received_at=sh(2026, 9, 21, 9)), by=sam
        )
    with time_machine.travel(sh(2026, 9, 22, 10), tick=False):
        appeal = services.appeal_investigate(appeal=appeal, by=sam, note="已联系网点核实")
        appeal = services.appeal_send_report(appeal=appeal, by=sam, via="监管申诉系统")
    assert appeal.state == "reported" and appeal.report_sent_at == sh(2026, 9, 22, 10)
    with time_machine.travel(sh(2026, 9, 30, 16), tick=False):
        appeal = services.appeal_record_mediation_proposal(
            appeal=appeal, by=sam, proposal="建议企业赔偿运费并致歉"
        )
    # Wednesday 30 Sep: 1–7 Oct are holidays; 8 Oct, 9 Oct and the 调休 Saturday 10 Oct count.
    assert appeal.state == "mediation"
    assert appeal.mediation_feedback_due == sh(2026, 10, 11, 0)
    with time_machine.travel(sh(2026, 10, 10, 23, 59), tick=False):
        assert Appeal.objects.overdue(sh(2026, 10, 10, 23, 59)).count() == 0
        appeal = services.appeal_answer_mediation(appeal=appeal, by=sam, answer="同意调解方案")
    assert appeal.mediation_answered_at == sh(2026, 10, 10, 23, 59)
    answer_event = appeal.events.get(action="answer_mediation")
    assert answer_event.details["on_time"] is True
    appeal = services.appeal_close(appeal=appeal, by=sam, outcome="mediated", reason="双方接受")
    assert appeal.state == "closed" and appeal.outcome == "mediated"
    assert list(appeal.events.values_list("action", "from_state", "to_state")) == [
        ("register", "", "received"),
        ("investigate", "received", "investigating"),
        ("report", "investigating", "reported"),
        ("propose_mediation", "reported", "mediation"),
        ("answer_mediation", "mediation", "mediation"),
        ("close", "mediation", "closed"),
    ]
    assert all(e.actor == sam for e in appeal.events.all())


def test_it_lists_an_appeal_as_overdue_once_the_report_deadline_passes(register):
    appeal = register(received_at=sh(2026, 11, 16, 9))
    due = appeal.company_report_due
    assert not Appeal.objects.overdue(due - timedelta(seconds=1)).exists()
    assert Appeal.objects.overdue(due).get() == appeal
    services.appeal_send_report(appeal=appeal, by=appeal.registered_by, via="传真", now=due)
    assert not Appeal.objects.overdue(due + timedelta(days=1)).exists()


@pytest.mark.parametrize(
    ("steps", "outcome", "allowed"),
    [
        ([], "withdrawn", True),
        ([], "not_accepted", True),
        ([], "not_at_fault", False),  # the report must go to the regulator first
        (["report"], "not_at_fault", True),
        (["report"], "mediated", False),  # no mediation was proposed
        (["report", "mediation"], "mediated", True),
        (["report", "mediation"], "mediation_failed", True),
        ([], "nonsense", False),
    ],
)
def test_it_closes_only_with_an_outcome_that_fits(register, sam, now, steps, outcome, allowed):
    appeal = register()
    if "report" in steps:
        appeal = services.appeal_send_report(appeal=appeal, by=sam, via="系统", now=now)
    if "mediation" in steps:
        appeal = services.appeal_record_mediation_proposal(
            appeal=appeal, by=sam, proposal="调解", now=now
        )
    if allowed:
        assert services.appeal_close(appeal=appeal, by=sam, outcome=outcome, now=now).outcome
    else:
        with pytest.raises((Conflict, InvalidInput)):
            services.appeal_close(appeal=appeal, by=sam, outcome=outcome, now=now)
        appeal.refresh_from_db()
        assert appeal.state != "closed"


def test_it_refuses_a_second_registration_of_the_same_case(register):
    register()
    with pytest.raises(Conflict) as error:
        register(tracking_no="OTHER1")
    assert "case_no" in error.value.field_errors
    assert Appeal.objects.count() == 1


def test_it_stores_nothing_when_the_input_is_bad(register):
    with pytest.raises(InvalidInput) as error:
        register(appellant_phone="12345", province="XX", facts=" ", case_no="坏编号")
    assert set(error.value.field_errors) >= {"appellant_phone", "province", "facts", "case_no"}
    assert not Appeal.objects.exists() and not Complaint.objects.exists()


def test_it_refuses_a_received_time_in_the_future(register, now):
    with pytest.raises(InvalidInput) as error:
        register(received_at=now + timedelta(hours=1))
    assert "received_at" in error.value.field_errors


def test_it_lets_only_supervisors_register_and_handle(register, alice, bob, nobody, sam):
    for user in (alice, bob, nobody):
        with pytest.raises(NotAllowed):
            register(by=user)
    appeal = register()
    with pytest.raises(NotAllowed):
        services.appeal_investigate(appeal=appeal, by=alice)


def test_it_refuses_a_stale_transition(register, sam, now):
    appeal = register()
    stale = Appeal.objects.get(pk=appeal.pk)
    services.appeal_investigate(appeal=appeal, by=sam, now=now)
    with pytest.raises(Conflict):
        services.appeal_investigate(appeal=stale, by=sam, now=now)


# --- Kept at least 3 years: nothing deletes an appeal ----------------------------------------


def test_it_refuses_to_delete_appeals_events_and_reminders(register, sam, now):
    appeal = register()
    AppealReminder.objects.create(
        appeal=appeal, kind="company_report", stage="due_soon", due_at=now, sent_at=now
    )
    for target in (appeal, appeal.events.get(), AppealReminder.objects.get()):
        with pytest.raises(PermissionError):
            target.delete()
    for queryset in (Appeal.objects.all(), AppealEvent.objects.all(), AppealReminder.objects.all()):
        with pytest.raises(PermissionError):
            queryset.delete()
    with pytest.raises(PermissionError):
        AppealEvent.objects.update(reason="rewritten")
    assert Appeal.objects.filter(pk=appeal.pk).exists()


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM regulators_appeal WHERE id = %s",
        "DELETE FROM regulators_appealevent WHERE appeal_id = %s",
        "UPDATE regulators_appealevent SET reason = 'x' WHERE appeal_id = %s",
    ],
)
def test_it_guards_appeal_records_in_postgresql_too(register, sql):
    appeal = register()
    with (
        pytest.raises(Exception, match="appeal records are kept"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [appeal.pk])
    assert Appeal.objects.filter(pk=appeal.pk).exists()
    assert appeal.events.get().reason.startswith("监管部门转办申诉")


def test_it_offers_no_delete_in_the_admin(register, sam):
    appeal = register()
    request = RequestFactory().get("/admin/regulators/appeal/")
    request.user = sam
    for model in (Appeal, AppealEvent, AppealReminder):
        model_admin = site._registry[model]
        assert not model_admin.has_delete_permission(request, appeal)
        assert not model_admin.has_add_permission(request)
    assert "delete_selected" not in site._registry[Appeal].get_actions(request)


def test_it_shows_appeals_read_only_in_the_admin(admin_client, register):
    appeal = register()
    listing = admin_client.get("/admin/regulators/appeal/")
    assert listing.status_code == 200
    assert "至少保存3年" in listing.content.decode()
    detail = admin_client.get(f"/admin/regulators/appeal/{appeal.pk}/change/")
    assert detail.status_code == 200 and appeal.case_no in detail.content.decode()
    assert admin_client.get(f"/admin/regulators/appeal/{appeal.pk}/delete/").status_code == 403


def _sam():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="sam")


def _data(**overrides):
    from tests.regulators.conftest import new_appeal

    return new_appeal(**overrides)
