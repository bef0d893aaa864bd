"""Conformance of the workflows endpoints: the calls Singer's tap-hubspot (`workflows`
stream: `GET /automation/v3/workflows`, no parameters, records under `workflows`, bookmark
`updatedAt` parsed as epoch milliseconds) and Airbyte's source-hubspot (`workflows`: the same
path, `data_field` `workflows`, cursor `updatedAt` and `insertedAt` in format `x`, i.e. epoch
ms; `contactListIds` unnested; scope `automation`) make, answered in HubSpot's shapes; and the
v4 flows API the mirror reads (docs/hubspot-api.md#workflows)."""

from __future__ import annotations

import pytest
from upstream import listing

pytestmark = pytest.mark.emulator

V3 = "/automation/v3/workflows"
FLOWS = "/automation/v4/flows"


def test_singer_workflows_when_read_then_every_field_its_schema_types_holds(api):
    answer = api.get(V3)
    assert answer.status_code == 200
    workflows = answer.json()["workflows"]
    assert workflows
    for flow in workflows:
        assert isinstance(flow["id"], int) and isinstance(flow["name"], str)
        assert isinstance(flow["enabled"], bool) and isinstance(flow["type"], str)
        # Singer parses both as UNIX milliseconds integers; Airbyte's format "x" too.
        assert isinstance(flow["insertedAt"], int) and isinstance(flow["updatedAt"], int)
        assert flow["updatedAt"] >= flow["insertedAt"]
        assert all(isinstance(tag, int) for tag in flow["personaTagIds"])
        lists = flow["contactListIds"]  # Airbyte unnests this object's keys
        assert isinstance(lists["enrolled"], int) and isinstance(lists["active"], int)
        assert isinstance(lists["steps"], list)


def test_airbyte_workflows_when_only_automation_scope_then_answered_else_403(api, emulator):
    emulator.control.set_token_scopes(["automation"])
    assert api.get(V3).status_code == 200 and api.get(FLOWS).status_code == 200
    emulator.control.set_token_scopes(["crm.objects.contacts.read"])
    denied = api.get(V3)
    assert denied.status_code == 403 and denied.json()["category"] == "MISSING_SCOPES"
    assert api.get(FLOWS).status_code == 403


def test_v4_flows_when_paged_then_same_flows_as_v3_and_batch_read_gives_definitions(api):
    summaries = listing(api, FLOWS, {"limit": 5})
    v3 = api.get(V3).json()["workflows"]
    assert sorted(int(f["id"]) for f in summaries) == sorted(f["id"] for f in v3)
    assert {"id", "name", "flowType", "isEnabled", "objectTypeId", "revisionId", "uuid",
            "createdAt", "updatedAt"} == set(summaries[0])
    body = {"inputs": [{"flowId": f["id"], "type": "FLOW_ID"} for f in summaries[:3]]
            + [{"flowId": "404", "type": "FLOW_ID"}]}
    full = api.post(f"{FLOWS}/batch/read", json=body).json()
    assert full["status"] == "COMPLETE"
    assert [f["id"] for f in full["results"]] == [f["id"] for f in summaries[:3]]
    assert all(f["actions"] and "enrollmentCriteria" in f for f in full["results"])
    one = api.get(f"{FLOWS}/{summaries[0]['id']}").json()
    assert one == full["results"][0]
    assert api.get(f"{FLOWS}/404").status_code == 404


def test_v4_flows_when_limit_past_maximum_or_cursor_unreadable_then_400(api):
    assert api.get(FLOWS, params={"limit": 101}).status_code == 400
    assert api.get(FLOWS, params={"after": "%%%"}).status_code == 400
