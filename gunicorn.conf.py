"""gunicorn's settings for the web side, read by `gunicorn config.wsgi` started in the
project's directory (docs/operations.md#deploying-the-web-side). GUNICORN_CMD_ARGS or flags
override them (e.g. `--bind 0.0.0.0:8000 --workers 3`)."""

import os
import sys

wsgi_app = "config.wsgi:application"


def on_starting(server) -> None:
    """Before binding: a missing secret key or a bad setting ends gunicorn with one line and
    exit 1, instead of workers failing to boot with a traceback each."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured

    from config.environment import check_web_settings

    try:
        check_web_settings()
    except ImproperlyConfigured as error:
        sys.exit(f"Configuration error: {error}")
