"""The webhooks journal's state (docs/hubspot-api.md#webhooks-journal): subscriptions, entries,
snapshots. No HTTP here (`api_journal` serves it).

The journal observes the store next to the webhooks (`attach` fans the store's observers
out): each store op, association change or list membership change becomes journal events
(`journal_events`, built from the webhook machinery's events) and, when a subscription
matches, one entry holding them (*choice*: one entry per op). Nothing is built while no
subscription could match, so a bulk seed (generated data, or writes before anyone subscribed)
costs no memory. Entries live `RETENTION_MS` on the emulated clock, then drop out; at most
`MAX_ENTRIES` are kept (*choice*: the oldest drop first).
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from .journal_events import association_events, list_events, op_events, snapshot_event
from .journal_subs import Subscriptions
from .store import Op, Store, TypeState
from .timeutil import DAY_MS, iso_ms

RETENTION_MS = 3 * DAY_MS  # "the past 3 days" (docs/hubspot-api.md#webhooks-journal)
MAX_ENTRIES = 200_000


@dataclass
class Entry:
    seq: int  # position in the journal: the order, never the offset's value
    offset: str
    published_ms: int
    events: list[dict]
    portal_id: int  # the portal that published it

    def file(self) -> dict:
        """The event file the entry's url serves (contract: one entry = one file)."""
        return {"offset": self.offset, "portalId": self.portal_id,
                "publishedAt": iso_ms(self.published_ms), "journalEvents": self.events}


class StoreFanout:
    """Several store observers (the webhooks, the journal), called in order."""

    def __init__(self, *observers) -> None:
        self.observers = observers

    def before_op(self, ts: TypeState, op: Op) -> None:
        for observer in self.observers:
            observer.before_op(ts, op)


class Journal:
    """The app's journal for the emulated portal; `reset` empties it."""

    def __init__(self, app_id: int) -> None:
        self.app_id = app_id
        self.store: Store | None = None
        self.reset_state()

    def reset_state(self) -> None:
        self.subscriptions = Subscriptions()
        self.entries: list[Entry] = []
        self.start = 0  # entries[start:] are live; the rest expired (compacted now and then)
        self.by_offset: dict[str, Entry] = {}
        self.snapshots: dict[str, dict] = {}
        self._seq = itertools.count()
        self._event_ids = itertools.count(1)
        self._last_published = 0

    def attach(self, store: Store) -> None:
        """Observe `store` after whatever observes it already (the webhooks)."""
        self.reset_state()
        self.store = store
        store.observer = StoreFanout(*filter(None, (store.observer, self)))
        before = store.assoc.observer

        def both(*args, **kwargs) -> None:
            if before is not None:
                before(*args, **kwargs)
            self.before_association(*args, **kwargs)
        store.assoc.observer = both

    # -- observing changes ------------------------------------------------------------------

    def before_op(self, ts: TypeState, op: Op) -> None:
        kinds = ("OBJECT", "GDPR_PRIVACY_DELETION")
        if self.subscriptions.wants(kinds, (ts.otype.type_id,)):
            self.write(op_events(self.store, ts, op))

    def before_association(self, a: str, ai: int, b: str, bi: int, fwd, back,
                           removed: bool) -> None:
        types = self.store.types
        ids = (types[a].otype.type_id, types[b].otype.type_id)
        if self.subscriptions.wants(("ASSOCIATION",), ids):
            self.write(association_events(self.store, a, ai, b, bi, fwd, back, removed))

    def list_membership(self, list_id: str, object_type_id: str, record_ids: list[str],
                        removed: bool) -> None:
        """Called by the lists' membership control endpoints after a change."""
        if record_ids and self.subscriptions.wants(("LIST_MEMBERSHIP",), ()):
            self.write(list_events(self.store, list_id, object_type_id, record_ids, removed))

    def snapshot(self, wanted: list[tuple[TypeState, int, list[str]]]) -> None:
        """SNAPSHOT events for (type, record, properties), one entry for all of them, written
        whatever the subscriptions (they were asked for)."""
        now = self.store.clock.now_ms()
        events = [snapshot_event(self.store, now, ts, idx, properties)
                  for ts, idx, properties in wanted]
        if events:
            self._append([{"eventId": next(self._event_ids), **e} for e in events])

    def snapshot_status(self, ok: bool) -> str:
        """A new snapshot's status id; served at once, so COMPLETED (or FAILED: no record)."""
        status_id, now = str(uuid.uuid4()), self.store.clock.now_ms()
        status = {"id": status_id, "initiatedAt": now, "status": "COMPLETED",
                  "completedAt": now}
        if not ok:
            status.update(status="FAILED", errorCode="VALIDATION_ERROR",
                          message="No such record in this portal")
        self.snapshots[status_id] = status
        return status_id

    def write(self, events: list[dict]) -> None:
        taken = self.subscriptions.matches(events)
        if taken:
            self._append([{"eventId": next(self._event_ids), **e} for e in taken])

    def _append(self, events: list[dict]) -> None:
        # publishedAt never goes back, even when the emulated clock is moved back.
        now = max(self.store.clock.now_ms(), self._last_published)
        self._last_published = now
        entry = Entry(next(self._seq), str(uuid.uuid4()), now, events, self.store.portal_id)
        self.entries.append(entry)
        self.by_offset[entry.offset] = entry
        if len(self.entries) - self.start > MAX_ENTRIES:
            self._drop_first()
        self.expire()

    # -- reading ----------------------------------------------------------------------------

    def live(self) -> list[Entry]:
        """The entries still kept, oldest first (expired ones dropped first)."""
        self.expire()
        return self.entries[self.start:]

    def expire(self) -> None:
        cutoff = self.store.clock.now_ms() - RETENTION_MS
        while self.start < len(self.entries) and self.entries[self.start].published_ms <= cutoff:
            self._drop_first()
        if self.start > 1024 and self.start * 2 > len(self.entries):
            del self.entries[:self.start]
            self.start = 0

    def _drop_first(self) -> None:
        gone = self.entries[self.start]
        self.by_offset.pop(gone.offset, None)
        self.entries[self.start] = None  # type: ignore[call-overload]  # freed at once
        self.start += 1

    def find(self, offset: str) -> Entry | None:
        self.expire()
        return self.by_offset.get(offset)

    def after(self, offset: str, count: int) -> list[Entry] | None:
        """Up to `count` entries after `offset`; None when it expired or never existed."""
        entry = self.find(offset)
        if entry is None:
            return None
        first_seq = self.entries[self.start].seq
        begin = self.start + (entry.seq - first_seq) + 1
        return self.entries[begin:begin + count]

    def state(self) -> dict:
        kept = self.live()
        return {"entries": len(kept), "earliestOffset": kept[0].offset if kept else None,
                "latestOffset": kept[-1].offset if kept else None,
                "subscriptions": len(self.subscriptions.by_id)}
