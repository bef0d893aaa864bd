"""BaseHubSpotSyncCommand: the flags, warnings, progress and summary of every sync command;
`run_job`: one type's recorded job run with the one error mapping (outcomes.py), which
`verify_hubspot` uses too.

Lives outside `commands/` so that `manage.py help` lists only commands that run.

Exit status (the table: outcomes.py): 0 success; 1 fatal error (nothing more was written);
2 bad usage (nothing was recorded: e.g. a flag that cannot apply to the command's types,
sync_flags.py); 3 partial (the run finished but some records failed: see the SyncError table;
or a full read fell short of HubSpot's count at its start even after re-reading the gap:
nothing was swept, the message names expected, read and the id range);
75 locked: another run of the type is in progress (EX_TEMPFAIL: nothing was done, try later);
77 no access: HubSpot answered 403 for the type (EX_NOPERM: the app lacks a scope for it, or
the portal the feature; nothing was written; `sync_hubspot_all` skips such a type, without
recording a run for it);
130 interrupted (SIGINT/SIGTERM).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from tqdm import tqdm

from ingestion.base import history
from ingestion.base.redact import redact
from ingestion.base.results import Mode, SyncCounts, SyncOptions, SyncResult
from ingestion.base.schema import pending_migrations
from ingestion.models import SyncHistory
from ingestion.sync.hubspot.client import HubSpotClient
from ingestion.sync.hubspot.connection import client_from_settings, missing_app_credentials
from ingestion.sync.hubspot.deletions import DeletionCheck
from ingestion.sync.hubspot.errors import HubSpotError, HubSpotForbiddenError
from ingestion.sync.hubspot.links import LinkRefresh
from ingestion.sync.hubspot.plan import Counts, Estimate, budget_of, plan_lines, plan_type
from ingestion.sync.hubspot.property_history import UnknownHistoryProperty, history_names

from .outcomes import (
    EXIT_PARTIAL,
    EXIT_USAGE,
    ConfigurationError,
    NoAccess,
    Outcome,
    OutcomeFile,
    Status,
    SyncInterrupted,
    Wording,
    command_error,
    command_errors,
    first_line,
    signals_interrupt,
)
from .portal_option import PortalCommand
from .sync_flags import (
    DEFAULTS,
    KIND_FLAGS,
    TYPE_KINDS,
    add_flags,
    check_job,
    check_refused,
    kind_of,
)


def parse_since(value: str) -> datetime:
    """`YYYY-MM-DD` or ISO 8601; UTC unless the value carries an offset."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"--since must be YYYY-MM-DD or an ISO 8601 datetime, not {value!r}",
            returncode=EXIT_USAGE) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def check_database() -> None:
    """Fail in one line, before any work, when the database cannot be used."""
    where = _database_name()
    try:
        pending = pending_migrations()
    except DatabaseError as error:
        reason = first_line(error)
        raise ConfigurationError(redact(
            f"cannot use the database {where} (DATABASE_URL): {reason}")) from None
    if pending:
        raise ConfigurationError(
            f"the database {where} is not migrated ({len(pending)} migration(s) to apply): "
            "run `python manage.py migrate` first")


def _database_name() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite {db['NAME']}"
    host = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 'default port'}"
    return f"{connection.vendor} {host}/{db.get('NAME')}"


class BaseHubSpotSyncCommand(PortalCommand, BaseCommand):
    engine_class: type  # a HubSpotBaseSyncEngine subclass

    @property
    def help(self) -> str:
        return (f"Mirror HubSpot {self.engine_class.object_type} into the database: incremental "
                "by default, --full for everything, --force-overwrite to replace local rows.")

    # The kinds of type the command runs (sync_flags.py): which flags it offers. None: its
    # engine's kind (a one-type command), or every kind (sync_hubspot_all).
    kinds: tuple[str, ...] | None = None

    def flag_kinds(self) -> tuple[str, ...]:
        engine_class = getattr(self, "engine_class", None)
        return self.kinds or ((kind_of(engine_class),) if engine_class else TYPE_KINDS)

    @property
    def command_name(self) -> str:
        return self.__module__.rpartition(".")[2]

    def add_arguments(self, parser) -> None:
        add_flags(parser, self.flag_kinds())
        parser.add_argument("--debug", action="store_true",
                            help="log each HTTP request and batch to stderr")
        parser.add_argument("--noinput", "--no-input", action="store_true",
                            help="do not ask for confirmation before a force overwrite")
        parser.add_argument("--plan", action="store_true",
                            help="say what the run would cost (requests, least time, share "
                                 "of the daily limit) and exit: nothing is synced or recorded")
        # Set by `sync_hubspot_all --on-workers` for the commands it fans out: each skips its
        # type as the command in one process would (exit 77, no run recorded).
        parser.add_argument("--check-access-first", action="store_true",
                            help=argparse.SUPPRESS)
        # Set by `sync_hubspot_all --parallel` for its child processes: each writes its
        # outcomes there as data (outcomes.OutcomeFile), which the parent reads back.
        parser.add_argument("--outcome-file", help=argparse.SUPPRESS)

    def execute(self, *args, **options):
        """Django's execute, keeping what the run came to: `outcomes` (read by the Celery
        task) and, with --outcome-file, the same in that file, then the error it ended with."""
        self.outcomes: list[Outcome] = []
        self.outcome_file = OutcomeFile(options.get("outcome_file"))
        try:
            return super().execute(*args, **options)
        except CommandError as error:
            self.outcome_file.end(str(error))
            raise
        except Exception as error:  # a bug: the traceback goes to stderr as always
            self.outcome_file.end(redact(f"{type(error).__name__}: {first_line(error)}"))
            raise

    def record(self, outcome: Outcome) -> None:
        """One type's outcome, as it ends (a child killed later has told these already)."""
        self.outcomes.append(outcome)
        self.outcome_file.add(outcome)

    def handle(self, *args, **opts) -> None:
        if opts.get("plan"):
            return self.print_plan(opts, lambda client: [self.engine_class])
        with self.prepared(opts, self.engine_class.object_type) as options, \
                client_from_settings() as client:  # the run's one client
            result = self.run_sync(options, client=client)
        self.stdout.write(result.summary)
        self.record(outcome_of(result))
        if result.counts.failed or result.short:
            raise CommandError(partial_message(result), returncode=EXIT_PARTIAL)

    def applies(self, engine_class: type) -> bool:
        """Whether the command runs this type with its flags (MultiSyncCommand narrows)."""
        return True

    def print_plan(self, opts: dict, engines_of) -> None:
        """`--plan`: one line per type the run would sync, and a total (plan.py), from a
        few counting requests. No lock is taken, nothing is written or recorded; exit 0.
        `engines_of(client)`: the engine classes the run would take, in order."""
        options = self._options(opts)
        if self.job is not None:
            raise CommandError("--plan estimates syncs, not the link refresh or the deletion "
                               "check (--links-only, --deletions)", returncode=EXIT_USAGE)
        with logging_for(opts):
            check_database()
            require_token()
            with signals_interrupt(), command_errors(
                    self.command_name, Wording(failed="cannot plan", done="nothing was run")), \
                    client_from_settings() as client:
                counts = Counts(client)
                estimates = [self._plan_one(engine_class, options, client, counts)
                             for engine_class in engines_of(client) if self.applies(engine_class)]
                budget = budget_of(client)
        for line in plan_lines([e for e in estimates if e is not None], budget):
            self.stdout.write(line)

    def _plan_one(self, engine_class: type, options: SyncOptions, client: HubSpotClient,
                  counts: Counts) -> Estimate | None:
        if options.since and "since" not in KIND_FLAGS[kind_of(engine_class)]:
            options = replace(options, since=None)  # as run_sync runs them
        try:
            return plan_type(engine_class, options, client, counts,
                             access_checked=self.check_access_first)
        except HubSpotForbiddenError as error:
            if not self.check_access_first:
                raise
            self.stdout.write(f"plan: {engine_class.object_type} skipped (no access: "
                              f"{first_line(error)})")
            return None

    def run_sync(self, options: SyncOptions, engine_class: type | None = None, *,
                 client: HubSpotClient) -> SyncResult:
        """Build the engine (`engine_class`, by default the command's) on the command's
        `client` and run it (`run_job`)."""
        engine_class = engine_class or self.engine_class
        if options.since and "since" not in KIND_FLAGS[kind_of(engine_class)]:
            # sync_hubspot_all --since: definitions have no modified time to filter by, so
            # they are read as always (whole, then swept), as a fanned-out run reads them.
            options = replace(options, since=None)
        with _progress_bar(engine_class.object_type) as on_progress:
            job = self.job_for(engine_class, options, client, on_progress)
            return run_job(job, options, check_access=self.check_access_first)

    # Commands that run many types (sync_hubspot_all, verify_hubspot …) skip a type HubSpot
    # answers 403 for, and check that before its run is recorded (see _preflight). A
    # command for one type asked for it: its failure is recorded like any other.
    check_access_first = False

    def job_for(self, engine_class: type, options: SyncOptions, client: HubSpotClient,
                on_progress=None):
        """What runs for one type: the sync itself, or the link refresh or deletion check
        the flags asked for (each a recorded run with `.run()` and `.result`)."""
        job = {"links": LinkRefresh, "deletions": DeletionCheck}.get(self.job)
        if job is None:
            return engine_class(options, client=client, on_progress=on_progress)
        return job(engine_class, options, client=client, on_progress=on_progress)

    job: str | None = None  # "links" | "deletions": set from the flags by _options

    def _check_job(self, opts: dict) -> None:
        self.job = "links" if opts.get("links_only") else \
            "deletions" if opts.get("deletions") else self.job
        if self.job is not None:
            check_job(opts, self.job)

    def _options(self, opts: dict) -> SyncOptions:
        check_refused(opts, self.flag_kinds(), self.command_name)
        self._check_job(opts)
        self.check_access_first = self.check_access_first or bool(opts.get("check_access_first"))
        flag = {dest: opts.get(dest, default) for dest, default in DEFAULTS.items()}
        since = flag["since"]
        if since is not None and not since.strip():
            raise CommandError("--since needs a date (YYYY-MM-DD or ISO 8601); it was empty",
                               returncode=EXIT_USAGE)
        try:
            return SyncOptions(
                full=bool(flag["full"]), since=parse_since(since) if since else None,
                force_overwrite=bool(flag["force_overwrite"]), dry_run=bool(flag["dry_run"]),
                batch_size=flag["batch_size"], max_records=flag["max_records"],
                related=not flag["skip_associations"],
                lookback=timedelta(seconds=settings.HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS),
                purge_vanished=settings.HUBSPOT_PURGE_VANISHED,
                history=self._history_entries(flag["with_history"]),
                stage_history=settings.HUBSPOT_STAGE_HISTORY,
                two_ended_above=None if flag["list_only"] or not settings.HUBSPOT_TWO_ENDED_READS
                else settings.HUBSPOT_TWO_ENDED_MIN_RECORDS,
                progress_every=settings.HUBSPOT_PROGRESS_LOG_SECONDS,
                resume_max_age=timedelta(hours=settings.HUBSPOT_RESUME_MAX_AGE_HOURS))
        except ValueError as error:
            raise CommandError(str(error), returncode=EXIT_USAGE) from None

    def _history_entries(self, flag: str) -> tuple[str, ...]:
        """--with-history entries plus the configured ones. On a one-type command a bare
        name is that type's (so a name it does not define is an error, not ignored)."""
        entries = [e.strip() for e in flag.split(",") if e.strip()]
        if any(not e.rpartition(":")[2] for e in entries):
            raise CommandError("--with-history takes property names, e.g. "
                               "--with-history lifecyclestage,hs_lead_status",
                               returncode=EXIT_USAGE)
        own = getattr(self, "engine_class", None)  # offered only where it applies
        if own is not None:
            entries = [e if ":" in e else f"{own.object_type}:{e}" for e in entries]
        return tuple(dict.fromkeys([*entries, *settings.HUBSPOT_PROPERTY_HISTORY]))

    @contextmanager
    def prepared(self, opts: dict, what: str):
        """The options, once logging, the database, the credentials and (for a force
        overwrite) the user are ready: what every sync command checks before it runs."""
        options = self._options(opts)
        with logging_for(opts):
            check_database()
            require_token()
            if options.force_overwrite:
                warn_force_overwrite(self, options, what,
                                     ask=not opts["noinput"] and not options.dry_run)
            yield options


def run_job(job, options: SyncOptions, *, check_access: bool) -> SyncResult:
    """Run one type's recorded job (a sync, link refresh, deletion check or verify: its
    `.run()` and `.result`), its failures turned into one-line CommandErrors with their exit
    codes (outcomes.command_errors). With `check_access`, a type HubSpot answers 403 for is
    refused before its run is recorded, and skipped (`_skipped`)."""
    object_type = getattr(job, "engine", job).object_type
    with signals_interrupt(), command_errors(
            object_type,
            interrupted=lambda error: _interrupted(error, getattr(job, "result", None))):
        try:
            _preflight(job, check_access=check_access)
            return job.run()
        except HubSpotForbiddenError as error:
            if not check_access:
                raise
            raise _skipped(job, options, error) from None


def _skipped(job, options: SyncOptions, error: HubSpotForbiddenError) -> CommandError:
    """HubSpot answered 403 to a command that skips such types. Checked before the run: the
    type is skipped, recorded once as `skipped` with HubSpot's reason. A 403 after its run
    was recorded failed that run: reported as the failure it is, never hidden."""
    object_type = getattr(job, "engine", job).object_type
    message = str(command_error(error, object_type))  # worded once
    result = getattr(job, "result", None)
    if result is not None and result.history_id:
        return CommandError(message)
    if not options.dry_run:
        history.record_step(object_type, _planned_mode(result, options),
                            SyncHistory.Status.SKIPPED, f"no access: {error}", options)
    return NoAccess(message)


def outcome_of(result: SyncResult, name: str = "") -> Outcome:
    """A finished run's outcome; `name`: what the table calls its type (a custom object's
    label), its object type if none."""
    name = name or result.object_type
    return Outcome(name, Status(result.status), result.counts,
                   summary=result.summary.replace(result.object_type, name, 1),
                   history_id=result.history_id)


def _preflight(job, *, check_access: bool) -> None:
    """Before the run is recorded: read the type's property definitions (a record sync reads
    them first anyway, and keeps them; the run counts the requests) to refuse
    - a type HubSpot answers 403 for, when the command skips such types (`check_access`): no
      failed run is left behind (the health check would count that against a type
      `sync_hubspot_all` only skips, for ever);
    - a --with-history property the type does not define: a usage error (exit 2).
    Any other failure is left to the run itself, which meets it again and records it."""
    engine = getattr(job, "engine", job)  # link refresh, deletions, verify: their engine
    property_names = getattr(engine, "property_names", None)  # definitions have none
    # A sync that keeps history (a link refresh or deletion check keeps none).
    wants_history = engine is job and bool(engine.options.history)
    if property_names is None or not (check_access or wants_history):
        return
    engine.counting_since = engine.source_counters()  # the run counts these requests too
    try:
        defined = property_names()
        if check_access:
            # A type's definitions can be readable while its records are not (HubSpot gives
            # them separate scopes: crm.schemas.companies.read, crm.objects.companies.read).
            engine.client.probe_records(engine.object_type)
    except HubSpotForbiddenError:
        if check_access:
            raise
        return
    except HubSpotError:
        return
    try:
        history_names(engine.object_type, engine.options.history, defined)
    except UnknownHistoryProperty as error:
        raise CommandError(str(error), returncode=EXIT_USAGE) from None


def _planned_mode(result: SyncResult | None, options: SyncOptions) -> str:
    """The mode of a run refused before it began: its job's (links, deletions, verify), or
    the sync's as the flags ask for it."""
    if result is not None:
        return str(result.mode)
    return Mode.FULL if options.full else Mode.SINCE if options.since else Mode.INCREMENTAL


def partial_message(result: SyncResult) -> str:
    if result.short:  # a full read that fell short of HubSpot's count (reconcile.py)
        failed = (f"; also {result.counts.failed} record(s) failed (the sync_error table)"
                  if result.counts.failed else "")
        return f"{result.short} (run #{result.history_id}){failed}."
    failed, where = result.counts.failed, f"see the sync_error table (run #{result.history_id})"
    if result.mode == "links":
        return (f"the links of {failed} {result.object_type} record(s) could not be read and "
                f"were kept as they were; {where}. The next link refresh reads them again.")
    return (f"{failed} {result.object_type} record(s) failed and were not saved; {where}. "
            "The watermark was not moved, so the next run retries them.")


def _interrupted(error: SyncInterrupted, result: SyncResult | None) -> str:
    """What an interrupted run committed: every batch is saved whole or not at all, and the
    batch being written when the signal came is let finish."""
    saved = "nothing was saved"
    if result is not None:
        c = result.counts
        saved = (f"{c.created + c.updated + c.overwritten} records were saved in whole batches "
                 f"({result.counts.summary(result.object_type).split(': ', 1)[1]})")
    return f"{error}: {saved}; the watermark was not moved, so the next run resumes"


def warn_force_overwrite(command: BaseCommand, options: SyncOptions, what: str, *,
                         ask: bool) -> None:
    """The warning before a force overwrite, and on a terminal a confirmation prompt."""
    scope = ("every record" if options.full else
             f"records modified since {options.since:%Y-%m-%d %H:%M}" if options.since else
             "records changed since the last run")
    command.stderr.write(command.style.WARNING(
        f"WARNING: --force-overwrite deletes and recreates {scope} of {what} that "
        "exist locally, from HubSpot's data: local edits to those rows are lost."))
    if ask and sys.stdin.isatty():
        answer = input("Type 'yes' to continue, anything else to cancel: ")
        if answer.strip().lower() != "yes":
            raise CommandError("Force overwrite cancelled.")


@contextmanager
def _progress_bar(object_type: str):
    """A tqdm bar on a terminal; nothing at all when stderr is not one (cron, Celery, a
    pipe: the run logs progress lines there instead, base/progress.py)."""
    if not sys.stderr.isatty():
        yield None
        return
    # A terminal that reports a size of 0x0 would make tqdm hide the bar; shutil falls
    # back to 80x24 there.
    columns, lines = shutil.get_terminal_size()
    bar = tqdm(desc=object_type, file=sys.stderr, ncols=columns, nrows=lines,
               bar_format=BAR_WITHOUT_TOTAL)
    try:
        yield lambda counts, total: _show_progress(bar, counts, total)
    finally:
        bar.close()


# Whole numbers only (no "1.2k", no "12.34 rec/s"): the records are counted, not measured.
# Until the run knows its total (HubSpot's count), no bar: "n/None" would say nothing.
BAR_WITH_TOTAL = "{l_bar}{bar}| {n}/{total} rec [{elapsed}<{remaining}{postfix}]"
BAR_WITHOUT_TOTAL = "{desc}: {n} rec [{elapsed}{postfix}]"


def _show_progress(bar: tqdm, counts: SyncCounts, total: int | None) -> None:
    """`total`: what the run reads, live and archived (engine.expected_total); a run that
    reads past it (records created meanwhile) shows its count as the total."""
    if total is not None:
        bar.total = max(total, counts.fetched)
        bar.bar_format = BAR_WITH_TOTAL
    bar.n = counts.fetched
    elapsed = bar.format_dict["elapsed"]
    rate = round(counts.fetched / elapsed) if elapsed > 0 else 0
    saved = counts.created + counts.updated + counts.overwritten
    bar.set_postfix_str(f"{rate} rec/s, saved={saved}, failed={counts.failed}", refresh=False)
    bar.refresh()


OAUTH_SETTINGS = ("HUBSPOT_CLIENT_ID", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_REFRESH_TOKEN")


def require_token() -> None:
    """Credentials: a private app's token, or an OAuth app's three settings."""
    oauth = {name: getattr(settings, name) for name in OAUTH_SETTINGS}
    # The client id and secret alone are not OAuth: with a private app's token they are the
    # webhooks journal's app (require_app_credentials), and a private app signs its webhooks
    # with a client secret too.
    if settings.HUBSPOT_REFRESH_TOKEN or (settings.HUBSPOT_CLIENT_ID
                                          and not settings.HUBSPOT_ACCESS_TOKEN):
        missing = [name for name, value in oauth.items() if not value]
        if missing:
            raise ConfigurationError(f"OAuth needs {', '.join(OAUTH_SETTINGS)}; "
                                     f"{', '.join(missing)} is not set")
        return
    if not settings.HUBSPOT_ACCESS_TOKEN:
        raise ConfigurationError(
            "no HubSpot credentials: set HUBSPOT_ACCESS_TOKEN (a private app's token) or "
            "HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET and HUBSPOT_REFRESH_TOKEN (OAuth); "
            "they are never logged or stored in clear")


def require_app_credentials() -> None:
    """The webhooks journal's app: its client id and secret (the client-credentials grant;
    docs/operations.md#webhooks-journal)."""
    missing = missing_app_credentials()
    if missing:
        raise ConfigurationError(
            f"the webhooks journal needs the app's client credentials: {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set (an app on HubSpot's developer "
            "platform, installed in the portal: docs/operations.md#webhooks-journal)")


@contextmanager
def logging_for(opts: dict):
    """`--debug` (or Django's `--verbosity 3`) logs each request and batch, once: through
    the handler settings.LOGGING gives the `ingestion` logger (one is added only if there is
    none). `--verbosity 0` keeps only errors. The level is restored afterwards."""
    logger = logging.getLogger("ingestion")
    progress = logging.getLogger("ingestion.progress")  # INFO by settings.LOGGING
    level, progress_level = logger.level, progress.level
    verbosity = opts.get("verbosity", 1)
    if opts.get("debug") or verbosity >= 3:
        logger.setLevel(logging.DEBUG)
    elif verbosity == 0:
        logger.setLevel(logging.ERROR)
        progress.setLevel(logging.ERROR)
    added = None
    if not logger.handlers:
        added = logging.StreamHandler(sys.stderr)
        added.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(added)
    try:
        yield
    finally:
        logger.setLevel(level)
        progress.setLevel(progress_level)
        if added:
            logger.removeHandler(added)
