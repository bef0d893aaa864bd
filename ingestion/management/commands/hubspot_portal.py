"""`manage.py hubspot_portal add | list | remove | migrate`: the registry of named portals
(ingestion/sync/hubspot/accounts.py, models/portals.py).

    add NAME (--token-env VAR | --oauth --client-id ID --client-secret-env VAR
              --refresh-token-env VAR) [--base-url URL] [--portal-id N]
        checks the variables are set, creates the portal's schema (PostgreSQL) or file
        (SQLite), migrates it, asks HubSpot its Hub ID unless given, records the row
        (variable names only: never a secret)
    list                    every portal, the implicit one first: auth, storage, runs
    remove NAME [--purge]   refused (exit 75) while a run of the portal is running; keeps its
                            rows unless --purge, which drops its schema or file
    migrate [NAME]          migrates named portals' scopes (plain `migrate` does it too)
"""

from __future__ import annotations

import os

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from ingestion.base.history import close_abandoned_runs
from ingestion.base.scopes import (
    ScopeNameError,
    check_name,
    create_scope,
    drop_scope,
    scope_exists,
    use_scope,
)
from ingestion.models import HubSpotPortal, SyncHistory
from ingestion.ops.schedules import drop_portal_tasks
from ingestion.sync.hubspot.accounts import (
    IMPLICIT,
    PortalError,
    activate_portal,
    all_portals,
    get_portal,
    implicit_configured,
    implicit_portal_id,
    portal_of,
    registered_portal_ids,
)
from ingestion.sync.hubspot.fivetran.layout import drop_layer_schema
from ingestion.sync.hubspot.union import rebuild_union

from ..outcomes import EXIT_LOCKED, EXIT_USAGE

COLUMNS = ("name", "portal id", "auth", "base URL", "storage", "runs", "last run")


class Command(BaseCommand):
    help = "Add, list, remove or migrate the HubSpot portals this deployment mirrors."

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="register a portal")
        add.add_argument("name")
        add.add_argument("--token-env", metavar="VAR",
                         help="environment variable holding the private app's token")
        add.add_argument("--oauth", action="store_true", help="an installed OAuth app")
        add.add_argument("--client-id")
        add.add_argument("--client-secret-env", metavar="VAR")
        add.add_argument("--refresh-token-env", metavar="VAR")
        add.add_argument("--base-url", help="default: HUBSPOT_API_BASE_URL")
        add.add_argument("--portal-id", type=int, help="HubSpot's Hub ID (default: asked)")
        actions.add_parser("list", help="every portal")
        remove = actions.add_parser("remove", help="unregister a portal")
        remove.add_argument("name")
        remove.add_argument("--purge", action="store_true",
                            help="also drop its mirrored rows (schema or file)")
        migrate = actions.add_parser("migrate", help="migrate named portals' tables")
        migrate.add_argument("name", nargs="?")

    def handle(self, *args, **opts) -> None:
        try:
            getattr(self, f"_{opts['action']}")(opts)
        except (PortalError, ScopeNameError) as error:
            raise CommandError(str(error), returncode=EXIT_USAGE) from None

    # -- add --------------------------------------------------------------------------------

    def _add(self, opts: dict) -> None:
        name = check_name(opts["name"])
        if HubSpotPortal.objects.filter(name=name).exists():
            raise PortalError(f"a portal named {name!r} exists already")
        row = _row_from(opts)
        portal = portal_of(row)
        portal.credentials()  # every variable it names is set (PortalError names the first)
        _refuse_taken_portal_id(row.portal_id)
        existed = scope_exists(portal.scope)  # a removed portal's kept rows: never dropped here
        create_scope(portal.scope)
        with activate_portal(portal):
            call_command("migrate", interactive=False, verbosity=0)
            learnt = not row.portal_id
            row.portal_id = row.portal_id or self._learn_portal_id(name)
        if learnt:
            try:
                _refuse_taken_portal_id(row.portal_id)
            except PortalError:
                if not existed:
                    drop_scope(portal.scope)  # made above for this portal alone, empty
                raise
        row.save()
        rebuild_union()
        self.stdout.write(f"Added portal {name} (portal id {row.portal_id or 'unknown'}), "
                          f"its rows in {portal.scope.storage()}.")

    def _learn_portal_id(self, name: str) -> int | None:
        """HubSpot's Hub ID for the token (inside the portal's activation), or None."""
        from ingestion.sync.hubspot.connection import client_from_settings
        from ingestion.sync.hubspot.errors import HubSpotError
        from ingestion.sync.hubspot.portals import mirrored_portal

        try:
            with client_from_settings() as client:
                return mirrored_portal(client)
        except HubSpotError as error:
            self.stderr.write(f"Warning: HubSpot did not say portal {name}'s id ({error}); "
                              "give it with --portal-id to route its webhook events.")
            return None

    # -- list -------------------------------------------------------------------------------

    def _list(self, opts: dict) -> None:
        rows = [self._implicit_row()] + [_listed(portal, row) for portal, row in _registered()]
        widths = [max(len(str(row[i])) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
        for row in [COLUMNS, *rows]:
            self.stdout.write("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths,
                                                                             strict=True)).rstrip())

    def _implicit_row(self) -> tuple:
        from django.conf import settings

        auth = ("oauth: HUBSPOT_REFRESH_TOKEN" if settings.HUBSPOT_REFRESH_TOKEN
                else "token: HUBSPOT_ACCESS_TOKEN" if implicit_configured() else "none")
        portal = get_portal(IMPLICIT)
        return (IMPLICIT, portal.portal_id or "-", auth, settings.HUBSPOT_API_BASE_URL,
                portal.scope.storage(), *_runs())

    # -- remove -----------------------------------------------------------------------------

    def _remove(self, opts: dict) -> None:
        portal = get_portal(opts["name"])
        if portal.implicit:
            raise PortalError("the default portal is the settings' own: it cannot be removed")
        running = _runs(portal, running=True)
        if running:
            raise CommandError(f"portal {portal.name} has {running} run(s) running: stop them "
                               "(or wait) first", returncode=EXIT_LOCKED)
        HubSpotPortal.objects.filter(name=portal.name).delete()
        dropped_tasks = drop_portal_tasks(portal.name)
        if dropped_tasks:
            self.stdout.write(f"Removed its {dropped_tasks} scheduled task(s).")
        if opts["purge"]:
            drop_scope(portal.scope)
            drop_layer_schema(portal.scope)
        rebuild_union()
        if opts["purge"]:
            self.stdout.write(f"Removed portal {portal.name} and its rows "
                              f"({portal.scope.storage()} dropped).")
        else:
            self.stdout.write(f"Removed portal {portal.name}; its rows are kept in "
                              f"{portal.scope.storage()} (remove --purge drops them).")

    # -- migrate ----------------------------------------------------------------------------

    def _migrate(self, opts: dict) -> None:
        portals = [get_portal(opts["name"])] if opts["name"] else all_portals()
        migrate_portals([p for p in portals if not p.implicit], self.stdout,
                        verbosity=opts["verbosity"])


def migrate_portals(portals, stdout, **options) -> None:
    """Each named portal's scope migrated (created first if it is not there)."""
    for portal in portals:
        stdout.write(f"Migrating portal {portal.name} ({portal.scope.storage()})")
        create_scope(portal.scope)
        with use_scope(portal.scope):
            call_command("migrate", interactive=False, **options)


def _refuse_taken_portal_id(portal_id: int | None) -> None:
    """PortalError when another portal already mirrors this Hub ID: webhook deliveries are
    routed by their portalId, so two portals of one Hub could not be told apart."""
    if portal_id is None:
        return
    taken = registered_portal_ids()
    if implicit_portal_id() is not None:
        taken.setdefault(implicit_portal_id(), IMPLICIT)
    if portal_id in taken:
        raise PortalError(f"HubSpot portal {portal_id} is mirrored already, as portal "
                          f"{taken[portal_id]!r}: one Hub is one portal here (webhook events "
                          "are routed by their portal id)")


def _row_from(opts: dict) -> HubSpotPortal:
    """The registry row the flags describe (unsaved); PortalError for a wrong combination."""
    oauth_flags = (opts["client_id"], opts["client_secret_env"], opts["refresh_token_env"])
    if opts["oauth"] == bool(opts["token_env"]):
        raise PortalError("give either --token-env VAR or --oauth (with --client-id, "
                          "--client-secret-env and --refresh-token-env)")
    if opts["oauth"] and not all(oauth_flags):
        raise PortalError("--oauth needs --client-id, --client-secret-env and "
                          "--refresh-token-env")
    for variable in (opts["token_env"], *oauth_flags[1:]):
        if variable and variable not in os.environ:
            raise PortalError(f"environment variable {variable} is not set")
    auth = HubSpotPortal.Auth.OAUTH if opts["oauth"] else HubSpotPortal.Auth.TOKEN
    return HubSpotPortal(name=opts["name"], auth=auth, portal_id=opts["portal_id"],
                         token_env=opts["token_env"] or "", client_id=opts["client_id"] or "",
                         client_secret_env=opts["client_secret_env"] or "",
                         refresh_token_env=opts["refresh_token_env"] or "",
                         base_url=opts["base_url"] or None)


def _registered() -> list:
    rows = list(HubSpotPortal.objects.order_by("name"))
    return [(portal_of(row), row) for row in rows]


def _listed(portal, row: HubSpotPortal) -> tuple:
    from django.conf import settings

    auth = (f"oauth: {row.client_id} {row.client_secret_env} {row.refresh_token_env}"
            if row.auth == row.Auth.OAUTH else f"token: {row.token_env}")
    return (row.name, row.portal_id or "-", auth, row.base_url or settings.HUBSPOT_API_BASE_URL,
            portal.scope.storage(), *_runs(portal))


def _runs(portal=None, *, running: bool = False):
    """The portal's runs and its last run's start (list), or how many are running (remove:
    those whose process is alive, once the abandoned ones are closed).
    A scope not migrated (or gone) has none."""
    from contextlib import nullcontext

    scoped = use_scope(portal.scope) if portal and not portal.implicit else nullcontext()
    try:
        with scoped:
            if running:  # a row left by a killed process is closed, never counted
                return close_abandoned_runs()
            runs = SyncHistory.objects.all()
            last = runs.order_by("-started_at").first()
            return runs.count(), (f"{last.started_at:%Y-%m-%d %H:%M} {last.object_type} "
                                  f"{last.status}" if last else "-")
    except DatabaseError:
        return 0 if running else (0, "-")

