"""Owners, teams, users and roles as Fivetran names them: `owner`, `owner_team` (the teams the
owners API lists for each owner), `users`, `team`, `team_user` (the members the settings
teams API lists) and `role` (docs/fivetran-layer.md, "CRM objects …").

Membership rows exist in the mirror only while HubSpot lists them (a read replaces them), so a
membership is deleted when its owner is archived, never on its own.
"""

from __future__ import annotations

from .layout import Table, literal, parsed, typed

SYNCED = typed("_fivetran_synced", "timestamp", "t.synced_at")
DELETED = typed("_fivetran_deleted", "boolean", "t.archived")

TABLES = (
    Table("owner", "hubspot_owner t", (
        parsed("owner_id", "bigint", "t.id"), SYNCED, DELETED,
        typed("email", "text", "t.email"),
        typed("first_name", "text", "t.first_name"),
        typed("last_name", "text", "t.last_name"),
        typed("active_user_id", "bigint", "t.user_id"),
        typed("type", "text", "t.type"),
        typed("created_at", "timestamp", "t.created_at"),
        typed("updated_at", "timestamp", "t.updated_at"),
        literal("portal_id", "bigint"),
    )),
    # The owner's row decides deletion: an archived owner's teams are gone with it.
    Table("owner_team", "hubspot_owner_team t LEFT JOIN hubspot_owner o ON o.id = t.owner_id", (
        parsed("owner_id", "bigint", "t.owner_id"),
        parsed("team_id", "bigint", "t.team_id"),
        typed("is_team_primary", "boolean", "t.is_primary"),
        SYNCED,
        typed("_fivetran_deleted", "boolean", "COALESCE(o.archived, FALSE)"),
    )),
    Table("users", "hubspot_settings_user t", (
        parsed("id", "bigint", "t.id"), SYNCED, DELETED,
        typed("email", "text", "t.email"),
        typed("first_name", "text", "t.first_name"),
        typed("last_name", "text", "t.last_name"),
        parsed("role_id", "bigint", "t.role_id"),
        parsed("primary_team_id", "bigint", "t.primary_team_id"),
    )),
    Table("team", "hubspot_team t", (
        parsed("id", "bigint", "t.id"), SYNCED, DELETED,
        typed("name", "text", "t.name"),
    )),
    Table("team_user", "hubspot_team_member t LEFT JOIN hubspot_team g ON g.id = t.team_id", (
        parsed("team_id", "bigint", "t.team_id"),
        parsed("user_id", "bigint", "t.user_id"),
        typed("is_secondary_user", "boolean", "NOT t.is_primary"),
        SYNCED,
        typed("_fivetran_deleted", "boolean", "COALESCE(g.archived, FALSE)"),
    )),
    Table("role", "hubspot_role t", (
        parsed("id", "bigint", "t.id"), SYNCED, DELETED,
        typed("name", "text", "t.name"),
        typed("requires_billing_write", "boolean", "t.requires_billing_write"),
    )),
)
