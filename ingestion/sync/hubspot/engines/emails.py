from ingestion.models import HubSpotEmail

from .base import HubSpotBaseSyncEngine
from .engagements import ENGAGEMENT_ASSOCIATIONS


class HubSpotEmailSyncEngine(HubSpotBaseSyncEngine):
    object_type = "emails"
    model = HubSpotEmail
    association_types = ENGAGEMENT_ASSOCIATIONS
    created_property = "hs_createdate"
