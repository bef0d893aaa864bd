"""Who may call: the static private-app token, OAuth access tokens issued by the emulated
OAuth app (docs/hubspot-api.md#authentication, #oauth), and the scopes each of them carries.

Scopes: `None` means every scope (the default, so nothing is refused); otherwise a set of
HubSpot scope names. A route needs one scope out of each group `required_scopes` lists
("One or more of the following scopes are required", docs/hubspot-api.md#authentication); the first
group the token has none of is named in the 403.

Scope table (HubSpot's scope names per docs/hubspot-api.md#authentication; *choice* where the docs
name none):

| route kind | needs |
|---|---|
| objects: list, get, batch read, search | the type's object scope `.read` |
| objects: create, update, archive, batch writes, merge, GDPR delete | object scope `.write` |
| associations (v4 and dated): read | `.read` of the from type AND of the to type |
| associations: PUT default, DELETE, batch archive | `.write` of both types |
| properties (and groups) of a type | its schema scope `.read` |
| pipelines of a type | its schema scope `.read` or its object scope `.read` |
| owners | `crm.objects.owners.read` |
| schemas: list, get / create | `crm.schemas.custom.read` / `crm.schemas.custom.write` |
| lists: search, get, memberships | `crm.lists.read` |
| forms, form submissions | `forms` |
| workflows (v4 flows, v3 workflows) | `automation` |
| marketing emails, their statistics | `content`, `marketing-email` or `transactional-email` |
| marketing campaigns (assets and budget too) | `marketing.campaigns.read` |
| subscription types, one contact's statuses | `communication_preferences.read` or `…read_write` |
| subscription statuses batch read | `communication_preferences.statuses.batch.read` |
| `/email/public/v1/subscriptions`, its timeline | `content` |
| email events, email campaigns (legacy email analytics API) | `content` |
| settings users and roles | `settings.users.read` or `settings.users.write` |
| settings teams | `settings.users.teams.read` or `settings.users.teams.write` |
| conversations: inboxes, channels, channel accounts, threads, messages | `conversations.read` |
| deal splits: batch read, batch upsert | `crm.dealsplits.read_write` |
| record counts (limits tracking API) | a CRM object read scope (*choice*: HubSpot lists all) |
| webhooks journal: entries (both variants, batch reads) | `developer.webhooks_journal.read` |
| journal subscriptions: GET / POST, DELETE | `….subscriptions.read` / `….subscriptions.write` |
| journal snapshots: status / POST | `….snapshots.read` / `….snapshots.write` |

The journal routes take only app tokens (the client-credentials grant, `AppClient`); every
other route refuses them (401).

Object scope of a type: `crm.objects.{contacts,companies,deals,products,line_items}.{read,write}`;
tickets `tickets`; custom objects `crm.objects.custom.*`; engagements (calls, emails, meetings,
notes, tasks) `crm.objects.contacts.*` (*choice*); the other standard objects the scope their
guide names (`ObjectType.scope`: `crm.objects.quotes.*`, `crm.objects.invoices.*`,
`crm.objects.goals.*` for goal targets, `crm.objects.line_items.*` for discounts, fees, taxes
…). Schema scope: `crm.schemas.{contacts,companies,deals}.*`, custom objects
`crm.schemas.custom.*`, any other type its object scope (*choice*).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from .routes import Access
from .timeutil import iso_ms

SCOPES_URL = "https://developers.hubspot.com/scopes"
_OWN_OBJECT_SCOPE = {"contacts", "companies", "deals", "products", "line_items"}
_OWN_SCHEMA_SCOPE = {"contacts", "companies", "deals"}
_ENGAGEMENTS = {"calls", "emails", "meetings", "notes", "tasks"}
# Scopes named by HubSpot's lists and forms references (lists: "crm.lists.read"; form
# submissions: "forms"), its email analytics reference (docs/hubspot-api.md#email-events) and its
# conversations guide (docs/hubspot-api.md#conversations).
_API_SCOPES = {"lists": "crm.lists.read", "forms": "forms", "workflows": "automation",
               "content": "content", "marketing_events": "crm.objects.marketing_events.read",
               "conversations": "conversations.read",
               "deal_splits": "crm.dealsplits.read_write"}
# Routes any one of several scopes opens (docs/hubspot-api.md#marketing-emails, #campaigns,
# #subscriptions).
_API_SCOPE_CHOICES = {"marketing_emails": ("content", "marketing-email", "transactional-email"),
                      "campaigns": ("marketing.campaigns.read",),
                      "communication_preferences": ("communication_preferences.read",
                                                    "communication_preferences.read_write"),
                      "subscription_statuses_batch": (
                          "communication_preferences.statuses.batch.read",),
                      "email_v1": ("content",),
                      # docs/hubspot-api.md#teams-and-roles
                      "settings_users": ("settings.users.read", "settings.users.write"),
                      "settings_teams": ("settings.users.teams.read",
                                         "settings.users.teams.write"),
                      # The limits tracking guide lists every CRM object scope; these read
                      # ones stand for them (docs/hubspot-api.md#record-counts).
                      "record_limits": ("crm.objects.contacts.read", "crm.objects.companies.read",
                                        "crm.objects.deals.read", "tickets",
                                        "crm.objects.custom.read")}


# The webhooks journal's scopes (docs/hubspot-api.md#webhooks-journal); journal routes need
# one each (`Access.kind` journal / journal_subscriptions / journal_snapshots).
JOURNAL_READ = "developer.webhooks_journal.read"
JOURNAL_SCOPES = (JOURNAL_READ, "developer.webhooks_journal.subscriptions.read",
                  "developer.webhooks_journal.subscriptions.write",
                  "developer.webhooks_journal.snapshots.read",
                  "developer.webhooks_journal.snapshots.write")
_JOURNAL_ACCESS = {("journal", False): JOURNAL_READ,
                   ("journal_subscriptions", False): JOURNAL_SCOPES[1],
                   ("journal_subscriptions", True): JOURNAL_SCOPES[2],
                   ("journal_snapshots", False): JOURNAL_SCOPES[3],
                   ("journal_snapshots", True): JOURNAL_SCOPES[4]}


def is_app_route(access: Access | None) -> bool:
    """A webhooks-journal route: app tokens only."""
    return access is not None and access.kind.startswith("journal")


def scope_set(scopes: Iterable[str] | None) -> frozenset[str] | None:
    """Normalise a configured scope list; None keeps "every scope"."""
    if scopes is None:
        return None
    if isinstance(scopes, str) or not all(isinstance(s, str) for s in scopes):
        raise ValueError("scopes must be a list of scope names (or null for every scope)")
    return frozenset(scopes)


def object_scope(otype, write: bool) -> str:
    rw = "write" if write else "read"
    if getattr(otype, "scope", ""):  # the type declares its own (schemas.other_standard_types)
        return f"{otype.scope}.{rw}"
    if otype.name == "tickets":
        return "tickets"
    if otype.custom:
        return f"crm.objects.custom.{rw}"
    if otype.name in _ENGAGEMENTS:
        return f"crm.objects.contacts.{rw}"
    if otype.name in _OWN_OBJECT_SCOPE:
        return f"crm.objects.{otype.name}.{rw}"
    return f"crm.objects.custom.{rw}"


def schema_scope(otype, write: bool) -> str:
    rw = "write" if write else "read"
    if otype.custom:
        return f"crm.schemas.custom.{rw}"
    if otype.name in _OWN_SCHEMA_SCOPE:
        return f"crm.schemas.{otype.name}.{rw}"
    return object_scope(otype, write)


def every_scope(types) -> frozenset[str]:
    """Every scope a route of these types (or owners, schemas) can need: a token with all of
    them but a few is refused exactly what those few guard (`deny` on the control surface)."""
    out = {"crm.objects.owners.read", "crm.schemas.custom.read", "crm.schemas.custom.write",
           *_API_SCOPES.values(), *(group[0] for group in _API_SCOPE_CHOICES.values())}
    for otype in types:
        for write in (False, True):
            out |= {object_scope(otype, write), schema_scope(otype, write)}
    return frozenset(out)


def required_scopes(access: Access, match_info, resolve) -> list[list[str]]:
    """Groups of alternatives the route needs; `resolve(name)` gives an ObjectType or None
    (an unknown type needs nothing here: the handler answers it)."""
    kind, write = access.kind, access.write
    if kind == "public":
        return []
    if kind == "owners":
        return [["crm.objects.owners.read"]]
    if (kind, write) in _JOURNAL_ACCESS:
        return [[_JOURNAL_ACCESS[kind, write]]]
    if kind in _API_SCOPES:
        return [[_API_SCOPES[kind]]]
    if kind in _API_SCOPE_CHOICES:
        return [list(_API_SCOPE_CHOICES[kind])]
    if kind == "schemas":
        return [["crm.schemas.custom.write" if write else "crm.schemas.custom.read"]]
    names = [match_info.get("type") or match_info.get("from")]
    if kind == "associations":
        names.append(match_info.get("to"))
    groups: list[list[str]] = []
    for name in names:
        otype = resolve(name) if name else None
        if otype is None:
            continue
        if kind in ("objects", "associations"):
            groups.append([object_scope(otype, write)])
        elif kind == "properties":
            groups.append([schema_scope(otype, write)])
        elif kind == "pipelines":
            groups.append(list(dict.fromkeys([schema_scope(otype, write),
                                                object_scope(otype, write)])))
    return groups


def missing_group(granted: frozenset[str] | None, groups: list[list[str]]) -> list[str] | None:
    """The first group the token holds none of; None if every group is satisfied."""
    if granted is None:
        return None
    for group in groups:
        if not granted.intersection(group):
            return group
    return None


def missing_scopes_body(group: list[str], cid: str, app: bool = False) -> dict:
    """docs/hubspot-api.md#authentication (hubspot-api-nodejs#268; `requiredGranularScopes` in
    newer responses). `app`: the journal's 403 also names them in `context` (*choice*:
    `context.missingScopes` is HubSpot's usual key, docs/hubspot-api.md#webhooks-journal)."""
    body = {"status": "error",
            "message": "This app hasn't been granted all required scopes to make this call. "
                       f"Read more about required scopes here: {SCOPES_URL}.",
            "correlationId": cid,
            "errors": [{"message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": list(group)}}],
            "links": {"scopes": SCOPES_URL}, "category": "MISSING_SCOPES"}
    if app:
        body["context"] = {"requiredGranularScopes": list(group), "missingScopes": list(group)}
    return body


def expired_body(expires_at: float, now: float, cid: str) -> dict:
    # Observed body (docs/hubspot-api.md#authentication, airbyte#74726): the age in whole units,
    # context key "expire time" with the ISO expiry.
    return {"status": "error",
            "message": f"The OAuth token used to make this call expired {_age(now - expires_at)}"
                       " ago.",
            "correlationId": cid, "category": "EXPIRED_AUTHENTICATION",
            "context": {"expire time": [iso_ms(int(expires_at * 1000))]}}


def _age(seconds: float) -> str:
    """`3 second(s)`, `92 minute(s)`, `19884 day(s)` as observed; hours are a *choice*."""
    s = max(0, int(seconds))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if s >= size:
            return f"{s // size} {unit}(s)"
    return f"{s} second(s)"


def _digest(token: str) -> str:
    # Issued tokens are looked up by digest: a dict lookup on the token itself would
    # compare its characters and leak timing.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _same(sent: object, expected: str) -> bool:
    """Constant-time equality of a sent credential and the expected one."""
    return hmac.compare_digest(str(sent).encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8", "surrogatepass"))


@dataclass
class Issued:
    expires_at: float  # wall-clock seconds
    scopes: frozenset[str] | None


class OAuthError(Exception):
    """A refused token request: HubSpot's v1-style 400 `{"status": <code>, "message"}`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    def body(self, cid: str) -> dict:
        return {"status": self.code, "message": self.message, "correlationId": cid}


class IssuedTokens:
    """Access tokens an app issued (`issued`: by digest, never the token itself)."""

    issued: dict[str, Issued]

    def lookup(self, token: str) -> Issued | None:
        return self.issued.get(_digest(token))

    def expire_all(self) -> int:
        now = time.time()
        live = [i for i in self.issued.values() if i.expires_at > now]
        for issued in live:
            issued.expires_at = now
        return len(live)


def bad_refresh_token() -> OAuthError:
    return OAuthError("BAD_REFRESH_TOKEN", "missing or unknown refresh token")


@dataclass
class OAuthApp(IssuedTokens):
    """One installed OAuth app with one valid refresh token at a time.

    Each refresh issues a new random access token valid `access_token_lifetime_s` seconds;
    with `rotate_refresh_token` it also returns a new refresh token and the old one stops
    working. Revoking the refresh token leaves issued access tokens valid until they expire
    (HubSpot: "Access tokens generated with the refresh token will not be affected")."""

    client_id: str
    client_secret: str
    refresh_token: str | None
    access_token_lifetime_s: float = 1800
    rotate_refresh_token: bool = False
    scopes: frozenset[str] | None = None
    issued: dict[str, Issued] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: dict) -> OAuthApp:
        known = {"client_id", "client_secret", "refresh_token", "access_token_lifetime_s",
                 "rotate_refresh_token", "scopes"}
        unknown = set(config) - known
        if unknown:
            raise ValueError(f"unknown oauth keys {sorted(unknown)}; known: {sorted(known)}")
        for key in ("client_id", "client_secret", "refresh_token"):
            if not isinstance(config.get(key), str) or not config[key]:
                raise ValueError(f"oauth {key} must be a non-empty string")
        lifetime = float(config.get("access_token_lifetime_s", 1800))
        if not 0 < lifetime < 10 ** 9:
            raise ValueError("oauth access_token_lifetime_s must be positive")
        return cls(config["client_id"], config["client_secret"], config["refresh_token"],
                   lifetime, bool(config.get("rotate_refresh_token", False)),
                   scope_set(config.get("scopes")))

    def _refresh_ok(self, token: str) -> bool:
        current = self.refresh_token
        return current is not None and hmac.compare_digest(
            token.encode("utf-8", "surrogatepass"), current.encode("utf-8", "surrogatepass"))

    def refresh(self, form) -> dict:
        """The `grant_type=refresh_token` answer, or OAuthError."""
        grant = form.get("grant_type", "")
        if grant != "refresh_token":
            raise OAuthError("BAD_GRANT_TYPE", "missing or unknown grant_type")
        client_ok = _same(form.get("client_id", ""), self.client_id)
        secret_ok = _same(form.get("client_secret", ""), self.client_secret)
        if not (client_ok and secret_ok and self._refresh_ok(str(form.get("refresh_token",
                                                                          "")))):
            raise bad_refresh_token()
        access = "C" + secrets.token_urlsafe(48)
        self.issued[_digest(access)] = Issued(time.time() + self.access_token_lifetime_s,
                                              self.scopes)
        if self.rotate_refresh_token:
            self.refresh_token = f"na1-{uuid.uuid4()}"
        return {"token_type": "bearer", "refresh_token": self.refresh_token,
                "access_token": access,
                "expires_in": math.ceil(self.access_token_lifetime_s)}

    def revoke(self, token: str) -> bool:
        """Delete the refresh token if `token` is it; issued access tokens stay valid."""
        if not self._refresh_ok(token):
            return False
        self.refresh_token = None
        return True

    def state(self) -> dict:
        now = time.time()
        return {"client_id": self.client_id, "refresh_token": self.refresh_token,
                "access_token_lifetime_s": self.access_token_lifetime_s,
                "rotate_refresh_token": self.rotate_refresh_token,
                "scopes": None if self.scopes is None else sorted(self.scopes),
                "access_tokens_issued": len(self.issued),
                "access_tokens_live": sum(i.expires_at > now for i in self.issued.values())}


_ISSUED_PRUNE_AT = 10_000


@dataclass
class AppClient(IssuedTokens):
    """The app's client-credentials grant (docs/hubspot-api.md#webhooks-journal): tokens that
    authenticate as the app, on the journal routes only.

    The credentials are the server's (`--client-id`/`--client-secret`, kept across resets, like
    `--token`); an installed `OAuthApp` (reset `oauth`) is the same app, so its client id and
    secret are accepted too. `scopes` (None: every scope, i.e. the journal's and every CRM
    scope) is what a token may ask for; `default_scopes` is what a reset restores."""

    client_id: str | None = None
    client_secret: str | None = None
    default_scopes: frozenset[str] | None = None
    lifetime_s: float = 1800
    scopes: frozenset[str] | None = None
    issued: dict[str, Issued] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.scopes = self.default_scopes

    def grant(self, form, installed: OAuthApp | None, known_scopes: frozenset[str]) -> dict:
        """The `grant_type=client_credentials` answer, or OAuthError (contract: BAD_CLIENT_ID,
        BAD_CLIENT_SECRET, BAD_SCOPE are *choice*)."""
        self._check_client(form, installed)
        available = known_scopes if self.scopes is None else self.scopes
        asked = str(form.get("scope", "")).split()
        unknown = sorted(set(asked) - available)
        if unknown:
            raise OAuthError("BAD_SCOPE", "The app is not allowed to request these scopes: "
                                          + " ".join(unknown))
        granted = frozenset(asked) if asked else frozenset(available)
        if len(self.issued) >= _ISSUED_PRUNE_AT:  # a long-running emulator stays bounded
            now = time.time()
            self.issued = {k: v for k, v in self.issued.items() if v.expires_at > now}
        access = "A" + secrets.token_urlsafe(48)
        self.issued[_digest(access)] = Issued(time.time() + self.lifetime_s, granted)
        return {"token_type": "bearer", "access_token": access,
                "expires_in": math.ceil(self.lifetime_s), "scope": " ".join(sorted(granted))}

    def _check_client(self, form, installed: OAuthApp | None) -> None:
        pairs = [(self.client_id, self.client_secret)]
        if installed is not None:
            pairs.append((installed.client_id, installed.client_secret))
        sent_id, sent_secret = form.get("client_id", ""), form.get("client_secret", "")
        matching = [secret for cid, secret in pairs if cid and _same(sent_id, cid)]
        if not matching:
            raise OAuthError("BAD_CLIENT_ID", "missing or unknown client_id")
        if not any(secret and _same(sent_secret, secret) for secret in matching):
            raise OAuthError("BAD_CLIENT_SECRET", "client_secret does not match the client_id")

    def state(self) -> dict:
        now = time.time()
        return {"client_id": self.client_id, "configured": bool(self.client_id),
                "scopes": None if self.scopes is None else sorted(self.scopes),
                "app_tokens_issued": len(self.issued),
                "app_tokens_live": sum(i.expires_at > now for i in self.issued.values())}
