"""The open and click rates query of the README's "For analysts", run as written there on a mirror
synced from the emulator, against the same rates worked out from the emulator's events."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from sync_commands import run_command
from upstream import listing

pytestmark = pytest.mark.django_db(transaction=True)


def documented_rates_query() -> str:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = [block.split("```", 1)[0] for block in text.split("```sql\n")[1:]]
    (query,) = [block for block in blocks if "FROM hubspot_email_event" in block]
    return query


def expected_counts(api) -> dict[int, tuple]:
    """Per campaign: (name, delivered, opened, clicked) recipients, from HubSpot's side."""
    events = listing(api, "/email/public/v1/events", {"limit": 1000}, key="events")
    out = {}
    for campaign in {e["emailCampaignId"] for e in events}:
        mine = [e for e in events if e["emailCampaignId"] == campaign
                and not e.get("filteredEvent")]
        reached = {kind: len({e["recipient"] for e in mine if e["type"] == kind})
                   for kind in ("DELIVERED", "OPEN", "CLICK")}
        name = api.get(f"/email/public/v1/campaigns/{campaign}").json()["name"]
        out[campaign] = (name, reached["DELIVERED"], reached["OPEN"], reached["CLICK"])
    return out


def test_rates_query_when_run_on_a_synced_mirror_then_matches_hubspots_events(hubspot, api):
    run_command("sync_hubspot_email_events")
    run_command("sync_hubspot_email_campaigns")
    with connection.cursor() as cursor:
        cursor.execute(documented_rates_query())
        rows = cursor.fetchall()
    assert {row[0]: row[1:5] for row in rows} == expected_counts(api) and len(rows) == 4
    for _campaign, _name, delivered, opened, clicked, open_pct, click_pct in rows:
        # Rounded to one decimal by the database (its own rounding of halves).
        assert abs(float(open_pct) - 100 * opened / delivered) <= 0.05 + 1e-9
        assert abs(float(click_pct) - 100 * clicked / delivered) <= 0.05 + 1e-9
        assert 0 < opened <= delivered
