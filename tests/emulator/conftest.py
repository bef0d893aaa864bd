"""Fixtures for the emulator's own tests (the `emulator` fixture comes from the plugin)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest


def pytest_collection_modifyitems(config, items) -> None:
    """Everything in this folder is the emulator's own suite (marker `emulator`): it touches
    no database, so `-m emulator` / `-m "not emulator"` run either half alone."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.emulator)


CONTACT = 10_000_000_000  # generated contact k has id CONTACT + k (k from 1)
COMPANY = 20_000_000_000


@pytest.fixture
def api(emulator):
    """An httpx client with the portal's bearer token."""
    with httpx.Client(
        base_url=emulator.url, timeout=30, headers={"Authorization": f"Bearer {emulator.token}"}
    ) as client:
        yield client
