"""Dirty values in the typed views (docs/analysts.md#what-a-value-reads-as): whatever text a
property holds, its cast reads it as documented or as NULL, never failing a query; the same
reading on both databases, except where SQLite's 64-bit numbers cannot hold the value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from sync_commands import run_command

from ingestion.base.backends import backend
from ingestion.models import HubSpotDeal

BIG = 9_223_372_036_854_775_807  # bigint's largest
FULLWIDTH_12 = "\uff11\uff12"  # "12" in fullwidth digits: Unicode digits, but not ASCII
FULLWIDTH_EPOCH = "".join(chr(0xFF10 + int(d)) for d in "1700000000000")


def cast(sql_type: str, value: str | None):
    """`value` read by the views' cast to `sql_type`, in this test's database."""
    db = backend()
    with connection.cursor() as cursor:
        db.prepare_typed_views(cursor)  # PostgreSQL: the hubspot_to_* functions
        cursor.execute(f"SELECT {db.typed_value(sql_type, 'x.v')} "
                       f"FROM (SELECT CAST(%s AS TEXT) AS v) x", [value])
        return cursor.fetchone()[0]


def short(value) -> str | None:
    """A test id: the text itself, or its length when long."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 30 else f"{len(value)}-characters"
    return None


def on_this_database(expected):
    """An expectation that differs by database is a dict by vendor."""
    return expected[connection.vendor] if isinstance(expected, dict) else expected


NUMBERS = [  # (text in a `number` property, what the view reads)
    ("12", 12), (" 12 ", 12), ("\t12\n", 12), ("67340.0", 67340), ("-3.5", Decimal("-3.5")),
    ("1e3", 1000), ("1E-2", Decimal("0.01")), ("+5", 5), (".5", Decimal("0.5")), ("5.", 5),
    ("0012", 12), ("-0", 0), ("-9223372036854775808", -BIG - 1),
    ("123;456", None),  # a multi-select stored in a number field: NULL, intact in `properties`
    ("1,234", None), ("1 234", None), ("$12", None), ("12%", None), ("12abc", None),
    ("0x1F", None), ("NaN", None), ("Infinity", None), ("-Infinity", None), ("inf", None),
    ("", None), ("   ", None), (".", None), ("-", None), ("1e", None), ("e5", None),
    ("1.2.3", None), ("1e5.5", None), ("--1", None), ("1-2", None), ("1e99999", None),
    (FULLWIDTH_12, None), ("12\u00a0", None), ("12\u2003", None),  # not ASCII: not a number
    ("9" * 1_001, None),  # longer than any number the casts read
    ("1e400", {"postgresql": Decimal("1e400"), "sqlite": None}),  # beyond a float's range
    (None, None),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "expected"), NUMBERS, ids=short)
def test_numeric_cast_when_text_is_dirty_then_read_as_documented_or_null(text, expected):
    read = cast("numeric", text)
    expected = on_this_database(expected)
    assert (read if read is None else Decimal(str(read))) == expected


WHOLE_NUMBERS = [  # (text, what the bigint cast reads): ids and counts
    ("67340", 67340), ("67340.0", 67340), ("67340.000", 67340), (" 12 ", 12), ("1e3", 1000),
    ("+7", 7), ("-0", 0), (str(BIG), BIG), (f"{BIG}.0", BIG), (str(-BIG - 1), -BIG - 1),
    ("67340.5", None), ("0.5", None), ("123;456", None), ("", None), (str(BIG + 1), None),
    ("1e19", None), ("-1e19", None), ("NaN", None), ("12abc", None), ("1e99999", None),
    ("9007199254740993.5", None),  # not whole, though a float would round it to one
    (None, None),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "expected"), WHOLE_NUMBERS, ids=short)
def test_bigint_cast_when_text_is_a_whole_number_then_integer_else_null(text, expected):
    read = cast("bigint", text)
    assert read == expected and (read is None or type(read) is int)


UTC = dt.UTC
DATETIMES = [  # (text in a `datetime` property, what the view reads, in UTC)
    ("2024-03-01T10:20:30Z", dt.datetime(2024, 3, 1, 10, 20, 30, tzinfo=UTC)),
    ("2024-03-01T10:20:30.123456789Z", {  # SQLite keeps milliseconds
        "postgresql": dt.datetime(2024, 3, 1, 10, 20, 30, 123457, tzinfo=UTC),
        "sqlite": dt.datetime(2024, 3, 1, 10, 20, 30, 123000, tzinfo=UTC)}),
    ("2024-03-01 10:20", dt.datetime(2024, 3, 1, 10, 20, tzinfo=UTC)),  # no zone: UTC
    ("2024-03-01", dt.datetime(2024, 3, 1, tzinfo=UTC)),
    ("1700000000000", dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),  # epoch ms
    ("0", dt.datetime(1970, 1, 1, tzinfo=UTC)),  # digits are always milliseconds
    ("yesterday", None), ("", None), ("  2024-03-01", None), ("2024-02-30", None),
    ("2024-13-01", None), ("2024-03-01T24:00:00Z", None), ("2024-03-01 24:30", None),
    ("2024-03-01T10:61:00Z", None), ("2024-03-01T10:20:60Z", None),
    ("2024-03-01T10:20:30+99:00", None), ("2024-03-01garbage", None), ("2024-3-1", None),
    ("10000-01-01", None), ("99999999999999", None), ("-86400000", None),
    ("1700000000000.5", None), (FULLWIDTH_EPOCH, None), ("NaN", None), (None, None),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "expected"), DATETIMES, ids=short)
def test_timestamp_cast_when_text_is_dirty_then_read_as_documented_or_null(text, expected):
    read = cast("timestamp", text)
    if isinstance(read, str):  # SQLite: UTC text
        read = dt.datetime.fromisoformat(read).replace(tzinfo=UTC)
    assert read == on_this_database(expected)


DATES = [("2024-02-29", dt.date(2024, 2, 29)), ("2024-02-29T23:59:59Z", dt.date(2024, 2, 29)),
         ("1700000000000", dt.date(2023, 11, 14)), ("2023-02-29", None), ("29/02/2024", None),
         ("", None), ("garbage", None)]


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "expected"), DATES, ids=short)
def test_date_cast_when_text_is_dirty_then_first_ten_characters_or_null(text, expected):
    read = cast("date", text)
    assert (dt.date.fromisoformat(read) if isinstance(read, str) else read) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), (" TRUE ", True), ("Yes", True), ("1", True), ("false", False),
    ("no", False), ("0", False), ("on", None), ("", None), ("maybe", None)])
def test_boolean_cast_when_text_is_dirty_then_read_or_null(text, expected):
    read = cast("boolean", text)
    assert (read if read is None else bool(read)) == expected


@pytest.mark.django_db
@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.parametrize("function", ["numeric", "bigint", "timestamp", "date"])
def test_casts_when_database_collation_is_icu_then_unicode_digits_are_still_no_number(
        function):
    """Under an ICU collation PostgreSQL's `\\d` matches fullwidth digits and `\\s` an em
    space, which `::numeric`, `::bigint` and `::int` refuse: the shapes spell out ASCII, so
    NULL, not an error."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'")
        if cursor.fetchone() is None:
            pytest.skip("PostgreSQL built without ICU")
        backend().prepare_typed_views(cursor)
        for text in [FULLWIDTH_12, "12\u2003", FULLWIDTH_EPOCH, "2\uff10\uff12\uff14-01-01"]:
            cursor.execute(f'SELECT hubspot_to_{function}(%s COLLATE "und-x-icu")', [text])
            assert cursor.fetchone() == (None,), text


DIRTY_NUMBERS = ["123;456", "67340.0", " 12 ", "1e3", "1,234", "NaN", "Infinity",
                 "-9223372036854775808", "9" * 1_001, "1e400"]
DEAL = "30000000001"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("few_attempts")
def test_view_when_numbers_are_dirty_then_every_query_answers_and_raw_values_kept(hubspot):
    dirty = {f"dirty_{n}": text for n, text in enumerate(DIRTY_NUMBERS)}
    for name in dirty:
        hubspot.control.add_property("deals", {"name": name, "type": "number",
                                               "fieldType": "number"})
    hubspot.control.update("deals", DEAL, {**dirty, "amount": "123;456", "closedate": "soon"})
    run_command("sync_hubspot_properties")
    run_command("sync_hubspot_deals", "--skip-associations")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM hubspot_deal_v")  # every column of every row
        assert len(cursor.fetchall()) == HubSpotDeal.objects.count()
        cursor.execute("SELECT sum(amount), max(closedate) FROM hubspot_deal_v")
        cursor.fetchall()
        names = ", ".join(["amount", "closedate", *dirty])
        cursor.execute(f"SELECT {names} FROM hubspot_deal_v WHERE id = %s", [DEAL])
        amount, closedate, *read = cursor.fetchone()
    assert (amount, closedate) == (None, None)
    expected = dict(NUMBERS)
    for text, value in zip(DIRTY_NUMBERS, read, strict=True):
        wanted = on_this_database(expected[text])
        assert (value if value is None else Decimal(str(value))) == wanted, text
    properties = HubSpotDeal.objects.get(pk=DEAL).properties
    assert properties["amount"] == "123;456" and properties["dirty_0"] == "123;456"  # intact
