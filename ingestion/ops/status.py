"""How fresh the mirror is, per object type: the rows of the status page (/status/) and of
`manage.py hubspot_status`, built once here so the two never disagree.

A type's freshness is the age of its last *successful sync* (success or partial, of a run
that read records: incremental, full, since; `events` for the webhook applier), against the
interval it is expected to run at: the Celery beat schedule's when one syncs the type, else
HUBSPOT_STATUS_EXPECTED_MINUTES (definitions: at least an hour). Green within it, amber
within twice it, red beyond or never. Upkeep runs (links, deletions, verify, by id) do not
make a type fresh; the latest verify run is shown on its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from ingestion.models import QuarantinedRecord, SyncHistory
from ingestion.ops.schedules import ALL_TYPES, EVENTS_TASK, synced_types, task_interval
from ingestion.sync.hubspot.engines.registry import DEFINITION_ENGINES, RECORD_ENGINES
from ingestion.sync.hubspot.events import EVENTS_TYPE

DEFINITION_TYPES = (*(e.object_type for e in DEFINITION_ENGINES), "schemas")
RECORD_TYPES = tuple(e.object_type for e in RECORD_ENGINES)
UPKEEP_MODES = ("links", "deletions", "verify", "ids")  # they do not make a type fresh
SUCCESSFUL = (SyncHistory.Status.SUCCESS, SyncHistory.Status.PARTIAL)
CHART_DAYS = 30
CHART_MAX_RUNS = 300  # a 5-minute schedule makes 8,640 runs a month: the newest are drawn
DEFINITIONS_AT_LEAST = timedelta(hours=1)
NONE = "—"  # shown where there is nothing to show

GREEN, AMBER, RED = "green", "amber", "red"
WORDS = {GREEN: "fresh", AMBER: "late", RED: "stale"}  # the colour in words, for terminals
COLUMNS = ("type", "fresh", "last success", "age", "mode", "fetched", "written", "duration",
           "requests", "429s", "failed", "quarantined", "next run", "verify")
NUMERIC = ("fetched", "written", "requests", "429s", "failed", "quarantined")  # right-aligned


@dataclass(frozen=True)
class ChartPoint:
    started_at: datetime
    written: int  # created + updated + overwritten + archived
    seconds: float
    mode: str
    status: str


@dataclass
class TypeStatus:
    object_type: str
    expected: timedelta
    last_success: SyncHistory | None = None
    latest: SyncHistory | None = None  # the newest run, whatever its mode and status
    verify: SyncHistory | None = None
    quarantined: int = 0
    next_run: datetime | None = None
    points: list[ChartPoint] = field(default_factory=list)
    now: datetime = field(default_factory=timezone.now)

    @property
    def age(self) -> timedelta | None:
        return None if self.last_success is None else self.now - self.last_success.finished_at

    @property
    def freshness(self) -> str:
        age = self.age
        if age is None or age > 2 * self.expected:
            return RED
        return GREEN if age <= self.expected else AMBER

    @property
    def verify_text(self) -> str:
        if self.verify is None:
            return NONE
        if "exact" not in self.verify.details:
            return self.verify.status  # failed, or still running: no verdict
        return "exact" if self.verify.details["exact"] else "not exact"

    def cells(self) -> dict[str, str]:
        """The row as text, one entry per COLUMNS name: what the page and the terminal show."""
        run = self.last_success
        return {
            "type": self.object_type,
            "fresh": WORDS[self.freshness],
            "last success": _when(run.finished_at) if run else "never",
            "age": _duration(self.age) if run else NONE,
            "mode": run.mode if run else NONE,
            "fetched": _number(run.fetched) if run else NONE,
            "written": _number(written(run)) if run else NONE,
            "duration": _duration(run.finished_at - run.started_at) if run else NONE,
            "requests": self._recorded("requests"),
            "429s": self._recorded("rate_limited"),
            "failed": _number(self.latest.failed) if self.latest else NONE,
            "quarantined": _number(self.quarantined),
            "next run": _when(self.next_run) if self.next_run else NONE,
            "verify": self.verify_text,
        }

    def _recorded(self, key: str) -> str:
        """A count in `details` of the last success (its requests, its 429s), else of the
        latest verify run."""
        for run in (self.last_success, self.verify):
            value = run.details.get(key) if run is not None else None
            if isinstance(value, int):
                return _number(value)
        return NONE


def type_statuses(now: datetime | None = None) -> list[TypeStatus]:
    """One row per object type: every standard type, then any other type with runs."""
    now = now or timezone.now()
    schedule = Schedule.load(now)
    quarantined = dict(QuarantinedRecord.objects.filter(quarantined_at__isnull=False)
                       .values_list("object_type").annotate(n=Count("id")))
    return [_type_status(name, now, schedule, quarantined.get(name, 0))
            for name in object_types()]


def object_types() -> list[str]:
    seen = set(SyncHistory.objects.values_list("object_type", flat=True).distinct())
    standard = [*DEFINITION_TYPES, *RECORD_TYPES]
    return standard + sorted(seen - set(standard))


def _type_status(name: str, now: datetime, schedule: Schedule, quarantined: int) -> TypeStatus:
    runs = SyncHistory.objects.filter(object_type=name)
    # A partial run (some records failed) still refreshed the rest, as /health/ counts it;
    # its failures show in the row's `failed`.
    successes = runs.filter(status__in=SUCCESSFUL, finished_at__isnull=False)
    return TypeStatus(
        object_type=name, now=now, quarantined=quarantined,
        expected=schedule.interval(name) or default_interval(name),
        last_success=successes.exclude(mode__in=UPKEEP_MODES).order_by("-finished_at").first(),
        latest=runs.order_by("-started_at").first(),
        verify=runs.filter(mode="verify").order_by("-started_at").first(),
        next_run=schedule.next_run(name),
        points=chart_points(name, now),
    )


def default_interval(name: str) -> timedelta:
    records = timedelta(minutes=settings.HUBSPOT_STATUS_EXPECTED_MINUTES)
    return max(records, DEFINITIONS_AT_LEAST) if name in DEFINITION_TYPES else records


def chart_points(name: str, now: datetime) -> list[ChartPoint]:
    """The finished runs of the last CHART_DAYS days (the newest CHART_MAX_RUNS), oldest
    first: records written and duration of each."""
    rows = (SyncHistory.objects
            .filter(object_type=name, started_at__gte=now - timedelta(days=CHART_DAYS),
                    finished_at__isnull=False)
            .order_by("-started_at")[:CHART_MAX_RUNS])
    return [ChartPoint(run.started_at, written(run),
                       (run.finished_at - run.started_at).total_seconds(), run.mode, run.status)
            for run in reversed(rows)]


def written(run: SyncHistory) -> int:
    return run.created + run.updated + run.overwritten + run.archived


class Schedule:
    """What Celery beat (django-celery-beat, when installed) has scheduled: per type, the
    interval and the next run of the enabled tasks that sync it."""

    def __init__(self, now: datetime, tasks: list[tuple[object, tuple[str, ...]]]):
        self.now, self.tasks = now, tasks

    @classmethod
    def load(cls, now: datetime) -> Schedule:
        if not apps.is_installed("django_celery_beat"):
            return cls(now, [])
        from django_celery_beat.models import PeriodicTask

        rows = PeriodicTask.objects.filter(enabled=True).select_related(
            "interval", "crontab", "solar", "clocked")
        return cls(now, [(task, _types_of(task)) for task in rows])

    def _tasks_for(self, name: str) -> list:
        return [task for task, types in self.tasks if name in types or ALL_TYPES in types]

    def interval(self, name: str) -> timedelta | None:
        intervals = [task_interval(task) for task in self._tasks_for(name)]
        return min((i for i in intervals if i), default=None)

    def next_run(self, name: str) -> datetime | None:
        times = [self._next(task) for task in self._tasks_for(name)]
        return min((t for t in times if t), default=None)

    def _next(self, task) -> datetime | None:
        # Beat's own estimate from the task's last run (or now, for a task never run).
        try:
            return self.now + task.schedule.remaining_estimate(task.last_run_at or self.now)
        except (TypeError, ValueError):  # a schedule beat itself could not evaluate
            return None


def _types_of(task) -> tuple[str, ...]:
    """The types a beat task syncs (schedules.synced_types), `webhooks` for the applier."""
    if task.task == EVENTS_TASK:
        return (EVENTS_TYPE,)
    try:
        kwargs = json.loads(task.kwargs or "{}")
    except ValueError:  # edited by hand in the admin: such a task syncs nothing we know of
        kwargs = {}
    return synced_types(task.task, kwargs if isinstance(kwargs, dict) else {})


def _number(value: int) -> str:
    return f"{value:,}"


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _duration(delta: timedelta) -> str:
    seconds = max(delta.total_seconds(), 0)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} d"
