"""Deal and ticket pipelines, and their stages: two engines over the same endpoint."""

from decimal import Decimal

from ingestion.base.results import SyncResult
from ingestion.models import HubSpotPipeline, HubSpotPipelineStage

from .. import catalog
from .definitions import HubSpotDefinitionSyncEngine, integer
from .properties import rebuild_typed_views
from .standard import RECORD_ENGINES


class HubSpotPipelineSyncEngine(HubSpotDefinitionSyncEngine):
    object_type = "pipelines"
    model = HubSpotPipeline
    plan_listings = len(catalog.PIPELINE_OBJECT_TYPES)  # one listing per object type

    def items(self):
        for object_type in catalog.PIPELINE_OBJECT_TYPES:
            yield [(object_type, p) for p in catalog.pipelines(self.client, object_type)]

    def row(self, item):
        object_type, pipeline = item
        return pipeline, {
            "id": f"{object_type}:{pipeline['id']}", "object_type": object_type,
            "pipeline_id": str(pipeline["id"]), "label": pipeline.get("label"),
            "display_order": integer(pipeline.get("displayOrder"))}


class HubSpotPipelineStageSyncEngine(HubSpotDefinitionSyncEngine):
    object_type = "pipeline_stages"
    model = HubSpotPipelineStage
    plan_listings = len(catalog.PIPELINE_OBJECT_TYPES)

    def items(self):
        for object_type in catalog.PIPELINE_OBJECT_TYPES:
            yield [(object_type, str(p["id"]), stage)
                   for p in catalog.pipelines(self.client, object_type)
                   for stage in p.get("stages") or []]

    def run(self, *, within=None) -> SyncResult:
        result = super().run(within=within)
        if not self.options.dry_run and result.complete:
            # Each stage has its stage calculated properties, each a typed view column
            # (stage_properties.py): a new stage is a new column.
            rebuild_typed_views(RECORD_ENGINES)
        return result

    def row(self, item):
        object_type, pipeline_id, stage = item
        metadata = stage.get("metadata") or {}
        closed = metadata.get("isClosed")
        probability = metadata.get("probability")
        return stage, {
            "id": f"{object_type}:{pipeline_id}:{stage['id']}", "object_type": object_type,
            "pipeline_id": pipeline_id, "stage_id": str(stage["id"]),
            "pipeline": f"{object_type}:{pipeline_id}", "label": stage.get("label"),
            "display_order": integer(stage.get("displayOrder")), "metadata": metadata,
            "is_closed": None if closed is None else str(closed).lower() == "true",
            "probability": None if probability in (None, "") else Decimal(str(probability)),
            "ticket_state": metadata.get("ticketState")}
