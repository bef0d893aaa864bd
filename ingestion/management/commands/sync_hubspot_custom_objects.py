from ingestion.sync.hubspot.engines.custom_objects import custom_object_engines

from ..multi_sync import MultiSyncCommand


class Command(MultiSyncCommand):
    kinds = ("definitions", "records")  # the flags it offers (sync_flags.py)
    help = ("Mirror every HubSpot custom object type found through the schemas API: the "
            "schemas, then each type's records (incremental by default, --full for everything, "
            "--force-overwrite to replace local rows).")
    title = "custom object schemas and records"

    def steps(self, client):
        yield from custom_object_engines(client)
