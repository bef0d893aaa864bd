from ingestion.models import HubSpotUser

from .base import HubSpotBaseSyncEngine


class HubSpotUserSyncEngine(HubSpotBaseSyncEngine):
    object_type = "users"
    model = HubSpotUser
    created_property = "hs_createdate"
