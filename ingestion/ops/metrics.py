"""GET /metrics: Prometheus text format, computed from the database at each scrape.

A collector reads sync_history (and the quarantine and webhook tables) when scraped, so
every process and machine that runs syncs is counted without a pushgateway or shared
memory. Record counts are gauges of each type's last *successful* run (per mode): they say
what the last good run did and never reset when a process restarts. Run counts are counters
of the rows in sync_history (they only fall if someone deletes history). Runs in progress:
their records so far, HubSpot's count, rate and ETA, as their rows keep them
(`running_metrics`).

HTTP requests and 429s: each run records its client's requests and 429 answers by endpoint
class (list, search, batch_read, associations, definitions, oauth) in `details`
(`request_stats.py`); the last finished run's are gauges here.

HubSpot's webhooks journal, once set up (status.journal_status): its lag (age of the newest
applied change; absent until one is), last read and last gap closed as Unix times, the
offset as an info metric, entries read and events stored since set-up as counters. Its
runs are counted above as object_type "journal", mode "changes". Not set up: no journal
metric at all.

Every portal an operator sees (ops/portals.py) is read in its own scope, and every series
carries a `portal` label: the portal's name, `default` for the implicit one (even alone, so
that a series keeps its labels when a second portal is registered).

With METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>` (401 otherwise).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Max, Q
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)

from ingestion.base.scopes import IMPLICIT
from ingestion.models import QuarantinedRecord, SyncHistory, WebhookEvent
from ingestion.ops.portals import Portal, shown_portals
from ingestion.ops.status import journal_status
from ingestion.sync.hubspot.accounts import in_portal
from ingestion.sync.hubspot.pacing import reserve_requests

PREFIX = "hubspot_mirror_"
OUTCOMES = ("fetched", "created", "updated", "overwritten", "skipped", "archived", "failed",
            "quarantined")
RECORD_MODES = ("incremental", "full", "since", "ids")
SYNCED = (SyncHistory.Status.SUCCESS, SyncHistory.Status.PARTIAL)
# The classic text format, which every Prometheus version reads (the names need no escaping).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@require_safe
@never_cache
def metrics(request) -> HttpResponse:
    if not authorized(request):
        return HttpResponse("a bearer token is required\n", status=401,
                            content_type="text/plain", headers={"WWW-Authenticate": "Bearer"})
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MirrorCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE)


def authorized(request) -> bool:
    return not settings.METRICS_TOKEN or token_sent(request)


def token_sent(request) -> bool:
    """Whether the request carries `Authorization: Bearer <METRICS_TOKEN>` (a token is set)."""
    token = settings.METRICS_TOKEN
    if not token:
        return False
    sent = request.headers.get("Authorization", "")
    # Constant time: the comparison must not tell how much of a guess was right.
    return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


class MirrorCollector:
    """Yields every metric family from a few aggregate queries per portal, each sample
    labelled with its portal; a database that cannot be read gives
    hubspot_mirror_database_up 0 (for that portal) instead of a failed scrape."""

    def collect(self):
        try:
            portals = shown_portals()
        except DatabaseError:  # the registry cannot be read: nothing else can
            portals = []
        merged: dict[str, Metric] = {}
        up = GaugeMetricFamily(PREFIX + "database_up", "1 if the database could be read",
                               labels=["portal"])
        for portal in portals:
            families = portal_families(portal)
            up.add_metric([portal.name], 1 if families else 0)
            for family in families:
                add_labelled(merged, family, portal.name)
        if not portals:
            up.add_metric([IMPLICIT], 0)
        yield up
        yield from merged.values()


def portal_families(portal: Portal) -> list:
    """Every family of one portal, read in its scope; [] when its tables cannot be read."""
    try:
        with in_portal(portal.name):
            return [*run_metrics(), *running_metrics(), *last_run_metrics(),
                    *backlog_metrics(), *budget_metrics(), *journal_metrics()]
    except DatabaseError:
        return []


def add_labelled(merged: dict[str, Metric], family: Metric, portal: str) -> None:
    """`family`'s samples into the family of its name in `merged`, each with `portal`."""
    target = merged.get(family.name)
    if target is None:
        target = merged[family.name] = Metric(family.name, family.documentation,
                                              family.type, family.unit)
    for sample in family.samples:
        target.add_sample(sample.name, {**sample.labels, "portal": portal}, sample.value,
                          sample.timestamp)


def run_metrics():
    # Finished runs only: a counter must never fall, and a running row changes status.
    runs = CounterMetricFamily(PREFIX + "runs", "Finished runs recorded in sync_history",
                               labels=["object_type", "mode", "status"])
    running = GaugeMetricFamily(PREFIX + "runs_running", "Runs in progress (holding the lock)",
                                labels=["object_type", "mode"])
    for row in (SyncHistory.objects.values("object_type", "mode", "status")
                .annotate(n=Count("id")).order_by()):
        if row["status"] == SyncHistory.Status.RUNNING:
            running.add_metric([row["object_type"], row["mode"]], row["n"])
        else:
            runs.add_metric([row["object_type"], row["mode"], row["status"]], row["n"])
    success = GaugeMetricFamily(PREFIX + "last_success_timestamp_seconds",
                                "When the last successful (or partial) run ended, Unix time",
                                labels=["object_type", "mode"])
    for row in (SyncHistory.objects.filter(status__in=SYNCED, finished_at__isnull=False)
                .values("object_type", "mode").annotate(at=Max("finished_at")).order_by()):
        success.add_metric([row["object_type"], row["mode"]], row["at"].timestamp())
    return [runs, running, success]


# A running run's progress as its row keeps it (base/progress.py): key in `progress`, name.
RUNNING_GAUGES = (
    ("records", "running_records", "Records read so far by a run in progress"),
    ("expected", "running_expected_records",
     "HubSpot's count of what a run in progress reads (full reads and runs by id)"),
    ("rate", "running_records_per_second", "Records read per second by a run in progress"),
    ("eta_seconds", "running_eta_seconds",
     "Seconds a run in progress needs to finish at its rate so far"),
)


def running_metrics():
    """Runs in progress, from their rows as their batches commit: records so far, HubSpot's
    count, rate and ETA (a value a run does not know is left out, never made up)."""
    families = {key: GaugeMetricFamily(PREFIX + name, text, labels=["object_type", "mode"])
                for key, name, text in RUNNING_GAUGES}
    for run in (SyncHistory.objects.filter(status=SyncHistory.Status.RUNNING)
                .exclude(progress=None).values("object_type", "mode", "progress")):
        progress = run["progress"] if isinstance(run["progress"], dict) else {}
        for key, family in families.items():
            value = progress.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                family.add_metric([run["object_type"], run["mode"]], value)
    return list(families.values())


def last_run_metrics():
    """Durations (and requests) of each type and mode's last finished run; record counts of
    its last successful record-reading run."""
    duration = GaugeMetricFamily(PREFIX + "last_run_duration_seconds",
                                 "Wall time of the last finished run",
                                 labels=["object_type", "mode", "status"])
    requests = GaugeMetricFamily(PREFIX + "last_run_requests",
                                 "HubSpot requests of the last finished run",
                                 labels=["object_type", "mode", "endpoint"])
    limited = GaugeMetricFamily(PREFIX + "last_run_rate_limited",
                                "HubSpot 429 answers in the last finished run",
                                labels=["object_type", "mode", "endpoint"])
    for run in last_runs(~Q(status=SyncHistory.Status.RUNNING)):
        labels = [run.object_type, run.mode]
        duration.add_metric([*labels, run.status],
                            (run.finished_at - run.started_at).total_seconds())
        add_by_endpoint(requests, labels, run.details, "requests")
        add_by_endpoint(limited, labels, run.details, "rate_limited")
    records = GaugeMetricFamily(PREFIX + "last_success_records",
                                "Records by outcome in the last successful run",
                                labels=["object_type", "mode", "outcome"])
    for run in last_runs(Q(status__in=SYNCED, mode__in=RECORD_MODES)):
        for outcome in OUTCOMES:
            records.add_metric([run.object_type, run.mode, outcome], getattr(run, outcome))
    return [duration, requests, limited, records]


def add_by_endpoint(family: GaugeMetricFamily, labels: list[str], details: dict,
                    key: str) -> None:
    """One sample per endpoint class the run recorded (`<key>_by_class`), else the run's
    total as endpoint "all" (verify runs record a total only)."""
    by_class = details.get(f"{key}_by_class")
    if isinstance(by_class, dict):
        for endpoint, value in by_class.items():
            family.add_metric([*labels, endpoint], value)
    elif isinstance(details.get(key), int):
        family.add_metric([*labels, "all"], details[key])


def budget_metrics():
    """The account's daily budget as the newest run that saw HubSpot's Daily headers left it
    (private apps get them; OAuth apps do not), and whether the reserve is reached."""
    run = (SyncHistory.objects.filter(finished_at__isnull=False,
                                      details__has_key="daily_remaining")
           .order_by("-finished_at").first())
    if run is None:
        return []
    limit, left = run.details.get("daily_limit"), run.details["daily_remaining"]
    families = [GaugeMetricFamily(PREFIX + "rate_budget_daily_remaining",
                                  "Requests left today (HubSpot's Daily-Remaining, counted "
                                  "down since), at the end of the newest run", value=left)]
    if isinstance(limit, int) and limit:
        reserve = reserve_requests(limit, settings.HUBSPOT_DAILY_RESERVE_PERCENT)
        families += [
            GaugeMetricFamily(PREFIX + "rate_budget_daily_limit", "The account's daily "
                              "request limit", value=limit),
            GaugeMetricFamily(PREFIX + "rate_budget_daily_used_ratio", "Share of the daily "
                              "limit used", value=1 - left / limit),
            GaugeMetricFamily(PREFIX + "rate_budget_reserve_reached", "1 when syncing is "
                              "paused: the daily reserve (HUBSPOT_DAILY_RESERVE_PERCENT) is "
                              "reached", value=int(bool(reserve) and left <= reserve))]
    return families


def last_runs(condition: Q) -> list[SyncHistory]:
    """The newest finished run matching `condition` per type and mode (ids grow with time)."""
    latest = (SyncHistory.objects.filter(condition, finished_at__isnull=False)
              .values("object_type", "mode").annotate(last=Max("id")).values("last"))
    return list(SyncHistory.objects.filter(id__in=latest).order_by("object_type", "mode"))


def backlog_metrics():
    quarantined = GaugeMetricFamily(PREFIX + "quarantined_records",
                                    "Records quarantined after failing alike 3 runs in a row",
                                    labels=["object_type"])
    for row in (QuarantinedRecord.objects.filter(quarantined_at__isnull=False)
                .values("object_type").annotate(n=Count("id")).order_by()):
        quarantined.add_metric([row["object_type"]], row["n"])
    pending = GaugeMetricFamily(PREFIX + "webhook_events_pending",
                                "Webhook events stored and not yet applied")
    pending.add_metric([], WebhookEvent.objects.filter(applied_at=None).count())
    return [quarantined, pending]


def journal_metrics():
    """The webhooks journal's position and lag; nothing when it is not set up."""
    journal = journal_status(timezone.now())
    if journal is None:
        return []
    state, families = journal.state, []
    if journal.lag is not None:  # no change applied yet: no lag rather than a made-up one
        families.append(GaugeMetricFamily(
            PREFIX + "journal_lag_seconds", "Age of the newest change applied from the "
            "webhooks journal", value=max(journal.lag.total_seconds(), 0.0)))
    for name, moment, text in (
            ("journal_last_read_timestamp_seconds", state.read_at,
             "When a read of the webhooks journal last reached its end, Unix time"),
            ("journal_last_gap_timestamp_seconds", state.gap_at,
             "When syncs last closed a gap (the stored journal offset had expired), Unix time")):
        if moment is not None:
            families.append(GaugeMetricFamily(PREFIX + name, text, value=moment.timestamp()))
    offset = InfoMetricFamily(PREFIX + "journal_offset", "The webhooks journal offset whose "
                              "events are stored (empty: none read yet)")
    offset.add_metric([], {"offset": state.offset})
    families += [offset,
                 CounterMetricFamily(PREFIX + "journal_entries_read", "Journal entries read "
                                     "since set-up", value=state.entries_read),
                 CounterMetricFamily(PREFIX + "journal_events_stored", "Events stored from "
                                     "the journal since set-up", value=state.events_stored)]
    return families
