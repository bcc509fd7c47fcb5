# The two commands a newcomer needs: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

# System packages the tests need: PostgreSQL and Redis servers, Chromium and Chinese fonts;
# pango for WeasyPrint (the print view's PDF, issue 20 §5).
TEST_APT_PACKAGES := postgresql redis-server chromium fonts-noto-cjk gettext libpango-1.0-0 libpangoft2-1.0-0
# What `make run` / `make dev` start (scripts/run-local.sh), and the PDF's pango and fonts.
RUN_APT_PACKAGES := postgresql redis-server gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk

.PHONY: run dev run-deps test lint fmt check install install-dev system-deps apt-install migrate seed clean bench-sla bench-api

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed assets
install-dev: $(VENV)/.installed-dev assets

## Front-end assets (Bootstrap, htmx) from the npm registry at install time, never a CDN:
## `npm ci` installs the locked versions, the dist files are copied into static/vendor/ (gitignored).
.PHONY: assets bench-queue
VENDOR := static/vendor
$(VENDOR)/.installed: package.json package-lock.json
	@command -v npm >/dev/null || $(MAKE) --no-print-directory apt-install APT_PACKAGES=npm
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/htmx
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map $(VENDOR)/bootstrap/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map $(VENDOR)/bootstrap/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	mkdir -p $(VENDOR)/echarts && cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	touch $@

assets: $(VENDOR)/.installed

## Install the system packages the tests need, when missing and we may (root or sudo).
system-deps:
	@$(MAKE) --no-print-directory apt-install APT_PACKAGES="$(TEST_APT_PACKAGES)"

apt-install:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; \
	  else echo "missing system packages:$$missing (install them as root)"; exit 1; fi; \
	  echo "installing system packages:$$missing"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi

run-deps:
	@$(MAKE) --no-print-directory apt-install APT_PACKAGES="$(RUN_APT_PACKAGES)"

## Migrate and load the demo data into var/pgdata (starts and stops PostgreSQL and Redis).
migrate seed: run-deps install
	scripts/run-local.sh setup

## The production stack on http://$(HOST):$(PORT) until Ctrl-C: PostgreSQL (var/pgdata) and Redis
## (var/redis) on sockets in var/run, granian with DEBUG off, a Celery worker and beat, demo data.
run: run-deps install messages
	HOST=$(HOST) PORT=$(PORT) scripts/run-local.sh run

## The same servers and data with Django's runserver (auto-reload) and DEBUG on, for development.
dev: run-deps install messages
	HOST=$(HOST) PORT=$(PORT) scripts/run-local.sh dev

## Lint, then run the whole suite against throwaway PostgreSQL and Redis, in a random order
## (pytest-randomly): the header and the closing lines print the seed; rerun that order with
## `make test PYTEST_ARGS="--randomly-seed=N"`, or without shuffling with `-p no:randomly`.
test: system-deps install-dev messages lint
	scripts/with-test-services.sh $(PY) -m pytest $(PYTEST_ARGS)

## Mutation testing (mutmut; not part of `make test`): the pure rule modules, then the lifecycle
## and claim services, each in its copy under var/mutmut/ (its cache makes a rerun incremental).
## `make mutate MUTATE_ARGS=rules` runs one group. Scores and survivors: docs/mutation.md.
.PHONY: mutate
mutate: system-deps install-dev
	scripts/with-test-services.sh $(PY) -m tests.mutation $(MUTATE_ARGS)

## The English catalogues (*.po → *.mo; msgfmt is Debian's gettext). Fails on a broken catalogue.
.PHONY: messages
messages: install
	@command -v msgfmt >/dev/null || $(MAKE) --no-print-directory apt-install APT_PACKAGES=gettext
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules >/dev/null

## The benchmarks, one line each: what it measures, its target, where the figures are documented.
## None is part of `make test`; each starts what it needs. The code is under benchmarks/.
.PHONY: bench
bench:
	@echo "make bench-api         submissions and staff list over HTTP, 1M complaints: ≥ 400/s at p95 ≤ 150 ms, list p95 ≤ 100 ms, with a token ≥ 350/s at p95 ≤ 40 ms   docs/api.md"
	@echo "make bench-sla         the SLA sweep, 1M open complaints: 10,000 due ≤ 5 s, 100,000 backlog ≤ 30 s   docs/integration-notes.md"
	@echo "make bench-queue       the branch work queue page, 1M complaints: p95 ≤ 100 ms   README (Work lists)"
	@echo "make bench-bulk        one bulk action (dispatch, note) on 50 complaints: ≤ 2 s   README (Work lists)"
	@echo "make bench-search      the search box, 1M complaints: partial phone and phrase p95 ≤ 300 ms   README"
	@echo "make bench-dashboard   dashboard endpoints p95 ≤ 300 ms, a month's Excel ≤ 10 s   docs/dashboard.md"
	@echo "make bench-regulators  regulator statistics, appeal sweep and list: timings and plans, no target"
	@echo "make bench-fail-fast   giving up on a dead Redis: cache < 0.5 s, broker < 1.5 s   benchmarks/bench_fail_fast.py"
	@echo "make bench-tracking    push ingestion of scan events: ≥ 2,000 events/s   docs/tracking.md"
	@echo "make soak / faults     the whole stack at 400/s and under faults: every check passes   docs/reliability.md"

## SLA sweep benchmark on a throwaway PostgreSQL: 1 million open complaints (not part of test).
bench-sla: system-deps install-dev
	LOG_LEVEL=WARNING scripts/with-test-services.sh $(PY) -m benchmarks.bench_sla $(BENCH_ARGS)

## API benchmark (not part of `make test`): 1M complaints, the web server, open-loop load on 127.0.0.1.
## PostgreSQL runs durable here (fsync, synchronous commit), unlike the throwaway test cluster.
bench-api: system-deps install-dev
	PG_EXTRA_OPTS="-c fsync=on -c synchronous_commit=on -c full_page_writes=on -c shared_buffers=512MB" \
	  scripts/with-test-services.sh benchmarks/bench-api.sh

## ruff, the import contract (.importlinter, docs/architecture.md), mypy and pending migrations.
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

fmt: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## Server time of the branch queue page on a large database (own PostgreSQL; not part of `make test`).
## BENCH_COMPLAINTS rows are bulk-inserted once; override e.g. `make bench-queue BENCH_COMPLAINTS=200000`.
BENCH_COMPLAINTS ?= 1000000
bench-queue: install-dev
	BENCH_COMPLAINTS=$(BENCH_COMPLAINTS) scripts/with-test-services.sh $(PY) -m benchmarks.bench_queue

## One bulk action on 50 complaints through the API (issue 20 §3: ≤ 2 s on PostgreSQL; not part of `make test`).
.PHONY: bench-bulk
bench-bulk: install-dev
	LOG_LEVEL=WARNING scripts/with-test-services.sh $(PY) -m benchmarks.bench_bulk

## The search box on 1M complaints (issue 20 §4): partial phone, phrase, name (not part of `make test`).
.PHONY: bench-search
bench-search: install-dev
	BENCH_COMPLAINTS=$(BENCH_COMPLAINTS) LOG_LEVEL=WARNING scripts/with-test-services.sh $(PY) -m benchmarks.bench_search

clean:
	rm -rf var/celerybeat-schedule* .pytest_cache

## Wall-clock checks moved out of `make test` (which counts attempts instead): a dead Redis.
.PHONY: bench-fail-fast
bench-fail-fast: install-dev
	$(PY) -m benchmarks.bench_fail_fast

.PHONY: bench-regulators
## Benchmark regulator statistics, the appeal deadline sweep and the appeals list (not in `make test`).
bench-regulators: system-deps install-dev
	scripts/with-test-services.sh $(PY) -m pytest -q -p no:cacheprovider benchmarks/bench_regulators.py

## Dashboard endpoints and Excel export on a large synthetic history (own PostgreSQL; not part of
## `make test`). BENCH_HISTORY complaints are generated once with COPY.
.PHONY: bench-dashboard
BENCH_HISTORY ?= 1000000
bench-dashboard: install-dev
	BENCH_HISTORY=$(BENCH_HISTORY) LOG_LEVEL=WARNING scripts/with-test-services.sh $(PY) -m benchmarks.bench_dashboard

## Reliability (issue 9; not part of `make test`): the whole stack on this machine — durable
## PostgreSQL, Redis, the web server, Celery worker and beat — under open-loop load on 127.0.0.1.
## `make soak`: SOAK_RATE submissions/s (400) for SOAK_MINUTES (10, at most 30).
## `make faults`: PostgreSQL restart, Redis outage, worker SIGKILL, two beats, full media disk.
## Exit non-zero when a check fails; everything started is stopped on exit. docs/reliability.md.
.PHONY: soak faults reliability-deps
SOAK_RATE ?= 400
SOAK_MINUTES ?= 10
# SOAK_PROXY=1: nginx in front of the web server, as the reverse proxy of production.
SOAK_PROXY ?= 0
reliability-deps: system-deps install-dev
	@if [ "$(SOAK_PROXY)" = 1 ]; then $(MAKE) --no-print-directory apt-install APT_PACKAGES=nginx; fi

soak: reliability-deps
	SOAK_PROXY=$(SOAK_PROXY) SOAK_RATE=$(SOAK_RATE) SOAK_MINUTES=$(SOAK_MINUTES) $(PY) -m benchmarks.reliability soak

faults: reliability-deps
	$(PY) -m benchmarks.reliability faults

## Push ingestion of waybill scans (signed pushes, deduplicated, into the monthly partitions) on a
## durable PostgreSQL preloaded with BENCH_TRACKING_PRELOAD events (not part of `make test`).
.PHONY: bench-tracking
bench-tracking: install-dev
	PG_EXTRA_OPTS="-c fsync=on -c synchronous_commit=on -c full_page_writes=on -c shared_buffers=512MB" \
	  scripts/with-test-services.sh $(PY) -m benchmarks.bench_tracking
