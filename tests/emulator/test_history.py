"""`propertiesWithHistory` on batch read: at most 50 inputs (docs/hubspot-api.md#property-history);
every write is a version."""

import pytest

pytestmark = pytest.mark.emulator


def _read(api, ids, **extra):
    return api.post("/crm/v3/objects/contacts/batch/read",
                    json={"inputs": [{"id": str(i)} for i in ids], **extra})


def test_batch_read_when_history_with_more_than_50_inputs_then_400(emulator, api):
    ids = [10000000001 + n for n in range(51)]
    assert _read(api, ids, propertiesWithHistory=["email"]).status_code == 400
    assert _read(api, ids[:50], propertiesWithHistory=["email"]).status_code in (200, 207)
    assert _read(api, ids + ids[:49]).status_code in (200, 207)  # without history: 100


def test_batch_read_when_property_written_twice_then_both_versions_newest_first(emulator,
                                                                                  api):
    for stage in ("lead", "customer"):
        emulator.control.update("contacts", "10000000001", {"lifecyclestage": stage})
    [record] = _read(api, [10000000001], propertiesWithHistory=["lifecyclestage"]).json()[
        "results"]
    versions = record["propertiesWithHistory"]["lifecyclestage"]
    assert [v["value"] for v in versions[:2]] == ["customer", "lead"]
    assert versions[0]["sourceType"] == "CRM_UI" and versions[0]["timestamp"]
