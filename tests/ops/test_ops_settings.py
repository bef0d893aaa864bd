"""The ops settings are checked like the others: a bad value stops start-up in one line."""

from __future__ import annotations

from subprocesses import clean_environment, run_python


def test_bad_health_max_age_when_started_then_one_line_naming_it_and_exit_1():
    result = run_python("manage.py", "check",
                        env=clean_environment(HUBSPOT_HEALTH_MAX_AGE_MINUTES="-1"))
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        "Configuration error: HUBSPOT_HEALTH_MAX_AGE_MINUTES must be at least 0, not '-1'"]


def test_ops_settings_when_set_then_read():
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.HUBSPOT_HEALTH_MAX_AGE_MINUTES, settings.METRICS_TOKEN == 't0k', "
            "settings.CELERY_BEAT_SCHEDULER)")
    result = run_python("-c", code, env=clean_environment(
        HUBSPOT_HEALTH_MAX_AGE_MINUTES="0", METRICS_TOKEN="t0k",
        DJANGO_SETTINGS_MODULE="config.settings"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "True",
                                     "django_celery_beat.schedulers:DatabaseScheduler"]
