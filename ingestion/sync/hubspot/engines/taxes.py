from ingestion.models import HubSpotTax

from .base import HubSpotBaseSyncEngine


class HubSpotTaxSyncEngine(HubSpotBaseSyncEngine):
    object_type = "taxes"
    model = HubSpotTax
    created_property = "hs_createdate"
    association_types = ("quotes",)
