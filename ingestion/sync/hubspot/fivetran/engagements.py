"""The engagement tables: `engagement` (every activity of every type, one row each), the
per-type tables (`engagement_call` … with the type's `property_<name>` columns) and the
engagements' links to contacts, companies, deals and tickets (docs/fivetran-layer.md).

The mirror keeps each activity type as its own CRM object type (calls, emails, meetings, notes,
tasks, communications, postal mail), so `engagement` is their union. Engagement links are read
from the engagement's side only (object_types.ENGAGEMENT_LINKS), so each link is one row of
`hubspot_association` with an engagement type as `from_object_type`: the association views
filter on that indexed column and never see a link twice.

dbt_hubspot's staging models of the per-type tables keep every column they do not know,
renamed without a `property_hs_` prefix (its macro `remove_duplicate_and_prefix_from_columns`,
v1.7.2). A property whose new name is one the model already has (`hs_owner_id` would become a
second `owner_id`) would make the model fail, so such a property is left out of that table
(`dbt_safe`); it is still in the typed views and in `properties`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .layout import Column, Table, from_json, literal, parsed, typed

SYNCED = typed("_fivetran_synced", "timestamp", "t.synced_at")
DELETED = typed("_fivetran_deleted", "boolean", "t.archived")


@dataclass(frozen=True)
class Activity:
    object_type: str  # the mirror's type name (hubspot_association.from_object_type)
    table: str
    type_sql: str  # Fivetran's engagement type, as SQL over the row (alias t)
    fivetran: str | None  # its per-type table; None: Fivetran has none


# An email's type follows its direction, as HubSpot's engagements name them (dbt_hubspot counts
# INCOMING_EMAIL and FORWARDED_EMAIL apart from EMAIL).
EMAIL_TYPE = ("(CASE WHEN t.hs_email_direction IN ('INCOMING_EMAIL', 'FORWARDED_EMAIL') "
              "THEN t.hs_email_direction ELSE 'EMAIL' END)")

ACTIVITIES = (
    Activity("calls", "hubspot_call", "'CALL'", "engagement_call"),
    Activity("emails", "hubspot_email", EMAIL_TYPE, "engagement_email"),
    Activity("meetings", "hubspot_meeting", "'MEETING'", "engagement_meeting"),
    Activity("notes", "hubspot_note", "'NOTE'", "engagement_note"),
    Activity("tasks", "hubspot_task", "'TASK'", "engagement_task"),
    Activity("communications", "hubspot_communication", "'COMMUNICATION'",
             "engagement_communication"),
    Activity("postal_mail", "hubspot_postal_mail", "'POSTAL_MAIL'", None),
)
ENGAGEMENT_TYPES = ", ".join(f"'{a.object_type}'" for a in ACTIVITIES)


# -- dbt_hubspot's renaming of the per-type tables' extra columns ------------------------------

DBT_PREFIX = "property_hs_"
# Names every per-type staging model has besides its macro's aliases: `source_relation`
# (apply_source_relation), and what `engagements_joined` adds to it in hubspot__engagement_*.
DBT_ADDED = ("source_relation", "contact_ids", "deal_ids", "company_ids", "is_active")


def dbt_names(columns: list[str], listed: dict[str, str]) -> dict[str, str]:
    """Each column the staging model keeps beyond its macro's (`listed`: name → alias) → the
    name it gets, as remove_duplicate_and_prefix_from_columns gives it: a column whose name
    without its first 12 characters is another column's name takes that name (and that column
    is dropped); then a `property_hs_` column loses the prefix; any other keeps its name."""
    names = {c.lower() for c in columns}
    renamed: dict[str, str] = {}
    duplicates: set[str] = set()
    for column in columns:
        stripped = column[len(DBT_PREFIX):]
        if column not in listed and stripped.lower() in names:
            duplicates |= {column.lower(), stripped.lower()}
            renamed[column] = slugify(stripped)
    for column in columns:
        if column in listed or column.lower() in duplicates:
            continue
        has_prefix = column[:len(DBT_PREFIX)].lower() == DBT_PREFIX
        renamed[column] = slugify(column[len(DBT_PREFIX):]) if has_prefix else column
    return renamed


def slugify(name: str) -> str:
    """dbt_utils.slugify: lower case, spaces and dashes to `_`, only [a-z0-9_], `_` before a
    leading digit."""
    name = re.sub(r"[ -]+", "_", name.lower())
    name = re.sub(r"[^a-z0-9_]+", "", name)
    return re.sub(r"^[0-9]", lambda digit: "_" + digit.group(0), name)


def dbt_safe(fixed: tuple[Column, ...], listed: dict[str, str]):
    """A property_filter leaving out each property column whose staged name another column of
    the model has already (checked again after each removal: one can change another's name)."""
    def keep(properties: tuple[Column, ...]) -> tuple[Column, ...]:
        kept = list(properties)
        while True:
            columns = [c.name for c in fixed] + [c.name for c in kept]
            taken = {*listed.values(), *DBT_ADDED}
            clashing = set()
            for name, staged in dbt_names(columns, listed).items():
                if staged in taken:
                    clashing.add(name)
                taken.add(staged)
            dropped = [c for c in kept if c.name in clashing]
            if not dropped:
                return tuple(kept)
            kept = [c for c in kept if c not in dropped]
    return keep


# -- the tables ---------------------------------------------------------------------------------

def engagement() -> Table:
    union = " UNION ALL ".join(
        f"SELECT {a.type_sql} AS type, t.id, t.properties, t.created_at, t.archived, "
        f"t.synced_at FROM {a.table} t" for a in ACTIVITIES)
    return Table("engagement", f"({union}) t", (
        parsed("id", "bigint", "t.id"),
        typed("type", "text", "t.type"),
        literal("portal_id", "bigint"),
        SYNCED, DELETED,
        typed("active", "boolean", "(NOT t.archived)"),
        typed("created_at", "timestamp", "t.created_at"),
        from_json("timestamp", "timestamp", "t.properties", "hs_timestamp"),
        from_json("owner_id", "bigint", "t.properties", "hubspot_owner_id"),
    ))


# The columns dbt_hubspot's macro lists for every per-type table (name → its alias).
LISTED = {"_fivetran_synced": "_fivetran_synced", "_fivetran_deleted": "_fivetran_deleted",
          "engagement_id": "engagement_id", "type": "engagement_type",
          "property_hs_createdate": "created_timestamp",
          "property_hs_timestamp": "occurred_timestamp",
          "property_hubspot_owner_id": "owner_id", "property_hubspot_team_id": "team_id"}
NOTE_LISTED = {**LISTED, "body": "note"}


def per_type(activity: Activity) -> Table:
    columns: tuple[Column, ...] = (
        parsed("engagement_id", "bigint", "t.id"),
        typed("type", "text", activity.type_sql),
        SYNCED, DELETED,
        from_json("property_hs_createdate", "timestamp", "t.properties", "hs_createdate"),
        from_json("property_hs_timestamp", "timestamp", "t.properties", "hs_timestamp"),
        # Owner and team ids are enumerations in HubSpot (text): bigint here, as dbt_hubspot
        # joins them with owner.owner_id and team.id.
        from_json("property_hubspot_owner_id", "bigint", "t.properties", "hubspot_owner_id"),
        from_json("property_hubspot_team_id", "bigint", "t.properties", "hubspot_team_id"),
    )
    listed = LISTED
    if activity.object_type == "notes":
        columns += (from_json("body", "text", "t.properties", "hs_note_body"),)
        listed = NOTE_LISTED
    return Table(activity.fivetran or "", f"{activity.table} t", columns,
                 properties_of=activity.object_type, property_filter=dbt_safe(columns, listed))


def links(name: str, to_type: str, id_column: str) -> Table:
    """An engagement's links to records of `to_type` (one row per link and label)."""
    return Table(name, "hubspot_association a", (
        parsed("engagement_id", "bigint", "a.from_id"),
        parsed(id_column, "bigint", "a.to_id"),
        typed("category", "text", "a.category"),
        typed("type_id", "bigint", "a.association_type_id"),
        typed("_fivetran_synced", "timestamp", "a.synced_at"),
    ), where=f"a.from_object_type IN ({ENGAGEMENT_TYPES}) AND a.to_object_type = '{to_type}'")


def _tables() -> tuple[Table, ...]:
    per_types = tuple(per_type(a) for a in ACTIVITIES if a.fivetran)
    return (engagement(), *per_types,
            links("engagement_contact", "contacts", "contact_id"),
            links("engagement_company", "companies", "company_id"),
            links("engagement_deal", "deals", "deal_id"),
            links("ticket_engagement", "tickets", "ticket_id"))


TABLES: tuple[Table, ...] = _tables()
