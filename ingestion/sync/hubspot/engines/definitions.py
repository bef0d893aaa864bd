"""HubSpotDefinitionSyncEngine: the base of the small definition tables (owners, pipelines,
stages, properties, custom object schemas).

HubSpot has no modified-since query for these, so every run reads them in full
(`supports_incremental = False`); everything else — normal save vs force overwrite, dry
runs, counts, archiving what disappeared — is BaseSyncEngine's, unchanged. A subclass says
where the items come from (`items`) and which columns one item fills (`row`).

A full read that pages a listing through `listed` (owners, and most marketing sources:
engines/sources.py) resumes when it stops (ingestion/base/resume.py): each page carries the
read's position once it is saved (which listing, the cursor of its next page), and a resumed
read asks for that page first; the earlier attempts' seen ids are restored by
BaseSyncEngine, so the sweep archives exactly what no attempt read. A read by parent
resumes after its last committed parent (engines/sources.py `ByParent`); a read whose pages
are plain lists (one or two requests) starts over.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ingestion.base.results import Mode, RecordError, SyncOptions
from ingestion.base.sync_engine import BaseSyncEngine, ProgressCallback
from ingestion.base.writer import key_too_long

from ..client import HubSpotClient, ListedPage
from ..limits import LIST_PAGE_MAX
from ..replies import REPAIRED
from ..request_stats import CountsRequests
from ..timeparse import parse_hubspot_datetime
from ..transform import strict_bool

# A listed read's position (`listed`): which of its listings, and the cursor of the next page
# there (none: that listing from its start).
LISTING, NEXT_PAGE = "listing", "next_page"


class HubSpotDefinitionSyncEngine(CountsRequests, BaseSyncEngine):
    supports_incremental = False
    # Pages from `listed` carry their position; other pages freeze it (module doc).
    supports_resume = True
    # The item's fields that fill created_at and updated_at (the first one present; ISO 8601
    # or epoch ms): updated_at is what an incremental source's watermark follows.
    created_fields: tuple[str, ...] = ("createdAt",)
    updated_fields: tuple[str, ...] = ("updatedAt",)
    # What `--plan` needs to know of a run (plan.py `plan_listing`): the items a page of its
    # listing holds, the listings a run reads (live and archived ones: 2; one per object
    # type …), and the requests each item costs beyond its page (a campaign's assets …).
    plan_page_size = LIST_PAGE_MAX
    plan_listings = 1
    plan_requests_per_item = 0
    # Read by another type's records, not listed: (that type, its records a request), for a
    # full read and for an incremental one (None: the same). Counted from that type's plan
    # in the same command, else from the mirror's live rows of it.
    plan_reads_per: tuple[str, int] | None = None
    plan_changed_per: tuple[str, int] | None = None

    def plan_count(self) -> int | None:
        """HubSpot's count of the items, asked by `--plan` (cheaply: a request or two) only
        when the mirror holds none of them (a first run) and they cost requests each or are
        what another type is read by; None: not counted (the plan takes the stored rows)."""
        return None

    def __init__(self, options: SyncOptions | None = None, *, client: HubSpotClient,
                 on_progress: ProgressCallback | None = None):
        super().__init__(options, on_progress=on_progress)
        self.client = client  # the command's

    def items(self) -> Iterator[list]:
        """Pages of items (HubSpot JSON, or tuples carrying the JSON and its context)."""
        raise NotImplementedError

    def row(self, item) -> tuple[dict, dict]:
        """(the item's JSON, its model columns without the bookkeeping ones)."""
        raise NotImplementedError

    def listed(self, path: str, *listings: dict, **paging) -> Iterator[ListedPage]:
        """The pages of GET `path` with each of `listings` (its params: e.g. live, then
        archived) in turn, each page carrying the read's position once it is saved; a
        resumed read starts at its checkpoint's page. `paging`: get_pages' shape, cursor."""
        at = self.resumed.position if self.resumed else {}
        first = at.get(LISTING, 0)
        for number in range(first, len(listings)):
            start = at.get(NEXT_PAGE) if number == first else None
            pages = self.client.get_pages(path, listings[number], start=start, **paging)
            for page in pages:
                page.position = ({LISTING: number, NEXT_PAGE: page.after} if page.after
                                 else {LISTING: number + 1})
                yield page

    def fetch(self, mode: Mode, since: datetime | None) -> Iterator[list]:
        yield from self.items()  # whatever the mode: there is nothing to filter on

    def transform(self, item) -> tuple[dict, list[str]]:
        try:
            data, row = self.row(item)
            # Text repaired on the way in (replies.py: NUL removed …) is a warning by id.
            notes = list(data.get(REPAIRED) or ()) if isinstance(data, dict) else []
            if notes:
                data = {k: v for k, v in data.items() if k != REPAIRED}
            row.update(raw=data, created_at=_first_time(data, self.created_fields),
                       updated_at=_first_time(data, self.updated_fields),
                       archived=strict_bool(data.get("archived", False)),
                       archived_at=parse_hubspot_datetime(data.get("archivedAt")))
        except RecordError as error:  # row() said why: keep it (and its id, if it has one)
            raise RecordError(error.object_id or _key_of(item), error.reason) from None
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise RecordError(_key_of(item), f"unreadable {self.object_type} item: "
                                             f"{type(error).__name__}") from None
        too_long = key_too_long(row["id"])
        if too_long:  # the same on every database (writer.KEY_BYTES_MAX)
            raise RecordError(row["id"], f"unstorable {self.object_type} id: {too_long}")
        return row, notes


def _first_time(data: dict, fields: tuple[str, ...]):
    return parse_hubspot_datetime(next((data[f] for f in fields if data.get(f) is not None),
                                       None))


def _key_of(item) -> str:
    data = item[-1] if isinstance(item, tuple) else item
    key = data.get("id") or data.get("name") if isinstance(data, dict) else None
    return str(key or "")


def integer(value) -> int | None:
    return None if value is None or value == "" else int(value)


def text(value) -> str | None:
    return None if value is None else str(value)


def flag(value) -> bool | None:
    """A JSON boolean as it is; anything else (a string, a number) is no answer."""
    return value if isinstance(value, bool) else None
