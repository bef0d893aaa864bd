"""HubSpotSourceSyncEngine: the base of the marketing sources that are neither CRM records
nor lists and forms (marketing emails, campaigns, email events, subscriptions, workflows).

A source is items read by pages from one HubSpot API into one table. A subclass says where the
pages come from (`pages`), what one item fills (`row`), which of its fields are its times
(`created_fields`, `updated_fields`) and whether HubSpot can list it from a time on
(`supports_incremental`: `pages` is then given the earliest time to read). Everything else is
the base engines': the modes and their flags, force overwrite per batch, dry runs, counts,
the watermark (the newest `updated_at` saved), the sweep of what a full read no longer saw, a
bad item failing alone by its id. A source that pages its listing through `listed`
(engines/definitions.py) resumes a stopped full read at the page after its last committed
one; a source read by the mirror's own rows (`ByParent`: deal splits, conversation messages,
event participations, subscription statuses) after the last parent whose reads committed;
the others start over (docs/operations.md#resuming-a-stopped-full-read).

Most of these APIs need a Marketing Hub tier or a scope the app may lack, and HubSpot then
answers 403 (docs/hubspot-api.md#errors): `probe` asks once before the run is recorded, so
`sync_hubspot_all` skips the source as it skips a CRM type it has no access to.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from django.db.models import QuerySet

from ingestion.base.results import Mode, Page
from ingestion.base.writer import BatchPlan, BatchWriter

from ..errors import HubSpotError, HubSpotForbiddenError
from .definitions import HubSpotDefinitionSyncEngine


class ProbedFirst:
    """An engine that asks HubSpot once for access before its run is recorded."""

    def probe(self) -> None:
        """One cheap request to the type's API (a 403 says the app lacks its scope or tier)."""
        raise NotImplementedError

    def run(self, *, within=None):
        # A 403 refuses the type before a run is recorded (sync_hubspot_all skips it, and no
        # failed run is left behind). Other errors are left to the run, which meets them
        # again and records them. The run counts the probe among its requests (as a record
        # type's access check): it is a request the run made.
        if self.counting_since is None:
            self.counting_since = self.source_counters()
        try:
            self.probe()
        except HubSpotForbiddenError:
            raise
        except HubSpotError:
            pass
        return super().run(within=within)


class SameContentWriter(BatchWriter):
    """For items HubSpot gives no modified time (teams, roles, users, conversation channels
    and channel accounts): the normal save cannot tell an unchanged one by its time and would
    rewrite them all, every run. An item whose JSON and archived state equal the stored
    row's is unchanged; a changed one is replaced, never left stale. A force overwrite still
    replaces every one."""

    def plan(self, rows: list[dict], **kwargs) -> BatchPlan:
        batch = super().plan(rows, **kwargs)
        candidates = {key["id"]: key for key in batch.replace
                      if "transformed" in key and key["id"] not in batch.repeat_ids}
        if self.force_overwrite or not candidates:
            return batch
        stored = self.model.objects.filter(pk__in=list(candidates)).values_list(
            "pk", "raw", "archived")
        same = {pk for pk, raw, archived in stored
                if raw == candidates[pk]["transformed"][0]["raw"]
                and archived == bool(candidates[pk]["archived"])}
        batch.replace = [key for key in batch.replace if key["id"] not in same]
        batch.unchanged_ids += sorted(same)
        return batch


# A read by parent's position (`ByParent`): the key of the last parent whose reads are
# committed, and how many parents (or inputs) could not be read so far, earlier attempts'
# included (a read that left one unread sweeps nothing, resumed or not).
AFTER_KEY, UNREAD = "after_key", "unread"


class ByParent:
    """A source HubSpot lists only per parent, so read by walking the mirror's own rows of
    another type (deals, threads, events, contacts) in primary key order: a read (or pages)
    per parent, or per batch of them.

    A stopped full read resumes (ingestion/base/resume.py) after the last parent whose reads
    are committed: each parent's last page carries `{after_key, unread}`, its earlier pages
    the position before it (a batch that ends inside a parent leaves it to be read again on
    resume, as repeats). `parents_left` narrows the parents to those past that key, compared
    by the database that sorted them (its collation, not Python's). The earlier attempts'
    seen ids are restored by BaseSyncEngine, so the sweep archives exactly what no attempt
    read; `unread` is restored here, so `read_check` still refuses the sweep when an earlier
    attempt could not read a parent."""

    def prepare(self) -> None:
        super().prepare()
        at = self.resumed.position if self.resumed else {}
        self.unread = int(at.get(UNREAD) or 0)  # counted by the fetch stage from here on

    def parent_rows(self) -> QuerySet:
        """The mirror's rows a full read walks (in any order: the walk sorts them)."""
        raise NotImplementedError

    def parents_left(self, parents: QuerySet) -> QuerySet:
        """`parents` (ordered by primary key) after the last one a resumed read committed."""
        last = self.resumed.position.get(AFTER_KEY) if self.resumed else None
        return parents if last is None else parents.filter(pk__gt=last)

    def plan_parents_left(self) -> int | None:
        """For `--plan`: the parents a resumed read has still to walk (None: not resumed)."""
        if self.resumed is None or AFTER_KEY not in self.resumed.position:
            return None
        return self.parents_left(self.parent_rows()).count()

    def walked(self, parents: Iterable[tuple[object, Iterable[list]]]) -> Iterator[Page]:
        """The pages of each `(parent key, its pages)` in turn (read lazily), each carrying
        the read's position once it is saved."""
        done = dict(self.resumed.position) if self.resumed else {}
        for key, pages in parents:
            held: tuple = ()
            for page in pages:
                if held:
                    yield Page(held, position=done)
                held = tuple(page)
            done = {AFTER_KEY: str(key), UNREAD: self.unread}
            yield Page(held, position=done)  # possibly empty: it still moves the position


class HubSpotSourceSyncEngine(ProbedFirst, HubSpotDefinitionSyncEngine):
    supports_incremental = False

    def pages(self, since: datetime | None) -> Iterator[list]:
        """Pages of items, read lazily; `since`: only those at or after it (None: all)."""
        raise NotImplementedError

    def upstream_total(self) -> int | None:
        """HubSpot's count of the live items, where an endpoint gives one (verify_hubspot
        compares the mirror with it); None: HubSpot gives no count."""
        return None

    def fetch(self, mode: Mode, since: datetime | None) -> Iterator[list]:
        yield from self.pages(since if self.supports_incremental else None)
