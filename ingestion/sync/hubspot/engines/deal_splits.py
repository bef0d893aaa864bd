"""Deal splits: how each mirrored deal's credit is split between owners
(docs/hubspot-api.md#deal-splits).

HubSpot lists no deal splits: they are read by deal, `POST …/splits/batch/read` with up to
DEAL_SPLITS_BATCH deal ids, each answer `{id: <deal id>, splits: [{id, properties:
{hubspot_owner_id, hs_deal_split_percentage}, createdAt, updatedAt, archived}]}`. So every run
asks for the splits of every live deal in the mirror (run `sync_hubspot_deals` first), and is
a full read: a split HubSpot no longer reports for its deal (replaced, or its deal deleted) is
archived by the full read's sweep.

Why not incremental: HubSpot documents no signal of a split change: nothing says a split
written through the UI or the upsert API moves the deal's `hs_lastmodifieddate`, and splits
have no search. Reading only the deals changed since the last run could therefore miss a
change, so every run reads them all (one request per DEAL_SPLITS_BATCH deals), in deal id
order: a stopped full read resumes after the last batch of deals whose splits committed
(sources.py `ByParent`).

Portals without deal splits (below Sales Hub Enterprise, or splits turned off) and tokens
without the `crm.dealsplits.read_write` scope get 403: the type is skipped (no access).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from itertools import islice

from ingestion.base.results import Page, RecordError
from ingestion.models import OBJECT_MODELS, HubSpotDealSplit

from ..errors import HubSpotMalformedReplyError
from ..limits import DEAL_SPLITS_BATCH
from ..replies import Listing
from .definitions import text
from .sources import ByParent, HubSpotSourceSyncEngine

NO_DEAL = "0"  # what the probe asks for when the mirror holds no deal yet


class HubSpotDealSplitSyncEngine(ByParent, HubSpotSourceSyncEngine):
    object_type = "deal_splits"
    model = HubSpotDealSplit
    plan_reads_per = ("deals", DEAL_SPLITS_BATCH)  # every live deal, every run

    def probe(self) -> None:
        first = self.parent_rows().order_by("pk").values_list("pk", flat=True).first() \
            or NO_DEAL
        self.client.request("POST", self.client.paths.deal_splits_batch_read(),
                            json={"inputs": [{"id": str(first)}]})

    def pages(self, since: datetime | None) -> Iterator[Page]:
        ids = (self.parents_left(self.parent_rows()).order_by("pk")
               .values_list("pk", flat=True).iterator(chunk_size=5_000))
        chunks = iter(lambda: [str(i) for i in islice(ids, DEAL_SPLITS_BATCH)], [])
        # Each batch of deals is one parent, named by its last (highest) deal id.
        yield from self.walked((chunk[-1], [self._splits_of(chunk)]) for chunk in chunks)

    def _splits_of(self, deal_ids: list[str]) -> list:
        reply = self.client.request(
            "POST", self.client.paths.deal_splits_batch_read(),
            json={"inputs": [{"id": deal_id} for deal_id in deal_ids]}, check=_every_deal_read)
        # (deal id, split) pairs: a split names its deal only by where it is listed.
        return [(str(deal["id"]), split) for deal in reply.results for split in deal["splits"]]

    def parent_rows(self):
        return OBJECT_MODELS["deals"].objects.filter(archived=False)

    def row(self, item: tuple[str, dict]) -> tuple[dict, dict]:
        deal_id, split = item
        if not isinstance(split, dict) or not split.get("id"):
            raise RecordError("", f"a split of deal {deal_id} without an id")
        properties = split.get("properties")
        if not isinstance(properties, dict):
            raise RecordError(str(split["id"]), "a deal split without properties")
        # HubSpot's examples name the owner `hubspot_owner_id`; `hs_owner_id` is read too in
        # case a reply uses it (*uncertain*: docs/hubspot-api.md#deal-splits).
        owner = properties.get("hubspot_owner_id") or properties.get("hs_owner_id")
        return split, {"id": str(split["id"]), "deal_id": deal_id, "owner_id": text(owner),
                       "percentage": _share(split["id"], properties)}


def _share(split_id: object, properties: dict) -> Decimal | None:
    value = properties.get("hs_deal_split_percentage")
    if value is None or value == "":
        return None
    try:
        share = Decimal(str(value))
    except InvalidOperation:
        raise RecordError(str(split_id), "hs_deal_split_percentage is not a number") from None
    if not share.is_finite():
        raise RecordError(str(split_id), "hs_deal_split_percentage is not a number")
    return share


def _every_deal_read(reply: Listing) -> None:
    """Each answer must say which deal it is and list its splits: a deal answered without
    `splits` would read as "no splits" and have them archived by the sweep."""
    for deal in reply.results:
        if not (isinstance(deal, dict) and deal.get("id")
                and isinstance(deal.get("splits"), list)):
            raise HubSpotMalformedReplyError("a deal splits answer without its deal id or "
                                             "its list of splits")
