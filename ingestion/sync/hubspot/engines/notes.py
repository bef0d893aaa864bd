from ingestion.models import HubSpotNote

from .base import HubSpotBaseSyncEngine
from .engagements import ENGAGEMENT_ASSOCIATIONS


class HubSpotNoteSyncEngine(HubSpotBaseSyncEngine):
    object_type = "notes"
    model = HubSpotNote
    association_types = ENGAGEMENT_ASSOCIATIONS
    created_property = "hs_createdate"
