"""kernel.db.inserts stores exactly what the ORM's save() and bulk_create() store."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models.signals import post_save, pre_save
from django.forms.models import model_to_dict

from complaints import services
from complaints.models import Complaint, ComplaintTransition
from kernel.db import inserts, prepared
from kernel.models import Channel, Notification

# Columns that differ between two rows by nature: identity and per-row unique values.
IDENTITY = {"id", "ticket_no", "access_code_hash"}


def _complaint(n: int, org, alice, now) -> Complaint:
    return Complaint(
        ticket_no=f"TS20261116{n:06d}",
        access_code_hash=f"hash-{n}",
        tracking_no="SF1234567890",
        complainant_name="测试客户",
        phone="13800000000",
        party="recipient",
        category="damage",
        description="外包装破损，内物损坏。",
        demand="compensation",
        insured=True,
        insured_amount=Decimal("300.00"),
        declared_value=Decimal("299.50"),
        unit=org["a"],
        created_by=alice,
        owner=alice,
        accepted_at=now,
        first_response_due=now,
        urgent_reasons=["外部投诉"],
        priority="urgent",
    )


def _transition(complaint, alice, now) -> ComplaintTransition:
    return ComplaintTransition(
        complaint=complaint,
        at=now,
        actor=alice,
        actor_kind="staff",
        transition="create",
        from_state="accepted",
        to_state="accepted",
        details={"channel": "phone", "urgent_reasons": ["外部投诉"], "amount": "12.50"},
    )


def _notification(complaint, now, key="customer") -> Notification:
    return Notification(
        topic=f"complaint:{complaint.pk}:{key}",
        template="complaint_accepted",
        channel=Channel.SMS,
        recipient_key=key,
        complaint_id=complaint.pk,
        context={"ticket_no": complaint.ticket_no, "event": "create"},
        next_attempt_at=now,
        created_at=now,
    )


def _row(model, pk) -> dict:
    row = model.objects.filter(pk=pk).values().get()
    return {k: v for k, v in row.items() if k not in IDENTITY}


@pytest.mark.django_db
def test_it_stores_a_complaint_exactly_as_save_does(org, alice, now):
    by_orm = _complaint(1, org, alice, now)
    by_orm.save()
    fast = inserts.insert(_complaint(2, org, alice, now))
    orm_row, fast_row = _row(Complaint, by_orm.pk), _row(Complaint, fast.pk)
    # auto_now stamps the time of each save
    orm_row.pop("updated_at"), fast_row.pop("updated_at")
    assert fast_row == orm_row
    assert fast.pk and not fast._state.adding and fast._state.db == "default"


@pytest.mark.django_db
def test_it_stores_an_audit_row_exactly_as_save_does(org, alice, now):
    complaint = inserts.insert(_complaint(1, org, alice, now))
    by_orm = _transition(complaint, alice, now)
    by_orm.save()
    fast = inserts.insert(_transition(complaint, alice, now))
    assert _row(ComplaintTransition, fast.pk) == _row(ComplaintTransition, by_orm.pk)


@pytest.mark.django_db
def test_it_stores_messages_exactly_as_bulk_create_does_and_skips_conflicts(org, alice, now):
    complaint = inserts.insert(_complaint(1, org, alice, now))
    Notification.objects.bulk_create([_notification(complaint, now, "a")], ignore_conflicts=True)
    inserts.insert_ignoring_conflicts(
        [_notification(complaint, now, "b"), _notification(complaint, now, "a")]
    )
    rows = {n.recipient_key: model_to_dict(n, exclude=["id", "topic"]) for n in
            Notification.objects.filter(complaint_id=complaint.pk)}  # fmt: skip
    assert sorted(rows) == ["a", "b"]  # the conflicting second "a" was skipped
    assert {**rows["a"], "recipient_key": "b"} == rows["b"]


@pytest.mark.django_db
def test_it_sends_the_save_signals_of_a_new_row(org, alice, now):
    seen = []

    def before(sender, instance, **kw):
        seen.append(("pre", instance.pk))

    def after(sender, instance, created, **kw):
        seen.append(("post", instance.pk, created))

    pre_save.connect(before, sender=Complaint)
    post_save.connect(after, sender=Complaint)
    try:
        c = inserts.insert(_complaint(1, org, alice, now))
    finally:
        pre_save.disconnect(before, sender=Complaint)
        post_save.disconnect(after, sender=Complaint)
    assert seen == [("pre", None), ("post", c.pk, True)]


@pytest.mark.django_db
def test_it_leaves_the_state_machine_ready_for_the_next_transition(org, alice, now):
    """django-fsm's concurrency guard remembers the state a row was saved with."""
    complaint = inserts.insert(_complaint(1, org, alice, now))
    complaint.dispatch()
    complaint.save()  # would raise ConcurrentTransition if the remembered state were wrong
    assert Complaint.objects.get(pk=complaint.pk).status == "verifying"


@pytest.mark.django_db
def test_it_refuses_rows_that_exist_already(org, alice, now):
    complaint = inserts.insert(_complaint(1, org, alice, now))
    with pytest.raises(ValueError):
        inserts.insert(complaint)


@pytest.mark.django_db
def test_it_creates_complaints_through_the_service_with_their_audit_row(alice, now):
    complaint, _ = services.complaint_create(
        data=services.NewComplaint(
            tracking_no="SF5550000001",
            complainant_name="测试客户",
            phone="13800000001",
            party="sender",
            category="delay",
            description="三天未更新物流。",
        ),
        by=alice,
        now=now,
    )
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.ticket_no, stored.status, stored.accepted_at) == (
        complaint.ticket_no,
        "accepted",
        now,
    )
    assert list(stored.transitions.values_list("transition", flat=True)) == ["create"]


# --- batch(): the writes of a block in one round trip ------------------------------------------


def _reserved(model) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {inserts.next_id_sql(model)}")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_batch_writes_a_complaint_its_audit_row_and_messages_in_one_round_trip(org, alice, now):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    complaint = _complaint(1, org, alice, now)
    complaint.pk = _reserved(Complaint)
    audit = _transition(complaint, alice, now)
    audit.pk = _reserved(ComplaintTransition)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        with inserts.batch():
            inserts.insert(complaint)
            inserts.insert(audit)
            inserts.insert_ignoring_conflicts([_notification(complaint, now)])
            assert not Complaint.objects.filter(pk=complaint.pk).exists()  # not yet written
        assert Complaint.objects.filter(pk=complaint.pk).exists()
    sent = [prepared.readable(q["sql"]) for q in queries.captured_queries]
    writes = [s for s in sent if s.startswith("INSERT")]
    assert len(writes) == 1 and writes[0].count("INSERT INTO") == 3
    # The same rows as written one by one.
    alone = inserts.insert(_complaint(2, org, alice, now))
    assert _row(Complaint, complaint.pk) | {"updated_at": None} == (
        _row(Complaint, alone.pk) | {"updated_at": None}
    )
    assert ComplaintTransition.objects.get(pk=audit.pk).complaint_id == complaint.pk
    assert Notification.objects.filter(complaint_id=complaint.pk).count() == 1
    assert not complaint._state.adding and not audit._state.adding


@pytest.mark.django_db
def test_a_batch_sends_post_save_once_the_row_is_written(org, alice, now):
    from django.db import transaction

    seen = []

    def after(sender, instance, created, **kw):
        seen.append(Complaint.objects.filter(pk=instance.pk).exists())

    complaint = _complaint(1, org, alice, now)
    complaint.pk = _reserved(Complaint)
    post_save.connect(after, sender=Complaint)
    try:
        with transaction.atomic(), inserts.batch():
            inserts.insert(complaint)
            assert seen == []
    finally:
        post_save.disconnect(after, sender=Complaint)
    assert seen == [True]


@pytest.mark.django_db
def test_a_batch_that_raises_writes_nothing(org, alice, now):
    from django.db import transaction

    complaint = _complaint(1, org, alice, now)
    complaint.pk = _reserved(Complaint)
    with pytest.raises(ZeroDivisionError), transaction.atomic(), inserts.batch():
        inserts.insert(complaint)
        1 / 0  # noqa: B018
    assert not Complaint.objects.filter(pk=complaint.pk).exists()


@pytest.mark.django_db
def test_a_row_that_needs_its_key_back_is_written_at_once_inside_a_batch(org, alice, now):
    from django.db import transaction

    with transaction.atomic(), inserts.batch():
        complaint = inserts.insert(_complaint(1, org, alice, now))
        assert Complaint.objects.filter(pk=complaint.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_only_for_use_inside_a_transaction():
    with pytest.raises(RuntimeError), inserts.batch():
        pass
