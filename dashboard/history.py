"""A large synthetic complaint history, written by INSERT … SELECT in the database (fast).

Two years of complaints spread over a company, regions and branches, every category and
state, with the SLA breach rows and compensation claims the real system would hold, then the
rollup rebuilt. All data is synthetic: names 合成客户, phones 199…, waybills HS….
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from complaints.models import Unit

from .rollup import rollup_rebuild

REGIONS = 6
BRANCHES_PER_REGION = 10
BATCH = 200_000

# One row per generated number g. `u` is a per-row random number split into independent
# digits of chance; the acceptance time leans to daytime hours and to weekdays.
COMPLAINTS = """
INSERT INTO complaints_complaint (
  ticket_no, status, channel, tracking_no, complainant_name, phone, party, category,
  description, demand, demand_detail, service, insured, unit_id, priority, urgent_reasons,
  key_account, urgent_contents, is_escalated, is_external, chase_count, repeat_count,
  access_code_hash, accepted_at, updated_at, dispatched_at, first_response_due, resolution_due,
  follow_up_due, statutory_due, next_deadline, paused_seconds, first_response_at,
  first_answered_at, answered_at, follow_up_at, closed_at, ended_at, reopened_at, justified,
  satisfied, rating
)
SELECT
  'HS' || lpad(g::text, 14, '0'), st, ch, 'HS' || lpad(g::text, 12, '0'), '合成客户',
  '199' || lpad((g %% 100000000)::text, 8, '0'), 'recipient', cat, '合成历史数据', '', '',
  'express', false, CASE WHEN st = 'accepted' OR (st = 'rejected') THEN NULL ELSE unit END,
  pri, '[]'::jsonb, false, false, r3 < 0.02, ch = 'regulator', 0, (r3 > 0.97)::int,
  md5(g::text) || md5(g::text), acc, acc, acc + interval '20 minutes',
  acc + fr_h, acc + res_h, acc + ans + fr_h, acc + interval '7 days',
  CASE WHEN st IN ('accepted','verifying','answered','follow_up') THEN acc + res_h END, 0,
  CASE WHEN st NOT IN ('accepted','rejected') AND acc + resp < now() THEN acc + resp END,
  CASE WHEN st IN ('answered','follow_up','closed') THEN acc + ans END,
  CASE WHEN st IN ('answered','follow_up','closed') THEN acc + ans END,
  CASE WHEN st = 'closed' THEN acc + ans + fu END,
  CASE WHEN st = 'closed' THEN acc + ans + fu END,
  CASE WHEN st IN ('rejected','withdrawn') THEN LEAST(acc + interval '3 hours', now()) END,
  CASE WHEN st = 'closed' AND r2 < 0.06 THEN acc + ans + fu - interval '2 hours' END,
  CASE WHEN st IN ('answered','follow_up','closed') THEN r2 < 0.55 END,
  CASE WHEN st = 'closed' THEN r4 > 0.12 END,
  CASE WHEN st = 'closed' AND r4 < 0.3 THEN (1 + floor(r4 * 16))::int END
FROM (
  SELECT t.*,
    CASE WHEN r4 < 0.04 THEN 'rejected'
         WHEN r4 < 0.08 THEN 'withdrawn'
         WHEN acc + ans + fu < now() AND r4 >= 0.085 THEN 'closed'
         WHEN acc + ans + fu < now() THEN 'verifying'
         WHEN acc + ans < now() THEN CASE WHEN r1 < 0.5 THEN 'answered' ELSE 'follow_up' END
         WHEN acc + resp < now() OR r1 < 0.7 THEN 'verifying'
         ELSE 'accepted' END AS st
  FROM (
    SELECT g, acc, r1, r2, r3, r4,
      (%(units)s::int[])[1 + floor(r1 * %(n_units)s)::int] AS unit,
      (ARRAY['delay','delay','delay','loss','damage','short','misdelivery','attitude','fee',
             'other'])[1 + floor(r2 * 10)::int] AS cat,
      CASE WHEN r3 < 0.01 THEN 'regulator'
           ELSE (ARRAY['phone','phone','api','web','counter','email'])[1 + floor(r4 * 6)::int]
      END AS ch,
      CASE WHEN r3 < 0.04 THEN 'urgent' ELSE 'normal' END AS pri,
      CASE WHEN r3 < 0.04 THEN interval '2 hours' ELSE interval '24 hours' END AS fr_h,
      CASE WHEN r3 < 0.04 THEN interval '12 hours' ELSE interval '72 hours' END AS res_h,
      (r2 * r2 * 30) * interval '1 hour' AS resp,
      (2 + r1 * r1 * 90) * interval '1 hour' AS ans,
      (1 + r3 * 30) * interval '1 hour' AS fu
    FROM (
      SELECT g, r1, r2, r3, r4,
        CASE WHEN a > now() THEN a - interval '1 day' ELSE a END AS acc
      FROM (
        SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
          date_trunc('day', now() - random() * interval '730 days')
            + (CASE WHEN random() < 0.85 THEN 8 + random() * 13 ELSE random() * 24 END)
              * interval '1 hour' AS a
        FROM generate_series(%(start)s, %(stop)s) AS g
      ) AS raw
    ) AS dated
  ) AS t
) AS rows
"""

BREACHES = """
INSERT INTO escalation_slaevent (complaint_id, timer, kind, level, timer_started_at, due_at,
  scheduled_at, fired_at, overdue_seconds, unit_id, priority, policy_name)
SELECT c.id, t.timer, 'breach', 0, c.accepted_at, t.due, t.due, t.due + interval '1 minute',
       60, c.unit_id, c.priority, '合成'
  FROM complaints_complaint c
 CROSS JOIN LATERAL (VALUES
   ('first_response', c.first_response_due, c.first_response_at),
   ('resolution', c.resolution_due, c.answered_at)) AS t(timer, due, stopped)
 WHERE c.id BETWEEN %(lo)s AND %(hi)s AND t.due < now()
   AND (t.stopped > t.due OR (t.stopped IS NULL AND c.status IN
        ('accepted','verifying','answered','follow_up')))
"""

CLAIMS = """
INSERT INTO compensation_claim (complaint_id, status, service, incident, insured, freight,
  addon_fees, delay_days, force_majeure, goods_nature_or_sender_fault, carrier_gross_negligence,
  limit_clause_shown, value_evidence, policy_id, policy_snapshot, quoted_amount, basis, steps,
  needs_review, review_reasons, override_reason, amount, proposed_by_id, proposed_at, note,
  decided_by_id, decided_at, rejection_reason, paid_by_id, paid_at, paid_on, payment_reference)
SELECT c.id, s.st, 'express', CASE c.category WHEN 'loss' THEN 'loss' ELSE 'partial_damage' END,
       false, 12.00, 0, 0, false, false, false, true, true, %(policy)s, '{}'::jsonb, s.amt,
       'contract', '[]'::jsonb, false, '[]'::jsonb, '', s.amt, %(user)s, c.first_answered_at, '',
       CASE WHEN s.st <> 'proposed' THEN %(user)s END,
       CASE WHEN s.st <> 'proposed' THEN c.first_answered_at + interval '6 hours' END, '',
       CASE WHEN s.st = 'paid' THEN %(user)s END,
       CASE WHEN s.st = 'paid' THEN c.first_answered_at + interval '30 hours' END,
       CASE WHEN s.st = 'paid' THEN (c.first_answered_at + interval '30 hours')::date END,
       CASE WHEN s.st = 'paid' THEN 'HS-PAY-' || c.id ELSE '' END
  FROM complaints_complaint c
 CROSS JOIN LATERAL (SELECT
     CASE WHEN c.status <> 'closed' THEN 'proposed' WHEN c.id %% 10 = 0 THEN 'rejected'
          ELSE 'paid' END AS st,
     round((20 + (c.id %% 97) * 7.3)::numeric, 2) AS amt) AS s
 WHERE c.id BETWEEN %(lo)s AND %(hi)s AND c.category IN ('loss','damage')
   AND c.first_answered_at IS NOT NULL AND c.id %% 3 = 0
"""

CLAIM_EVENTS = """
INSERT INTO compensation_claimevent (claim_id, at, actor_id, action, from_status, to_status,
  amount, reason, details)
SELECT cl.id, e.at, %(user)s, e.action, e.from_s, e.to_s, cl.amount, '', '{}'::jsonb
  FROM compensation_claim cl
 CROSS JOIN LATERAL (VALUES
   ('propose', cl.proposed_at, '', 'proposed', true),
   ('approve', cl.decided_at, 'proposed', 'approved', cl.status = 'paid'),
   ('reject', cl.decided_at, 'proposed', 'rejected', cl.status = 'rejected'),
   ('pay', cl.paid_at, 'approved', 'paid', cl.status = 'paid')) AS e(action, at, from_s, to_s, ok)
 WHERE cl.complaint_id BETWEEN %(lo)s AND %(hi)s AND e.ok
"""


def ensure_units() -> list[int]:
    """The synthetic organisation: one company, 6 regions, 60 branches (codes HS-…)."""
    company, _ = Unit.objects.get_or_create(
        code="HS", defaults={"name": "合成快递公司", "kind": Unit.Kind.COMPANY}
    )
    branches = []
    for r in range(1, REGIONS + 1):
        region, _ = Unit.objects.get_or_create(
            code=f"HS-R{r}",
            defaults={"name": f"合成区域{r}", "kind": Unit.Kind.REGION, "parent": company},
        )
        for b in range(1, BRANCHES_PER_REGION + 1):
            branch, _ = Unit.objects.get_or_create(
                code=f"HS-R{r}-B{b:02d}",
                defaults={
                    "name": f"合成区域{r}第{b}营业部",
                    "kind": Unit.Kind.BRANCH,
                    "parent": region,
                },
            )
            branches.append(branch.pk)
    return branches


def generate_history(*, count: int, progress=print) -> None:
    from compensation.models import CompensationPolicy

    units = ensure_units()
    user, _ = get_user_model().objects.get_or_create(username="history_generator")
    policy = CompensationPolicy.objects.order_by("pk").first()
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(max(id), 0) FROM complaints_complaint")
        base = cur.fetchone()[0]
        cur.execute("SELECT COALESCE(max(substr(ticket_no, 3)::bigint), 0) FROM "
                    "complaints_complaint WHERE ticket_no LIKE 'HS%%'")  # fmt: skip
        serial = cur.fetchone()[0]
    done = 0
    while done < count:
        n = min(BATCH, count - done)
        with transaction.atomic(), connection.cursor() as cur:
            params = {"start": serial + done + 1, "stop": serial + done + n,
                      "units": units, "n_units": len(units)}  # fmt: skip
            cur.execute(COMPLAINTS, params)
            cur.execute(
                "SELECT min(id), max(id) FROM complaints_complaint WHERE ticket_no "
                "BETWEEN %s AND %s",
                [
                    "HS" + str(params["start"]).rjust(14, "0"),
                    "HS" + str(params["stop"]).rjust(14, "0"),
                ],
            )
            lo, hi = cur.fetchone()
            # A few repeats: the complaint just before about the same customer.
            cur.execute(
                "UPDATE complaints_complaint SET repeat_of_id = id - 1 "
                "WHERE id BETWEEN %s AND %s AND repeat_count = 1 AND id - 1 > %s",
                [lo, hi, base],
            )
            cur.execute(BREACHES, {"lo": lo, "hi": hi})
            if policy is not None:
                ids = {"lo": lo, "hi": hi, "policy": policy.pk, "user": user.pk}
                cur.execute(CLAIMS, ids)
                cur.execute(CLAIM_EVENTS, ids)
        done += n
        progress(f"complaints {done:,}/{count:,}")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    progress("rebuilding the daily rollup …")
    rows = rollup_rebuild(
        progress=lambda first, last, total: progress(f"rollup {first}…{last}: {total:,} rows")
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE complaints_dashboard_dailyrollup")
    progress(f"done: {count:,} complaints, {rows:,} rollup rows")
