"""The CRM tables: the objects with their `property_<name>` columns, the links between them
(one table per pair of types, read from the first type's side of `hubspot_association`), and
the merges the mirror knows of (docs/fivetran-layer.md, "CRM objects …").

Table names are Fivetran's: the object's singular name (`deal`, `line_item`), a link table
`<from>_<to>` (`deal_company`), as Fivetran's HubSpot schema names them.
"""

from __future__ import annotations

from ingestion.base.backends.base import Backend, sql_literal

from .layout import Table, from_json, json_path_text, literal, parsed, typed

SYNCED = typed("_fivetran_synced", "timestamp", "t.synced_at")
DELETED = typed("_fivetran_deleted", "boolean", "t.archived")
IS_DELETED = typed("is_deleted", "boolean", "t.archived")  # Fivetran has both on some objects


def crm_object(name: str, table: str, object_type: str, *columns, id_column: str = "id",
               ) -> Table:
    """A CRM object: its id, system columns, `columns`, then one column per property."""
    return Table(name, f"{table} t", (parsed(id_column, "bigint", "t.id"), SYNCED, DELETED,
                                      *columns), properties_of=object_type)


def link(from_name: str, to_name: str, from_type: str, to_type: str) -> Table:
    """`<from>_<to>`: one row per link and association type, as the from-side's last read
    listed them (a record's links are replaced whenever its type is synced). The filter is
    on the association table's indexed columns."""
    return Table(f"{from_name}_{to_name}", "hubspot_association a", (
        parsed(f"{from_name}_id", "bigint", "a.from_id"),
        parsed(f"{to_name}_id", "bigint", "a.to_id"),
        typed("type_id", "bigint", "a.association_type_id"),
        typed("category", "text", "a.category"),
        typed("_fivetran_synced", "timestamp", "a.synced_at"),
    ), where=(f"a.from_object_type = {sql_literal(from_type)} "
              f"AND a.to_object_type = {sql_literal(to_type)}"))


def _merged_ids(db: Backend) -> str:
    """Each surviving deal with one row per id in its `hs_merged_object_ids` (`a;b`)."""
    ids = json_path_text(db, "t.properties", "hs_merged_object_ids")
    if db.vendor == "postgresql":
        return (f"hubspot_deal t CROSS JOIN LATERAL unnest({db.typed_value('array', ids)}) "
                f"AS m(value)")
    return f"hubspot_deal t, json_each({db.typed_value('array', ids)}) m"


OBJECTS = (
    crm_object("contact", "hubspot_contact", "contacts"),
    crm_object("company", "hubspot_company", "companies", IS_DELETED,
               literal("portal_id", "bigint"),
               # Fivetran's name of HubSpot's `address2` (it splits letters from digits); the
               # property columns keep the typed views' `property_address2` too.
               from_json("property_address_2", "text", "t.properties", "address2")),
    crm_object("deal", "hubspot_deal", "deals", IS_DELETED,
               typed("deal_pipeline_id", "text", "t.pipeline"),
               typed("deal_pipeline_stage_id", "text", "t.dealstage"),
               parsed("owner_id", "bigint", "t.hubspot_owner_id"),
               literal("portal_id", "bigint"), id_column="deal_id"),
    crm_object("ticket", "hubspot_ticket", "tickets", IS_DELETED),
    crm_object("line_item", "hubspot_line_item", "line_items",
               parsed("product_id", "bigint", "t.hs_product_id")),
    crm_object("product", "hubspot_product", "products"),
)

LINKS = (
    link("deal", "company", "deals", "companies"),
    link("deal", "contact", "deals", "contacts"),
    link("contact", "company", "contacts", "companies"),
    link("ticket", "company", "tickets", "companies"),
    link("ticket", "contact", "tickets", "contacts"),
    link("ticket", "deal", "tickets", "deals"),
    link("line_item", "deal", "line_items", "deals"),
    link("quote", "deal", "quotes", "deals"),
)

MERGES = (
    # A deal HubSpot merged into another: one row per absorbed id the survivor lists.
    Table("merged_deal", _merged_ids, (
        parsed("deal_id", "bigint", "t.id"),
        parsed("merged_deal_id", "bigint", "m.value"),
        typed("_fivetran_synced", "timestamp", "t.synced_at"),
    ), where="m.value <> t.id"),
    # A contact merged away (the mirror keeps it, archived, with the survivor's id).
    Table("contact_merge_audit", "hubspot_contact t", (
        parsed("contact_id", "bigint", "t.merged_into"),
        parsed("canonical_vid", "bigint", "t.merged_into"),
        parsed("vid_to_merge", "bigint", "t.id"),
        typed("timestamp", "timestamp", "t.archived_at"),
        typed("first_name", "text", "t.firstname"),
        typed("last_name", "text", "t.lastname"),
        literal("entity_id", "text"),
        literal("num_properties_moved", "integer"),
        literal("user_id", "bigint"),
        SYNCED,
    ), where="t.deleted_kind = 'merged' AND t.merged_into IS NOT NULL"),
)

TABLES = (*OBJECTS, *LINKS, *MERGES)
