"""PostgreSQL: COPY for new rows, a staging table + one INSERT … ON CONFLICT for
replacements, one array parameter for a batch lookup, `SET LOCAL` durability."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models.expressions import RawSQL

from .base import MAX_NUMBER_TEXT, Backend, column_list, sql_literal


class PostgreSQLBackend(Backend):
    vendor = "postgresql"
    has_generate_series = True

    def insert(self, table: str, columns: list[str], values: list[tuple],
               conflict_sql: str | None) -> None:
        with connection.cursor() as cursor:
            if conflict_sql is None:  # plain inserts go straight into the table
                self._copy(cursor, table, columns, values)
                return
            stage = f"_stage_{table}"
            # Only the copied columns, no constraints: the real table checks them on INSERT.
            cursor.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DELETE ROWS '
                           f'AS SELECT {column_list(columns)} FROM "{table}" WITH NO DATA')
            cursor.execute(f'TRUNCATE "{stage}"')  # earlier savepoints may have left rows
            self._copy(cursor, stage, columns, values)
            cursor.execute(f'INSERT INTO "{table}" ({column_list(columns)}) '
                           f'SELECT {column_list(columns)} FROM "{stage}"' + conflict_sql)

    def pk_in(self, ids: list[str]) -> object:
        # One array parameter; `IN (%s, …)` would be 1,000 for psycopg to splice in Python.
        return RawSQL("SELECT unnest(%s::text[])", [ids])

    def load_ids(self, cursor, table: str, ids: Iterable[str]) -> None:
        self._copy(cursor, table, ["id"], ((object_id,) for object_id in ids))
        cursor.execute(f'ANALYZE "{table}"')

    def refresh_statistics(self, tables: list[str]) -> None:
        """ANALYZE: without statistics (a first load, before autovacuum gets to it, or with
        autovacuum off) the planner reads a 1,000-id lookup of the association table as a
        scan of every link of the type — 100x slower per batch at a million contacts."""
        if not tables:
            return
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {column_list(tables)}")  # quoted names, one statement

    def relax_commit_durability(self) -> None:
        """Inside a batch's own transaction only (SET LOCAL ends with it, so no other work on
        the connection inherits it): don't wait for the commit to reach the disk. A server
        crash can lose only the last commits, in order, and the run's SyncHistory row (the
        watermark) is committed durably and last, so the next run re-reads what was lost."""
        if connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")

    # -- typed views --------------------------------------------------------------------------

    def json_text(self, column: str, key: str) -> str:
        return f"({column} ->> {sql_literal(key)})"  # jsonb: any key, quotes doubled

    def typed_value(self, sql_type: str, text: str) -> str:
        return text if sql_type == "text" else f"hubspot_to_{sql_type}({text})"

    def prepare_typed_views(self, cursor) -> None:
        # One builder at a time (CREATE OR REPLACE FUNCTION races with itself); released at
        # the end of the build's transaction.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('hubspot_typed_views'))")
        for statement in SAFE_CASTS:
            cursor.execute(statement)

    @staticmethod
    def _copy(cursor, table: str, columns: list[str], values: Iterable[tuple]) -> None:
        sql = f'COPY "{table}" ({column_list(columns)}) FROM STDIN'
        # The raw psycopg cursor: map its errors to Django's, as Django's own cursor does.
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in values:
                copy.write_row(row)


# Casts that give NULL instead of an error (PostgreSQL 15 has no pg_input_is_valid): the text
# is checked against the shape the cast accepts first, each check nested in its own CASE so
# nothing casts unchecked text. SQL functions, inlined by the planner; analysts can call them
# too. HubSpot sends numbers, dates and datetimes as strings (ISO 8601, or epoch milliseconds
# from older integrations), booleans as "true"/"false", multi-checkboxes as "a;b;c". The shapes
# spell out ASCII digits and spaces: `\d` and `\s` follow the database's locale, and under ICU
# they match fullwidth digits or an em space, which the casts refuse. What each reads:
# docs/analysts.md#typed-views.
_SPACES = r"[ \t\n\r]*"
_NUMBER_SHAPE = (rf"^{_SPACES}[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{{1,4}})?"
                 rf"{_SPACES}$")
_DATE_SHAPE = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME_SHAPE = (r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?)?"
               r"(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?$")
_EPOCH_MS = r"^[0-9]{1,13}$"
SAFE_CASTS = (
    f"""CREATE OR REPLACE FUNCTION hubspot_to_numeric(value text) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE
      WHEN length(value) <= {MAX_NUMBER_TEXT} AND value ~ '{_NUMBER_SHAPE}'
      THEN value::numeric END $$""",
    # A whole number within bigint's range, however written ("67340.0", "1e3"): HubSpot ids
    # and counts. The checks are on the numeric, so nothing is cast to bigint unchecked.
    """CREATE OR REPLACE FUNCTION hubspot_to_bigint(value text) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE
      WHEN hubspot_to_numeric(value) BETWEEN -9223372036854775808 AND 9223372036854775807
       AND hubspot_to_numeric(value) = trunc(hubspot_to_numeric(value))
      THEN hubspot_to_numeric(value)::bigint END $$""",
    rf"""CREATE OR REPLACE FUNCTION hubspot_to_date(value text) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE
      WHEN value ~ '{_EPOCH_MS}'
        THEN (to_timestamp(value::bigint / 1000.0) AT TIME ZONE 'UTC')::date
      WHEN value ~ '{_DATE_SHAPE}' THEN CASE
        WHEN substr(value, 9, 2)::int <= extract(day from make_date(substr(value, 1, 4)::int,
             substr(value, 6, 2)::int, 1) + interval '1 month - 1 day')
        THEN substr(value, 1, 10)::date END END $$""",
    rf"""CREATE OR REPLACE FUNCTION hubspot_to_timestamp(value text) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT CASE
      WHEN value ~ '{_EPOCH_MS}' THEN to_timestamp(value::bigint / 1000.0)
      WHEN value ~ '{_DATE_SHAPE}{_TIME_SHAPE}' THEN CASE
        WHEN hubspot_to_date(substr(value, 1, 10)) IS NULL THEN NULL
        WHEN length(value) = 10 THEN (value || 'T00:00:00Z')::timestamptz
        WHEN value ~ '(Z|[+-][0-9][0-9](:?[0-9][0-9])?)$' THEN value::timestamptz
        ELSE (value || 'Z')::timestamptz END END $$""",
    """CREATE OR REPLACE FUNCTION hubspot_to_boolean(value text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE lower(btrim(value))
      WHEN 'true' THEN true WHEN '1' THEN true WHEN 'yes' THEN true
      WHEN 'false' THEN false WHEN '0' THEN false WHEN 'no' THEN false END $$""",
    """CREATE OR REPLACE FUNCTION hubspot_to_array(value text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE
      WHEN value = '' THEN '{}'::text[] ELSE string_to_array(value, ';') END $$""",
)
