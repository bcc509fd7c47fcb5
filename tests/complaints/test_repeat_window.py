"""The repeat window (30 days, SPEC §3) between the 29 and 90 days the other tests use.

A complaint answered 45 days ago is history, not an open matter: a new complaint about it is
not a repeat. (The window's edges — at 30 days and one second past — are tested with the other
windows in the rules' tests.)
"""

from __future__ import annotations

from datetime import timedelta

from tests.complaints.helpers import bring_to


def test_it_does_not_link_to_a_complaint_answered_45_days_ago(make_complaint, alice, bob, org, now):
    first = bring_to(
        "closed", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    same_phone_and_category = make_complaint(tracking_no="NEW45", at=now + timedelta(days=45))
    assert same_phone_and_category.repeat_of is None
    same_waybill = make_complaint(phone="13955556666", at=now + timedelta(days=45, hours=1))
    assert same_waybill.repeat_of is None
    assert first.repeat_count == 0
