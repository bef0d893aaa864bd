from ingestion.sync.hubspot.engines.feedback_submissions import HubSpotFeedbackSubmissionSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotFeedbackSubmissionSyncEngine
