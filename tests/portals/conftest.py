"""Fixtures of the portals tests: a second emulated portal (its own server, token and Hub ID, its
contacts' ids far from the first's), and portals `a` and `b` registered the way an operator
does (`hubspot_portal add`), their schemas or files dropped after each test."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from hubspot_emulator.testing import start_emulator
from ingestion.base.scopes import drop_scope, scope_exists, scope_for, use_scope

# Every name a test here registers: their scopes are dropped after each test.
NAMES = ("a", "b", "gone", "kept", "oauth_one")
SECOND_PORTAL = {"contacts": 25, "seed": 2, "rate_limit": "none", "portal_id": 2002,
                 "id_bases": {"contacts": 7_000_000}}


@pytest.fixture(scope="session")
def second_server(emulator_server):
    """The same app as the session emulator's (its client id and secret: one app installed
    in every portal, as the webhooks journal reads them)."""
    with start_emulator(token="token-of-b", client_id=emulator_server.client_id,
                        client_secret=emulator_server.client_secret, **SECOND_PORTAL) as running:
        yield running


@pytest.fixture
def second(second_server):
    second_server.control.reset(**SECOND_PORTAL)
    return second_server


@pytest.fixture
def scopes_dropped(transactional_db):
    """After the test, the scopes of NAMES emptied (the test database's flush reaches only
    the implicit portal's tables): a migrated scope keeps its tables, flushed, so the next
    test's `hubspot_portal add` finds its migrations applied instead of running all of them
    again (seconds per portal); any other is dropped."""
    yield
    for name in NAMES:
        scope = scope_for(name)
        if scope_exists(scope) and _migrated(scope):
            with use_scope(scope):
                call_command("flush", interactive=False, verbosity=0)
        else:
            drop_scope(scope)


def _migrated(scope) -> bool:
    """Whether every migration is applied in `scope` (a test may leave one half made)."""
    with use_scope(scope):
        executor = MigrationExecutor(connection)
        return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def portal_command(*args: str) -> str:
    out = io.StringIO()
    call_command("hubspot_portal", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def two_portals(hubspot, second, monkeypatch, scopes_dropped):
    """Portal a on the session emulator (its id learnt from HubSpot), b on the second one."""
    monkeypatch.setenv("PORTAL_A_TOKEN", hubspot.token)
    monkeypatch.setenv("PORTAL_B_TOKEN", second.token)
    portal_command("add", "a", "--token-env", "PORTAL_A_TOKEN", "--base-url", hubspot.url)
    portal_command("add", "b", "--token-env", "PORTAL_B_TOKEN", "--base-url", second.url,
                   "--portal-id", "2002")
    return hubspot, second
