"""HubSpotClient: HTTP, paging, search windows, retries and rate limits. No database here.

Every method yields or returns HubSpot's JSON records untouched (entries that are not even
objects included: the engine records those one by one); transforming and saving them is
the engine's job (fetch apart from save). Every reply's envelope is checked first
(`replies`): a malformed reply is retried, then fatal — never "empty" or "done". Paging
that repeats a cursor and searches that ignore their filter are fatal at once, never a
loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import httpx
import orjson
from tenacity import Retrying, retry_if_exception, wait_exponential_jitter

from ingestion.base.chunks import chunked

from . import replies
from .auth import ClientCredentialsTokens, GrantStore, OAuthTokens, StaticToken
from .errors import (
    HubSpotConnectError,
    HubSpotError,
    HubSpotLoopError,
    HubSpotMalformedReplyError,
    HubSpotRateLimitError,
    HubSpotTimeoutError,
    HubSpotTransportError,
    HubSpotUnauthorizedError,
    HubSpotWaitTooLongError,
    after_retries,
    error_for_response,
)
from .limits import BATCH_READ_MAX, LIST_PAGE_MAX, SEARCH_PAGE_MAX, ClientLimits
from .pacing import LocalBudget, RateBudget
from .paths import DEFAULT_VERSION, HubSpotPaths
from .replies import Listing, SearchPage
from .request_stats import RequestStats
from .timeparse import parse_hubspot_datetime

log = logging.getLogger("ingestion.hubspot.http")

CONNECT_TIMEOUT_MAX_S = 10.0  # a host that takes longer to accept a connection is down


class ListedPage(list):
    """A page of a GET listing's items, and the cursor of the page after it (None: the
    last page). A resumed read starts at such a cursor (engines/definitions.py `listed`)."""

    position: dict | None = None  # the read's, once the page is saved (set by the engine)

    def __init__(self, items, *, after=None):
        super().__init__(items)
        self.after = after

    def carrying(self, items) -> ListedPage:
        """Other items (this page's, read further) with this page's place in the listing."""
        page = ListedPage(items, after=self.after)
        page.position = self.position
        return page


@dataclass(frozen=True)
class OAuthApp:
    """An OAuth app's credentials (settings HUBSPOT_CLIENT_ID, _SECRET, _REFRESH_TOKEN) and
    where its grant is shared with other processes (None: this process only)."""

    client_id: str
    client_secret: str = field(repr=False)  # secrets never in a log line
    refresh_token: str = field(repr=False)
    store: GrantStore | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class AppCredentials:
    """An app's client credentials (HUBSPOT_CLIENT_ID, _SECRET) for its own token by the
    client-credentials grant (the webhooks journal), with the scopes to ask; `store`: where
    the token is shared with other processes (None: this process only)."""

    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = ()
    store: GrantStore | None = field(default=None, compare=False, repr=False)
    clock: Callable[[], float] = field(default=time.time, compare=False, repr=False)


Credentials = str | OAuthApp | AppCredentials


class HubSpotClient:
    """`credentials`: a private app's token, an OAuth app, or an app's client credentials
    (the webhooks journal); `limits`: pacing, waits and retries; `budget`: a rate budget
    shared with other processes (None: this process's own, from `limits`)."""

    def __init__(self, base_url: str, credentials: Credentials, *, limits: ClientLimits,
                 api_version: str = DEFAULT_VERSION, budget: RateBudget | None = None):
        self.paths = HubSpotPaths(api_version)
        self.limits = limits
        self.connect_timeout_s = min(limits.timeout_s, CONNECT_TIMEOUT_MAX_S)
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Accept": "application/json", "User-Agent": "hubspot-sql-mirror/0.1"},
            timeout=httpx.Timeout(limits.timeout_s, connect=self.connect_timeout_s),
        )
        self.auth = self._auth(credentials)
        self.budget = budget or LocalBudget(limits)
        self._retrying = Retrying(
            retry=retry_if_exception(lambda exc: getattr(exc, "retriable", False)),
            stop=_AttemptsOf(limits.max_attempts),
            wait=_RetryWait(wait_exponential_jitter(multiplier=limits.backoff_first_s,
                                                     max=limits.backoff_cap_s,
                                                     jitter=limits.backoff_first_s)),
            before_sleep=_log_retry,
            reraise=True,
        )
        self.requests_sent = 0
        self.downloads = 0  # files fetched by pre-signed URL (journal entries): not API calls
        self.stats = RequestStats()  # by endpoint class, with 429s: each run's share recorded

    def _auth(self, credentials: Credentials
              ) -> StaticToken | OAuthTokens | ClientCredentialsTokens:
        if isinstance(credentials, AppCredentials):
            return ClientCredentialsTokens(
                self._http, self.paths.client_credentials_token(), credentials.client_id,
                credentials.client_secret, credentials.scopes, store=credentials.store,
                clock=credentials.clock)
        if isinstance(credentials, OAuthApp):
            return OAuthTokens(self._http, self.paths.oauth_token(), credentials.client_id,
                               credentials.client_secret, credentials.refresh_token,
                               store=credentials.store)
        return StaticToken(credentials or "")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubSpotClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- one request, with pacing, retries and error mapping ---------------------------------

    def request(self, method: str, path: str, *, params: dict | None = None,
                json: object = None, search: bool = False,
                shape: type[Listing] = Listing,
                check: Callable[[Listing], None] | None = None) -> Listing:
        """One call, paced and retried; the reply checked against `shape`, then by `check`
        (which raises HubSpotMalformedReplyError for a reply that breaks what was asked:
        retried like any malformed reply). A retriable error that outlasts its attempts
        becomes what errors.after_retries says (a timeout: HubSpot unreachable)."""
        return self._retried(lambda: self._send_once(method, path, params, json, search,
                                                     shape), check)

    def download(self, url: str, what: str, *, shape: type[Listing],
                 check: Callable[[Listing], None] | None = None) -> Listing:
        """A file HubSpot points at with a pre-signed URL (a webhooks journal entry's), as
        `shape`, checked by `check`, retried like a request. Sent without the Authorization
        header: the URL is its own credential and may be another host. Not paced (not an API
        call: docs/hubspot-api.md#webhooks-journal) and counted apart (`downloads`). Errors
        name the file by `what`, never by its URL (which grants access while it lasts)."""
        return self._retried(lambda: self._download_once(url, what, shape), check)

    def _retried(self, send: Callable[[], Listing],
                 check: Callable[[Listing], None] | None) -> Listing:
        retrying = self._retrying  # its statistics are per thread: this request's
        try:
            for attempt in retrying:
                with attempt:
                    reply = send()
                    if check is not None:
                        check(reply)
                    return reply
        except HubSpotError as error:
            if not error.retriable:
                raise
            fatal = after_retries(error, retrying.statistics.get("attempt_number", 1))
            if fatal is error:
                raise
            raise fatal from None
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _send_once(self, method: str, path: str, params: dict | None, body: object,
                   search: bool, shape: type[Listing]) -> Listing:
        try:
            return self._send(method, path, params, body, search, shape)
        except HubSpotUnauthorizedError as error:
            # OAuth: HubSpot says the token expired (clocks differ): renew once and resend.
            if error.category != "EXPIRED_AUTHENTICATION" or not self.auth.renew(error.header):
                raise
            return self._send(method, path, params, body, search, shape)

    def _send(self, method: str, path: str, params: dict | None, body: object,
              search: bool, shape: type[Listing]) -> Listing:
        authorization = self.auth.header()
        ticket = self.budget.acquire(search)
        started = time.perf_counter()
        content = orjson.dumps(body) if body is not None else None
        headers = {"Authorization": authorization}
        if content is not None:
            headers["Content-Type"] = "application/json"
        self.requests_sent += 1
        try:
            response = self._http.request(method, path, params=params, content=content,
                                          headers=headers)
        except (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            self.stats.count(path, None, search=search)
            # Nothing listens there, the host name does not resolve, or the URL is not one:
            # retrying cannot help (timeouts and dropped connections still are retried).
            raise HubSpotConnectError(
                f"cannot connect to HubSpot at {self._http.base_url} (HUBSPOT_API_BASE_URL): "
                f"{_reason(exc)}") from None
        except (httpx.ConnectTimeout, httpx.ReadTimeout, httpx.WriteTimeout) as exc:
            self.stats.count(path, None, search=search)
            raise self._timed_out(exc, method, path) from None
        except httpx.TransportError as exc:
            self.stats.count(path, None, search=search)
            log.debug("%s %s -> %s", method, path, type(exc).__name__)
            raise HubSpotTransportError(f"{type(exc).__name__} on {method} {path}") from exc
        finally:
            self.budget.complete(ticket)
        # httpx binds each response to its stream in a reference cycle (BoundSyncStream),
        # so a page's bytes would live on until the cycle collector runs, which a run spaces
        # out (base/collector.py): the body is read, detach the spent stream.
        response.stream = _SPENT
        self.stats.count(path, response.status_code, search=search)
        log.debug("%s %s -> %s in %.0f ms", method, path, response.status_code,
                  (time.perf_counter() - started) * 1000)
        if not search:  # search answers carry no rate-limit headers (docs/hubspot-api.md#search)
            self.budget.observe(response.headers)
        try:
            return self._decode(response, method, path, shape)
        except HubSpotUnauthorizedError as error:
            error.header = authorization  # which token HubSpot refused, for renew()
            raise
        except HubSpotRateLimitError as error:
            # HubSpot's specs exempt search from the ten-secondly window; a portal that
            # refuses a search for it counts searches there: pace them in it from now on.
            if search and error.category == "TEN_SECONDLY_ROLLING":
                self.budget.search_counts_in_window()
            raise

    def _download_once(self, url: str, what: str, shape: type[Listing]) -> Listing:
        if urlsplit(url).scheme not in ("http", "https"):
            raise HubSpotMalformedReplyError(f"malformed reply: {what} has no http(s) URL")
        self.downloads += 1
        try:
            response = self._http.get(url)  # absolute: the base URL does not apply
        except httpx.TransportError as exc:
            raise HubSpotTransportError(f"{type(exc).__name__} fetching {what}") from None
        response.stream = _SPENT
        if not response.is_success:
            # An expired or refused pre-signed URL (S3 says 403) is no verdict on the app's
            # access: retried, then the run fails and the next one reads the entry again.
            raise HubSpotTransportError(f"HTTP {response.status_code} fetching {what}")
        try:
            return replies.decode(response.content, shape)
        except replies.Malformed as error:
            raise HubSpotMalformedReplyError(f"malformed {what}: {error}") from None

    def _timed_out(self, exc: httpx.TimeoutException, method: str,
                   path: str) -> HubSpotTimeoutError:
        connecting = isinstance(exc, httpx.ConnectTimeout)
        what = (f"could not connect within {self.connect_timeout_s:g} s" if connecting
                else f"did not answer within {self.limits.timeout_s:g} s")
        log.debug("%s %s -> %s", method, path, type(exc).__name__)
        return HubSpotTimeoutError(f"HubSpot at {self._http.base_url} {what} (HUBSPOT_TIMEOUT): "
                                   f"{type(exc).__name__} on {method} {path}")

    def _decode(self, response: httpx.Response, method: str, path: str,
                shape: type[Listing]) -> Listing:
        if response.status_code == 204 and replies.no_content_allowed(shape):
            return None  # the route documents "no content" as an answer (replies.py)
        if response.is_success:
            try:
                return replies.decode(response.content, shape)
            except replies.Malformed as error:
                raise HubSpotMalformedReplyError(
                    f"malformed reply to {method} {path}: {error}") from None
        try:
            body = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            body = None
        error = error_for_response(response.status_code, body, _retry_after(response))
        longest_wait_s = self.limits.longest_wait_s
        if error.retriable and (error.retry_after or 0) > longest_wait_s:
            raise HubSpotWaitTooLongError(
                f"HubSpot asked to wait {error.retry_after:.0f} s (Retry-After) before "
                f"retrying {method} {path}; a run waits at most {longest_wait_s:.0f} s "
                "(HUBSPOT_MAX_WAIT_SECONDS), so it stops here", status=error.status)
        raise error

    # -- discovery -----------------------------------------------------------------------------

    def property_names(self, object_type: str) -> list[str]:
        """Every property of the type, custom ones included (docs/hubspot-api.md#definitions)."""
        path = self.paths.properties(object_type)
        reply = self.request("GET", path)
        names = {p.get("name") for p in reply.results if isinstance(p, dict)
                 and not p.get("archived")}
        if not all(isinstance(name, str) and name for name in names):
            raise HubSpotMalformedReplyError(
                f"malformed reply to GET {path}: a property without a name")
        return sorted(names)

    def probe_records(self, object_type: str) -> None:
        """Read one record of the type (one request): a 403 says the app may not read its
        records, whatever it may read of the type's definitions."""
        self.request("GET", self.paths.objects(object_type), params={"limit": 1})

    def count(self, object_type: str) -> int:
        """How many live records the type has (search `total`), for progress bars."""
        return self.request("POST", self.paths.search(object_type),
                            json={"limit": 1, "filterGroups": []}, search=True,
                            shape=SearchPage).total

    # -- full listing ------------------------------------------------------------------------

    def list_pages(self, object_type: str, properties: list[str], *, archived: bool = False,
                   page_size: int = LIST_PAGE_MAX, from_id: int | None = None
                   ) -> Iterator[list[dict]]:
        """Every record of the type in id order, a page at a time (docs/hubspot-api.md#paging); with
        `from_id`, those from that id up (HubSpot documents the listing's `after` as the id
        of the next record, so a first `after` starts the listing at any id)."""
        # A long `properties` list gives 414 (docs/hubspot-api.md#errors). Past the budget,
        # list ids only and read the properties by id with a POST body instead.
        inline = len(quote(",".join(properties))) <= self.limits.url_budget_chars
        params: dict = {"limit": min(page_size, LIST_PAGE_MAX), "archived": _bool(archived)}
        if from_id is not None:
            params["after"] = str(from_id)
        if inline:
            params["properties"] = ",".join(properties)
        for results in self.get_pages(self.paths.objects(object_type), params):
            if results:
                yield results if inline else self._hydrate(
                    object_type, results, properties, archived=archived)

    def get_pages(self, path: str, params: dict, *, shape: type[Listing] = Listing,
                  cursor: str = "after", start: str | None = None) -> Iterator[ListedPage]:
        """Each page's items of a GET listing, following `paging.next.after` (or, for a
        `shape` of the v1 kind, `offset` while `hasMore`, sent back as `cursor`); a cursor
        that repeats stops it with HubSpotLoopError (CursorGuard). `start`: the cursor of
        the first page to read (a resumed read's). Each page says the next one's cursor."""
        params = dict(params)
        if start is not None:
            params[cursor] = start
        cursors = CursorGuard(f"GET {path}")
        while True:
            reply = self.request("GET", path, params=params, shape=shape)
            yield ListedPage(reply.results, after=reply.after or None)
            if not reply.after:
                return
            params[cursor] = cursors.check(reply.after)

    def _hydrate(self, object_type: str, entries: list, properties: list[str], *,
                 archived: bool = False) -> list:
        """The records of `entries` read again by id with every property; entries that are
        not records stay as they are (the engine reports them)."""
        ids = [str(e["id"]) for e in entries if isinstance(e, dict) and e.get("id")]
        others = [e for e in entries if not (isinstance(e, dict) and e.get("id"))]
        return self.batch_read(object_type, ids, properties, archived=archived) + others

    def batch_read(self, object_type: str, ids: list[str], properties: list[str], *,
                   archived: bool = False) -> list[dict]:
        """Records by id, properties sent in the body (no URL limit). Missing ids are left out."""
        records: list[dict] = []
        for chunk in chunked(ids, BATCH_READ_MAX):
            body = {"inputs": [{"id": i} for i in chunk], "properties": properties}
            reply = self.request("POST", self.paths.batch_read(object_type),
                                 params={"archived": _bool(archived)}, json=body)
            records.extend(reply.results)  # a 207 lists missing ids in `errors`
        order = {record_id: n for n, record_id in enumerate(ids)}
        return sorted(records, key=lambda r: order.get(
            r.get("id") if isinstance(r, dict) else None, len(order)))

    def batch_read_history(self, object_type: str, ids: list[str], names: list[str],
                           chunk: int) -> list[dict]:
        """Live records by id with `propertiesWithHistory` for `names`, `chunk` ids a request
        (HubSpot takes fewer inputs with history than without:
        docs/hubspot-api.md#property-history). Only
        `hs_object_id` as a plain property: the values are in the history."""
        records: list[dict] = []
        for some in chunked(ids, chunk):
            body = {"inputs": [{"id": i} for i in some],
                    "properties": ["hs_object_id"], "propertiesWithHistory": names}
            records.extend(self.request("POST", self.paths.batch_read(object_type),
                                        params={"archived": "false"}, json=body).results)
        return records

    # -- incremental: search by modified time ------------------------------------------------

    def modified_since_pages(self, object_type: str, modified_property: str, since_ms: int,
                             properties: list[str], *,
                             page_size: int = SEARCH_PAGE_MAX) -> Iterator[list[dict]]:
        """Every live record modified at or after `since_ms`, oldest change first.

        Keyset paging on the modified time instead of search offsets: each page is a fresh
        query `modified >= lower`, so records changing mid-run cannot shift others out of
        view, and the 10,000-result cap (docs/hubspot-api.md#search) is never reached. When a whole
        page shares one millisecond, that instant is drained by `hs_object_id` keyset, so even
        more than 10,000 records modified in the same millisecond are all read, once.
        """
        window = _SearchWindow(modified_property, since_ms,
                               f"POST {self.paths.search(object_type)}")
        limit = min(page_size, SEARCH_PAGE_MAX)
        while True:
            page = self._search(object_type, [window.filter()], modified_property, properties,
                                limit)
            fresh = window.take(page)
            if fresh:
                yield fresh
            if len(page) < limit:
                return
            if window.stuck(page):
                yield from self._drain_instant(object_type, window, properties, limit)
                window.step_past_instant()
            elif not fresh:
                raise HubSpotLoopError(f"{object_type} search made no progress past "
                                       f"{window.lower}: every record was read before")

    def _drain_instant(self, object_type: str, window: _SearchWindow, properties: list[str],
                       limit: int) -> Iterator[list[dict]]:
        last_id = 0
        while True:
            filters = [window.instant_filter(),
                       {"propertyName": "hs_object_id", "operator": "GT", "value": str(last_id)}]
            page = self._search(object_type, filters, "hs_object_id", properties, limit)
            if not page:
                return
            last_id = _past_last_id(page, last_id, f"{object_type} search")
            fresh = window.take(page)
            if fresh:
                yield fresh
            if len(page) < limit:
                return

    # -- verification: totals and complete listings of any filtered set --------------------

    def search_total(self, object_type: str, filters: list[dict], properties: list[str], *,
                     limit: int = SEARCH_PAGE_MAX) -> tuple[int, list]:
        """(total, first page in id order) of the live records matching every filter: one
        request that counts a set and, when it is small, lists it too."""
        body = {"filterGroups": [{"filters": filters}],
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "properties": properties, "limit": min(limit, SEARCH_PAGE_MAX)}
        reply = self.request("POST", self.paths.search(object_type), json=body, search=True,
                             shape=SearchPage)
        return reply.total, reply.results

    def search_by_id(self, object_type: str, filters: list[dict], properties: list[str], *,
                     after_id: int = 0, limit: int = SEARCH_PAGE_MAX) -> Iterator[list]:
        """Every live record matching every filter whose id is past `after_id`, a page at a
        time in id order: keyset on `hs_object_id`, so however many match, no query pages
        past the 10,000-result cap (docs/hubspot-api.md#search)."""
        last_id = after_id
        while True:
            keyset = {"propertyName": "hs_object_id", "operator": "GT", "value": str(last_id)}
            page = self._search(object_type, [*filters, keyset], "hs_object_id", properties,
                                limit)
            if not page:
                return
            last_id = _past_last_id(page, last_id, f"{object_type} search")
            yield page
            if len(page) < limit:
                return

    def search_descending(self, object_type: str, properties: list[str], *,
                          below: int | None, limit: int = SEARCH_PAGE_MAX) -> list[dict]:
        """One page of the live records with ids below `below` (all: None), highest first:
        the search end of a two-ended full read (two_ended.py). A page whose ids are not
        strictly falling below `below`, as numbers, is malformed (`falling_ids`)."""
        filters = [] if below is None else [
            {"propertyName": "hs_object_id", "operator": "LT", "value": str(below)}]
        return self._search(object_type, filters, "hs_object_id", properties, limit,
                            descending=True, check=falling_ids(below, f"{object_type} search"))

    def search_top(self, object_type: str, properties: list[str], *,
                   limit: int = SEARCH_PAGE_MAX) -> tuple[int, list[dict]]:
        """(how many live records, the first page from the highest id down): the count that
        decides a two-ended read is the search end's first page too (one request, not two).
        With `limit=1`: the count a full read reconciles against and the highest id."""
        return self._search_reply(object_type, [], "hs_object_id", properties, limit,
                                  descending=True,
                                  check=falling_ids(None, f"{object_type} search"))

    def search_fits(self, properties: list[str]) -> bool:
        """Whether a search body can name every property (else search pages are re-read
        by id, through the general budget: search's 3,000-character body limit,
        docs/hubspot-api.md#search)."""
        body = {"filterGroups": [{"filters": [{"propertyName": "hs_object_id",
                                               "operator": "LT", "value": "9" * 20}]}],
                "sorts": [{"propertyName": "hs_object_id", "direction": "DESCENDING"}],
                "properties": properties, "limit": SEARCH_PAGE_MAX}
        return len(orjson.dumps(body)) <= self.limits.search_body_max_bytes

    def _search(self, object_type: str, filters: list[dict], sort_property: str,
                properties: list[str], limit: int, *, descending: bool = False,
                check: Callable[[Listing], None] | None = None) -> list[dict]:
        return self._search_reply(object_type, filters, sort_property, properties, limit,
                                  descending=descending, check=check)[1]

    def _search_reply(self, object_type: str, filters: list[dict], sort_property: str,
                      properties: list[str], limit: int, *, descending: bool = False,
                      check: Callable[[Listing], None] | None = None
                      ) -> tuple[int, list[dict]]:
        direction = "DESCENDING" if descending else "ASCENDING"
        body = {"filterGroups": [{"filters": filters}] if filters else [],
                "sorts": [{"propertyName": sort_property, "direction": direction}],
                "properties": properties, "limit": limit}
        hydrate = len(orjson.dumps(body)) > self.limits.search_body_max_bytes
        if hydrate:  # too many properties for a search body: read them by id afterwards
            body["properties"] = [sort_property]
        reply = self.request("POST", self.paths.search(object_type), json=body,
                             search=True, shape=SearchPage, check=check)
        page = reply.results
        if hydrate and page:
            ids = [str(r["id"]) for r in page if isinstance(r, dict) and r.get("id")]
            full = {r.get("id"): r for r in self.batch_read(object_type, ids, properties)
                    if isinstance(r, dict)}
            page = [full.get(r.get("id"), r) if isinstance(r, dict) else r for r in page]
        return reply.total, page


_SPENT = httpx.ByteStream(b"")


class _SearchWindow:
    """The lower bound of an incremental search and the ids already read at that bound."""

    def __init__(self, modified_property: str, since_ms: int, endpoint: str = "search"):
        self.prop = modified_property
        self.endpoint = endpoint
        self.lower = since_ms
        self.inclusive = True
        self.seen_at_lower: set[str] = set()

    def filter(self) -> dict:
        op = "GTE" if self.inclusive else "GT"
        return {"propertyName": self.prop, "operator": op, "value": str(self.lower)}

    def instant_filter(self) -> dict:
        return {"propertyName": self.prop, "operator": "EQ", "value": str(self.lower)}

    def take(self, page: list) -> list:
        """The records of `page` not read before; moves the bound to the newest one.

        Every record must match the query (modified at or after the bound, in ascending
        order): one that does not means the search ignored its filter or sort, and paging
        on would never end. Records whose time cannot be read pass through, for the engine
        to report."""
        fresh = [r for r in page if not isinstance(r, dict)
                 or r.get("id") not in self.seen_at_lower]
        for record in fresh:
            modified = modified_ms(record, self.prop)
            if modified is None:
                continue
            if modified < self.lower or (modified == self.lower and not self.inclusive):
                raise HubSpotLoopError(
                    f"{self.endpoint} for {self.prop} {self.filter()['operator']} "
                    f"{self.lower} returned a record modified at {modified}: HubSpot ignored "
                    "the search's filter or sort, so paging on could loop forever; stopping")
            if modified > self.lower:
                self.lower, self.inclusive, self.seen_at_lower = modified, True, set()
            if modified == self.lower:
                self.seen_at_lower.add(record.get("id"))
        return fresh

    def stuck(self, page: list) -> bool:
        """A (full) page all at the bound: `>= lower` cannot move on; drain the instant."""
        return all(modified_ms(r, self.prop) == self.lower for r in page)

    def step_past_instant(self) -> None:
        self.inclusive, self.seen_at_lower = False, set()


class CursorGuard:
    """Paging must move on: a cursor HubSpot already handed out means the listing would
    start over (a loop), so it is fatal at once."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self._seen: set[str] = set()

    def check(self, cursor: str) -> str:
        if cursor in self._seen:
            raise HubSpotLoopError(
                f"{self.endpoint} returned the paging cursor {cursor[:40]!r} a second time; "
                "stopping instead of reading the same pages forever")
        self._seen.add(cursor)
        return cursor


def falling_ids(below: int | None, what: str) -> Callable[[Listing], None]:
    """The check of a page asked for ids below `below` (None: any), highest first: each id,
    as a number, strictly below the one before it and below `below`. A search that compares
    or sorts ids as text ("9" > "10") breaks it where ids differ in length; the search end
    would then skip a range of ids it believes it read. Entries without a numeric id pass
    (the engine reports them)."""

    def check(reply: Listing) -> None:
        bound = below
        for record in reply.results:
            value = record.get("id") if isinstance(record, dict) else None
            if not (isinstance(value, str) and value.isascii() and value.isdigit()):
                continue
            if bound is not None and int(value) >= bound:
                raise HubSpotMalformedReplyError(
                    f"{what} by hs_object_id descending below {below} returned id {value} "
                    f"where one below {bound} was due: the page is not in falling numeric "
                    "id order")
            bound = int(value)

    return check


def _past_last_id(page: list, last_id: int, what: str) -> int:
    """The highest id of a page sorted by id after `last_id`; fatal if it does not move on."""
    ids = [int(r["id"]) for r in page if isinstance(r, dict) and str(r.get("id", "")).isdigit()]
    if not ids or max(ids) <= last_id or min(ids) <= last_id:
        raise HubSpotLoopError(f"{what} by hs_object_id > {last_id} returned no id past it: "
                               "HubSpot ignored the search's filter; stopping")
    return max(ids)


def modified_ms(record: object, modified_property: str) -> int | None:
    """The record's modified time in epoch ms; None if it has none or it is unreadable
    (the engine then reports the record)."""
    if not isinstance(record, dict):
        return None
    properties = record.get("properties")
    value = (properties.get(modified_property) if isinstance(properties, dict) else None
             ) or record.get("updatedAt")
    try:
        parsed = parse_hubspot_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return int(parsed.timestamp() * 1000) if parsed else None


class _AttemptsOf:
    """Stop after `max_attempts`, or once an error that allows fewer of its own kind
    (errors.py: `max_attempts`, e.g. timeouts, each of which costs the whole timeout) has
    failed that many of this request's attempts."""

    def __init__(self, max_attempts: int):
        self.max_attempts = max_attempts

    def __call__(self, retry_state) -> bool:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        limit = getattr(error, "max_attempts", None)
        if limit is not None:  # counted on the request's retry state, by kind
            seen = retry_state.__dict__.setdefault("limited_failures", {})
            seen[type(error)] = seen.get(type(error), 0) + 1
            if seen[type(error)] >= limit:
                return True
        return retry_state.attempt_number >= self.max_attempts


class _RetryWait:
    """Exponential backoff with jitter, but never shorter than HubSpot's Retry-After."""

    def __init__(self, backoff):
        self.backoff = backoff

    def __call__(self, retry_state) -> float:
        delay = self.backoff(retry_state)
        error = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        return max(delay, retry_after or 0.0)  # capped before: HubSpotWaitTooLongError


def _log_retry(retry_state) -> None:
    error = retry_state.outcome.exception()
    log.warning("retrying after %s (attempt %d, waiting %.1fs)", error,
                retry_state.attempt_number, retry_state.next_action.sleep)


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.split("] ", 1)[-1].strip().lower() if text.startswith("[Errno") else text


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _bool(value: bool) -> str:
    return "true" if value else "false"


__all__ = ["HubSpotClient", "HubSpotError", "modified_ms"]
