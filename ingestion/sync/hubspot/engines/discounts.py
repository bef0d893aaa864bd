from ingestion.models import HubSpotDiscount

from .base import HubSpotBaseSyncEngine


class HubSpotDiscountSyncEngine(HubSpotBaseSyncEngine):
    object_type = "discounts"
    model = HubSpotDiscount
    created_property = "hs_createdate"
    association_types = ("quotes",)
