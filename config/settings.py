"""Settings, read from the environment (12-factor, via django-environ).

DATABASE_URL             default: a SQLite file in var/ of the project
HUBSPOT_ACCESS_TOKEN     the private-app / OAuth bearer token (never logged)
HUBSPOT_API_BASE_URL     default https://api.hubapi.com
HUBSPOT_MIRROR_ENV_FILE  the .env file to read (default: .env at the project root; empty:
                         none). A variable set in the environment wins over the file.

A bad value (a number that is not one, out of range, a URL without a scheme or host) stops
start-up with ImproperlyConfigured naming every bad variable: manage.py and the celery
command print it as one line and exit 1.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import environ

from config.environment import EnvironmentReader

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
reader = EnvironmentReader()
ENV_FILE = os.environ.get("HUBSPOT_MIRROR_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE:
    reader.read_env_file(ENV_FILE, explicit="HUBSPOT_MIRROR_ENV_FILE" in os.environ)

DEBUG = reader.flag("DJANGO_DEBUG", False)
# Signs the web side's sessions and CSRF tokens: the web server refuses to start without it
# while DEBUG is off (environment.check_web_settings, called by config/wsgi.py and
# gunicorn.conf.py). Commands and workers run without it, on the fixed fallback, which also
# keys the OAuth grant's encryption (ingestion/base/grants.py): set the same value for every
# process of a deployment, or none of them.
SECRET_KEY_SET = bool(os.environ.get("DJANGO_SECRET_KEY", "").strip())
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip() or "insecure-local-only-key"
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost"])
# Behind a proxy that terminates TLS (docs/operations.md#deploying-the-web-side): the
# https:// origins the admin's forms are posted from (its login fails CSRF verification
# otherwise), the header by which the proxy says a request came over https (e.g.
# X-Forwarded-Proto: only set it when the proxy always sets or strips it), secure cookies,
# the redirect to https, and HSTS.
CSRF_TRUSTED_ORIGINS = reader.url_list("DJANGO_CSRF_TRUSTED_ORIGINS")
proxy_ssl_header = reader.header_name("DJANGO_SECURE_PROXY_SSL_HEADER")
if proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = (proxy_ssl_header, "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = reader.flag("DJANGO_SECURE_COOKIES", False)
SECURE_SSL_REDIRECT = reader.flag("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = reader.number("DJANGO_HSTS_SECONDS", 0, whole=True, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = reader.flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = reader.flag("DJANGO_HSTS_PRELOAD", False)

INSTALLED_APPS = [
    "django.contrib.admin",  # operators' view (/admin/, /status/): ingestion/admin.py
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ingestion",
    "django_celery_beat",  # schedules in the database (setup_hubspot_schedule), editable in /admin/
]
MIDDLEWARE = [
    # /health/ and /metrics first: probes reach the process by names not in ALLOWED_HOSTS.
    "ingestion.ops.probes.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's CSS/JS under gunicorn, runserver and the live test server alike.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # the webhook view is exempt (it is signed)
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# The admin's static files: WhiteNoise serves them straight from the apps (finders), so
# neither collectstatic nor DEBUG is needed; `collectstatic` fills STATIC_ROOT if wanted.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
WHITENOISE_USE_FINDERS = True
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

(BASE_DIR / "var").mkdir(exist_ok=True)
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing one
DATABASES = {
    "default": reader.database("DATABASE_URL",
                               default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets a reader (a report, the admin) work while a sync writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 30)
    # BEGIN IMMEDIATE: a writer waits (up to `timeout`) for the write lock when its transaction
    # starts, instead of failing with "database is locked" when a read turns into a write.
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    # Tests on SQLite use a file (one per test process), so that tests of real processes
    # (signals, locks) can open the same database as the test that started them.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test_db_{os.getpid()}.sqlite3")}
else:
    # One test database per test process, so concurrent test runs cannot drop each other's.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

HUBSPOT_ACCESS_TOKEN = env("HUBSPOT_ACCESS_TOKEN", default="")
# OAuth (an app installed in the portal), instead of HUBSPOT_ACCESS_TOKEN: access tokens are
# obtained and refreshed from the refresh token (ingestion/sync/hubspot/auth.py).
HUBSPOT_CLIENT_ID = env("HUBSPOT_CLIENT_ID", default="")
HUBSPOT_CLIENT_SECRET = env("HUBSPOT_CLIENT_SECRET", default="")
HUBSPOT_REFRESH_TOKEN = env("HUBSPOT_REFRESH_TOKEN", default="")
HUBSPOT_API_BASE_URL = reader.http_url("HUBSPOT_API_BASE_URL", default="https://api.hubapi.com")
# Which HubSpot paths to call: date-versioned (2026-09, 2026-03) or `legacy` (/crm/v3, v4:
# v4 associations unsupported from 2027-03-30, every v1-v4 path from September 2027).
HUBSPOT_API_VERSION = reader.choice("HUBSPOT_API_VERSION", "2026-09",
                                    ("2026-09", "2026-03", "legacy"))
# Pacing: the general limit is learnt from HubSpot's X-HubSpot-RateLimit-* headers unless
# set here; search has no headers, so its budget (5/s, docs/hubspot-api.md#search) is configured.
HUBSPOT_REQUESTS_PER_10S = reader.number("HUBSPOT_REQUESTS_PER_10S", None, whole=True, minimum=1)
# 0 turns pacing off (e.g. against a local emulator without limits).
HUBSPOT_SEARCH_REQUESTS_PER_SECOND = reader.number("HUBSPOT_SEARCH_REQUESTS_PER_SECOND", 5,
                                                   whole=True, minimum=0)
# Each request is tried this many times (the first included) while its failure is
# retriable (429, 5xx, dropped connection, malformed reply; timeouts: 3 at most).
HUBSPOT_MAX_ATTEMPTS = reader.number("HUBSPOT_MAX_ATTEMPTS", 8, whole=True, minimum=1)
# Seconds before the first retry; each later wait doubles (with as much jitter), up to a
# minute, and is never shorter than HubSpot's Retry-After.
HUBSPOT_RETRY_INITIAL_WAIT = reader.number("HUBSPOT_RETRY_INITIAL_WAIT", 0.5, minimum=0)
# Seconds a request may take (connecting: at most 10 of them).
HUBSPOT_TIMEOUT = reader.number("HUBSPOT_TIMEOUT", 30.0, above=0)
# The longest single wait (Retry-After or pacing) a run accepts; beyond it the run fails.
HUBSPOT_MAX_WAIT_SECONDS = reader.number("HUBSPOT_MAX_WAIT_SECONDS", 120.0, minimum=0)
# One rate budget for every process syncing the account (shared_pacing.py): the pacing
# windows and the daily count live in this Redis. Empty: REDIS_URL if set, else each process
# paces itself alone. The Celery broker is never used unless named here (it may not be Redis,
# and the budget's keys do not belong in a queue's database by surprise).
HUBSPOT_RATE_LIMIT_REDIS_URL = (env("HUBSPOT_RATE_LIMIT_REDIS_URL", default="").strip()
                                or env("REDIS_URL", default="").strip())
if HUBSPOT_RATE_LIMIT_REDIS_URL and urlsplit(HUBSPOT_RATE_LIMIT_REDIS_URL).scheme not in (
        "redis", "rediss", "unix"):
    reader.errors.append("HUBSPOT_RATE_LIMIT_REDIS_URL (or REDIS_URL) must be a redis://, "
                         "rediss:// or unix:// URL")  # never echoed: it may hold a password
# Keep this share of the account's daily limit for its other apps: a run stops (exit 1,
# nothing lost) when HubSpot's Daily-Remaining falls to it. 0: use the whole day's budget.
HUBSPOT_DAILY_RESERVE_PERCENT = reader.number("HUBSPOT_DAILY_RESERVE_PERCENT", 0.0, minimum=0)
if HUBSPOT_DAILY_RESERVE_PERCENT >= 100:
    reader.errors.append("HUBSPOT_DAILY_RESERVE_PERCENT must be below 100")
# An incremental run starts this long before the watermark: covers search-index lag.
HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS = reader.number("HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS", 300,
                                                     whole=True, minimum=0)
# Rows that vanish from every HubSpot listing (hard or GDPR deletes) are archived as
# `vanished`; with this on, their personal data is purged too (only the id and the deletion
# facts stay). A privacy-deletion webhook always purges.
HUBSPOT_PURGE_VANISHED = reader.choice("HUBSPOT_PURGE_VANISHED", "false",
                                       ("true", "false", "1", "0")) in ("true", "1")
# Full reads of large types spend the search budget too, reading ids downwards while the
# list endpoint reads them upwards (ingestion/sync/hubspot/two_ended.py). false: list only.
HUBSPOT_TWO_ENDED_READS = reader.choice("HUBSPOT_TWO_ENDED_READS", "true",
                                        ("true", "false", "1", "0")) in ("true", "1")
# ... for types with more live records than this (smaller ones: the ends would meet within
# a few pages). The count is the `total` of search's first page, which the search end keeps.
HUBSPOT_TWO_ENDED_MIN_RECORDS = reader.number("HUBSPOT_TWO_ENDED_MIN_RECORDS", 2000,
                                              whole=True, minimum=0)
# Properties whose change history every sync keeps (hubspot_property_history), as with
# --with-history: comma-separated `type:name` (e.g. contacts:lifecyclestage,deals:dealstage)
# or `name` (every type defining it). Empty: none (history costs requests: 50 records each).
HUBSPOT_PROPERTY_HISTORY = tuple(
    entry.strip() for entry in env("HUBSPOT_PROPERTY_HISTORY", default="").split(",")
    if entry.strip())
if any(not entry.rpartition(":")[2] for entry in HUBSPOT_PROPERTY_HISTORY):
    reader.errors.append("HUBSPOT_PROPERTY_HISTORY entries are `type:property` or `property`")
# The schema of the Fivetran-compatible views (build_hubspot_views --layout fivetran;
# docs/fivetran-layer.md). On SQLite, which has no schemas, it prefixes the views' names.
HUBSPOT_FIVETRAN_SCHEMA = env("HUBSPOT_FIVETRAN_SCHEMA", default="hubspot_fivetran").strip()
if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", HUBSPOT_FIVETRAN_SCHEMA):
    reader.errors.append("HUBSPOT_FIVETRAN_SCHEMA is a lower-case SQL name (a-z, 0-9, _), "
                         "at most 41 characters")
# Deal stage and lifecycle stage history (deals:dealstage, contacts:lifecyclestage,
# companies:lifecyclestage) is kept besides those, unless this is false: the analysts' time
# ranges (docs/analysts.md#history-as-time-ranges) need no configuration for stages.
HUBSPOT_STAGE_HISTORY = reader.choice("HUBSPOT_STAGE_HISTORY", "true",
                                      ("true", "false", "1", "0")) in ("true", "1")
# verify_hubspot leaves out records created or modified this long before it starts, on both
# sides: search answers lag behind writes (docs/hubspot-api.md#search).
HUBSPOT_VERIFY_SETTLE_SECONDS = reader.number("HUBSPOT_VERIFY_SETTLE_SECONDS", 60, whole=True,
                                              minimum=0)
# Webhooks (ingestion/webhooks/views.py, POST /hubspot/webhooks/): the secret HubSpot signs
# them with (the app's client secret; a private app shows its own), the URL as registered in
# HubSpot when a proxy changes what this process sees (else the URL the request reached; its
# host is allowed below), whether each delivery enqueues the Celery apply task, and how many
# times an event whose record cannot be read is tried before it is given up.
HUBSPOT_WEBHOOK_SECRET = env("HUBSPOT_WEBHOOK_SECRET", default="") or HUBSPOT_CLIENT_SECRET
HUBSPOT_WEBHOOK_URL = reader.http_url("HUBSPOT_WEBHOOK_URL", "", optional=True)
HUBSPOT_WEBHOOK_APPLY_ON_RECEIPT = reader.choice("HUBSPOT_WEBHOOK_APPLY_ON_RECEIPT", "false",
                                                 ("true", "false", "1", "0")) in ("true", "1")
HUBSPOT_WEBHOOK_MAX_ATTEMPTS = reader.number("HUBSPOT_WEBHOOK_MAX_ATTEMPTS", 5, whole=True,
                                             minimum=1)
# HubSpot's webhooks journal: `sync_hubspot_changes --watch SECONDS` reads it again this many
# seconds after a read that reached its end (each idle read costs one request). The beat
# schedule's journal task watches 50 s of each minute: a change waits about this long.
HUBSPOT_JOURNAL_POLL_SECONDS = reader.number("HUBSPOT_JOURNAL_POLL_SECONDS", 10, whole=True,
                                             minimum=1)
# The HubSpot account (portal id, "Hub ID") this mirror holds: webhook events of any other
# portal (the app installed in production and a sandbox) are recorded and never applied.
# Unset: learnt from HubSpot (account details) when events are applied.
HUBSPOT_PORTAL_ID = reader.number("HUBSPOT_PORTAL_ID", None, whole=True, minimum=1)
# The portal (manage.py hubspot_portal add NAME) commands run for when given no --portal:
# Celery workers and cron set it. Empty or "default": the portal these HUBSPOT_* settings
# describe (ingestion/sync/hubspot/accounts.py).
HUBSPOT_PORTAL = env("HUBSPOT_PORTAL", default="").strip()
# A record type no beat schedule syncs is expected to sync this often: the status page
# (/status/, hubspot_status) shows it green while its last successful run is at most this
# many minutes old, amber up to twice that, then red, and /health/ fails when it is red.
# Definitions (properties, owners, pipelines, schemas) get at least an hour.
HUBSPOT_STATUS_EXPECTED_MINUTES = reader.number("HUBSPOT_STATUS_EXPECTED_MINUTES", 15,
                                                whole=True, minimum=1)
# A sync with no terminal to draw its bar on (cron, Celery, a pipe) logs a progress line this
# often (records so far, rate, ETA: ingestion/base/progress.py). 0: no lines.
HUBSPOT_PROGRESS_LOG_SECONDS = reader.number("HUBSPOT_PROGRESS_LOG_SECONDS", 30.0, minimum=0)
# An unfinished full read (killed, stopped) continues from its last committed batch on the
# next run, unless its checkpoint is older than this many hours: then it starts over
# (ingestion/base/resume.py). 0: never resume.
HUBSPOT_RESUME_MAX_AGE_HOURS = reader.number("HUBSPOT_RESUME_MAX_AGE_HOURS", 24.0, minimum=0)
reader.retired("HUBSPOT_HEALTH_MAX_AGE_MINUTES", "/health/ now fails when the status page is "
               "red: set HUBSPOT_STATUS_EXPECTED_MINUTES (red at twice it) instead")
# /metrics: when set, a scrape must send `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
if HUBSPOT_WEBHOOK_URL and urlsplit(HUBSPOT_WEBHOOK_URL).hostname not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(urlsplit(HUBSPOT_WEBHOOK_URL).hostname)

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
# A task is acknowledged when it ends (acks late), so a sync whose worker machine dies
# mid-run is delivered again. On Redis, an unacknowledged task is also delivered again once
# the visibility timeout passes (Redis's default: 1 hour), even while it still runs: the
# timeout must outlast the longest sync (default 12 hours; CELERY_VISIBILITY_TIMEOUT, in
# seconds). A duplicate that slips through is refused by the runner lock (one run per type).
celery_visibility_timeout = reader.number("CELERY_VISIBILITY_TIMEOUT", 12 * 3600,
                                          whole=True, minimum=1)
# sync_hubspot_all --on-workers: tasks still waiting fail once no worker has consumed their
# queue for this long (the last worker was killed or stopped), instead of waiting for ever.
HUBSPOT_WORKERLESS_SECONDS = reader.number("HUBSPOT_WORKERLESS_SECONDS", 60, minimum=1)
CELERY_TASK_ACKS_LATE = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": celery_visibility_timeout}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": celery_visibility_timeout}
# Each worker process reserves one task at a time: with acks late, a prefetched task would
# otherwise wait hours behind a long sync instead of going to a free worker.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker process killed mid-task (SIGKILL, out of memory) fails the task instead of
# re-queueing it: a sync that exhausts memory would otherwise be redelivered forever. The
# run is recorded as abandoned; the next scheduled run starts again from the watermark.
CELERY_TASK_REJECT_ON_WORKER_LOST = False
# Celery beat reads its schedule from the database (django-celery-beat's PeriodicTask rows,
# created by `manage.py setup_hubspot_schedule`, edited in the admin), not from settings.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

reader.raise_if_invalid()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"ingestion": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
                # httpx logs each request's whole URL at INFO: a webhooks journal file's URL is
                # pre-signed (a credential while it lasts), and a Celery worker's root logger
                # shows INFO. The client logs its requests itself (--debug), by path.
                "httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"},
                # Progress lines of long runs (HUBSPOT_PROGRESS_LOG_SECONDS) at INFO, through
                # the `ingestion` handler: shown by default, in cron mail and worker logs.
                "ingestion.progress": {"level": "INFO"}},
}
