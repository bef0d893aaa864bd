"""Create the default Celery beat schedule (ingestion/ops/schedules.py) as django-celery-beat
PeriodicTasks, for `celery -A config beat` with the database scheduler.

Idempotent: tasks are found by name; one that exists is left as the operator edited it
(schedule, kwargs, enabled) unless --reset puts the default back. --dry-run only says what
it would do.

Every portal's tasks are written to the configured database, which beat reads
(schedules.portal_schedule): without --portal (or HUBSPOT_PORTAL), every portal the
operators' views show (ops/portals.py); a named portal's tasks carry `portal` in their kwargs
and its name in theirs. Here --portal picks the portal: it does not switch the process.

The default depends on HubSpot's webhooks journal (schedules.default_schedule): once
setup_hubspot_journal has set it up, a run adds the journal's task and moves a task still
as the other default left it (the incremental sync: every 15 min -> hourly) to this one's;
once the journal is removed, it removes the journal's task (it could only fail) and moves
them back. A task an operator edited is kept either way, unless --reset.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from ingestion.management.base_hubspot_sync import check_database
from ingestion.management.outcomes import ConfigurationError
from ingestion.management.portal_option import PortalCommand
from ingestion.management.sync_flags import command_flags
from ingestion.ops.portals import Portal, PortalError, shown_portals
from ingestion.ops.schedules import (
    SYNC_TASK,
    Entry,
    default_schedule,
    journal_set_up,
    portal_schedule,
)
from ingestion.sync.hubspot.accounts import in_portal


class Command(PortalCommand, BaseCommand):
    help = ("Create the default Celery beat schedule of syncs and upkeep jobs "
            "(django-celery-beat PeriodicTasks; existing ones are kept unless --reset).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--reset", action="store_true",
                            help="put the default schedule, kwargs and enabled state back on "
                                 "tasks that exist")
        parser.add_argument("--dry-run", action="store_true",
                            help="list what would be created or reset; change nothing")

    def execute(self, *args, **options):
        # --portal picks the portal: the tasks of every portal live in the main database.
        return BaseCommand.execute(self, *args, **options)

    def handle(self, *args, **opts) -> None:
        check_database()  # one line, not a traceback, on a database not migrated or down
        try:
            portals = shown_portals(opts.get("portal") or settings.HUBSPOT_PORTAL or None)
        except PortalError as error:
            raise ConfigurationError(str(error)) from None
        for portal in portals:
            self.set_up(portal, opts["reset"], opts["dry_run"])

    def set_up(self, portal: Portal, reset: bool, dry_run: bool) -> None:
        """Portal `portal`'s tasks, as its webhooks journal (in its scope) asks."""
        with in_portal(portal.name):
            journal = journal_set_up()
        wanted = portal_schedule(default_schedule(journal), portal.name)
        other = {entry.name: entry
                 for entry in portal_schedule(default_schedule(not journal), portal.name)}
        for entry in wanted:
            check_flags(entry)
        with transaction.atomic():
            for entry in wanted:
                done = apply(entry, reset, dry_run, other.pop(entry.name, None))
                self.stdout.write(f"{done}: {describe(entry)}")
            for entry in other.values():  # the journal's task, the journal gone
                if remove(entry, dry_run):
                    self.stdout.write(f"{'would be ' if dry_run else ''}removed: "
                                      f"{entry.name!r} (the webhooks journal is not set up)")
            if dry_run:
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


def apply(entry: Entry, reset: bool, dry_run: bool, previous: Entry | None = None) -> str:
    """Create the task, reset it, update it from the `previous` default (the journal's other
    state) to this one, or keep it; what was done, in a word."""
    existing = PeriodicTask.objects.filter(name=entry.name).first()
    moved = (existing is not None and previous is not None and previous != entry
             and is_as_defined(existing, previous))
    if existing is not None and not (reset or moved):
        return "kept"
    task = existing or PeriodicTask(name=entry.name)
    task.task = entry.task
    task.kwargs = json.dumps(entry.kwargs)
    task.args = "[]"
    task.enabled = entry.enabled
    task.description = entry.description
    task.expire_seconds = entry.expire_seconds
    task.interval, task.crontab = schedule_of(entry)
    if not dry_run:
        task.save()
    verb = "created" if existing is None else "reset" if reset else "updated"
    return f"would be {verb}" if dry_run else verb


def remove(entry: Entry, dry_run: bool) -> bool:
    """Delete the task of a default entry that no longer applies; whether there was one."""
    tasks = PeriodicTask.objects.filter(name=entry.name)
    found = tasks.exists()
    if found and not dry_run:
        tasks.delete()
    return found


def is_as_defined(task: PeriodicTask, entry: Entry) -> bool:
    """Whether the task is still exactly as `entry` creates it (no operator edited it)."""
    try:
        kwargs = json.loads(task.kwargs or "{}")
    except ValueError:
        return False
    if (task.task, kwargs, task.enabled) != (entry.task, entry.kwargs, entry.enabled):
        return False
    if entry.every_minutes:
        return task.crontab is None and task.interval is not None and (
            task.interval.every, task.interval.period) == (entry.every_minutes,
                                                           IntervalSchedule.MINUTES)
    return task.interval is None and task.crontab is not None and all(
        getattr(task.crontab, name) == value for name, value in entry.crontab.items())


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
