#!/usr/bin/env bash
# The API benchmark (`make bench-api`), run inside scripts/with-test-services.sh with durable
# PostgreSQL settings: 1 million complaints generated with COPY, gunicorn on a free loopback
# port, then an open-loop generator at a fixed arrival rate against submission and the staff
# list. Everything it starts is stopped on exit. Tunables (environment):
#   BENCH_COMPLAINTS (1000000) BENCH_WORKERS (4) BENCH_SECONDS (20)
#   BENCH_SUBMIT_RATE (400) BENCH_LIST_RATE (100)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
COUNT=${BENCH_COMPLAINTS:-1000000}
WORKERS=${BENCH_WORKERS:-4}
SECONDS_EACH=${BENCH_SECONDS:-20}
SUBMIT_RATE=${BENCH_SUBMIT_RATE:-400}
LIST_RATE=${BENCH_LIST_RATE:-100}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

$PY - <<'PY'
import os, psycopg2
url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
conn = psycopg2.connect(url); conn.autocommit = True
conn.cursor().execute("CREATE DATABASE complaints")
PY
export DJANGO_DEBUG=false DJANGO_SECRET_KEY=bench-only LOG_LEVEL=WARNING
export SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false
# One generator address sends every submission: lift the per-address limit (it still runs).
export API_THROTTLE_SUBMIT=1000000/min API_THROTTLE_PARTNER=1000000/min
$PY manage.py migrate -v0 --noinput
echo "generating $COUNT complaints…"
t0=$(date +%s)
$PY manage.py generate_complaints --count "$COUNT" | tail -n 1
echo "generated in $(( $(date +%s) - t0 )) s"
tokens=$($PY manage.py shell -v 0 -c "
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from complaints.models import Role, StaffProfile, Unit
User = get_user_model()
agent = User.objects.create_user('bench-agent')
StaffProfile.objects.create(user=agent, role=Role.AGENT)
branch = User.objects.create_user('bench-branch')
StaffProfile.objects.create(user=branch, role=Role.BRANCH, unit=Unit.objects.get(code='GEN-00'))
print(Token.objects.create(user=agent).key, Token.objects.create(user=branch).key)
")
read -r agent_token branch_token <<<"$tokens"

.venv/bin/gunicorn config.wsgi -b "127.0.0.1:$port" -w "$WORKERS" --timeout 30 \
  --graceful-timeout 5 --log-level warning >"${TMPDIR:-/tmp}/bench-gunicorn-$port.log" 2>&1 &
gunicorn_pid=$!
trap 'kill $gunicorn_pid 2>/dev/null; wait $gunicorn_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

base="http://127.0.0.1:$port/api/v1/complaints/"
gen() { timeout $((SECONDS_EACH + 60)) $PY scripts/bench_api.py "$@"; }
echo "gunicorn: $WORKERS sync workers; $(nproc) cores; generator on the same machine"
gen --url "$base" --kind submit --rate 20 --seconds 3 >/dev/null   # warm-up
gen --url "$base?page_size=25" --kind list --rate 20 --seconds 2 \
  --header "Authorization: Token $agent_token" >/dev/null
echo "submission:"
gen --url "$base" --kind submit --rate "$SUBMIT_RATE" --seconds "$SECONDS_EACH"
echo "staff list, agent (whole company, nearest deadline first, 25 per page):"
gen --url "$base?page_size=25" --kind list --rate "$LIST_RATE" --seconds "$SECONDS_EACH" \
  --header "Authorization: Token $agent_token"
echo "staff list, branch staff (their unit only):"
gen --url "$base?page_size=25" --kind list --rate "$LIST_RATE" --seconds "$SECONDS_EACH" \
  --header "Authorization: Token $branch_token"
echo "staff list, filtered (status=verifying&category=loss):"
gen --url "$base?page_size=25&status=verifying&category=loss" --kind list --rate "$LIST_RATE" \
  --seconds "$SECONDS_EACH" --header "Authorization: Token $agent_token"
