from ingestion.models import HubSpotLineItem

from .base import HubSpotBaseSyncEngine


class HubSpotLineItemSyncEngine(HubSpotBaseSyncEngine):
    object_type = "line_items"
    model = HubSpotLineItem
    association_types = ("deals",)
