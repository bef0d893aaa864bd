from ingestion.models import HubSpotMeeting

from .base import HubSpotBaseSyncEngine
from .engagements import ENGAGEMENT_ASSOCIATIONS


class HubSpotMeetingSyncEngine(HubSpotBaseSyncEngine):
    object_type = "meetings"
    model = HubSpotMeeting
    association_types = ENGAGEMENT_ASSOCIATIONS
    created_property = "hs_createdate"
