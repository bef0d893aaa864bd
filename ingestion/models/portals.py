"""The registry of named HubSpot portals (ingestion/sync/hubspot/accounts.py): one row each.

It lives in the implicit portal's database or schema only, and is read outside any portal's
scope. It holds no secret: environment variables' NAMES (the token, the OAuth client secret
and first refresh token are read from them at run time); an OAuth portal's rotating refresh
token is kept encrypted in that portal's own OAuth grant row (base/grants.py).
"""

from django.db import models


class HubSpotPortal(models.Model):
    class Auth(models.TextChoices):
        TOKEN = "token"  # a private app's access token, from `token_env`
        OAUTH = "oauth"  # an installed OAuth app: client id, secret and refresh token env vars

    name = models.CharField(max_length=40, unique=True)
    portal_id = models.BigIntegerField(null=True, blank=True)  # HubSpot's Hub ID
    auth = models.CharField(max_length=8, choices=Auth.choices)
    token_env = models.CharField(max_length=255, blank=True, default="")
    client_id = models.CharField(max_length=255, blank=True, default="")
    client_secret_env = models.CharField(max_length=255, blank=True, default="")
    refresh_token_env = models.CharField(max_length=255, blank=True, default="")
    base_url = models.CharField(max_length=255, null=True, blank=True)  # NULL: the setting's
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "hubspot_portal"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
