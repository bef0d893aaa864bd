"""MultiSyncCommand: one command that runs several engines in a row with the same flags
(pipelines and their stages; custom object schemas and every custom type; everything).

Each engine runs exactly as its own command would run it (`run_sync`). One that fails does
not stop the next. A type HubSpot answers 403 for (the app lacks its scopes, or the portal the
feature) is skipped with a warning and fails nothing: its row says "skipped (no access)"; a
type another run holds is skipped too, its row says "locked". The run ends with a
table, one row per engine (each an outcomes.Outcome), and exits 1 if any failed, else 75 if
any was locked, else 3 if some finished with failed records, 130 at once if interrupted
(the codes: outcomes.py). A problem no type can get past
(ConfigurationError: a refused token, HubSpot or the database unreachable) stops the run at
once: its last line says where, why, and how many types were not tried.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.core.management.base import CommandError

from ingestion.base import history
from ingestion.base.redact import redact
from ingestion.base.results import Mode, SyncOptions
from ingestion.models import SyncHistory
from ingestion.sync.hubspot.client import HubSpotClient
from ingestion.sync.hubspot.connection import client_from_settings
from ingestion.sync.hubspot.engines.base import HubSpotBaseSyncEngine
from ingestion.sync.hubspot.errors import HubSpotError

from .base_hubspot_sync import BaseHubSpotSyncCommand, outcome_of
from .outcomes import (
    EXIT_FAILED,
    EXIT_LOCKED,
    EXIT_PARTIAL,
    ConfigurationError,
    Interrupted,
    Locked,
    NoAccess,
    Outcome,
    Status,
    status_text,
)

log = logging.getLogger("ingestion.sync")


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
        if opts.get("plan"):
            return self.print_plan(opts, self.steps)
        with self.prepared(opts, self.title) as options:
            try:
                self._run_steps(options)
            finally:
                if self.outcomes:  # a usage error found by steps() prints no table
                    self.stdout.write(format_table(self.outcomes))
        self.exit_for(self.outcomes)

    def exit_for(self, outcomes: list[Outcome]) -> None:
        """The worst outcome decides the exit status (see the module doc)."""
        if self.stopped:
            raise CommandError(self.stopped, returncode=EXIT_FAILED)
        failed = [o.name for o in outcomes if o.status == Status.FAILED]
        partial = [o.name for o in outcomes if o.status == Status.PARTIAL]
        locked = [o.name for o in outcomes if o.status == Status.LOCKED]
        if failed:
            raise CommandError(f"{len(failed)} of {len(outcomes)} sync(s) failed: "
                               f"{', '.join(failed)}", returncode=EXIT_FAILED)
        if locked:
            raise CommandError(f"skipped, another run was syncing them: {', '.join(locked)}",
                               returncode=EXIT_LOCKED)
        if partial:
            raise CommandError(f"some records failed and were not saved, or a full read fell "
                               f"short of HubSpot's count ({', '.join(partial)}); see the "
                               "sync_error table and sync_history. Their watermarks were not "
                               "moved, so the next run retries them.", returncode=EXIT_PARTIAL)

    def _run_steps(self, options: SyncOptions) -> None:
        with client_from_settings() as client:  # one client (one rate budget) for every type
            steps = self.steps(client)
            while True:
                try:
                    engine_class = next(steps)
                except StopIteration:
                    return
                except HubSpotError as error:
                    self.record(self._failed_discovery(options, error))
                    return
                if not self.applies(engine_class):
                    continue
                try:
                    self.record(self._run_one(options, engine_class, client))
                except ConfigurationError as error:  # said once, by the last line (exit_for)
                    self.record(Outcome(step_name(engine_class), Status.FAILED,
                                        error=redact(error)))
                    self.stopped = self._stop_message(self.outcomes)
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
        except (ConfigurationError, Interrupted):
            raise  # the whole run stops
        except NoAccess as error:
            self.stderr.write(self.style.WARNING(f"{name}: skipped (no access): {error}"))
            return Outcome(name, Status.NO_ACCESS, error=str(error))
        except Locked as error:
            self.stderr.write(self.style.WARNING(f"{name}: skipped: {error}"))
            return Outcome(name, Status.LOCKED, error=str(error))
        except CommandError as error:
            return self._failed(name, error)
        except Exception as error:  # a bug or a database outage in one type: go on, loudly
            log.exception("%s sync failed", name)
            return self._failed(name, f"{type(error).__name__}: {error}")
        outcome = outcome_of(result, name)
        self.stdout.write(outcome.summary)
        return outcome

    def _failed(self, name: str, error: object) -> Outcome:
        message = redact(error)
        self.stderr.write(self.style.ERROR(f"{name}: FAILED: {message}"))
        return Outcome(name, Status.FAILED, error=message)


def step_name(engine_class: type) -> str:
    return getattr(engine_class, "label", None) or engine_class.object_type


COLUMNS = ("fetched", "created", "updated", "overwritten", "skipped", "archived", "failed")
NO_COUNTS = (Status.FAILED, Status.LOCKED, Status.NO_ACCESS)  # rows without counts


def format_table(outcomes: list[Outcome]) -> str:
    """One row per sync: its counts and status (a failed sync shows no counts)."""
    width = max([len("type"), *(len(o.name) for o in outcomes)])
    sized = [(c, max(len(c), 7)) for c in COLUMNS]
    lines = ["  ".join([f"{'type':<{width}}", *(f"{c:>{n}}" for c, n in sized), "status"])]
    for o in outcomes:
        values = o.counts.as_dict()
        cells = [f"{'-' if o.status in NO_COUNTS else values[c]:>{n}}" for c, n in sized]
        lines.append("  ".join([f"{o.name:<{width}}", *cells,
                                status_text(o.status)]))
    return "\n".join(lines)
