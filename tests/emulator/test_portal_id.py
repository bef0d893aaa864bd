"""The portal id is each emulator's own (`portal_id`, `--portal-id`; BEHAVIOR.md "Portal id"):
account details, journal files and events, the journal's `installPortalId`, webhook
deliveries and custom object names all carry it, and a reset keeps it unless given again."""

from __future__ import annotations

import httpx
import pytest

from hubspot_emulator import PORTAL_ID
from hubspot_emulator.__main__ import parse_args
from hubspot_emulator.testing import spawn_emulator, start_emulator

from .conftest import CONTACT, JOURNAL, app_token, subscribe
from .test_journal import files
from .test_webhooks import Receiver, configure, deliver

OTHER_ID = 5_550_123
PORTAL = {"contacts": 5, "seed": 1, "portal_id": OTHER_ID}


@pytest.fixture(scope="module")
def other_server():
    with start_emulator(token="token-of-other", **PORTAL) as running:
        yield running


@pytest.fixture
def other(other_server):
    """An emulator that is portal OTHER_ID, freshly reset."""
    other_server.control.reset(**PORTAL)
    return other_server


def client(other, token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=other.url, timeout=30,
                        headers={"Authorization": f"Bearer {token or other.token}"})


def details(other) -> dict:
    with client(other) as api:
        return api.get("/account-info/v3/details").json()


def rename(other, firstname: str) -> None:
    with client(other) as api:
        api.patch(f"/crm/v3/objects/contacts/{CONTACT + 1}",
                  json={"properties": {"firstname": firstname}}).raise_for_status()


def test_account_details_when_portal_id_configured_then_that_id(other):
    assert details(other)["portalId"] == OTHER_ID == other.portal_id
    assert other.control.health()["portal_id"] == OTHER_ID
    with client(other) as api:
        pets = api.get("/crm/v3/schemas/pets").json()
    assert pets["fullyQualifiedName"] == f"p{OTHER_ID}_pets"
    assert pets["portalId"] == OTHER_ID


def test_journal_when_portal_id_configured_then_files_events_and_filter_use_it(other):
    token = app_token(other).json()["access_token"]
    with client(other, token) as journal:
        subscribe(journal, portalId=OTHER_ID)
        rename(other, "Other")
        [file] = files(journal)
        assert file["portalId"] == OTHER_ID
        assert [e["portalId"] for e in file["journalEvents"]] == [OTHER_ID]
        own = journal.get(f"{JOURNAL}/earliest", params={"installPortalId": OTHER_ID})
        assert own.status_code == 200
        default = journal.get(f"{JOURNAL}/earliest", params={"installPortalId": PORTAL_ID})
        assert default.status_code == 204  # the default id is another portal here


def test_journal_when_subscribed_for_the_default_id_then_nothing_written(other):
    token = app_token(other).json()["access_token"]
    with client(other, token) as journal:
        subscribe(journal, portalId=PORTAL_ID)
        rename(other, "Nobody's")
        assert journal.get(f"{JOURNAL}/earliest").status_code == 204


def test_webhooks_when_portal_id_configured_then_deliveries_carry_it(other):
    receiver = Receiver()
    try:
        configure(other, receiver)
        rename(other, "Hooked")
        events = deliver(other, receiver)
    finally:
        receiver.close()
    assert events and {e["portalId"] for e in events} == {OTHER_ID}


def test_reset_when_portal_id_not_given_then_kept_and_when_given_then_changed(other):
    other.control.reset(contacts=3)
    assert details(other)["portalId"] == OTHER_ID
    other.control.reset(contacts=3, portal_id=777)
    assert details(other)["portalId"] == 777 == other.portal_id
    for bad in (0, -1, "12", True):
        with pytest.raises(RuntimeError, match="portal_id"):
            other.control.reset(portal_id=bad)
    assert details(other)["portalId"] == 777


def test_cli_when_portal_id_flag_then_the_subprocess_is_that_portal():
    assert parse_args(["--token", "t"]).portal_id == PORTAL_ID
    with spawn_emulator(contacts=2, extra_args=["--portal-id", "31"]) as running:
        assert running.portal_id == 31
        assert details(running)["portalId"] == 31
