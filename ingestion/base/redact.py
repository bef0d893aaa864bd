"""Secrets never leave the process: every message that is printed, logged or stored passes
through `redact()`.

An upstream error can echo our request (a proxy quoting the `Authorization` header), so
redaction cannot rely on the code that builds a message: the known secrets (registered by
whoever reads them) and anything shaped like a bearer token or a HubSpot private-app token
are replaced wherever they appear.
"""

from __future__ import annotations

import logging
import re

MASK = "[redacted]"
_BEARER = re.compile(r"(?i)\b(bearer)(\s+|%20)[^\s\"',;&)]+")
_PRIVATE_APP_TOKEN = re.compile(r"\bpat-[a-z0-9]{2,8}-[A-Za-z0-9-]{8,}")
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret (a token, a client secret) so that it is masked everywhere."""
    if value and len(value) >= 4:
        _secrets.add(value)


def redact(text: object) -> str:
    message = str(text)
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in message:
            message = message.replace(secret, MASK)
    message = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", message)
    return _PRIVATE_APP_TOKEN.sub(MASK, message)


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the formatted message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
