from ingestion.models import HubSpotCart

from .base import HubSpotBaseSyncEngine


class HubSpotCartSyncEngine(HubSpotBaseSyncEngine):
    object_type = "carts"
    model = HubSpotCart
    created_property = "hs_createdate"
    association_types = ("contacts", "orders")
