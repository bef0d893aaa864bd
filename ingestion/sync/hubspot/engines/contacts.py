from ingestion.models import HubSpotContact

from .base import HubSpotBaseSyncEngine


class HubSpotContactSyncEngine(HubSpotBaseSyncEngine):
    object_type = "contacts"
    model = HubSpotContact
    modified_property = "lastmodifieddate"
    association_types = ("companies", "deals", "tickets")
    mergeable = True
