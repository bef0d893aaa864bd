"""Deal splits: the batch read (and the batch upsert that changes them) of the deal splits API.

HubSpot facts (docs/hubspot-api.md#deal-splits):
- `POST /crm/v3/objects/deals/splits/batch/read` (dated: `/deal-splits/2026-03/batch/read`)
  with `{inputs: [{id: <deal id>}]}` → `{status, results: [{id: <deal id>, splits: [{id,
  properties: {hubspot_owner_id, hs_deal_split_percentage, …}, createdAt, updatedAt,
  archived}]}], startedAt, completedAt}`; a deal with no splits answers `splits: []`.
- `POST …/batch/upsert` with `{inputs: [{id, splits: [{ownerId, percentage}]}]}` replaces a
  deal's splits; the percentages of a deal must add up to 1.0 (at most 8 decimal places).
- Scope `crm.dealsplits.read_write`; Sales Hub Enterprise with splits turned on.

Choices (BEHAVIOR.md): splits are seeded on every third of the first SEEDED_SCAN deals that is
live and has an owner: the deal's owner first (HubSpot requires it among the split owners),
then one or two other owners; a deal the portal does not have (or archived) → 207 with
OBJECT_NOT_FOUND; more than BATCH_MAX inputs → 400. Splits live beside the CRM store: the
`deal_splits` object type Airbyte lists stays empty.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from aiohttp import web

from .errors import batch_not_found, validation
from .handling import emulator, json_body, json_response
from .routes import DEAL_SPLITS, Access, serve
from .schemas import active_owner_ids
from .seeded import per_store
from .store import LIVE, Store, TypeState
from .timeutil import DAY_MS, iso_ms

SEEDED_SCAN = 120  # the first deals looked at when seeding (cheap in a big portal too)
SPLIT_ID_BASE = 500_000_000_000
BATCH_MAX = 100  # *choice*: HubSpot documents none; the CRM batch limit
SHARES = (("0.6", "0.4"), ("0.5", "0.3", "0.2"), ("0.75", "0.25"))


class Splits:
    """The portal's splits by deal index, and the next split id."""

    def __init__(self) -> None:
        self.by_deal: dict[int, list[dict]] = {}
        self.next_id = SPLIT_ID_BASE + 1

    def replace(self, deal_idx: int, owners_and_shares: list[tuple[str, str]], ms: int) -> None:
        splits = []
        for owner, share in owners_and_shares:
            split_id, self.next_id = str(self.next_id), self.next_id + 1
            splits.append({"id": split_id, "owner": owner, "share": share, "created": ms})
        self.by_deal[deal_idx] = splits


@per_store
def splits_of(store: Store) -> Splits:
    deals, owners, state = store.types["deals"], active_owner_ids(), Splits()
    for idx in range(1, min(deals.live.end(), SEEDED_SCAN), 3):
        owner = deals.live.value(idx, "hubspot_owner_id")
        if deals.live.status(idx) != LIVE or not owner:
            continue
        shares = SHARES[(idx // 3) % len(SHARES)]
        others = [o for o in owners if o != owner]
        chosen = [owner, *(others[(idx + k) % len(others)] for k in range(len(shares) - 1))]
        created = deals.live.created_ms(idx) + DAY_MS * (1 + idx % 9)
        state.replace(idx, list(zip(chosen, shares, strict=True)), created)
    return state


def _split_json(split: dict) -> dict:
    at = iso_ms(split["created"])
    return {"id": split["id"], "properties": {
        "hs_object_id": split["id"], "hubspot_owner_id": split["owner"],
        "hs_deal_split_percentage": split["share"], "hs_createdate": at,
        "hs_lastmodifieddate": at}, "createdAt": at, "updatedAt": at, "archived": False}


def _deal_inputs(body: dict, deals: TypeState) -> list[tuple[str, int | None]]:
    """(the deal id as asked, its index if the portal has it live)."""
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise validation("inputs is required: a list of {id}")
    if len(inputs) > BATCH_MAX:
        raise validation(f"Too many inputs: at most {BATCH_MAX} deals per request")
    out = []
    for item in inputs:
        asked = str(item.get("id", "")).strip()
        idx = deals.idx_of(asked)
        live = idx is not None and deals.live.status(idx) == LIVE
        out.append((asked, idx if live else None))
    return out


def _answer(results: list, missing: list[str], started: str, now_ms: int) -> web.Response:
    out = {"status": "COMPLETE", "results": results, "startedAt": started,
           "completedAt": iso_ms(now_ms)}
    if missing:
        out["numErrors"], out["errors"] = 1, [batch_not_found("DEAL", missing)]
        return json_response(out, 207)
    return json_response(out)


async def batch_read(request: web.Request) -> web.Response:
    emu = emulator(request)
    started, deals = iso_ms(emu.clock.now_ms()), emu.store.types["deals"]
    state = splits_of(emu.store)
    results, missing = [], []
    for asked, idx in _deal_inputs(await json_body(request), deals):
        if idx is None:
            missing.append(asked)
            continue
        splits = [_split_json(s) for s in state.by_deal.get(idx, [])]
        results.append({"id": deals.id_of(idx), "splits": splits})
    return _answer(results, missing, started, emu.clock.now_ms())


async def batch_upsert(request: web.Request) -> web.Response:
    emu = emulator(request)
    body, deals, now = await json_body(request), emu.store.types["deals"], emu.clock.now_ms()
    found = _deal_inputs(body, deals)  # checks the inputs' shape and number first
    wanted = list(zip(found, map(_owner_shares, body["inputs"]), strict=True))
    missing = [asked for asked, idx in found if idx is None]
    if missing:
        raise validation(f"Deals not found: {', '.join(missing)}")
    state, results = splits_of(emu.store), []
    for (_asked, idx), shares in wanted:
        state.replace(idx, shares, now)
        results.append({"id": deals.id_of(idx),
                        "splits": [_split_json(s) for s in state.by_deal[idx]]})
    return _answer(results, [], iso_ms(now), now)


def _owner_shares(item: dict) -> list[tuple[str, str]]:
    """A deal's new splits as (owner id, share), checked as HubSpot checks them."""
    splits = item.get("splits") if isinstance(item, dict) else None
    if not isinstance(splits, list) or not splits:
        raise validation("each input needs its splits: [{ownerId, percentage}]")
    owners, out = set(active_owner_ids()), []
    for split in splits:
        owner = str(split.get("ownerId", "")) if isinstance(split, dict) else ""
        if owner not in owners:
            raise validation(f"ownerId {owner or '(none)'} is not an active owner")
        out.append((owner, _share(split.get("percentage"))))
    if sum(Decimal(share) for _owner, share in out) != 1:
        raise validation("Deal split percentages must sum up to 1.0")
    return out


def _share(value: object) -> str:
    try:
        share = Decimal(str(value))
    except InvalidOperation:
        raise validation(f"percentage {value!r} is not a number") from None
    if not share.is_finite() or not 0 < share <= 1 or -share.as_tuple().exponent > 8:
        raise validation(f"percentage {value!r} must be in (0, 1] with at most 8 decimals")
    return format(share.normalize(), "f")


def add_routes(app: web.Application) -> None:
    access = Access("deal_splits")
    serve(app, "POST", DEAL_SPLITS, "/batch/read", batch_read, access)
    serve(app, "POST", DEAL_SPLITS, "/batch/upsert", batch_upsert,
          Access("deal_splits", write=True))
