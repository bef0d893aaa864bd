import logging

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _set_up_connection(sender, connection, **kwargs) -> None:
    from .base.backends import backend_for

    backend_for(connection.vendor).on_connect(connection)


class IngestionConfig(AppConfig):
    name = "ingestion"
    verbose_name = "HubSpot ingestion"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from .base.redact import RedactingFilter, register_secret

        connection_created.connect(_set_up_connection)
        for name in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_REFRESH_TOKEN",
                     "HUBSPOT_WEBHOOK_SECRET"):
            register_secret(getattr(settings, name, ""))
        for name in ("", "ingestion"):  # whatever handler prints our records masks secrets
            for handler in logging.getLogger(name).handlers:
                handler.addFilter(RedactingFilter())
