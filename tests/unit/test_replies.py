"""Reply envelopes (the one place a HubSpot reply's shape is checked), on bytes."""

import pytest

from ingestion.sync.hubspot.client import CursorGuard, _SearchWindow
from ingestion.sync.hubspot.errors import HubSpotLoopError
from ingestion.sync.hubspot.replies import REPAIRED, Listing, Malformed, SearchPage, decode

PAGE = (b'{"results":[{"id":"1","properties":{"email":"a@b.c"}}],'
        b'"paging":{"next":{"after":"2","link":"x"}}}')


def test_list_page_when_well_formed_then_records_and_cursor():
    reply = decode(PAGE, Listing)
    assert reply.results == [{"id": "1", "properties": {"email": "a@b.c"}}]
    assert reply.after == "2"
    assert decode(b'{"results":[]}', Listing).after is None


@pytest.mark.parametrize("body", [
    b"{}", b'{"results":"x"}', b'{"results":null}', b'{"results":[],"paging":"x"}',
    b'{"results":[],"paging":{"next":{"after":""}}}', b'{"results":[],"paging":{"next":{}}}',
    b'{"results":[],"paging":{"next":{"after":7}}}', b"[]", b'{"results":[{"id":"1"}',
    b"<html>502</html>", b""])
def test_list_page_when_shape_is_wrong_then_malformed_never_empty(body):
    with pytest.raises(Malformed):
        decode(body, Listing)


@pytest.mark.parametrize("body", [b'{"results":[]}', b'{"total":"many","results":[]}',
                                  b'{"total":true,"results":[]}', b'{"total":-1,"results":[]}'])
def test_search_page_when_total_is_not_an_integer_then_malformed(body):
    with pytest.raises(Malformed):
        decode(body, SearchPage)


def test_entries_that_are_not_records_when_decoded_then_left_for_the_engine_to_report():
    assert decode(b'{"results":[1,"a",null,{"id":"2"}]}', Listing).results == [
        1, "a", None, {"id": "2"}]


def test_lone_surrogate_when_in_one_record_then_only_that_field_repaired_and_noted():
    body = (b'{"results":[{"id":"1","properties":{"email":"a\\ud800b"}},'
            b'{"id":"2","properties":{"email":"ok\\u00e9"}}]}')
    first, second = decode(body, Listing).results
    assert first["properties"]["email"] == "a\ufffdb"
    assert first[REPAIRED] == ["properties.email: a broken character (lone UTF-16 "
                               "surrogate) was replaced by U+FFFD"]
    assert second == {"id": "2", "properties": {"email": "ok\u00e9"}}


def test_nul_when_in_a_value_or_name_then_removed_and_noted():
    body = b'{"results":[{"id":"1","properties":{"first\\u0000name":"A\\u0000B","x":"y"}}]}'
    (record,) = decode(body, Listing).results
    assert record["properties"] == {"firstname": "AB", "x": "y"}
    assert record[REPAIRED][0].startswith("properties.firstname: NUL characters were removed")


def test_cursor_when_handed_out_twice_then_loop_error_naming_the_endpoint():
    guard = CursorGuard("GET /crm/v3/objects/contacts")
    assert guard.check("a") == "a" and guard.check("b") == "b"
    with pytest.raises(HubSpotLoopError, match=r"GET /crm/v3/objects/contacts.*second time"):
        guard.check("a")


def test_search_result_when_older_than_the_filter_then_loop_error():
    window = _SearchWindow("lastmodifieddate", 1_000)
    window.take([{"id": "1", "properties": {"lastmodifieddate": "2000"}}])
    with pytest.raises(HubSpotLoopError, match="ignored the search's filter"):
        window.take([{"id": "2", "properties": {"lastmodifieddate": "1500"}}])


def test_search_result_with_unreadable_time_when_taken_then_passed_on_for_the_engine():
    window = _SearchWindow("lastmodifieddate", 1_000)
    page = [{"id": "1", "properties": {"lastmodifieddate": "garbage"}}, 5]
    assert window.take(page) == page and window.lower == 1_000
