from ingestion.models import HubSpotOrder

from .base import HubSpotBaseSyncEngine


class HubSpotOrderSyncEngine(HubSpotBaseSyncEngine):
    object_type = "orders"
    model = HubSpotOrder
    created_property = "hs_createdate"
    association_types = ("contacts", "companies", "deals")
