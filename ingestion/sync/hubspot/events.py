"""Applying stored webhook events (`hubspot_webhook_event`) to the mirror, idempotently.

Events say *that* a record changed, not reliably *how*: HubSpot delivers at least once, out
of order, and a property change carries one value of possibly many. So an event is never
replayed onto a row. Its record is re-read from HubSpot by id with the normal save path
(newest wins, archived copies from the recycle bin, merges) and the row becomes what HubSpot
holds *now*. Whatever order or number of times events for a record arrive, the last re-read
is of a state at least as new as every event already taken up, so the mirror converges, and
applying the same events again only re-reads rows that are already right (skipped).

Pending events are taken up oldest first, 10,000 at a time (PAGE: bounded memory for a
backlog). What each kind of event does, per object type, in one run per type and page:
  creation, propertyChange, restore, deletion   re-read the record by id (Mode.IDS: 100 ids
                                               per batch read, live then recycle bin; an id
                                               answered nowhere is archived as `vanished`)
  merge                                        re-read the new, primary and merged ids: the
                                               survivor lists the merged ones, which the save
                                               path archives as `merged` into it
  associationChange                            re-read the link sets of both ends, each under
                                               its own type (links.refresh_links): HubSpot
                                               does not move a record's modified time when
                                               only its links change, so no sync would see it
  listMembership (journal only)                re-read the named lists' memberships (the lists
                                               engine by id: search with listIds, then every
                                               member), replaced exactly; a list HubSpot no
                                               longer has is archived
  contact.privacyDeletion                      purge the contact (only its id and deletion
                                               facts stay, `privacy_deleted`) and drop its
                                               links both ways. It wins over every other event
                                               for the id, in any order: a purged contact is
                                               never re-read again
An event of another portal than the mirrored one (portals.py) is marked applied with the
reason and never acted on (counted `ignored`); when HubSpot cannot say which portal the
mirror holds and HUBSPOT_PORTAL_ID is unset, every event waits (deferred).
A type that is not mirrored: its events are marked applied with a note. A custom type whose
schemas lookup HubSpot fails: its events fail (retried as below), the others are applied. A
type whose lock
another run holds: its events stay pending (`deferred`) for the next run. An id whose re-read
fails: its events stay pending with `attempts` + 1 and the reason, and are given up (applied,
with the error) after HUBSPOT_WEBHOOK_MAX_ATTEMPTS attempts.

Progress (base/progress.py, like a sync's): events taken up so far, of those pending when the
run starts, on the running row and in a line every HUBSPOT_PROGRESS_LOG_SECONDS, a page at a
time.

One applier at a time: the run is a `sync_history` row (object_type `webhooks`, mode
`events`) and, like a sync, holds that name's lock (the one runner: ingestion/base/runner.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ingestion.base.bulk_sql import purge_rows
from ingestion.base.chunks import chunked
from ingestion.base.history import SyncAlreadyRunning
from ingestion.base.redact import redact
from ingestion.base.results import Mode, SyncOptions, SyncResult
from ingestion.base.runner import run_recorded
from ingestion.models import (
    DeletedKind,
    HubSpotAssociation,
    HubSpotContact,
    SyncError,
    SyncHistory,
    WebhookEvent,
)

from .catalog import OBJECT_TYPE_NAMES, WEBHOOK_PREFIX_TYPES
from .client import HubSpotClient
from .engines.lists import HubSpotListSyncEngine
from .engines.registry import BY_NAME, RECORD_ENGINES, UnknownObjectType, record_engines
from .errors import (
    HubSpotAuthError,
    HubSpotConnectError,
    HubSpotDailyLimitError,
    HubSpotError,
    HubSpotForbiddenError,
)
from .links import refresh_links
from .portals import mirrored_portal, other_portal

log = logging.getLogger("ingestion.webhooks")

EVENTS_TYPE = "webhooks"  # the apply run's name in sync_history (and its lock)
# Not one type's problem: every other type would fail the same way, so the run stops.
FATAL = (HubSpotAuthError, HubSpotConnectError, HubSpotDailyLimitError)
REREAD_KINDS = {"creation", "propertyChange", "restore", "deletion", "merge"}
PAGE = 10_000  # events taken up at a time: a backlog is applied in pages, in bounded memory
CHUNK = 1_000  # ids per statement
# Outcomes, worst last: an event touching several records takes its worst one.
APPLIED, DEFERRED, FAILED = "applied", "deferred", "failed"
RANK = {APPLIED: 0, DEFERRED: 1, FAILED: 2}
IGNORED = "ignored"  # another portal's event (portals.py): recorded, never applied


@dataclass
class Plan:
    """What the pending events ask for: by object type, by HubSpot id, the events' pks."""

    reread: dict[str, dict[str, set[int]]] = field(default_factory=lambda: defaultdict(dict))
    links: dict[str, dict[str, set[int]]] = field(default_factory=lambda: defaultdict(dict))
    privacy: dict[str, set[int]] = field(default_factory=dict)  # contact ids
    lists: dict[str, set[int]] = field(default_factory=dict)  # list ids (journal events)
    nothing: set[int] = field(default_factory=set)  # events with nothing to apply

    def add(self, table: dict[str, set[int]], object_id: object, pk: int) -> None:
        table.setdefault(str(object_id), set()).add(pk)


def plan_events(events: list[WebhookEvent]) -> Plan:
    """Which records to re-read, whose links to refresh, which contacts to purge."""
    plan = Plan()
    for event in events:
        kind = event.subscription_type.rpartition(".")[2]
        if kind == "privacyDeletion" and event.object_type == "contacts":
            plan.add(plan.privacy, event.object_id, event.pk)
        elif kind == "associationChange":
            _plan_links(plan, event)
        elif kind == "listMembership" and event.detail.get("listId"):
            plan.add(plan.lists, event.detail["listId"], event.pk)
        elif kind in REREAD_KINDS or kind == "privacyDeletion":  # another type's: vanished
            for object_id in _record_ids(event):
                plan.add(plan.reread[event.object_type], object_id, event.pk)
        else:
            plan.nothing.add(event.pk)
    return plan


def _record_ids(event: WebhookEvent) -> list[str]:
    """The event's record, and for a merge every id it names: HubSpot mints a new record for
    contacts and companies, and both old ids then answer with it
    (docs/hubspot-api.md#deletions-and-merges)."""
    detail = event.detail
    merged = detail.get("mergedObjectIds") or []
    named = [event.object_id, detail.get("newObjectId"), detail.get("primaryObjectId"),
             *(merged if isinstance(merged, list) else [merged])]
    return list(dict.fromkeys(str(i) for i in named if i not in (None, "")))


def _plan_links(plan: Plan, event: WebhookEvent) -> None:
    detail = event.detail
    from_type = _type_name(detail.get("fromObjectTypeId")) or event.object_type
    plan.add(plan.links[from_type], detail.get("fromObjectId", event.object_id), event.pk)
    to_type = _type_name(detail.get("toObjectTypeId")) or _to_type(detail)
    if to_type and detail.get("toObjectId") is not None:
        plan.add(plan.links[to_type], detail["toObjectId"], event.pk)


def _type_name(type_id: object) -> str | None:
    return OBJECT_TYPE_NAMES.get(type_id, type_id) if isinstance(type_id, str) else None


def _to_type(detail: dict) -> str | None:
    """Classic events name the ends only in `associationType`, e.g. CONTACT_TO_COMPANY or
    LINE_ITEM_TO_DEAL."""
    _, sep, target = str(detail.get("associationType") or "").partition("_TO_")
    return WEBHOOK_PREFIX_TYPES.get(target.lower()) if sep else None


class TypeLookupFailed(Exception):
    """HubSpot failed to say what a (custom) object type is: its events fail, not the run."""


class Outcomes:
    """Each event's worst outcome so far and why."""

    def __init__(self) -> None:
        self.state: dict[int, tuple[str, str]] = {}

    def set(self, pks, state: str, why: str = "") -> None:
        for pk in pks:
            was, said = self.state.get(pk, (APPLIED, ""))
            if RANK[state] > RANK[was] or (RANK[state] == RANK[was] and not said):
                self.state[pk] = (state, why[:2000])

    def of(self, pk: int) -> tuple[str, str]:
        return self.state.get(pk, (APPLIED, ""))


def apply_events(client: HubSpotClient, *, limit: int | None = None,
                 dry_run: bool = False) -> SyncResult:
    """Apply the pending events (oldest `limit` of them), as one recorded run. Raises
    SyncAlreadyRunning when another applier is running."""
    result = SyncResult(EVENTS_TYPE, Mode.EVENTS, SyncOptions(
        dry_run=dry_run, progress_every=settings.HUBSPOT_PROGRESS_LOG_SECONDS))
    return run_recorded(result, lambda run_row: EventApplier(client, result).run(limit),
                        partial=lambda done: bool(done.details["failed"]))


def summary_line(result: SyncResult) -> str:
    d = result.details
    line = (f"events: received={d['pending']} applied={d['applied']} "
            f"deferred={d['deferred']} failed={d['failed']}")
    if d.get(IGNORED):
        line += f" ignored={d[IGNORED]} (another portal's)"
    return line + (" (dry run: nothing was written)" if result.options.dry_run else "")


def pending_events(limit: int, after: tuple[int, int] | None = None) -> list[WebhookEvent]:
    """Up to `limit` events not yet applied, oldest change first (so per object in
    `occurredAt` order), from after the (occurred_at, event_id) `after`."""
    pending = WebhookEvent.objects.filter(applied_at__isnull=True)
    if after is not None:
        pending = pending.filter(Q(occurred_at__gt=after[0])
                                 | Q(occurred_at=after[0], event_id__gt=after[1]))
    return list(pending.order_by("occurred_at", "event_id")[:limit])


class EventApplier:
    """The pending events, a page at a time: purge, re-read, refresh links, record."""

    def __init__(self, client: HubSpotClient, result: SyncResult):
        self.client, self.result = client, result
        self.dry_run = result.options.dry_run
        self.max_attempts = settings.HUBSPOT_WEBHOOK_MAX_ATTEMPTS
        self.totals = {"pending": 0, APPLIED: 0, DEFERRED: 0, FAILED: 0, "gave_up": 0,
                       IGNORED: 0}
        self.ignored: dict[int, str] = {}  # this page's events of another portal: why
        self.by_type: dict[str, dict[str, int]] = {}
        self.engines: dict[str, type | TypeLookupFailed | None] = {}

    def run(self, limit: int | None) -> None:
        after, taken = None, 0
        expected = WebhookEvent.objects.filter(applied_at__isnull=True).count()
        expected = expected if limit is None else min(limit, expected)
        while limit is None or taken < limit:
            events = pending_events(PAGE if limit is None else min(PAGE, limit - taken), after)
            if not events:
                break
            self._apply(events)
            taken += len(events)
            self.result.progress.batch_committed(len(events), expected)  # a page recorded
            after = (events[-1].occurred_at, events[-1].event_id)
        left = WebhookEvent.objects.filter(applied_at__isnull=True).count()
        self.result.details = {**self.totals, "left": left, "by_type": self.by_type}

    def _apply(self, page: list[WebhookEvent]) -> None:
        self.outcomes, self.ignored = Outcomes(), {}
        events = self._of_this_portal(page)
        if events:
            self._apply_plan(plan_events(events))
        self._record(page)

    def _of_this_portal(self, page: list[WebhookEvent]) -> list[WebhookEvent]:
        """The events of the portal this mirror holds (portals.py); the others are set
        aside as ignored. When HubSpot cannot say which portal that is, every event waits
        (deferred): applying another portal's privacy deletion would purge a local record."""
        try:
            mirrored = mirrored_portal(self.client)
        except HubSpotError as error:
            # A 403 is this one endpoint refused (a token without its scope): the operator
            # can name the portal. Any other fatal error stops every type alike.
            if isinstance(error, FATAL) and not isinstance(error, HubSpotForbiddenError):
                raise
            why = redact(f"the mirrored portal is unknown (HubSpot's account details: {error});"
                         " set HUBSPOT_PORTAL_ID")
            log.warning("%d webhook event(s) deferred: %s", len(page), why)
            self.outcomes.set([event.pk for event in page], DEFERRED, why)
            return []
        ours = []
        for event in page:
            why = other_portal(event.portal_id, mirrored)
            if why:
                self.ignored[event.pk] = why
            else:
                ours.append(event)
        return ours

    def _apply_plan(self, plan: Plan) -> None:
        self.outcomes.set(plan.nothing, APPLIED, "nothing to apply for this kind of event")
        self._purge(plan)
        saved: dict[str, set[str]] = {}
        for object_type in _in_dependency_order(plan.reread):
            saved[object_type] = self._reread(object_type, plan.reread[object_type])
        for object_type in _in_dependency_order(plan.links):
            self._links(object_type, plan.links[object_type], saved.get(object_type, set()))
        if plan.lists:
            self._lists(plan.lists)

    # -- privacy deletions -------------------------------------------------------------------

    def _purge(self, plan: Plan) -> None:
        """Privacy wins: contacts deleted for privacy now or before are purged and never
        re-read, whatever other events say about them and in whatever order they came."""
        asked = set(plan.reread.get("contacts", ())) | set(plan.links.get("contacts", ()))
        purged = _held(HubSpotContact.objects.filter(
            deleted_kind=DeletedKind.PRIVACY_DELETED), asked)
        for table in (plan.reread.get("contacts", {}), plan.links.get("contacts", {})):
            for object_id in (purged | set(plan.privacy)) & set(table):
                self.outcomes.set(table.pop(object_id), APPLIED,
                                  "contact deleted for privacy: not re-read")
        if plan.privacy:
            why = self._purge_contacts(sorted(plan.privacy))
            self.outcomes.set(set().union(*plan.privacy.values()),
                              DEFERRED if why else APPLIED, why)

    def _purge_contacts(self, ids: list[str]) -> str:
        """Keep only the ids and deletion facts, drop their links both ways. Returns why the
        events must be applied again, if they must."""
        if self.dry_run:
            return ""
        at = timezone.now()
        done = _held(HubSpotContact.objects.filter(
            deleted_kind=DeletedKind.PRIVACY_DELETED, purged_at__isnull=False), ids)
        ids = [i for i in ids if i not in done]  # purged before: left as they are
        purge_rows(HubSpotContact, ids, at, kind=DeletedKind.PRIVACY_DELETED)
        for chunk in chunked(ids, CHUNK):
            HubSpotContact.objects.filter(pk__in=chunk, archived_at__isnull=True).update(
                archived_at=at)
            HubSpotAssociation.objects.filter(
                Q(from_object_type="contacts", from_id__in=chunk)
                | Q(to_object_type="contacts", to_id__in=chunk)).delete()
        if SyncHistory.objects.filter(object_type="contacts",
                                      status=SyncHistory.Status.RUNNING).exists():
            # That run may have read the contact before HubSpot deleted it, and would write
            # it back: purge again once it is over.
            return "purged; a contacts sync was running: purged again by the next run"
        return ""

    # -- re-reading records and links --------------------------------------------------------

    def _engine(self, object_type: str) -> type | None:
        """The type's engine, None for a type this mirror does not keep. Custom types are
        looked up in HubSpot's schemas (once a run). A lookup HubSpot fails (after the
        client's retries) raises TypeLookupFailed: only this type's events fail (its links
        events too: the failure is remembered for the run)."""
        if object_type not in self.engines:
            try:
                self.engines[object_type] = (BY_NAME.get(object_type)
                                             or record_engines([object_type], self.client)[0])
            except UnknownObjectType:
                self.engines[object_type] = None
            except FATAL:
                raise
            except HubSpotError as error:
                self.engines[object_type] = TypeLookupFailed(
                    redact(f"looking up {object_type} in HubSpot's schemas failed: {error}"))
        found = self.engines[object_type]
        if isinstance(found, TypeLookupFailed):
            raise found
        return found

    def _reread(self, object_type: str, ids: dict[str, set[int]]) -> set[str]:
        """One Mode.IDS run for the type; returns the ids saved (their links with them)."""
        engine_class = self._engine_for(object_type, ids)
        if engine_class is None:
            return set()
        engine = engine_class(SyncOptions(
            ids=tuple(ids), dry_run=self.dry_run,
            purge_vanished=settings.HUBSPOT_PURGE_VANISHED),
            client=self.client)
        failures = self._run_type(ids, engine.run)
        return set() if failures is None else self._settle(engine, ids, failures)

    def _links(self, object_type: str, ids: dict[str, set[int]], saved: set[str]) -> None:
        engine_class = self._engine_for(object_type, ids)
        if engine_class is None:
            return
        if not self.dry_run:  # a record just re-read had its links re-read with it
            for object_id in saved & set(ids):
                self.outcomes.set(ids.pop(object_id), APPLIED)
        if not ids:
            return
        failures = self._run_type(ids, lambda: refresh_links(
            engine_class, self.client, list(ids), dry_run=self.dry_run))
        if failures is not None:
            self._settle(engine_class(SyncOptions(), client=self.client), ids, failures)

    def _lists(self, ids: dict[str, set[int]]) -> None:
        """The named lists' memberships read again (engines/lists.py, by id)."""
        engine = HubSpotListSyncEngine(SyncOptions(ids=tuple(ids), dry_run=self.dry_run),
                                       client=self.client)
        failures = self._run_type(ids, engine.run)
        if failures is not None:
            self._settle(engine, ids, failures)

    def _engine_for(self, object_type: str, ids: dict[str, set[int]]) -> type | None:
        """The engine for these ids' events, or None (they are settled here: not mirrored,
        or the type's lookup failed)."""
        if not ids:
            return None
        try:
            engine_class = self._engine(object_type)
        except TypeLookupFailed as failed:
            log.warning("%d webhook event(s) failed: %s", len(ids), failed)
            self.outcomes.set(set().union(*ids.values()), FAILED, str(failed))
            return None
        return engine_class if self._mirrored(object_type, engine_class, ids) else None

    def _mirrored(self, object_type: str, engine_class: type | None,
                  ids: dict[str, set[int]]) -> bool:
        if engine_class is None:
            self.outcomes.set(set().union(*ids.values()), APPLIED,
                              f"{object_type} is not mirrored")
        return engine_class is not None

    def _run_type(self, ids: dict[str, set[int]], run) -> dict[str, str] | None:
        """Run one type's job; its failures by local id, or None when it did not run (then
        every event of these ids is deferred or failed)."""
        every = set().union(*ids.values())
        try:
            done = run()
        except SyncAlreadyRunning as error:
            log.warning("%d webhook event(s) deferred: %s", len(every), error)
            self.outcomes.set(every, DEFERRED, str(error))
            return None
        except FATAL:
            raise
        except HubSpotError as error:
            why = redact(f"HubSpot: {error}")
            log.warning("%d webhook event(s) failed: %s", len(every), why)
            self.outcomes.set(every, FAILED, why)
            return None
        return failed_ids(done)

    def _settle(self, engine, ids: dict[str, set[int]], failures: dict[str, str]) -> set[str]:
        saved = set()
        for object_id, pks in ids.items():
            reason = failures.get(engine.local_id(object_id))
            self.outcomes.set(pks, FAILED if reason else APPLIED, reason or "")
            if not reason:
                saved.add(object_id)
        return saved

    # -- outcomes ----------------------------------------------------------------------------

    def _record(self, events: list[WebhookEvent]) -> None:
        """Mark what was applied; count an attempt on what failed (given up after the
        last); leave what was deferred pending. Nothing is written in a dry run."""
        now = timezone.now()
        self.totals["pending"] += len(events)
        for event in events:
            if event.pk in self.ignored:  # another portal's: recorded, never applied
                self.totals[IGNORED] += 1
                event.applied_at, event.error = now, self.ignored[event.pk]
                continue
            state, why = self.outcomes.of(event.pk)
            self.totals[state] += 1
            kinds = self.by_type.setdefault(event.object_type, dict.fromkeys(RANK, 0))
            kinds[state] += 1
            if state == FAILED:
                event.attempts += 1
                if event.attempts >= self.max_attempts:
                    self.totals["gave_up"] += 1
                    event.applied_at, why = now, f"gave up after {event.attempts} attempts: {why}"
            elif state == APPLIED:
                event.applied_at = now
            event.error = why
        if not self.dry_run:
            WebhookEvent.objects.bulk_update(events, ["applied_at", "attempts", "error"],
                                             batch_size=500)


def failed_ids(done: SyncResult) -> dict[str, str]:
    """The ids a run could not save, by local id: its failures, and the quarantined ones
    (failing alike run after run: not counted as failed by the sync, but still not saved)."""
    failed = {f.object_id: f.reason for f in done.failures}
    if done.quarantined and done.history_id:
        held = SyncError.objects.filter(history_id=done.history_id,
                                        severity=SyncError.Severity.QUARANTINED)
        failed.update(held.values_list("object_id", "reason"))
    return failed


def _held(rows, ids) -> set[str]:
    """Those of `ids` that are rows of the queryset `rows` (chunked: any number of ids)."""
    ids, found = list(ids), set()
    for chunk in chunked(ids, CHUNK):
        found.update(rows.filter(pk__in=chunk).values_list("pk", flat=True))
    return found


def _in_dependency_order(types) -> list[str]:
    order = {engine.object_type: n for n, engine in enumerate(RECORD_ENGINES)}
    return sorted(types, key=lambda name: order.get(name, len(order)))

