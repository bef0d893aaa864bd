"""Newest wins inside one run: the same id read twice in a full run (in one batch, the next
or a later one) is saved and counted once, as its newer copy; with --force-overwrite the
later read wins. End to end, contacts against the emulator over HTTP."""

from __future__ import annotations

from datetime import datetime

import pytest
from contacts_runs import CONTACTS_LIST, contacts, everything_upstream

from ingestion.models import HubSpotContact

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]


# -- 14. newest wins inside a run --------------------------------------------------------------

FIRST_REAL_CURSOR = "10000000001"  # the first contact: the listing then starts from the top


def _fake(object_id: str, firstname: str, updated: str) -> dict:
    created = "2025-01-01T00:00:00.000Z"
    return {"id": object_id, "createdAt": created, "updatedAt": updated, "archived": False,
            "properties": {"hs_object_id": object_id, "firstname": firstname,
                           "email": f"{firstname.lower()}.{object_id}@example.com",
                           "createdate": created, "lastmodifieddate": updated}}


REPEATED, OTHER = "19999999991", "19999999992"  # ids HubSpot's real listing does not have
NEWER = _fake(REPEATED, "Newer", "2025-06-02T00:00:00.000Z")
OLDER = _fake(REPEATED, "Older", "2025-06-01T00:00:00.000Z")

LAYOUTS = {  # pages served before the real listing, and the batch size of the run
    "same-batch": ([[NEWER], [OLDER]], "100"),
    "next-batch": ([[NEWER], [OLDER]], "1"),
    "later-batch": ([[NEWER], [_fake(OTHER, "Other", "2025-06-03T00:00:00.000Z")], [OLDER]],
                    "1"),
}


@pytest.mark.parametrize("force", [False, True], ids=["normal", "force-overwrite"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_same_id_read_newer_then_older_when_full_run_then_newest_kept_and_counted_once(
        hubspot, api, layout, force):
    pages, batch_size = LAYOUTS[layout]
    script = [{"kind": "body", "body": {"results": page, "paging": {"next": {"after": (
        FIRST_REAL_CURSOR if n == len(pages) - 1 else f"fake-{n}")}}}}
        for n, page in enumerate(pages)]
    distinct = everything_upstream(api) | {r["id"] for page in pages for r in page}
    hubspot.control.set_faults(script=script, match={"method": "GET",
                                                     "path_prefix": CONTACTS_LIST})

    flags = ["--full", "--batch-size", batch_size] + (["--force-overwrite", "--noinput"]
                                                      if force else [])
    counts = contacts(*flags)

    assert hubspot.control.stats()["faults_injected"] == len(pages)
    assert counts["fetched"] == counts["created"] == len(distinct)
    assert counts["updated"] == counts["overwritten"] == counts["failed"] == 0
    assert set(HubSpotContact.objects.values_list("pk", flat=True)) == distinct
    row = HubSpotContact.objects.get(pk=REPEATED)
    expected = OLDER if force else NEWER  # force overwrite: the later read wins
    assert row.firstname == expected["properties"]["firstname"]
    assert row.updated_at == datetime.fromisoformat(expected["updatedAt"])
    assert row.properties["firstname"] == expected["properties"]["firstname"]
