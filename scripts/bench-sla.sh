#!/usr/bin/env bash
# The SLA sweep benchmark (make bench-sla): run inside scripts/with-test-services.sh, which
# provides a throwaway PostgreSQL with its database; migrates and runs the benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python manage.py migrate --noinput -v0
CELERY_BROKER_URL="${REDIS_URL:-filesystem://}" .venv/bin/python manage.py sla_bench "$@"
