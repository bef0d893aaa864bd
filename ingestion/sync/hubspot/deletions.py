"""Deletion detection without re-reading records: ids only.

Hard and GDPR deletions vanish from every HubSpot listing
(docs/hubspot-api.md#deletions-and-merges), and a restore from the recycle bin need not move the
modified time, so neither reaches an incremental run (which reads records by modified time). This
job lists only ids (`properties=hs_object_id`, about 1/50 of a full read's bytes; the same number of
list requests) from the live and the archived listings, then, in the database:

- a local live row whose id is in neither listing, a local live row archived upstream, and a
  local archived row that is live again upstream (restored) are re-read by id (batch read,
  100 per request, live then archived) through the normal save path, inside this run: each is
  stored exactly as HubSpot has it (archivedAt, values); an id answered nowhere is archived
  as `vanished` (its personal data purged too with HUBSPOT_PURGE_VANISHED), one answered by
  the record that absorbed it as `merged` into that record.

Progress (jobs.py): ids listed so far, of the rows stored (live and archived) when the run
starts: the listings are the long part.

Nothing is decided on a partial listing: a failed read fails the run before any row changes.
"""

from __future__ import annotations

from ingestion.base.bulk_sql import live_ids, unseen_ids
from ingestion.base.chunks import IDS_PER_STATEMENT, chunked
from ingestion.base.results import Mode, SyncOptions
from ingestion.base.seen import SeenIds

from .jobs import RecordedJob

IDS_ONLY = ["hs_object_id"]


class DeletionCheck(RecordedJob):
    """One type's deletion detection as a recorded run (`sync_history` mode `deletions`)."""

    mode = Mode.DELETIONS
    details = ("live", "archived_upstream", "vanished", "archived", "restored", "failed")

    def work(self, run_row) -> None:
        self.expected = self.engine.scope().count()  # what both listings should list
        live, archived = self._listed(archived=False), self._listed(archived=True)
        details = self.result.details
        details["live"], details["archived_upstream"] = len(live), len(archived)
        listed = SeenIds()
        listed.add_all(list(live))
        listed.add_all(list(archived))
        # Candidates only: a record restored or binned between the two listings is in
        # neither, so each is confirmed by a batch read before anything is archived.
        unlisted = unseen_ids(self.engine.scope(), listed)
        archived_here = live_ids(self.engine.scope(), archived)  # live here, binned there
        restored = self._archived_here(live)  # archived here, live there
        details.update(vanished=len(unlisted), archived=len(archived_here),
                       restored=len(restored))
        if self.options.dry_run:
            self.result.counts.archived = len(unlisted) + len(archived_here)
            return
        source_ids = ([self.engine.source_id(i) for i in unlisted]
                      + [archived[i] for i in archived_here] + [live[i] for i in restored])
        if source_ids:
            self._reread(source_ids, run_row)
            vanished = self.engine.scope().filter(deleted_kind="vanished")
            details["vanished"] = sum(vanished.filter(pk__in=chunk).count()
                                      for chunk in chunked(unlisted, IDS_PER_STATEMENT))

    def _listed(self, *, archived: bool) -> dict[str, str]:
        """Local id → HubSpot id of every record in one listing, ids only."""
        listed = {}
        for page in self.client.list_pages(self.engine.object_type, IDS_ONLY,
                                           archived=archived):
            for record in page:
                if isinstance(record, dict) and record.get("id"):
                    listed[self.engine.local_id(str(record["id"]))] = str(record["id"])
            self.committed(len(page), self.expected)
        return listed

    def _archived_here(self, live: dict[str, str]) -> list[str]:
        stored = self.engine.scope().filter(archived=True).values_list("pk", flat=True)
        return [object_id for object_id in stored.iterator(chunk_size=5_000)
                if object_id in live]

    def _reread(self, source_ids: list[str], run_row) -> None:
        """Through the normal save path, in this run (its row holds the type's lock)."""
        options = SyncOptions(ids=tuple(source_ids), batch_size=self.options.batch_size,
                              related=self.options.related,
                              purge_vanished=self.options.purge_vanished)
        reread = self.engine_class(options, client=self.client).run(within=run_row)
        counts = self.result.counts
        counts.fetched += reread.counts.fetched
        counts.updated += reread.counts.updated
        counts.archived += reread.counts.archived
        counts.failed += reread.counts.failed
        self.result.failures.extend(reread.failures)
        self.result.details["failed"] = reread.counts.failed
