#!/usr/bin/env bash
# The API benchmark (`make bench-api`), run inside scripts/with-test-services.sh with durable
# PostgreSQL settings: 1 million complaints generated with COPY, the web server as production
# runs it (config/server.py) on a free loopback port, then an open-loop generator at a fixed arrival rate against submission and the staff
# list, and a closed loop of kept-alive connections submitting with a partner's and a staff
# member's token (issue 25: every request answered, rows stored == requests acknowledged; exits
# non-zero otherwise). Everything it starts is stopped on exit. Tunables (environment):
#   BENCH_COMPLAINTS (1000000) BENCH_WORKERS (2) BENCH_THREADS (2) BENCH_SECONDS (10)
#   BENCH_SUBMIT_RATES ("100 200 300 400") BENCH_LIST_RATES ("50 100"), empty to skip the step
#   BENCH_CLOSED_CONNECTIONS (8) BENCH_CLOSED_SECONDS (30), 0 seconds to skip the closed loop
#   BENCH_CLOSED_ORDER ("partner staff anonymous"): which closed loops run, in this order
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
COUNT=${BENCH_COMPLAINTS:-1000000}
WORKERS=${BENCH_WORKERS:-2}
THREADS=${BENCH_THREADS:-2}
SECONDS_EACH=${BENCH_SECONDS:-10}
SUBMIT_RATES=${BENCH_SUBMIT_RATES-100 200 300 400}
LIST_RATES=${BENCH_LIST_RATES-50 100}
CONNECTIONS=${BENCH_CLOSED_CONNECTIONS:-8}
CLOSED_SECONDS=${BENCH_CLOSED_SECONDS:-30}
CLOSED_ORDER=${BENCH_CLOSED_ORDER:-partner staff anonymous}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

$PY - <<'PY'
import os, psycopg2
url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
conn = psycopg2.connect(url); conn.autocommit = True
cursor = conn.cursor()
# scripts/with-test-services.sh creates it nowadays; older copies of that script did not.
cursor.execute("SELECT 1 FROM pg_database WHERE datname = 'complaints'")
if cursor.fetchone() is None:
    cursor.execute("CREATE DATABASE complaints")
PY
export DJANGO_DEBUG=false DJANGO_SECRET_KEY=bench-only LOG_LEVEL=WARNING
export SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false SECURE_SSL_REDIRECT=false
# As in production: the outbox kicks go to Redis (without this they went to the development
# filesystem broker, which does not exist here, and every kick logged a traceback).
export CELERY_BROKER_URL="$REDIS_URL"
# One generator address sends every submission: lift the per-address limit (it still runs).
export API_THROTTLE_SUBMIT=1000000/min API_THROTTLE_PARTNER=1000000/min
$PY manage.py migrate -v0 --noinput
echo "generating $COUNT complaints…"
t0=$(date +%s)
$PY manage.py generate_complaints --count "$COUNT" | tail -n 1
echo "generated in $(( $(date +%s) - t0 )) s"
# A database in service has been vacuumed; a freshly bulk-loaded one has not, and autovacuum
# would spend the first minutes of the measurement setting hint bits on a million rows.
$PY manage.py dbshell -- -qc "VACUUM (ANALYZE) complaints_complaint" >/dev/null
tokens=$($PY manage.py shell -v 0 -c "
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from complaints.models import Role, StaffProfile, Unit
User = get_user_model()
agent = User.objects.create_user('bench-agent')
StaffProfile.objects.create(user=agent, role=Role.AGENT)
branch = User.objects.create_user('bench-branch')
StaffProfile.objects.create(user=branch, role=Role.BRANCH, unit=Unit.objects.get(code='GEN-00'))
# The closed loop's submitters: a partner and an agent of their own, whose rows it counts.
partner = User.objects.create_user('bench-partner')
StaffProfile.objects.create(user=partner, role=Role.PARTNER)
staff = User.objects.create_user('bench-staff')
StaffProfile.objects.create(user=staff, role=Role.AGENT)
print(*(Token.objects.create(user=u).key for u in (agent, branch, partner, staff)))
")
read -r agent_token branch_token partner_token staff_token <<<"$tokens"
echo "query plans on $COUNT complaints:"
$PY manage.py shell -v 0 -c "
from django.utils import timezone
from complaints import services
from complaints.api.pagination import page
from complaints.models import Complaint, Unit
import time
qs = Complaint.objects.select_related('unit')
unit = Unit.objects.get(code='GEN-00')
for label, q in [('list, whole company', qs), ('list, one unit', qs.filter(unit=unit)),
                 ('list, verifying+loss', qs.filter(status='verifying', category='loss'))]:
    t = time.perf_counter(); rows, _ = page(q, cursor=None, size=25)
    print(f'  {label}: {len(rows)} rows in {(time.perf_counter() - t) * 1000:.1f} ms')
t = time.perf_counter()
services.find_earlier_complaint(tracking_no='NEW', phone='19811112222', category='delay', now=timezone.now())
print(f'  repeat lookup on submission: {(time.perf_counter() - t) * 1000:.1f} ms')
"

WEB_HOST=127.0.0.1 WEB_PORT=$port WEB_CONCURRENCY=$WORKERS WEB_THREADS=$THREADS \
  $PY -m config.server >"${TMPDIR:-/tmp}/bench-web-$port.log" 2>&1 &
web_pid=$!
trap 'kill $web_pid 2>/dev/null; wait $web_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

base="http://127.0.0.1:$port/api/v1/complaints/"
gen() { timeout $((SECONDS_EACH + 60)) $PY benchmarks/api_load.py "$@"; }
# Let the server finish what an overloaded step left queued before the next step starts.
drain() {
  for _ in $(seq 60); do
    t=$(curl -s -o /dev/null -m 5 -w '%{time_total}' "http://127.0.0.1:$port/healthz" || echo 9)
    awk "BEGIN{exit !($t < 0.05)}" && return 0
    sleep 1
  done
}
# The closed loop's checks: every request answered with 201, and the complaints stored during
# the step are exactly the acknowledged ones (counted by submitter: a user, or anonymous).
stored() {  # $1: the submitting user's name, empty for anonymous
  BENCH_USER="$1" $PY manage.py shell -v 0 -c "
import os
from complaints.models import Complaint
user = os.environ['BENCH_USER']
print(Complaint.objects.filter(**({'created_by__username': user} if user else {'created_by': None})).count())
"
}
check_closed() {  # $1: the generator's JSON line, $2: rows stored during the step
  RESULT="$1" STORED="$2" $PY - <<'PY'
import json, os
r, stored = json.loads(os.environ["RESULT"]), int(os.environ["STORED"])
checks = {
    "every request answered": r["answered"] == r["sent"],
    "every answer 201": r["statuses"] == {"201": r["sent"]},
    "rows stored == requests acknowledged": stored == r["ok"],
}
print(f"  sent {r['sent']}, answered {r['answered']}, acknowledged {r['ok']}, stored {stored}")
for name, ok in checks.items():
    print(f"  {name}: {'pass' if ok else 'FAIL'}")
target = r["ok_per_s"] >= 350 and r["p95_ms"] <= 40
print(f"  target ≥ 350/s at p95 ≤ 40 ms: {'met' if target else 'missed'}")
raise SystemExit(0 if all(checks.values()) else 1)
PY
}
failed=0
closed_loop() {  # $1: label, $2: token (empty: anonymous), $3: its user, $4: first number
  drain
  echo "== closed loop, $1: $CONNECTIONS kept-alive connections for ${CLOSED_SECONDS}s =="
  before=$(stored "$3")
  result=$(timeout $((CLOSED_SECONDS + 60)) $PY benchmarks/api_load.py --url "$base" --kind submit \
    --connections "$CONNECTIONS" --seconds "$CLOSED_SECONDS" --first "$4" \
    ${2:+--header "Authorization: Token $2"})
  echo "$result"
  check_closed "$result" $(( $(stored "$3") - before )) || failed=1
}
agent="Authorization: Token $agent_token"
branch="Authorization: Token $branch_token"
echo "web: $WORKERS processes × $THREADS threads (config/server.py); $(nproc) cores shared with the generator and other work"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
gen --url "$base" --kind submit --rate 20 --seconds 3 >/dev/null   # warm-up
gen --url "$base?page_size=25" --kind list --rate 20 --seconds 2 --header "$agent" >/dev/null
drain
echo "== unloaded latency (5 requests/s) =="
gen --url "$base" --kind submit --rate 5 --seconds 6
gen --url "$base?page_size=25" --kind list --rate 5 --seconds 6 --header "$agent"
for rate in $SUBMIT_RATES; do
  drain
  echo "== submission at $rate/s for ${SECONDS_EACH}s =="
  gen --url "$base" --kind submit --rate "$rate" --seconds "$SECONDS_EACH"
done
if [ "$CLOSED_SECONDS" != 0 ]; then
  # Numbers far from the open-loop steps': their phones and waybills are new, not repeats.
  round=0
  for who in $CLOSED_ORDER; do
    first=$(( 10000000 * (round + 1) ))  # a fresh block of numbers per step: no repeats
    round=$(( round + 1 ))
    case $who in
      partner) closed_loop "partner token" "$partner_token" bench-partner $first ;;
      staff) closed_loop "staff token" "$staff_token" bench-staff $first ;;
      anonymous) closed_loop "anonymous (for comparison)" "" "" $first ;;
    esac
    echo "  web processes' memory: $(ps -o rss= --ppid $web_pid | awk '{s+=$1} END {printf "%.0f MB", s/1024}')"
  done
fi
for rate in $LIST_RATES; do
  drain
  echo "== staff list at $rate/s: agent, whole company, nearest deadline first, 25 per page =="
  gen --url "$base?page_size=25" --kind list --rate "$rate" --seconds "$SECONDS_EACH" --header "$agent"
  drain
  echo "== staff list at $rate/s: branch staff, their unit only =="
  gen --url "$base?page_size=25" --kind list --rate "$rate" --seconds "$SECONDS_EACH" --header "$branch"
  drain
  echo "== staff list at $rate/s: filtered (status=verifying&category=loss) =="
  gen --url "$base?page_size=25&status=verifying&category=loss" --kind list --rate "$rate" \
    --seconds "$SECONDS_EACH" --header "$agent"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$failed"
