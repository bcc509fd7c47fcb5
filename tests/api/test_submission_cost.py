"""What one submission costs in SQL statements: a ceiling, so that the count cannot creep back.

The statements of an anonymous submission without a unit (BEGIN … COMMIT): one opening read
(the repeat lookup, the day's ticket number, the reference-data version for the urgency rules
and the deadlines, and the primary keys of the complaint and its audit row), then one round trip
writing the complaint, its audit row and its outbox rows (kernel.db.inserts.batch).
With a unit: the unit, the cluster count (once, for the urgency and the cluster's other members)
and the unit's staff for the assignment notice.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import Complaint, Phrase
from kernel.db import prepared

from .conftest import SUBMISSION, token_client

URL = "/api/v1/complaints/"
MAX_STATEMENTS = 4
MAX_STATEMENTS_WITH_UNIT = 7


def _submit(api, n: int, **fields):  # api: the anonymous client or a partner's
    body = {**SUBMISSION, "tracking_no": f"SF90000{n:05d}", "phone": f"1390000{n:04d}", **fields}
    with CaptureQueriesContext(connection) as queries:
        response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    # Prepared statements are sent as EXECUTE name(…): read them as the SQL they run.
    return [prepared.readable(q["sql"]) for q in queries.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_it_submits_a_complaint_in_a_bounded_number_of_statements(api, org):
    _submit(api, 1)  # the day's first: creates its ticket sequence, fills the caches
    statements = _submit(api, 2)
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    assert statements[0] == "BEGIN" and statements[-1] == "COMMIT"  # one transaction
    (writes,) = [s for s in statements if s.startswith("INSERT")]  # one round trip writes
    tables = ["complaints_complaint", "complaints_complainttransition", "escalation_notification"]
    assert [t for t in tables if f'INSERT INTO "{t}"' in writes] == tables


@pytest.mark.django_db(transaction=True)
def test_it_submits_to_a_unit_in_a_bounded_number_of_statements(org, bob, pat):
    partner = token_client(pat)  # only partners and staff may name the unit (issue 19 §2)
    _submit(partner, 1, unit="A")
    statements = _submit(partner, 2, unit="A")
    assert len(statements) <= MAX_STATEMENTS_WITH_UNIT, "\n".join(statements)


@pytest.mark.django_db(transaction=True)
def test_it_sees_a_new_phrase_at_once_though_the_phrases_are_cached(api, org):
    _submit(api, 1)
    Phrase.objects.create(kind=Phrase.Kind.URGENT_THREAT, text="找测评博主")
    _submit(api, 2, description="再不处理我就去找测评博主。")
    assert Complaint.objects.get(tracking_no="SF9000000002").priority == "urgent"
    Phrase.objects.filter(text="找测评博主").update(is_active=False)
    _submit(api, 3, description="再不处理我就去找测评博主。")
    assert Complaint.objects.get(tracking_no="SF9000000003").priority == "normal"


@pytest.mark.django_db(transaction=True)
def test_a_repeat_costs_no_more_statements_and_locks_what_it_repeats(api, org):
    """The opening read finds the earlier complaint and takes the lock its foreign key needs
    (FOR KEY SHARE) in the same statement."""
    _submit(api, 1)
    statements = _submit(api, 1, tracking_no="SF9000000001")  # the same waybill again
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    assert "FOR KEY SHARE" in statements[1]
    repeat = Complaint.objects.order_by("-id").first()
    assert repeat.repeat_of.tracking_no == "SF9000000001" and repeat.repeat_count == 1
