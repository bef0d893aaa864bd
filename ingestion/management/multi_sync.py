"""MultiSyncCommand: one command that runs several engines in a row with the same flags
(pipelines and their stages; custom object schemas and every custom type; everything).

Each engine runs exactly as its own command would run it (`run_sync`). One that fails does
not stop the next. A type HubSpot answers 403 for (the app lacks its scopes, or the portal the
feature) is skipped with a warning and fails nothing: its row says "skipped (no access)". The
run ends with a table, one row per engine, and exits 1 if any failed, 3 if some finished with
failed records (EXIT_PARTIAL), 130 at once if interrupted. A problem no type can get past
(ConfigurationError: a refused token, HubSpot or the database unreachable) stops the run at
once: its last line says where, why, and how many types were not tried.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.management.base import CommandError

from ingestion.base import history
from ingestion.base.redact import redact
from ingestion.base.results import Mode, SyncCounts, SyncOptions
from ingestion.models import SyncHistory
from ingestion.sync.hubspot.client import HubSpotClient
from ingestion.sync.hubspot.connection import client_from_settings
from ingestion.sync.hubspot.engines.base import HubSpotBaseSyncEngine
from ingestion.sync.hubspot.errors import HubSpotError

from .base_hubspot_sync import (
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_PARTIAL,
    BaseHubSpotSyncCommand,
    ConfigurationError,
    NoAccess,
)

log = logging.getLogger("ingestion.sync")
EXIT_FATAL = 1
NO_ACCESS = "no access"  # the status of a type skipped because HubSpot answered 403


@dataclass
class Outcome:
    name: str
    # success | partial | failed | running (another run held the type: skipped) |
    # no access (HubSpot answered 403 for the type: skipped)
    status: str
    counts: SyncCounts = field(default_factory=SyncCounts)
    error: str = ""


class MultiSyncCommand(BaseHubSpotSyncCommand):
    title: str  # what warnings call the whole set, e.g. "pipelines"
    check_access_first = True  # a type without access is skipped, leaving no failed run

    def steps(self, client: HubSpotClient) -> Iterator[type]:
        """The engine classes to run, in order. May ask HubSpot (with `client`) which custom
        object types exist; a HubSpotError while doing so fails the remaining steps."""
        raise NotImplementedError

    # The steps known before HubSpot is asked anything, and what steps() finds only by
    # asking it (custom object types): what a stopped run says it did not try.
    planned: tuple[type, ...] = ()
    discovered = ""
    stopped = ""  # why the run stopped before its last step (ConfigurationError), if it did

    def handle(self, *args, **opts) -> None:
        with self.prepared(opts, self.title) as options:
            outcomes: list[Outcome] = []
            try:
                self._run_steps(options, outcomes)
            finally:
                if outcomes:  # a usage error found by steps() prints no table
                    self.stdout.write(format_table(outcomes))
        self.exit_for(outcomes)

    def exit_for(self, outcomes: list[Outcome]) -> None:
        """The worst outcome decides the exit status (see the module doc)."""
        if self.stopped:
            raise CommandError(self.stopped, returncode=EXIT_FATAL)
        failed = [o.name for o in outcomes if o.status == "failed"]
        partial = [o.name for o in outcomes if o.status == "partial"]
        locked = [o.name for o in outcomes if o.status == "running"]
        if failed:
            raise CommandError(f"{len(failed)} of {len(outcomes)} sync(s) failed: "
                               f"{', '.join(failed)}", returncode=EXIT_FATAL)
        if locked:
            raise CommandError(f"skipped, another run was syncing them: {', '.join(locked)}",
                               returncode=EXIT_LOCKED)
        if partial:
            raise CommandError(f"some records failed and were not saved, or a full read fell "
                               f"short of HubSpot's count ({', '.join(partial)}); see the "
                               "sync_error table and sync_history. Their watermarks were not "
                               "moved, so the next run retries them.", returncode=EXIT_PARTIAL)

    def _run_steps(self, options: SyncOptions, outcomes: list[Outcome]) -> None:
        with client_from_settings() as client:  # one client (one rate budget) for every type
            steps = self.steps(client)
            while True:
                try:
                    engine_class = next(steps)
                except StopIteration:
                    return
                except HubSpotError as error:
                    outcomes.append(self._failed_discovery(options, error))
                    return
                if not self.applies(engine_class):
                    continue
                outcomes.append(self._run_one(options, engine_class, client))
                if outcomes[-1].status == "fatal":
                    outcomes[-1].status = "failed"
                    self.stopped = self._stop_message(outcomes)
                    return

    def _failed_discovery(self, options: SyncOptions, error: HubSpotError) -> Outcome:
        """Finding the custom object types (the schemas API) failed: a step like any type,
        recorded as a failed `schemas` run, which the next successful schemas sync follows."""
        outcome = self._failed("custom object types", error)
        if not options.dry_run:
            history.record_step("schemas", Mode.FULL, SyncHistory.Status.FAILED,
                                f"finding the custom object types: {outcome.error}", options)
        return outcome

    def _stop_message(self, outcomes: list[Outcome]) -> str:
        """One line: where the run stopped, why, and what it did not try."""
        tried = {o.name for o in outcomes}
        untried = [name for name in map(step_name, filter(self.applies, self.planned))
                   if name not in tried]
        parts = [f"{len(untried)} other type(s) not tried"] if untried else []
        parts += [f"the {self.discovered} not looked for"] if self.discovered else []
        rest = f" ({'; '.join(parts)})" if parts else ""
        return f"the run stopped at {outcomes[-1].name}{rest}: {outcomes[-1].error}"

    def applies(self, engine_class: type) -> bool:
        """Link refresh and deletion checks are for record types (with links, for the
        former); definitions (properties, owners, pipelines, schemas) are always read whole."""
        if self.job is None:
            return True
        is_records = issubclass(engine_class, HubSpotBaseSyncEngine)
        return is_records and (self.job != "links" or bool(engine_class.association_types))

    def _run_one(self, options: SyncOptions, engine_class: type,
                 client: HubSpotClient) -> Outcome:
        name = step_name(engine_class)
        try:
            result = self.run_sync(options, engine_class, client=client)
        except ConfigurationError as error:  # said once, by the run's last line (exit_for)
            return Outcome(name, "fatal", error=redact(error))
        except NoAccess as error:
            self.stderr.write(self.style.WARNING(f"{name}: skipped (no access): {error}"))
            return Outcome(name, NO_ACCESS, error=str(error))
        except CommandError as error:
            if error.returncode == EXIT_INTERRUPTED:
                raise
            if error.returncode == EXIT_LOCKED:
                self.stderr.write(self.style.WARNING(f"{name}: skipped: {error}"))
                return Outcome(name, "running", error=str(error))
            return self._failed(name, error)
        except Exception as error:  # a bug or a database outage in one type: go on, loudly
            log.exception("%s sync failed", name)
            return self._failed(name, f"{type(error).__name__}: {error}")
        self.stdout.write(result.summary.replace(result.object_type, name, 1))
        return Outcome(name, result.status, result.counts)

    def _failed(self, name: str, error: object) -> Outcome:
        message = redact(error)
        self.stderr.write(self.style.ERROR(f"{name}: FAILED: {message}"))
        return Outcome(name, "failed", error=message)


def step_name(engine_class: type) -> str:
    return getattr(engine_class, "label", None) or engine_class.object_type


COLUMNS = ("fetched", "created", "updated", "overwritten", "skipped", "archived", "failed")
STATUS_TEXT = {NO_ACCESS: "skipped (no access)"}


def format_table(outcomes: list[Outcome]) -> str:
    """One row per sync: its counts and status (a failed sync shows no counts)."""
    width = max([len("type"), *(len(o.name) for o in outcomes)])
    sized = [(c, max(len(c), 7)) for c in COLUMNS]
    lines = ["  ".join([f"{'type':<{width}}", *(f"{c:>{n}}" for c, n in sized), "status"])]
    for o in outcomes:
        values = o.counts.as_dict()
        cells = [f"{'-' if o.status in ('failed', 'running', NO_ACCESS) else values[c]:>{n}}"
                 for c, n in sized]
        lines.append("  ".join([f"{o.name:<{width}}", *cells,
                                STATUS_TEXT.get(o.status, o.status)]))
    return "\n".join(lines)
