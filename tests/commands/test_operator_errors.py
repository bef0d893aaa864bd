"""Operator errors at run time: one line naming the problem, the documented exit code, no
traceback; refused connections are not retried (a retry would log "retrying after …")."""

from __future__ import annotations

import socket
import tempfile
import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from subprocesses import clean_environment, current_database_url, run_python

from ingestion.models import SyncHistory

pytestmark = pytest.mark.django_db(transaction=True)
# What a command says about its flags, HubSpot's address or token, or a database of the
# test's own choosing, whichever database the suite uses: on the first one only. A failed run
# recorded in the suite's database (the closed port) is checked on each.
ABOUT_THE_COMMAND_LINE = pytest.mark.once


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the socket is closed


def sync(*args: str, **env: str):
    environment = clean_environment(**{
        "DATABASE_URL": current_database_url(), "HUBSPOT_ACCESS_TOKEN": "pat-na1-test-0000-1111",
        "HUBSPOT_MAX_ATTEMPTS": "8", **env})
    return run_python("manage.py", *args, env=environment, timeout=120)


def assert_one_line(result, code: int, *fragments: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == code, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert all(fragment in lines[0] for fragment in fragments), lines[0]


@ABOUT_THE_COMMAND_LINE
@pytest.mark.parametrize("flags", [["--since", "2024-13-45"], ["--batch-size", "0"],
                                   ["--full", "--since", "2024-01-01"], ["--since="],
                                   ["--max-records", "0"], ["--no-such-flag"]])
def test_bad_usage_when_run_then_exit_2_and_one_line(flags, emulator):
    result = sync("sync_hubspot_contacts", *flags, HUBSPOT_API_BASE_URL=emulator.url)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.strip()
    assert not SyncHistory.objects.exists()


def test_closed_port_when_syncing_then_fails_at_once_naming_the_host_and_run_recorded():
    port = closed_port()
    result = sync("sync_hubspot_contacts", HUBSPOT_API_BASE_URL=f"http://127.0.0.1:{port}")
    assert_one_line(result, 1, "Configuration error: ", f"127.0.0.1:{port}",
                    "connection refused", "HUBSPOT_API_BASE_URL")
    assert "retrying" not in result.stderr  # refused at once, not retried
    run = SyncHistory.objects.get()
    assert run.status == "failed" and "connection refused" in run.error_message


@ABOUT_THE_COMMAND_LINE
def test_unknown_host_when_syncing_then_fails_at_once_naming_it():
    result = sync("sync_hubspot_contacts",
                           HUBSPOT_API_BASE_URL="http://hubspot-mirror-test.invalid")
    assert_one_line(result, 1, "hubspot-mirror-test.invalid")
    assert "retrying" not in result.stderr


@ABOUT_THE_COMMAND_LINE
def test_sync_all_when_host_is_unreachable_then_stops_once_not_per_type():
    result = sync("sync_hubspot_all",
                           HUBSPOT_API_BASE_URL=f"http://127.0.0.1:{closed_port()}")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("connection refused") == 1, result.stderr
    assert "the run stopped at properties" in result.stderr and "retrying" not in result.stderr
    assert SyncHistory.objects.count() == 1


@ABOUT_THE_COMMAND_LINE
def test_unreachable_database_when_syncing_then_one_line_naming_it(emulator):
    result = sync("sync_hubspot_contacts", HUBSPOT_API_BASE_URL=emulator.url,
                     DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port()}/mirror")
    assert_one_line(result, 1, "cannot use the database", "DATABASE_URL")


@ABOUT_THE_COMMAND_LINE
def test_database_not_migrated_when_syncing_then_says_to_run_migrate(emulator):
    with tempfile.TemporaryDirectory() as folder:
        fresh = Path(folder) / "fresh.sqlite3"
        for command in ("sync_hubspot_contacts", "sync_hubspot_all", "setup_hubspot_schedule"):
            result = sync(command, HUBSPOT_API_BASE_URL=emulator.url,
                             DATABASE_URL=f"sqlite:///{fresh}")
            assert_one_line(result, 1, "Configuration error: ", "not migrated",
                            "python manage.py migrate")


@ABOUT_THE_COMMAND_LINE
def test_debug_when_syncing_then_each_line_printed_once(emulator):
    emulator.control.reset(contacts=30)
    result = sync("sync_hubspot_contacts", "--full", "--debug",
                     HUBSPOT_API_BASE_URL=emulator.url, HUBSPOT_SEARCH_REQUESTS_PER_SECOND="0",
                     HUBSPOT_ACCESS_TOKEN=emulator.token)
    assert result.returncode == 0, result.stderr
    requests = [line for line in result.stderr.splitlines() if "GET /crm/" in line]
    assert requests and len(requests) == len(set(requests))  # the default: dated paths
    assert sum("GET /crm/properties/2026-09/contacts " in line for line in requests) == 1
    assert emulator.token not in result.stderr


@ABOUT_THE_COMMAND_LINE
def test_help_when_listed_then_only_runnable_commands():
    result = run_python("manage.py", "help", env=clean_environment())
    assert result.returncode == 0 and "sync_hubspot_contacts" in result.stdout
    assert "base_hubspot_sync" not in result.stdout


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def web_server_that_is_not_hubspot():
    """A plain web server (an empty folder): every API path answers its own HTML 404."""
    with tempfile.TemporaryDirectory() as folder:
        handler = partial(QuietHandler, directory=folder)
        with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
            threading.Thread(target=server.serve_forever, daemon=True).start()
            try:
                yield f"http://127.0.0.1:{server.server_address[1]}"
            finally:
                server.shutdown()


@ABOUT_THE_COMMAND_LINE
def test_base_url_not_hubspot_when_syncing_then_one_404_and_points_at_the_setting():
    with web_server_that_is_not_hubspot() as url:
        result = sync("sync_hubspot_contacts", HUBSPOT_API_BASE_URL=url)
    assert_one_line(result, 1, f"HUBSPOT_API_BASE_URL={url}", "does not point at HubSpot")
    assert result.stderr.count("HTTP 404") == 1, result.stderr


@ABOUT_THE_COMMAND_LINE
def test_base_url_with_wrong_path_when_syncing_then_points_at_the_setting(emulator):
    wrong = f"{emulator.url}/hubspot"  # HubSpot answers an unknown path with its JSON 404
    result = sync("sync_hubspot_owners", HUBSPOT_API_BASE_URL=wrong,
                     HUBSPOT_ACCESS_TOKEN=emulator.token)
    assert_one_line(result, 1, "HTTP 404", f"HUBSPOT_API_BASE_URL={wrong}",
                    "does not point at HubSpot")


@ABOUT_THE_COMMAND_LINE
@pytest.mark.parametrize("command", [["sync_hubspot_contacts"], ["sync_hubspot_associations"],
                                     ["verify_hubspot"],
                                     ["verify_hubspot", "--types", "contacts"]])
def test_refused_token_when_run_then_configuration_error_saying_to_check_the_token(
        command, emulator):
    result = sync(*command, HUBSPOT_API_BASE_URL=emulator.url)  # not the emulator's token
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "HTTP 401" in result.stderr and "Check HUBSPOT_ACCESS_TOKEN" in result.stderr
    assert "ConfigurationError" not in result.stderr


@ABOUT_THE_COMMAND_LINE
def test_flag_that_cannot_apply_when_typed_then_one_line_exit_2_and_nothing_recorded(emulator):
    result = sync("sync_hubspot_owners", "--deletions", HUBSPOT_API_BASE_URL=emulator.url,
                     HUBSPOT_ACCESS_TOKEN=emulator.token)
    assert_one_line(result, 2, "--deletions does not apply to sync_hubspot_owners")
    assert not SyncHistory.objects.exists()
