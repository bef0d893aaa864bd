"""build_hubspot_views: (re)create the typed views (`hubspot_contact_v` …) from the synced
property definitions, and the history views (`hubspot_property_history_ranges_v`,
`hubspot_deal_history_v` …). Runs by itself after every `sync_hubspot_properties`; run it by
hand after restoring a database, or with --rebuild to recreate every view."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from ingestion.sync.hubspot.engines.registry import RECORD_ENGINES
from ingestion.sync.hubspot.typed_views import build_views

from ..base_hubspot_sync import check_database


class Command(BaseCommand):
    help = ("Create or update one typed view per object type (hubspot_<type>_v): a column per "
            "property definition, cast safely from the raw strings; and the property history "
            "as time ranges (hubspot_property_history_ranges_v, hubspot_<type>_history_v).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rebuild", action="store_true",
                            help="recreate every view, changed or not")

    def handle(self, *args, **options) -> None:
        check_database()
        try:
            report = build_views(RECORD_ENGINES, rebuild=options["rebuild"])
        except DatabaseError as error:
            raise CommandError(f"the typed views could not be built (nothing changed): "
                               f"{str(error).splitlines()[0]}") from None
        for name in report.built:
            self.stdout.write(f"built {name}")
        for name in report.dropped:
            self.stdout.write(f"dropped {name} (its object type, or its kept history, is gone)")
        self.stdout.write(report.summary())
