"""Link refresh: the association sets of stored live records, re-read without the records.

HubSpot does not move a record's modified time when only its associations change
(docs/hubspot-api.md#associations), so an incremental run, which reads records by modified
time, never sees a link added
or removed on its own. This job reads the links of every stored live record of a type (or of
the ids given, e.g. by webhook events), 1,000 records per v4 batch request and target type,
and makes each set exactly what HubSpot answered: stale links removed, new ones added. A set
whose read failed or was incomplete keeps its stored links (the record is counted `failed`).
Links of records archived here are removed: HubSpot keeps no live links for them.

A refresh of every stored live record that stops (a kill, a lost worker, HubSpot
unreachable) resumes on the next one (ingestion/base/resume.py, the checkpoint named
`LINKS_CHECKPOINT`): after the highest primary key of its last committed chunk, which the
chunk's own transaction wrote. The checkpoint rules are the syncs' (HUBSPOT_RESUME_MAX_AGE_HOURS,
`CHECKPOINT_VERSION`); no ids are kept, for a refresh sweeps nothing. A run given ids, or a
dry run, neither resumes nor leaves a checkpoint.

Threads: one `hubspot-fetch` thread (base/prefetch.py) pages through the local ids (keyset
on the primary key) and reads the next chunk's links while the main thread writes the current
chunk's.

Progress (jobs.py): records whose links were stored so far, of the stored live records
counted when the run starts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import transaction
from django.utils import timezone

from ingestion.base import history, resume
from ingestion.base.backends import backend
from ingestion.base.chunks import chunked
from ingestion.base.prefetch import Producer, produced
from ingestion.base.results import Mode, RecordFailure, SyncOptions, SyncResult
from ingestion.base.runner import interrupts_held
from ingestion.models import HubSpotAssociation

from .associations import LinkChanges, RecordLinks, read_links, replace_associations
from .client import HubSpotClient
from .jobs import RecordedJob
from .limits import ASSOCIATION_BATCH_MAX

COUNTS = ("read", "added", "removed", "unchanged", "failed", "records")
log = logging.getLogger("ingestion.sync")
CHUNKS_AHEAD = 1  # chunks read and waiting while the one before is stored
ReadLinks = dict[str, RecordLinks]  # by record id: its links by target type, or why unread
AFTER = "after_pk"  # the position: the highest primary key of the last committed chunk


def checkpoint_name(object_type: str) -> str:
    """The link refresh's checkpoint (a type's own sync has the one named by the type)."""
    return f"{object_type}:links"


class LinkRefresh(RecordedJob):
    """One type's link refresh as a recorded run (`sync_history` mode `links`): of every
    stored live record, or of the ids given."""

    mode = Mode.LINKS
    details = COUNTS

    def __init__(self, engine_class: type, options: SyncOptions | None = None, *,
                 client: HubSpotClient, ids: list[str] | None = None, on_progress=None):
        super().__init__(engine_class, options, client=client, on_progress=on_progress)
        self.ids, self.targets = ids, engine_class.association_types
        self.checkpoint = checkpoint_name(self.engine.object_type)
        self.resumed: resume.Resumed | None = None
        self._started = None  # the refresh's (first attempt's) start

    def run(self) -> SyncResult:
        self._load_checkpoint()
        result = super().run()  # raises if the refresh stopped: the checkpoint stays
        if self._resumable():
            resume.discard(self.checkpoint)  # the refresh went through: nothing to resume
        return result

    def _resumable(self) -> bool:
        return self.ids is None and not self.options.dry_run and bool(self.targets)

    def _load_checkpoint(self) -> None:
        if not self._resumable():
            return
        self.resumed, discarded = resume.load(
            self.checkpoint, max_age=self.options.resume_max_age, force_overwrite=False,
            related=True)
        resume.note(self.result, self.resumed, discarded)

    def work(self, run_row) -> None:
        if not self.targets:
            return
        if self._resumable() and run_row is not None:
            if self.resumed is None:
                resume.discard(self.checkpoint)  # a stale one, or one a --since run left
            else:
                log.warning("%s link refresh: %s", self.engine.object_type,
                            self.resumed.describe())
        self._started = self.resumed.started_at if self.resumed else timezone.now()
        self._refresh(run_row)

    def _refresh(self, run_row) -> None:
        self.expected = (len(set(self.ids)) if self.ids is not None
                         else self.engine.scope().filter(archived=False).count())
        reads = Producer("hubspot-fetch", self._read_chunks())
        with produced(reads, depth=CHUNKS_AHEAD) as chunks:
            for ids, links, position in chunks:
                self._store(ids, links, run_row, position)
        if self.ids is None and not self.options.dry_run:
            self.result.details["removed"] += self._clear_archived()
        details = self.result.details
        if not self.options.dry_run and (details["added"] + details["removed"]
                                         >= self.engine.STATISTICS_AFTER_ROWS):
            backend().refresh_statistics([HubSpotAssociation._meta.db_table])

    def _read_chunks(self) -> Iterator[tuple[list[str], ReadLinks, dict | None]]:
        """(ids, their links, the position once stored) a chunk at a time: the fetch stage,
        in its own thread."""
        for ids, position in self._id_chunks():
            links = read_links(self.client, self.engine.object_type, self.targets, ids)
            yield ids, links, position

    def _id_chunks(self) -> Iterator[tuple[list[str], dict | None]]:
        """HubSpot ids, a v4 request's worth at a time, with the position after them: those
        given (no position), or every stored live record's (keyset paging: the table may
        hold millions), after a resumed refresh's last committed chunk."""
        if self.ids is not None:
            for chunk in chunked(list(dict.fromkeys(self.ids)), ASSOCIATION_BATCH_MAX):
                yield chunk, None
            return
        rows = self.engine.scope().filter(archived=False).order_by("pk")
        column = self.engine.source_id_column
        last = self.resumed.position.get(AFTER) if self.resumed else None
        while True:
            page = rows.filter(pk__gt=last) if last is not None else rows
            chunk = list(page.values_list("pk", column)[:ASSOCIATION_BATCH_MAX])
            if not chunk:
                return
            last = chunk[-1][0]
            yield [source_id for _, source_id in chunk], {AFTER: last}

    def _store(self, ids: list[str], links: ReadLinks, run_row,
               position: dict | None = None) -> None:
        wanted, failures = {}, []
        for object_id in ids:
            for to_type, found in links.get(object_id, {}).items():
                if isinstance(found, str):
                    failures.append(RecordFailure(self.engine.local_id(object_id), found))
                    break
                wanted[(object_id, to_type)] = found
        failed_ids = {f.object_id for f in failures}
        wanted = {key: found for key, found in wanted.items()
                  if self.engine.local_id(key[0]) not in failed_ids}
        with interrupts_held():  # what committed is counted, even if a signal comes now
            changes = self._apply(wanted, position, len(ids))
            details = self.result.details
            details["records"] += len(ids)
            details["read"] += sum(map(len, wanted.values()))
            details["failed"] += len(failures)
            self.result.counts.failed += len(failures)
            for name in LinkChanges._fields:
                details[name] += getattr(changes, name)
            history.record_failures(run_row, self.engine.object_type, failures)
        self.result.failures.extend(failures)
        self.committed(len(ids), self.expected)  # of the stored live ids (or those given)

    def _apply(self, wanted: dict, position: dict | None, records: int) -> LinkChanges:
        if self.options.dry_run:
            with transaction.atomic():  # what it would change, then nothing kept
                changes = replace_associations(self.engine.object_type, wanted)
                transaction.set_rollback(True)
            return changes
        if position is None or not self._resumable():
            return replace_associations(self.engine.object_type, wanted)
        # The chunk's links and the refresh's checkpoint commit together (resume.py).
        with transaction.atomic():
            changes = replace_associations(self.engine.object_type, wanted)
            resume.save_batch(self.checkpoint, resume.BatchMark(position, (), records),
                              started_at=self._started, force_overwrite=False, related=True,
                              history_id=self.result.history_id)
        return changes

    def _clear_archived(self) -> int:
        """Outgoing links of records archived here (swept, merged, deleted): none upstream."""
        archived = self.engine.scope().filter(archived=True).values(self.engine.source_id_column)
        deleted, _ = HubSpotAssociation.objects.filter(
            from_object_type=self.engine.object_type, from_id__in=archived).delete()
        return deleted


def refresh_links(engine_class: type, client: HubSpotClient, ids: list[str] | None = None, *,
                  dry_run: bool = False) -> SyncResult:
    """Re-read and replace the association sets of these records of the type (HubSpot ids),
    or of every stored live one; a recorded run. Raises SyncAlreadyRunning like a sync."""
    return LinkRefresh(engine_class, SyncOptions(dry_run=dry_run), client=client, ids=ids).run()

