from ingestion.models import HubSpotListing

from .base import HubSpotBaseSyncEngine


class HubSpotListingSyncEngine(HubSpotBaseSyncEngine):
    object_type = "listings"
    model = HubSpotListing
    created_property = "hs_createdate"
    association_types = ("contacts", "companies", "deals")
