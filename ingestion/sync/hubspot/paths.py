"""The one place that builds HubSpot paths, for the API version the setting names.

HubSpot moved to date-versioned paths (`/crm/objects/2026-09/contacts`) in March 2026; the
numeric ones (`/crm/v3/…`, `/crm/v4/associations/…`) become unsupported: v4 associations on
2027-03-30, every v1-v4 path in September 2027, and the v1 OAuth token endpoint is
deprecated from 2027-02-16 (docs/hubspot-api.md#dated-paths). Bodies, paging and limits are
the same in both families (docs/hubspot-api.md#dated-paths), so only the paths differ.

Object types are passed as HubSpot names (`contacts`) or type ids (`0-1`, `2-123`): custom
object types are always addressed by their objectTypeId, never by base name
(docs/hubspot-api.md#object-types).

Every path segment that comes from data (an object type, a list or form id) goes through
`segment()`: HubSpot chooses those values, and one holding `/`, `?`, `#` or `..` would send
the request elsewhere (a list id `../../crm/v3/owners`) or file one form's submissions
under another (an id `x?after=…`). Nothing else formats a path with data.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

LEGACY = "legacy"
DATED_VERSIONS = ("2026-09", "2026-03")
VERSIONS = (*DATED_VERSIONS, LEGACY)
DEFAULT_VERSION = "2026-09"
OAUTH_DATED_VERSION = "2026-03"  # the OAuth API's dated version (docs/hubspot-api.md#oauth)
# HubSpot's lists, forms, marketing emails, campaigns and marketing events references document
# these APIs dated 2026-03 (their 2026-09 is a beta): any dated setting uses that version.
MARKETING_DATED_VERSION = "2026-03"
ACCOUNT_INFO_DATED_VERSION = "2026-03"
# The deal splits API's and the limits tracking API's documented date
# (docs/hubspot-api.md#deal-splits, #record-counts).
DEAL_SPLITS_DATED_VERSION = "2026-03"
LIMITS_DATED_VERSION = "2026-03"
# The communication preferences (subscriptions) API's documented date
# (docs/hubspot-api.md#subscriptions).
COMM_PREFS_DATED_VERSION = "2026-03"  # the account information API's documented date
# The settings users API (users, teams, roles): 2026-03 is its dated version out of beta
# (docs/hubspot-api.md#teams-and-roles).
SETTINGS_USERS_DATED_VERSION = "2026-03"
# The webhooks journal exists only dated (2026-03), in both families: HUBSPOT_API_VERSION
# changes nothing there (docs/hubspot-api.md#webhooks-journal).
JOURNAL_DATED_VERSION = "2026-03"


def segment(value: object) -> str:
    """`value` as one path segment: every character but letters, digits and `-._~`
    percent-escaped, and a segment of dots (`.`, `..`, which clients and servers resolve
    as "this" and "the parent" directory) escaped too."""
    text = quote(str(value), safe="")
    return text.replace(".", "%2E") if text.strip(".") == "" else text


@dataclass(frozen=True)
class HubSpotPaths:
    version: str = DEFAULT_VERSION

    def __post_init__(self) -> None:
        if self.version not in VERSIONS:
            raise ValueError(f"HUBSPOT_API_VERSION must be one of {', '.join(VERSIONS)}, "
                             f"not {self.version!r}")

    @property
    def legacy(self) -> bool:
        return self.version == LEGACY

    def _crm(self, api: str, legacy_prefix: str) -> str:
        return legacy_prefix if self.legacy else f"/crm/{api}/{self.version}"

    def objects(self, object_type: str) -> str:
        """List and get; `…/batch/read` and `…/search` below."""
        return f"{self._crm('objects', '/crm/v3/objects')}/{segment(object_type)}"

    def batch_read(self, object_type: str) -> str:
        return f"{self.objects(object_type)}/batch/read"

    def search(self, object_type: str) -> str:
        return f"{self.objects(object_type)}/search"

    def associations_batch_read(self, from_type: str, to_type: str) -> str:
        base = self._crm("associations", "/crm/v4/associations")
        return f"{base}/{segment(from_type)}/{segment(to_type)}/batch/read"

    def association_labels(self, from_type: str, to_type: str) -> str:
        base = self._crm("associations", "/crm/v4/associations")
        return f"{base}/{segment(from_type)}/{segment(to_type)}/labels"

    def properties(self, object_type: str) -> str:
        return f"{self._crm('properties', '/crm/v3/properties')}/{segment(object_type)}"

    def owners(self) -> str:
        return self._crm("owners", "/crm/v3/owners")

    def pipelines(self, object_type: str) -> str:
        return f"{self._crm('pipelines', '/crm/v3/pipelines')}/{segment(object_type)}"

    def schemas(self) -> str:
        return "/crm/v3/schemas" if self.legacy else f"/crm-object-schemas/{self.version}/schemas"

    def account_details(self) -> str:
        """The token's account (`portalId` …)."""
        return ("/account-info/v3/details" if self.legacy
                else f"/account-info/{ACCOUNT_INFO_DATED_VERSION}/details")

    def lists(self) -> str:
        """`…/search` (POST); one list: `list()`, its members: `list_memberships()`."""
        return "/crm/v3/lists" if self.legacy else f"/crm/lists/{MARKETING_DATED_VERSION}"

    def list(self, list_id: str) -> str:
        return f"{self.lists()}/{segment(list_id)}"

    def list_memberships(self, list_id: str) -> str:
        return f"{self.list(list_id)}/memberships"

    def forms(self) -> str:
        return ("/marketing/v3/forms" if self.legacy
                else f"/marketing/forms/{MARKETING_DATED_VERSION}")

    def form_submissions(self, form_id: str) -> str:
        # HubSpot documents submissions only as the v1 form-integrations API, with no dated
        # twin: both families read them there.
        return f"/form-integrations/v1/submissions/forms/{segment(form_id)}"

    def workflows(self) -> str:
        # The flows API has no dated version out of beta yet (docs/hubspot-api.md#workflows):
        # dated settings read v4, legacy the v3 workflows API the peers read.
        return "/automation/v3/workflows" if self.legacy else "/automation/v4/flows"

    def workflows_batch_read(self) -> str:
        return "/automation/v4/flows/batch/read"

    def marketing_emails(self) -> str:
        """List (`includeStats`, `updatedAfter` …); docs/hubspot-api.md#marketing-emails."""
        return ("/marketing/v3/emails" if self.legacy
                else f"/marketing/emails/{MARKETING_DATED_VERSION}")

    def campaigns(self) -> str:
        """List; one campaign (with its assets): `campaign()`; docs/hubspot-api.md#campaigns."""
        return ("/marketing/v3/campaigns" if self.legacy
                else f"/marketing/campaigns/{MARKETING_DATED_VERSION}")

    def campaign(self, guid: str) -> str:
        return f"{self.campaigns()}/{segment(guid)}"

    def campaign_assets(self, guid: str, asset_type: str) -> str:
        return f"{self.campaign(guid)}/assets/{segment(asset_type)}"

    def campaign_budget(self, guid: str) -> str:
        return f"{self.campaign(guid)}/budget/totals"
    def subscription_definitions(self) -> str:
        # v3 answers `subscriptionDefinitions`, the dated API `results`
        # (docs/hubspot-api.md#subscriptions).
        return ("/communication-preferences/v3/definitions" if self.legacy
                else f"/communication-preferences/{COMM_PREFS_DATED_VERSION}/definitions")

    def subscription_statuses_batch_read(self) -> str:
        # v3 has no batch read: the legacy family reads v4 (docs/hubspot-api.md#subscriptions).
        version = "v4" if self.legacy else COMM_PREFS_DATED_VERSION
        return f"/communication-preferences/{version}/statuses/batch/read"

    def subscription_timeline(self) -> str:
        # v1 only: the timeline has no dated twin (docs/hubspot-api.md#subscriptions).
        return "/email/public/v1/subscriptions/timeline"
    def email_events(self) -> str:
        # The email analytics API exists only as v1, in both families: HUBSPOT_API_VERSION
        # changes nothing here (docs/hubspot-api.md#email-events).
        return "/email/public/v1/events"

    def email_campaigns_by_id(self) -> str:
        return "/email/public/v1/campaigns/by-id"

    def email_campaigns(self) -> str:
        """Email campaigns by most recent activity, with `lastUpdatedTime`."""
        return "/email/public/v1/campaigns"

    def email_campaign(self, campaign_id: int | str) -> str:
        return f"/email/public/v1/campaigns/{segment(str(campaign_id))}"

    def marketing_events(self) -> str:
        """Every marketing event (`after` paging); docs/hubspot-api.md#marketing-events. The v3
        listing is `…/marketing-events/` with its trailing slash, as HubSpot's clients send it
        (without it the path names no listing)."""
        return ("/marketing/v3/marketing-events/" if self.legacy
                else f"/marketing/marketing-events/{MARKETING_DATED_VERSION}")

    def marketing_event_participations(self, event_id: str) -> str:
        """One event's participations by its objectId (`after` paging, `total`)."""
        base = ("/marketing/v3/marketing-events" if self.legacy
                else f"/marketing/marketing-events/{MARKETING_DATED_VERSION}")
        return f"{base}/participations/{segment(event_id)}/breakdown"

    def settings_users(self) -> str:
        """Users (`after` paging); `…/teams`, `…/roles` below. The legacy list is documented
        with its trailing slash (docs/hubspot-api.md#teams-and-roles)."""
        return ("/settings/v3/users/" if self.legacy
                else f"/settings/users/{SETTINGS_USERS_DATED_VERSION}")

    def settings_teams(self) -> str:
        return f"{self.settings_users().rstrip('/')}/teams"

    def settings_roles(self) -> str:
        return f"{self.settings_users().rstrip('/')}/roles"

    def conversations(self, resource: str) -> str:
        """`inboxes`, `channels`, `channel-accounts` or `threads` of the conversations API.
        HubSpot documents it as v3 and, dated, only as a beta (`2026-09-beta`): both families
        read v3 (docs/hubspot-api.md#conversations)."""
        return f"/conversations/v3/conversations/{resource}"

    def conversation_messages(self, thread_id: str) -> str:
        return f"{self.conversations('threads')}/{segment(thread_id)}/messages"

    def conversation_original_content(self, thread_id: str, message_id: str) -> str:
        """A message's whole text where the listing truncated it."""
        return (f"{self.conversation_messages(thread_id)}/{segment(message_id)}"
                "/original-content")

    def deal_splits_batch_read(self) -> str:
        # The dated API lives outside `/crm/` (docs/hubspot-api.md#deal-splits).
        return ("/crm/v3/objects/deals/splits/batch/read" if self.legacy
                else f"/deal-splits/{DEAL_SPLITS_DATED_VERSION}/batch/read")

    def record_counts(self) -> str:
        """Every object type's record count and limit, in one reply (the limits tracking
        API; docs/hubspot-api.md#record-counts)."""
        return ("/crm/v3/limits/records" if self.legacy
                else f"/crm/limits/{LIMITS_DATED_VERSION}/records")

    def oauth_token(self) -> str:
        return "/oauth/v1/token" if self.legacy else f"/oauth/{OAUTH_DATED_VERSION}/token"

    def client_credentials_token(self) -> str:
        """The client-credentials grant (an app's own token: the webhooks journal). HubSpot
        documents it on the v1 endpoint only, in both families (the dated token endpoint's
        reference lists only the refresh and authorization-code grants)."""
        return "/oauth/v1/token"

    # -- the webhooks journal (docs/hubspot-api.md#webhooks-journal) -------------------------

    def journal_local(self, tail: str = "") -> str:
        """The local journal (one portal's entries; `?installPortalId=`), and `tail` below
        it as given: callers escape data in it with segment(), or use the methods below."""
        base = f"/webhooks-journal/journal-local/{JOURNAL_DATED_VERSION}"
        return f"{base}/{tail.lstrip('/')}" if tail else base

    def journal_earliest(self) -> str:
        return self.journal_local("earliest")

    def journal_latest(self) -> str:
        return self.journal_local("latest")

    def journal_next(self, offset: str) -> str:
        """The entry after `offset` (a currentOffset)."""
        return self.journal_local(f"offset/{segment(offset)}/next")

    def journal_earliest_batch(self, count: int) -> str:
        return self.journal_local(f"batch/earliest/{segment(count)}")

    def journal_latest_batch(self, count: int) -> str:
        return self.journal_local(f"batch/latest/{segment(count)}")

    def journal_next_batch(self, offset: str, count: int) -> str:
        """Up to `count` entries after `offset`, oldest first."""
        return self.journal_local(f"batch/{segment(offset)}/next/{segment(count)}")

    def journal_batch_read(self) -> str:
        """POST `{"inputs": [offset, …]}`: these entries."""
        return self.journal_local("batch/read")

    def journal_subscriptions(self) -> str:
        """List (GET) and create-or-update (POST) the app's subscriptions."""
        return f"/webhooks-journal/subscriptions/{JOURNAL_DATED_VERSION}"

    def journal_subscription(self, subscription_id: int | str) -> str:
        return f"{self.journal_subscriptions()}/{segment(subscription_id)}"

    def snapshots(self) -> str:
        """POST `{"snapshotRequests": [...]}`: CRM snapshots written to the journal."""
        return f"/webhooks-journal/snapshots/{JOURNAL_DATED_VERSION}/crm"
