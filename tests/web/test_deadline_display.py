"""Deadlines read the way people count days: a day period ends at 24:00 of its last day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from complaints.web.templatetags.console import deadline


@pytest.mark.parametrize(
    ("due", "shown"),
    [
        # 民法典 art. 203: accepted 2026-11-16 → the 7-day answer is due by the end of 11-23.
        pytest.param(datetime(2026, 11, 23, 16, 0, tzinfo=UTC), "11月23日 24:00", id="end-of-day"),
        pytest.param(datetime(2026, 11, 17, 2, 0, tzinfo=UTC), "11月17日 10:00", id="hours"),
        pytest.param(None, "—", id="no-deadline"),
    ],
)
def test_it_shows_a_deadline_in_shanghai_time(due, shown):
    assert deadline(due) == shown


def test_the_ticket_page_shows_the_statutory_answer_ending_at_24(client, make_complaint, alice):
    complaint = make_complaint()
    client.force_login(alice)
    page = client.get(f"/tickets/{complaint.ticket_no}/").content.decode()
    assert "11月23日 24:00" in page
    assert "11月24日 00:00" not in page
