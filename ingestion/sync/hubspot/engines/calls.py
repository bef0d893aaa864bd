from ingestion.models import HubSpotCall

from .base import HubSpotBaseSyncEngine
from .engagements import ENGAGEMENT_ASSOCIATIONS


class HubSpotCallSyncEngine(HubSpotBaseSyncEngine):
    object_type = "calls"
    model = HubSpotCall
    association_types = ENGAGEMENT_ASSOCIATIONS
    created_property = "hs_createdate"
