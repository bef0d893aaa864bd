"""setup_hubspot_schedule: the default beat schedule as PeriodicTasks; idempotent, keeps an
operator's edits unless --reset, --dry-run changes nothing; every kwarg is a real flag."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from ingestion.ops.schedules import DEFAULT_SCHEDULE, SYNC_TASK, crontab_interval
from ingestion.tasks import typed_flags

pytestmark = pytest.mark.django_db


def setup(*flags: str) -> list[str]:
    out = io.StringIO()
    call_command("setup_hubspot_schedule", *flags, stdout=out)
    return out.getvalue().splitlines()


def snapshot() -> list[tuple]:
    return list(PeriodicTask.objects.order_by("name").values_list(
        "name", "task", "kwargs", "enabled", "interval_id", "crontab_id"))


def test_schedule_when_run_twice_then_same_tasks_once(settings):
    first = setup()
    assert all(line.startswith("created: ") for line in first)
    rows = snapshot()
    assert len(rows) == len(DEFAULT_SCHEDULE) == 9
    assert all(line.startswith("kept: ") for line in setup())
    assert snapshot() == rows
    events = PeriodicTask.objects.get(task="ingestion.apply_hubspot_events")
    assert not events.enabled and events.interval.every == 1
    incremental = PeriodicTask.objects.get(name="hubspot: incremental sync")
    assert json.loads(incremental.kwargs) == {"command": "sync_hubspot_all"}
    assert incremental.interval.every == 15 and incremental.interval.period == "minutes"
    nightly = PeriodicTask.objects.get(name="hubspot: nightly full sync")
    assert (nightly.crontab.minute, nightly.crontab.hour) == ("30", "2")


def test_schedule_when_operator_edited_then_kept_until_reset():
    setup()
    hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.filter(name="hubspot: incremental sync").update(
        interval=hourly, enabled=False)
    setup()
    edited = PeriodicTask.objects.get(name="hubspot: incremental sync")
    assert edited.interval == hourly and not edited.enabled
    assert "reset: 'hubspot: incremental sync'" in "\n".join(setup("--reset"))
    restored = PeriodicTask.objects.get(name="hubspot: incremental sync")
    assert restored.interval.every == 15 and restored.enabled


def test_schedule_when_dry_run_then_lists_and_writes_nothing():
    lines = setup("--dry-run")
    assert len(lines) == 9 and all(line.startswith("would be created: ") for line in lines)
    assert not PeriodicTask.objects.exists() and not IntervalSchedule.objects.exists()


def test_schedule_kwargs_are_flags_the_task_accepts():
    for entry in DEFAULT_SCHEDULE:
        if entry.task == SYNC_TASK:
            flags = dict(entry.kwargs)
            typed_flags(flags.pop("command"), flags)  # raises on an unknown flag


def test_crontab_interval_is_the_longest_gap():
    assert crontab_interval(crontab(minute="30", hour="2")) == timedelta(days=1)
    assert crontab_interval(crontab(minute="17")) == timedelta(hours=1)
    assert crontab_interval(crontab(minute="0", hour="9", day_of_week="1-5")) == timedelta(
        days=3)


def test_schedule_when_beat_reads_the_database_then_sees_the_enabled_tasks(settings):
    from django_celery_beat.schedulers import DatabaseScheduler

    from config.celery import app

    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    setup()
    entries = DatabaseScheduler(app=app, lazy=True).all_as_schedule()
    # (django-celery-beat loads crontab tasks of other hours only near their hour.)
    assert {"hubspot: incremental sync", "hubspot: link refresh"} <= set(entries)
    assert "hubspot: apply webhook events" not in entries  # created disabled
    assert entries["hubspot: link refresh"].kwargs == {"command": "sync_hubspot_all",
                                                      "links_only": True}
