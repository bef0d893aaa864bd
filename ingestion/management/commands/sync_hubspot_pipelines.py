from ingestion.sync.hubspot.engines.pipelines import (
    HubSpotPipelineStageSyncEngine,
    HubSpotPipelineSyncEngine,
)

from ..multi_sync import MultiSyncCommand


class Command(MultiSyncCommand):
    kinds = ("definitions",)  # the flags it offers (sync_flags.py)
    help = ("Mirror HubSpot's deal and ticket pipelines and their stages (read in full every "
            "run; --force-overwrite replaces the local rows).")
    title = "pipelines and pipeline stages"

    def steps(self, client):
        yield HubSpotPipelineSyncEngine
        yield HubSpotPipelineStageSyncEngine
