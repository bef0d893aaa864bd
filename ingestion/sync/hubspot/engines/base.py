"""HubSpotBaseSyncEngine: HubSpot fetching and transforming on top of BaseSyncEngine.

A per-type engine only declares `object_type`, `model` and (if not the default)
`modified_property`; its typed columns come from the model's fields.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

from django.conf import settings

from ingestion.base.grants import DatabaseGrantStore
from ingestion.base.results import Mode, Page, RecordFailure, SyncOptions
from ingestion.base.sync_engine import BaseSyncEngine, ProgressCallback

from ..associations import read_links, store_links
from ..client import HubSpotClient, OAuthApp
from ..paths import DEFAULT_VERSION
from ..timeparse import parse_hubspot_datetime, to_epoch_ms
from ..transform import identify, to_row, typed_columns

LIVE = (None, False, "false")  # `archived` of a live record (identify() rejects the rest)
LINKS_READ_AHEAD = 1_000  # v4 association batch reads take up to 1,000 inputs (API-FACTS §5)


def client_from_settings() -> HubSpotClient:
    """The client the settings describe: OAuth when a refresh token is configured (its grant
    shared with the other processes through the database), else the private app's token."""
    oauth = oauth_app_from_settings()
    return HubSpotClient(
        settings.HUBSPOT_ACCESS_TOKEN, settings.HUBSPOT_API_BASE_URL,
        timeout=settings.HUBSPOT_TIMEOUT, max_attempts=settings.HUBSPOT_MAX_ATTEMPTS,
        initial_wait=settings.HUBSPOT_RETRY_INITIAL_WAIT,
        general_limit=settings.HUBSPOT_REQUESTS_PER_10S,
        search_per_second=settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND,
        max_wait_s=getattr(settings, "HUBSPOT_MAX_WAIT_SECONDS", 120.0),
        api_version=getattr(settings, "HUBSPOT_API_VERSION", DEFAULT_VERSION), oauth=oauth,
        grant_store=DatabaseGrantStore(oauth.client_id, oauth.client_secret,
                                       clock=time.time) if oauth else None)


def oauth_app_from_settings() -> OAuthApp | None:
    refresh_token = getattr(settings, "HUBSPOT_REFRESH_TOKEN", "")
    if not refresh_token:
        return None
    return OAuthApp(settings.HUBSPOT_CLIENT_ID, settings.HUBSPOT_CLIENT_SECRET, refresh_token)


class HubSpotBaseSyncEngine(BaseSyncEngine):
    # API-FACTS §2: contacts say `lastmodifieddate`; the other standard objects say
    # `hs_lastmodifieddate`.
    modified_property = "hs_lastmodifieddate"
    # Object types whose associations (v4) with each saved batch are read and replaced after
    # the batch is written, e.g. ("companies", "deals"). See ..associations.
    association_types: tuple[str, ...] = ()
    # Contacts and companies can be merged (API-FACTS §8).
    mergeable = False

    def __init__(self, options: SyncOptions | None = None, *, client: HubSpotClient | None = None,
                 on_progress: ProgressCallback | None = None):
        super().__init__(options, on_progress=on_progress)
        self.client = client or client_from_settings()
        self.lookback = timedelta(seconds=settings.HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS)
        self.columns = typed_columns(self.model)
        self._property_names: list[str] | None = None
        self.has_related = bool(self.association_types)
        self.association_types = self.association_types if self.options.related else ()

    def property_names(self) -> list[str]:
        """Every property the portal defines for this type, custom ones included."""
        if self._property_names is None:
            self._property_names = self.client.property_names(self.object_type)
        return self._property_names

    def prepare(self) -> None:
        self.property_names()  # fails fast, before anything is written, on a bad token

    def fetch(self, mode: Mode, since: datetime | None) -> Iterator[Page]:
        yield from self._read_links_ahead(self._record_pages(since))

    def _record_pages(self, since: datetime | None) -> Iterator[list[dict]]:
        properties = self.property_names()
        page_size = min(self.options.batch_size, 100)
        if since is None:
            yield from self.client.list_pages(self.object_type, properties, page_size=page_size)
        else:
            yield from self.client.modified_since_pages(
                self.object_type, self.modified_property, to_epoch_ms(since), properties,
                page_size=min(self.options.batch_size, 200))
        # Search never returns archived records (API-FACTS §3): list them separately. The
        # archived listing has no time filter, so a windowed run keeps those archived since.
        for page in self.client.list_pages(self.object_type, properties, archived=True,
                                           page_size=page_size):
            recent = page if since is None else [r for r in page if _archived_since(r, since)]
            if recent:
                yield recent

    def transform(self, record: dict) -> tuple[dict, list[str]]:
        return to_row(record, self.columns)

    def identify(self, record: dict) -> dict:
        return identify(record)

    def expected_total(self, mode: Mode, since: datetime | None) -> int | None:
        return self.client.count(self.object_type) if since is None else None

    def after_batch(self, rows: list[dict], related: Mapping[str, object]) -> list[RecordFailure]:
        if not self.association_types:
            return []
        return store_links(self.object_type, self.association_types, rows, related)

    def absorbed_ids(self, keys: list[dict]) -> set[str]:
        """A merge makes a new record that lists the ids it absorbed in
        `hs_merged_object_ids` (API-FACTS §8); those ids leave list and search without being
        archived, so an incremental run would leave them live here: archive them too."""
        if not self.mergeable:
            return set()
        merged = [key["record"]["properties"].get("hs_merged_object_ids") for key in keys]
        if not any(merged):
            return set()
        return {object_id.strip() for value in merged if value
                for object_id in str(value).split(";") if object_id.strip()}

    def _read_links_ahead(self, pages: Iterator[list]) -> Iterator[Page]:
        """In the fetch thread: read the associations of each ~1,000 records (one v4 request
        per target type) and hand each page on with its records' links, so the writer only
        writes them."""
        if not self.association_types or self.options.dry_run:
            yield from (Page(tuple(page)) for page in pages)
            return
        group: list[list] = []
        for page in pages:
            group.append(page)
            if sum(map(len, group)) >= LINKS_READ_AHEAD:
                yield from self._pages_with_links(group)
                group = []
        if group:
            yield from self._pages_with_links(group)

    def _pages_with_links(self, group: list[list]) -> Iterator[Page]:
        live = [str(r["id"]) for page in group for r in page
                if isinstance(r, dict) and r.get("id") and r.get("archived") in LIVE]
        links = read_links(self.client, self.object_type, self.association_types, live)
        for page in group:
            ids = [str(r["id"]) for r in page if isinstance(r, dict) and r.get("id")]
            yield Page(tuple(page), MappingProxyType(
                {object_id: links[object_id] for object_id in ids if object_id in links}))


def _archived_since(record: dict, since: datetime) -> bool:
    try:
        moment = parse_hubspot_datetime(record.get("archivedAt") or record.get("updatedAt"))
    except ValueError:
        return True  # unreadable: let the transform report it as a failure
    return moment is None or moment >= since
