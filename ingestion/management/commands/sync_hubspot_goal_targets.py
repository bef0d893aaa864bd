from ingestion.sync.hubspot.engines.goal_targets import HubSpotGoalTargetSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotGoalTargetSyncEngine
