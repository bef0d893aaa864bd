"""How each object type is doing: the rows of the status page (/status/) and of
`manage.py hubspot_status`, and the verdict /health/ answers with, built once here so the
three never disagree.

A type is judged by `Check`s, one per kind of run (schedules.KIND_MODES) that is expected of
it: its main kind always (record syncs: incremental, full, since, and any step recorded
under a mode of its own; `events` for the webhook applier, type `webhooks`), and link
refreshes, deletion checks and verifications when an enabled beat task makes them. Each
check looks at the newest *finished* run of its kind:

- skipped (HubSpot answered 403: no access) -> `skipped`: neither failed nor stale;
- failed or abandoned (its process died) -> `failed`, red whatever its age;
- else its age against the interval expected: the shortest enabled beat task making that
  kind of run for the type, else, for record syncs only, HUBSPOT_STATUS_EXPECTED_MINUTES
  (definitions: at least an hour); an unscheduled upkeep job or webhook applier has no age
  limit. `fresh` (green) within it, `late` (amber) within twice it, `stale` (red) beyond.

The type's verdict is its worst check's; /health/ answers 503 for every red one (status.py
is its only rule: HEALTH_COLOURS). Upkeep runs (links, deletions, verify, by id) never make
record syncs fresh; the latest verify result is shown on its own.

HubSpot's webhooks journal, once set up (a JournalState row), is a type of its own
(`journal`, kind `journal`: sync_hubspot_changes runs), judged against its beat task's
interval but at least JOURNAL_EXPECTED_AT_LEAST (each run watches most of its minute);
unscheduled, its age is not judged. `journal_status` adds what the runs do not say: the
offset, the lag (age of the newest applied change), the last read and the last gap closed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.utils import timezone

from ingestion.models import (
    HubSpotCustomObject,
    HubSpotCustomObjectSchema,
    JournalState,
    QuarantinedRecord,
    SyncHistory,
)
from ingestion.ops.schedules import (
    ALL_TYPES,
    EVENTS_TASK,
    JOURNAL_MODE,
    JOURNAL_TYPE,
    KIND_MODES,
    MODE_KIND,
    beat_tasks,
    scheduled_intervals,
    scheduled_runs,
    synced_types,
)
from ingestion.sync.hubspot.accounts import IMPLICIT, Portal, get_portal, implicit_configured
from ingestion.sync.hubspot.connection import client_for_portal, limits_from_settings
from ingestion.sync.hubspot.engines.registry import (
    DEFINITION_ENGINES,
    MARKETING_ENGINES,
    RECORD_ENGINES,
    SOURCE_ENGINES,
)
from ingestion.sync.hubspot.events import EVENTS_TYPE
from ingestion.sync.hubspot.record_counts import record_counts, type_id_of

log = logging.getLogger(__name__)
RECORD_MODELS = {engine.object_type: engine.model for engine in RECORD_ENGINES}
DEFINITION_TYPES = (*(e.object_type for e in DEFINITION_ENGINES), "schemas")
RECORD_TYPES = tuple(e.object_type for e in RECORD_ENGINES)
MARKETING_TYPES = tuple(e.object_type for e in (*MARKETING_ENGINES, *SOURCE_ENGINES))
UPKEEP_MODES = ("links", "deletions", "verify", "ids")  # they do not make a type fresh
UPKEEP_KINDS = ("links", "deletions", "verify")  # judged only when a beat task makes them
NOT_CHARTED = ("links", "verify")  # runs that write no records: not drawn as writing none
Status = SyncHistory.Status
SUCCESSFUL = (Status.SUCCESS, Status.PARTIAL)
FAILURES = (Status.FAILED, Status.ABANDONED)  # an abandoned run's process died mid-run
CHART_DAYS = 30
CHART_MAX_RUNS = 300  # a 5-minute schedule makes 8,640 runs a month: the newest are drawn
DEFINITIONS_AT_LEAST = timedelta(hours=1)
# A journal run every minute watches for 50 s and ends a few seconds after: judged against a
# minute it would often be late by seconds. Red (and /health/ 503) at twice this.
JOURNAL_EXPECTED_AT_LEAST = timedelta(minutes=2)
MAIN_KINDS = {EVENTS_TYPE: "events", JOURNAL_TYPE: "journal"}  # else "sync"
ERROR_SHOWN = 70  # characters of a run's error in a row (the whole of it: the run's page)
NONE = "—"  # shown where there is nothing to show

# Verdicts, from best to worst (a type's is its worst check's), and their colours.
NO_RUNS, SKIPPED, FRESH, LATE, STALE, FAILED = (
    "no runs", "skipped", "fresh", "late", "stale", "failed")
RANK = (NO_RUNS, SKIPPED, FRESH, LATE, STALE, FAILED)
GREEN, AMBER, RED, GREY = "green", "amber", "red", "grey"
COLOURS = {NO_RUNS: GREY, SKIPPED: GREY, FRESH: GREEN, LATE: AMBER, STALE: RED, FAILED: RED}
HEALTH_COLOURS = (RED,)  # /health/ answers 503 for these (never for grey: skipped, no runs)
COLUMNS = ("type", "last run", "error", "state", "last success", "age", "mode", "fetched",
           "written", "duration", "requests", "429s", "failed", "quarantined", "next run",
           "records", "verify")
# right-aligned
NUMERIC = ("fetched", "written", "requests", "429s", "failed", "quarantined", "records")


@dataclass(frozen=True)
class ChartPoint:
    started_at: datetime
    written: int  # created + updated + overwritten + archived
    seconds: float
    mode: str
    status: str


@dataclass(frozen=True)
class Check:
    """One kind of run of one type: its newest finished run and the interval expected."""

    object_type: str
    kind: str  # schedules.KIND_MODES
    newest: SyncHistory | None  # the newest finished run of this kind
    expected: timedelta | None  # None: its age is not judged

    @property
    def label(self) -> str:
        main = self.kind in ("sync", *MAIN_KINDS.values())
        return self.object_type if main else f"{self.object_type} {self.kind}"

    def age(self, now: datetime) -> timedelta | None:
        run = self.newest  # a run closed as abandoned may have no end: its start then
        return None if run is None else now - (run.finished_at or run.started_at)

    def verdict(self, now: datetime) -> str:
        run = self.newest
        if run is None:
            return NO_RUNS
        if run.status == Status.SKIPPED:
            return SKIPPED
        if run.status in FAILURES:
            return FAILED
        age = self.age(now)
        if self.expected is None or age <= self.expected:
            return FRESH
        return LATE if age <= 2 * self.expected else STALE

    def problem(self, now: datetime) -> str:
        """Why the check is red, in one line (for /health/)."""
        run, minutes = self.newest, _minutes(self.age(now))
        if self.verdict(now) == FAILED:
            return f"{self.label}: latest run {run.status} {minutes} min ago (run {run.pk})"
        return (f"{self.label}: last successful run {minutes} min ago "
                f"(allowed {_minutes(2 * self.expected)} min)")


@dataclass
class TypeStatus:
    object_type: str
    checks: list[Check]
    label: str = ""  # as the commands name it: `pets (2-3508482)` for a custom type
    last_success: SyncHistory | None = None  # of a record sync (or webhook events)
    latest: SyncHistory | None = None  # the newest run, whatever its mode and status
    verify: SyncHistory | None = None
    quarantined: int = 0
    next_run: datetime | None = None
    now: datetime = field(default_factory=timezone.now)
    # A record type's live rows here and HubSpot's count of it (None: HubSpot gave none).
    records: tuple[int, int | None] | None = None

    @property
    def verdict(self) -> str:
        return max((c.verdict(self.now) for c in self.checks), key=RANK.index, default=NO_RUNS)

    @property
    def colour(self) -> str:
        return COLOURS[self.verdict]

    @property
    def shown_run(self) -> SyncHistory | None:
        """The run the row leads with: the failed run that makes the type red, else the
        newest run of any kind."""
        failed = [c.newest for c in self.checks if c.verdict(self.now) == FAILED]
        return max(failed, key=lambda run: run.started_at) if failed else self.latest

    @property
    def age(self) -> timedelta | None:
        return None if self.last_success is None else self.now - self.last_success.finished_at

    @property
    def verify_text(self) -> str:
        if self.verify is None:
            return NONE
        if "exact" not in self.verify.details:
            return self.verify.status  # failed, or still running: no verdict
        return "exact" if self.verify.details["exact"] else "not exact"

    def cells(self) -> dict[str, str]:
        """The row as text, one entry per COLUMNS name: what the page and the terminal show."""
        run, shown = self.last_success, self.shown_run
        return {
            "type": self.label or self.object_type,
            "last run": _run_text(shown),
            "error": _error_text(shown),
            "state": self.verdict,
            "last success": _when(run.finished_at) if run else "never",
            "age": _duration(self.age) if run else NONE,
            "mode": run.mode if run else NONE,
            "fetched": _number(run.fetched) if run else NONE,
            "written": written_text(run) if run else NONE,
            "duration": _duration(run.finished_at - run.started_at) if run else NONE,
            "requests": self._recorded("requests"),
            "429s": self._recorded("rate_limited"),
            "failed": _number(self.latest.failed) if self.latest else NONE,
            "quarantined": _number(self.quarantined),
            "next run": _when(self.next_run) if self.next_run else NONE,
            "records": self.records_text,
            "verify": self.verify_text,
        }

    @property
    def records_text(self) -> str:
        """`mirror / HubSpot`: the live rows beside HubSpot's count of the type."""
        if self.records is None:
            return NONE
        local, upstream = self.records
        return f"{_number(local)} / {NONE if upstream is None else _number(upstream)}"

    def _recorded(self, key: str) -> str:
        """A count in `details` of the last success (its requests, its 429s), else of the
        latest verify run."""
        for run in (self.last_success, self.verify):
            value = run.details.get(key) if run is not None else None
            if isinstance(value, int):
                return _number(value)
        return NONE


def type_statuses(now: datetime | None = None,
                  hubspot: dict[str, int] | None = None) -> list[TypeStatus]:
    """One row per object type: every standard type, then any other type with runs; a
    record type's row with its live rows beside `hubspot`'s count (`hubspot_counts()`)."""
    now = now or timezone.now()
    schedule = Schedule.load(now)
    quarantined = dict(QuarantinedRecord.objects.filter(quarantined_at__isnull=False)
                       .values_list("object_type").annotate(n=Count("id")))
    labels = custom_labels()
    newest = newest_finished()
    statuses = [_type_status(name, now, schedule, newest, quarantined.get(name, 0),
                             labels.get(name, "")) for name in object_types()]
    for row in statuses:
        local = live_rows(row.object_type)
        if local is not None:
            row.records = (local, (hubspot or {}).get(type_id_of(row.object_type)))
    return statuses


def live_rows(name: str) -> int | None:
    """The live rows of a record type (standard, or custom by its `2-…` id); None: not one."""
    if name in RECORD_MODELS:
        return RECORD_MODELS[name].objects.filter(archived=False).count()
    if name.startswith("2-"):
        return HubSpotCustomObject.objects.filter(object_type_id=name, archived=False).count()
    return None


# The page (it reloads every 60 s, in every open tab) and `hubspot_status` wait at most this
# for HubSpot's counts, and ask HubSpot for them at most this often per process: the counts
# are for a glance, and must not cost a hung HubSpot's timeout or the daily quota every load.
COUNTS_TIMEOUT_S = 5.0
COUNTS_KEPT_S = 300


def hubspot_counts(portal: Portal | None = None) -> dict[str, int] | None:
    """HubSpot's count of every record type of `portal` (default: the implicit one), from
    one request (record_counts.py), kept COUNTS_KEPT_S; None without credentials, or when
    HubSpot gives none or cannot be reached. One short try, no waits: the page shows what it
    has rather than wait. Called inside the portal's `in_portal` (its OAuth grant)."""
    portal = portal or get_portal(IMPLICIT)
    if portal.implicit and not implicit_configured():
        return None
    base_url = portal.base_url or settings.HUBSPOT_API_BASE_URL
    key = f"hubspot-record-counts:{portal.name}:{base_url}"
    kept = cache.get(key)
    if kept is not None:  # {}: HubSpot gave none, a short while ago
        return kept or None
    configured = limits_from_settings()
    limits = replace(configured, max_attempts=1, longest_wait_s=0.0,
                     timeout_s=min(configured.timeout_s, COUNTS_TIMEOUT_S))
    try:
        with client_for_portal(portal, limits) as client:
            counts = record_counts(client)
    except Exception as error:  # PortalError too: a variable not set in this process
        log.warning("status: no record counts from HubSpot for portal %s (%s)", portal.name,
                    type(error).__name__)
        counts = None
    cache.set(key, counts or {}, COUNTS_KEPT_S)
    return counts


def object_types() -> list[str]:
    seen = set(SyncHistory.objects.values_list("object_type", flat=True).distinct())
    if JournalState.objects.exists():  # set up: shown from the start, before its first run
        seen.add(JOURNAL_TYPE)
    standard = [*DEFINITION_TYPES, *RECORD_TYPES, *MARKETING_TYPES]
    return standard + sorted(seen - set(standard))


def custom_labels() -> dict[str, str]:
    """Custom object types named as the commands name them: `pets (2-3508482)`."""
    schemas = HubSpotCustomObjectSchema.objects.exclude(name=None).values_list("id", "name")
    return {type_id: f"{name} ({type_id})" for type_id, name in schemas}


def _type_status(name: str, now: datetime, schedule: Schedule,
                 newest: dict[tuple[str, str], SyncHistory], quarantined: int,
                 label: str) -> TypeStatus:
    runs = SyncHistory.objects.filter(object_type=name)
    # A partial run (some records failed) still refreshed the rest; its failures show in
    # the row's `failed`.
    successes = runs.filter(status__in=SUCCESSFUL, finished_at__isnull=False)
    return TypeStatus(
        object_type=name, now=now, quarantined=quarantined, label=label,
        checks=type_checks(name, schedule.intervals, newest),
        last_success=successes.exclude(mode__in=UPKEEP_MODES).order_by("-finished_at").first(),
        latest=runs.order_by("-started_at").first(),
        verify=runs.filter(mode="verify").order_by("-started_at").first(),
        next_run=schedule.next_run(name),
    )


def main_kind(name: str) -> str:
    return MAIN_KINDS.get(name, "sync")


def type_checks(name: str, intervals: dict[tuple[str, str], timedelta],
                newest: dict[tuple[str, str], SyncHistory]) -> list[Check]:
    """The kinds of run a type is judged by: its main kind, and each scheduled upkeep job."""
    checks = []
    for kind in (main_kind(name), *UPKEEP_KINDS):
        every = min(filter(None, (intervals.get((kind, name)), intervals.get((kind, ALL_TYPES)))),
                    default=None)
        if kind in UPKEEP_KINDS and every is None:
            continue  # a job run by hand now and then: neither its age nor failure counts
        expected = every or (default_interval(name) if kind == "sync" else None)
        if kind == "journal" and every:
            expected = max(every, JOURNAL_EXPECTED_AT_LEAST)
        checks.append(Check(name, kind, newest.get((name, kind)), expected))
        if _no_access(checks[0]):
            return checks  # no upkeep job can read it either: the type is skipped, not stale
    return checks


def _no_access(check: Check) -> bool:
    return check.newest is not None and check.newest.status == Status.SKIPPED


def kind_of(mode: str) -> str | None:
    """Record syncs are every run that is no other kind's and not by id, so a step recorded
    under a mode of its own (a discovery, a setup) counts as one."""
    return None if mode == "ids" else MODE_KIND.get(mode, "sync")


def newest_finished() -> dict[tuple[str, str], SyncHistory]:
    """The newest finished run of each (type, kind): two queries for every type, as a probe
    calls it every few seconds."""
    wanted: dict[tuple[str, str], tuple[str, datetime]] = {}
    for row in (SyncHistory.objects.exclude(status=Status.RUNNING)
                .values("object_type", "mode").annotate(at=Max("started_at")).order_by()):
        key = (row["object_type"], kind_of(row["mode"]))
        if key[1] and (key not in wanted or row["at"] > wanted[key][1]):
            wanted[key] = (row["mode"], row["at"])
    if not wanted:
        return {}
    match = Q()
    for (name, _), (mode, at) in wanted.items():
        match |= Q(object_type=name, mode=mode, started_at=at)
    runs = SyncHistory.objects.exclude(status=Status.RUNNING).filter(match)
    return {(run.object_type, kind_of(run.mode)): run for run in runs}


def all_checks() -> list[Check]:
    """Every check of every type (/health/ answers from these)."""
    intervals, newest = scheduled_intervals(), newest_finished()
    return [check for name in object_types() for check in type_checks(name, intervals, newest)]


def default_interval(name: str) -> timedelta:
    records = timedelta(minutes=settings.HUBSPOT_STATUS_EXPECTED_MINUTES)
    return max(records, DEFINITIONS_AT_LEAST) if name in DEFINITION_TYPES else records


def chart_points(name: str, now: datetime) -> list[ChartPoint]:
    """The finished runs of the last CHART_DAYS days (the newest CHART_MAX_RUNS), oldest
    first: records written and duration of each. Verify and link-refresh runs write no
    records and skipped runs did nothing: drawn, they would read as runs that wrote none."""
    rows = (SyncHistory.objects
            .filter(object_type=name, started_at__gte=now - timedelta(days=CHART_DAYS),
                    finished_at__isnull=False)
            .exclude(mode__in=NOT_CHARTED).exclude(status=Status.SKIPPED)
            .order_by("-started_at")[:CHART_MAX_RUNS])
    return [ChartPoint(run.started_at, written(run),
                       (run.finished_at - run.started_at).total_seconds(), run.mode, run.status)
            for run in reversed(rows)]


def written(run: SyncHistory) -> int:
    return run.created + run.updated + run.overwritten + run.archived


def written_text(run: SyncHistory) -> str:
    """Rows saved from what was fetched, then rows archived apart: a full run's sweep and
    merged-away ids archive rows that were not fetched, so one sum could exceed `fetched`
    (400 fetched, 404 written)."""
    saved = _number(run.created + run.updated + run.overwritten)
    return f"{saved} +{_number(run.archived)} archived" if run.archived else saved


JOURNAL_FIELDS = ("offset", "lag", "last read", "last gap closed", "newest run", "types")


@dataclass(frozen=True)
class JournalStatus:
    """HubSpot's webhooks journal as the status page, hubspot_status and /metrics show it."""

    state: JournalState
    newest: SyncHistory | None  # the newest journal run, finished or not
    now: datetime

    @property
    def lag(self) -> timedelta | None:
        """The age of the newest change applied from the journal (None: none yet)."""
        changed = self.state.newest_change_at
        return None if changed is None else self.now - changed

    def cells(self) -> dict[str, str]:
        """One text per JOURNAL_FIELDS name."""
        state, lag = self.state, self.lag
        return {
            "offset": state.offset or "none read yet",
            "lag": "none yet" if lag is None else _duration(lag),
            "last read": self._ago(state.read_at),
            "last gap closed": self._ago(state.gap_at),
            "newest run": self.run_text,
            "types": ", ".join(state.subscribed_types) or NONE,
        }

    @property
    def run_text(self) -> str:
        """`success 2026-12-06 16:50 (40.0 s ago)`, with the first line of its error."""
        run = self.newest
        if run is None:
            return "never"
        if run.status == Status.RUNNING:
            return f"running since {self._ago(run.started_at)}"
        text = f"{run.status} {self._ago(run.finished_at or run.started_at)}"
        error = _error_text(run)
        return text if error == NONE else f"{text}: {error}"

    def _ago(self, moment: datetime | None) -> str:
        return "never" if moment is None else (
            f"{_when(moment)} ({_duration(self.now - moment)} ago)")


def journal_status(now: datetime | None = None) -> JournalStatus | None:
    """The journal's state and newest run; None when it is not set up."""
    state = JournalState.objects.order_by("key").first()
    if state is None:
        return None
    newest = (SyncHistory.objects.filter(object_type=JOURNAL_TYPE, mode=JOURNAL_MODE)
              .order_by("-started_at").first())
    return JournalStatus(state, newest, now or timezone.now())


class Schedule:
    """What Celery beat (django-celery-beat, when installed) has scheduled for the portal
    this thread reads (schedules.beat_tasks): the interval of
    each (kind of run, type) (schedules.scheduled_intervals, as /health/ reads it) and the
    next run of the enabled tasks syncing each type."""

    def __init__(self, now: datetime, tasks: list[tuple[object, tuple[str, ...]]],
                 intervals: dict[tuple[str, str], timedelta]):
        self.now, self.tasks, self.intervals = now, tasks, intervals

    @classmethod
    def load(cls, now: datetime) -> Schedule:
        if not apps.is_installed("django_celery_beat"):
            return cls(now, [], {})
        rows = beat_tasks(related=("interval", "crontab", "solar", "clocked"))
        return cls(now, [(task, _types_of(task)) for task in rows], scheduled_intervals())

    def _tasks_for(self, name: str) -> list:
        return [task for task, types in self.tasks if name in types or ALL_TYPES in types]

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
    """The types a beat task syncs (schedules.synced_types), `webhooks` for the applier,
    `journal` for the journal's reader."""
    if task.task == EVENTS_TASK:
        return (EVENTS_TYPE,)
    try:
        kwargs = json.loads(task.kwargs or "{}")
    except ValueError:  # edited by hand in the admin: such a task syncs nothing we know of
        kwargs = {}
    kwargs = kwargs if isinstance(kwargs, dict) else {}
    kind, types = scheduled_runs(task.task, kwargs)
    return types if kind == "journal" else synced_types(task.task, kwargs)


def _run_text(run: SyncHistory | None) -> str:
    if run is None:
        return "never"
    text = run.status if run.mode in KIND_MODES["sync"] else f"{run.status} ({run.mode})"
    progress = progress_text(run.progress) if run.status == Status.RUNNING else ""
    return f"{text}: {progress}" if progress else text


def progress_text(progress: dict | None) -> str:
    """A running run's progress as its row keeps it (base/progress.py), e.g. `12,345 of
    40,000 records, 201/s, 3 min left`; "" before its first batch committed."""
    if not isinstance(progress, dict) or not isinstance(progress.get("records"), int):
        return ""
    records, expected = _number(progress["records"]), progress.get("expected")
    text = f"{records} of {_number(expected)} records" if isinstance(expected, int) \
        else f"{records} records"
    text += f", {_number(round(progress.get('rate') or 0))}/s"
    eta = progress.get("eta_seconds")
    if isinstance(eta, int):
        text += f", {f'{eta} s' if eta < 60 else _duration(timedelta(seconds=eta))} left"
    return text


def _error_text(run: SyncHistory | None) -> str:
    """The first line of the run's error, cut to ERROR_SHOWN characters."""
    lines = (run.error_message if run else "").strip().splitlines()
    if not lines:
        return NONE
    first = lines[0]
    return first if len(first) <= ERROR_SHOWN else first[:ERROR_SHOWN - 1] + "…"


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


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
