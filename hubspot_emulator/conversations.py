"""The conversations inbox API (inboxes, channels, channel accounts, threads, messages), v3 and
its dated beta, plus the control operations that add a message or change a thread.

HubSpot facts (docs/hubspot-api.md#conversations):
- `GET /conversations/v3/conversations/{inboxes,channels,channel-accounts}?limit&after&archived`
  → `{total, results, paging.next.{after, link}}`; `archived=true` lists only archived ones.
  Inbox `{id, name, type (INBOX, HELP_DESK), createdAt, updatedAt, archived, archivedAt}`;
  channel `{id, name}`; channel account `{id, name, channelId, inboxId, active, authorized,
  archived, archivedAt, createdAt, deliveryIdentifier{type, value}}`.
- `GET …/threads?limit&after&archived&sort&latestMessageTimestampAfter&inboxId&
  associatedContactId&threadStatus&association` → `{results, paging}` (no total). `sort` is
  `id` (default) or `latestMessageTimestamp`, ascending; the latter needs
  `latestMessageTimestampAfter`. A thread: `{id, inboxId, status, spam, associatedContactId,
  assignedTo, originalChannelId, originalChannelAccountId, createdAt, closedAt,
  latestMessageTimestamp, latestMessageSentTimestamp, latestMessageReceivedTimestamp,
  archived}`, plus `threadAssociations{associatedTicketId}` when `association=TICKET` is asked
  and it has a ticket.
- `GET …/threads/{threadId}/messages?limit&after` → `{results, paging}`: messages (`type`
  MESSAGE, COMMENT, WELCOME_MESSAGE) and system events (ASSIGNMENT, THREAD_STATUS_CHANGE …);
  `truncationStatus` NOT_TRUNCATED, TRUNCATED, TRUNCATED_TO_MOST_RECENT_REPLY;
  `…/messages/{messageId}/original-content` → `{text, richText}` in full.
- Every GET needs `conversations.read`.

Choices (BEHAVIOR.md): `limit` default 100, above 500 a 400; the threads cursor is keyset (the
last thread's sort value and id), so a thread that gets a message while the listing is paged
moves behind the cursor and is listed again, and none is skipped; `latestMessageTimestampAfter`
is inclusive and filters under either sort; messages come oldest first, their cursor an
offset; every message type but the system events moves `latestMessageTimestamp`.
"""

from __future__ import annotations

import base64
import binascii
import random
import uuid
from dataclasses import dataclass, field

from aiohttp import web

from .errors import ApiError, validation
from .handling import (
    control_handler,
    cursor_offset,
    emulator,
    flag,
    int_param,
    json_body,
    json_response,
    multi,
    next_link,
    offset_cursor,
)
from .routes import CONVERSATIONS, Access, serve
from .seeded import per_store
from .state import Emulator
from .store import Store
from .timeutil import DAY_MS, FIXED_EPOCH_MS, iso_ms, parse_time_ms

LIMIT_DEFAULT, LIMIT_MAX = 100, 500
THREADS = 24
SYSTEM_EVENTS = {"ASSIGNMENT", "THREAD_STATUS_CHANGE", "THREAD_INBOX_CHANGE"}
TRUNCATED = "TRUNCATED_TO_MOST_RECENT_REPLY"
CHANNELS = (("1000", "LIVE_CHAT"), ("1001", "FB_MESSENGER"), ("1002", "EMAIL"),
            ("1007", "WHATSAPP"))
# (id, name, channel, inbox, delivery identifier, archived)
ACCOUNTS = (("5001", "Website chat", "1000", "1000", None, False),
            ("5002", "support@example.com", "1002", "1001",
             {"type": "HS_EMAIL_ADDRESS", "value": "support@example.com"}, False),
            ("5003", "Facebook page", "1001", "1000", None, False),
            ("5004", "old@example.com", "1002", "1002",
             {"type": "HS_EMAIL_ADDRESS", "value": "old@example.com"}, True))


@dataclass
class Thread:
    data: dict  # the thread as served (its times derived from `messages`)
    messages: list[dict] = field(default_factory=list)
    originals: dict[str, dict] = field(default_factory=dict)  # message id -> whole text
    ticket_id: str | None = None


@dataclass
class ConversationsState:
    rng: random.Random
    inboxes: list[dict]
    accounts: list[dict]
    threads: dict[str, Thread]

    def new_id(self) -> str:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4).hex


@per_store
def conversations_of(store: Store) -> ConversationsState:
    """The portal's inboxes, accounts and threads, seeded on first use."""
    return _seed(store)


# -- seeding ---------------------------------------------------------------------------------

def _seed(store: Store) -> ConversationsState:
    base = FIXED_EPOCH_MS - 300 * DAY_MS
    inboxes = [_inbox("1000", "Sales inbox", "INBOX", base, None),
               _inbox("1001", "Help desk", "HELP_DESK", base + DAY_MS, None),
               _inbox("1002", "Old inbox", "INBOX", base - 90 * DAY_MS, base)]
    accounts = [{"id": i, "name": name, "channelId": channel, "inboxId": inbox, "active": not gone,
                 "authorized": not gone, "archived": gone, "createdAt": iso_ms(base),
                 **({"archivedAt": iso_ms(base + 5 * DAY_MS)} if gone else {}),
                 **({"deliveryIdentifier": delivery} if delivery else {})}
                for i, name, channel, inbox, delivery, gone in ACCOUNTS]
    state = ConversationsState(random.Random(store.seed * 7_919 + 11), inboxes, accounts, {})
    contacts = store.types["contacts"]
    contact_ids = [contacts.id_of(idx) for _, idx in
                   zip(range(THREADS), contacts.live.iter_live(0), strict=False)]
    for n in range(THREADS):
        _seed_thread(state, n, contact_ids[n % len(contact_ids)] if contact_ids else None)
    return state


def _inbox(inbox_id: str, name: str, kind: str, created: int, archived: int | None) -> dict:
    out = {"id": inbox_id, "name": name, "type": kind, "createdAt": iso_ms(created),
           "updatedAt": iso_ms(archived or created + DAY_MS), "archived": archived is not None}
    return {**out, "archivedAt": iso_ms(archived)} if archived else out


def _seed_thread(state: ConversationsState, n: int, contact_id: str | None) -> None:
    _, _, channel, inbox, *_ = ACCOUNTS[n % 3]
    created = FIXED_EPOCH_MS - (200 - 7 * n) * DAY_MS
    thread = Thread({"id": str(7_000_000_001 + n), "inboxId": inbox, "status": "OPEN",
                     "spam": False, "associatedContactId": contact_id,
                     "originalChannelId": channel, "originalChannelAccountId": ACCOUNTS[n % 3][0],
                     "createdAt": iso_ms(created), "archived": n % 8 == 7},
                    ticket_id=str(9_000 + n) if n % 4 == 1 else None)
    state.threads[thread.data["id"]] = thread
    at = created
    for k in range(2 + n % 4):
        kind = ("WELCOME_MESSAGE" if channel == "1000" and k == 0
                else "COMMENT" if k == 2 else "ASSIGNMENT" if k == 3 else "MESSAGE")
        direction = "INCOMING" if k == 0 else "OUTGOING"
        _add(state, thread, {"type": kind, "direction": direction,
                             "text": f"Thread {n + 1}, message {k + 1}",
                             "truncated": channel == "1002" and kind == "MESSAGE"}, at)
        at += state.rng.randrange(1, 48) * 3_600_000
    if n % 3 == 0:
        thread.data.update(status="CLOSED", closedAt=iso_ms(at))
        thread.data["assignedTo"] = "A-" + str(100 + n % 5)


def _add(state: ConversationsState, thread: Thread, spec: dict, at_ms: int) -> dict:
    """Append a message built from `spec` (type, direction, text, truncated, subject) at
    `at_ms`, and move the thread's latest-message times."""
    kind, data = str(spec.get("type") or "MESSAGE"), thread.data
    message_id = state.new_id()
    agent = spec.get("direction") == "OUTGOING" or kind == "COMMENT"
    actor = "A-101" if agent else f"V-{data['associatedContactId']}"
    message: dict = {"type": kind, "id": message_id, "conversationsThreadId": data["id"],
                     "createdAt": iso_ms(at_ms), "createdBy": actor,
                     "client": {"clientType": "SYSTEM" if kind in SYSTEM_EVENTS else "HUBSPOT"},
                     "senders": [{"actorId": "S-hubspot" if kind in SYSTEM_EVENTS else actor}],
                     "recipients": [], "archived": bool(spec.get("archived", False))}
    if kind in SYSTEM_EVENTS:
        message["assignedTo"] = "A-101"
    else:
        _content(message, thread, spec)
    thread.messages.append(message)
    if message.get("truncationStatus") == TRUNCATED:
        thread.originals[message_id] = {"text": message.pop("_whole"),
                                        "richText": f"<p>{message['text']} …</p>"}
    if kind not in SYSTEM_EVENTS:
        _move_latest(data, message, at_ms)
    return message


def _content(message: dict, thread: Thread, spec: dict) -> None:
    data, text = thread.data, str(spec.get("text") or "")
    truncated = bool(spec.get("truncated"))
    message.update(text=text, richText=f"<p>{text}</p>", attachments=[],
                   truncationStatus=TRUNCATED if truncated else "NOT_TRUNCATED")
    if truncated:  # the listing keeps the latest reply; the whole text is the original
        message["_whole"] = f"{text}\n\n> On an earlier day, someone wrote: the quoted reply."
        message["subject"] = str(spec.get("subject") or f"Re: thread {data['id']}")
    if message["type"] != "COMMENT":
        message.update(direction=spec.get("direction") or "INCOMING",
                       channelId=data["originalChannelId"],
                       channelAccountId=data["originalChannelAccountId"],
                       status={"statusType": "SENT"})


def _move_latest(data: dict, message: dict, at_ms: int) -> None:
    def later(key: str) -> None:
        if key not in data or parse_time_ms(data[key]) < at_ms:
            data[key] = iso_ms(at_ms)

    later("latestMessageTimestamp")
    if message.get("direction") == "OUTGOING":
        later("latestMessageSentTimestamp")
    elif message.get("direction") == "INCOMING":
        later("latestMessageReceivedTimestamp")


# -- handlers --------------------------------------------------------------------------------

def _state(request: web.Request) -> ConversationsState:
    return conversations_of(emulator(request).store)


def _limit(request: web.Request) -> int:
    limit = int_param(request.query.get("limit"), "limit", LIMIT_DEFAULT)
    if not 1 <= limit <= LIMIT_MAX:
        raise validation(f"limit must be between 1 and {LIMIT_MAX}")
    return limit



def _page(request: web.Request, items: list, *, total: bool) -> web.Response:
    start, limit = cursor_offset(request.query.get("after")), _limit(request)
    out: dict = {"results": items[start:start + limit]}
    if total:
        out = {"total": len(items), **out}
    if start + limit < len(items):
        after = offset_cursor(start + limit)
        out["paging"] = {"next": {"after": after, "link": next_link(request, after)}}
    return json_response(out)


def _archived_only(request: web.Request, items: list[dict]) -> list[dict]:
    archived = flag(request.query.get("archived"))
    return [i for i in items if bool(i.get("archived")) is archived]


async def list_inboxes(request: web.Request) -> web.Response:
    return _page(request, _archived_only(request, _state(request).inboxes), total=True)


async def list_channels(request: web.Request) -> web.Response:
    return _page(request, [{"id": i, "name": name} for i, name in CHANNELS], total=True)


async def list_accounts(request: web.Request) -> web.Response:
    return _page(request, _archived_only(request, _state(request).accounts), total=True)


async def list_threads(request: web.Request) -> web.Response:
    by_latest, after_ms = _thread_sort(request)
    threads = [t for t in _state(request).threads.values()
               if bool(t.data["archived"]) is flag(request.query.get("archived"))
               and _matches(request, t, after_ms)]
    key = ((lambda t: (parse_time_ms(t.data["latestMessageTimestamp"]), int(t.data["id"])))
           if by_latest else (lambda t: (0, int(t.data["id"]))))
    threads.sort(key=key)
    position = _position(request.query.get("after"))
    if position is not None:
        threads = [t for t in threads if key(t) > position]
    limit = _limit(request)
    ticket = "TICKET" in multi(request.query, "association")
    out: dict = {"results": [_thread_json(t, ticket) for t in threads[:limit]]}
    if len(threads) > limit:
        after = _cursor(key(threads[limit - 1]))
        out["paging"] = {"next": {"after": after, "link": next_link(request, after)}}
    return json_response(out)


def _thread_sort(request: web.Request) -> tuple[bool, int | None]:
    sort = request.query.get("sort", "id")
    if sort not in ("id", "latestMessageTimestamp"):
        raise validation(f"Unable to sort threads by {sort}")
    raw_after = request.query.get("latestMessageTimestampAfter")
    if sort == "latestMessageTimestamp" and not raw_after:
        raise validation("latestMessageTimestampAfter is required when sorting by "
                         "latestMessageTimestamp")
    after_ms = parse_time_ms(raw_after) if raw_after else None
    if raw_after and after_ms is None:
        raise validation(f"Invalid value for latestMessageTimestampAfter: {raw_after}")
    return sort != "id", after_ms


def _matches(request: web.Request, thread: Thread, after_ms: int | None) -> bool:
    data = thread.data
    if after_ms is not None and parse_time_ms(data["latestMessageTimestamp"]) < after_ms:
        return False
    inboxes = multi(request.query, "inboxId")
    contact = request.query.get("associatedContactId")
    if contact and inboxes:
        raise validation("associatedContactId cannot be used with inboxId")
    if contact and not request.query.get("threadStatus"):
        raise validation("threadStatus is required with associatedContactId")
    status = request.query.get("threadStatus")
    return ((not inboxes or data["inboxId"] in inboxes)
            and (not contact or data["associatedContactId"] == contact)
            and (not status or data["status"] == status))


def _cursor(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}:{position[1]}".encode()).decode()


def _position(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    try:
        first, second = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        return int(first), int(second)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise validation(f"Invalid value for after: {cursor}") from None


def _thread_json(thread: Thread, ticket: bool) -> dict:
    out = dict(thread.data)
    if ticket and thread.ticket_id:
        out["threadAssociations"] = {"associatedTicketId": thread.ticket_id}
    return out


def _thread(request: web.Request) -> Thread:
    thread = _state(request).threads.get(request.match_info["threadId"])
    if thread is None:
        raise ApiError(404, f"Thread {request.match_info['threadId']} not found",
                       "OBJECT_NOT_FOUND")
    return thread


async def get_thread(request: web.Request) -> web.Response:
    ticket = "TICKET" in multi(request.query, "association")
    return json_response(_thread_json(_thread(request), ticket))


async def list_messages(request: web.Request) -> web.Response:
    return _page(request, _thread(request).messages, total=False)


def _message(request: web.Request) -> tuple[Thread, dict]:
    thread, message_id = _thread(request), request.match_info["messageId"]
    for message in thread.messages:
        if message["id"] == message_id:
            return thread, message
    raise ApiError(404, f"Message {message_id} not found", "OBJECT_NOT_FOUND")


async def get_message(request: web.Request) -> web.Response:
    return json_response(_message(request)[1])


async def original_content(request: web.Request) -> web.Response:
    thread, message = _message(request)
    whole = thread.originals.get(message["id"])
    if whole is None:
        whole = {"text": message.get("text", ""), "richText": message.get("richText", "")}
    return json_response(whole)


# -- control operations (/_emulator/conversations/…) -------------------------------------------

async def control_message(emu: Emulator, request: web.Request) -> dict:
    """Add a message to a thread: `{threadId, text, type (MESSAGE), direction (INCOMING),
    createdAt (epoch ms; the emulated clock's now unless given: an earlier time plays a message
    HubSpot records late), truncated (bool), archived (bool)}` → the message as listed."""
    body = await json_body(request)
    state = conversations_of(emu.store)
    thread = state.threads.get(str(body.get("threadId")))
    if thread is None:
        raise ValueError(f"no thread {body.get('threadId')}")
    at_ms = int(body.get("createdAt") or emu.clock.now_ms())
    message = _add(state, thread, body, at_ms)
    thread.messages.sort(key=lambda m: parse_time_ms(m["createdAt"]))
    return message


async def control_thread(emu: Emulator, request: web.Request) -> dict:
    """Change a thread: `{threadId, status (OPEN, CLOSED), archived (bool), delete (bool:
    gone for good, as HubSpot does 30 days after archiving)}` → the thread."""
    body = await json_body(request)
    state, now = conversations_of(emu.store), emu.clock.now_ms()
    thread = state.threads.get(str(body.get("threadId")))
    if thread is None:
        raise ValueError(f"no thread {body.get('threadId')}")
    if body.get("delete"):
        del state.threads[thread.data["id"]]
        return {"id": thread.data["id"], "deleted": True}
    if "status" in body:
        thread.data["status"] = str(body["status"])
        if body["status"] == "CLOSED":
            thread.data["closedAt"] = iso_ms(now)
    if "archived" in body:
        thread.data["archived"] = bool(body["archived"])
    return dict(thread.data)


def add_routes(app: web.Application) -> None:
    read = Access("conversations")
    serve(app, "GET", CONVERSATIONS, "/inboxes", list_inboxes, read)
    serve(app, "GET", CONVERSATIONS, "/channels", list_channels, read)
    serve(app, "GET", CONVERSATIONS, "/channel-accounts", list_accounts, read)
    serve(app, "GET", CONVERSATIONS, "/threads", list_threads, read)
    serve(app, "GET", CONVERSATIONS, "/threads/{threadId}", get_thread, read)
    serve(app, "GET", CONVERSATIONS, "/threads/{threadId}/messages", list_messages, read)
    serve(app, "GET", CONVERSATIONS, "/threads/{threadId}/messages/{messageId}", get_message,
          read)
    serve(app, "GET", CONVERSATIONS, "/threads/{threadId}/messages/{messageId}/original-content",
          original_content, read)
    app.router.add_post("/_emulator/conversations/messages", control_handler(control_message))
    app.router.add_post("/_emulator/conversations/threads", control_handler(control_thread))
