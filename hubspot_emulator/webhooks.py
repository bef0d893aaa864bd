"""App webhooks like HubSpot's (docs/hubspot-api.md#webhooks): every change made through the
emulator becomes events, POSTed as JSON arrays signed with signature v3 from a background task on
the emulator's own event loop, so an API handler never waits for a receiver.

`Webhooks` is the store's observer (see `store.Store.observer`): it stamps events and hands
them to the current `Delivery`, which batches, duplicates, reorders and retries them as
configured. Reset or disable drops the delivery and everything queued in it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import heapq
import hmac
import itertools
import logging
import random
import re
import time
from collections import deque
from dataclasses import asdict, dataclass, fields
from urllib.parse import urlsplit

import aiohttp
import orjson
from yarl import URL

from .store import Op, Store, TypeState
from .webhook_events import KINDS, PREFIXES, PRIVACY_DELETION, association_events, op_events

log = logging.getLogger("hubspot_emulator.webhooks")
DEFAULT_APP_ID = 1_160_452
LOG_MAX = 10_000  # deliveries kept for `GET /_emulator/webhooks` (the oldest drop out)
USER_AGENT = "hubspot_emulator webhooks"


# HubSpot signs the URI with these percent-escapes decoded, and no others (its v3
# request-validation guide): `%3A` counts as `:`, while `%20` stays `%20`.
_DECODED = {"3A": ":", "2F": "/", "3F": "?", "40": "@", "21": "!", "24": "$", "27": "'",
            "28": "(", "29": ")", "2A": "*", "2C": ",", "3B": ";"}
_ESCAPE = re.compile(r"%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)", re.IGNORECASE)


def signed_uri(uri: str) -> str:
    """The target URL as it goes into the signed string."""
    return _ESCAPE.sub(lambda m: _DECODED[m.group(1).upper()], uri)


def sign_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """`X-HubSpot-Signature-v3`: base64(HMAC-SHA256(secret, method + uri + body + timestamp))
    over the exact bytes sent, `uri` being the configured URL (docs/hubspot-api.md#webhooks)."""
    message = method.encode() + signed_uri(uri).encode() + body + timestamp.encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    client_secret: str
    app_id: int = DEFAULT_APP_ID
    subscriptions: frozenset[str] | None = None  # None: every subscription type
    properties: frozenset[str] | None = None  # propertyChange only for these (None: all)
    batch_size: int = 100  # events per POST (HubSpot sends at most 100)
    duplicate_rate: float = 0.0  # share of events delivered a second time, in a later batch
    reorder: bool = False  # shuffle each batch and the order batches go out in
    max_attempts: int = 5  # first delivery included
    retry_delay_ms: int = 200  # before the first retry; doubles each time
    delay_ms: int = 0  # before the first delivery of each batch
    timeout_ms: int = 5_000  # per POST (*choice*)
    seed: int = 1  # of the duplicate and reorder choices

    @classmethod
    def from_config(cls, body: dict) -> WebhookConfig:
        """Validated config from the control body; unknown keys and bad values → ValueError."""
        known = {f.name for f in fields(cls)}
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown webhook keys {sorted(unknown)}; known: {sorted(known)}")
        for key in ("url", "client_secret"):
            if not isinstance(body.get(key), str) or not body[key]:
                raise ValueError(f"webhooks need a non-empty string {key!r}")
        _check_url(body["url"])
        values = {k: v for k, v in body.items() if v is not None}
        for key in _INTS & set(values):
            values[key] = _number(values[key], key, int)
        if "duplicate_rate" in values:
            values["duplicate_rate"] = _number(values["duplicate_rate"], "duplicate_rate", float)
        config = cls(**{**values, "subscriptions": _subscriptions(body.get("subscriptions")),
                        "properties": _names(body.get("properties"), "properties")})
        config._check_numbers()
        return config

    def _check_numbers(self) -> None:
        checks = [(1 <= self.batch_size <= 100, "batch_size must be 1..100"),
                  (0.0 <= self.duplicate_rate <= 1.0, "duplicate_rate must be 0..1"),
                  (self.max_attempts >= 1, "max_attempts must be at least 1"),
                  (min(self.retry_delay_ms, self.delay_ms) >= 0, "delays must be >= 0"),
                  (self.timeout_ms > 0, "timeout_ms must be positive"),
                  (isinstance(self.reorder, bool), "reorder must be true or false")]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def wants(self, event: dict) -> bool:
        kind = event["subscriptionType"]
        if self.subscriptions is not None and kind not in self.subscriptions:
            return False
        return (self.properties is None or not kind.endswith(".propertyChange")
                or event["propertyName"] in self.properties)

    def public(self) -> dict:
        """The config as the control surface shows it: never the secret."""
        out = asdict(self)
        del out["client_secret"]
        for key in ("subscriptions", "properties"):
            out[key] = None if out[key] is None else sorted(out[key])
        return out


def _check_url(url: str) -> None:
    # Sent verbatim (no re-quoting), so it must already be a valid, escaped URL.
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ValueError(f"webhook url must be an http(s) URL: {url!r}")
    if not url.isascii() or not url.isprintable() or " " in url:
        raise ValueError(f"webhook url must be percent-escaped ASCII: {url!r}")


_INTS = {"app_id", "batch_size", "max_attempts", "retry_delay_ms", "delay_ms", "timeout_ms",
         "seed"}


def _number(value, key: str, kind: type):
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{key} must be a number")
    return kind(value)


def _names(value, key: str) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} must be null or a list of strings")
    return frozenset(value)


def _subscriptions(value) -> frozenset[str] | None:
    """Subscription types as HubSpot names them: `<contact|…|object>.<kind>`, and
    `contact.privacyDeletion`; a typo is an error rather than a subscription never served."""
    names = _names(value, "subscriptions")
    for name in names or ():
        head, _, kind = name.partition(".")
        if name != PRIVACY_DELETION and (head not in PREFIXES or kind not in KINDS):
            raise ValueError(f"unknown subscription type {name!r}")
    return names


class Delivery:
    """Queued events of one configuration and the task sending them.

    Events wait in `pending` until the worker forms batches; batches wait in the `due` heap
    (keyed by due time, then order) until sent. `outstanding` counts events not yet delivered
    or given up, which is what `flush` waits for."""

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.pending: list[tuple[dict, bool]] = []  # (event, is a duplicate)
        self.due: list[tuple[float, int, int, list[dict]]] = []  # (due, order, attempt, events)
        self.outstanding = self.delivered = self.failed = 0
        self.log: deque[dict] = deque(maxlen=LOG_MAX)
        self._order = itertools.count()
        self._wake, self._idle = asyncio.Event(), asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def enqueue(self, events: list[dict]) -> None:
        self.pending.extend((e, False) for e in events)
        self.outstanding += len(events)
        self._idle.clear()
        self._wake.set()
        self._start()

    def _start(self) -> None:
        """Run the worker on the running loop (API handlers run there). Called off the loop
        (an `Emulator` built before its server starts), it starts with the next call on it."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._task is None or self._task.done():
            self._loop, self._task = loop, loop.create_task(self._run())

    async def flush(self, timeout_s: float) -> dict:
        """Wait until every queued event is delivered or given up (or the timeout passes)."""
        self._start()
        await _wait(self._idle, timeout_s)
        return self.counts()

    def counts(self) -> dict:
        return {"pending": self.outstanding, "delivered": self.delivered,
                "failed": self.failed}

    def stop(self) -> None:
        """Cancel the worker (from any thread); its session closes as the task unwinds."""
        task, self._task = self._task, None
        if task is None or task.done() or self._loop is None:
            self._idle.set()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._cancel(task)
        elif not self._loop.is_closed():  # asyncio objects belong to their loop's thread
            self._loop.call_soon_threadsafe(self._cancel, task)

    def _cancel(self, task: asyncio.Task) -> None:
        task.cancel()
        self._idle.set()  # a flush waiting on this delivery returns

    async def aclose(self) -> None:
        task = self._task
        self.stop()
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    # -- the worker ------------------------------------------------------------------------

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.config.timeout_ms / 1000)
        async with aiohttp.ClientSession(timeout=timeout, trust_env=False) as session:
            while True:
                self._wake.clear()
                self._form_batches()
                wait = self.due[0][0] - time.monotonic() if self.due else None
                if wait is None or wait > 0:
                    await _wait(self._wake, wait)  # until the next batch is due or new events
                    continue
                _due, order, attempt, events = heapq.heappop(self.due)
                try:
                    await self._send(session, order, attempt, events)
                except Exception:  # an emulator bug must not stop every later delivery
                    log.exception("webhook delivery failed")
                    self._settle(len(events), delivered=False)

    def _form_batches(self) -> None:
        """Pending events in change order → batches of `batch_size`; with `reorder` each
        batch and their order are shuffled. Duplicates are picked here and go to `pending`,
        so they land in a later batch with the same eventId."""
        if not self.pending:
            return
        cfg, queued, self.pending = self.config, self.pending, []
        events = [e for e, _dup in queued]
        batches = [events[i:i + cfg.batch_size] for i in range(0, len(events), cfg.batch_size)]
        if cfg.reorder:
            for batch in batches:
                self.rng.shuffle(batch)
            self.rng.shuffle(batches)
        due = time.monotonic() + cfg.delay_ms / 1000
        for batch in batches:
            heapq.heappush(self.due, (due, next(self._order), 0, batch))
        again = [e for e, dup in queued if not dup and self.rng.random() < cfg.duplicate_rate]
        self.pending = [(e, True) for e in again]
        self.outstanding += len(again)

    async def _send(self, session: aiohttp.ClientSession, order: int, attempt: int,
                    events: list[dict]) -> None:
        status, error = await self._post(session, attempt, events)
        self.log.append({"attempt": attempt, "status": status,
                         "events": [e["eventId"] for e in events], "error": error})
        if status is not None and 200 <= status < 300:
            self._settle(len(events), delivered=True)
        elif (status is None or status >= 500) and attempt + 1 < self.config.max_attempts:
            # 5xx, timeouts and connection errors are retried; a 4xx is not
            # (docs/hubspot-api.md#webhooks).
            delay = self.config.retry_delay_ms * 2 ** attempt / 1000
            heapq.heappush(self.due, (time.monotonic() + delay, order, attempt + 1, events))
        else:
            self._settle(len(events), delivered=False)

    async def _post(self, session: aiohttp.ClientSession, attempt: int,
                    events: list[dict]) -> tuple[int | None, str | None]:
        body = orjson.dumps([{**e, "attemptNumber": attempt} for e in events])
        url = self.config.url
        # Real time, not the emulated clock: receivers check a 5-minute window against it.
        timestamp = str(time.time_ns() // 1_000_000)
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "X-HubSpot-Signature-v3": sign_v3(self.config.client_secret, "POST", url,
                                                     body, timestamp),
                   "X-HubSpot-Signature-Version": "v3",
                   "X-HubSpot-Request-Timestamp": timestamp}
        try:
            # Sent to the URL as configured: yarl would otherwise re-quote `%3A` as `:`.
            async with session.post(URL(url, encoded=True), data=body, headers=headers,
                                    allow_redirects=False) as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            return None, f"{type(err).__name__}: {err}"
        error = None if 200 <= response.status < 300 else f"HTTP {response.status}"
        return response.status, error

    def _settle(self, count: int, delivered: bool) -> None:
        if delivered:
            self.delivered += count
        else:
            self.failed += count
        self.outstanding -= count
        if self.outstanding <= 0:
            self._idle.set()


async def _wait(event: asyncio.Event, seconds: float | None) -> None:
    """Until `event` is set or `seconds` have passed (None: no limit)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)


class Webhooks:
    """The portal's webhook app: observes the store, stamps events, owns the delivery."""

    def __init__(self) -> None:
        self.delivery: Delivery | None = None
        self.store: Store | None = None
        self._event_ids = itertools.count(1)
        self._subscription_ids: dict[tuple[str, str | None], int] = {}

    def reset(self, store: Store, config: WebhookConfig | None) -> None:
        """A new portal: numbering starts again and nothing queued survives."""
        self._event_ids = itertools.count(1)
        self._subscription_ids = {}
        self.store = store
        store.observer = self
        store.assoc.observer = self.before_association
        self.configure(config)

    def configure(self, config: WebhookConfig | None) -> None:
        if self.delivery is not None:
            self.delivery.stop()
        self.delivery = None if config is None else Delivery(config)

    async def aclose(self) -> None:
        if self.delivery is not None:
            await self.delivery.aclose()

    async def flush(self, timeout_s: float) -> dict:
        if self.delivery is None:
            return {"pending": 0, "delivered": 0, "failed": 0}
        return await self.delivery.flush(timeout_s)

    def state(self) -> dict:
        if self.delivery is None:
            return {"configured": False, "deliveries": []}
        d = self.delivery
        return {"configured": True, **d.config.public(), **d.counts(),
                "deliveries": list(d.log)}

    # -- observer --------------------------------------------------------------------------

    def before_op(self, ts: TypeState, op: Op) -> None:
        if self.delivery is not None:  # nothing is built while webhooks are off
            self._emit(op_events(self.store, ts, op))

    def before_association(self, a: str, ai: int, b: str, bi: int, fwd, back,
                           removed: bool) -> None:
        if self.delivery is not None:
            self._emit(association_events(self.store, a, ai, b, bi, fwd, back, removed))

    def _emit(self, events: list[dict]) -> None:
        config = self.delivery.config
        wanted = [self._stamp(e, config) for e in events if config.wants(e)]
        if wanted:
            self.delivery.enqueue(wanted)

    def _stamp(self, event: dict, config: WebhookConfig) -> dict:
        """The common fields first, in HubSpot's order, then the event's own."""
        kind = event["subscriptionType"]
        key = (kind, event.get("objectTypeId"))
        sub_id = self._subscription_ids.setdefault(key, 1_000 + len(self._subscription_ids))
        head = {"eventId": next(self._event_ids), "subscriptionId": sub_id,
                "portalId": self.store.portal_id, "appId": config.app_id,
                "occurredAt": event["occurredAt"], "subscriptionType": kind,
                "attemptNumber": 0, "objectId": event["objectId"]}
        return {**head, **event}
