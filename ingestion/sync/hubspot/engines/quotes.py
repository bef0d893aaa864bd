from ingestion.models import HubSpotQuote

from .base import HubSpotBaseSyncEngine


class HubSpotQuoteSyncEngine(HubSpotBaseSyncEngine):
    object_type = "quotes"
    model = HubSpotQuote
    created_property = "hs_createdate"
    association_types = ("contacts", "companies", "deals")
