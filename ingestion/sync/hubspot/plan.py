"""What a sync run will cost, said before it runs (`--plan`): requests, the least time the
account's limits allow for them, and their share of the daily limit. Nothing is synced,
written, locked or recorded.

The estimate follows the code that reads, one function per kind of engine:
- record types (`plan_records`, engines/base.py): the mode the run would take (its watermark,
  `BaseSyncEngine._plan`); the records to read: HubSpot's count from the limits API
  (record_counts.py: one request for every type, else one search count per type) for a full
  read, or a search total on the modified property since the watermark (one search request)
  for an incremental one; then the requests reading them makes: the property definitions (1),
  the full read's census (1 search; the progress total reuses it), list pages of 100
  (`LIST_PAGE_MAX`), search pages of 200 (`SEARCH_PAGE_MAX`; a two-ended read shares the
  records between both ends in proportion to their budgets: two_ended.py), the archived
  listing (pages of 100 of the archived rows the mirror holds, at least one), the links (one
  v4 batch read per linked type per 1,000 live records, `ASSOCIATION_BATCH_MAX`) and the
  property history (50 records a request, `HISTORY_BATCH_MAX`) unless a dry run or
  --skip-associations leaves them out; `sync_hubspot_all` checks each type's access first
  (one list request more);
- lists and forms (`plan_with_related`, engines/marketing.py): the probe, their listing,
  asked now as the run asks it (the lists search carries each list's size; the forms
  listings say which forms keep submissions), and what hangs off each definition the run
  reads again (the engine's `plan_reads`, with the engine's own test of what changed): a
  list's definition and memberships, 250 a request; a form's submissions, 50 a request,
  one page where read down to a cutoff, else its stored submissions or, none stored (a
  first run), its share of HubSpot's contact count (HubSpot counts no submissions: rough);
- definitions and marketing sources (`plan_listing`, engines/definitions.py, sources.py),
  by what each engine declares: the probe (`ProbedFirst`); a type read by another's records
  (`plan_reads_per`: deal splits, 100 deals a request; subscription statuses, 100 contacts;
  conversation messages and event participations, one request a thread or event) from that
  type's plan in the same command (its live records on a full read, its changed ones on an
  incremental one), else the mirror's live rows of it; an incremental listing a page per
  listing (`plan_listings`); a full one the stored rows' pages of `plan_page_size`, or, none
  stored (a first run), `plan_count()` where the engine has a cheap count (campaigns,
  email campaigns, marketing events, conversation threads: they cost requests each or
  are what another type is read by), plus `plan_requests_per_item` each;
- the property definitions (`plan_properties`): two requests per object type and one for the
  custom object schemas.

A type with a checkpoint its run would resume (ingestion/base/resume.py; one it would
discard is no resume) is planned as the resumed read: the records (or definitions) the
stopped read did not commit (a source read by parent: the mirror's parents after the last
one committed, engines/sources.py `ByParent`), its line ending `resumes_from=<records
committed>`.

Not counted anywhere cheap, so planned low on a first run: a thread's messages beyond one
page and the truncated ones read again whole; the subscription timeline's pages.

Time (`Budget`): the general requests at the ten-secondly limit (HUBSPOT_REQUESTS_PER_10S,
else the limit HubSpot's headers announced to the counting request, else 100: the lowest
HubSpot gives), the searches at HUBSPOT_SEARCH_REQUESTS_PER_SECOND (unpaced: no time); the two
budgets are spent at once, so the least time is the longer of the two. The daily share is of
the daily limit HubSpot's headers announce (`X-HubSpot-RateLimit-Daily`; OAuth apps get none:
then `unknown`); past what today leaves above the reserve (HUBSPOT_DAILY_RESERVE_PERCENT) the
total line says the run would pause at the reserve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from ingestion.base import resume
from ingestion.base.results import Mode, SyncOptions

from .client import HubSpotClient
from .limits import (
    ASSOCIATION_BATCH_MAX,
    GENERAL_WINDOW_S,
    HISTORY_BATCH_MAX,
    LIST_PAGE_MAX,
    SEARCH_PAGE_MAX,
)
from .pacing import reserve_requests
from .property_history import STAGE_HISTORY
from .record_counts import record_counts, type_id_of
from .timeparse import to_epoch_ms

# HubSpot's lowest ten-secondly limit (Free and Starter: docs/hubspot-api.md#rate-limits),
# assumed when neither a setting nor HubSpot's headers said the account's.
LOWEST_PER_10S = 100


@dataclass(frozen=True)
class Estimate:
    """One type's planned run: the records it reads and its requests by budget."""

    name: str
    records: int
    general: int  # requests through the ten-secondly budget
    search: int  # requests through search's own budget
    live: int | None = None  # live records a full read reads (None: not a full read)
    changed: int = 0  # records an incremental read reads as changed
    resumes_from: int | None = None  # a resumed full read: what the stopped one committed

    @property
    def requests(self) -> int:
        return self.general + self.search


class Counts:
    """HubSpot's record counts, asked once for every type (the limits API); a type it does
    not list (or no reply) is counted by one search. Holds the estimates planned so far in
    this command too: a type read by another's records is counted from its plan."""

    def __init__(self, client: HubSpotClient):
        self.client = client
        self._by_type_id: dict[str, int] | None = None
        self._asked = False
        self.planned: dict[str, Estimate] = {}
        self.requests = 0  # the counting requests it made (the plan's own, not a run's)

    def live(self, object_type: str) -> int:
        before = self.client.stats.snapshot()
        try:
            if not self._asked:
                self._by_type_id, self._asked = record_counts(self.client), True
            found = (self._by_type_id or {}).get(type_id_of(object_type))
            return found if found is not None else self.client.count(object_type)
        finally:
            self.requests += self.client.stats.since(before)["requests"]


def pages(records: int, size: int) -> int:
    """Requests a listing of `records` makes at `size` a page: one at least (an empty
    listing is still asked; the last page gives no cursor)."""
    return max(1, math.ceil(records / size))


def search_pages(records: int, size: int) -> int:
    """Requests a search by modified time makes: it stops at a page shorter than `size`, so
    a last full page costs one more (client.modified_since_pages)."""
    return records // size + 1


def _mode_of(engine) -> tuple[Mode, datetime | None, datetime | None]:
    """(the mode the run would take, its `since`, the previous watermark), as `run` takes
    them: with the checkpoint it would resume (`engine.resumed`; one it would discard is
    no resume: the run starts over)."""
    from ingestion.base import history

    records_only = engine.has_related and not engine.options.related
    previous = history.last_watermark(engine.object_type, records_only=records_only)
    engine.previous_watermark = previous
    engine._load_checkpoint()
    mode, since = engine._plan(previous)
    return mode, since, previous


def _committed(engine) -> int | None:
    return engine.resumed.records if engine.resumed is not None else None


def plan_records(engine_class: type, options: SyncOptions, client: HubSpotClient,
                 counts: Counts, *, access_checked: bool = False) -> Estimate:
    """A record type's run (engines/base.py: `_record_pages`, `_full_read`,
    `_read_related_ahead`); a resumed full read reads the records the stopped one did not
    commit (the census and the archived listing again)."""
    engine = engine_class(options, client=client)
    mode, since, previous = _mode_of(engine)
    stored_archived = engine.scope().filter(archived=True).count()
    general = 1 + (1 if access_checked else 0)  # property definitions; access probe
    search = 0
    full_live = None
    if mode is Mode.FULL:
        full_live = counts.live(engine.object_type)
        live = max(0, full_live - (_committed(engine) or 0))
        search += 1  # the census (search_top): the progress total reuses it
        list_records, search_after_census = _ends(live, options, client)
        general += pages(list_records, LIST_PAGE_MAX)
        search += math.ceil(search_after_census / SEARCH_PAGE_MAX)
        changed = live if previous is None else min(live, _changed(
            engine, client, previous - options.lookback))
    else:
        live = changed = _changed(engine, client, since)
        search += search_pages(live, min(options.batch_size, SEARCH_PAGE_MAX))
    general += pages(stored_archived, LIST_PAGE_MAX)  # the archived listing
    general += _related(engine, options, live, changed)
    return Estimate(engine.object_type, live + stored_archived, general, search,
                    live=full_live, changed=changed, resumes_from=_committed(engine))


def _ends(live: int, options: SyncOptions, client: HubSpotClient) -> tuple[int, int]:
    """(records the list end reads, records the search end reads after the census's page)
    of a full read: both ends above HUBSPOT_TWO_ENDED_MIN_RECORDS, each at the pace of its
    budget (two_ended.py); the census's first page (200 records) is the search end's first.
    Below it, or --list-only: the list end reads them all."""
    above = options.two_ended_above
    if above is None or live <= above:
        return live, 0
    per_s_list = _general_per_10s(client)[0] / GENERAL_WINDOW_S * LIST_PAGE_MAX
    search_per_s = client.limits.search_per_s
    # Unpaced search (an emulator without limits): the ends are assumed to go at one pace
    # of requests, a search page holding twice a list page's records.
    per_s_search = search_per_s * SEARCH_PAGE_MAX if search_per_s else 2 * per_s_list
    share = per_s_search / (per_s_list + per_s_search)
    search_records = max(SEARCH_PAGE_MAX, round(live * share))
    return max(0, live - search_records), max(0, search_records - SEARCH_PAGE_MAX)


def _changed(engine, client: HubSpotClient, since: datetime | None) -> int:
    """Live records modified at or after `since` (one search total, as the run asks)."""
    if since is None:
        return 0
    window = {"propertyName": engine.modified_property, "operator": "GTE",
              "value": str(to_epoch_ms(since))}
    total, _ = client.search_total(engine.object_type, [window], ["hs_object_id"], limit=1)
    return total


def _related(engine, options: SyncOptions, live: int, changed: int) -> int:
    """Links (per linked type, 1,000 live records a request) and property history (50
    changed records a request), read in the same chunks of 1,000; none in a dry run."""
    if options.dry_run:
        return 0
    links = math.ceil(live / ASSOCIATION_BATCH_MAX) * len(engine.association_types)
    wanted = _history_wanted(engine, options)
    return links + (math.ceil(changed / HISTORY_BATCH_MAX) if wanted else 0)


def _history_wanted(engine, options: SyncOptions) -> bool:
    """Whether the run reads property history (`history_names`, without reading the
    definitions: a bare name is taken to be defined)."""
    if options.stage_history and engine.object_type in STAGE_HISTORY:
        return True
    return any(":" not in entry or entry.rpartition(":")[0] == engine.object_type
               for entry in options.history)


def plan_with_related(engine_class: type, options: SyncOptions, client: HubSpotClient,
                      counts: Counts) -> Estimate:
    """Lists and forms (engines/marketing.py): the probe, their listing (asked now, as the
    run asks it: what it says is the count) and what hangs off each definition the run
    reads again (the engine's `plan_reads`: a list's memberships by its size, a form's
    submissions); a resumed full read reads again only what the stopped one did not
    commit (`committed_before`)."""
    engine = engine_class(options, client=client)
    mode, since, _ = _mode_of(engine)
    engine.snapshot = dict(engine.stored())
    if engine.resumed is not None:  # the ids the stopped read committed
        for chunk in resume.seen_chunks(engine.resumed):
            engine.restored.add_all(chunk)
    before, counted = client.stats.snapshot(), counts.requests
    definitions, related = engine.plan_reads(mode, since, counts)
    # The listing the run asks too (what the plan asked beside it was only a count).
    listing = client.stats.since(before)["requests"] - (counts.requests - counted)
    return Estimate(engine.object_type, definitions, 1 + listing + related, 0,
                    live=definitions if mode is Mode.FULL else None,
                    resumes_from=_committed(engine))


def plan_listing(engine_class: type, options: SyncOptions, client: HubSpotClient,
                 counts: Counts) -> Estimate:
    """Definitions and marketing sources (engines/definitions.py, sources.py), by what the
    engine declares (`plan_*`): the probe of a source; then either the requests per other
    type's records (`plan_reads_per`: deal splits per 100 deals …), or its listings: an
    incremental read a page each (what changed since its watermark: rarely more), a full
    one the stored rows' pages (none stored: `plan_count()`, where the engine has a cheap
    count) plus the requests each item costs beyond its page."""
    from .engines.sources import ProbedFirst

    engine = engine_class(options, client=client)
    mode, _, _ = _mode_of(engine)
    probe = 1 if isinstance(engine, ProbedFirst) else 0
    if engine_class.plan_reads_per is not None:
        items, requests = _read_by_parent(engine, mode, counts)
    elif mode is not Mode.FULL:
        items, requests = 0, engine_class.plan_listings
    else:
        items = _stored_rows(engine_class) or engine.plan_count() or 0
        items = max(0, items - (_committed(engine) or 0))
        requests = (pages(items, engine_class.plan_page_size) + engine_class.plan_listings - 1
                    + items * engine_class.plan_requests_per_item)
    full = mode is Mode.FULL
    return Estimate(engine.object_type, items, probe + requests, 0,
                    live=items if full else None, changed=0 if full else items,
                    resumes_from=_committed(engine))


def _read_by_parent(engine, mode: Mode, counts: Counts) -> tuple[int, int]:
    """(the other type's records the run reads by, its requests for them): from that
    type's plan in this command (its live records on a full read, its changed ones on an
    incremental one), else, planned apart, the mirror's live rows of it (what the run reads
    on a full read; an incremental one reads those changed since: taken as none). A resumed
    read: the mirror's parents after its last committed one (engines/sources.py)."""
    from .engines.sources import ByParent

    engine_class, full = type(engine), mode is Mode.FULL
    left = engine.plan_parents_left() if isinstance(engine, ByParent) else None
    if left is not None:
        return left, math.ceil(left / engine_class.plan_reads_per[1])
    parent, per_request = (engine_class.plan_reads_per if full else
                           engine_class.plan_changed_per or engine_class.plan_reads_per)
    planned = counts.planned.get(parent)
    if planned is not None and (planned.live is not None or not full):
        items = planned.live if full else planned.changed
    else:
        items = _live_rows(parent) if full else 0
    return items, math.ceil(items / per_request)


def plan_properties(engine_class: type, options: SyncOptions) -> Estimate:
    """The property definitions (engines/properties.py): the custom object schemas, then
    live and archived definitions of every object type."""
    from . import catalog

    return Estimate(engine_class.object_type, _stored_rows(engine_class),
                    1 + 2 * len(catalog.OBJECT_TYPE_IDS), 0)


def _stored_rows(engine_class: type) -> int:
    model = getattr(engine_class, "model", None)
    return model.objects.count() if model is not None else 0


def _live_rows(object_type: str) -> int:
    """The mirror's live rows of a type (a record type's, or a source's)."""
    from ingestion.models import OBJECT_MODELS

    from .engines.registry import SOURCES_BY_NAME

    model = OBJECT_MODELS.get(object_type) or SOURCES_BY_NAME[object_type].model
    return model.objects.filter(archived=False).count()


def plan_type(engine_class: type, options: SyncOptions, client: HubSpotClient,
              counts: Counts, *, access_checked: bool = False) -> Estimate:
    """The estimate of one type's run, by the kind of its engine (kept in `counts` for the
    types read by its records)."""
    from .engines.base import HubSpotBaseSyncEngine
    from .engines.marketing import HubSpotMarketingSyncEngine
    from .engines.properties import HubSpotPropertySyncEngine

    if issubclass(engine_class, HubSpotBaseSyncEngine):
        estimate = plan_records(engine_class, options, client, counts,
                                access_checked=access_checked)
    elif issubclass(engine_class, HubSpotPropertySyncEngine):
        estimate = plan_properties(engine_class, options)
    elif issubclass(engine_class, HubSpotMarketingSyncEngine):
        estimate = plan_with_related(engine_class, options, client, counts)
    else:
        estimate = plan_listing(engine_class, options, client, counts)
    counts.planned[estimate.name] = estimate
    return estimate


@dataclass(frozen=True)
class Budget:
    """The account's limits as the client knows them once the counts were asked."""

    general_per_10s: int
    general_from: str  # "HUBSPOT_REQUESTS_PER_10S", "HubSpot's headers" or "assumed"
    search_per_s: int | None
    daily_limit: int | None  # from HubSpot's headers; None: not announced (OAuth)
    daily_remaining: int | None
    reserve_percent: float

    def seconds(self, general: int, search: int) -> int:
        general_s = general * GENERAL_WINDOW_S / self.general_per_10s
        search_s = search / self.search_per_s if self.search_per_s else 0.0
        return math.ceil(max(general_s, search_s))

    def share(self, requests: int) -> str:
        if not self.daily_limit:
            return "unknown"
        return f"{100 * requests / self.daily_limit:.2f}%"

    def allowance(self) -> int | None:
        """Requests left today above the reserve; None: not known."""
        if self.daily_limit is None or self.daily_remaining is None:
            return None
        return max(0, self.daily_remaining - reserve_requests(self.daily_limit,
                                                              self.reserve_percent))


def _general_per_10s(client: HubSpotClient) -> tuple[int, str]:
    if client.limits.general_per_10s:
        return client.limits.general_per_10s, "HUBSPOT_REQUESTS_PER_10S"
    pacer = getattr(client.budget, "general", None)  # LocalBudget: learnt from headers
    learnt = getattr(pacer, "max_requests", None)
    if learnt:
        return learnt, "HubSpot's headers"
    return LOWEST_PER_10S, "assumed (HubSpot's lowest)"


def budget_of(client: HubSpotClient) -> Budget:
    per_10s, source = _general_per_10s(client)
    daily_limit, remaining = client.budget.daily_state()
    return Budget(per_10s, source, client.limits.search_per_s or None, daily_limit, remaining,
                  client.limits.daily_reserve_percent)


def plan_lines(estimates: list[Estimate], budget: Budget) -> list[str]:
    """One line per type, then the total with where the limits came from."""
    lines = [_line(e.name, e.records, e.general, e.search, budget)
             + (f" resumes_from={e.resumes_from}" if e.resumes_from is not None else "")
             for e in estimates]
    general = sum(e.general for e in estimates)
    search = sum(e.search for e in estimates)
    total = _line("total", sum(e.records for e in estimates), general, search, budget)
    limit = budget.daily_limit if budget.daily_limit else "unknown"
    total += (f" per_10s={budget.general_per_10s} ({budget.general_from})"
              f" search_per_s={budget.search_per_s or 'unpaced'}"
              f" daily_limit={limit} (HubSpot's headers)")
    allowance = budget.allowance()
    if allowance is not None and general + search > allowance:
        total += (f" over_daily_allowance: {allowance} requests are left today above the "
                  f"{budget.reserve_percent:g}% reserve; the run would pause there")
    return [*lines, total]


def _line(name: str, records: int, general: int, search: int, budget: Budget) -> str:
    requests = general + search
    return (f"plan: {name} records={records} requests={requests} "
            f"seconds={budget.seconds(general, search)} daily_share={budget.share(requests)}")
