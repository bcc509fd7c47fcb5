"""Ticket numbers: one sequence per Shanghai day, unique without serialising submissions."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from complaints import numbering, services
from complaints.models import TicketSequence
from tests.conftest import new_complaint

DAY = date(2026, 11, 16)


def test_it_numbers_a_new_day_from_one(db):
    assert [numbering.next_number(DAY) for _ in range(3)] == [1, 2, 3]
    assert numbering.next_number(date(2026, 11, 17)) == 1
    assert numbering.issued([DAY, date(2026, 11, 18)]) == {DAY: 3, date(2026, 11, 18): 0}


def test_it_continues_a_day_counted_by_the_old_counter_row(org, alice, now):
    TicketSequence.objects.create(day=DAY, last=7)  # numbers given out before the upgrade
    complaint, _ = services.complaint_create(data=new_complaint(), by=alice, now=now)
    assert complaint.ticket_no == "TS20261116000008"


def test_it_continues_after_numbers_a_bulk_load_reserved(db):
    numbering.next_number(DAY)
    numbering.reserve({DAY: 500})
    assert numbering.next_number(DAY) == 501
    numbering.reserve({DAY: 20})  # never backwards
    assert numbering.next_number(DAY) == 502


def test_it_starts_again_when_the_database_was_emptied(db):
    numbering.next_number(DAY)
    numbering.next_number(DAY)
    TicketSequence.objects.all().delete()  # what the tests' flush does; the sequence is left
    assert numbering.next_number(DAY) == 1


def test_it_leaves_a_gap_when_a_creation_rolls_back_after_taking_a_number(db):
    assert numbering.next_number(DAY) == 1
    try:
        with transaction.atomic():
            assert numbering.next_number(DAY) == 2
            raise RuntimeError("the rest of the creation failed")
    except RuntimeError:
        pass
    # Unique and increasing, not gapless: nothing relies on gapless numbers.
    assert numbering.next_number(DAY) == 3
