from ingestion.models import HubSpotProject

from .base import HubSpotBaseSyncEngine


class HubSpotProjectSyncEngine(HubSpotBaseSyncEngine):
    object_type = "projects"
    model = HubSpotProject
    created_property = "hs_createdate"
