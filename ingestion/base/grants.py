"""OAuth grants shared between processes through the database.

Every process syncing a portal refreshes through `DatabaseGrantStore.share()`: inside one
transaction that holds the grant's row lock (PostgreSQL `SELECT … FOR UPDATE`; SQLite runs
transactions `BEGIN IMMEDIATE`), a process first looks at what another may have just
stored, so N processes whose tokens expire together make one refresh, not N.

Tokens are stored encrypted (Fernet, key derived from the app's client secret and Django's
SECRET_KEY): the table alone does not give access to the portal. If the configured refresh
token changes (the app was reinstalled), the stored grant is dropped.

The client-credentials grant (the webhooks journal's app token) is shared the same way, in a
row of its own; it has no refresh token: what it was obtained from is the scopes asked, and
a changed client secret cannot open the sealed token, so it is asked for again.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ingestion.models import OAuthGrant

from .results import Grant


class DatabaseGrantStore:
    def __init__(self, client_id: str, client_secret: str, *, clock: Callable[[], float],
                 grant_type: str = "refresh_token"):
        """`grant_type`: "client_credentials" keeps the app's own token in a row of its own
        (`<client id>:client_credentials`), apart from the OAuth grant of the same app."""
        self.client_id = client_id  # the row's key
        if grant_type != "refresh_token":
            self.client_id = f"{client_id}:{grant_type}"
        key = hashlib.sha256(f"{client_secret}:{settings.SECRET_KEY}".encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self._clock = clock

    def share(self, refresh_token: str, stale_access: str | None,
              exchange: Callable[[str], Grant]) -> Grant:
        origin = hashlib.sha256(refresh_token.encode()).hexdigest()
        # The row must exist to be locked: the first process creates an empty one.
        OAuthGrant.objects.get_or_create(pk=self.client_id, defaults={"origin": ""})
        with transaction.atomic():
            row = OAuthGrant.objects.select_for_update().get(pk=self.client_id)
            if row.origin == origin:
                stored = Grant(self._open(row.access_token), self._open(row.refresh_token),
                               row.expires_at, row.lifetime)
                if (stored.access_token and stored.access_token != stale_access
                        and not stored.due(self._clock())):
                    return stored  # another process refreshed a moment ago
                refresh_token = stored.refresh_token or refresh_token
            grant = exchange(refresh_token)
            OAuthGrant.objects.update_or_create(pk=self.client_id, defaults={
                "origin": origin, "refresh_token": self._seal(grant.refresh_token),
                "access_token": self._seal(grant.access_token),
                "expires_at": grant.expires_at, "lifetime": grant.lifetime,
                "refreshed_at": timezone.now()})
            return grant

    def _seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def _open(self, value: str) -> str:
        try:
            return self._fernet.decrypt(value.encode()).decode() if value else ""
        except InvalidToken:
            return ""  # sealed under another secret: as good as absent
