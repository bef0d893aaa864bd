from ingestion.models import HubSpotProduct

from .base import HubSpotBaseSyncEngine


class HubSpotProductSyncEngine(HubSpotBaseSyncEngine):
    object_type = "products"
    model = HubSpotProduct
