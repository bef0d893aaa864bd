"""Settings, read from the environment (12-factor, via django-environ).

DATABASE_URL           default: a SQLite file in var/ of the project
HUBSPOT_ACCESS_TOKEN   the private-app / OAuth bearer token (never logged)
HUBSPOT_API_BASE_URL   default https://api.hubapi.com
"""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost"])

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "ingestion",
]

ROOT_URLCONF = "config.urls"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets a reader (a report, the admin) work while a sync writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 30)
    # Tests on SQLite use a file (one per test process), so that tests of real processes
    # (signals, locks) can open the same database as the test that started them.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test_db_{os.getpid()}.sqlite3")}
else:
    # One test database per test process, so concurrent test runs cannot drop each other's.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

HUBSPOT_ACCESS_TOKEN = env("HUBSPOT_ACCESS_TOKEN", default="")
HUBSPOT_API_BASE_URL = env("HUBSPOT_API_BASE_URL", default="https://api.hubapi.com")
# Pacing: the general limit is learnt from HubSpot's X-HubSpot-RateLimit-* headers unless
# set here; search has no headers, so its budget (5/s, API-FACTS §3) is configured.
HUBSPOT_REQUESTS_PER_10S = env.int("HUBSPOT_REQUESTS_PER_10S", default=None)
# 0 turns pacing off (e.g. against a local emulator without limits).
HUBSPOT_SEARCH_REQUESTS_PER_SECOND = env.int("HUBSPOT_SEARCH_REQUESTS_PER_SECOND", default=5)
HUBSPOT_MAX_ATTEMPTS = env.int("HUBSPOT_MAX_ATTEMPTS", default=8)
HUBSPOT_RETRY_INITIAL_WAIT = env.float("HUBSPOT_RETRY_INITIAL_WAIT", default=0.5)
HUBSPOT_TIMEOUT = env.float("HUBSPOT_TIMEOUT", default=30.0)
# An incremental run starts this long before the watermark: covers search-index lag.
HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS = env.int("HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS",
                                               default=300)

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_ACKS_LATE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"ingestion": {"handlers": ["stderr"], "level": "WARNING", "propagate": False}},
}
