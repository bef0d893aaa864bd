"""The access token never leaves the process: not when HubSpot (or a proxy) echoes it back in
an error, on any path a message takes — the command's output, the run's recorded error, the
per-record errors, the logs (even with --debug)."""

from __future__ import annotations

import io
import logging

import pytest
from contacts_runs import CONTACTS_LIST
from django.core.management import call_command
from django.core.management.base import CommandError

from hubspot_emulator.testing import start_emulator
from ingestion.models import SyncError, SyncHistory

pytestmark = pytest.mark.django_db(transaction=True)

TOKENS = {
    "private-app-token": "pat-na1-11111111-2222-3333-4444-555555555555",
    "opaque-token": "Zq7opaqueSecretValue0123456789xyz",  # masked as a known secret only
}


@pytest.fixture(params=list(TOKENS))
def portal(request, settings):
    """An emulator of its own whose API token is the one under test."""
    token = TOKENS[request.param]
    with start_emulator(token=token, contacts=40, seed=1, rate_limit="none") as running:
        settings.HUBSPOT_API_BASE_URL = running.url
        settings.HUBSPOT_ACCESS_TOKEN = token
        settings.HUBSPOT_RETRY_INITIAL_WAIT = 0.01
        settings.HUBSPOT_MAX_ATTEMPTS = 3
        settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND = None
        settings.HUBSPOT_API_VERSION = "legacy"  # the paths the faults below name
        yield running


@pytest.fixture
def ingestion_logs(caplog):
    """Every record the `ingestion` loggers emit, at DEBUG; --debug's handlers removed after."""
    logger = logging.getLogger("ingestion")
    handlers, level = list(logger.handlers), logger.level
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG, logger="ingestion")
    yield caplog
    for handler in logger.handlers[:]:
        if handler not in handlers:
            logger.removeHandler(handler)
    logger.setLevel(level)


def _sync(*flags: str) -> tuple[str, CommandError | None]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("sync_hubspot_contacts", *flags, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue() + err.getvalue() + str(error), error
    return out.getvalue() + err.getvalue(), None


def test_errors_echoing_the_token_when_syncing_then_token_in_no_output_record_or_log(
        portal, ingestion_logs, capsys):
    token = portal.token
    shown: list[str] = []

    # Association reads answer 400 quoting our Authorization header: each record fails
    # with that message (a SyncError row), the run ends partial.
    portal.control.set_faults(rate=1.0, kinds=["echo_auth"], status=400,
                              match={"path_prefix": "/crm/v4/associations"})
    text, error = _sync("--full", "--debug")
    shown.append(text)
    assert error is not None and error.returncode == 3
    assert SyncError.objects.filter(reason__contains="Authorization").exists()

    # Listing answers 500 quoting it: retried (each retry logged), then fatal.
    portal.control.set_faults(rate=1.0, kinds=["echo_auth"], status=500,
                              match={"method": "GET", "path_prefix": CONTACTS_LIST})
    text, error = _sync("--full", "--debug")
    shown.append(text)
    assert error is not None and error.returncode == 1
    assert "Authorization" in str(error)

    # The first request answers 401 quoting it.
    portal.control.set_faults(script=[{"kind": "echo_auth", "status": 401}])
    text, error = _sync("--debug")
    shown.append(text)
    assert error is not None and "401" in str(error)
    portal.control.clear_faults()

    captured = capsys.readouterr()
    shown += [captured.out, captured.err, ingestion_logs.text]
    shown += [r.getMessage() for r in ingestion_logs.records]
    shown += list(SyncHistory.objects.values_list("error_message", flat=True))
    shown += list(SyncError.objects.values_list("reason", flat=True))
    assert "retrying after" in ingestion_logs.text  # the logs were captured
    assert SyncHistory.objects.filter(error_message__contains="Authorization").count() == 2
    for place in shown:
        assert token not in place
