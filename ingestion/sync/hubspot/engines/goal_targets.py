from ingestion.models import HubSpotGoalTarget

from .base import HubSpotBaseSyncEngine


class HubSpotGoalTargetSyncEngine(HubSpotBaseSyncEngine):
    object_type = "goal_targets"
    model = HubSpotGoalTarget
    created_property = "hs_createdate"
