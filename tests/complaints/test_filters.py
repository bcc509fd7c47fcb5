"""complaints.filters: each filter keeps exactly the complaints it names (issue 20 §3).

One fixed set of complaints, each differing from a plain one in one way; the table says which
of them each filter keeps. Time is passed in (NOW, Monday 10:00 in Shanghai), so the deadline
windows are exact.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.http import QueryDict

from complaints import filters
from complaints.models import Complaint
from kernel.errors import InvalidInput

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)  # 10:00 Asia/Shanghai
# Midnight in Shanghai is 16:00 UTC the day before.
END_OF_TODAY = datetime(2026, 11, 16, 16, 0, tzinfo=UTC)

# name → the fields that make it differ from "plain" (open, normal, phone, due in 2 days).
ROWS = {
    "plain": {},
    "verifying": {"status": "verifying"},
    "loss": {"category": "loss"},
    "urgent": {"priority": "urgent"},
    "repeat": {"repeat_count": 1},
    "chased": {"chase_count": 2},
    "escalated": {"is_escalated": True},
    "external": {"is_external": True, "channel": "regulator"},
    "overdue": {"next_deadline": NOW - timedelta(minutes=1)},
    "due_3h": {"next_deadline": NOW + timedelta(hours=3)},
    "due_tonight": {"next_deadline": END_OF_TODAY - timedelta(minutes=1)},
    "due_tomorrow": {"next_deadline": END_OF_TODAY + timedelta(minutes=1)},
    "api": {"channel": "api"},
    "mine": {"handler": "me"},
    "bobs": {"handler": "bob"},
    "last_week": {"accepted_at": datetime(2026, 11, 9, 15, 59, tzinfo=UTC)},  # 11-09 23:59
    "next_day": {"accepted_at": datetime(2026, 11, 9, 16, 0, tzinfo=UTC)},  # 11-10 00:00
}

CASES = [
    ("", set(ROWS)),
    ("status=verifying", {"verifying"}),
    ("status=verifying&status=accepted", set(ROWS)),
    ("category=loss", {"loss"}),
    ("priority=urgent", {"urgent"}),
    ("flag=urgent", {"urgent"}),
    ("flag=repeat", {"repeat"}),
    ("flag=chased", {"chased"}),
    ("flag=escalated", {"escalated"}),
    ("flag=external", {"external"}),
    ("flag=external&flag=chased", set()),  # flags are all required
    ("due=overdue", {"overdue"}),
    ("due=4h", {"due_3h"}),  # not the overdue one: it is due already
    ("due=today", {"overdue", "due_3h", "due_tonight"}),  # the Shanghai day, not UTC's
    ("channel=api", {"api"}),
    ("channel=api&channel=regulator", {"api", "external"}),
    ("handler=me", {"mine"}),
    ("handler=none", set(ROWS) - {"mine", "bobs"}),
    ("accepted_to=2026-11-09", {"last_week"}),  # whole days of Shanghai, inclusive
    ("accepted_from=2026-11-10&accepted_to=2026-11-10", {"next_day"}),
    ("category=loss&status=verifying", set()),
]


@pytest.fixture
def rows(make_complaint, alice, bob, now):
    made = {}
    for i, (name, fields) in enumerate(ROWS.items()):
        complaint = make_complaint(tracking_no=f"SF{i:010d}", phone=f"1390000{i:04d}")
        values = {
            "status": "accepted",
            "priority": "normal",
            "category": "delay",
            "channel": "phone",
            "repeat_count": 0,
            "repeat_of": None,
            "urgent_reasons": [],
            "accepted_at": datetime(2026, 11, 12, 2, 0, tzinfo=UTC),
            "next_deadline": NOW + timedelta(days=2),
            **fields,
        }
        if values.get("handler") == "me":
            values["handler"] = alice
        elif values.get("handler") == "bob":
            values["handler"] = bob
        Complaint.objects.filter(pk=complaint.pk).update(**values)
        made[complaint.pk] = name
    return made


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[c[0] or "none" for c in CASES])
def test_it_keeps_exactly_the_complaints_a_filter_names(rows, alice, query, expected):
    chosen = filters.parse(QueryDict(query))
    kept = filters.apply(Complaint.objects.all(), chosen, user=alice, now=NOW)
    assert {rows[pk] for pk in kept.values_list("pk", flat=True)} == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("category=<script>", "category"),
        ("priority=urgent&priority=normal", "priority"),
        ("flag=vip", "flag"),
        ("due=yesterday", "due"),
        ("channel=fax", "channel"),
        ("handler=everyone", "handler"),
        ("handler=99999999999999999999", "handler"),
        ("handler=-1", "handler"),
        ("accepted_from=2026-13-01", "accepted_from"),
        ("accepted_from=1900-01-01", "accepted_from"),
        ("accepted_from=2026-11-10&accepted_to=2026-11-01", "accepted_to"),
        ("status=" + "&status=".join(f"s{i}" for i in range(25)), "status"),
    ],
)
def test_it_refuses_an_unknown_value_with_a_chinese_message(query, field):
    with pytest.raises(InvalidInput) as caught:
        filters.parse(QueryDict(query))
    assert field in caught.value.field_errors
    assert caught.value.message.startswith(("筛选条件", "筛选条件有误"))


def test_it_ignores_what_is_not_a_filter_and_empty_values():
    chosen = filters.parse(QueryDict("cursor=abc&size=50&page=3&status=&due="))
    assert not chosen
    assert chosen.querystring() == ""


def test_it_writes_one_canonical_query_string_that_reads_back_the_same():
    query = "due=today&flag=chased&status=verifying&accepted_from=2026-11-01&handler=none"
    chosen = filters.parse(query)
    assert filters.parse(chosen.querystring()) == chosen
    assert chosen.querystring() == (
        "status=verifying&flag=chased&due=today&handler=none&accepted_from=2026-11-01"
    )
    assert chosen.accepted_from == date(2026, 11, 1)


def test_it_reads_a_dict_as_an_api_body_would_send_it():
    chosen = filters.parse({"flag": ["urgent", "repeat"], "due": "4h", "handler": 7})
    assert chosen.flag == ("urgent", "repeat") and chosen.due == "4h" and chosen.handler == "7"
    with pytest.raises(InvalidInput):
        filters.parse({"flag": {"a": 1}})
