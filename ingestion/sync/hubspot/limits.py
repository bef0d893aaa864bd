"""HubSpot's limits, each named once, and the client's limits and retry policy (one object).

Module constants are what HubSpot imposes (the facts and their sources:
docs/hubspot-api.md#paging, #search, #batch-reads, #associations, #lists-and-forms,
#rate-limits; the emulator plays each: hubspot_emulator/BEHAVIOR.md); every other module
imports them from here.
`ClientLimits` is what an operator may tune (settings, built by
`connection.limits_from_settings`): one frozen value handed to the client and its budget.
"""

from __future__ import annotations

from dataclasses import dataclass

# -- pages and batches ---------------------------------------------------------------------
LIST_PAGE_MAX = 100  # a list endpoint answers at most 100 records a page (more: 400)
SEARCH_PAGE_MAX = 200  # a search page holds at most 200 records
SEARCH_RESULT_CAP = 10_000  # a search never pages past 10,000 results: we page by keyset
BATCH_READ_MAX = 100  # an object batch read takes at most 100 ids
HISTORY_BATCH_MAX = 50  # ... with propertiesWithHistory, at most 50
ASSOCIATION_BATCH_MAX = 1_000  # a v4 association batch read takes at most 1,000 ids
OWNERS_PAGE_MAX = 100  # owners are listed like records, 100 a page
LISTS_SEARCH_MAX = 500  # list search: "The max `count` is `500`" (SDK ListSearchRequest)
MEMBERSHIPS_PAGE_MAX = 250  # list memberships: "The maximum `limit` is 250"
FORMS_PAGE = 50  # forms: no documented maximum; 50 stays inside any
SUBMISSIONS_PAGE_MAX = 50  # form submissions: "supports a maximum of 50"
FLOWS_PAGE = 100  # workflows (v4 flows): the documented default page; no maximum documented
MARKETING_EMAILS_PAGE = 100  # marketing emails: the documented default; no maximum documented
CAMPAIGNS_PAGE_MAX = 100  # campaigns: `limit` "from 1 to 100"
MARKETING_EVENTS_PAGE_MAX = 100  # marketing events: "the max number is 100" (default 10)
PARTICIPATIONS_PAGE_MAX = 100  # one event's participations: the same
CAMPAIGN_ASSETS_PAGE_MAX = 100  # one campaign's assets of one type (*uncertain* maximum)
SUBSCRIPTION_TIMELINE_PAGE = 1000  # subscription timeline: what the peers send; none documented
SUBSCRIPTION_STATUSES_BATCH = 100  # statuses batch read: none documented; the CRM batch limit
SETTINGS_USERS_PAGE_MAX = 100  # settings users: "maximum 100 users per page"
EMAIL_EVENTS_PAGE = 1_000  # email events: "The maximum allowed value is 1000"
EMAIL_CAMPAIGNS_PAGE = 100  # email campaigns by id: no maximum documented; each id costs a
# details request, so a page is also how many details are held at once
CONVERSATIONS_PAGE = 100  # inboxes, channels, accounts, threads, messages: no maximum
# documented (*uncertain*); 100, HubSpot's usual list page
DEAL_SPLITS_BATCH = 100  # deal splits batch read: none documented (*uncertain*): the CRM one

# -- request sizes -------------------------------------------------------------------------
# A search body over 3,000 characters is refused (400): past it, search asks for the sort
# property only and reads the rest by id. Measured as UTF-8 bytes (never fewer).
SEARCH_BODY_MAX_BYTES = 3_000
# A long `properties` list in a URL gives 414 (the limit is not documented; the emulator's
# is 8,000): past this budget a listing asks for ids only and reads properties by id.
URL_BUDGET_CHARS = 6_000

# -- rate windows --------------------------------------------------------------------------
GENERAL_WINDOW_S = 10.0  # the general limit counts requests in a rolling ten seconds
SEARCH_WINDOW_S = 1.0  # search has its own limit, per second, and sends no rate headers


@dataclass(frozen=True)
class ClientLimits:
    """How the client paces, waits and retries (defaults and meanings: config/settings.py,
    except the last three, which are HubSpot's limits above, overridable for tests).

    `backoff_cap_s` caps our own exponential backoff between attempts; `longest_wait_s` is
    the longest single wait a run accepts from HubSpot (Retry-After) or from pacing, beyond
    which it stops (HubSpotWaitTooLongError)."""

    timeout_s: float  # per request (connecting: at most 10 s of it)
    max_attempts: int  # per request, the first included
    backoff_first_s: float  # the first backoff; doubles, with as much jitter
    longest_wait_s: float
    general_per_10s: int | None  # None: learnt from HubSpot's rate-limit headers
    search_per_s: int | None  # None or 0: search unpaced (an emulator without limits)
    daily_reserve_percent: float  # share of the daily limit left for other apps
    backoff_cap_s: float = 60.0
    url_budget_chars: int = URL_BUDGET_CHARS
    search_body_max_bytes: int = SEARCH_BODY_MAX_BYTES
