from ingestion.models import HubSpotCommunication

from .base import HubSpotBaseSyncEngine
from .engagements import ENGAGEMENT_ASSOCIATIONS


class HubSpotCommunicationSyncEngine(HubSpotBaseSyncEngine):
    object_type = "communications"
    model = HubSpotCommunication
    created_property = "hs_createdate"
    association_types = ENGAGEMENT_ASSOCIATIONS
