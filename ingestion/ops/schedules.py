"""The default Celery beat schedule (django-celery-beat PeriodicTask rows), and how often a
schedule syncs each object type (read by the health check).

Every entry runs a management command through the task `ingestion.sync_hubspot` (or
`ingestion.apply_hubspot_events`), with the command's flags as kwargs, as a cron line would.

Every portal's tasks live in the configured database, the one beat reads: a named portal's
carry `portal` in their kwargs and its name in theirs (`portal_schedule`); the implicit
portal's are today's. Readers of a portal's schedule (`beat_tasks`) pick its tasks there.

Two defaults: without HubSpot's webhooks journal (DEFAULT_SCHEDULE), and once it is set up
(a JournalState row; JOURNAL_SCHEDULE): the journal read every minute, each run watching it
for JOURNAL_WATCH_SECONDS, and the incremental sync hourly as the safety net.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import timedelta
from itertools import pairwise

from django.apps import apps

from ingestion.base.results import Mode
from ingestion.base.scopes import IMPLICIT, current_scope, main_scope
from ingestion.sync.hubspot.changes import JOURNAL_TYPE as CHANGES_TYPE

SYNC_TASK = "ingestion.sync_hubspot"
EVENTS_TASK = "ingestion.apply_hubspot_events"

# The webhooks journal's runs (sync_hubspot_changes) in sync_history, its beat task, and how
# long each run keeps reading: a minute's task watching 50 s leaves ~10 s between two runs,
# so a change waits about one poll interval (HUBSPOT_JOURNAL_POLL_SECONDS).
JOURNAL_TYPE = CHANGES_TYPE  # SyncHistory.object_type (and the runner's lock)
JOURNAL_MODE = Mode.CHANGES.value  # SyncHistory.mode
JOURNAL_COMMAND = "sync_hubspot_changes"
JOURNAL_TASK_NAME = "hubspot: journal changes"
JOURNAL_WATCH_SECONDS = 50
INCREMENTAL_TASK_NAME = "hubspot: incremental sync"


@dataclass(frozen=True)
class Entry:
    name: str  # PeriodicTask.name: how setup_hubspot_schedule finds it again
    task: str
    kwargs: dict
    every_minutes: int | None = None  # an IntervalSchedule ...
    crontab: dict = field(default_factory=dict)  # ... or a CrontabSchedule (UTC)
    enabled: bool = True
    description: str = ""
    # A run beat queued that no worker took within this many seconds is dropped (the next
    # one comes soon): a minute's task must not pile up behind a long sync.
    expire_seconds: int | None = None


DEFAULT_SCHEDULE = (
    Entry(INCREMENTAL_TASK_NAME, SYNC_TASK, {"command": "sync_hubspot_all"},
          every_minutes=15, description="records changed since the last run, every type"),
    # Hourly jobs at fixed minutes (as the cron block in docs/operations.md), away from each other.
    Entry("hubspot: link refresh", SYNC_TASK,
          {"command": "sync_hubspot_all", "links_only": True}, crontab={"minute": "17"},
          description="association sets of every stored record"),
    Entry("hubspot: deletion check", SYNC_TASK,
          {"command": "sync_hubspot_all", "deletions": True}, crontab={"minute": "47"},
          description="hard/GDPR deletions, restores, missed archives"),
    Entry("hubspot: nightly full sync", SYNC_TASK,
          {"command": "sync_hubspot_all", "full": True},
          crontab={"minute": "30", "hour": "2"}, description="every record, read again"),
    Entry("hubspot: verify and fix", SYNC_TASK, {"command": "verify_hubspot", "fix": True},
          crontab={"minute": "30", "hour": "3"}, description="is the mirror exact? fix it"),
    Entry("hubspot: properties", SYNC_TASK, {"command": "sync_hubspot_properties"},
          crontab={"minute": "7"}, description="property definitions"),
    Entry("hubspot: owners", SYNC_TASK, {"command": "sync_hubspot_owners"},
          crontab={"minute": "9"}, description="owners"),
    Entry("hubspot: pipelines", SYNC_TASK, {"command": "sync_hubspot_pipelines"},
          crontab={"minute": "11"}, description="deal and ticket pipelines and stages"),
    # Useful only once HubSpot delivers webhooks here: enable it in the admin then.
    Entry("hubspot: apply webhook events", EVENTS_TASK, {}, every_minutes=1, enabled=False,
          description="apply stored webhook events (enable when webhooks are set up)"),
)

# With the journal: changes arrive within a minute through it; the incremental sync stays,
# hourly, for whatever the journal does not carry (types not subscribed, a gap it missed).
JOURNAL_SCHEDULE = (
    *(replace(entry, every_minutes=60, description="records changed since the last run, "
              "every type (the journal's safety net)")
      if entry.name == INCREMENTAL_TASK_NAME else entry for entry in DEFAULT_SCHEDULE),
    Entry(JOURNAL_TASK_NAME, SYNC_TASK,
          {"command": JOURNAL_COMMAND, "watch": JOURNAL_WATCH_SECONDS}, every_minutes=1,
          expire_seconds=55, description="changes from HubSpot's webhooks journal"),
)


def default_schedule(journal: bool) -> tuple[Entry, ...]:
    """The default schedule with the webhooks journal set up, or without it."""
    return JOURNAL_SCHEDULE if journal else DEFAULT_SCHEDULE


def portal_schedule(entries: tuple[Entry, ...], portal: str) -> tuple[Entry, ...]:
    """`entries` for `portal`: a named portal's with `portal` in their kwargs and its name in
    theirs (`hubspot [sandbox]: incremental sync`); the implicit portal's as they are."""
    if portal == IMPLICIT:
        return entries
    return tuple(replace(entry, name=entry.name.replace("hubspot:", f"hubspot [{portal}]:", 1),
                         kwargs={**entry.kwargs, "portal": portal}) for entry in entries)


def task_portal(kwargs: dict) -> str:
    """The portal a beat task runs for: its `portal` kwarg, else the implicit one."""
    return str(kwargs.get("portal") or IMPLICIT)


def beat_tasks(portal: str | None = None, related: tuple[str, ...] = ()) -> list:
    """The enabled PeriodicTasks running for `portal` (default: the portal whose tables this
    thread reads), read from the configured database whatever scope the caller is in (beat
    reads its schedule there), with the `related` schedules joined."""
    from django_celery_beat.models import PeriodicTask

    portal = portal or current_scope().name
    with main_scope():
        tasks = list(PeriodicTask.objects.filter(enabled=True).select_related(*related))
    return [task for task in tasks if task_portal(_kwargs(task)) == portal]


def drop_portal_tasks(portal: str) -> int:
    """Every beat task of a named `portal` deleted (enabled or not: `hubspot_portal remove`,
    else beat would go on starting runs of a portal that is gone); how many there were."""
    from django_celery_beat.models import PeriodicTask

    with main_scope():
        ids = [task.pk for task in PeriodicTask.objects.all()
               if task_portal(_kwargs(task)) == portal]
        PeriodicTask.objects.filter(pk__in=ids).delete()
    return len(ids)


def journal_set_up() -> bool:
    """A JournalState row means setup_hubspot_journal ran (and the journal is to be read)."""
    # Imported here: sync modules import this module's names, and may load before models.
    from ingestion.models import JournalState

    return JournalState.objects.exists()


# What each kind of scheduled run records in sync_history (`mode`), for the health check.
# Runs by id (verify --fix, webhook events) belong to no schedule and count for none.
KIND_MODES = {"sync": ("incremental", "full", "since"), "links": ("links",),
              "deletions": ("deletions",), "verify": ("verify",), "events": ("events",),
              "journal": (JOURNAL_MODE,)}
MODE_KIND = {mode: kind for kind, modes in KIND_MODES.items() for mode in modes}
ALL_TYPES = "*"
COMMAND_TYPES = {"sync_hubspot_pipelines": ("pipelines", "pipeline_stages"),
                 "sync_hubspot_custom_objects": ("schemas",)}


def scheduled_runs(task: str, kwargs: dict) -> tuple[str, tuple[str, ...]]:
    """The kind of run a scheduled task makes (KIND_MODES) and the object types it covers
    (ALL_TYPES: every type that has such runs)."""
    command = kwargs.get("command", "sync_hubspot_all")
    if task == EVENTS_TASK or command == "apply_hubspot_events":
        return "events", ("webhooks",)
    if command == JOURNAL_COMMAND:
        return "journal", (JOURNAL_TYPE,)
    listed = tuple(t.strip() for t in str(kwargs.get("types") or "").split(",") if t.strip())
    if command == "verify_hubspot":
        return "verify", listed or (ALL_TYPES,)
    if command == "sync_hubspot_associations":
        return "links", listed or (ALL_TYPES,)
    types = ((ALL_TYPES,) if command == "sync_hubspot_all" else
             COMMAND_TYPES.get(command, (command.removeprefix("sync_hubspot_"),)))
    if kwargs.get("links_only"):
        return "links", types
    return ("deletions" if kwargs.get("deletions") else "sync"), types


def synced_types(task: str, kwargs: dict) -> tuple[str, ...]:
    """The object types a scheduled task syncs records of (ALL_TYPES for sync_hubspot_all);
    () for a task that reads no records (jobs, verify, events, link refresh). Used by the
    status page (ingestion/ops/status.py)."""
    kind, types = scheduled_runs(task, kwargs)
    return types if task == SYNC_TASK and kind == "sync" else ()


def scheduled_intervals(portal: str | None = None) -> dict[tuple[str, str], timedelta]:
    """The shortest interval at which an enabled PeriodicTask of `portal` (beat_tasks) makes
    each (kind, type) of run (type ALL_TYPES: every type)."""
    if not apps.is_installed("django_celery_beat"):  # cron only: no schedule to read
        return {}
    intervals: dict[tuple[str, str], timedelta] = {}
    tasks = [task for task in beat_tasks(portal, ("interval", "crontab"))
             if task.task in (SYNC_TASK, EVENTS_TASK)]
    for task in tasks:
        every = task_interval(task)
        kind, types = scheduled_runs(task.task, _kwargs(task))
        for key in ((kind, name) for name in types):
            if every and (key not in intervals or every < intervals[key]):
                intervals[key] = every
    return intervals


def _kwargs(task) -> dict:
    try:
        kwargs = json.loads(task.kwargs or "{}")
    except ValueError:
        return {}
    return kwargs if isinstance(kwargs, dict) else {}


def task_interval(task) -> timedelta | None:
    """How long beat may leave between two runs of the task; None for schedules without a
    fixed rhythm (solar, one-off clocked)."""
    if task.interval is not None:
        return task.interval.schedule.run_every
    if task.crontab is not None:
        return crontab_interval(task.crontab.schedule)
    return None


def crontab_interval(schedule) -> timedelta:
    """The longest gap between two firings of a celery crontab within a week (minutes,
    hours, weekdays; a crontab limited to some days of the month counts as monthly)."""
    if len(schedule.day_of_month) < 31 or len(schedule.month_of_year) < 12:
        return timedelta(days=31)
    fires = [m for m in range(7 * 24 * 60)
             if m % 60 in schedule.minute and (m // 60) % 24 in schedule.hour
             and ((m // 1440) + 1) % 7 in schedule.day_of_week]  # minute 0: a Monday
    if not fires:
        return timedelta(days=31)
    gaps = [later - earlier for earlier, later in pairwise(fires)]
    gaps.append(fires[0] + 7 * 24 * 60 - fires[-1])  # around the end of the week
    return timedelta(minutes=max(gaps))
