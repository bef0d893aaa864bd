from ingestion.models import HubSpotService

from .base import HubSpotBaseSyncEngine


class HubSpotServiceSyncEngine(HubSpotBaseSyncEngine):
    object_type = "services"
    model = HubSpotService
    created_property = "hs_createdate"
    association_types = ("contacts", "companies", "deals")
