"""build_hubspot_views: (re)create the typed views (`hubspot_contact_v` …) from the synced
property definitions, and the history views (`hubspot_property_history_ranges_v`,
`hubspot_deal_history_v` …); or, with `--layout fivetran`, the Fivetran-compatible layer
(docs/fivetran-layer.md). All run by themselves after every `sync_hubspot_properties` (the
layer once it has been built); run it by hand after restoring a database, or with --rebuild
to recreate every typed view."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from ingestion.management.portal_option import PortalCommand
from ingestion.sync.hubspot.engines.registry import RECORD_ENGINES
from ingestion.sync.hubspot.fivetran import build_layer
from ingestion.sync.hubspot.typed_views import build_views

from ..base_hubspot_sync import check_database


class Command(PortalCommand, BaseCommand):
    help = ("Create or update one typed view per object type (hubspot_<type>_v): a column per "
            "property definition, cast safely from the raw strings, and the property history "
            "as time ranges; or, with --layout fivetran, the views with Fivetran's HubSpot "
            "table and column names.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--layout", choices=("typed", "fivetran"), default="typed",
                            help="typed: hubspot_<type>_v (default); fivetran: Fivetran's "
                                 "tables in schema HUBSPOT_FIVETRAN_SCHEMA")
        parser.add_argument("--rebuild", action="store_true",
                            help="recreate every view, changed or not")

    def handle(self, *args, **options) -> None:
        check_database()
        build = self._fivetran if options["layout"] == "fivetran" else self._typed
        try:
            build(options)
        except DatabaseError as error:
            raise CommandError(f"the views could not be built (nothing changed): "
                               f"{str(error).splitlines()[0]}") from None

    def _typed(self, options) -> None:
        report = build_views(RECORD_ENGINES, rebuild=options["rebuild"])
        for name in report.built:
            self.stdout.write(f"built {name}")
        for name in report.dropped:
            self.stdout.write(f"dropped {name} (its object type, or its kept history, is gone)")
        self.stdout.write(report.summary())

    def _fivetran(self, options) -> None:
        built = build_layer()
        where = (f"schema {settings.HUBSPOT_FIVETRAN_SCHEMA}" if connection.vendor == "postgresql"
                 else f"prefix {settings.HUBSPOT_FIVETRAN_SCHEMA}_")
        self.stdout.write(f"Fivetran layer: {len(built)} views built ({where})")
