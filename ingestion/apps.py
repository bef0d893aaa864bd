import logging

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate

_views_dropped: list[str] = []
_layer_dropped: list[str] = []


def _drop_views_before_migrating(sender, plan=None, using="default", **kwargs) -> None:
    """Views would stop a migration that rebuilds a table they read (SQLite renames the
    rebuilt table, PostgreSQL refuses to change a column a view uses): drop them first."""
    from django.db import connections

    if not plan or "hubspot_view_column" not in connections[using].introspection.table_names():
        return
    from .sync.hubspot.fivetran import drop_layer
    from .sync.hubspot.typed_views import drop_views

    _layer_dropped[:] = drop_layer() or _layer_dropped  # (still owed from a migration back)
    _views_dropped[:] = drop_views() or _views_dropped


def _rebuild_views_after_migrating(sender, using="default", **kwargs) -> None:
    from django.db import connections

    from .base.schema import pending_migrations

    if ("hubspot_view_column" not in connections[using].introspection.table_names()
            or pending_migrations()):
        # The views read tables of every migration: after a migration back (PostgreSQL would
        # refuse a view of a table not there yet) they wait for the next one forward.
        return
    from .sync.hubspot.engines.registry import RECORD_ENGINES
    from .sync.hubspot.fivetran import build_layer
    from .sync.hubspot.typed_views import build_views

    if _views_dropped:
        _views_dropped.clear()
        build_views(RECORD_ENGINES, rebuild=True)
    if _layer_dropped:
        _layer_dropped.clear()
        build_layer()
    from .sync.hubspot.union import rebuild_union

    rebuild_union()  # dropped with the views, or reading tables a migration changed


def _set_up_connection(sender, connection, **kwargs) -> None:
    from .base.backends import backend_for
    from .base.scopes import apply_on_connect

    backend_for(connection.vendor).on_connect(connection)
    apply_on_connect(connection)  # a portal's schema (base/scopes.py)


class IngestionConfig(AppConfig):
    name = "ingestion"
    verbose_name = "HubSpot ingestion"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from .base.redact import RedactingFilter, register_secret

        connection_created.connect(_set_up_connection)
        pre_migrate.connect(_drop_views_before_migrating, sender=self)
        post_migrate.connect(_rebuild_views_after_migrating, sender=self)
        for name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_REFRESH_TOKEN",
                     "HUBSPOT_WEBHOOK_SECRET"):
            register_secret(getattr(settings, name))
        for name in ("", "ingestion"):  # whatever handler prints our records masks secrets
            for handler in logging.getLogger(name).handlers:
                handler.addFilter(RedactingFilter())
