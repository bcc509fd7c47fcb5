"""make run's demo data: what each role finds on the first start (seed_demo and features' seeders).

The regulator's indicators count this month's appeals, and 判责/考核 show rulings, from the first
start; a second run adds nothing.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from complaints.models import Complaint, Status
from regulators.models import Appeal, AppealOutcome, AppealState
from rulings.models import LedgerEntry, Ruling, Verdict

pytestmark = pytest.mark.django_db(transaction=False)


def _seed(settings) -> str:
    settings.DEBUG = True  # seed_demo refuses production settings (public passwords)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_has_this_months_appeals_in_three_stages(settings):
    _seed(settings)
    today = timezone.localdate()
    appeals = list(
        Appeal.objects.filter(case_no__startswith=f"DEMO-{today:%Y%m}-").order_by("case_no")
    )
    assert [a.state for a in appeals] == [
        AppealState.RECEIVED,
        AppealState.REPORTED,
        AppealState.CLOSED,
    ]
    assert appeals[2].outcome == AppealOutcome.RESOLVED
    # Counted in this month by the indicators (they count by the company's receipt).
    assert all(
        timezone.localtime(a.received_at).date().replace(day=1) == today.replace(day=1)
        for a in appeals
    )
    # A closed complaint the regulator forwarded is back in handling (issue 18 §9).
    assert all(a.complaint.status != Status.CLOSED for a in appeals[:1])


def test_the_demo_has_rulings_with_their_ledger(settings):
    _seed(settings)
    rulings = list(Ruling.objects.filter(complaint__tracking_no__startswith="DEMO").order_by("pk"))
    assert [r.verdict for r in rulings] == [Verdict.AT_FAULT, Verdict.PARTLY, Verdict.NOT_AT_FAULT]
    # A fault ruling charges the unit at fault; 有理由投诉 follows the verdict.
    assert LedgerEntry.objects.filter(ruling__in=rulings[:2]).count() >= 2
    assert [r.complaint.justified for r in rulings] == [True, True, False]


def test_a_second_run_adds_no_appeals_or_rulings(settings):
    _seed(settings)
    counts = Appeal.objects.count(), Ruling.objects.count(), Complaint.objects.count()
    _seed(settings)
    assert (Appeal.objects.count(), Ruling.objects.count(), Complaint.objects.count()) == counts
