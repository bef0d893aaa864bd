"""Migrations run once per portal scope (PostgreSQL: a schema each, `hubspot_portal add` /
`migrate`): a migration reading the catalog must see only the schema it migrates, or two
portals migrating at once (or one after another) touch each other's objects."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

hardening = importlib.import_module("ingestion.migrations.0005_hardening")

SCHEMAS = ("rehash_a", "rehash_b")


@pytest.fixture
def two_schemas(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("schemas per portal are PostgreSQL's (SQLite: a file each)")
    with connection.cursor() as cursor:
        for schema in SCHEMAS:
            cursor.execute(f"CREATE SCHEMA {schema}")
            cursor.execute(f"CREATE TABLE {schema}.hubspot_x (id int, email text)")
            cursor.execute(f"CREATE INDEX hubspot_x_email_idx ON {schema}.hubspot_x (email)")
    yield
    with connection.cursor() as cursor:
        for schema in SCHEMAS:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def index_methods() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaname, indexdef FROM pg_indexes WHERE tablename = "
                       "'hubspot_x' AND schemaname = ANY(%s)", [list(SCHEMAS)])
        return {schema: "hash" if "USING hash" in text else "btree"
                for schema, text in cursor.fetchall()}


def test_rehash_when_another_portal_schema_has_the_same_index_then_only_its_own_changed(
        two_schemas):
    with connection.cursor() as cursor:
        cursor.execute("SET search_path TO rehash_a")  # as inside portal a's scope
        try:
            hardening._rehash(cursor, "hubspot_x", "email")
        finally:
            cursor.execute("RESET search_path")
    assert index_methods() == {"rehash_a": "hash", "rehash_b": "btree"}
