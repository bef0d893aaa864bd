from ingestion.models import HubSpotFeedbackSubmission

from .base import HubSpotBaseSyncEngine


class HubSpotFeedbackSubmissionSyncEngine(HubSpotBaseSyncEngine):
    object_type = "feedback_submissions"
    model = HubSpotFeedbackSubmission
    created_property = "hs_createdate"
    association_types = ("contacts", "tickets")
