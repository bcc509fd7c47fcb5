"""Nothing is ever deleted (SPEC §9): withdrawals, rejections and merges are states."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from complaints import services
from complaints.models import Complaint, ComplaintTransition, Contact


def test_it_refuses_to_delete_a_complaint(make_complaint):
    complaint = make_complaint()
    with pytest.raises(PermissionError):
        complaint.delete()
    with pytest.raises(PermissionError):
        Complaint.objects.all().delete()
    assert Complaint.objects.filter(pk=complaint.pk).exists()


def test_it_keeps_withdrawn_and_rejected_complaints(make_complaint, alice, now):
    withdrawn = services.complaint_withdraw(
        complaint=make_complaint(), by=alice, reason="撤诉", now=now
    )
    rejected = services.complaint_reject(
        complaint=make_complaint(tracking_no="OTHER1", phone="13911112222"),
        by=alice,
        reason="超范围",
        now=now,
    )
    assert set(Complaint.objects.values_list("status", flat=True)) == {"withdrawn", "rejected"}
    assert withdrawn.ended_at == rejected.ended_at == now


def test_it_refuses_to_change_or_delete_audit_rows(make_complaint):
    row = make_complaint().transitions.get()
    row.reason = "rewritten"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        ComplaintTransition.objects.update(reason="rewritten")


def test_it_guards_the_audit_trail_in_postgresql_too(make_complaint):
    row = make_complaint().transitions.get()
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE complaints_complainttransition SET reason = 'x' WHERE id = %s", [row.pk]
        )
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM complaints_complainttransition WHERE id = %s", [row.pk])
    assert ComplaintTransition.objects.filter(pk=row.pk, reason="").exists()


def test_it_refuses_to_delete_contacts(make_complaint, alice, now):
    complaint = make_complaint()
    contact = services.complaint_log_contact(
        complaint=complaint, by=alice, method="phone", summary="已致电客户", now=now
    )
    with pytest.raises(PermissionError):
        contact.delete()
    with pytest.raises(PermissionError):
        Contact.objects.all().delete()
