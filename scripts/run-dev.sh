#!/usr/bin/env bash
# Run the development stack: web server, Celery worker and Celery beat, until Ctrl-C.
# Uses the embedded defaults (SQLite, filesystem broker) unless DATABASE_URL / CELERY_BROKER_URL
# say otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p var/broker/queue var/broker/processed var/log

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

.venv/bin/celery -A config worker --loglevel=INFO --concurrency=2 --pool=prefork \
  >var/log/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A config beat --loglevel=INFO >var/log/beat.log 2>&1 &
pids+=($!)
echo "Celery worker (pid ${pids[0]}) and beat (pid ${pids[1]}) started; logs in var/log/."
echo "Open http://${HOST:-127.0.0.1}:${PORT:-8000}/ — demo users are listed in README.md."
$PY manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}" --noreload &
pids+=($!)
wait -n "${pids[@]}"
