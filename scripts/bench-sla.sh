#!/usr/bin/env bash
# The SLA sweep benchmark (make bench-sla): run inside scripts/with-test-services.sh, which
# provides a throwaway PostgreSQL; creates its database, migrates and runs the benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python - <<'PY'
import os
import urllib.parse

import psycopg2

url = urllib.parse.urlparse(os.environ["DATABASE_URL"])
conn = psycopg2.connect(host=url.hostname, port=url.port, user=url.username, dbname="postgres")
conn.autocommit = True
conn.cursor().execute(f'CREATE DATABASE "{url.path.lstrip("/")}"')
PY
.venv/bin/python manage.py migrate --noinput -v0
CELERY_BROKER_URL="${REDIS_URL:-filesystem://}" .venv/bin/python manage.py sla_bench "$@"
