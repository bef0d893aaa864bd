"""pytest fixtures: `emulator_server` (one per session, in a thread) and `emulator` (reset to
a small default portal for each test).

Enable with `pytest_plugins = ["hubspot_emulator.pytest_plugin"]`. The API and control token
is `"test-token"`; `emulator.control` already sends it. The webhooks journal's app has client
id `emulator.client_id` (`"emulator-app"`) and a random secret `emulator.client_secret`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import PORTAL_ID
from .testing import RunningEmulator, start_emulator

# The portal id too: a reset keeps the id unless given, and a test may have changed it.
DEFAULT_PORTAL = {"contacts": 40, "seed": 1, "rate_limit": "none", "portal_id": PORTAL_ID}


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[RunningEmulator]:
    with start_emulator(token="test-token", **DEFAULT_PORTAL) as running:
        yield running


@pytest.fixture
def emulator(emulator_server: RunningEmulator) -> RunningEmulator:
    """The session emulator, reset: 40 contacts, seed 1, portal `PORTAL_ID`, no rate limit,
    no faults, real clock."""
    emulator_server.control.reset(**DEFAULT_PORTAL)
    emulator_server.control.set_clock(None)
    return emulator_server
