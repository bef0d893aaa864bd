"""Marketing emails (with their statistics) and marketing campaigns (with their assets and
budget), in both path families, plus the control operations that add or change them.

HubSpot facts (docs/hubspot-api.md#marketing-emails, #campaigns):
- `GET /marketing/v3/emails` (dated `/marketing/emails/2026-03`) `?limit&after&archived&
  includeStats&createdAfter&createdBefore&updatedAfter&updatedBefore&sort&type&isPublished`
  → `{total, results, paging.next.{after, link}}`; `limit` default 100; `archived=true`
  lists only archived emails; `includeStats=true` adds each email's `stats` (`counters`,
  `ratios`, `deviceBreakdown`, `qualifierStats`).
- `GET …/statistics/list?startTimestamp&endTimestamp&emailIds` → `{aggregate, campaignAggregations,
  emails}`: ONE aggregate over the emails asked for that were sent in the span (by campaign
  too), not one entry per email.
- `GET /marketing/v3/campaigns` (dated `/marketing/campaigns/2026-03`) `?limit&after&sort&name&
  properties` → `{total, results: [{id, properties, createdAt, updatedAt, businessUnits}],
  paging}`; `limit` 1-100, default 50; sort `hs_name` (default), `createdAt`, `updatedAt`, a
  leading `-` for descending.
- `GET …/{campaignGuid}` → the campaign with `assets` by asset type; `…/assets/{assetType}
  ?after&limit` → `{results: [{id, name}], paging}`; `…/budget/totals` → `{budgetItems,
  spendItems, currencyCode, budgetTotal, spendTotal, remainingBudget}`.
- Scopes: emails and their statistics one of `content`, `marketing-email`,
  `transactional-email`; campaigns (budget included) `marketing.campaigns.read`.

Choices (BEHAVIOR.md): emails are listed in `sort` order (default createdAt, then id) and
the `after` cursor is the base64 of an offset, as HubSpot's examples show (`MjA=` is "20");
`limit` above 1,000 is a 400; an undocumented `offset` parameter is ignored; drafts have
zero counters; a campaign's properties are those asked for in `properties=` (none: `{}`);
a campaign's assets in `GET …/{guid}` show the first 10 of each type with `paging.next`
when there are more; the v1 `/marketing-emails/v1/emails/with-statistics` (retired
2025-10-01) is not served: it answers 404 like any unknown path.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from aiohttp import web

from .errors import ApiError, validation
from .forms import forms_of
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
from .routes import CAMPAIGNS, MARKETING_EMAILS, Access, serve
from .seeded import per_store
from .state import Emulator
from .store import Store
from .timeutil import DAY_MS, FIXED_EPOCH_MS, iso_ms, parse_time_ms

EMAILS_DEFAULT, EMAILS_MAX = 100, 1000
CAMPAIGNS_DEFAULT, CAMPAIGNS_MAX = 50, 100
ASSETS_DEFAULT, ASSETS_MAX, ASSETS_INLINE = 10, 100, 10
COUNTERS = ("sent", "delivered", "open", "click", "bounce", "hardbounced", "softbounced",
            "unsubscribed", "spamreport", "dropped", "selected", "notsent", "pending",
            "suppressed", "contactslost")
ASSET_TYPES = ("AD_CAMPAIGN", "BLOG_POST", "CALL", "CASE_STUDY", "CTA", "CUSTOM_EVENT",
               "EXTERNAL_WEB_URL", "FEEDBACK_SURVEY", "FORM", "KNOWLEDGE_ARTICLE",
               "LANDING_PAGE", "MARKETING_EMAIL", "MARKETING_EVENT", "MARKETING_SMS",
               "MEETING_EVENT", "OBJECT_LIST", "PODCAST_EPISODE", "SALES_DOCUMENT",
               "SEQUENCE", "SITE_PAGE", "SOCIAL_BROADCAST", "WEB_INTERACTIVE", "WORKFLOW")
EMAIL_SORTS = {"createdAt", "updatedAt", "name", "createdBy", "updatedBy"}
CAMPAIGN_SORTS = {"hs_name", "createdAt", "updatedAt"}


@dataclass
class MarketingEmail:
    email_id: str
    name: str
    subject: str
    email_type: str
    state: str
    campaign: str | None
    created_ms: int
    updated_ms: int
    published_ms: int | None
    counters: dict[str, int]
    archived_ms: int | None = None

    def json(self, stats: bool) -> dict:
        out = {"id": self.email_id, "name": self.name, "subject": self.subject,
               "type": self.email_type, "state": self.state,
               "isPublished": self.published_ms is not None, "isTransactional": False,
               "language": "en", "subcategory": "batch", "activeDomain": "",
               "createdAt": iso_ms(self.created_ms), "updatedAt": iso_ms(self.updated_ms),
               "archived": self.archived_ms is not None,
               "from": {"fromName": "Marketing", "replyTo": "marketing@example.com"},
               "to": {"contactIlsLists": {"include": [], "exclude": []}}}
        if self.campaign:
            out["campaign"] = self.campaign
        if self.published_ms is not None:
            out["publishedAt"] = out["publishDate"] = iso_ms(self.published_ms)
        if self.archived_ms is not None:
            out["deletedAt"] = iso_ms(self.archived_ms)
        if stats:
            out["stats"] = statistics_json(self.counters)
        return out


@dataclass
class Campaign:
    guid: str
    name: str
    created_ms: int
    updated_ms: int
    start_date: str | None
    end_date: str | None
    budget: list[dict] = field(default_factory=list)
    spend: list[dict] = field(default_factory=list)
    assets: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def properties(self) -> dict:
        budget = sum(b["amount"] for b in self.budget)
        spend = sum(s["amount"] for s in self.spend)
        return {"hs_name": self.name, "hs_start_date": self.start_date,
                "hs_end_date": self.end_date, "hs_currency_code": "USD",
                "hs_campaign_status": "in_progress", "hs_notes": None,
                "hs_audience": None, "hs_utm": self.name.lower().replace(" ", "_"),
                "hs_budget_items_sum_amount": str(budget) if self.budget else None,
                "hs_spend_items_sum_amount": str(spend) if self.spend else None,
                "hs_created_by_user_id": "1", "hs_object_id": self.guid}

    def json(self, wanted: list[str]) -> dict:
        props = self.properties()
        return {"id": self.guid, "properties": {k: props.get(k) for k in wanted},
                "createdAt": iso_ms(self.created_ms), "updatedAt": iso_ms(self.updated_ms),
                "businessUnits": [{"id": 0}]}

    def budget_json(self) -> dict:
        budget = sum(b["amount"] for b in self.budget)
        spend = sum(s["amount"] for s in self.spend)
        return {"budgetItems": self.budget, "spendItems": self.spend, "currencyCode": "USD",
                "budgetTotal": budget, "spendTotal": spend, "remainingBudget": budget - spend}


@dataclass
class MarketingState:
    emails: dict[str, MarketingEmail] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


@per_store
def marketing_of(store: Store) -> MarketingState:
    """The portal's marketing emails and campaigns, seeded on first use."""
    return _seed(store)


def statistics_json(counters: dict[str, int]) -> dict:
    sent, delivered = counters.get("sent", 0), counters.get("delivered", 0)
    return {"counters": dict(counters),
            "ratios": {"deliveredratio": ratio(delivered, sent),
                       "openratio": ratio(counters.get("open", 0), delivered),
                       "clickratio": ratio(counters.get("click", 0), delivered),
                       "bounceratio": ratio(counters.get("bounce", 0), sent),
                       "unsubscribedratio": ratio(counters.get("unsubscribed", 0), delivered),
                       "spamreportratio": ratio(counters.get("spamreport", 0), delivered)},
            "deviceBreakdown": {"open_device_type": {"computer": counters.get("open", 0),
                                                     "mobile": 0, "unknown": 0},
                                "click_device_type": {"computer": counters.get("click", 0),
                                                      "mobile": 0, "unknown": 0}},
            "qualifierStats": {}}


def ratio(part: int, whole: int) -> float:
    return round(100 * part / whole, 3) if whole else 0


# -- seeding ---------------------------------------------------------------------------------

# (name, start day offset, days long, budget items, spend items)
_CAMPAIGNS = (("Spring launch", -120, 60, (5000, 2500), (3100,)),
              ("Summer webinar series", -60, 90, (8000,), (1200, 900)),
              ("Customer newsletter", -400, None, (), ()),
              ("Black Friday", -20, 10, (12000,), ()))
EMAILS_SEEDED = 14  # k % 7 == 5 drafts, the last two archived


def _seed(store: Store) -> MarketingState:
    state = MarketingState(rng=random.Random(store.seed * 104_729 + 31))
    for k, (name, start, days, budget, spend) in enumerate(_CAMPAIGNS):
        created = FIXED_EPOCH_MS + (start - 30) * DAY_MS
        campaign = Campaign(state.guid(), name, created, created + DAY_MS,
                            _day(start), None if days is None else _day(start + days))
        campaign.budget = [_item(state, f"Budget {i + 1}", a, i, created)
                           for i, a in enumerate(budget)]
        campaign.spend = [_item(state, f"Spend {i + 1}", a, i, created)
                          for i, a in enumerate(spend)]
        state.campaigns[campaign.guid] = campaign
        if k < 2:  # the forms these campaigns used
            form = list(forms_of(store).forms.values())[k]
            campaign.assets["FORM"] = [(form.form_id, form.name)]
    guids = list(state.campaigns)
    for k in range(EMAILS_SEEDED):
        _seed_email(state, k, guids[k % len(guids)] if k % 5 != 4 else None)
    return state


def _seed_email(state: MarketingState, k: int, campaign: str | None) -> None:
    created = FIXED_EPOCH_MS - (300 - 20 * k) * DAY_MS
    draft = k % 7 == 5
    sent = 0 if draft else 200 + state.rng.randrange(800)
    archived = FIXED_EPOCH_MS - 10 * DAY_MS if k >= EMAILS_SEEDED - 2 else None
    # Archiving an email is a change: its updatedAt is the archive time (*choice*).
    updated = archived or created + (k % 4) * DAY_MS
    email = MarketingEmail(str(100_000_000 + k), f"Email {k + 1}", f"News number {k + 1}",
                           "BATCH_EMAIL" if k % 3 else "AUTOMATED_EMAIL",
                           "DRAFT" if draft else "PUBLISHED", campaign, created, updated,
                           None if draft else created + DAY_MS, _counters(state.rng, sent),
                           archived)
    state.emails[email.email_id] = email
    if campaign:
        state.campaigns[campaign].assets.setdefault("MARKETING_EMAIL", []).append(
            (email.email_id, email.name))


def _counters(rng: random.Random, sent: int) -> dict[str, int]:
    bounced = sent // 50
    delivered = sent - bounced
    opened = delivered * rng.randrange(20, 60) // 100
    out = dict.fromkeys(COUNTERS, 0)
    out.update(sent=sent, selected=sent, delivered=delivered, open=opened,
               click=opened * rng.randrange(5, 30) // 100, bounce=bounced,
               hardbounced=bounced // 2, softbounced=bounced - bounced // 2,
               unsubscribed=delivered // 200, spamreport=delivered // 1000)
    return out


def _day(offset: int) -> str:
    return iso_ms(FIXED_EPOCH_MS + offset * DAY_MS)[:10]


def _item(state: MarketingState, name: str, amount: int, order: int, at: int) -> dict:
    return {"id": state.guid(), "name": name, "amount": amount, "order": order,
            "description": "", "createdAt": at, "updatedAt": at}


# -- paging helpers --------------------------------------------------------------------------



def _page(request: web.Request, rows: list, limit: int, render) -> dict:
    start = cursor_offset(request.query.get("after"))
    out: dict = {"total": len(rows), "results": [render(r) for r in rows[start:start + limit]]}
    if start + limit < len(rows):
        after = offset_cursor(start + limit)
        out["paging"] = {"next": {"after": after, "link": next_link(request, after)}}
    return out


def _limit(request: web.Request, default: int, most: int) -> int:
    limit = int_param(request.query.get("limit"), "limit", default)
    if not 1 <= limit <= most:
        raise validation(f"limit must be between 1 and {most}")
    return limit


def _time(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    ms = parse_time_ms(raw)
    if ms is None:
        raise validation(f"Invalid value for {name}: {raw}")
    return ms


def _sort_key(sort: str, allowed: set[str], default: str) -> tuple[str, bool]:
    name = (sort or default).strip()
    descending = name.startswith("-")
    name = name.lstrip("-")
    if name not in allowed:
        raise validation(f"Invalid sort: {sort}; allowed {sorted(allowed)}")
    return name, descending


# -- marketing emails ------------------------------------------------------------------------

_EMAIL_ORDER = {"createdAt": lambda e: (e.created_ms, e.email_id),
                "updatedAt": lambda e: (e.updated_ms, e.email_id),
                "name": lambda e: (e.name, e.email_id),
                "createdBy": lambda e: e.email_id, "updatedBy": lambda e: e.email_id}


def _email_filter(request: web.Request):
    q = request.query
    bounds = {name: _time(request, name) for name in
              ("createdAfter", "createdBefore", "updatedAfter", "updatedBefore")}
    archived, kinds = flag(q.get("archived")), set(multi(q, "type"))
    published = q.get("isPublished")

    def keep(e: MarketingEmail) -> bool:
        checks = ((bounds["createdAfter"], e.created_ms, 1), (bounds["createdBefore"],
                  e.created_ms, -1), (bounds["updatedAfter"], e.updated_ms, 1),
                  (bounds["updatedBefore"], e.updated_ms, -1))
        if any(b is not None and (v - b) * sign <= 0 for b, v, sign in checks):
            return False
        if published is not None and (e.published_ms is not None) != flag(published):
            return False
        return (e.archived_ms is not None) == archived and (not kinds or e.email_type in kinds)
    return keep


async def list_emails(request: web.Request) -> web.Response:
    limit = _limit(request, EMAILS_DEFAULT, EMAILS_MAX)
    name, descending = _sort_key(",".join(multi(request.query, "sort")), EMAIL_SORTS,
                                 "createdAt")
    keep = _email_filter(request)
    rows = sorted((e for e in marketing_of(emulator(request).store).emails.values() if keep(e)),
                  key=_EMAIL_ORDER[name], reverse=descending)
    stats = flag(request.query.get("includeStats"))
    return json_response(_page(request, rows, limit, lambda e: e.json(stats)))


async def get_email(request: web.Request) -> web.Response:
    emails = marketing_of(emulator(request).store).emails
    email = emails.get(request.match_info["emailId"])
    archived = flag(request.query.get("archived"))
    if email is None or (email.archived_ms is not None and not archived):
        raise ApiError(404, f"Email {request.match_info['emailId']} does not exist",
                       "OBJECT_NOT_FOUND")
    return json_response(email.json(flag(request.query.get("includeStats"))))


async def email_statistics(request: web.Request) -> web.Response:
    """One aggregate over the emails named (all of them without `emailIds`) that were
    published in the span, plus one aggregate per campaign."""
    start, end = _time(request, "startTimestamp"), _time(request, "endTimestamp")
    wanted = set(multi(request.query, "emailIds"))
    sent = [e for e in marketing_of(emulator(request).store).emails.values()
            if e.published_ms is not None and (not wanted or e.email_id in wanted)
            and (start is None or e.published_ms >= start)
            and (end is None or e.published_ms <= end)]
    by_campaign: dict[str, list[MarketingEmail]] = {}
    for email in sent:
        if email.campaign:
            by_campaign.setdefault(email.campaign, []).append(email)
    return json_response({"aggregate": statistics_json(_sum(sent)),
                          "campaignAggregations": {g: statistics_json(_sum(es))
                                                   for g, es in by_campaign.items()},
                          "emails": [int(e.email_id) for e in sent]})


def _sum(emails: list[MarketingEmail]) -> dict[str, int]:
    out = dict.fromkeys(COUNTERS, 0)
    for email in emails:
        for key, value in email.counters.items():
            out[key] = out.get(key, 0) + value
    return out


# -- campaigns -------------------------------------------------------------------------------

_CAMPAIGN_ORDER = {"hs_name": lambda c: (c.name.lower(), c.guid),
                   "createdAt": lambda c: (c.created_ms, c.guid),
                   "updatedAt": lambda c: (c.updated_ms, c.guid)}


async def list_campaigns(request: web.Request) -> web.Response:
    limit = _limit(request, CAMPAIGNS_DEFAULT, CAMPAIGNS_MAX)
    name, descending = _sort_key(request.query.get("sort", ""), CAMPAIGN_SORTS, "hs_name")
    needle = (request.query.get("name") or "").lower()
    rows = sorted((c for c in marketing_of(emulator(request).store).campaigns.values()
                   if needle in c.name.lower()), key=_CAMPAIGN_ORDER[name], reverse=descending)
    wanted = multi(request.query, "properties")
    return json_response(_page(request, rows, limit, lambda c: c.json(wanted)))


def _campaign(request: web.Request) -> Campaign:
    guid = request.match_info["campaignGuid"]
    campaign = marketing_of(emulator(request).store).campaigns.get(guid)
    if campaign is None:
        raise ApiError(404, f"Campaign {guid} does not exist", "OBJECT_NOT_FOUND")
    return campaign


async def get_campaign(request: web.Request) -> web.Response:
    campaign = _campaign(request)
    out = campaign.json(multi(request.query, "properties"))
    out["assets"] = {}
    for kind, assets in campaign.assets.items():
        one: dict = {"results": [_asset(a) for a in assets[:ASSETS_INLINE]]}
        if len(assets) > ASSETS_INLINE:
            after = offset_cursor(ASSETS_INLINE)
            base = f"{request.scheme}://{request.host}{request.path}/assets/{kind}"
            one["paging"] = {"next": {"after": after, "link": f"{base}?after={after}"}}
        out["assets"][kind] = one
    return json_response(out)


def _asset(asset: tuple[str, str]) -> dict:
    return {"id": asset[0], "name": asset[1]}


async def list_assets(request: web.Request) -> web.Response:
    campaign = _campaign(request)
    kind = request.match_info["assetType"]
    if kind not in ASSET_TYPES:
        raise validation(f"Invalid assetType: {kind}; allowed {list(ASSET_TYPES)}")
    limit = _limit(request, ASSETS_DEFAULT, ASSETS_MAX)
    out = _page(request, campaign.assets.get(kind, []), limit, _asset)
    out.pop("total")  # the assets reply has no total
    return json_response(out)


async def budget_totals(request: web.Request) -> web.Response:
    return json_response(_campaign(request).budget_json())


# -- control operations (/_emulator/marketing/…) -----------------------------------------------

async def control_email(emu: Emulator, request: web.Request) -> dict:
    """Create or change a marketing email: `{id?, name, subject, campaign, archived (bool),
    counters {name: n}, state}`; its `updatedAt` becomes the emulated clock's now."""
    body = await json_body(request)
    state, now = marketing_of(emu.store), emu.clock.now_ms()
    email_id = str(body.get("id") or 100_000_000 + len(state.emails))
    email = state.emails.get(email_id) or MarketingEmail(
        email_id, "New email", "New subject", "BATCH_EMAIL", "PUBLISHED", None, now, now,
        now, dict.fromkeys(COUNTERS, 0))
    _apply_email(state, email, body, now)
    state.emails[email_id] = email
    return email.json(True)


def _apply_email(state: MarketingState, email: MarketingEmail, body: dict, now: int) -> None:
    for key, attr in (("name", "name"), ("subject", "subject"), ("state", "state")):
        if key in body:
            setattr(email, attr, str(body[key]))
    if "campaign" in body:
        guid = body["campaign"]
        if guid is not None and guid not in state.campaigns:
            raise ValueError(f"no campaign {guid}")
        email.campaign = guid
        if guid is not None:
            state.campaigns[guid].assets.setdefault("MARKETING_EMAIL", []).append(
                (email.email_id, email.name))
    counters = body.get("counters") or {}
    if not isinstance(counters, dict):
        raise ValueError("counters must be an object of integers")
    email.counters.update({str(k): int(v) for k, v in counters.items()})
    if "archived" in body:
        email.archived_ms = now if body["archived"] else None
    email.updated_ms = now


async def control_campaign(emu: Emulator, request: web.Request) -> dict:
    """Create or change a campaign: `{id?, name, budget: [amounts], spend: [amounts]}`; its
    `updatedAt` becomes the emulated clock's now. `{id, delete: true}` deletes it (HubSpot
    keeps no archived campaigns: it is gone from every answer)."""
    body = await json_body(request)
    state, now = marketing_of(emu.store), emu.clock.now_ms()
    guid = str(body.get("id") or state.guid())
    if body.get("delete"):
        if state.campaigns.pop(guid, None) is None:
            raise ValueError(f"no campaign {guid}")
        return {"id": guid, "deleted": True}
    campaign = state.campaigns.get(guid) or Campaign(guid, "New campaign", now, now, None, None)
    if "name" in body:
        campaign.name = str(body["name"])
    for key in ("budget", "spend"):
        if key in body:
            amounts = [int(a) for a in body[key] or []]
            setattr(campaign, key, [_item(state, f"{key} {i + 1}", a, i, now)
                                    for i, a in enumerate(amounts)])
    campaign.updated_ms = now
    state.campaigns[guid] = campaign
    return {**campaign.json(["hs_name"]), "budget": campaign.budget_json()}


def add_routes(app: web.Application) -> None:
    emails, campaigns = Access("marketing_emails"), Access("campaigns")
    serve(app, "GET", MARKETING_EMAILS, "", list_emails, emails)
    serve(app, "GET", MARKETING_EMAILS, "/", list_emails, emails)  # the SDK's spelling
    serve(app, "GET", MARKETING_EMAILS, "/statistics/list", email_statistics, emails)
    serve(app, "GET", MARKETING_EMAILS, "/{emailId}", get_email, emails)
    serve(app, "GET", CAMPAIGNS, "", list_campaigns, campaigns)
    serve(app, "GET", CAMPAIGNS, "/", list_campaigns, campaigns)
    serve(app, "GET", CAMPAIGNS, "/{campaignGuid}", get_campaign, campaigns)
    serve(app, "GET", CAMPAIGNS, "/{campaignGuid}/assets/{assetType}", list_assets, campaigns)
    serve(app, "GET", CAMPAIGNS, "/{campaignGuid}/budget/totals", budget_totals, campaigns)
    app.router.add_post("/_emulator/marketing/emails", control_handler(control_email))
    app.router.add_post("/_emulator/marketing/campaigns", control_handler(control_campaign))
