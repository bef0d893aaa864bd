"""The CRM tables: the objects with their `property_<name>` columns, owners (examples of the
declaration style; the rest of the CRM tables follow)."""

from __future__ import annotations

from .layout import Table, literal, parsed, typed

SYNCED = typed("_fivetran_synced", "timestamp", "t.synced_at")
DELETED = typed("_fivetran_deleted", "boolean", "t.archived")

TABLES = (
    Table("contact", "hubspot_contact t", (
        parsed("id", "bigint", "t.id"), SYNCED, DELETED,
    ), properties_of="contacts"),
    Table("owner", "hubspot_owner t", (
        parsed("owner_id", "bigint", "t.id"), SYNCED,
        typed("email", "text", "t.email"),
        typed("first_name", "text", "t.first_name"),
        typed("last_name", "text", "t.last_name"),
        typed("active_user_id", "bigint", "t.user_id"),
        literal("portal_id", "bigint"),
    )),
)
