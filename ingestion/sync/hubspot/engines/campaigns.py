"""Marketing campaigns, read whole every run (HubSpot lists them with no modified-since
filter), each with its assets and its budget and spend (docs/hubspot-api.md#campaigns):

- the listing asks for the properties the typed columns need (`properties=`);
- per campaign, one `GET …/{guid}` answers its assets of every type; a type with more than
  that answer holds is read on through `…/assets/{type}` (`paging.next`);
- per campaign, `…/budget/totals` gives the budget and spend. A 403 (or 404) there leaves
  them NULL and is a warning on that campaign, not a failure: the campaign itself is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ingestion.base.results import RecordError
from ingestion.models import HubSpotCampaign

from ..errors import HubSpotClientError, HubSpotForbiddenError
from ..limits import CAMPAIGN_ASSETS_PAGE_MAX, CAMPAIGNS_PAGE_MAX
from ..replies import REPAIRED, Counted, Listing
from .sources import HubSpotSourceSyncEngine

PROPERTIES = ("hs_name", "hs_start_date", "hs_end_date", "hs_currency_code", "hs_notes",
              "hs_audience", "hs_campaign_status", "hs_utm", "hs_owner",
              "hs_budget_items_sum_amount", "hs_spend_items_sum_amount")


class OneCampaign(Listing):
    """`GET …/{guid}`: a campaign, not a listing; `assets` by type."""

    results: list[Any] = []
    assets: dict[str, Any] = {}


class BudgetTotals(Listing):
    results: list[Any] = []
    budgetItems: list[Any] = []
    spendItems: list[Any] = []
    currencyCode: str | None = None
    budgetTotal: float | None = None
    spendTotal: float | None = None
    remainingBudget: float | None = None


class HubSpotCampaignSyncEngine(HubSpotSourceSyncEngine):
    object_type = "campaigns"
    model = HubSpotCampaign
    plan_page_size = CAMPAIGNS_PAGE_MAX
    plan_requests_per_item = 2  # its assets, its budget

    def plan_count(self) -> int | None:
        return self.upstream_total()

    def probe(self) -> None:
        self.client.request("GET", self.client.paths.campaigns(), params={"limit": 1})

    def pages(self, since=None) -> Iterator[list]:
        params = {"limit": CAMPAIGNS_PAGE_MAX, "properties": ",".join(PROPERTIES)}
        for page in self.listed(self.client.paths.campaigns(), params):
            if page:
                yield page.carrying([self._with_extras(c) for c in page])

    def upstream_total(self) -> int | None:
        return self.client.request("GET", self.client.paths.campaigns(), params={"limit": 1},
                                   shape=Counted).total

    def _with_extras(self, campaign) -> tuple[dict | None, Any]:
        """(its assets and budget, the campaign); an entry that is not a campaign is left to
        `row` to report."""
        if not isinstance(campaign, dict) or not campaign.get("id"):
            return None, campaign
        guid = str(campaign["id"])
        return {"assets": self._assets(guid), **self._budget(guid)}, campaign

    def _assets(self, guid: str) -> dict[str, list[str]]:
        reply = self.client.request("GET", self.client.paths.campaign(guid), shape=OneCampaign)
        found: dict[str, list[str]] = {}
        for asset_type, group in reply.assets.items():
            ids = found.setdefault(str(asset_type), [])
            ids += _ids(group.get("results") if isinstance(group, dict) else None)
            after = _next_after(group)
            if after:
                ids += self._more_assets(guid, str(asset_type), after)
        return found

    def _more_assets(self, guid: str, asset_type: str, after: str) -> list[str]:
        params = {"limit": CAMPAIGN_ASSETS_PAGE_MAX, "after": after}
        path = self.client.paths.campaign_assets(guid, asset_type)
        return [i for page in self.client.get_pages(path, params) for i in _ids(page)]

    def _budget(self, guid: str) -> dict:
        try:
            reply = self.client.request("GET", self.client.paths.campaign_budget(guid),
                                        shape=BudgetTotals)
        except (HubSpotForbiddenError, HubSpotClientError) as error:
            if getattr(error, "status", None) not in (403, 404):
                raise
            return {"budget": None, "note": f"budget and spend not readable (HTTP "
                                            f"{error.status}): left empty"}
        return {"budget": {"budgetItems": reply.budgetItems, "spendItems": reply.spendItems,
                           "currencyCode": reply.currencyCode, "budgetTotal": reply.budgetTotal,
                           "spendTotal": reply.spendTotal,
                           "remainingBudget": reply.remainingBudget}}

    def row(self, item) -> tuple[dict, dict]:
        extras, campaign = item
        if extras is None:
            raise RecordError(str(campaign.get("id") or "") if isinstance(campaign, dict)
                              else "", "a campaign without an id")
        props = campaign.get("properties") or {}
        budget = extras["budget"] or {}
        data = {**campaign, REPAIRED: [extras["note"]]} if extras.get("note") else campaign
        return data, {
            "id": str(campaign["id"]), "name": props.get("hs_name"),
            "start_date": _date(props.get("hs_start_date")),
            "end_date": _date(props.get("hs_end_date")),
            "currency_code": budget.get("currencyCode") or props.get("hs_currency_code"),
            "budget_total": _money(budget.get("budgetTotal")),
            "spend_total": _money(budget.get("spendTotal")),
            "remaining_budget": _money(budget.get("remainingBudget")),
            "budget": extras["budget"], "assets": extras["assets"]}


def _ids(results) -> list[str]:
    return [str(a["id"]) for a in results or () if isinstance(a, dict) and a.get("id")]


def _next_after(group) -> str | None:
    paging = group.get("paging") if isinstance(group, dict) else None
    nxt = paging.get("next") if isinstance(paging, dict) else None
    after = nxt.get("after") if isinstance(nxt, dict) else None
    return str(after) if after else None


def _date(value) -> date | None:
    """`hs_start_date` is a day (`2026-03-01`); a datetime keeps its day."""
    return None if not value else date.fromisoformat(str(value)[:10])


def _money(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
