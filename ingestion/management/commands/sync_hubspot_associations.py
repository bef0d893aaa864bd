from django.core.management.base import CommandError

from ingestion.sync.hubspot.engines.registry import UnknownObjectType, record_engines
from ingestion.sync.hubspot.errors import HubSpotError

from ..multi_sync import MultiSyncCommand
from ..outcomes import EXIT_USAGE, Wording, command_error


class Command(MultiSyncCommand):
    kinds = ("links job",)  # the flags it offers (sync_flags.py)
    help = ("Re-read the associations of every stored live record (1,000 records per request "
            "and target type) and make the stored links exactly HubSpot's, without reading the "
            "records: catches association changes, which do not change a record's modified "
            "time. Same as `sync_hubspot_<type> --links-only` for each type. Reports "
            "read/added/removed/unchanged/failed links per type.")
    title = "associations"
    job = "links"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--types", metavar="A,B", type=_names,
                            help="only these record types (e.g. contacts,deals or a custom "
                                 "type's 2-… id); default: every record type with links")

    def handle(self, *args, **opts):
        self.types = opts["types"]
        return super().handle(*args, **opts)

    def steps(self, client):
        try:
            yield from record_engines(self.types, client)
        except UnknownObjectType as error:
            raise CommandError(str(error), returncode=EXIT_USAGE) from None
        except HubSpotError as error:  # listing the custom object types (a refused token…)
            raise command_error(error, "custom object schemas",
                                Wording(failed="cannot list the record types")) from None


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]
