from ingestion.models import HubSpotDeal

from .base import HubSpotBaseSyncEngine


class HubSpotDealSyncEngine(HubSpotBaseSyncEngine):
    object_type = "deals"
    model = HubSpotDeal
    association_types = ("contacts", "companies", "tickets", "line_items")
