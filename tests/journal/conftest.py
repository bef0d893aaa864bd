"""Journal tests: the emulator's app credentials in the settings, a mirror of contacts and
companies (and lists), and the journal set up."""

from __future__ import annotations

import pytest
from sync_commands import run_command


@pytest.fixture
def app(hubspot, settings):
    """The emulator's app: its client credentials in the settings (the journal's token)."""
    settings.HUBSPOT_CLIENT_ID = hubspot.client_id
    settings.HUBSPOT_CLIENT_SECRET = hubspot.client_secret
    settings.HUBSPOT_JOURNAL_POLL_SECONDS = 0.2
    return hubspot


@pytest.fixture
def journal(app):
    """A mirror of companies, contacts and lists, then the journal set up after it (the
    journal holds only what changes once its subscriptions exist)."""
    run_command("sync_hubspot_companies", "--full")
    run_command("sync_hubspot_contacts", "--full")
    run_command("sync_hubspot_lists")
    run_command("setup_hubspot_journal")
    return app
