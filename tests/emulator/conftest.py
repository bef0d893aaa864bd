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


# -- the webhooks journal's app (test_journal*.py) --------------------------------------------

JOURNAL = "/webhooks-journal/journal-local/2026-03"
SUBSCRIPTIONS = "/webhooks-journal/subscriptions/2026-03"


def app_token(emulator, scope: str | None = None, **form) -> httpx.Response:
    """The client-credentials grant with the fixture's app credentials (overridable)."""
    data = {"grant_type": "client_credentials", "client_id": emulator.client_id,
            "client_secret": emulator.client_secret, **form}
    if scope is not None:
        data["scope"] = scope
    return httpx.post(f"{emulator.url}/oauth/v1/token", data=data)


@pytest.fixture
def journal(emulator):
    """An httpx client with an app token holding every journal scope."""
    token = app_token(emulator).json()["access_token"]
    with httpx.Client(base_url=emulator.url, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def subscribe(client, kind: str = "OBJECT", object_type_id: str | None = "0-1",
              **fields) -> dict:
    """Upsert a subscription of `kind` taking every action and everything (empty lists)."""
    from hubspot_emulator import PORTAL_ID
    from hubspot_emulator.journal_subs import KINDS

    actions, list_fields = KINDS[kind]
    body = {"subscriptionType": kind, "portalId": PORTAL_ID, "actions": list(actions),
            **{name: [] for name in list_fields}}
    if object_type_id is not None:
        body["objectTypeId"] = object_type_id
    body.update(fields)
    response = client.post(SUBSCRIPTIONS, json=body)
    assert response.status_code == 200, response.text
    return response.json()
