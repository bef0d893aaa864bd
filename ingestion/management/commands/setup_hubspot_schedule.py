"""Create the default Celery beat schedule (ingestion/ops/schedules.py) as django-celery-beat
PeriodicTasks, for `celery -A config beat` with the database scheduler.

Idempotent: tasks are found by name; one that exists is left as the operator edited it
(schedule, kwargs, enabled) unless --reset puts the default back. --dry-run only says what
it would do.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from ingestion.management.base_hubspot_sync import check_database
from ingestion.management.sync_flags import command_flags
from ingestion.ops.schedules import DEFAULT_SCHEDULE, SYNC_TASK, Entry


class Command(BaseCommand):
    help = ("Create the default Celery beat schedule of syncs and upkeep jobs "
            "(django-celery-beat PeriodicTasks; existing ones are kept unless --reset).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--reset", action="store_true",
                            help="put the default schedule, kwargs and enabled state back on "
                                 "tasks that exist")
        parser.add_argument("--dry-run", action="store_true",
                            help="list what would be created or reset; change nothing")

    def handle(self, *args, **opts) -> None:
        check_database()  # one line, not a traceback, on a database not migrated or down
        for entry in DEFAULT_SCHEDULE:
            check_flags(entry)
        with transaction.atomic():
            for entry in DEFAULT_SCHEDULE:
                self.stdout.write(f"{apply(entry, opts['reset'], opts['dry_run'])}: "
                                  f"{describe(entry)}")
            if opts["dry_run"]:
                transaction.set_rollback(True)


def check_flags(entry: Entry) -> None:
    """Every kwarg must be a flag of the command, as the task will check when it runs: a
    schedule that can only fail is refused here."""
    if entry.task != SYNC_TASK:
        return
    flags = dict(entry.kwargs)
    command = flags.pop("command")
    unknown = set(flags) - set(command_flags(command))
    if unknown:
        raise CommandError(f"{entry.name}: {command} has no flag {', '.join(sorted(unknown))}")


def apply(entry: Entry, reset: bool, dry_run: bool) -> str:
    """Create the task, reset it, or keep it; what was done, in a word."""
    existing = PeriodicTask.objects.filter(name=entry.name).first()
    if existing is not None and not reset:
        return "kept"
    task = existing or PeriodicTask(name=entry.name)
    task.task = entry.task
    task.kwargs = json.dumps(entry.kwargs)
    task.args = "[]"
    task.enabled = entry.enabled
    task.description = entry.description
    task.interval, task.crontab = schedule_of(entry)
    if not dry_run:
        task.save()
    verb = "reset" if existing else "created"
    return f"would be {verb}" if dry_run else verb


def schedule_of(entry: Entry) -> tuple[IntervalSchedule | None, CrontabSchedule | None]:
    if entry.every_minutes:
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=entry.every_minutes, period=IntervalSchedule.MINUTES)
        return interval, None
    fields = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*",
              "month_of_year": "*", "timezone": "UTC", **entry.crontab}
    crontab = CrontabSchedule.objects.filter(**fields).first()
    return None, crontab or CrontabSchedule.objects.create(**fields)


def describe(entry: Entry) -> str:
    when = (f"every {entry.every_minutes} min" if entry.every_minutes else
            "cron " + " ".join(entry.crontab.get(k, "*") for k in
                               ("minute", "hour", "day_of_month", "month_of_year",
                                "day_of_week")) + " UTC")
    state = "" if entry.enabled else " (disabled)"
    return f"{entry.name!r} {entry.task} {json.dumps(entry.kwargs)} {when}{state}"
