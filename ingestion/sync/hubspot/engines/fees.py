from ingestion.models import HubSpotFee

from .base import HubSpotBaseSyncEngine


class HubSpotFeeSyncEngine(HubSpotBaseSyncEngine):
    object_type = "fees"
    model = HubSpotFee
    created_property = "hs_createdate"
    association_types = ("quotes",)
