"""Fixtures shared by every test folder: the emulator wired into Django's settings, the
public API to change the portal with, and the API family a module runs against. Helpers
shared between folders are modules beside this file: sync_commands.py (commands in-process),
contacts_runs.py (contacts runs and readers of both sides), subprocesses.py (the project's
entry points in subprocesses)."""

import httpx
import pytest

pytest_plugins = ["hubspot_emulator.pytest_plugin"]

# HubSpot's two path families (ingestion/sync/hubspot/paths.py): modules whose behaviour must
# hold on both take `pytestmark = pytest.mark.usefixtures("api_family")`.
API_FAMILIES = ["2026-09", "legacy"]


@pytest.fixture(params=API_FAMILIES)
def api_family(request, settings) -> str:
    settings.HUBSPOT_API_VERSION = request.param
    return request.param


# How full runs read (ingestion/sync/hubspot/two_ended.py): modules whose behaviour must
# hold both ways take `pytestmark = pytest.mark.usefixtures("read_ends")`.
READ_ENDS = ["list", "two-ended"]


@pytest.fixture(params=READ_ENDS)
def read_ends(request, settings) -> str:
    settings.HUBSPOT_TWO_ENDED_READS = request.param == "two-ended"
    settings.HUBSPOT_TWO_ENDED_MIN_RECORDS = 0  # the test portals are small
    return request.param


@pytest.fixture
def hubspot(emulator, settings, request):
    """The emulator, with Django settings pointing at it and fast retries for tests; faults
    cleared afterwards. Paths: the module's `api_family` if it runs on each family, else
    the legacy ones its fault scripts and assertions name."""
    family = (request.getfixturevalue("api_family") if "api_family" in request.fixturenames
              else "legacy")
    settings.HUBSPOT_API_VERSION = family
    settings.HUBSPOT_API_BASE_URL = emulator.url
    settings.HUBSPOT_ACCESS_TOKEN = emulator.token
    settings.HUBSPOT_RETRY_INITIAL_WAIT = 0.01
    settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND = None  # the emulator has no limit by default
    settings.HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS = 300
    yield emulator
    emulator.control.clear_faults()


@pytest.fixture
def paths(hubspot, settings):
    """The paths the client calls in this test (its API family), e.g. to aim a fault."""
    from ingestion.sync.hubspot.paths import HubSpotPaths

    return HubSpotPaths(settings.HUBSPOT_API_VERSION)


@pytest.fixture
def few_attempts(settings) -> None:
    """Failing requests give up after 3 attempts (tests of what a failure does)."""
    settings.HUBSPOT_MAX_ATTEMPTS = 3


@pytest.fixture
def api(hubspot):
    """HubSpot's public API on the emulator, to change the portal the way a user would."""
    with httpx.Client(base_url=hubspot.url, timeout=30,
                      headers={"Authorization": f"Bearer {hubspot.token}"}) as client:
        yield client


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete_on_postgresql():
    """Between transactional tests Django empties every table with one TRUNCATE, which on
    PostgreSQL replaces each table's and index's files: 0.25 s for our ~75 nearly empty
    tables, the largest part of most tests' time. DELETE empties them in a few milliseconds
    (foreign keys are deferred to the flush's commit, so the order does not matter)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return truncate(self, style, tables, reset_sequences=reset_sequences,
                            allow_cascade=allow_cascade)
        return [f"{style.SQL_KEYWORD('DELETE FROM')} "
                f"{style.SQL_FIELD(self.quote_name(table))};" for table in tables]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = truncate
