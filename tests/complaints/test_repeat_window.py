"""The repeat window (30 days, SPEC §3) between the 29 and 90 days the other tests use.

A complaint answered 45 days ago is history, not an open matter: a new complaint about it is
not a repeat. (The window's edges — at 30 days and one second past — are tested with the other
windows in the rules' tests.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest

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


# The window's edge (SPEC §3: "answered recently"; settings COMPLAINTS REPEAT_WINDOW_DAYS = 30),
# counted from the earlier complaint's last answer or closing, whichever is later: at exactly
# 30 days it is still a repeat, one second later it is a new matter. The days are a literal
# here, not the setting, so widening the window fails this test.
WINDOW = timedelta(days=30)
S = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("after_closing", "is_repeat"),
    [
        pytest.param(WINDOW - S, True, id="30-days-minus-1s"),
        pytest.param(WINDOW, True, id="exactly-30-days"),
        pytest.param(WINDOW + S, False, id="30-days-plus-1s"),
    ],
)
@pytest.mark.parametrize("match", ["same-waybill", "same-phone-and-category"])
def test_the_repeat_window_is_thirty_days_from_the_closing(
    make_complaint, alice, bob, org, now, after_closing, is_repeat, match
):
    first = bring_to(
        "closed", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    at = first.closed_at + after_closing
    if match == "same-waybill":
        second = make_complaint(phone="13955556666", at=at)
    else:
        second = make_complaint(tracking_no="NEW30", at=at)
    assert second.repeat_of_id == (first.pk if is_repeat else None)
