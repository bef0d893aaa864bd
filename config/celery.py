"""Celery app: lets users run the syncs from Celery / Celery beat."""

import os
import sys
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hubspot_mirror")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def started_by_celery_command() -> bool:
    """True in `celery -A config worker|beat|...` and `python -m celery ...`."""
    main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return (Path(sys.argv[0]).name == "celery"
            or getattr(main_spec, "name", "") == "celery.__main__")


if started_by_celery_command():
    # A worker or beat with a bad setting stops here with the one line manage.py prints,
    # not a traceback from inside Celery's start-up. Elsewhere (manage.py, a web process)
    # settings load when first used, as Django expects.
    from config.environment import load_settings_or_exit

    load_settings_or_exit()
