import logging
import sqlite3

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _use_sqlite_real_parameter_limit(sender, connection, **kwargs) -> None:
    """Django assumes SQLite's old limit of 999 bound parameters, which splits a 1,000-row
    batch into dozens of INSERTs. SQLite ≥ 3.32 allows 32,766 or more: ask it."""
    if connection.vendor == "sqlite":
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        connection.features.max_query_params = min(limit, 32_766)


class IngestionConfig(AppConfig):
    name = "ingestion"
    verbose_name = "HubSpot ingestion"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from .base.redact import RedactingFilter, register_secret

        connection_created.connect(_use_sqlite_real_parameter_limit)
        for name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_REFRESH_TOKEN"):
            register_secret(getattr(settings, name, ""))
        for name in ("", "ingestion"):  # whatever handler prints our records masks secrets
            for handler in logging.getLogger(name).handlers:
                handler.addFilter(RedactingFilter())
