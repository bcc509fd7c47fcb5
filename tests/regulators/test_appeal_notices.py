"""Supervisors hear about appeal deadlines through the outbox, once per reminder."""

from __future__ import annotations

from datetime import timedelta

from kernel.models import Notification
from kernel.outbox.delivery import render
from regulators.sweeps import appeal_sweep_deadlines


def test_it_notifies_supervisors_once_per_reminder(register, sam):
    appeal = register()
    due = appeal.company_report_due
    appeal_sweep_deadlines(now=due - timedelta(hours=47))
    appeal_sweep_deadlines(now=due - timedelta(hours=46))  # nothing new
    soon = Notification.objects.filter(template="staff_appeal_due_soon")
    assert list(soon.values_list("user_id", "channel")) == [(sam.pk, "in_app")]
    subject, text = render(soon.get())
    assert appeal.case_no in subject
    assert "企业处理情况报告" in text

    appeal_sweep_deadlines(now=due + timedelta(hours=2))
    overdue = Notification.objects.get(template="staff_appeal_overdue", channel="in_app")
    _subject, text = render(overdue)
    assert "已过（超时2小时" in text
    assert Notification.objects.filter(template__startswith="staff_appeal").count() == 2


def test_the_appeals_page_is_in_the_supervisors_navigation(client, sam, alice):
    client.force_login(sam)
    page = client.get("/regulators/appeals/").content.decode()
    assert 'href="/regulators/appeals/"' in page
    client.force_login(alice)
    assert 'href="/regulators/appeals/"' not in client.get("/console/").content.decode()
