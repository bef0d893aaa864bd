"""WSGI entry point for the web side (the webhook receiver, /admin/, /status/, /health/):
`gunicorn config.wsgi` (gunicorn.conf.py) or any WSGI server; `manage.py runserver` to try.

It refuses to load without DJANGO_SECRET_KEY while DJANGO_DEBUG is off
(environment.check_web_settings); the commands never import this module."""

import os

from django.core.wsgi import get_wsgi_application

from config.environment import check_web_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

check_web_settings()
application = get_wsgi_application()
