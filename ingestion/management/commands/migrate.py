"""`manage.py migrate`, then every registered portal's tables (ingestion/sync/hubspot/
accounts.py), so an upgrade stays one command. Django's own migrate does the work each time
(an app's command overrides the core one of the same name); only a plain, full `migrate` of
the default database outside any portal's scope goes on to the portals (not `migrate <app>
<migration>`, which moves one database back or forth, nor the migrate each portal's own
runs: no recursion)."""

from __future__ import annotations

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DatabaseError

from ingestion.base.scopes import current_scope


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        if _goes_on_to_portals(options):
            from .hubspot_portal import migrate_portals

            migrate_portals(_named_portals(), self.stdout,
                            verbosity=options["verbosity"], database=options["database"])


def _goes_on_to_portals(options: dict) -> bool:
    return (current_scope().implicit and options["database"] == "default"
            and not options.get("app_label") and not options.get("plan")
            and not options.get("check_unapplied") and not options.get("prune"))


def _named_portals() -> list:
    from ingestion.sync.hubspot.accounts import all_portals

    try:
        return [portal for portal in all_portals() if not portal.implicit]
    except DatabaseError:  # the registry's table not there (e.g. migrated back past it)
        return []
