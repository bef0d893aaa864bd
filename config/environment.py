"""Settings values read from the environment, checked as they are read.

Every bad value is collected, then `raise_if_invalid()` raises one ImproperlyConfigured that
names each variable, so a typo ends `manage.py` or a Celery worker at start-up with one line,
instead of a traceback from inside django-environ or a failure an hour into a run.
An empty value counts as unset (a `.env` template's `HUBSPOT_TIMEOUT=` means the default).
"""

from __future__ import annotations

import math
import os
import re
import sys
import warnings
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

SUPPORTED_ENGINES = {"django.db.backends.sqlite3", "django.db.backends.postgresql"}


class EnvironmentReader:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def read_env_file(self, path: str, *, explicit: bool) -> None:
        """Load `path` into os.environ; a variable already set in the environment wins."""
        if explicit and not os.path.isfile(path):
            self.errors.append(f"HUBSPOT_MIRROR_ENV_FILE names no file: {path!r}")
            return
        environ.Env.read_env(path, overwrite=False)

    def _raw(self, name: str) -> str | None:
        value = os.environ.get(name, "").strip()
        return value or None

    def _fail(self, message: str, default):
        self.errors.append(message)
        return default

    def number(self, name: str, default, *, whole: bool = False, minimum: float | None = None,
               above: float | None = None):
        text = self._raw(name)
        if text is None:
            return default
        kind = "a whole number" if whole else "a number"
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            return self._fail(f"{name} must be {kind}, not {text!r}", default)
        if not math.isfinite(value):
            return self._fail(f"{name} must be a finite number, not {text!r}", default)
        if minimum is not None and value < minimum:
            return self._fail(f"{name} must be at least {minimum}, not {text!r}", default)
        if above is not None and value <= above:
            return self._fail(f"{name} must be greater than {above}, not {text!r}", default)
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        text = self._raw(name) or default
        if text not in choices:
            return self._fail(f"{name} must be one of {', '.join(choices)}, not {text!r}",
                              default)
        return text

    def flag(self, name: str, default: bool) -> bool:
        text = (self._raw(name) or str(default)).lower()
        if text not in ("true", "false", "1", "0"):
            return self._fail(f"{name} must be true or false, not {text!r}", default)
        return text in ("true", "1")

    def url_list(self, name: str) -> list[str]:
        """Comma-separated origins, each `scheme://host[:port]`."""
        origins = [item.strip() for item in (self._raw(name) or "").split(",") if item.strip()]
        bad = [item for item in origins if urlsplit(item).scheme not in ("http", "https")
               or not urlsplit(item).netloc]
        if bad:
            return self._fail(f"{name} must list origins like https://mirror.example.com, "
                              f"not {bad[0]!r}", [])
        return origins

    def header_name(self, name: str) -> str | None:
        """An HTTP header's name (X-Forwarded-Proto) as Django's META key, or None."""
        text = self._raw(name)
        if text is None:
            return None
        if not re.fullmatch(r"[A-Za-z0-9-]+", text):
            return self._fail(f"{name} must be a header name like X-Forwarded-Proto, "
                              f"not {text!r}", None)
        return "HTTP_" + text.upper().replace("-", "_")

    def retired(self, name: str, hint: str) -> None:
        """A variable no longer read: setting it is an error, not silently ignored."""
        if self._raw(name) is not None:
            self.errors.append(f"{name} is no longer read: {hint}")

    def http_url(self, name: str, default: str, *, optional: bool = False) -> str:
        """An http(s) URL with a host; with `optional`, unset means "" (no URL)."""
        if optional and self._raw(name) is None:
            return ""
        text = self._raw(name) or default
        try:
            parts = urlsplit(text)
            valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            valid = False
        if not valid:
            return self._fail(f"{name} must be an http:// or https:// URL with a host, "
                              f"not {text!r}", default)
        return text

    def database(self, name: str, default: str) -> dict:
        """A sqlite:// or postgres:// URL. The value is never echoed: it may hold a password."""
        text = self._raw(name) or default
        scheme = text.partition("://")[0] if "://" in text else ""
        try:
            with warnings.catch_warnings():  # django-environ warns instead of failing
                warnings.simplefilter("ignore")
                config = environ.Env.db_url_config(text)
        except (ValueError, KeyError):  # e.g. a port that is not a number
            config = {}
        if config.get("ENGINE") not in SUPPORTED_ENGINES:
            what = f"a {scheme}:// URL" if scheme else "a URL"
            return self._fail(f"{name} must be a sqlite:/// or postgres:// URL, not {what}",
                              environ.Env.db_url_config(default))
        if not config.get("NAME"):
            return self._fail(f"{name} names no database (e.g. postgres://user@host/dbname)",
                              environ.Env.db_url_config(default))
        return config

    def raise_if_invalid(self) -> None:
        if self.errors:
            raise ImproperlyConfigured("; ".join(self.errors))


def load_settings_or_exit() -> None:
    """Load Django's settings now; on a bad value, print one line to stderr and exit 1.
    Used by manage.py and by the `celery` command (config/celery.py)."""
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - the access loads and checks the settings
    except ImproperlyConfigured as error:
        sys.exit(f"Configuration error: {error}")


def check_web_settings() -> None:
    """Refuse to serve without a secret key while DEBUG is off: sessions and CSRF tokens
    would be signed with a value anyone can read in this repository. Called where the web
    side starts (config/wsgi.py; gunicorn.conf.py before it binds), never by the commands.
    Raises ImproperlyConfigured (a bad setting of any kind raises it here too)."""
    from django.conf import settings

    if not settings.DEBUG and not settings.SECRET_KEY_SET:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: the web server does not start without it while "
            "DJANGO_DEBUG is off (generate one: python -c \"import secrets; "
            "print(secrets.token_urlsafe(50))\")")
