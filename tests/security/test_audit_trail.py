"""The audit trails cannot be changed or deleted: not through the ORM, not with raw SQL on
PostgreSQL (row triggers from the migrations), not through the admin even as a superuser.

Trails: ComplaintTransition and PersonalDataAccess (complaints 0002), ClaimEvent
(compensation 0002), AppealEvent (regulators 0002). Claims and appeals themselves are kept
(never deleted) by the same migrations.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client

from compensation.models import Claim, ClaimEvent
from complaints import services
from complaints.models import Complaint, ComplaintTransition, PersonalDataAccess
from regulators.models import Appeal, AppealEvent
from tests.unchanged import nothing_changed

TRAILS = [
    pytest.param(ComplaintTransition, "reason", id="complaint-transition"),
    pytest.param(PersonalDataAccess, "purpose", id="personal-data-access"),
    pytest.param(ClaimEvent, "reason", id="claim-event"),
    pytest.param(AppealEvent, "reason", id="appeal-event"),
]


@pytest.fixture
def trail_world(world, bob):
    complaint = Complaint.objects.get(ticket_no=world.ticket_no)
    services.complaint_reveal_personal_data(complaint=complaint, by=bob, purpose="回访")
    return world


def _refused(callable_) -> bool:
    try:
        with transaction.atomic():
            callable_()
    except Exception:  # PermissionError from the model, or the trigger's error from PostgreSQL
        return True
    return False


@pytest.mark.parametrize(("model", "text_field"), TRAILS)
def test_it_refuses_changes_through_the_orm(trail_world, model, text_field):
    row = model.objects.order_by("pk").first()
    before = getattr(row, text_field)

    def save_changed():
        setattr(row, text_field, "篡改")
        row.save()

    assert _refused(save_changed)
    assert _refused(lambda: model.objects.filter(pk=row.pk).update(**{text_field: "篡改"}))
    assert _refused(lambda: model.objects.get(pk=row.pk).delete())
    assert _refused(lambda: model.objects.all().delete())
    assert _refused(lambda: model.objects.bulk_update([row], [text_field]))
    assert model.objects.get(pk=row.pk).__dict__[text_field] == before


@pytest.mark.parametrize(("model", "text_field"), TRAILS)
def test_it_refuses_changes_in_sql_on_postgresql(trail_world, model, text_field):
    """Even code that skips the ORM (or a DBA's slip) meets the trigger."""
    assert connection.vendor == "postgresql"
    table = model._meta.db_table
    row = model.objects.order_by("pk").first()
    for sql in (
        f"UPDATE {table} SET {text_field} = 'x' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [row.pk])
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize(
    ("model", "table"), [(Claim, "compensation_claim"), (Appeal, "regulators_appeal")]
)
def test_it_never_deletes_claims_or_appeals(trail_world, model, table):
    row = model.objects.get()
    with (
        pytest.raises(Exception, match=r"append-only|kept"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row.pk])
    assert model.objects.filter(pk=row.pk).exists()


ADMIN_TRAILS = [
    ("complaints", "complainttransition", ComplaintTransition),
    ("complaints", "personaldataaccess", PersonalDataAccess),
    ("regulators", "appealevent", AppealEvent),
]


@pytest.mark.parametrize(("app", "name", "model"), ADMIN_TRAILS)
def test_it_shows_trails_read_only_in_the_admin_even_to_a_superuser(
    trail_world, sam, app, name, model
):
    sam.is_staff = sam.is_superuser = True
    sam.save()
    client = Client()
    client.force_login(sam)
    row = model.objects.order_by("pk").first()
    base = f"/admin/{app}/{name}/"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}{row.pk}/delete/").status_code == 403
    with nothing_changed():
        posted = client.post(f"{base}{row.pk}/change/", {"reason": "篡改", "purpose": "篡改"})
        bulk = client.post(
            base, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
        )
    assert posted.status_code == 403, posted.status_code
    assert bulk.status_code == 200, bulk.status_code
    assert client.get(f"{base}add/").status_code == 403
    assert model.objects.filter(pk=row.pk).exists()
    fresh = model.objects.get(pk=row.pk)
    assert "篡改" not in {getattr(fresh, "reason", ""), getattr(fresh, "purpose", "")}


def test_it_shows_claim_events_only_inside_the_read_only_claim(trail_world, sam):
    sam.is_staff = sam.is_superuser = True
    sam.save()
    client = Client()
    client.force_login(sam)
    claim = Claim.objects.get()
    assert client.get(f"/admin/compensation/claim/{claim.pk}/delete/").status_code == 403
    assert client.get("/admin/compensation/claimevent/").status_code == 404
    assert ClaimEvent.objects.filter(claim=claim).exists()
