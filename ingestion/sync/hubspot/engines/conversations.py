"""The conversations inbox (docs/hubspot-api.md#conversations; modes in
docs/modes.md#conversations): five sources on the marketing sources' base (sources.py).

- `conversation_inboxes`, `conversation_channels`, `conversation_channel_accounts`: read whole
  every run (small; no modified-time filter). Inboxes and channel accounts are listed live,
  then archived (`archived=true` lists only archived ones).
- `conversation_threads`: live then archived threads. A full run (the first one too) or a
  force overwrite lists them all by id; an incremental run asks HubSpot for those whose latest
  message is at or after the watermark minus the lookback (`latestMessageTimestampAfter`,
  which HubSpot accepts only with `sort=latestMessageTimestamp`: ascending, so a thread that
  gets a message while the listing is paged moves behind the cursor and is read again, never
  skipped).
- `conversation_messages`: every message of the threads whose messages may have changed,
  chosen from the mirrored threads before the run reads (`prepare`, main thread): all threads
  (a full run, a force overwrite), or those whose row the threads runs wrote since the last
  complete messages run began, plus those whose latest message falls in the lookback window.
  Its own source, not written by the threads run, so the base engine's modes, counts, dry
  runs and force overwrite apply to messages unchanged; and no message is skipped: a thread
  whose messages could not be read fails by its id, which keeps the messages watermark (and
  so "the last complete run") where it was, so the next run reads that thread again. A
  stopped full read resumes after the last thread whose messages committed (threads are
  walked in id order: sources.py `ByParent`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import msgspec
from django.db.models import Q

from ingestion.base.results import Mode, Page, ReadCheck, RecordError
from ingestion.models import (
    HubSpotConversationChannel,
    HubSpotConversationChannelAccount,
    HubSpotConversationInbox,
    HubSpotConversationMessage,
    HubSpotConversationThread,
    SyncHistory,
)

from ..associations import FATAL
from ..errors import HubSpotClientError, HubSpotError
from ..limits import CONVERSATIONS_PAGE
from ..replies import Counted
from ..timeparse import parse_hubspot_datetime
from .definitions import flag, text
from .sources import ByParent, HubSpotSourceSyncEngine, SameContentWriter

COMPLETE = "NOT_TRUNCATED"  # every other truncationStatus means the listing cut the text


class ConversationListing(HubSpotSourceSyncEngine):
    """A conversations listing: `resource`, live then archived where HubSpot lists archived
    ones apart."""

    resource: str
    lists_archived = True
    plan_page_size = CONVERSATIONS_PAGE
    plan_listings = 2  # live, then archived (`lists_archived`)

    def probe(self) -> None:
        self.client.request("GET", self._path(), params={"limit": 1})

    def _path(self) -> str:
        return self.client.paths.conversations(self.resource)

    def pages(self, since: datetime | None) -> Iterator[list]:
        yield from filter(None, self.listed(self._path(), *(
            {"limit": CONVERSATIONS_PAGE, "archived": archived}
            for archived in (("false", "true") if self.lists_archived else ("false",)))))



class ComparedContent:
    """An engine whose items carry no modified time: its writer compares their JSON."""

    writer_class = SameContentWriter


class CountedListing(ConversationListing):
    """A listing whose reply gives HubSpot's `total` of the live items (verify_hubspot)."""

    def upstream_total(self) -> int | None:
        reply = self.client.request("GET", self._path(), params={"limit": 1}, shape=Counted)
        return reply.total


class HubSpotConversationInboxSyncEngine(CountedListing):
    object_type = "conversation_inboxes"
    model = HubSpotConversationInbox
    resource = "inboxes"

    def row(self, inbox: dict) -> tuple[dict, dict]:
        return inbox, {"id": _id(inbox, "inbox"), "name": text(inbox.get("name")),
                       "type": text(inbox.get("type"))}


class HubSpotConversationChannelSyncEngine(ComparedContent, CountedListing):
    object_type = "conversation_channels"
    model = HubSpotConversationChannel
    resource = "channels"
    lists_archived = False  # HubSpot documents no archived channels
    plan_listings = 1
    updated_fields = ()  # channels carry no time: compared by content

    def row(self, channel: dict) -> tuple[dict, dict]:
        return channel, {"id": _id(channel, "channel"), "name": text(channel.get("name"))}


class HubSpotConversationChannelAccountSyncEngine(ComparedContent, CountedListing):
    object_type = "conversation_channel_accounts"
    model = HubSpotConversationChannelAccount
    resource = "channel-accounts"
    updated_fields = ()  # only `createdAt`: compared by content, so no change is missed

    def row(self, account: dict) -> tuple[dict, dict]:
        delivery = _object(account.get("deliveryIdentifier"))
        return account, {
            "id": _id(account, "channel account"), "name": text(account.get("name")),
            "channel_id": text(account.get("channelId")),
            "inbox_id": text(account.get("inboxId")),
            "active": flag(account.get("active")), "authorized": flag(account.get("authorized")),
            "delivery_identifier_type": text(delivery.get("type")),
            "delivery_identifier_value": text(delivery.get("value"))}


class HubSpotConversationThreadSyncEngine(ConversationListing):
    object_type = "conversation_threads"
    model = HubSpotConversationThread
    resource = "threads"
    supports_incremental = True

    def plan_count(self) -> int | None:
        # No total in the listing: the live threads are counted by listing them (a request
        # per 100), asked on a first run only: messages are read per thread.
        return sum(len(page) for page in self.client.get_pages(
            self._path(), {"limit": CONVERSATIONS_PAGE, "archived": "false"}))
    # The later of the two (`transform`): a closed thread is rewritten though no message came.
    updated_fields = ("latestMessageTimestamp",)

    def pages(self, since: datetime | None) -> Iterator[list]:
        # `association=TICKET` adds each thread's ticket (`threadAssociations`).
        params: dict = {"limit": CONVERSATIONS_PAGE, "association": "TICKET"}
        if since is not None and not self.options.force_overwrite:
            params.update(sort="latestMessageTimestamp", latestMessageTimestampAfter=_iso(since))
        yield from filter(None, self.listed(
            self._path(), *({**params, "archived": archived} for archived in ("false", "true"))))

    def transform(self, item) -> tuple[dict, list[str]]:
        row, notes = super().transform(item)
        if row["closed_at"] is not None and (row["updated_at"] is None
                                             or row["closed_at"] > row["updated_at"]):
            row["updated_at"] = row["closed_at"]
        return row, notes

    def row(self, thread: dict) -> tuple[dict, dict]:
        key = _id(thread, "thread")
        links = _object(thread.get("threadAssociations"))
        return thread, {
            "id": key, "inbox_id": text(thread.get("inboxId")),
            "status": text(thread.get("status")), "spam": flag(thread.get("spam")),
            "associated_contact_id": text(thread.get("associatedContactId")),
            "associated_ticket_id": text(links.get("associatedTicketId")),
            "assigned_to": text(thread.get("assignedTo")),
            "original_channel_id": text(thread.get("originalChannelId")),
            "original_channel_account_id": text(thread.get("originalChannelAccountId")),
            "closed_at": _time(thread, "closedAt", key),
            "latest_message_at": _time(thread, "latestMessageTimestamp", key),
            "latest_message_sent_at": _time(thread, "latestMessageSentTimestamp", key),
            "latest_message_received_at": _time(thread, "latestMessageReceivedTimestamp", key)}


class HubSpotConversationMessageSyncEngine(ByParent, HubSpotSourceSyncEngine):
    object_type = "conversation_messages"
    model = HubSpotConversationMessage
    # A request (a page of messages) per thread: every thread on a full read, those whose
    # latest message moved on an incremental one (`_threads`).
    plan_reads_per = ("conversation_threads", 1)
    supports_incremental = True
    updated_fields = ("updatedAt", "createdAt")  # what the watermark follows

    def probe(self) -> None:
        # Messages are read under threads: the threads listing answers for the same scope.
        self.client.request("GET", self.client.paths.conversations("threads"),
                            params={"limit": 1})

    def prepare(self) -> None:
        super().prepare()
        self.thread_ids = self._threads(self.result.mode)

    def _threads(self, mode: Mode) -> list[str]:
        """The mirrored threads whose messages to read, in a stable order (a resumed read:
        those after the last one committed)."""
        threads = self.parents_left(self.parent_rows())
        if not (mode is Mode.FULL or self.options.force_overwrite):
            threads = threads.filter(self._changed(mode))
        return list(threads.order_by("pk").values_list("pk", flat=True).iterator())

    def parent_rows(self):
        return HubSpotConversationThread.objects.all()

    def _changed(self, mode: Mode) -> Q:
        """Threads whose latest message is from the run's start time on and, incrementally,
        those the threads runs wrote since the last complete messages run began, whatever
        their time (a threads run may have written them after that run chose its threads)."""
        if mode is Mode.SINCE:
            return Q(updated_at__gte=self.options.since)
        began = (SyncHistory.objects.filter(object_type=self.object_type,
                                            watermark__isnull=False)
                 .order_by("-finished_at").values_list("started_at", flat=True).first())
        written_since = Q(synced_at__gte=began) if began else Q()
        return Q(updated_at__gte=self.previous_watermark - self.options.lookback) | written_since

    def read_check(self) -> ReadCheck | None:
        # A thread whose messages were not read says nothing of them: no sweep.
        if not self.unread:
            return None
        return ReadCheck({"unread_threads": self.unread},
                         f"the messages of {self.unread} thread(s) could not be read; "
                         "nothing was archived as gone")

    def pages(self, since: datetime | None) -> Iterator[Page]:
        yield from self.walked((thread_id, [self._messages_of(thread_id)])
                               for thread_id in self.thread_ids)

    def _messages_of(self, thread_id: str) -> list:
        """The thread's messages as `(thread id, original content, message)` items; a thread
        HubSpot no longer has gives none; one whose messages could not be read gives one item
        standing for that failure."""
        path = self.client.paths.conversation_messages(thread_id)
        try:
            messages = [m for page in self.client.get_pages(path, {"limit": CONVERSATIONS_PAGE})
                        for m in page]
        except HubSpotClientError as error:
            if error.status == 404:
                return []  # deleted since it was mirrored: its messages are gone too
            return self._unread(thread_id, error)
        except FATAL:
            raise
        except HubSpotError as error:
            return self._unread(thread_id, error)
        return [(thread_id, self._original(thread_id, m), m) for m in messages]

    def _unread(self, thread_id: str, error: Exception) -> list:
        self.unread += 1
        return [(thread_id, Unread(f"messages could not be read: {error}"[:500]), {})]

    def _original(self, thread_id: str, message: object) -> dict | Unread | None:
        """The whole text of a message the listing truncated (None: it was not)."""
        if not isinstance(message, dict) or message.get("truncationStatus") in (None, COMPLETE) \
                or not message.get("id"):
            return None
        path = self.client.paths.conversation_original_content(thread_id, str(message["id"]))
        try:
            return self.client.request("GET", path, shape=OriginalContent).as_dict()
        except HubSpotClientError as error:
            if error.status == 404:
                return {}  # none to be had: the listed text is kept, marked incomplete
            return Unread(f"original content could not be read: {error}"[:500])
        except FATAL:
            raise
        except HubSpotError as error:
            return Unread(f"original content could not be read: {error}"[:500])

    def row(self, item: tuple) -> tuple[dict, dict]:
        thread_id, original, message = item
        if isinstance(original, Unread) and not message:
            raise RecordError(f"thread {thread_id}", original.reason)
        message_id = _id(message, "message")
        key = f"{thread_id}:{message_id}"
        if isinstance(original, Unread):
            raise RecordError(key, original.reason)
        return message, {"id": key, "thread_id": thread_id, "message_id": message_id,
                         **_message_columns(message, original)}

    def transform(self, item) -> tuple[dict, list[str]]:
        try:
            return super().transform(item)
        except RecordError as error:  # named `<thread>:<message>`, as the row's key is
            key = error.object_id
            if isinstance(item, tuple) and ":" not in key and not key.startswith("thread "):
                key = f"{item[0]}:{key}" if key else f"thread {item[0]}"
            raise RecordError(key, error.reason) from None


def _message_columns(message: dict, original: dict | None) -> dict:
    senders, status = message.get("senders"), _object(message.get("status"))
    first = senders[0] if isinstance(senders, list) and senders else {}
    whole = original if isinstance(original, dict) else {}
    truncated = message.get("truncationStatus")
    return {
        "type": text(message.get("type")), "direction": text(message.get("direction")),
        "channel_id": text(message.get("channelId")),
        "channel_account_id": text(message.get("channelAccountId")),
        "created_by": text(message.get("createdBy")),
        "sender_actor_id": text(_object(first).get("actorId")),
        "senders": senders if isinstance(senders, list) else None,
        "recipients": _list(message.get("recipients")),
        "subject": text(message.get("subject")),
        "text": text(whole.get("text", message.get("text"))),
        "rich_text": text(whole.get("richText", message.get("richText"))),
        "truncation_status": text(truncated),
        "text_complete": None if truncated is None else (
            truncated == COMPLETE or "text" in whole or "richText" in whole),
        "attachments": _list(message.get("attachments")),
        "in_reply_to_id": text(message.get("inReplyToId")),
        "status_type": text(status.get("statusType")),
        "client_type": text(_object(message.get("client")).get("clientType"))}


class Unread:
    """What the fetch stage could not read, and why (a value handed to `row`)."""

    def __init__(self, reason: str):
        self.reason = reason


class OriginalContent(msgspec.Struct):
    """`GET …/messages/{id}/original-content`: `text` and `richText` (no `results`)."""

    text: str | None = None
    richText: str | None = None

    @property
    def results(self) -> list:  # replies.decode repairs text in `results`: none here
        return []

    def as_dict(self) -> dict:
        # NUL characters: no database text column holds them (replies.py removes them the
        # same way from every listing).
        return {k: v.replace("\x00", "") for k, v in (("text", self.text),
                                                     ("richText", self.richText))
                if v is not None}


def _id(item: object, what: str) -> str:
    if not isinstance(item, dict) or item.get("id") in (None, ""):
        raise RecordError("", f"a {what} without an id")
    return str(item["id"])


def _time(data: dict, name: str, key: str) -> datetime | None:
    try:
        return parse_hubspot_datetime(data.get(name))
    except (TypeError, ValueError):
        raise RecordError(key, f"{name} is not a time") from None


def _object(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list | None:
    return value if isinstance(value, list) else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
