"""The exception tree of the HubSpot client (shaped like httpx's).

    HubSpotError                   anything the client raises
    ├── HubSpotTransportError      no usable answer: dropped, cut-off             retriable
    │   └── HubSpotTimeoutError    no connection or no answer within HUBSPOT_TIMEOUT:
    │                              retriable, but TIMEOUT_ATTEMPTS times at most
    ├── HubSpotConnectError        HubSpot unreachable: refused connection, unknown
    │                              host, bad URL, or timeouts past their attempts fatal
    ├── HubSpotMalformedReplyError a 2xx whose body lacks its expected shape      retriable
    ├── HubSpotLoopError           paging that repeats or a search that ignores
    │                              its filter: retrying cannot help              fatal
    ├── HubSpotWaitTooLongError    asked to wait longer than HUBSPOT_MAX_WAIT_SECONDS fatal
    └── HubSpotAPIError            HubSpot answered with an error status
        ├── HubSpotRateLimitError  429 TEN_SECONDLY_ROLLING / SECONDLY           retriable
        │   └── HubSpotDailyLimitError  429 DAILY: nothing to gain till midnight  fatal
        │       └── HubSpotDailyReserveError  the daily reserve for other apps
        │                                     (HUBSPOT_DAILY_RESERVE_PERCENT) reached  fatal
        ├── HubSpotServerError     5xx, 423 Locked, 477 Migration in progress    retriable
        ├── HubSpotAuthError       HubSpot refused who we are, or what we may do  fatal
        │   ├── HubSpotUnauthorizedError  401: a bad, expired or revoked token:
        │   │   │                         nothing works until it is replaced     fatal
        │   │   ├── HubSpotRefreshTokenError  the OAuth refresh token was refused fatal
        │   │   └── HubSpotClientCredentialsError  the app's client id or secret was
        │   │                                      refused (client-credentials grant) fatal
        │   └── HubSpotForbiddenError     403: a good token without this scope, or
        │                                 a portal without the feature: that type
        │                                 or endpoint alone (also a scope refused
        │                                 by the client-credentials grant)       fatal
        └── HubSpotClientError     any other 4xx: our request was wrong          fatal

Whether to retry is decided in one place: the class attribute `retriable`. A retriable
error that outlasts the attempts is fatal to the run, with the same message.
Messages carry HubSpot's message, category and correlation id, never the token: whatever
an upstream message echoes (e.g. our Authorization header) is redacted when it is shown.
"""

from __future__ import annotations

from ingestion.base.redact import redact


class HubSpotError(Exception):
    retriable = False
    header = ""  # the Authorization header a refused request carried (never shown)
    missing_scopes: tuple[str, ...] = ()  # a 403's `context.missingScopes`, when it says

    def __init__(self, message: str, *, status: int | None = None, category: str = "",
                 correlation_id: str = "", retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.category = category
        self.correlation_id = correlation_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        parts = [f"HTTP {self.status}" if self.status else "", self.category, self.message]
        text = " ".join(p for p in parts if p)
        text = f"{text} (correlation id {self.correlation_id})" if self.correlation_id else text
        return redact(text)


class HubSpotTransportError(HubSpotError):
    retriable = True


class HubSpotTimeoutError(HubSpotTransportError):
    """No connection, or no answer, within the timeout. Each attempt costs the whole timeout
    (30 s by default), so a host that accepts connections and never answers would hold a run
    for HUBSPOT_MAX_ATTEMPTS x HUBSPOT_TIMEOUT per request: timeouts get TIMEOUT_ATTEMPTS in
    all (a blip gets its second chance), then HubSpot counts as unreachable."""

    max_attempts = 3


TIMEOUT_ATTEMPTS = HubSpotTimeoutError.max_attempts


class HubSpotConnectError(HubSpotError):
    """HubSpot unreachable: no run of any type can get past it (`sync_hubspot_all` stops)."""


def after_retries(error: HubSpotError, attempts: int) -> HubSpotError:
    """What a retriable error that outlasted its `attempts` is to the run: itself (fatal), or
    for a timeout, HubSpot unreachable (the message names the host and HUBSPOT_TIMEOUT)."""
    if isinstance(error, HubSpotTimeoutError):
        return HubSpotConnectError(f"HubSpot unreachable: {error.message} "
                                   f"({attempts} attempt(s))")
    return error


class HubSpotMalformedReplyError(HubSpotError):
    """A success status whose body is not what the endpoint returns: never read as data
    (an empty page is not "the end"), retried like a 5xx, then fatal."""

    retriable = True


class HubSpotLoopError(HubSpotError):
    pass


class HubSpotWaitTooLongError(HubSpotError):
    pass


class HubSpotAPIError(HubSpotError):
    pass


class HubSpotRateLimitError(HubSpotAPIError):
    retriable = True


class HubSpotDailyLimitError(HubSpotRateLimitError):
    retriable = False


class HubSpotDailyReserveError(HubSpotDailyLimitError):
    """Raised by the pacer, not HubSpot: what is left of the day's requests is kept for the
    account's other apps. Handled like the daily limit (the run stops, nothing is lost)."""


class HubSpotServerError(HubSpotAPIError):
    retriable = True


class HubSpotAuthError(HubSpotAPIError):
    """HubSpot refused the request's credentials (401) or what they may reach (403): catch
    the subclass that is meant, they are handled apart (a 403 skips one type)."""


class HubSpotUnauthorizedError(HubSpotAuthError):
    """401: the token is missing, wrong, expired or revoked: no request gets past it."""


class HubSpotRefreshTokenError(HubSpotUnauthorizedError):
    """The OAuth refresh token was refused: nothing works until it is replaced."""


class HubSpotClientCredentialsError(HubSpotUnauthorizedError):
    """The app's client id or secret was refused by the client-credentials grant."""


class HubSpotForbiddenError(HubSpotAuthError):
    """403: the token is good but may not read this (the app lacks the type's scope, or the
    portal the feature): other types and endpoints still answer."""


class HubSpotClientError(HubSpotAPIError):
    pass


def error_for_response(status: int, body: object, retry_after: float | None) -> HubSpotAPIError:
    """Map an error response to its exception class (the one place statuses are classified)."""
    fields = body if isinstance(body, dict) else {}
    # str() prefixes the status: a reply without HubSpot's JSON error body (a proxy's page, a
    # server that is not HubSpot) is said to be one, not "HTTP 404 … HTTP 404".
    message = str(fields.get("message") or "(the reply is not a HubSpot error)")
    kwargs = {
        "status": status,
        "category": str(fields.get("category") or fields.get("policyName") or ""),
        "correlation_id": str(fields.get("correlationId") or ""),
        "retry_after": retry_after,
    }
    if status == 429:
        # HubSpot quirk (docs/hubspot-api.md#rate-limits): the policy is in `policyName`, not
        # `category`.
        daily = fields.get("policyName") == "DAILY"
        return (HubSpotDailyLimitError if daily else HubSpotRateLimitError)(message, **kwargs)
    if status == 401:
        return HubSpotUnauthorizedError(message, **kwargs)
    if status == 403:
        error = HubSpotForbiddenError(message, **kwargs)
        error.missing_scopes = _missing_scopes(fields)
        return error
    if status >= 500 or status in (423, 477):
        return HubSpotServerError(message, **kwargs)
    return HubSpotClientError(message, **kwargs)


def _missing_scopes(fields: dict) -> tuple[str, ...]:
    """The scopes a 403 says the app lacks (`context.missingScopes`, as the webhooks journal
    answers; docs/hubspot-api.md#webhooks-journal); () when it does not say."""
    context = fields.get("context")
    scopes = context.get("missingScopes") if isinstance(context, dict) else None
    if not isinstance(scopes, list):
        return ()
    return tuple(str(scope) for scope in scopes if isinstance(scope, str) and scope)
