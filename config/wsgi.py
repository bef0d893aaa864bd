"""WSGI entry point for the web side (the webhook receiver, /hubspot/webhooks/):
`gunicorn config.wsgi` or any WSGI server; `manage.py runserver` for a try-out."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
