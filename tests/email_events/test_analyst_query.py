"""The open and click rates query of docs/analysts.md, run as written there on a mirror
synced from the emulator, against the same rates worked out from the emulator's events."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from sync_commands import run_command
from upstream import listing

pytestmark = pytest.mark.django_db(transaction=True)


def documented_rates_query() -> str:
    text = (Path(__file__).resolve().parents[2] / "docs" / "analysts.md").read_text()
    blocks = [block.split("```", 1)[0] for block in text.split("```sql\n")[1:]]
    (query,) = [block for block in blocks if "FROM hubspot_email_event" in block]
    return query


def expected_rates(api) -> dict[int, tuple]:
    """Per campaign: (name, delivered, opened, clicked, open %, click %) from HubSpot's side."""
    events = listing(api, "/email/public/v1/events", {"limit": 1000}, key="events")
    out = {}
    for campaign in {e["emailCampaignId"] for e in events}:
        mine = [e for e in events if e["emailCampaignId"] == campaign
                and not e.get("filteredEvent")]
        reached = {kind: len({e["recipient"] for e in mine if e["type"] == kind})
                   for kind in ("DELIVERED", "OPEN", "CLICK")}
        name = api.get(f"/email/public/v1/campaigns/{campaign}").json()["name"]
        delivered = reached["DELIVERED"]
        out[campaign] = (name, delivered, reached["OPEN"], reached["CLICK"],
                         round(100 * reached["OPEN"] / delivered, 1),
                         round(100 * reached["CLICK"] / delivered, 1))
    return out


def test_rates_query_when_run_on_a_synced_mirror_then_matches_hubspots_events(hubspot, api):
    run_command("sync_hubspot_email_events")
    run_command("sync_hubspot_email_campaigns")
    with connection.cursor() as cursor:
        cursor.execute(documented_rates_query())
        rows = cursor.fetchall()
    got = {row[0]: (row[1], row[2], row[3], row[4], float(row[5]), float(row[6]))
           for row in rows}
    assert got == expected_rates(api) and len(got) == 4
    assert all(0 < rates[4] <= 100 for rates in got.values())
