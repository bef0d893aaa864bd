"""A Python client for the control surface (`/_emulator/...`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

_UNSET: Any = object()  # `body=None` is a real fault body (JSON null), so absence needs its own


def _segment(value: object) -> str:
    """A planted id as one path segment (ids with `/` or `?` are what tests plant)."""
    return quote(str(value), safe="")


class EmulatorControl:
    """Drive an emulator from tests and benchmarks:
    `EmulatorControl("http://127.0.0.1:8001", token="...")`.

    `token` is the control token: the API's Bearer token unless the emulator was started with
    a separate `control_token`. Without it only `health()` works."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, headers=headers)

    def _post(self, path: str, body: dict | None = None) -> Any:
        return self._checked(path, self._http.post(f"/_emulator/{path}", json=body or {}))

    def _get(self, path: str) -> Any:
        return self._checked(path, self._http.get(f"/_emulator/{path}"))

    @staticmethod
    def _checked(path: str, response: httpx.Response) -> Any:
        if response.status_code != 200:
            raise RuntimeError(f"emulator control {path} failed: {response.status_code} "
                               f"{response.text}")
        return response.json()

    def reset(self, **kwargs: Any) -> dict:
        """Reseed: contacts, seed, rate_limit, daily_limit, search_lag_ms, max_url_length,
        token_scopes, oauth ({client_id, client_secret, refresh_token, ...}), write_lock,
        webhooks ({url, client_secret, ...}: see `configure_webhooks`), id_bases
        ({type: base}: the type's first id is base + 1), email_events (how many generated
        email events), portal_id (the portal's Hub ID; kept when not given), ..."""
        return self._post("reset", kwargs)

    def set_clock(self, now_ms: int | None) -> dict:
        """Freeze the clock used to stamp writes (None: back to real time)."""
        return self._post("clock", {"now_ms": now_ms})

    def update(self, object_type: str, id: str | int, properties: dict,
               touch: bool = True) -> dict:
        """Change values upstream; `touch=False` keeps the last-modified time (silent change)."""
        return self._post(f"records/{object_type}/{id}",
                          {"properties": properties, "touch": touch})

    def add_property(self, object_type: str, definition: dict) -> dict:
        """Define a property upstream ({name, type, fieldType, label, options, …}); the name
        is not checked, so tests can plant any name."""
        return self._post(f"properties/{object_type}", definition)

    def add_pipeline_stage(self, object_type: str, pipeline_id: str, stage_id: str,
                           label: str = "", metadata: dict | None = None) -> dict:
        """Add a stage at the end of a deal or ticket pipeline (its metadata a string map,
        e.g. {"isClosed": "false", "probability": "0.5"})."""
        return self._post(f"pipelines/{object_type}/{_segment(pipeline_id)}/stages",
                          {"id": stage_id, "label": label, "metadata": metadata or {}})

    def restore(self, object_type: str, id: str | int) -> dict:
        """Take an archived record out of the recycle bin; its last-modified time stays."""
        return self._post(f"restore/{object_type}/{id}")

    def hard_delete(self, object_type: str, id: str | int) -> dict:
        """Delete a record for good (not GDPR): gone from every listing and read."""
        return self._post(f"hard_delete/{object_type}/{id}")

    def touch(self, object_type: str, ids: list | None = None, count: int | None = None,
              modified_ms: int | None = None) -> dict:
        """Set last-modified of `ids` (or the first `count` live records) to `modified_ms`."""
        return self._post("touch", {"objectType": object_type, "ids": ids, "count": count,
                                    "modified_ms": modified_ms})

    def put_raw(self, object_type: str, id: str | int, record: Any) -> dict:
        """Serve `record` verbatim for this id (None restores the real record)."""
        return self._post(f"raw/{object_type}/{id}", {"record": record})

    def put_raw_json(self, object_type: str, id: str | int, text: str | None) -> dict:
        """Splice `text` (JSON text of one record, e.g. with a lone `\\ud800` escape) verbatim
        wherever this record is served (None restores the real record)."""
        return self._post(f"raw_json/{object_type}/{id}", {"text": text})

    def set_faults(self, script: list[dict] | None = None, rate: float = 0.0,
                   kinds: list[str] | None = None, seed: int = 1, match: dict | None = None,
                   *, seconds: float | None = None, status: int | None = None,
                   body: Any = _UNSET) -> dict:
        """Script steps `{"kind", "seconds", "status", "body"}` run first, then `rate` picks
        from `kinds`; `seconds`/`status`/`body` are the defaults for both (see `faults`)."""
        request: dict[str, Any] = {"script": script or [], "rate": rate, "seed": seed}
        if kinds:
            request["kinds"] = kinds
        if match:
            request["match"] = match
        optional = {"seconds": seconds, "status": status}
        request.update({k: v for k, v in optional.items() if v is not None})
        if body is not _UNSET:
            request["body"] = body
        return self._post("faults", request)

    def clear_faults(self) -> dict:
        return self._post("faults", {})

    def set_rate_limit(self, profile: str, daily_limit: int | None = None,
                       window_ms: int | None = None, search_in_window: bool = False) -> dict:
        """A rate-limit profile; `search_in_window` also counts searches in the
        ten-secondly window (HubSpot's specs say they are exempt: the default)."""
        body: dict[str, Any] = {"profile": profile, "daily_limit": daily_limit,
                                "search_in_window": search_in_window}
        if window_ms is not None:
            body["window_ms"] = window_ms
        return self._post("rate_limit", body)

    def set_search_lag(self, ms: int) -> dict:
        return self._post("search_lag", {"ms": ms})

    def set_search_limits(self, **limits: int) -> dict:
        """max_groups, max_filters_per_group, max_filters, max_limit, max_body_chars."""
        return self._post("search_limits", limits)

    def configure_oauth(self, client_id: str, client_secret: str, refresh_token: str,
                        access_token_lifetime_s: float = 1800,
                        rotate_refresh_token: bool = False,
                        scopes: list[str] | None = None) -> dict:
        """Install an OAuth app with one valid refresh token. Each refresh (`POST /oauth/v1/token`
        or `/oauth/{2026-03,2026-09}/token`) issues a new access token valid
        `access_token_lifetime_s`; with `rotate_refresh_token` also a new refresh token (the
        old one stops working). `scopes`: the issued tokens' scopes (None: every scope)."""
        return self._post("oauth", {
            "client_id": client_id, "client_secret": client_secret,
            "refresh_token": refresh_token, "access_token_lifetime_s": access_token_lifetime_s,
            "rotate_refresh_token": rotate_refresh_token, "scopes": scopes})

    def disable_oauth(self) -> dict:
        """Remove the OAuth app: its tokens stop working, refreshes get BAD_REFRESH_TOKEN."""
        return self._checked("oauth", self._http.delete("/_emulator/oauth"))

    def oauth_state(self) -> dict:
        """`{configured, client_id, refresh_token (current, None once revoked), ...}`."""
        return self._get("oauth")

    def revoke_refresh_token(self) -> dict:
        """Revoke the current refresh token: later refreshes get 400 BAD_REFRESH_TOKEN."""
        return self._post("oauth/revoke")

    def expire_access_tokens(self) -> dict:
        """Make every issued access token expired now (next use: 401 EXPIRED_AUTHENTICATION)."""
        return self._post("oauth/expire")

    def set_token_scopes(self, scopes: list[str] | None) -> dict:
        """Scopes of the static private-app token (None: every scope, the default)."""
        return self._post("token_scopes", {"scopes": scopes})

    def deny_scopes(self, scopes: list[str]) -> dict:
        """The static token gets every scope the portal's types use except these, e.g.
        `["crm.objects.invoices.read"]`: that type answers 403 MISSING_SCOPES, others 200."""
        return self._post("token_scopes", {"deny": scopes})

    def set_write_lock(self, records: int | None = None, window_ms: int = 1000,
                       lock_ms: int = 2000) -> dict:
        """Answer 423 Locked once more than `records` records of one type are written within
        `window_ms`, for `lock_ms` (None: never lock, the default)."""
        if records is None:
            return self._post("write_lock", {})
        return self._post("write_lock", {"records": records, "window_ms": window_ms,
                                         "lock_ms": lock_ms})

    def lock_writes(self, object_type: str, ms: int = 2000) -> dict:
        """Lock `object_type`'s writes now for `ms` (423 Locked meanwhile)."""
        return self._post("lock", {"objectType": object_type, "ms": ms})

    def configure_webhooks(self, url: str, client_secret: str, **options: Any) -> dict:
        """Send every change as HubSpot webhook events to `url`, signed (v3) with
        `client_secret`. Options: app_id, subscriptions (None: all), properties (None: all),
        batch_size=100, duplicate_rate=0.0, reorder=False, max_attempts=5,
        retry_delay_ms=200, delay_ms=0, timeout_ms=5000, seed=1."""
        return self._post("webhooks", {"url": url, "client_secret": client_secret, **options})

    def disable_webhooks(self) -> dict:
        """Stop delivery; queued events are dropped."""
        return self._checked("webhooks", self._http.delete("/_emulator/webhooks"))

    def flush_webhooks(self, timeout_s: float = 10) -> dict:
        """Wait until every queued event is delivered or given up:
        `{"pending", "delivered", "failed"}` (event counts; pending > 0 after a timeout)."""
        response = self._http.post("/_emulator/webhooks/flush",
                                   json={"timeout_ms": int(timeout_s * 1000)},
                                   timeout=timeout_s + 30)
        return self._checked("webhooks/flush", response)

    def webhook_state(self) -> dict:
        """`{configured, url, app_id, …options, pending, delivered, failed, deliveries}`."""
        return self._get("webhooks")

    def webhook_deliveries(self) -> list[dict]:
        """One entry per POST made: `{"attempt", "status" (None: no answer), "events"
        (eventIds), "error"}`, oldest first."""
        return self.webhook_state()["deliveries"]

    def list_create(self, name: str, object_type_id: str = "0-1",
                    processing_type: str = "MANUAL", record_ids: list | None = None, *,
                    list_id: str | None = None, any_ids: bool = False) -> dict:
        """Create a list (lists v3): `{"listId", "size"}`. `list_id` plants that id (any
        text); `any_ids` keeps `record_ids` as given, not only the portal's live records."""
        body: dict[str, Any] = {"name": name, "objectTypeId": object_type_id,
                                "processingType": processing_type,
                                "recordIds": [str(i) for i in record_ids or []],
                                "anyIds": any_ids}
        if list_id is not None:
            body["listId"] = list_id
        return self._post("lists", body)

    def list_add_members(self, list_id: str | int, record_ids: list) -> dict:
        """Add records to a list (existing members and unknown records are ignored, as
        HubSpot does): `{"listId", "added", "size"}`. Moves `hs_last_record_added_at` and
        `hs_list_size`, not `updatedAt`."""
        return self._post(f"lists/{_segment(list_id)}/add",
                          {"recordIds": [str(i) for i in record_ids]})

    def list_remove_members(self, list_id: str | int, record_ids: list) -> dict:
        """Remove records from a list: `{"listId", "removed", "size"}`."""
        return self._post(f"lists/{_segment(list_id)}/remove",
                          {"recordIds": [str(i) for i in record_ids]})

    def list_rename(self, list_id: str | int, name: str) -> dict:
        """Change a list's definition (its name): `updatedAt` moves."""
        return self._post(f"lists/{_segment(list_id)}/rename", {"name": name})

    def list_delete(self, list_id: str | int) -> dict:
        """Delete a list: out of search, GET shows `deletedAt`, memberships answer 404."""
        return self._post(f"lists/{_segment(list_id)}/delete")

    def list_restore(self, list_id: str | int) -> dict:
        """Restore a deleted list: back in search, with its members."""
        return self._post(f"lists/{_segment(list_id)}/restore")

    def form_create(self, name: str, form_id: str | None = None,
                    form_type: str | None = None) -> dict:
        """Create a live form (`form_id`: plant that id, any text; `form_type`: hubspot,
        captured, flow or blog_comment, default hubspot): the form JSON."""
        body: dict[str, Any] = {"name": name}
        if form_id is not None:
            body["formId"] = form_id
        if form_type is not None:
            body["formType"] = form_type
        return self._post("forms", body)

    def form_add_submission(self, form_id: str, values: dict | list,
                            page_url: str | None = None,
                            submitted_at_ms: int | None = None,
                            conversion_id: str | None = None) -> dict:
        """Submit a form (`values`: `{name: value}` or `[{name, value}]`; time: the emulated
        clock's now unless given): the submission as the API serves it, plus `formId`."""
        body: dict[str, Any] = {"values": values}
        if page_url is not None:
            body["pageUrl"] = page_url
        if submitted_at_ms is not None:
            body["submittedAt"] = submitted_at_ms
        if conversion_id is not None:
            body["conversionId"] = conversion_id
        return self._post(f"forms/{_segment(form_id)}/submissions", body)

    def marketing_email(self, email_id: str | None = None, **fields: Any) -> dict:
        """Create (no `email_id`) or change a marketing email: `name`, `subject`, `state`,
        `campaign` (a guid or None), `archived` (bool), `counters` ({name: n}); its
        `updatedAt` becomes the emulated clock's now. The email as served with stats."""
        body = dict(fields) if email_id is None else {"id": email_id, **fields}
        return self._post("marketing/emails", body)

    def campaign(self, guid: str | None = None, **fields: Any) -> dict:
        """Create (no `guid`) or change a marketing campaign: `name`, `budget` and `spend`
        (lists of amounts); its `updatedAt` becomes the emulated clock's now. `delete=True`
        deletes it."""
        body = dict(fields) if guid is None else {"id": guid, **fields}
        return self._post("marketing/campaigns", body)
    def conversation_message(self, thread_id: str, text: str = "", **fields: Any) -> dict:
        """Add a message to a conversation thread: `type` (MESSAGE), `direction` (INCOMING),
        `createdAt` (epoch ms; the emulated clock's now unless given), `truncated`,
        `archived`. The message as the thread's history lists it."""
        return self._post("conversations/messages",
                          {"threadId": thread_id, "text": text, **fields})

    def conversation_thread(self, thread_id: str, **fields: Any) -> dict:
        """Change a thread: `status` (OPEN, CLOSED), `archived` (bool), `delete` (bool)."""
        return self._post("conversations/threads", {"threadId": thread_id, **fields})

    def subscription_change(self, email: str, subscription_id: int, status: str,
                            source: str = "SOURCE_RECIPIENT", timestamp_ms: int | None = None,
                            legal_basis: str | None = None,
                            caused_by_event: dict | None = None) -> dict:
        """Change a contact's subscription (`status`: SUBSCRIBED or UNSUBSCRIBED; time: the
        emulated clock's now unless given): adds a timeline entry and moves the status unless a
        later one is recorded. → `{entry, status}` as the API serves them."""
        body: dict[str, Any] = {"email": email, "subscriptionId": subscription_id,
                                "status": status, "source": source}
        for key, value in (("timestamp", timestamp_ms), ("legalBasis", legal_basis),
                           ("causedByEvent", caused_by_event)):
            if value is not None:
                body[key] = value
        return self._post("subscriptions/change", body)

    def subscription_timeline_raw(self, entry: Any, timestamp_ms: int | None = None) -> dict:
        """Plant a timeline item served verbatim (any JSON), sorted at `timestamp_ms`."""
        body: dict[str, Any] = {"entry": entry}
        if timestamp_ms is not None:
            body["timestamp"] = timestamp_ms
        return self._post("subscriptions/timeline", body)

    def subscription_type_create(self, name: str, subscription_id: int | None = None,
                                 description: str = "", purpose: str = "Marketing") -> dict:
        """Add a subscription type: its definition as the v3 API serves it."""
        body: dict[str, Any] = {"name": name, "description": description, "purpose": purpose}
        if subscription_id is not None:
            body["id"] = subscription_id
        return self._post("subscriptions/types", body)

    def user_teams(self, user_id: str | int, primary_team_id: str | None,
                   secondary_team_ids: list | tuple = ()) -> dict:
        """Set a user's teams (settings users API): the user as served. The teams API lists
        the new members, and the user's owner lists the new teams."""
        return self._post(f"settings/users/{_segment(user_id)}/teams",
                          {"primaryTeamId": primary_team_id,
                           "secondaryTeamIds": [str(t) for t in secondary_team_ids]})

    def add_email_events(self, events: list[dict]) -> list[dict]:
        """Add email events (`[{type, recipient, emailCampaignId, created, id, fields}]`; the
        time is the emulated clock's now unless `created` (epoch ms) is given; `fields` are
        merged in verbatim): the events as the API serves them."""
        return self._post("email_events", {"events": events})["events"]

    def email_events_state(self) -> dict:
        """`{generated, added, campaigns: [email campaign ids]}`."""
        return self._get("email_events")

    def journal_state(self) -> dict:
        """The webhooks journal: `{entries, earliestOffset, latestOffset, subscriptions}`."""
        return self._get("journal")

    def set_app_scopes(self, scopes: list[str] | None) -> dict:
        """The scopes the journal app may be granted (None: every scope); a reset restores
        the configured ones."""
        return self._post("journal", {"appScopes": scopes})

    def stats(self) -> dict:
        """Requests by status and path, faults injected, `oauth_refreshes`,
        `oauth_refresh_failures`."""
        return self._get("stats")

    def health(self) -> dict:
        return self._get("health")

    def close(self) -> None:
        self._http.close()
