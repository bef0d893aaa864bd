from ingestion.models import HubSpotTask

from .base import HubSpotBaseSyncEngine
from .engagements import ENGAGEMENT_ASSOCIATIONS


class HubSpotTaskSyncEngine(HubSpotBaseSyncEngine):
    object_type = "tasks"
    model = HubSpotTask
    association_types = ENGAGEMENT_ASSOCIATIONS
    created_property = "hs_createdate"
