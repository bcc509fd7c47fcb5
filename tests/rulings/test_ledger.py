"""The ledger and the rulings are append-only, in the database itself (like the audit trail)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from rulings.models import LedgerEntry, Ruling

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE rulings_ledgerentry SET amount = 0",
        "DELETE FROM rulings_ledgerentry",
        "UPDATE rulings_ruling SET verdict = 'not_at_fault'",
        "DELETE FROM rulings_ruling",
    ],
)
def test_the_database_refuses_to_rewrite_the_ledger(sql, answered, rule_it):
    rule_it(answered())
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    entry = LedgerEntry.objects.get()
    assert (entry.amount, Ruling.objects.get().verdict) == (50, "at_fault")


def test_the_models_refuse_it_too(answered, rule_it):
    rule_it(answered())
    entry = LedgerEntry.objects.get()
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=0)
    with pytest.raises(PermissionError):
        entry.delete()
    entry.amount = 0
    with pytest.raises(PermissionError):
        entry.save()


def test_an_entry_is_reversed_once_only(answered, rule_it, sam, now):
    from rulings.models import EntryKind
    from rulings.services import local_month

    ruling = rule_it(answered())
    entry = LedgerEntry.objects.get()
    fields = dict(
        at=now,
        period=local_month(now),
        kind=EntryKind.REVERSAL,
        unit_id=entry.unit_id,
        complaint_id=entry.complaint_id,
        ruling=ruling,
        reverses=entry,
        count=-1,
        amount=-entry.amount,
        points=-entry.points,
        category="delay",
        stage="delivery",
        reason="冲销",
        by=sam,
    )
    LedgerEntry.objects.create(**fields)
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.create(**fields)
