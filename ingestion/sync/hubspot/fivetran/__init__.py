"""A Fivetran-compatible layer: views with the table and column names and types of Fivetran's
HubSpot schema over the mirror's tables, so models written for Fivetran (fivetran/dbt_hubspot)
run on the mirror unchanged (docs/fivetran-layer.md).

Built by `manage.py build_hubspot_views --layout fivetran`; once built, rebuilt with the typed
views after every property or pipeline stages sync (a new property is a new column), and
dropped and rebuilt around migrations. The machinery is in layout.py; the tables are declared
by subject in the sibling modules and gathered in TABLES.
"""

from __future__ import annotations

from django.db import connection

from . import crm, crm_history, definitions, engagements, marketing, people
from .layout import Table, build, drop, existing_views
from .properties import with_property_columns

# Every table of the layer, by subject (each module's TABLES).
TABLES: tuple[Table, ...] = (*crm.TABLES, *definitions.TABLES, *people.TABLES,
                             *crm_history.TABLES, *engagements.TABLES, *marketing.TABLES)


def build_layer() -> list[str]:
    """(Re)create every view of the layer from the current property definitions."""
    return build(part for table in TABLES for part in with_property_columns(table))


def layer_exists() -> bool:
    with connection.cursor() as cursor:
        return bool(existing_views(cursor))


def drop_layer() -> list[str]:
    return drop()
