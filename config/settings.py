"""Settings, read from the environment with safe development defaults.

Without DATABASE_URL / CELERY_BROKER_URL the defaults are the PostgreSQL and Redis that
`make run` and `make dev` start on Unix sockets in var/run (scripts/run-local.sh), so
`manage.py` commands beside a running stack need no configuration. PostgreSQL only: the
dashboard's SQL, the prepared submission and the audit triggers need it.
"""

from pathlib import Path
from urllib.parse import quote

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The default key is for development only; production sets DJANGO_SECRET_KEY.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # pg_trgm indexes for the search box (issue 20 §4)
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served locally (no CDN)
    "axes",
    "kernel",
    "complaints",
    "complaints.web",
    "complaints.api",
    "dashboard",
    "escalation",
    "compensation",
    "regulators",
    "tracking",
    "rulings",
    "enquiries",
    "playbook",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the app itself (collected into STATIC_ROOT), compressed and cached:
    # `make run` has no reverse proxy in front.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Refuses oversized API requests with 413 before anything reads the body.
    "complaints.api.middleware.ApiRequestLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Partners are API-only: refused on every staff page (complaints/web/partner_guard.py).
    "complaints.web.partner_guard.PartnerApiOnlyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A lost database connection in a view: 503 + Retry-After, not 500 (kernel.availability).
    "kernel.availability.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it locks out repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# `make run`'s cluster (scripts/run-local.sh): PostgreSQL listening on a socket in var/run.
LOCAL_SOCKETS = VAR_DIR / "run"
DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"postgres://postgres@/complaints?host={LOCAL_SOCKETS}"
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
# A kept connection is checked before each request reuses it, so after a database restart the
# first request of each worker reconnects instead of failing (issue 9, `make faults`).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
# The submission's statements are prepared once per database session (kernel.db.prepared);
# off behind a connection pooler in transaction mode, which hands sessions between clients.
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    # No second database to keep working: the dashboard's SQL, the prepared submission and the
    # audit triggers are PostgreSQL's, and SQLite made concurrent writers fail (issue 17).
    raise ImproperlyConfigured("DATABASE_URL must be a PostgreSQL URL (postgres://…).")
# The same backend, with a health check that polls the socket instead of a SELECT 1.
DATABASES["default"]["ENGINE"] = "config.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed sign-ins lock out a username whatever address they come from, and an address whatever
# usernames it tries (password spraying), each with its own limit (complaints/web/signin.py,
# issue 19 §11), for AXES_COOLOFF_HOURS. The address is the client's behind
# TRUSTED_PROXY_COUNT proxies (kernel/client_address.py; README, "Behind a proxy").
LOGIN_USERNAME_FAILURE_LIMIT = env.int("LOGIN_USERNAME_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
AXES_FAILURE_LIMIT = "complaints.web.signin.failure_limit"
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "kernel.client_address.client_address"
# How many reverse proxies (load balancer, nginx…) stand in front of the app and append to
# X-Forwarded-For; 0: clients connect directly. API_NUM_PROXIES is its older name.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=env.int("API_NUM_PROXIES", default=0))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # collectstatic writes gzip copies beside the files; WhiteNoise serves them when accepted.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Files served at the site's root (favicon.ico: browsers and the API docs ask for it there).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token authentication with the token's user, profile and permissions cached.
        "complaints.api.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF's three default parsers, JSON replaced by one that refuses deep nesting with 400.
    "DEFAULT_PARSER_CLASSES": [
        "complaints.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "kernel.api_errors.exception_handler",
    # Public endpoints are throttled per client address (complaints.api.throttling).
    "DEFAULT_THROTTLE_RATES": {
        "submit": env("API_THROTTLE_SUBMIT", default="30/min"),
        "customer": env("API_THROTTLE_CUSTOMER", default="120/min"),
        "code_guess": env("API_THROTTLE_CODE_GUESS", default="10/hour"),
        "partner": env("API_THROTTLE_PARTNER", default="6000/min"),
    },
    # How many proxies sit in front of the app (X-Forwarded-For hops to trust); 0 = none.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}

# The cache holds the API throttles' counters: Redis in production (shared by every worker),
# local memory by default so that `make run` needs nothing else.
_cache_url = env("CACHE_URL", default="") or env("REDIS_URL", default="")
if _cache_url.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            # Redis, degrading to "no cache" while Redis is down (throttles open, caches miss)
            # instead of failing the request; short socket timeouts so a hung Redis cannot
            # hold a worker (kernel.resilient_cache, `make faults`).
            "BACKEND": "kernel.resilient_cache.DegradingRedisCache",
            "LOCATION": _cache_url,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="complaints"),
            "OPTIONS": {
                "socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT", default=0.5),
                "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=1.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Request size limits (Django's defaults, 2.5 MB): under /api/ a JSON body or form above
# DATA_UPLOAD_MAX_MEMORY_SIZE is refused with 413; a multipart upload may reach
# API_MAX_REQUEST_BYTES (the evidence file itself is limited to 10 MB by complaints.attachments).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2621440)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2621440)
API_MAX_REQUEST_BYTES = env.int("API_MAX_REQUEST_BYTES", default=11 * 1024 * 1024)
# Idempotency-Key rows of submissions are kept this long (a retry after that is a new
# complaint), then purged hourly by the beat in batches (docs/api.md).
API_IDEMPOTENCY_RETENTION_HOURS = env.float("API_IDEMPOTENCY_RETENTION_HOURS", default=24.0)
API_IDEMPOTENCY_PURGE_BATCH = env.int("API_IDEMPOTENCY_PURGE_BATCH", default=5000)
SPECTACULAR_SETTINGS = {
    "TITLE": "快递投诉闭环工单系统 API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "客户、接口合作方与员工使用的投诉接口。错误统一为 "
    '{"error": {"code", "message", "fields"}}。',
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One schema name per choice set (several apps have a `status` and a `service`); without
    # these, drf_spectacular.W001 warnings made `manage.py check --deploy` noisy.
    "ENUM_NAME_OVERRIDES": {
        "ComplaintStatusEnum": "complaints.models.Status",
        "ClaimStatusEnum": "compensation.models.ClaimStatus",
        "AppealStateEnum": "regulators.models.AppealState",
        "DisputeStatusEnum": "rulings.models.DisputeStatus",
        "TemplateKindEnum": "playbook.models.TemplateKind",
        "DisputeOutcomeEnum": ["uphold", "overturn"],
        "AppealOutcomeEnum": "regulators.models.AppealOutcome",
        "ServiceEnum": "complaints.models.Service",
        # compensation.amounts.Service (a plain enum: its values are its labels)
        "CompensationServiceEnum": [
            "express",
            "postal_registered",
            "registered_letter",
            "postal_ordinary",
        ],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "complaints.api.schema.add_standard_errors",
    ],
}

# Celery's broker: CELERY_BROKER_URL, else the Redis of REDIS_URL (the tests' server), else the
# Redis that `make run` starts on a socket in var/run.
CELERY_BROKER_URL = env(
    "CELERY_BROKER_URL",
    default=env("REDIS_URL", default="") or f"redis+socket://{LOCAL_SOCKETS / 'redis.sock'}",
)
# Publishing (the outbox kick after a web request's commit) tries Redis twice and gives up at
# once: Kombu's default retries with back-off for ~6 s, which held every web worker for 6 s per
# request while Redis was down (`make faults`). The beat catch-up delivers instead. The worker's
# own consumer connection keeps retrying as before (broker_connection_* settings).
BROKER_PUBLISH_FAIL_FAST = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "socket_connect_timeout": 2,
}
# A task not acknowledged within an hour is delivered again; tasks are idempotent.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, **BROKER_PUBLISH_FAIL_FAST}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every periodic task, in one place. One beat only (two by mistake are harmless: the database
# claims decide). The SLA tasks are idempotent, so they acknowledge late and a killed worker's
# message is delivered again; the Redis visibility_timeout (1 h) is well above their limits.
_SLA_SWEEP_SECONDS = env.float("SLA_SWEEP_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    # SLA timers (SPEC §4) and the outbox that delivers what they and every change queue.
    "sla-sweep": {"task": "escalation.tasks.sla_sweep", "schedule": _SLA_SWEEP_SECONDS},
    "sla-deliver-outbox": {"task": "kernel.tasks.deliver_outbox", "schedule": _SLA_SWEEP_SECONDS},
    # Dashboard: recompute the rollup's dirty days; the monthly report goes to supervisors at
    # 07:00 on the 1st (Asia/Shanghai).
    "dashboard-refresh-rollup": {
        "task": "dashboard.tasks.refresh_rollup",
        "schedule": env.float("DASHBOARD_ROLLUP_SECONDS", default=60.0),
    },
    "dashboard-monthly-report": {
        "task": "dashboard.tasks.send_monthly_report",
        "schedule": crontab(minute=0, hour=7, day_of_month=1),
    },
    # REST API: forget Idempotency-Key rows older than API_IDEMPOTENCY_RETENTION_HOURS.
    "api-purge-idempotency-keys": {
        "task": "complaints.api.tasks.purge_idempotency_keys",
        "schedule": env.float("API_IDEMPOTENCY_PURGE_SECONDS", default=3600.0),
    },
    # Regulator appeals: remind about the company's report and mediation deadlines (SPEC §6).
    "regulators-sweep-appeal-deadlines": {
        "task": "regulators.tasks.sweep_appeal_deadlines",
        "schedule": env.int("REGULATORS_SWEEP_SECONDS", default=300),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@example.invalid")

# SLA engine and notifications (escalation app, SPEC §4 and §7).
SLA = {
    # Complaints per sweep batch (one transaction each) and a sweep's time budget.
    "SWEEP_BATCH": env.int("SLA_SWEEP_BATCH", default=1000),
    "SWEEP_TIME_BUDGET_SECONDS": env.float("SLA_SWEEP_TIME_BUDGET_SECONDS", default=45.0),
    # Pause between sweep batches, to yield to web traffic on a busy database.
    "SWEEP_PAUSE_SECONDS": env.float("SLA_SWEEP_PAUSE_SECONDS", default=0.0),
    # Threads sweeping disjoint batches at once (PostgreSQL; each uses its own connection).
    "SWEEP_WORKERS": env.int("SLA_SWEEP_WORKERS", default=2),
}

# The notification outbox (kernel.outbox): every app's messages to customers, staff, partners.
OUTBOX = {
    # Messages one delivery run sends at most (it is kicked again while more are due).
    "DELIVERY_BATCH": env.int("OUTBOX_DELIVERY_BATCH", default=500),
    # A message claimed by a worker that died is sent again after this lease (seconds).
    "SEND_LEASE_SECONDS": env.float("OUTBOX_SEND_LEASE_SECONDS", default=300.0),
    # SMS: kernel.outbox.backends.ConsoleSmsBackend (log) or …HttpSmsBackend (a gateway).
    "SMS_BACKEND": env("OUTBOX_SMS_BACKEND", default="kernel.outbox.backends.ConsoleSmsBackend"),
    "SMS_GATEWAY_URL": env("OUTBOX_SMS_GATEWAY_URL", default=""),
    "SMS_GATEWAY_KEY": env("OUTBOX_SMS_GATEWAY_KEY", default=""),
}

# Business settings (SPEC §2–3); the SLA policies themselves are data (escalation app).
COMPLAINTS = {
    # How often the branch queue and the notice badge ask for news (seconds; htmx polling).
    "QUEUE_POLL_SECONDS": env.int("COMPLAINTS_QUEUE_POLL_SECONDS", default=30),
    "NOTICE_POLL_SECONDS": env.int("COMPLAINTS_NOTICE_POLL_SECONDS", default=30),
    # A closed complaint may be reopened by the customer within this many days (SPEC §2).
    "REOPEN_WINDOW_DAYS": env.int("COMPLAINTS_REOPEN_WINDOW_DAYS", default=7),
    # An earlier complaint answered within this many days makes a new one a repeat (重复投诉).
    "REPEAT_WINDOW_DAYS": env.int("COMPLAINTS_REPEAT_WINDOW_DAYS", default=30),
    # N complaints for one unit and category within the window make a cluster → urgent (seed 001).
    "CLUSTER_SIZE": env.int("COMPLAINTS_CLUSTER_SIZE", default=3),
    "CLUSTER_WINDOW_HOURS": env.int("COMPLAINTS_CLUSTER_WINDOW_HOURS", default=24),
    # The chase that turns a general complaint urgent (二次催促, seed 001).
    "URGENT_ON_CHASE": env.int("COMPLAINTS_URGENT_ON_CHASE", default=2),
    # The shape of a tracking number after normalisation (upper case, no spaces or dashes):
    # a whole-string regex; carriers narrow it, e.g. "SF[0-9]{12}|YT[0-9]{13}" (issue 19).
    "TRACKING_NO_PATTERN": env("COMPLAINTS_TRACKING_NO_PATTERN", default=r"[A-Z0-9]{2,40}"),
}

# Evidence uploads (complaints.attachments, issue 19 §4): per file, per complaint, per client
# address per day (customers' uploads) and for the whole site per day; supervisors are told
# once a day when ALERT_SHARE of the daily budget is used. Days are Asia/Shanghai days.
EVIDENCE = {
    "MAX_FILE_BYTES": env.int("EVIDENCE_MAX_FILE_BYTES", default=10 * 1024 * 1024),
    "MAX_FILES_PER_COMPLAINT": env.int("EVIDENCE_MAX_FILES_PER_COMPLAINT", default=20),
    "MAX_BYTES_PER_COMPLAINT": env.int("EVIDENCE_MAX_BYTES_PER_COMPLAINT", default=60 * 1024**2),
    "ADDRESS_DAILY_FILES": env.int("EVIDENCE_ADDRESS_DAILY_FILES", default=60),
    "ADDRESS_DAILY_BYTES": env.int("EVIDENCE_ADDRESS_DAILY_BYTES", default=200 * 1024**2),
    "DAILY_BYTES": env.int("EVIDENCE_DAILY_BYTES", default=20 * 1024**3),
    "ALERT_SHARE": env.float("EVIDENCE_ALERT_SHARE", default=0.8),
}

# Compensation claims (SPEC §5): above this amount (yuan) only a supervisor may approve; claim
# timers from seed 003 (loss paid within 72 h of the claim, damage assessed within 48 h).
# Separation of duties (issue 19, docs/compensation.md): the threshold counts what is approved
# on a complaint in total; an agent approves at most AGENT_DAILY_APPROVAL_LIMIT a day; an
# override above the quote goes to a supervisor, above OVERRIDE_REVIEW_MULTIPLE × it is flagged;
# the payer is never the proposer, and also not the approver when PAYER_NOT_APPROVER.
COMPENSATION = {
    "APPROVAL_THRESHOLD": env.str("COMPENSATION_APPROVAL_THRESHOLD", default="500.00"),
    "AGENT_DAILY_APPROVAL_LIMIT": env.str(
        "COMPENSATION_AGENT_DAILY_APPROVAL_LIMIT", default="500.00"
    ),
    "OVERRIDE_REVIEW_MULTIPLE": env.str("COMPENSATION_OVERRIDE_REVIEW_MULTIPLE", default="3"),
    "PAYER_NOT_APPROVER": env.bool("COMPENSATION_PAYER_NOT_APPROVER", default=False),
    "LOSS_SETTLE_HOURS": env.int("COMPENSATION_LOSS_SETTLE_HOURS", default=72),
    "DAMAGE_ASSESS_HOURS": env.int("COMPENSATION_DAMAGE_ASSESS_HOURS", default=48),
}

# Error reports (DEBUG pages, mails to ADMINS) without customers' names and phones.
DEFAULT_EXCEPTION_REPORTER = "kernel.error_reports.PrivacyExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "kernel.error_reports.PrivacyExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"client_errors": {"()": "kernel.logfilters.ClientErrorsWithoutTraceback"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

if not DEBUG:
    # Production (`manage.py check --deploy` is clean with these; tests/security checks it).
    # Every value can be turned down from the environment, e.g. behind a proxy that already
    # redirects to HTTPS and sets HSTS itself.
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The load balancer's health check speaks plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preload marks the site for browsers' HTTPS-only list: a company domain that serves
    # nothing over plain HTTP; set SECURE_HSTS_PRELOAD=false before a first HTTPS rollout.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # Behind a TLS-terminating proxy: trust its X-Forwarded-Proto (only when it sets it).
    if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Regulator appeals (SPEC §6); see docs/regulators.md.
REGULATORS = {
    # Days the company has to report on a forwarded appeal: 10 under the 2020 rules, 15 before.
    "COMPANY_REPORT_DAYS": env.int("REGULATORS_COMPANY_REPORT_DAYS", default=10),
    # Hours before each deadline when the "due soon" reminder goes out.
    "LEAD_HOURS": {
        "company_report": env.int("REGULATORS_REPORT_LEAD_HOURS", default=48),
        "mediation_feedback": env.int("REGULATORS_MEDIATION_LEAD_HOURS", default=24),
        "regulator_reply": env.int("REGULATORS_REPLY_LEAD_HOURS", default=72),
    },
    "SWEEP_BATCH": env.int("REGULATORS_SWEEP_BATCH", default=200),
    # The public eligibility check, per client address (DRF throttle rate).
    "ELIGIBILITY_RATE": env("REGULATORS_ELIGIBILITY_RATE", default="30/min"),
    # The name of the company in the report to the regulator (default: the top unit's name).
    "COMPANY_NAME": env("REGULATORS_COMPANY_NAME", default=""),
}

# The waybill's journey from the transport system (TMS): push, pull, facts, routing (issue 21,
# docs/tracking.md). Without configuration it talks to the demo TMS that `make run` starts on
# a socket in var/run (tracking/demo_tms.py).
TRACKING = {
    # Push (POST /api/v1/tracking/events/): X-TMS-Signature = sha256=HMAC(secret,
    # "<X-TMS-Timestamp>.<body>"). Empty: a secret derived from SECRET_KEY, which the demo TMS
    # shares. Comma-separated to move to a new secret without a gap.
    "PUSH_SECRETS": env.list("TRACKING_PUSH_SECRETS", default=[]),
    "PUSH_MAX_SKEW_SECONDS": env.int("TRACKING_PUSH_MAX_SKEW_SECONDS", default=300),
    "PUSH_MAX_EVENTS": env.int("TRACKING_PUSH_MAX_EVENTS", default=1000),
    # Pull: GET this URL ({waybill} filled in; http://, https:// or http+unix://<socket>/…).
    "PULL_URL": env(
        "TRACKING_PULL_URL",
        default=f"http+unix://{quote(str(LOCAL_SOCKETS / 'demo-tms.sock'), safe='')}"
        "/waybills/{waybill}/events",
    ),
    "PULL_TOKEN": env("TRACKING_PULL_TOKEN", default=""),  # sent as Authorization: Bearer
    "PULL_CONNECT_TIMEOUT": env.float("TRACKING_PULL_CONNECT_TIMEOUT", default=2.0),
    "PULL_TIMEOUT": env.float("TRACKING_PULL_TIMEOUT", default=5.0),
    "PULL_MAX_ATTEMPTS": env.int("TRACKING_PULL_MAX_ATTEMPTS", default=8),
    # An agent's lookup pulls again only when the last pull is older than this.
    "PULL_FRESH_SECONDS": env.int("TRACKING_PULL_FRESH_SECONDS", default=300),
    # The circuit breaker: open after this many failures in a row, for this long.
    "BREAKER_FAILURES": env.int("TRACKING_BREAKER_FAILURES", default=5),
    "BREAKER_COOLDOWN_SECONDS": env.int("TRACKING_BREAKER_COOLDOWN_SECONDS", default=60),
    # 滞留: hours without a scan, per service (complaints.models.Service), before it is flagged.
    "STUCK_HOURS": env.json(
        "TRACKING_STUCK_HOURS",
        default={
            "express": 24,
            "postal_registered": 48,
            "registered_letter": 48,
            "postal_ordinary": 72,
        },
    ),
    # A TMS's own scan codes → our scan types, on top of tracking.journey_rules.SCAN_ALIASES.
    "SCAN_ALIASES": env.json("TRACKING_SCAN_ALIASES", default={}),
    # Monthly partitions of the scans: kept this many months, created this many ahead.
    "RETENTION_MONTHS": env.int("TRACKING_RETENTION_MONTHS", default=18),
    "PARTITIONS_AHEAD": env.int("TRACKING_PARTITIONS_AHEAD", default=3),
    # The demo TMS (make run): its data, written by seed_demo, and where it pushes.
    "DEMO_DATA": env.path("TRACKING_DEMO_DATA", default=str(VAR_DIR / "demo-tms.json")),
    "DEMO_PUSH_URL": env(
        "TRACKING_DEMO_PUSH_URL", default="http://127.0.0.1:8000/api/v1/tracking/events/"
    ),
}
CELERY_BEAT_SCHEDULE.update(
    {
        # Pulls owed and not kicked (broker down, worker restarted); then the 滞留 flags.
        "tracking-pull-catch-up": {
            "task": "tracking.tasks.pull_due",
            "schedule": env.float("TRACKING_PULL_CATCH_UP_SECONDS", default=60.0),
        },
        "tracking-sweep-stuck": {
            "task": "tracking.tasks.sweep_stuck",
            "schedule": env.float("TRACKING_STUCK_SWEEP_SECONDS", default=600.0),
        },
        # The scans' monthly partitions: the next months created, the expired ones dropped.
        "tracking-partitions": {
            "task": "tracking.tasks.maintain_partitions",
            "schedule": crontab(minute=17, hour=3),
        },
    }
)

# Enquiries (查件/咨询) kept apart from complaints (issue 23): an open enquiry becomes a complaint
# after RESOLVE_HOURS, or when the same customer asks again about the same waybill within
# REPEAT_DAYS. The sweep converts the timed-out ones.
ENQUIRIES = {
    "RESOLVE_HOURS": env.int("ENQUIRIES_RESOLVE_HOURS", default=24),
    "REPEAT_DAYS": env.int("ENQUIRIES_REPEAT_DAYS", default=30),
    "SWEEP_BATCH": env.int("ENQUIRIES_SWEEP_BATCH", default=200),
}
CELERY_BEAT_SCHEDULE["enquiries-convert-timed-out"] = {
    "task": "enquiries.tasks.convert_timed_out",
    "schedule": env.float("ENQUIRIES_SWEEP_SECONDS", default=300.0),
}
