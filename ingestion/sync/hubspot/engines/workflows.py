"""Workflows: every automation flow with its definition, read whole every run (HubSpot lists
flows with no modified-since filter). docs/hubspot-api.md#workflows:

- dated settings: `GET /automation/v4/flows` lists summaries (`after` paging); each page's
  definitions (actions, enrollment criteria …) come from one `POST …/flows/batch/read`;
- legacy: `GET /automation/v3/workflows` answers every workflow at once under `workflows`,
  summaries only, with epoch-millisecond `insertedAt`/`updatedAt`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ingestion.base.results import RecordError
from ingestion.models import HubSpotWorkflow

from ..limits import FLOWS_PAGE
from ..replies import Listing, keyed
from .definitions import flag, text
from .sources import HubSpotSourceSyncEngine


class HubSpotWorkflowSyncEngine(HubSpotSourceSyncEngine):
    object_type = "workflows"
    model = HubSpotWorkflow
    created_fields = ("createdAt", "insertedAt")  # flows API, v3 API

    def probe(self) -> None:
        self.client.request("GET", self.client.paths.workflows(), params={"limit": 1},
                            shape=self._shape())

    def pages(self, since: datetime | None) -> Iterator[list]:
        paths = self.client.paths
        if paths.legacy:
            yield from self.listed(paths.workflows(), {}, shape=self._shape())
            return
        for page in self.listed(paths.workflows(), {"limit": FLOWS_PAGE}):
            yield page.carrying(self._definitions(page))

    def _definitions(self, summaries: list) -> list:
        """The page's flows in full; a summary HubSpot gives no definition for stays as it
        is (an entry that is not a flow is left to `row` to report)."""
        ids = [str(s["id"]) for s in summaries if isinstance(s, dict) and s.get("id")]
        if not ids:
            return summaries
        body = {"inputs": [{"flowId": flow_id, "type": "FLOW_ID"} for flow_id in ids]}
        reply = self.client.request("POST", self.client.paths.workflows_batch_read(),
                                    json=body)
        full = {str(f["id"]): f for f in reply.results if isinstance(f, dict) and f.get("id")}
        return [full.get(str(s.get("id")), s) if isinstance(s, dict) else s
                for s in summaries]

    def _shape(self) -> type[Listing]:
        return keyed("workflows") if self.client.paths.legacy else Listing

    def row(self, flow: dict) -> tuple[dict, dict]:
        if not flow.get("id"):
            raise RecordError("", "a workflow without an id")
        return flow, {
            "id": str(flow["id"]), "name": flow.get("name"),
            "flow_type": flow.get("flowType") or flow.get("type"),
            "object_type_id": flow.get("objectTypeId"),
            "enabled": flag(flow.get("isEnabled", flow.get("enabled"))),
            "revision_id": text(flow.get("revisionId"))}

