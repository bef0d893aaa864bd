"""The base of the lists and forms engines: definitions read whole every run (HubSpot has no
modified-since query for them), each with what hangs off it (a list's memberships, a form's
submissions) read in the fetch stage and written in `after_batch`, like a record's links.

Unlike the other definitions these runs are incremental: the definitions are still all read
(so a deleted one is seen), but what hangs off them is read only where it can have changed.
`prepare()` takes, in the main thread, what is stored of each definition; the fetch stage
compares HubSpot's answer with that snapshot and never touches the database.

A full or first run that stops resumes (ingestion/base/resume.py): the definitions are read
whole again (a few requests), but what hangs off a definition of a batch that committed in
an earlier attempt (its id is among the checkpoint's seen ids, which that batch's transaction
wrote with its related rows) is read only as an incremental run would read it. The position
is that set of ids; the pages carry a constant marker (`RESUME_POSITION`) so that each
committed batch moves the checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from ingestion.base.results import Mode
from ingestion.models import SyncError

from .definitions import HubSpotDefinitionSyncEngine
from .sources import ProbedFirst

log = logging.getLogger("ingestion.sync")
REPAIRS_KEPT_PER_BATCH = 100  # warning rows a batch stores; the rest are only logged
# What a page's position says: the read goes on by definition id (the checkpoint's ids).
RESUME_POSITION = {"related_of": "definitions not committed"}


class HubSpotMarketingSyncEngine(ProbedFirst, HubSpotDefinitionSyncEngine):
    supports_incremental = True
    has_related = True
    supports_resume = True

    def stored(self) -> Mapping[str, object]:
        """What is stored of each definition that the fetch stage compares with, by id."""
        raise NotImplementedError

    def prepare(self) -> None:
        self.snapshot = dict(self.stored())

    def reads_everything(self, mode: Mode) -> bool:
        """Whether this run reads what hangs off every definition it reads: a full run (the
        first one too), a run by id (asked for because it changed), or a force overwrite,
        which replaces it all."""
        return mode in (Mode.FULL, Mode.IDS) or self.options.force_overwrite

    def committed_before(self, definition_id: str) -> bool:
        """Whether an earlier attempt of this resumed read committed the definition with what
        hangs off it: read again only as an incremental run would."""
        return self.resumed is not None and definition_id in self.restored

    def reads_related(self) -> bool:
        # A dry run writes nothing, and --skip-associations skips what hangs off records.
        return self.options.related and not self.options.dry_run

    def since_for(self, mode: Mode, since: datetime | None) -> datetime | None:
        """--since DATE: what changed at or after DATE is read again too."""
        return since if mode is Mode.SINCE else None

    def record_repairs(self, related: Mapping[str, object]) -> None:
        """Text repaired in what hangs off a definition (a NUL removed from a submission's
        values or a member's id: replies.py), stored as warnings under the definition's id
        the way a record's repairs are, on either database alike."""
        notes = [(key, note) for key, read in related.items()
                 for note in getattr(read, "repaired", ())]
        for key, note in notes:
            log.warning("%s %s: %s", self.object_type, key, note)
        history_id = self.result.history_id if self.result else None
        if notes and history_id:
            SyncError.objects.bulk_create(
                SyncError(history_id=history_id, object_type=self.object_type, object_id=key,
                          reason=note, severity=SyncError.Severity.WARNING)
                for key, note in notes[:REPAIRS_KEPT_PER_BATCH])
