"""`sync_hubspot_changes`: HubSpot's webhooks journal applied to the mirror, within a minute
of each change, with nothing to expose to the internet (docs/operations.md#webhooks-journal).

One recorded run (object_type `journal`, mode `changes`; its lock: one reader at a time):
1. Read the journal on from the stored offset (journal.py), a batch of entries at a time.
   Each batch's events are stored as `hubspot_webhook_event` rows (source `journal`) in ONE
   transaction with the offset after them (`JournalState`): a kill before the commit leaves
   both as they were (the batch is read again), after it both moved (it is not). So no change
   is lost and none is stored twice.
2. Apply the pending events through the webhook events' by-id path (events.py: re-read by
   id, newest wins, merges, privacy deletions, links, list memberships, quarantine): events
   that fail stay pending and are retried, like webhook events.
3. With `watch_s`, do it again every `poll_s` seconds until `watch_s` has passed (the
   schedule runs it every minute watching 50 s, so a change waits about one poll).
An idle journal costs one request per read (the batch read that comes back empty), plus the
app token's renewal every half hour.

The stored offset older than the journal keeps (3 days: a 404): the run says so, notes the
journal's latest entry, runs what closes the gap (`close_gap`: the incremental sync, the link
refresh and the deletion check, given by the command layer) and reads on from that entry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max

from ingestion.base.history import SyncAlreadyRunning
from ingestion.base.results import Mode, SyncOptions, SyncResult
from ingestion.base.runner import run_recorded
from ingestion.models import JournalState, WebhookEvent

from .client import HubSpotClient
from .event_store import insert_rows
from .events import apply_events
from .journal import Chunk, JournalReader, OffsetExpired

log = logging.getLogger("ingestion.journal")

JOURNAL_TYPE = "journal"  # the run's name in sync_history (and its lock)
STATE_KEY = JournalState.LOCAL  # the local journal's row
# How long HubSpot keeps journal entries (docs/hubspot-api.md#webhooks-journal), less an hour
# of margin for clocks and the time a read takes.
JOURNAL_KEEPS = timedelta(days=3) - timedelta(hours=1)


class JournalNotSetUp(Exception):
    """No JournalState row: setup_hubspot_journal has not run."""


class OffsetMoved(Exception):
    """Another reader moved the offset meanwhile (the lock should make this impossible)."""


@dataclass
class Watch:
    watch_s: float = 0.0
    poll_s: float = 10.0


def sync_changes(crm: HubSpotClient, journal: HubSpotClient, *, dry_run: bool = False,
                 watch: Watch | None = None,
                 close_gap: Callable[[], list[str]] | None = None) -> SyncResult:
    """One recorded run (module doc). `close_gap` runs the syncs that close a gap and
    returns the problems they had (a failure that must stop the run raises)."""
    result = SyncResult(JOURNAL_TYPE, Mode.CHANGES, SyncOptions(
        dry_run=dry_run, progress_every=settings.HUBSPOT_PROGRESS_LOG_SECONDS))
    run = ChangesRun(crm, journal, result, watch or Watch(), close_gap)
    return run_recorded(result, lambda run_row: run.run(),
                        partial=lambda done: bool(done.details.get("failed")
                                                  or done.details.get("gap_problems")))


class ChangesRun:
    def __init__(self, crm: HubSpotClient, journal: HubSpotClient, result: SyncResult,
                 watch: Watch, close_gap: Callable[[], list[str]] | None):
        self.crm, self.journal, self.result, self.watch = crm, journal, result, watch
        self.close_gap = close_gap
        self.dry_run = result.options.dry_run
        self.totals = {"reads": 0, "entries": 0, "events": 0, "unusable": 0, "applied": 0,
                       "deferred": 0, "failed": 0, "gaps": 0}
        self.actions: dict[str, int] = {}
        self.gap_problems: list[str] = []  # what the syncs closing a gap could not do

    def run(self) -> None:
        state = _state()
        deadline = time.monotonic() + self.watch.watch_s
        reader = JournalReader(self.journal, state.offset, state.offset_published_at,
                               settings.HUBSPOT_PORTAL_ID or state.portal_id)
        while True:
            self._read(reader)
            self._apply()
            if time.monotonic() + self.watch.poll_s > deadline:
                break
            time.sleep(self.watch.poll_s)
        self.result.details = {**self.totals, "offset": reader.offset,
                               "actions": self.actions, **_lag()}
        if self.gap_problems:
            self.result.details["gap_problems"] = self.gap_problems

    # -- reading: each batch stored with its offset, in one transaction ------------------------

    def _read(self, reader: JournalReader) -> None:
        self.totals["reads"] += 1
        if not reader.offset and (why := _unread_too_long()):
            self._gap(reader, why)
            return
        try:
            for chunk in reader.chunks(datetime.now(UTC)):
                self._count(chunk)
                if not self.dry_run:
                    _store(chunk)
                # The journal has no count to go by: events stored so far, and the rate.
                self.result.progress.batch_committed(len(chunk.rows), None)
        except OffsetExpired as expired:
            self._gap(reader, str(expired))
            return
        if not self.dry_run:
            JournalState.objects.filter(key=STATE_KEY).update(read_at=datetime.now(UTC))

    def _count(self, chunk: Chunk) -> None:
        self.totals["entries"] += chunk.entries
        self.totals["events"] += len(chunk.rows)
        self.totals["unusable"] += chunk.unusable
        for action, count in chunk.actions.items():
            self.actions[action] = self.actions.get(action, 0) + count

    def _gap(self, reader: JournalReader, why: str) -> None:
        """The stored offset expired: note the latest entry, close the gap with syncs, and
        read on from that entry (module doc)."""
        self.totals["gaps"] += 1
        log.warning("%s: older than the journal keeps (3 days). Closing the gap: incremental "
                    "sync, link refresh and deletion check, then reading on from the "
                    "journal's latest entry", why)
        if self.dry_run:
            return
        offset = reader.latest_offset()  # noted before the gap closes: read on from there
        self.gap_problems += self.close_gap() if self.close_gap else []
        now = datetime.now(UTC)  # read_at too: the gap is closed up to now
        JournalState.objects.filter(key=STATE_KEY).update(
            offset=offset, offset_published_at=None, gap_at=now, read_at=now)
        reader.offset, reader.published_at = offset, None
        reader.seen.clear()
        self._read(reader)

    # -- applying ---------------------------------------------------------------------------------

    def _apply(self) -> None:
        if self.dry_run or not WebhookEvent.objects.filter(applied_at__isnull=True).exists():
            return
        started = datetime.now(UTC)
        try:
            applied = apply_events(self.crm)
        except SyncAlreadyRunning as busy:
            log.warning("journal events stay pending: %s", busy)
            return
        for key in ("applied", "deferred", "failed"):
            self.totals[key] += applied.details.get(key, 0)
        _note_newest_applied(started)


def _unread_too_long() -> str:
    """With no offset stored yet, what the journal dropped cannot be told by a 404: if it was
    last read (or set up) longer ago than it keeps entries, there may be a gap."""
    state = _state()
    since = state.read_at or state.set_up_at
    if since is None or datetime.now(UTC) - since < JOURNAL_KEEPS:
        return ""
    return (f"the journal has not been read since {since.isoformat(timespec='seconds')}, "
            "longer ago than it keeps entries")


def _state() -> JournalState:
    state = JournalState.objects.filter(key=STATE_KEY).first()
    if state is None:
        raise JournalNotSetUp("the webhooks journal is not set up: run setup_hubspot_journal "
                              "first")
    return state


def _store(chunk: Chunk) -> None:
    """The chunk's events and the offset after them, in one transaction (module doc)."""
    previous = chunk.previous
    with transaction.atomic():
        insert_rows(chunk.rows)
        moved = JournalState.objects.filter(key=STATE_KEY, offset=previous).update(
            offset=chunk.offset, offset_published_at=chunk.published_at,
            entries_read=F("entries_read") + chunk.entries,
            events_stored=F("events_stored") + len(chunk.rows))
        if not moved:
            raise OffsetMoved(f"the journal offset is no longer {previous!r}: another reader "
                              "moved it; nothing from this batch was stored")


def _note_newest_applied(since: datetime) -> None:
    """The lag's reference: the newest change applied (occurredAt) by this apply."""
    applied = WebhookEvent.objects.filter(source=WebhookEvent.JOURNAL, applied_at__gte=since,
                                          occurred_at__gt=0)
    newest_ms = applied.aggregate(newest=Max("occurred_at"))["newest"]
    if newest_ms is None:
        return
    newest = datetime.fromtimestamp(newest_ms / 1000, UTC)
    state = JournalState.objects.filter(key=STATE_KEY).first()
    if state and (state.newest_change_at is None or newest > state.newest_change_at):
        JournalState.objects.filter(key=STATE_KEY).update(newest_change_at=newest)


def _lag() -> dict:
    state = JournalState.objects.filter(key=STATE_KEY).first()
    if state is None or state.newest_change_at is None:
        return {}
    return {"lag_s": max(0, round((datetime.now(UTC) - state.newest_change_at)
                                  .total_seconds()))}
