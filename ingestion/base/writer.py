"""Saving one batch: classify each row against the local copy, then write it atomically.

Normal save   new rows are created; an existing row is replaced (every synced column) when
              the source's modified time is newer or its archived state changed; otherwise
              it is skipped as unchanged.
Force         every existing row of the batch is deleted and recreated from the payload,
              whatever the timestamps say (the seed's delete-and-recreate).

Both run inside one transaction per batch. If the bulk statement fails the transaction
rolls back (so a row is never left deleted), and the batch is retried one row at a time,
each in its own savepoint; rows that still fail are returned as failures.

Ids the source says were absorbed into others (HubSpot merges) are archived in the same
transaction (`deleted_kind` merged, `merged_into` the survivor) and counted as archived.

Repeats (ids this run has already read, e.g. a record changed while the run read it) are
written like the rest but counted nowhere: an id counts once per run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from django.db import DatabaseError, models, transaction

from .bulk_sql import BulkSQL, mark_deleted, relax_commit_durability
from .results import RecordFailure, SyncCounts

T = TypeVar("T")
# The longest key (an id, or one part of a composite key) stored, in UTF-8 bytes, on every
# database alike: PostgreSQL's btree indexes hold at most 2,704 bytes an entry (two such
# parts fit), SQLite has no limit, and a mirror must not depend on which one it is.
KEY_BYTES_MAX = 1_000


def key_too_long(key: str) -> str | None:
    """Why `key` cannot be stored as a key (None: it can)."""
    size = len(key.encode("utf-8", "surrogatepass"))
    return f"key of {size} bytes (at most {KEY_BYTES_MAX} are stored)" \
        if size > KEY_BYTES_MAX else None


@dataclass
class BatchPlan:
    create: list[dict] = field(default_factory=list)
    replace: list[dict] = field(default_factory=list)  # updated, or overwritten when forced
    unchanged_ids: list[str] = field(default_factory=list)
    newly_archived_ids: set[str] = field(default_factory=set)
    repeat_ids: set[str] = field(default_factory=set)  # read before in this run: not counted
    absorbed_ids: list[str] = field(default_factory=list)  # live here, merged away upstream
    absorbed_into: dict[str, str] = field(default_factory=dict)  # absorbed id -> survivor


class BatchWriter:
    def __init__(self, model: type[models.Model], *, force_overwrite: bool):
        self.model = model
        self.force_overwrite = force_overwrite
        self.sql = BulkSQL(model)
        # What planning reads of each local row (definitions have no deletion facts).
        self._plan_fields = ["updated_at", "archived"] + (
            ["deleted_kind"] if any(f.name == "deleted_kind" for f in model._meta.fields)
            else [])

    def plan(self, rows: list[dict], *, repeat_ids: set[str] = frozenset(),
             absorbed_into: dict[str, str] | None = None) -> BatchPlan:
        """One query: which rows are new, which replace a local row, which are unchanged;
        which absorbed ids (by survivor) are live here. Only `id`, `updated_at` and
        `archived` are read."""
        absorbed_into = absorbed_into or {}
        absorbed = sorted(set(absorbed_into) - {r["id"] for r in rows}) if absorbed_into else []
        local, erased = {}, set()
        for pk, updated_at, archived, *deleted_kind in self.sql.select_by_ids(
                [r["id"] for r in rows] + absorbed, self._plan_fields):
            local[pk] = (updated_at, archived)
            if deleted_kind == [ERASED]:
                erased.add(pk)
        batch = BatchPlan(repeat_ids=set(repeat_ids),
                          absorbed_ids=[i for i in absorbed if i in local and not local[i][1]])
        batch.absorbed_into = {i: absorbed_into[i] for i in batch.absorbed_ids}
        for row in rows:
            known = local.get(row["id"])
            if row["id"] in erased:
                # Privacy deletion is permanent upstream: any copy read is from before it
                # (a run that read the record just before), so even a force overwrite must
                # not bring the personal data back.
                batch.unchanged_ids.append(row["id"])
                continue
            if known is None and row["id"] in repeat_ids:
                # Its first copy may still be in flight (not yet committed): write this one
                # as a replacement, which is right whether or not that copy is stored yet.
                batch.replace.append(row)
            elif known is None:
                batch.create.append(row)
            elif self.force_overwrite or (
                    supersedes(row, {"updated_at": known[0], "archived": known[1]})
                    if row["id"] in repeat_ids else _changed(row, *known)):
                batch.replace.append(row)
            else:
                batch.unchanged_ids.append(row["id"])
                continue
            if row.get("archived") and not (known and known[1]):
                batch.newly_archived_ids.add(row["id"])
        return batch

    def counts(self, batch: BatchPlan, failed_ids: set[str] = frozenset()) -> SyncCounts:
        uncounted = failed_ids | batch.repeat_ids
        ok = [r for r in batch.replace if r["id"] not in uncounted]
        return SyncCounts(
            created=sum(1 for r in batch.create if r["id"] not in uncounted),
            updated=0 if self.force_overwrite else len(ok),
            overwritten=len(ok) if self.force_overwrite else 0,
            skipped=(sum(1 for i in batch.unchanged_ids if i not in batch.repeat_ids)
                     if batch.repeat_ids else len(batch.unchanged_ids)),
            archived=len(batch.newly_archived_ids - failed_ids) + len(batch.absorbed_ids),
        )

    def write(self, batch: BatchPlan, synced_at: datetime) -> list[RecordFailure]:
        """Write the batch atomically; fall back to one row at a time if the bulk path fails."""
        if not (batch.create or batch.replace or batch.absorbed_ids):
            return []  # an unchanged batch: no transaction at all
        try:
            with transaction.atomic():
                relax_commit_durability()
                self._write_bulk(batch, synced_at)
                self._archive_absorbed(batch, synced_at)
            return []
        except DatabaseError:
            with transaction.atomic():
                relax_commit_durability()
                failures = self._write_one_by_one(batch, synced_at)
                self._archive_absorbed(batch, synced_at)
                return failures

    def _archive_absorbed(self, batch: BatchPlan, synced_at: datetime) -> None:
        by_survivor: dict[str, list[str]] = {}
        for absorbed, survivor in batch.absorbed_into.items():
            by_survivor.setdefault(survivor, []).append(absorbed)
        for survivor, ids in by_survivor.items():
            mark_deleted(self.model, ids, "merged", synced_at, merged_into=survivor)

    def _write_bulk(self, batch: BatchPlan, synced_at: datetime) -> None:
        stamp = {"synced_at": synced_at}
        if self.force_overwrite:
            # Delete-and-recreate: no stale value can survive. Nothing cascades, because
            # association rows hold HubSpot ids, not foreign keys (docs/data-model.md).
            self.sql.delete([r["id"] for r in batch.replace])
            self.sql.insert(batch.create + batch.replace, upsert=False, same=stamp)
        else:
            self.sql.insert(batch.create, upsert=False, same=stamp)
            self.sql.insert(batch.replace, upsert=True, same=stamp)

    def _write_one_by_one(self, batch: BatchPlan, synced_at: datetime) -> list[RecordFailure]:
        failures = []
        for row in batch.create + batch.replace:
            try:
                # A savepoint: a failure keeps the old row. Written as a replacement even if
                # planned as new: it may have been written since (read twice in one run, or
                # by another process); an upsert or delete-and-insert is right either way.
                with transaction.atomic():
                    self._write_bulk(BatchPlan(replace=[row]), synced_at)
            except DatabaseError as error:
                failures.append(RecordFailure(row["id"], describe_db_error(error)))
        return failures


ERASED = "privacy_deleted"  # DeletedKind.PRIVACY_DELETED (this layer knows no models)


def supersedes(copy: dict, earlier: dict) -> bool:
    """Whether a second copy of a record read in the same run replaces the first: the newer
    modified time wins; at the same time an archived copy wins over a live one (HubSpot need
    not touch the modified time when it archives, and archiving comes later)."""
    new, old = copy["updated_at"], earlier["updated_at"]
    if new is None or (old is not None and new < old):
        return False
    return old is None or new > old or (bool(copy.get("archived"))
                                        and not bool(earlier.get("archived")))


def _changed(row: dict, local_updated_at: datetime | None, local_archived: bool) -> bool:
    if bool(row.get("archived")) != local_archived or local_updated_at is None:
        return True
    return row["updated_at"] is not None and row["updated_at"] > local_updated_at


def describe_db_error(error: Exception) -> str:
    """The database's reason without its DETAIL lines, which can quote the record's values."""
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"database rejected the record: {type(error).__name__}: {first_line}"[:500]


def write_each_alone(groups: Mapping[str, T], write: Callable[[Mapping[str, T]], None],
                     what: str) -> list[RecordFailure]:
    """Write every group (e.g. a list's memberships, by list id) in one transaction; if the
    database refuses it, each group in its own, so one it cannot store (a value no column
    holds) fails alone, by its id, and the others are kept."""
    if not groups:
        return []
    try:
        with transaction.atomic():
            write(groups)
        return []
    except DatabaseError:
        pass
    failures = []
    for key, group in groups.items():
        try:
            with transaction.atomic():
                write({key: group})
        except DatabaseError as error:
            failures.append(RecordFailure(key, f"{what} not stored: "
                                               f"{describe_db_error(error)}"[:500]))
    return failures
