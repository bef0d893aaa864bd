"""Celery app: lets users run the syncs from Celery / Celery beat."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hubspot_mirror")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
