"""verify_hubspot: is the mirror exact? HubSpot's live records against the local rows, per
record type, cheaply (see ingestion/sync/hubspot/verify.py), each result recorded in
sync_history (mode `verify`).

Exit status (the table: ingestion/management/outcomes.py): 0 exact (or made exact by --fix);
4 not exact; 1 fatal (HubSpot or the database failed; one line, the token never shown); 2 bad
usage (e.g. an unknown type); 75 locked: a type was being synced (EX_TEMPFAIL: that type was
skipped, the others checked); 130 interrupted. When several apply: 1, then 4, then 75. A type
HubSpot answers 403 for (no access) is skipped with a warning and changes nothing.

Each type is checked as a sync command runs its type (base_hubspot_sync.run_job: the type's
lock, failures mapped by outcomes.py, a type without access skipped before it is recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.management.base import BaseCommand, CommandError

from ingestion.base.results import SyncOptions
from ingestion.management.portal_option import PortalCommand
from ingestion.sync.hubspot.client import HubSpotClient
from ingestion.sync.hubspot.connection import client_from_settings
from ingestion.sync.hubspot.engines.registry import (
    SOURCE_ENGINES,
    SOURCES_BY_NAME,
    UnknownObjectType,
    record_engines,
)
from ingestion.sync.hubspot.engines.sources import HubSpotSourceSyncEngine
from ingestion.sync.hubspot.errors import HubSpotError
from ingestion.sync.hubspot.record_counts import record_counts, type_id_of
from ingestion.sync.hubspot.verify import KINDS, MirrorCheck
from ingestion.sync.hubspot.verify_counts import CountCheck

from ..base_hubspot_sync import check_database, logging_for, require_token, run_job
from ..outcomes import (
    EXIT_LOCKED,
    EXIT_NOT_EXACT,
    EXIT_USAGE,
    Locked,
    NoAccess,
    Status,
    Wording,
    command_error,
    status_text,
)

EXAMPLES = 10  # differing ids shown per kind (ids only: never a record's values)
COLUMNS = ("hubspot", "local", "missing", "extra", "stale", "requests")
FIX_COUNTS = ("fetched", "created", "updated", "archived", "failed", "requests",
              "still_differing")


@dataclass
class Verdict:
    name: str
    # success (exact or fixed) | not exact | locked (skipped: a sync held the type) |
    # no access (skipped: HubSpot answered 403 for the type)
    status: Status
    details: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        if self.status is Status.SUCCESS:
            return "fixed" if self.details.get("fixed") else "exact"
        return status_text(self.status)  # a success is "exact", or "fixed" by --fix


class Command(PortalCommand, BaseCommand):
    help = ("Check that the mirror is exact: per record type, HubSpot's live records against "
            "the local rows (missing, extra, stale), cheaply through search totals over "
            "created-date and modified-date windows, or with --ids through a listing of "
            "every id. Records created or modified in the last HUBSPOT_VERIFY_SETTLE_SECONDS "
            "(default 60) are left out. Each result is recorded in sync_history (mode "
            "verify). Exit 0 exact, 4 not exact, 1 failed, 2 bad usage, 75 a type was being "
            "synced (skipped).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--types", metavar="A,B", type=_names,
                            help="only these types (e.g. contacts,deals, a custom type's 2-… "
                                 "id or name, or a marketing source HubSpot counts); default: "
                                 "every record type and every counted source")
        parser.add_argument("--ids", action="store_true",
                            help="compare every id (a listing of all ids, 100 per request) "
                                 "instead of search totals: exact, also for differences that "
                                 "cancel out within a window")
        parser.add_argument("--fix", action="store_true",
                            help="re-read the differing records by id through the normal "
                                 "save path, then check them again")
        parser.add_argument("--debug", action="store_true",
                            help="log each HTTP request to stderr")

    def handle(self, *args, **opts) -> None:
        self.opts = opts
        verdicts: list[Verdict] = []
        with logging_for(opts):
            check_database()
            require_token()
            try:
                with client_from_settings() as client:  # one client, one rate budget
                    self.verify_all(client, verdicts)
            finally:
                if verdicts:
                    self.stdout.write(format_report(verdicts))
        _exit_status(verdicts)

    def verify_all(self, client: HubSpotClient, verdicts: list[Verdict]) -> None:
        engines = self._engines(client)
        counts = self._record_counts(client, engines)
        for engine_class in engines:
            name = getattr(engine_class, "label", None) or engine_class.object_type
            # No confirmation for --fix: it only re-reads records from HubSpot through the
            # normal save path (nothing local is kept over HubSpot's copy that a sync would
            # not replace), and a prompt would hold the type's lock while waiting.
            checking = CountCheck if counted(engine_class) else MirrorCheck
            extra = {} if checking is CountCheck else {
                "counted": counts.get(type_id_of(engine_class.object_type))}
            check = checking(engine_class, client=client, exhaustive=self.opts["ids"],
                             fix=self.opts["fix"], **extra)
            try:
                # A type HubSpot answers 403 for is skipped, not verified (check_access).
                result = run_job(check, SyncOptions(), check_access=True)
            except NoAccess as error:  # HubSpot answered 403: nothing to compare against
                self.stderr.write(self.style.WARNING(f"{name}: skipped (no access): {error}"))
                verdicts.append(Verdict(name, Status.NO_ACCESS))
                continue
            except Locked as error:
                self.stderr.write(self.style.WARNING(f"{name}: skipped: {error}"))
                verdicts.append(Verdict(name, Status.LOCKED))
                continue
            except CommandError as error:
                raise CommandError(f"{name}: {error}", returncode=error.returncode) from None
            verdicts.append(Verdict(name, _status(result.details), result.details))

    def _record_counts(self, client: HubSpotClient, engines: list[type]) -> dict[str, int]:
        """Every record type's count from HubSpot in one request (record_counts.py), instead
        of one search per type; none when --ids lists every id anyway, or when no record type
        is checked. A type it does not count is counted by search, as is every type when
        HubSpot answers 403/404 or a malformed reply."""
        if self.opts["ids"] or all(counted(e) for e in engines):
            return {}
        try:
            return record_counts(client) or {}
        except HubSpotError as error:  # a refused token, HubSpot unreachable: as for a type
            raise command_error(error, "record counts",
                                Wording(failed="cannot count the records")) from None

    def _engines(self, client: HubSpotClient) -> list[type]:
        names = self.opts["types"]
        if names == []:
            raise CommandError("--types needs at least one type", returncode=EXIT_USAGE)
        sources = [SOURCES_BY_NAME[n] for n in names or () if n in SOURCES_BY_NAME]
        uncounted = [e.object_type for e in sources if not counted(e)]
        if uncounted:
            raise CommandError(f"HubSpot gives no count of {', '.join(uncounted)} to verify "
                               "against", returncode=EXIT_USAGE)
        if names is None:
            sources = [e for e in SOURCE_ENGINES if counted(e)]
        records = None if names is None else [n for n in names if n not in SOURCES_BY_NAME]
        if records == []:
            return sources
        try:
            return record_engines(records, client) + sources
        except UnknownObjectType as error:
            raise CommandError(str(error), returncode=EXIT_USAGE) from None
        except HubSpotError as error:  # reading the custom object schemas
            raise command_error(error, "custom object schemas",
                                Wording(failed="cannot list the record types")) from None


def counted(engine_class: type) -> bool:
    """A marketing source HubSpot gives a count of (verified by that count: CountCheck)."""
    return (issubclass(engine_class, HubSpotSourceSyncEngine) and
            engine_class.upstream_total is not HubSpotSourceSyncEngine.upstream_total)


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _status(details: dict) -> Status:
    return Status.SUCCESS if details["exact"] else Status.NOT_EXACT


def _exit_status(verdicts: list[Verdict]) -> None:
    differing = [v.name for v in verdicts if v.status is Status.NOT_EXACT]
    locked = [v.name for v in verdicts if v.status is Status.LOCKED]
    if differing:
        raise CommandError(
            f"the mirror is not exact for {', '.join(differing)}: run again with --fix to "
            "re-read the differing records", returncode=EXIT_NOT_EXACT)
    if locked:
        raise CommandError(f"skipped, a sync was running for: {', '.join(locked)}",
                           returncode=EXIT_LOCKED)


def format_report(verdicts: list[Verdict]) -> str:
    """The table (a row per type), then up to EXAMPLES differing ids of each kind and what
    --fix did, per type."""
    lines = [format_table(verdicts)]
    for verdict in verdicts:
        details = verdict.details
        differing = [kind for kind in KINDS if details.get(kind)]  # none for a skipped type
        for kind in differing:
            shown = " ".join(details[f"{kind}_ids"][:EXAMPLES]) or "(counted, no ids)"
            more = " …" if details[kind] > EXAMPLES else ""
            lines.append(f"{verdict.name} {kind} ({details[kind]}): {shown}{more}")
        if details.get("fixed"):
            fixed = details["fixed"]
            lines.append(f"{verdict.name} fix: "
                         + " ".join(f"{k}={fixed[k]}" for k in FIX_COUNTS))
    return "\n".join(lines)


def format_table(verdicts: list[Verdict]) -> str:
    """Fixed-width columns, as `sync_hubspot_all` prints them; a skipped type shows none."""
    width = max([len("type"), *(len(v.name) for v in verdicts)])
    sized = [(c, max(len(c), 7)) for c in COLUMNS]
    lines = ["  ".join([f"{'type':<{width}}", *(f"{c:>{n}}" for c, n in sized),
                        f"{'mode':<7}", "status"])]
    for v in verdicts:
        cells = [f"{v.details.get(c, '-'):>{n}}" for c, n in sized]
        lines.append("  ".join([f"{v.name:<{width}}", *cells,
                                f"{v.details.get('mode', '-'):<7}", v.text]))
    return "\n".join(lines)
