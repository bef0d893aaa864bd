"""One route table for both path families: every handler is registered once per family by
`serve`, under its legacy path(s) and under the date-versioned path
(docs/hubspot-api.md#dated-paths), e.g.

    serve(app, "GET", OBJECTS, "/{type}", list_objects, Access("objects"))

registers `GET /crm/v3/objects/{type}` and `GET /crm/objects/{version}/{type}` where
`{version}` only matches a served version (`2026-03`, `2026-09`); any other version segment
matches no route and answers like every unknown path. Handlers that must differ per family
(only the association `batch/archive` status) look at `dated(request)`.

Each registration also records what the route needs from the caller's token (`Access`):
the edge middleware checks the scopes before any handler runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

DATED_VERSIONS = ("2026-03", "2026-09")
VERSION = "{version:" + "|".join(DATED_VERSIONS) + "}"


@dataclass(frozen=True)
class Family:
    """Where one API lives: its legacy prefixes and its dated prefix (None: legacy only)."""

    legacy: tuple[str, ...]
    dated: str | None

    def paths(self, suffix: str) -> list[str]:
        out = [prefix + suffix for prefix in self.legacy]
        if self.dated is not None:
            out.append(self.dated + suffix)
        return out


# The table in docs/hubspot-api.md#dated-paths. `/crm/v4/objects/{t}/{id}/associations/...`
# moves under the dated objects API; the v3-style association `types` endpoint has no dated
# counterpart.
OBJECTS = Family(("/crm/v3/objects",), f"/crm/objects/{VERSION}")
OBJECT_ASSOCIATIONS = Family(("/crm/v4/objects",), f"/crm/objects/{VERSION}")
ASSOCIATIONS = Family(("/crm/v4/associations",), f"/crm/associations/{VERSION}")
ASSOCIATIONS_V3 = Family(("/crm/v3/associations",), None)
PROPERTIES = Family(("/crm/v3/properties",), f"/crm/properties/{VERSION}")
OWNERS = Family(("/crm/v3/owners",), f"/crm/owners/{VERSION}")
PIPELINES = Family(("/crm/v3/pipelines",), f"/crm/pipelines/{VERSION}")
SCHEMAS = Family(("/crm/v3/schemas", "/crm-object-schemas/v3/schemas"),
                 f"/crm-object-schemas/{VERSION}/schemas")
# OAuth: `/oauth/v1/...` (deprecated 2027-02-16) and the dated OAuth API
# (docs/hubspot-api.md#oauth).
OAUTH = Family(("/oauth/v1",), f"/oauth/{VERSION}")
OAUTH_V1 = Family(("/oauth/v1",), None)
OAUTH_DATED = Family((), f"/oauth/{VERSION}")
# Lists v3 → `/crm/lists/{v}/…`; forms v3 → `/marketing/forms/{v}` (HubSpot's reference). Form
# submissions exist only as the v1 form-integrations API: no dated path is documented.
LISTS = Family(("/crm/v3/lists",), f"/crm/lists/{VERSION}")
FORMS = Family(("/marketing/v3/forms",), f"/marketing/forms/{VERSION}")
FORM_SUBMISSIONS = Family(("/form-integrations/v1/submissions/forms",), None)
# Workflows: the automation v4 flows API (no dated version out of beta) and the v3 workflows
# API (docs/hubspot-api.md#workflows).
FLOWS = Family(("/automation/v4/flows",), None)
WORKFLOWS_V3 = Family(("/automation/v3/workflows",), None)
# Legacy forms v2 (a bare array of forms; singer-io tap-hubspot still reads it): no dated path.
FORMS_V2 = Family(("/forms/v2/forms",), None)
# Marketing emails and campaigns: `/marketing/v3/…` and `/marketing/{emails,campaigns}/{v}`
# (docs/hubspot-api.md#marketing-emails, #campaigns).
MARKETING_EMAILS = Family(("/marketing/v3/emails",), f"/marketing/emails/{VERSION}")
CAMPAIGNS = Family(("/marketing/v3/campaigns",), f"/marketing/campaigns/{VERSION}")
# Marketing events and their participations: `/marketing/v3/marketing-events/…` and
# `/marketing/marketing-events/{v}/…` (docs/hubspot-api.md#marketing-events).
MARKETING_EVENTS = Family(("/marketing/v3/marketing-events",),
                          f"/marketing/marketing-events/{VERSION}")
# Account information: `/account-info/v3/details` and `/account-info/{v}/details`.
ACCOUNT_INFO = Family(("/account-info/v3",), f"/account-info/{VERSION}")
# Communication preferences (docs/hubspot-api.md#subscriptions): v4 and the dated API share one
# shape; v3 (definitions in `subscriptionDefinitions`, one contact's statuses by email) has no
# dated twin, nor have the legacy `/email/public/v1/subscriptions` types and change timeline.
COMM_PREFS = Family(("/communication-preferences/v4",), f"/communication-preferences/{VERSION}")
COMM_PREFS_V3 = Family(("/communication-preferences/v3",), None)
EMAIL_SUBSCRIPTIONS_V1 = Family(("/email/public/v1/subscriptions",), None)
# The legacy email analytics API: no date-versioned twin (docs/hubspot-api.md#email-events).
EMAIL_EVENTS = Family(("/email/public/v1/events",), None)
EMAIL_CAMPAIGNS = Family(("/email/public/v1/campaigns",), None)
# The settings users API (users, teams, roles): `/settings/v3/users` and `/settings/users/{v}`
# (docs/hubspot-api.md#teams-and-roles).
SETTINGS_USERS = Family(("/settings/v3/users",), f"/settings/users/{VERSION}")
# The conversations inbox API: v3, and dated only as a beta (docs/hubspot-api.md#conversations).
CONVERSATIONS = Family(("/conversations/v3/conversations",),
                       "/conversations/conversations/2026-09-beta")
# Deal splits (docs/hubspot-api.md#deal-splits): the dated API lives outside `/crm/`.
DEAL_SPLITS = Family(("/crm/v3/objects/deals/splits",), f"/deal-splits/{VERSION}")
# The limits tracking API's record counts (docs/hubspot-api.md#record-counts).
LIMITS = Family(("/crm/v3/limits",), f"/crm/limits/{VERSION}")
# The webhooks journal (docs/hubspot-api.md#webhooks-journal): 2026-03 only, no legacy path.
JOURNAL_LOCAL = Family((), "/webhooks-journal/journal-local/2026-03")
JOURNAL_GLOBAL = Family((), "/webhooks-journal/journal/2026-03")
JOURNAL_SUBSCRIPTIONS = Family((), "/webhooks-journal/subscriptions/2026-03")
JOURNAL_SNAPSHOTS = Family((), "/webhooks-journal/snapshots/2026-03")


@dataclass(frozen=True)
class Access:
    """What a route needs. `kind`: objects | associations | properties | pipelines | owners |
    schemas | lists | forms | workflows | marketing_emails | campaigns | marketing_events |
    content (email events and campaigns) | conversations | communication_preferences |
    subscription_statuses_batch | email_v1 | settings_users (users, roles) | settings_teams |
    deal_splits | record_limits | journal | journal_subscriptions | journal_snapshots (the
    webhooks journal: app tokens only) | account (any valid token: HubSpot asks only for `oauth`,
    which every app has) | public (no bearer token: the OAuth token endpoints). `write`: a
    write scope.
    The object types come from the route's `{type}`/`{from}` and `{to}` segments."""

    kind: str
    write: bool = False


ROUTE_ACCESS = web.AppKey("route_access", dict)


def serve(app: web.Application, method: str, family: Family, suffix: str, handler,
          access: Access) -> None:
    """Register `handler` for `method` under every path of `family` (+ `suffix`)."""
    table = app[ROUTE_ACCESS]
    methods = ("HEAD", "GET") if method == "GET" else (method,)  # as `add_get` does
    for path in family.paths(suffix):
        for m in methods:
            table[app.router.add_route(m, path, handler)] = access


def access_of(request: web.Request) -> Access | None:
    """The matched route's `Access`; None for unknown paths (they answer 404 later)."""
    return request.app[ROUTE_ACCESS].get(request.match_info.route)


def dated(request: web.Request) -> bool:
    """Whether the request came in on a date-versioned path."""
    return "version" in request.match_info
