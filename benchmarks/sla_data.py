"""Synthetic open complaints for the SLA benchmark and the worker tests, written fast.

Every complaint runs on the default normal policy (calendar hours, 24 h first response,
warning at 80 %). "Due" complaints were accepted just over 19.2 h ago, so exactly their
first-response warning is due; the others were accepted less than that ago, so their next
check lies in the future. All data is synthetic (phones 199…, names 测试客户…).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection

from kernel.clock import WorkCalendar, day_period_end

WARNING_AFTER = timedelta(hours=24 * 0.8)


def _columns():
    from complaints.models import Complaint

    return [f for f in Complaint._meta.concrete_fields if not f.primary_key]


def generate(
    *,
    count: int,
    due: int,
    now: datetime,
    owner_id: int | None,
    prefix: str = "BENCH",
    extra_due_events: bool = False,
) -> int:
    """Insert `count` open complaints, `due` of them with an SLA event due at `now`.

    With extra_due_events, due complaints were accepted 30 h ago instead: warning, breach and
    level-1 escalation of the first response are all due (three events each).
    """
    from complaints.models import Complaint

    calendar = WorkCalendar()
    statutory_by_day: dict = {}
    fields = _columns()
    names = [f.column for f in fields]
    defaults = {
        "status": "accepted",
        "channel": "phone",
        "complainant_name": "测试客户",
        "party": "recipient",
        "category": "delay",
        "description": "快件超时未送达（基准测试合成数据）",
        "demand": "",
        "demand_detail": "",
        "service": "express",
        "insured": False,
        "priority": "normal",
        "urgent_reasons": "[]",
        "key_account": False,
        "urgent_contents": False,
        "is_escalated": False,
        "is_external": False,
        "chase_count": 0,
        "repeat_count": 0,
        "paused_seconds": 0,
        "access_code_hash": "0" * 64,
        "owner_id": owner_id,
        "created_by_id": owner_id,
        "updated_at": now,
    }
    day_key = now.astimezone(UTC).strftime("%Y%m%d")

    def row(i: int) -> dict:
        if i < due:
            if extra_due_events:
                accepted = now - timedelta(hours=30, seconds=i % 50)
                check = accepted + WARNING_AFTER
            else:
                accepted = now - WARNING_AFTER - timedelta(seconds=i % 50)
                check = accepted + WARNING_AFTER
        else:
            accepted = now - timedelta(seconds=(i * 7919) % int(WARNING_AFTER.total_seconds() - 60))
            check = accepted + WARNING_AFTER
        day = accepted.date()
        if day not in statutory_by_day:
            statutory_by_day[day] = day_period_end(accepted, 7, calendar=calendar).astimezone(UTC)
        values = dict(defaults)
        values.update(
            {
                "ticket_no": f"{prefix}{day_key}{i:09d}",
                "tracking_no": f"{prefix}{i:010d}",
                "phone": f"199{i % 100000000:08d}",
                "accepted_at": accepted,
                "first_response_due": accepted + timedelta(hours=24),
                "resolution_due": accepted + timedelta(hours=72),
                "statutory_due": statutory_by_day[day],
                "next_deadline": accepted + timedelta(hours=24),
                "sla_next_check": check,
            }
        )
        return values

    if connection.vendor != "postgresql":
        objs = []
        for i in range(count):
            values = row(i)
            values["urgent_reasons"] = []
            objs.append(Complaint(**{f.attname: values.get(f.attname) for f in fields}))
        Complaint.objects.bulk_create(objs, batch_size=1000)
        return count

    # One INSERT … SELECT over generate_series: the rows never pass through Python. The
    # statutory due is 24:00 Shanghai of the 7th day, without the holiday roll (bench data).
    table = Complaint._meta.db_table
    warning = WARNING_AFTER.total_seconds()
    spread = int(warning - 60)
    if extra_due_events:
        due_accepted = "%(now)s - interval '30 hours' - (g %% 50) * interval '1 second'"
    else:
        due_accepted = (
            "%(now)s - %(warning)s * interval '1 second' - (g %% 50) * interval '1 second'"
        )
    expressions = {
        "ticket_no": "%(prefix)s || %(day)s || lpad(g::text, 9, '0')",
        "tracking_no": "%(prefix)s || lpad(g::text, 10, '0')",
        "phone": "'199' || lpad((g %% 100000000)::text, 8, '0')",
        "accepted_at": "a.accepted",
        "first_response_due": "a.accepted + interval '24 hours'",
        "resolution_due": "a.accepted + interval '72 hours'",
        "statutory_due": (
            "(date_trunc('day', a.accepted AT TIME ZONE 'Asia/Shanghai') + interval '8 days')"
            " AT TIME ZONE 'Asia/Shanghai'"
        ),
        "next_deadline": "a.accepted + interval '24 hours'",
        "sla_next_check": "a.accepted + %(warning)s * interval '1 second'",
        "urgent_reasons": "'[]'::jsonb",
    }
    params = {
        "now": now,
        "warning": warning,
        "prefix": prefix,
        "day": day_key,
        "due": due,
        "count": count,
        "spread": spread,
    }
    select = []
    for f in fields:
        if f.attname in expressions:
            select.append(expressions[f.attname])
        else:
            key = f"v_{f.attname}"
            params[key] = defaults.get(f.attname)
            select.append(f"%({key})s")
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) "  # nosec B608  # the model's table and columns; values are parameters
        f"SELECT {', '.join(select)} FROM generate_series(0, %(count)s - 1) AS g(i) "
        "CROSS JOIN LATERAL (SELECT CASE WHEN g.i < %(due)s THEN "
        + due_accepted.replace("g %%", "g.i %%")
        + " ELSE %(now)s - ((g.i::bigint * 7919) %% %(spread)s) * interval '1 second'"
        + " END AS accepted) a"
    )
    sql = sql.replace("lpad(g::text", "lpad(g.i::text").replace(
        "(g %% 100000000)", "(g.i %% 100000000)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return count
