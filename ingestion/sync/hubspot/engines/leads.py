from ingestion.models import HubSpotLead

from .base import HubSpotBaseSyncEngine


class HubSpotLeadSyncEngine(HubSpotBaseSyncEngine):
    object_type = "leads"
    model = HubSpotLead
    created_property = "hs_createdate"
    association_types = ("contacts", "companies")
