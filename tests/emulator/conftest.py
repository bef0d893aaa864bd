"""Fixtures for the emulator's own tests (the `emulator` fixture comes from the plugin)."""

from __future__ import annotations

import httpx
import pytest

CONTACT = 10_000_000_000  # generated contact k has id CONTACT + k (k from 1)
COMPANY = 20_000_000_000


@pytest.fixture
def api(emulator):
    """An httpx client with the portal's bearer token."""
    with httpx.Client(
        base_url=emulator.url, timeout=30, headers={"Authorization": f"Bearer {emulator.token}"}
    ) as client:
        yield client
