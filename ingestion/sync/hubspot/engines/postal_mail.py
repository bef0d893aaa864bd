from ingestion.models import HubSpotPostalMail

from .base import HubSpotBaseSyncEngine
from .engagements import ENGAGEMENT_ASSOCIATIONS


class HubSpotPostalMailSyncEngine(HubSpotBaseSyncEngine):
    object_type = "postal_mail"
    model = HubSpotPostalMail
    created_property = "hs_createdate"
    association_types = ENGAGEMENT_ASSOCIATIONS
