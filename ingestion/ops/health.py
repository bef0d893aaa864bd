"""GET /health/: 200 `{"status": "ok", ...}` when the mirror can work and is fresh, else 503
`{"status": "unhealthy", "problems": [...]}`. For monitoring probes: no login, and nothing in
the answer but type names, times and counts (no record data, no database host or secret).

Unhealthy when:
- the database cannot be reached, or is not migrated (the check every command makes first);
- a kind of run is overdue for a type: no successful run (`success` or `partial`) for longer
  than twice the shortest interval of an enabled beat schedule making it (one missed or
  overlapping slot is tolerated). Kinds: record syncs (modes incremental, full, since), link
  refreshes, deletion checks, verifications, webhook event batches (type `webhooks`). A
  record sync no schedule names may be HUBSPOT_HEALTH_MAX_AGE_MINUTES old (0: not checked);
  an unscheduled upkeep job is not checked. A type counts once it has a run of that kind;
  before its first success, the age runs from its first run's start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Max, Min, Q
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ingestion.base.schema import pending_migrations
from ingestion.models import SyncHistory
from ingestion.ops.schedules import ALL_TYPES, MODE_KIND, scheduled_intervals

SYNCED = (SyncHistory.Status.SUCCESS, SyncHistory.Status.PARTIAL)
# A beat schedule's interval, doubled: one slot lost to a run still holding the lock
# (exit 75) or a slow run must not page anyone.
SLOTS_TOLERATED = 2


@dataclass(frozen=True)
class Freshness:
    object_type: str
    kind: str  # schedules.KIND_MODES
    last_success: datetime | None
    since: datetime  # the last success, else the first run's start
    max_age: timedelta | None  # None: not checked

    @property
    def label(self) -> str:
        return self.object_type if self.kind == "sync" else f"{self.object_type} {self.kind}"

    def stale(self, now: datetime) -> bool:
        return self.max_age is not None and now - self.since > self.max_age


@require_safe
@never_cache
def health(request) -> JsonResponse:
    problems = database_problems()
    types: list[Freshness] = []
    if not problems:
        try:
            types = freshness()
        except DatabaseError:
            problems = ["database: a query failed"]
    now = timezone.now()
    problems += [stale_message(item, now) for item in types if item.stale(now)]
    body = {"status": "unhealthy" if problems else "ok", "problems": problems,
            "types": {item.label: describe(item) for item in types}}
    return JsonResponse(body, status=503 if problems else 200)


def database_problems() -> list[str]:
    """The check every command makes before it works (base_hubspot_sync.check_database),
    said without the database's host, name or the driver's message."""
    try:
        pending = pending_migrations()
    except DatabaseError:
        return ["database: unreachable"]
    if pending:
        return [f"database: not migrated ({len(pending)} migration(s) to apply)"]
    return []


def freshness() -> list[Freshness]:
    """Every (type, kind) with a run of that kind, its last success, and how old that may
    be."""
    rows = (SyncHistory.objects.filter(mode__in=MODE_KIND).values("object_type", "mode")
            .annotate(last_success=Max("finished_at", filter=Q(status__in=SYNCED)),
                      first_start=Min("started_at")).order_by())
    seen: dict[tuple[str, str], tuple] = {}
    for row in rows:  # the modes of one kind (incremental, full, since) merged
        key = (row["object_type"], MODE_KIND[row["mode"]])
        success, start = seen.get(key, (None, row["first_start"]))
        if row["last_success"] and (success is None or row["last_success"] > success):
            success = row["last_success"]
        seen[key] = (success, min(start, row["first_start"]))
    intervals = scheduled_intervals()
    return [Freshness(name, kind, success, success or start, max_age(intervals, kind, name))
            for (name, kind), (success, start) in sorted(seen.items())]


def max_age(intervals: dict, kind: str, name: str) -> timedelta | None:
    # The shortest of a schedule naming the type and one covering every type.
    every = min(filter(None, (intervals.get((kind, name)), intervals.get((kind, ALL_TYPES)))),
                default=None)
    if every:
        return every * SLOTS_TOLERATED
    default = settings.HUBSPOT_HEALTH_MAX_AGE_MINUTES
    return timedelta(minutes=default) if kind == "sync" and default else None


def stale_message(item: Freshness, now: datetime) -> str:
    age = int((now - item.since).total_seconds() // 60)
    what = "last successful run" if item.last_success else "no successful run; first run"
    return (f"{item.label}: {what} {age} min ago "
            f"(allowed {int(item.max_age.total_seconds() // 60)} min)")


def describe(item: Freshness) -> dict:
    return {"last_success": item.last_success.isoformat() if item.last_success else None,
            "max_age_minutes": (int(item.max_age.total_seconds() // 60)
                                if item.max_age else None)}
