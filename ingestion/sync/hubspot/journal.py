"""Reading HubSpot's webhooks journal (docs/hubspot-api.md#webhooks-journal): the fetch side of
`sync_hubspot_changes` (the run itself: changes.py).

The journal is a chain of entries, oldest first, each `{currentOffset, expiresAt, url}`; the
`url` is a pre-signed file holding that entry's events. The mirror reads the local journal
(one account, `installPortalId`) a batch of entries at a time after the stored offset
(`batch/{offset}/next/{count}`; the first read starts at `batch/earliest/{count}`), downloads
each entry's file without the Authorization header (a pre-signed URL is its own credential and
may be another host: the app token never goes there), and hands the caller one `Chunk` per
batch: the entries' events as `WebhookEvent` rows, and the offset to store with them.

What is never taken as data (each is a malformed reply: retried, then the run fails naming
the endpoint and the offset, which stays where it was):
- a batch without its shape, one not whole (a `status` other than COMPLETE, or errors), or
  one that repeats the offset asked after or any offset this run has read (a journal that
  goes round in circles cannot make the run loop);
- a file without its shape, whose `offset` is not its entry's, or published before the entry
  read before it (out of order);
An event in a file that cannot be applied (no usable type, id or action) is stored settled,
with the reason, and logged by its place (offset and index), never by its body.

An offset the journal no longer keeps (3 days), or never had, is a 404 on the batch read:
`OffsetExpired`, for the run to close the gap.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, ClassVar

import msgspec

from ingestion.models import WebhookEvent

from .client import HubSpotClient
from .errors import HubSpotClientError, HubSpotMalformedReplyError
from .event_store import UnusableEvent, event_row
from .timeparse import parse_hubspot_datetime

log = logging.getLogger("ingestion.journal")

BATCH_COUNT = 100  # entries per batch read: batch/read takes at most 100 offsets
# The journal's actions → the webhook subscription kinds the applier (events.py) acts on.
ACTION_KINDS = {
    "CREATE": "creation", "UPDATE": "propertyChange", "DELETE": "deletion",
    "RESTORE": "restore", "MERGE": "merge", "GDPR_DELETE": "privacyDeletion",
    "ASSOCIATION_ADDED": "associationChange", "ASSOCIATION_REMOVED": "associationChange",
    "ADDED_TO_LIST": "listMembership", "REMOVED_FROM_LIST": "listMembership",
    "SNAPSHOT": "creation",  # a snapshot asked for: re-read like a new record
}
Offset = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class OffsetExpired(Exception):
    """The stored offset is older than the journal keeps (or was never one of its)."""


class Entry(msgspec.Struct):
    offset: Offset = msgspec.field(name="currentOffset")
    url: Annotated[str, msgspec.Meta(min_length=1)]
    expires_at: str = msgspec.field(name="expiresAt", default="")


class Batch(msgspec.Struct):
    """A batch read's answer; `results` oldest first. HubSpot's batch answers carry a
    `status` and, when part of the batch failed, `errors` / `numErrors`. A 204 with no body
    (how the journal's single-entry route says "nothing newer") is taken as no entries: the
    offset stays, so nothing can be skipped by it (the client returns None)."""

    no_content: ClassVar[bool] = True
    results: list[Entry]
    status: str = "COMPLETE"
    errors: list[Any] = msgspec.field(default_factory=list)
    num_errors: int = msgspec.field(name="numErrors", default=0)


class EntryFile(msgspec.Struct):
    """The file an entry's `url` holds (its events stay plain dicts: one bad event fails
    alone)."""

    events: list[Any] = msgspec.field(name="journalEvents")
    offset: Offset = ""
    published_at: str = msgspec.field(name="publishedAt", default="")

    @property
    def results(self) -> list[Any]:  # replies.decode repairs broken text in these
        return self.events


@dataclass
class Chunk:
    """One batch of entries read: their events as rows, and where the journal now stands."""

    rows: list[WebhookEvent]
    previous: str  # the offset read after (stored before this chunk)
    offset: str
    published_at: datetime | None
    entries: int
    unusable: int = 0
    actions: dict[str, int] = field(default_factory=dict)


@dataclass
class JournalReader:
    """Reads on from `offset` ("" : from the earliest entry kept)."""

    client: HubSpotClient
    offset: str
    published_at: datetime | None = None  # the stored offset's file's
    portal_id: int | None = None
    seen: set[str] = field(default_factory=set)

    def chunks(self, received_at: datetime) -> Iterator[Chunk]:
        """Every batch after the offset until the journal's end (a batch shorter than asked)."""
        while True:
            entries = self._batch()
            if not entries:
                return
            yield self._chunk(entries, received_at)
            if len(entries) < BATCH_COUNT:
                return

    def latest_offset(self) -> str:
        """The journal's newest entry's offset ("" : the journal is empty)."""
        entries = self._read(self.client.paths.journal_latest_batch(1), check=False)
        return entries[-1].offset if entries else ""

    def _batch(self) -> list[Entry]:
        paths = self.client.paths
        path = (paths.journal_next_batch(self.offset, BATCH_COUNT) if self.offset
                else paths.journal_earliest_batch(BATCH_COUNT))
        try:
            return self._read(path, check=True)
        except HubSpotClientError as error:
            if error.status == 404 and self.offset:
                raise OffsetExpired(f"the journal no longer keeps offset {self.offset} "
                                    f"(HubSpot: {error})") from None
            raise

    def _read(self, path: str, *, check: bool) -> list[Entry]:
        """A batch read's entries (a 204: none); `check`: against this run's chain too."""
        params = {"installPortalId": str(self.portal_id)} if self.portal_id else None
        reply = self.client.request(
            "GET", path, params=params, shape=Batch,
            check=(lambda batch: self._check_batch(batch, path)) if check else None)
        return reply.results if reply is not None else []

    def _check_batch(self, batch: Batch | None, path: str) -> None:
        if batch is None:  # 204: no entries
            return
        if batch.status != "COMPLETE" or batch.errors or batch.num_errors:
            # Entries are read in a chain: a batch that is not whole could leave one out
            # and the offset would move past it.
            raise HubSpotMalformedReplyError(
                f"malformed reply to GET {path}: status {batch.status[:20]!r} with "
                f"{max(len(batch.errors), batch.num_errors)} error(s), not a whole batch")
        offsets = [entry.offset for entry in batch.results]
        again = [o for o in offsets if o == self.offset or o in self.seen]
        if again or len(set(offsets)) < len(offsets):
            repeated = again[0] if again else offsets[0]
            raise HubSpotMalformedReplyError(
                f"malformed reply to GET {path}: offset {repeated} again (the journal would "
                "go round in circles)")

    def _chunk(self, entries: list[Entry], received_at: datetime) -> Chunk:
        chunk = Chunk([], self.offset, self.offset, self.published_at, len(entries))
        for entry in entries:
            published = self._read_file(entry, chunk, received_at)
            self.seen.add(entry.offset)
            self.offset, self.published_at = entry.offset, published
        chunk.offset, chunk.published_at = self.offset, self.published_at
        return chunk

    def _read_file(self, entry: Entry, chunk: Chunk, received_at: datetime) -> datetime | None:
        what = f"the journal file of entry {entry.offset}"
        file = self.client.download(entry.url, what, shape=EntryFile,
                                    check=lambda read: self._check_file(read, entry, what))
        for index, event in enumerate(file.events):
            self._add(chunk, entry.offset, index, event, received_at)
        return _published(file, what)

    def _check_file(self, file: EntryFile, entry: Entry, what: str) -> None:
        if file.offset and file.offset != entry.offset:
            raise HubSpotMalformedReplyError(
                f"malformed {what}: it says offset {file.offset}")
        published = _published(file, what)
        if published and self.published_at and published < self.published_at:
            raise HubSpotMalformedReplyError(
                f"malformed {what}: published {published.isoformat()}, before the entry "
                f"read before it ({self.published_at.isoformat()}): out of order")

    def _add(self, chunk: Chunk, offset: str, index: int, event: object,
             received_at: datetime) -> None:
        action = event.get("action") if isinstance(event, dict) else None
        chunk.actions[str(action)[:32]] = chunk.actions.get(str(action)[:32], 0) + 1
        try:
            row = journal_event_row(event, received_at)
        except UnusableEvent as reason:
            chunk.unusable += 1
            log.warning("journal entry %s event %d not applied: %s", offset, index, reason)
            row = settled_row(str(reason), received_at)
        row.source, row.event_id = WebhookEvent.JOURNAL, place_key(offset, index)
        chunk.rows.append(row)


def _published(file: EntryFile, what: str) -> datetime | None:
    try:
        return parse_hubspot_datetime(file.published_at) if file.published_at else None
    except ValueError:
        raise HubSpotMalformedReplyError(f"malformed {what}: publishedAt is not a time") from None


def place_key(offset: str, index: int) -> int:
    """A journal event's key: its place (entry offset, index in the file) as 63 bits. The
    same event read twice gets the same key (stored once); HubSpot's own eventId is not
    documented as unique across the journal, so it is not trusted to be."""
    digest = hashlib.blake2b(f"{offset}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def journal_event_row(event: object, received_at: datetime) -> WebhookEvent:
    """A journal event as the row a webhook event of the same change would be (event_store.py),
    or UnusableEvent."""
    if not isinstance(event, dict):
        raise UnusableEvent("not a JSON object")
    kind = ACTION_KINDS.get(event.get("action"))  # type: ignore[arg-type]
    if kind is None:
        raise UnusableEvent(f"unknown action {str(event.get('action'))[:40]!r}")
    type_id = event.get("objectTypeId")
    if not isinstance(type_id, str) or not type_id:
        raise UnusableEvent("no objectTypeId")
    as_webhook = {**_ends(event, type_id), "subscriptionType": f"object.{kind}",
                  "objectTypeId": type_id, "eventId": 0,
                  "occurredAt": _epoch_ms(event.get("occurredAt"))}
    for key in ("objectId", "portalId", "primaryObjectId", "mergedObjectIds", "newObjectId",
                "associationTypeId", "associationCategory", "listId"):
        if event.get(key) is not None:
            as_webhook[key] = event[key]
    row = event_row(as_webhook, received_at)
    row.subscription_type = f"journal.{kind}"
    row.detail["action"] = event["action"]
    if kind == "listMembership":
        row.detail["listId"] = _list_id(event)
    return row


def _ends(event: dict, type_id: str) -> dict:
    """An association change's two ends, as webhook association events name them."""
    if not str(event.get("action", "")).startswith("ASSOCIATION_"):
        return {}
    return {"fromObjectTypeId": type_id, "fromObjectId": event.get("objectId"),
            "toObjectTypeId": event.get("associatedObjectTypeId"),
            "toObjectId": event.get("associatedObjectId"),
            "associationRemoved": event["action"] == "ASSOCIATION_REMOVED"}


def _list_id(event: dict) -> str:
    value = event.get("listId")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise UnusableEvent("a list membership event without a listId")
    return str(value)


def _epoch_ms(value: object) -> int:
    """occurredAt as epoch milliseconds: a number, its digits, or an ISO-8601 time."""
    if isinstance(value, str) and not value.isdigit():
        try:
            return int(parse_hubspot_datetime(value).timestamp() * 1000)
        except (ValueError, AttributeError):
            raise UnusableEvent("occurredAt is not a time") from None
    return value  # type: ignore[return-value]  # event_row checks it is a whole number


def settled_row(reason: str, received_at: datetime) -> WebhookEvent:
    """An event that cannot be applied: recorded settled, with why (never its body)."""
    return WebhookEvent(subscription_type="journal.unusable", object_type="", object_id="",
                        occurred_at=0, detail={}, received_at=received_at,
                        applied_at=received_at, error=f"not applied: {reason}"[:2000])
