#!/usr/bin/env bash
# `make run` / `make dev`: the whole stack on this machine, everything kept under var/.
#
#   scripts/run-local.sh run     production form: granian, DEBUG off, static files by WhiteNoise
#   scripts/run-local.sh dev     runserver with auto-reload and DEBUG on
#   scripts/run-local.sh setup   start the servers, migrate, load the demo data, stop
#
# PostgreSQL (data in var/pgdata) and Redis (var/redis) listen on Unix sockets in var/run only,
# so two checkouts never fight over a port and nothing outside this machine can reach them.
# PostgreSQL refuses to run as root: as root the cluster runs as the 'postgres' user, as in
# scripts/with-test-services.sh. Ctrl-C stops the app, then both servers; the data stays.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}
case "$mode" in run | dev | setup) ;; *) echo "usage: $0 run|dev|setup" >&2; exit 2 ;; esac

ROOT=$PWD
VAR=$ROOT/var
PY=$ROOT/.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
PGDATA_DIR=$VAR/pgdata
SOCKETS=$VAR/run
LOG=$VAR/log

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pg_bin/initdb" ] || { echo "PostgreSQL server not found (make run installs Debian's postgresql)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server not found (make run installs it)" >&2; exit 1; }
# A Unix socket's path is limited to 107 bytes (PostgreSQL's is .s.PGSQL.5432 in var/run).
if [ ${#SOCKETS} -gt 90 ]; then
  echo "the checkout's path is too long for the servers' sockets in var/run: $SOCKETS" >&2
  exit 1
fi

mkdir -p "$VAR" "$SOCKETS" "$LOG" "$VAR/redis" "$VAR/media"
as_pg=()
if [ "$(id -u)" = 0 ]; then
  as_pg=(runuser -u postgres --)
  if ! "${as_pg[@]}" test -x "$VAR"; then
    echo "PostgreSQL runs as the 'postgres' user when make is run as root, and that user cannot" >&2
    echo "reach $VAR: allow it to enter the folders above (chmod o+x), or run make as a normal user." >&2
    exit 1
  fi
  mkdir -p "$PGDATA_DIR"
  touch "$LOG/postgresql.log"
  chown postgres "$PGDATA_DIR" "$SOCKETS" "$LOG/postgresql.log"
fi

pids=()
pg_started=""
redis_started=""
stop() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    # Each stops gracefully within seconds; one that does not (a worker stuck in a task, a
    # server draining a connection) must not keep Ctrl-C waiting forever: 30 s, then KILL.
    for _ in $(seq 300); do
      alive=""
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
      [ -z "$alive" ] && break
      sleep 0.1
    done
    if [ -n "$alive" ]; then
      echo "still running 30 s after TERM, killed:$(ps -o pid=,args= -p "${alive# }" 2>/dev/null | tr '\n' ';')" >&2
      # Each was started in a session of its own: the group takes its children with it.
      for pid in $alive; do kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
    fi
    wait "${pids[@]}" 2>/dev/null || true
  fi
  if [ -n "$redis_started" ]; then
    redis_pid=$(cat "$SOCKETS/redis.pid" 2>/dev/null || true)
    redis-cli -s "$SOCKETS/redis.sock" shutdown >/dev/null 2>&1 || true
    # A refused SHUTDOWN (its log says why) must not leave a daemon behind.
    for _ in $(seq 50); do [ -n "$redis_pid" ] && kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
    [ -n "$redis_pid" ] && kill -TERM "$redis_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_started" ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
  fi
  [ "$mode" = setup ] || echo "stopped; the data stays in var/ for the next start."
}
trap stop EXIT
trap 'exit 0' INT TERM  # Ctrl-C is how this stack ends: stop() runs on the way out

# --- PostgreSQL ---------------------------------------------------------------------------
if [ ! -s "$PGDATA_DIR/PG_VERSION" ]; then
  echo "creating the PostgreSQL cluster in var/pgdata"
  "${as_pg[@]}" "$pg_bin/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
if "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
  echo "PostgreSQL in var/pgdata is already running: is another make run / make dev still up?" >&2
  exit 1
fi
# No TCP at all (listen_addresses=''): only this machine's processes, through var/run.
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$PGDATA_DIR" -l "$LOG/postgresql.log" -w -t 60 \
  -o "-c listen_addresses='' -k $SOCKETS -c max_connections=100" start >/dev/null
pg_started=1
"$pg_bin/psql" -h "$SOCKETS" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'complaints'" \
  | grep -q 1 || "$pg_bin/createdb" -h "$SOCKETS" -U postgres complaints

# --- Redis (broker and cache); the append-only file keeps queued tasks across restarts -------
if redis-cli -s "$SOCKETS/redis.sock" ping >/dev/null 2>&1; then
  echo "Redis in var/run is already running: is another make run / make dev still up?" >&2
  exit 1
fi
redis-server --port 0 --unixsocket "$SOCKETS/redis.sock" --unixsocketperm 700 \
  --dir "$VAR/redis" --appendonly yes --save "" --logfile "$LOG/redis.log" \
  --pidfile "$SOCKETS/redis.pid" --daemonize yes >/dev/null
redis_started=1
for _ in $(seq 50); do redis-cli -s "$SOCKETS/redis.sock" ping >/dev/null 2>&1 && break; sleep 0.1; done

export DATABASE_URL="postgres://postgres@/complaints?host=$SOCKETS"
export CELERY_BROKER_URL="redis+socket://$SOCKETS/redis.sock?virtual_host=0"
export REDIS_URL="unix://$SOCKETS/redis.sock?db=1"
export MEDIA_ROOT="$VAR/media"
if [ "$mode" = dev ]; then
  export DJANGO_DEBUG=true
else
  # Production settings (DEBUG off), on plain HTTP: this machine has no TLS in front.
  [ -s "$VAR/secret_key" ] || (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$VAR/secret_key")
  DJANGO_SECRET_KEY=$(cat "$VAR/secret_key")
  export DJANGO_SECRET_KEY DJANGO_DEBUG=false
  export DJANGO_ALLOWED_HOSTS=${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost,$HOST}
  export SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false SECURE_SSL_REDIRECT=false SECURE_HSTS_SECONDS=0
fi

"$PY" manage.py migrate --noinput -v 0
# The demo users' passwords are public, so seed_demo refuses production settings; it is the
# one command here that runs with DEBUG on. Idempotent: a second start adds nothing.
DJANGO_DEBUG=true "$PY" manage.py seed_demo
[ "$mode" = setup ] && exit 0
[ "$mode" = run ] && "$PY" manage.py collectstatic --noinput -v 0

# --- The app ------------------------------------------------------------------------------
# Each server in a session of its own, so that stop() is the one to signal it, once: Ctrl-C
# reaches the whole foreground group, and a second signal arriving during a Celery process's
# shutdown interrupts its exit handlers (a traceback in beat.log, a cold stop of the worker).
setsid "$ROOT/.venv/bin/celery" -A config worker --loglevel=INFO --concurrency=2 >"$LOG/worker.log" 2>&1 &
pids+=($!)
setsid "$ROOT/.venv/bin/celery" -A config beat --loglevel=INFO >"$LOG/beat.log" 2>&1 &
pids+=($!)
# The beat's first refresh of the dashboard comes a minute after it starts: ask for one now,
# so the demo data's figures are on the dashboard from the first page.
"$ROOT/.venv/bin/celery" -A config call dashboard.tasks.refresh_rollup >/dev/null
if [ "$mode" = run ]; then
  # In a session of its own too: granian's workers taking a SIGINT themselves refuse to stop
  # gracefully (30 s of waiting); stop() sends TERM.
  WEB_HOST=$HOST WEB_PORT=$PORT WEB_ACCESS_LOG=1 setsid "$PY" -m config.server >"$LOG/web.log" 2>&1 &
else
  "$PY" manage.py runserver "$HOST:$PORT" &
fi
pids+=($!)
# The demo transport system (tracking/demo_tms.py, its waybills written by seed_demo): answers
# the worker's pulls on a socket in var/run and pushes the scans to the app, signed. DEMO_TMS=0
# leaves it out, for a real TMS (TRACKING_PULL_URL, README "The waybill's journey").
if [ "${DEMO_TMS:-1}" = 1 ]; then
  push_host=$HOST; [ "$HOST" = 0.0.0.0 ] && push_host=127.0.0.1
  setsid "$PY" manage.py demo_tms --socket "$SOCKETS/demo-tms.sock" \
    --push-url "http://$push_host:$PORT/api/v1/tracking/events/" >"$LOG/demo-tms.log" 2>&1 &
  pids+=($!)
fi

healthy() {
  "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
    "http://$HOST:$PORT/healthz" 2>/dev/null
}
for _ in $(seq 120); do
  healthy && break
  kill -0 "${pids[2]}" 2>/dev/null || { echo "the web server exited; see var/log/" >&2; exit 1; }
  sleep 0.5
done
healthy || { echo "the web server does not answer on $HOST:$PORT; see var/log/" >&2; exit 1; }
cat <<EOF

  快递投诉闭环工单系统 — http://$HOST:$PORT/  ($mode: $([ "$mode" = run ] && echo "granian, DEBUG off" || echo "runserver, DEBUG on"))
  demo users agent / branch_a / branch_b / supervisor, password demo-pass-2026 (README.md)
  PostgreSQL data in var/pgdata, Redis in var/redis, logs in var/log/$([ "$mode" = run ] && echo " (web.log: the requests)")
  Ctrl-C stops everything.

EOF
wait -n "${pids[@]}"
echo "a process of the stack exited; see var/log/" >&2
exit 1
