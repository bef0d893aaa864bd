"""Fixtures of the operators' views: a portal mirrored by real syncs against the emulator."""

from __future__ import annotations

import pytest
from sync_commands import run_command


@pytest.fixture
def synced(hubspot):
    """Every type mirrored from the emulator (full, then incremental), then verified."""
    run_command("sync_hubspot_all", "--full")
    run_command("sync_hubspot_all")
    run_command("verify_hubspot")
    return hubspot
