"""Marketing emails, live and archived, each with its statistics
(docs/hubspot-api.md#marketing-emails):

- both listings are read (`archived=false`, then `archived=true`: HubSpot lists archived
  emails apart), with `includeStats=true`, which puts each email's aggregate counters in the
  same page: one request per page of emails, statistics included;
- incremental runs ask for `updatedAfter` the watermark minus the lookback (HubSpot filters
  on it: "strictly after");
- HubSpot's statistics endpoint (`…/statistics/list`) is not read: it answers one aggregate
  over the emails asked for, never one per email, so per-email counters from it would cost
  one request per email.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from ingestion.base.results import RecordError
from ingestion.models import HubSpotMarketingEmail

from ..limits import MARKETING_EMAILS_PAGE
from ..replies import Counted
from ..timeparse import parse_hubspot_datetime
from .definitions import text
from .sources import HubSpotSourceSyncEngine

# Typed column ← HubSpot's counter name (docs/hubspot-api.md#marketing-emails).
COUNTER_COLUMNS = {"sent": "sent", "delivered": "delivered", "opens": "open", "clicks": "click",
                   "bounces": "bounce", "hard_bounces": "hardbounced",
                   "soft_bounces": "softbounced", "unsubscribes": "unsubscribed",
                   "spam_reports": "spamreport", "dropped": "dropped"}


class HubSpotMarketingEmailSyncEngine(HubSpotSourceSyncEngine):
    object_type = "marketing_emails"
    model = HubSpotMarketingEmail
    plan_page_size = MARKETING_EMAILS_PAGE
    plan_listings = 2  # live, then archived
    supports_incremental = True

    def probe(self) -> None:
        self.client.request("GET", self.client.paths.marketing_emails(), params={"limit": 1})

    def pages(self, since: datetime | None) -> Iterator[list]:
        params: dict = {"limit": MARKETING_EMAILS_PAGE, "includeStats": "true"}
        if since is not None:
            params["updatedAfter"] = _iso(since)
        yield from filter(None, self.listed(
            self.client.paths.marketing_emails(),
            *({**params, "archived": archived} for archived in ("false", "true"))))

    def upstream_total(self) -> int | None:
        reply = self.client.request("GET", self.client.paths.marketing_emails(),
                                    params={"limit": 1}, shape=Counted)
        return reply.total

    def row(self, email: dict) -> tuple[dict, dict]:
        if not email.get("id"):
            raise RecordError("", "a marketing email without an id")
        stats = email.get("stats")
        counters = _counters(str(email["id"]), stats)
        return email, {
            "id": str(email["id"]), "name": email.get("name"), "subject": email.get("subject"),
            "type": email.get("type"), "state": email.get("state"),
            "campaign": text(email.get("campaign")) or None,  # "" names no campaign
            "published_at": parse_hubspot_datetime(email.get("publishedAt")
                                                   or email.get("publishDate")),
            "statistics": stats, **counters}

    def transform(self, item) -> tuple[dict, list[str]]:
        row, notes = super().transform(item)
        if row["archived"] and row["archived_at"] is None:
            # Marketing emails say when they were archived in `deletedAt`.
            row["archived_at"] = parse_hubspot_datetime(row["raw"].get("deletedAt"))
        return row, notes


def _counters(email_id: str, stats) -> dict:
    """The typed counter columns (all NULL when HubSpot gave no statistics); a counter that
    is not a whole number makes the email unreadable (it fails alone)."""
    if stats is None:
        return dict.fromkeys(COUNTER_COLUMNS)
    counters = stats.get("counters") if isinstance(stats, dict) else None
    if not isinstance(counters, dict):
        raise RecordError(email_id, "unreadable marketing email: `stats.counters` is not an "
                                    "object")
    out = {}
    for column, name in COUNTER_COLUMNS.items():
        value = counters.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise RecordError(email_id, f"unreadable marketing email: counter {name!r} is "
                                        f"not a whole number")
        out[column] = value
    return out


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
