"""The ops settings are checked like the others: a bad value stops start-up in one line."""

from __future__ import annotations

import pytest
from subprocesses import clean_environment, run_python

# Read by fresh processes given no DATABASE_URL: the same whichever database the suite
# uses, so run on the first one only.
pytestmark = pytest.mark.once


def test_bad_expected_minutes_when_started_then_one_line_naming_it_and_exit_1():
    result = run_python("manage.py", "check",
                        env=clean_environment(HUBSPOT_STATUS_EXPECTED_MINUTES="0"))
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "Configuration error: HUBSPOT_STATUS_EXPECTED_MINUTES must be at least 1, not '0'"]


def test_retired_health_max_age_when_set_then_one_line_naming_its_successor_and_exit_1():
    """/health/ and the status page share one threshold now: the old variable is refused,
    not silently ignored."""
    result = run_python("manage.py", "check",
                        env=clean_environment(HUBSPOT_HEALTH_MAX_AGE_MINUTES="60"))
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "Configuration error: HUBSPOT_HEALTH_MAX_AGE_MINUTES is no longer read: /health/ now "
        "fails when the status page is red: set HUBSPOT_STATUS_EXPECTED_MINUTES (red at twice "
        "it) instead"]


def test_ops_settings_when_set_then_read():
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.HUBSPOT_STATUS_EXPECTED_MINUTES, settings.METRICS_TOKEN == 't0k', "
            "settings.CELERY_BEAT_SCHEDULER)")
    result = run_python("-c", code, env=clean_environment(
        HUBSPOT_STATUS_EXPECTED_MINUTES="7", METRICS_TOKEN="t0k",
        DJANGO_SETTINGS_MODULE="config.settings"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["7", "True",
                                     "django_celery_beat.schedulers:DatabaseScheduler"]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("DJANGO_CSRF_TRUSTED_ORIGINS", "mirror.example.com",
     "must list origins like https://mirror.example.com, not 'mirror.example.com'"),
    ("DJANGO_SECURE_PROXY_SSL_HEADER", "X Forwarded Proto",
     "must be a header name like X-Forwarded-Proto, not 'X Forwarded Proto'"),
    ("DJANGO_SECURE_COOKIES", "yes please", "must be true or false, not 'yes please'"),
])
def test_bad_web_setting_when_started_then_one_line_naming_it_and_exit_1(name, value, message):
    result = run_python("manage.py", "check", env=clean_environment(**{name: value}))
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [f"Configuration error: {name} {message}"]


def test_journal_poll_seconds_when_bad_then_one_line_naming_it_and_when_set_then_read():
    result = run_python("manage.py", "check",
                        env=clean_environment(HUBSPOT_JOURNAL_POLL_SECONDS="0.5"))
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "Configuration error: HUBSPOT_JOURNAL_POLL_SECONDS must be a whole number, not '0.5'"]
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.HUBSPOT_JOURNAL_POLL_SECONDS)")
    for value, read in ((None, "10"), ("30", "30")):
        environment = {} if value is None else {"HUBSPOT_JOURNAL_POLL_SECONDS": value}
        result = run_python("-c", code, env=clean_environment(
            DJANGO_SETTINGS_MODULE="config.settings", **environment))
        assert (result.returncode, result.stdout.split()) == (0, [read]), result.stderr
