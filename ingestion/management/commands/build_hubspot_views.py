"""build_hubspot_views: (re)create the typed views (`hubspot_contact_v` …) from the synced
property definitions, and the history views (`hubspot_property_history_ranges_v`,
`hubspot_deal_history_v` …); or, with `--layout fivetran`, the Fivetran-compatible layer
(docs/fivetran-layer.md). All run by themselves after every `sync_hubspot_properties` (the
layer once it has been built); run it by hand after restoring a database, or with --rebuild
to recreate every typed view. `--portal NAME` builds one portal's, `--all-portals` every
portal's; `--union` (re)makes the union across portals (ingestion/sync/hubspot/union.py: on
SQLite, the file `<stem>.hubspot-all.sqlite3`; on PostgreSQL schema hubspot_all, which every
build refreshes anyway)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from ingestion.base.scopes import use_scope
from ingestion.management.portal_option import PortalCommand
from ingestion.sync.hubspot.accounts import all_portals
from ingestion.sync.hubspot.engines.registry import RECORD_ENGINES
from ingestion.sync.hubspot.fivetran import build_layer
from ingestion.sync.hubspot.fivetran.layout import schema
from ingestion.sync.hubspot.typed_views import build_views
from ingestion.sync.hubspot.union import UNION_SCHEMA, rebuild_union, union_file

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
        parser.add_argument("--all-portals", action="store_true",
                            help="every portal's views (manage.py hubspot_portal list)")
        parser.add_argument("--union", action="store_true",
                            help="then the union across portals (SQLite: materialized into "
                                 "<stem>.hubspot-all.sqlite3)")

    def handle(self, *args, **options) -> None:
        check_database()
        build = self._fivetran if options["layout"] == "fivetran" else self._typed
        portals = all_portals() if options["all_portals"] else [self.portal]
        try:
            for portal in portals:
                with use_scope(portal.scope):  # its tables; building needs no credentials
                    if len(portals) > 1:
                        self.stdout.write(f"portal {portal.name}:")
                    build(options)
            if options["union"]:
                self._union()
        except DatabaseError as error:
            raise CommandError(f"the views could not be built (nothing changed): "
                               f"{str(error).splitlines()[0]}") from None

    def _union(self) -> None:
        built = rebuild_union(create_file=True)
        where = (f"schema {UNION_SCHEMA}" if connection.vendor == "postgresql"
                 else f"file {union_file()}")
        self.stdout.write(f"union across portals: {len(built)} relations ({where})"
                          if built else "union across portals: none (no portal registered)")

    def _typed(self, options) -> None:
        report = build_views(RECORD_ENGINES, rebuild=options["rebuild"])
        for name in report.built:
            self.stdout.write(f"built {name}")
        for name in report.dropped:
            self.stdout.write(f"dropped {name} (its object type, or its kept history, is gone)")
        self.stdout.write(report.summary())

    def _fivetran(self, options) -> None:
        built = build_layer()
        where = (f"schema {schema()}" if connection.vendor == "postgresql"
                 else f"prefix {schema()}_")
        self.stdout.write(f"Fivetran layer: {len(built)} views built ({where})")
