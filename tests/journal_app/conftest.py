"""The webhooks journal's app: the emulator's app client credentials in the settings (the
fixture that starts the emulator configures them: `client_id`, `client_secret`)."""

from __future__ import annotations

import pytest

SUBSCRIPTIONS = "/webhooks-journal/subscriptions/2026-03"
TOKEN = "/oauth/v1/token"


@pytest.fixture
def app(hubspot, settings):
    settings.HUBSPOT_CLIENT_ID = hubspot.client_id
    settings.HUBSPOT_CLIENT_SECRET = hubspot.client_secret
    settings.HUBSPOT_REFRESH_TOKEN = ""
    return hubspot


def requests_to(emulator, path: str, method: str | None = None) -> int:
    """How many requests the emulator answered on `path` (its stats count by path)."""
    return emulator.control.stats()["by_path"].get(path, 0)


def set_app_scopes(emulator, scopes: list[str] | None) -> None:
    """The scopes the emulator's app has (None: all of them)."""
    emulator.control.set_app_scopes(scopes)
