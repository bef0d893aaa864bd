from ingestion.models import HubSpotCompany

from .base import HubSpotBaseSyncEngine


class HubSpotCompanySyncEngine(HubSpotBaseSyncEngine):
    object_type = "companies"
    model = HubSpotCompany
    association_types = ("contacts", "deals", "tickets")
    mergeable = True
