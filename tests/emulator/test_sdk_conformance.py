"""Conformance: HubSpot's official Python SDK (hubspot-api-client v12) against the emulator.

Each test drives the unmodified SDK at the emulator and asserts that the SDK parses the
emulator's answer into its own models with the values that docs/hubspot-api.md says HubSpot sends.

How the SDK is pointed at the emulator: ``hubspot.Client.create(**kwargs)`` copies every
keyword onto each generated ``Configuration`` with ``setattr`` (see
``hubspot/discovery/discovery_base.py``), so ``host=`` goes through ``Configuration.host``'s
setter (base URL, server index dropped), ``retry=`` becomes ``Configuration.retries`` and
``client_side_validation=True`` is stored on the configuration that the ``ApiClient`` hands to
every model it deserializes: a response missing a field that the spec marks required, or an
enum value the SDK does not know, then raises ``ValueError`` instead of parsing silently.
Request models built in the tests use the SDK's default configuration (validation off), as a
normal caller's would.

Objects are read/written through the object-generic API (``client.crm.objects``) and
through each type's own generated package (``client.crm.contacts``, ``client.crm.objects.calls``
...), since every package carries its own ApiClient, models and deserializer.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import hubspot
import pytest
from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.companies import PublicMergeInput as CompanyMergeInput
from hubspot.crm.contacts import BatchInputSimplePublicObjectBatchInput as BatchInputUpdate
from hubspot.crm.contacts import BatchInputSimplePublicObjectBatchInputForCreate as BatchInputCreate
from hubspot.crm.contacts import BatchInputSimplePublicObjectId as BatchInputIds
from hubspot.crm.contacts import PublicGdprDeleteInput, PublicMergeInput
from hubspot.crm.contacts import SimplePublicObjectBatchInput as BatchInputItem
from hubspot.crm.contacts import SimplePublicObjectId as ContactObjectId
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as InputForCreate
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiException
from hubspot.crm.contacts.exceptions import NotFoundException as ContactsNotFound
from hubspot.crm.contacts.exceptions import ServiceException as ContactsServiceException
from hubspot.crm.contacts.exceptions import UnauthorizedException as ContactsUnauthorized
from hubspot.crm.objects import (
    BatchReadInputSimplePublicObjectId,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.objects.exceptions import ApiException as ObjectsApiException
from hubspot.crm.objects.exceptions import NotFoundException as ObjectsNotFound
from urllib3.util.retry import Retry

# ---------------------------------------------------------------------------------------------
# SDK construction (the one place that knows how to point the SDK at the emulator)
# ---------------------------------------------------------------------------------------------


def make_client(emulator, *, token: str | None = "__emulator__", strict: bool = True):
    """An SDK client aimed at the emulator, retries off, model validation on (``strict``).

    ``token=None`` sends no Authorization header at all.
    """
    kwargs = {
        "host": emulator.url,
        # total=0: no urllib3 retry of any kind, so a connection reset or a redirect surfaces.
        "retry": Retry(total=0, redirect=0, raise_on_status=False),
        "client_side_validation": strict,
    }
    if token is not None:
        kwargs["access_token"] = emulator.token if token == "__emulator__" else token
    return hubspot.Client.create(**kwargs)


@pytest.fixture
def client(emulator):
    return make_client(emulator)


# ---------------------------------------------------------------------------------------------
# Facts from docs/hubspot-api.md used by several tests
# ---------------------------------------------------------------------------------------------

# The `emulator` fixture's portal: 40 generated contacts (a few of them already archived).
GENERATED_CONTACTS = 40
ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NUMERIC_ID = re.compile(r"^\d+$")

STANDARD_TYPES = [
    "contacts",
    "companies",
    "deals",
    "tickets",
    "products",
    "line_items",
    "calls",
    "emails",
    "meetings",
    "notes",
    "tasks",
]
ENGAGEMENTS = {"calls", "emails", "meetings", "notes", "tasks"}
TYPE_IDS = {
    "contacts": "0-1",
    "companies": "0-2",
    "deals": "0-3",
    "tickets": "0-5",
    "products": "0-7",
    "line_items": "0-8",
}
DEFAULT_PROPERTIES = {
    "contacts": {"firstname", "lastname", "email"},
    "companies": {"name", "domain"},
    "deals": {"dealname", "amount", "closedate", "pipeline", "dealstage"},
    "products": {"name", "description", "price"},
    "tickets": {
        "content",
        "hs_pipeline",
        "hs_pipeline_stage",
        "hs_ticket_category",
        "hs_ticket_priority",
        "subject",
    },
    "line_items": {"quantity", "amount", "price"},
}


def created_prop(object_type: str) -> str:
    return "hs_createdate" if object_type in ENGAGEMENTS else "createdate"


def modified_prop(object_type: str) -> str:
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


def iso(value: str) -> datetime:
    assert ISO_MS_Z.match(value), f"not ISO-8601 UTC with milliseconds: {value!r}"
    return datetime.fromisoformat(value)


def assert_record(obj, object_type: str, *, archived: bool = False) -> None:
    """The invariants every CRM object record satisfies (docs/hubspot-api.md#records)."""
    assert isinstance(obj.id, str) and NUMERIC_ID.match(obj.id), obj.id
    assert isinstance(obj.properties, dict)
    assert obj.properties.get("hs_object_id") == obj.id
    assert isinstance(obj.created_at, datetime) and obj.created_at.tzinfo is not None
    assert isinstance(obj.updated_at, datetime) and obj.updated_at.tzinfo is not None
    assert obj.updated_at >= obj.created_at
    assert obj.created_at == iso(obj.properties[created_prop(object_type)])
    assert obj.updated_at == iso(obj.properties[modified_prop(object_type)])
    assert obj.archived is archived
    if archived:
        assert isinstance(obj.archived_at, datetime)
    for key, value in obj.properties.items():
        assert value is None or isinstance(value, str), (key, value)


def all_contacts(client, **kwargs) -> list:
    return client.crm.contacts.get_all(**kwargs)


def email_or_null(value) -> bool:
    """An existing property without a value is JSON null (docs/hubspot-api.md#records)."""
    return value is None or (isinstance(value, str) and "@" in value)


def contacts_with_email(client) -> list:
    page = client.crm.contacts.basic_api.get_page(limit=100, properties=["email"])
    found = [c for c in page.results if c.properties["email"]]
    assert len(found) >= 5, "the default portal should have contacts with an email"
    return found


def live_contact_ids(client) -> set[str]:
    return {c.id for c in all_contacts(client)}


def json_body(exc) -> dict:
    body = exc.body.decode() if isinstance(exc.body, bytes) else exc.body
    return json.loads(body)


def header(headers, name: str) -> str | None:
    for key, value in dict(headers).items():
        if key.lower() == name.lower():
            return value
    return None


def missing_id(client, object_type: str = "contacts") -> str:
    ids = {int(o.id) for o in client.crm.objects.get_all(object_type)}
    return str(max(ids) + 1_000_003)


# ---------------------------------------------------------------------------------------------
# Client construction / auth
# ---------------------------------------------------------------------------------------------


def test_client_built_by_helper_when_inspected_then_targets_emulator_without_retries(emulator):
    client = make_client(emulator)
    api = client.crm.contacts.basic_api
    configuration = api.api_client.configuration
    assert configuration.host == emulator.url
    assert configuration.retries.total == 0
    assert configuration.client_side_validation is True
    assert configuration.auth_settings()["oauth2"]["value"] == f"Bearer {emulator.token}"


@pytest.mark.parametrize("token", ["pat-na1-00000000-0000-0000-0000-000000000000", None])
def test_bad_or_missing_token_when_listing_contacts_then_401_invalid_authentication(
    emulator, token
):
    client = make_client(emulator, token=token)
    with pytest.raises(ContactsUnauthorized) as info:
        client.crm.contacts.basic_api.get_page(limit=1)
    exc = info.value
    assert exc.status == 401
    body = json_body(exc)
    assert body["status"] == "error"
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["message"].startswith("Authentication credentials not found.")
    assert isinstance(body["correlationId"], str) and body["correlationId"]
    assert header(exc.headers, "Content-Type").startswith("application/json")
    assert header(exc.headers, "X-HubSpot-Auth-Failure") == "401 Unauthorized"
    assert header(exc.headers, "X-HubSpot-Correlation-Id") == body["correlationId"]


# ---------------------------------------------------------------------------------------------
# basic_api.get_page / get_all (contacts)
# ---------------------------------------------------------------------------------------------


def test_default_portal_when_getting_first_contacts_page_then_models_hold_default_properties(
    client,
):
    page = client.crm.contacts.basic_api.get_page(limit=10)
    assert len(page.results) == 10
    for contact in page.results:
        assert_record(contact, "contacts")
        # Default properties plus the always-added ones, nothing else (docs/hubspot-api.md#records).
        assert set(contact.properties) == {
            "firstname",
            "lastname",
            "email",
            "hs_object_id",
            "createdate",
            "lastmodifieddate",
        }
        assert contact.associations is None
        assert contact.properties_with_history is None
    assert len({c.id for c in page.results}) == 10
    assert page.paging is not None and page.paging.next is not None
    assert isinstance(page.paging.next.after, str) and page.paging.next.after


def test_properties_param_when_getting_page_then_only_those_plus_system_properties(client):
    page = client.crm.contacts.basic_api.get_page(
        limit=5, properties=["email", "firstname", "no_such_property_xyz"]
    )
    assert len(page.results) == 5
    for contact in page.results:
        assert_record(contact, "contacts")
        assert set(contact.properties) == {
            "email",
            "firstname",
            "hs_object_id",
            "createdate",
            "lastmodifieddate",
        }
        assert email_or_null(contact.properties["email"])


def test_after_cursor_when_paging_by_seven_then_every_live_contact_once_and_last_page_unpaged(
    client,
):
    live = live_contact_ids(client)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = client.crm.contacts.basic_api.get_page(limit=7, after=after)
        pages += 1
        assert 1 <= len(page.results) <= 7
        seen.extend(c.id for c in page.results)
        if page.paging is None:
            break
        assert page.paging.next.after, "paging.next.after must be a non-empty cursor"
        after = page.paging.next.after
        assert pages < 20, "paging never ends"
    assert pages == -(-len(live) // 7)
    assert len(seen) == len(set(seen)), "no record on two pages"
    assert set(seen) == live


def test_forty_generated_contacts_when_get_all_and_archived_listed_then_they_partition_forty(
    client,
):
    contacts = all_contacts(client, properties=["email"])
    archived = client.crm.contacts.basic_api.get_page(archived=True, limit=100).results
    live_ids = {c.id for c in contacts}
    archived_ids = {c.id for c in archived}
    assert len(live_ids) == len(contacts), "get_all returned a record twice"
    assert not live_ids & archived_ids
    assert len(live_ids) + len(archived_ids) == GENERATED_CONTACTS
    assert len(live_ids) >= GENERATED_CONTACTS - 5
    for contact in contacts:
        assert_record(contact, "contacts")
        assert email_or_null(contact.properties["email"])
    for contact in archived:
        assert_record(contact, "contacts", archived=True)


def test_portal_of_250_contacts_when_get_all_then_sdk_pages_by_100_and_gets_all(emulator, client):
    emulator.control.reset(contacts=250)
    via_contacts = client.crm.contacts.get_all()
    via_objects = client.crm.objects.get_all("contacts")
    archived = client.crm.contacts.basic_api.get_page(archived=True, limit=100).results
    ids = {c.id for c in via_contacts}
    assert len(ids) == len(via_contacts)
    assert len(ids) + len(archived) == 250
    assert len(ids) > 200  # so get_all needed three pages of 100
    assert {c.id for c in via_objects} == ids


def test_archived_contact_when_listing_with_archived_true_then_only_it_with_archived_at(client):
    live_before = live_contact_ids(client)
    archived_before = {
        c.id for c in client.crm.contacts.basic_api.get_page(archived=True, limit=100).results
    }
    victim = client.crm.contacts.basic_api.get_page(limit=1).results[0]
    assert client.crm.contacts.basic_api.archive(victim.id) is None

    archived = client.crm.contacts.basic_api.get_page(archived=True, limit=100)
    assert {c.id for c in archived.results} == archived_before | {victim.id}
    assert archived.paging is None
    for contact in archived.results:
        assert_record(contact, "contacts", archived=True)
        assert contact.archived_at >= contact.created_at
    mine = next(c for c in archived.results if c.id == victim.id)
    assert mine.properties["email"] == victim.properties["email"]

    assert live_contact_ids(client) == live_before - {victim.id}


def test_associations_param_when_getting_contacts_page_then_company_ids_parse_as_associated_ids(
    client,
):
    page = client.crm.contacts.basic_api.get_page(limit=40, associations=["companies"])
    with_companies = [c for c in page.results if c.associations]
    assert with_companies, "the default portal should associate some contacts with companies"
    company_ids = {c.id for c in client.crm.companies.get_all()}
    for contact in with_companies:
        assert set(contact.associations) == {"companies"}
        assoc = contact.associations["companies"]
        assert assoc.results, "an empty association list is left out, not sent empty"
        for item in assoc.results:
            assert item.id in company_ids
            assert isinstance(item.type, str) and item.type
        # HubSpot-defined types are named contact_to_company[_unlabeled]
        # (docs/hubspot-api.md#associations).
        assert any(a.type.startswith("contact_to_company") for a in assoc.results)


def test_properties_with_history_when_getting_contact_then_values_parse_as_value_with_timestamp(
    client,
):
    contact = contacts_with_email(client)[0]
    got = client.crm.contacts.basic_api.get_by_id(
        contact.id, properties=["email"], properties_with_history=["email"]
    )
    history = got.properties_with_history["email"]
    assert history, "email has at least its current value in history"
    latest = history[0]
    assert latest.value == got.properties["email"]
    assert isinstance(latest.timestamp, datetime)
    assert isinstance(latest.source_type, str) and latest.source_type


# ---------------------------------------------------------------------------------------------
# get by id
# ---------------------------------------------------------------------------------------------


def test_existing_id_when_get_by_id_then_same_record_and_requested_properties(client):
    listed = client.crm.contacts.basic_api.get_page(limit=3, properties=["email"]).results[2]
    got = client.crm.contacts.basic_api.get_by_id(listed.id, properties=["email", "lastname"])
    assert_record(got, "contacts")
    assert got.id == listed.id
    assert got.properties["email"] == listed.properties["email"]
    assert "lastname" in got.properties
    assert got.created_at == listed.created_at


def test_email_id_property_when_get_by_id_then_record_found_by_email(client):
    listed = contacts_with_email(client)[1]
    got = client.crm.contacts.basic_api.get_by_id(listed.properties["email"], id_property="email")
    assert got.id == listed.id


def test_missing_id_when_get_by_id_then_404_object_not_found_with_documented_body(client):
    absent = missing_id(client)
    with pytest.raises(ContactsNotFound) as info:
        client.crm.contacts.basic_api.get_by_id(absent)
    exc = info.value
    assert exc.status == 404
    body = json_body(exc)
    assert body["status"] == "error"
    assert body["category"] == "OBJECT_NOT_FOUND"
    assert body["message"] == "Object not found.  objectId are usually numeric."
    assert body["context"] == {"id": [absent]}
    assert isinstance(body["correlationId"], str) and body["correlationId"]

    with pytest.raises(ObjectsNotFound) as info2:
        client.crm.objects.basic_api.get_by_id("deals", missing_id(client, "deals"))
    assert info2.value.status == 404
    assert json_body(info2.value)["category"] == "OBJECT_NOT_FOUND"


# ---------------------------------------------------------------------------------------------
# search
# ---------------------------------------------------------------------------------------------


def test_email_eq_filter_when_searching_then_exactly_that_contact_with_total_one(client):
    target = contacts_with_email(client)[4]
    email = target.properties["email"]
    for value in (email, email.upper()):  # values are case-insensitive (docs/hubspot-api.md#search)
        request = PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(filters=[Filter(property_name="email", operator="EQ", value=value)])
            ]
        )
        found = client.crm.contacts.search_api.do_search(public_object_search_request=request)
        assert found.total == 1
        assert [c.id for c in found.results] == [target.id]
        assert found.paging is None
        result = found.results[0]
        assert_record(result, "contacts")
        assert result.properties["email"] == email
        # Search returns the default properties (docs/hubspot-api.md#search).
        assert set(result.properties) == {
            "createdate",
            "email",
            "firstname",
            "hs_object_id",
            "lastmodifieddate",
            "lastname",
        }


def test_createdate_descending_sort_when_searching_then_results_newest_first(client):
    request = PublicObjectSearchRequest(
        sorts=[{"propertyName": "createdate", "direction": "DESCENDING"}],
        properties=["email", "createdate"],
        limit=100,
    )
    found = client.crm.objects.search_api.do_search("contacts", request)
    live = live_contact_ids(client)
    assert found.total == len(live)
    assert len(found.results) == len(live)
    created = [iso(c.properties["createdate"]) for c in found.results]
    assert created == sorted(created, reverse=True)
    assert {c.id for c in found.results} == live
    for contact in found.results:
        assert_record(contact, "contacts")


def test_search_limit_fifteen_when_paging_with_after_then_offsets_15_30_and_all_live(client):
    live = live_contact_ids(client)
    assert 30 < len(live) <= 45
    seen: list[str] = []
    afters: list[str] = []
    after = None
    while True:
        request = PublicObjectSearchRequest(
            sorts=[{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
            limit=15,
            after=after,
        )
        found = client.crm.contacts.search_api.do_search(request)
        assert found.total == len(live)
        seen.extend(c.id for c in found.results)
        if found.paging is None:
            break
        after = found.paging.next.after
        afters.append(after)
        assert len(afters) < 10
    assert afters == ["15", "30"]
    assert len(seen) == len(set(seen)) and set(seen) == live
    assert [int(i) for i in seen] == sorted(int(i) for i in seen)


def test_filter_group_with_range_when_searching_deals_then_only_matching_amounts(client):
    request = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(filters=[Filter(property_name="amount", operator="HAS_PROPERTY")])
        ],
        properties=["amount"],
        limit=100,
    )
    found = client.crm.objects.search_api.do_search("deals", request)
    amounts = sorted(float(d.properties["amount"]) for d in found.results)
    assert amounts, "the default portal should have deals with an amount"
    assert found.total == len(found.results)
    low, high = amounts[0], amounts[len(amounts) // 2]
    between = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(
                filters=[
                    Filter(
                        property_name="amount",
                        operator="BETWEEN",
                        value=str(low),
                        high_value=str(high),
                    )
                ]
            )
        ],
        properties=["amount"],
        limit=100,
    )
    ranged = client.crm.deals.search_api.do_search(between)
    got = sorted(float(d.properties["amount"]) for d in ranged.results)
    assert got == [a for a in amounts if low <= a <= high]
    for deal in ranged.results:
        assert_record(deal, "deals")


# ---------------------------------------------------------------------------------------------
# batch read
# ---------------------------------------------------------------------------------------------


def test_three_existing_ids_when_batch_reading_then_200_complete_with_those_records(client):
    ids = [c.id for c in client.crm.contacts.basic_api.get_page(limit=3).results]
    request = BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=i) for i in ids], properties=["email"]
    )
    data, status, _headers = client.crm.objects.batch_api.read_with_http_info("contacts", request)
    assert status == 200
    assert type(data).__name__ == "BatchResponseSimplePublicObject"
    assert data.status == "COMPLETE"
    assert sorted(r.id for r in data.results) == sorted(ids)
    assert isinstance(data.started_at, datetime) and isinstance(data.completed_at, datetime)
    assert data.completed_at >= data.started_at
    for record in data.results:
        assert_record(record, "contacts")
        assert email_or_null(record.properties["email"])


def test_one_missing_id_when_batch_reading_then_207_with_object_not_found_error(emulator):
    # Lenient client here: HubSpot's captured 207 bodies (docs/hubspot-api.md#batch-reads) have
    # error items without `links`/`errors`, which the SDK's StandardError model marks required.
    # Values are asserted explicitly below instead.
    client = make_client(emulator, strict=False)
    ids = [c.id for c in client.crm.contacts.basic_api.get_page(limit=2).results]
    absent = missing_id(client)
    request = BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=i) for i in [*ids, absent]], properties=["email"]
    )
    data, status, _headers = client.crm.contacts.batch_api.read_with_http_info(request)
    assert status == 207
    assert type(data).__name__ == "BatchResponseSimplePublicObjectWithErrors"
    assert data.status == "COMPLETE"
    assert sorted(r.id for r in data.results) == sorted(ids)
    assert data.num_errors == 1
    assert isinstance(data.started_at, datetime) and isinstance(data.completed_at, datetime)
    (error,) = data.errors
    assert error.status == "error"
    assert error.category == "OBJECT_NOT_FOUND"
    assert error.message == (
        "Could not get some CONTACT objects, they may be deleted or not exist. "
        "Check that ids are valid."
    )
    assert error.context == {"ids": [absent]}
    for record in data.results:
        assert record.properties["hs_object_id"] == record.id


# ---------------------------------------------------------------------------------------------
# every object type
# ---------------------------------------------------------------------------------------------


def _type_api(client, object_type: str):
    """The object type's own generated package (its own ApiClient, models, deserializer)."""
    if object_type in ENGAGEMENTS:
        return getattr(client.crm.objects, object_type)
    return getattr(client.crm, object_type)


@pytest.mark.parametrize("object_type", STANDARD_TYPES)
def test_object_type_when_listing_via_generic_and_typed_api_then_same_records_parse(
    client, object_type
):
    generic = client.crm.objects.basic_api.get_page(object_type, limit=5)
    assert generic.results, f"the default portal should have {object_type}"
    for record in generic.results:
        assert_record(record, object_type)
        if object_type in DEFAULT_PROPERTIES:
            expected = DEFAULT_PROPERTIES[object_type] | {
                "hs_object_id",
                created_prop(object_type),
                modified_prop(object_type),
            }
            assert set(record.properties) == expected

    typed_api = _type_api(client, object_type).basic_api
    typed = typed_api.get_page(limit=5)
    assert [r.id for r in typed.results] == [r.id for r in generic.results]
    assert [r.properties for r in typed.results] == [r.properties for r in generic.results]

    first = generic.results[0]
    got = typed_api.get_by_id(first.id)
    assert got.id == first.id
    assert got.properties == first.properties
    assert got.created_at == first.created_at and got.updated_at == first.updated_at


@pytest.mark.parametrize("object_type", STANDARD_TYPES)
def test_object_type_when_get_all_then_every_record_parses_and_ids_unique(client, object_type):
    records = client.crm.objects.get_all(object_type)
    assert records
    assert len({r.id for r in records}) == len(records)
    for record in records:
        assert_record(record, object_type)


@pytest.mark.parametrize(("object_type", "type_id"), sorted(TYPE_IDS.items()))
def test_object_type_id_when_listing_then_same_records_as_by_name(client, object_type, type_id):
    by_name = client.crm.objects.basic_api.get_page(object_type, limit=10)
    by_id = client.crm.objects.basic_api.get_page(type_id, limit=10)
    assert [r.id for r in by_id.results] == [r.id for r in by_name.results]
    assert by_id.results


@pytest.mark.parametrize("object_type", STANDARD_TYPES)
def test_object_type_when_searching_without_filters_then_total_matches_get_all(client, object_type):
    found = client.crm.objects.search_api.do_search(
        object_type, PublicObjectSearchRequest(limit=200)
    )
    records = client.crm.objects.get_all(object_type)
    assert found.total == len(records)
    if len(records) <= 200:
        assert {r.id for r in found.results} == {r.id for r in records}
    else:
        assert {r.id for r in found.results} <= {r.id for r in records}
    for record in found.results:
        assert_record(record, object_type)
        if object_type in DEFAULT_PROPERTIES:  # search returns the same defaults
                                               # (docs/hubspot-api.md#search)
            assert set(record.properties) == DEFAULT_PROPERTIES[object_type] | {
                "hs_object_id",
                created_prop(object_type),
                modified_prop(object_type),
            }


# ---------------------------------------------------------------------------------------------
# custom objects (schemas + objects API)
# ---------------------------------------------------------------------------------------------


def test_custom_schema_when_getting_all_schemas_then_object_schema_models_parse(client):
    schemas = client.crm.schemas.core_api.get_all().results
    assert schemas, "the default portal has a custom object"
    for schema in schemas:
        assert re.match(r"^2-\d+$", schema.object_type_id), schema.object_type_id
        assert re.match(rf"^p\d+_{re.escape(schema.name)}$", schema.fully_qualified_name)
        assert schema.labels.singular and schema.labels.plural
        names = {p.name for p in schema.properties}
        assert schema.primary_display_property in names
        assert set(schema.required_properties) <= names
        assert set(schema.searchable_properties or []) <= names
        assert schema.archived is False
        assert isinstance(schema.created_at, datetime)
        for prop in schema.properties:
            assert prop.type in PROPERTY_TYPES and prop.field_type in FIELD_TYPES
        for assoc in schema.associations:
            assert schema.object_type_id in {assoc.from_object_type_id, assoc.to_object_type_id}


def test_custom_object_type_when_listing_via_objects_api_then_records_parse(client):
    schema = client.crm.schemas.core_api.get_all().results[0]
    page = client.crm.objects.basic_api.get_page(
        schema.object_type_id, limit=10, properties=[schema.primary_display_property]
    )
    assert page.results, "the default portal should have custom object records"
    for record in page.results:
        assert NUMERIC_ID.match(record.id)
        assert record.properties["hs_object_id"] == record.id
        assert schema.primary_display_property in record.properties
        assert isinstance(record.created_at, datetime)
        assert record.archived is False
    by_fqn = client.crm.objects.basic_api.get_page(schema.fully_qualified_name, limit=10)
    assert [r.id for r in by_fqn.results] == [r.id for r in page.results]
    first = page.results[0]
    got = client.crm.objects.basic_api.get_by_id(
        schema.object_type_id, first.id, properties=[schema.primary_display_property]
    )
    assert got.id == first.id
    assert (
        got.properties[schema.primary_display_property]
        == first.properties[schema.primary_display_property]
    )
    everything = client.crm.objects.get_all(schema.object_type_id)
    found = client.crm.objects.search_api.do_search(
        schema.object_type_id, PublicObjectSearchRequest(limit=200)
    )
    assert found.total == len(everything)


def _valid_value(prop) -> str:
    """A value HubSpot accepts for a property definition."""
    if prop.type == "enumeration" and prop.options:
        return prop.options[0].value
    return {
        "number": "1",
        "bool": "true",
        "date": "2025-01-01",
        "datetime": "2025-01-01T00:00:00.000Z",
    }.get(prop.type, "sdk-conformance")


def test_custom_object_type_when_creating_record_then_201_and_readable(client):
    schema = client.crm.schemas.core_api.get_all().results[0]
    definitions = {
        p.name: p for p in client.crm.properties.core_api.get_all(schema.object_type_id).results
    }
    props = {name: _valid_value(definitions[name]) for name in schema.required_properties}
    props[schema.primary_display_property] = "sdk-conformance-custom"
    created = client.crm.objects.basic_api.create(
        schema.object_type_id, SimplePublicObjectInputForCreate(properties=props)
    )
    assert created is not None, "create must answer 201 (the SDK parses only 201)"
    assert NUMERIC_ID.match(created.id)
    assert created.properties[schema.primary_display_property] == "sdk-conformance-custom"
    got = client.crm.objects.basic_api.get_by_id(
        schema.object_type_id, created.id, properties=[schema.primary_display_property]
    )
    assert got.properties[schema.primary_display_property] == "sdk-conformance-custom"


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------

PROPERTY_TYPES = {
    "bool",
    "enumeration",
    "date",
    "datetime",
    "string",
    "number",
    "object_coordinates",
    "json",
}
FIELD_TYPES = {
    "booleancheckbox",
    "calculation_equation",
    "checkbox",
    "date",
    "file",
    "html",
    "number",
    "phonenumber",
    "radio",
    "select",
    "text",
    "textarea",
}


@pytest.mark.parametrize("object_type", STANDARD_TYPES)
def test_object_type_when_getting_all_properties_then_models_parse_and_cover_returned_keys(
    client, object_type
):
    props = client.crm.properties.core_api.get_all(object_type).results
    by_name = {p.name: p for p in props}
    assert len(by_name) == len(props), "property names are unique"
    for prop in props:
        assert prop.type in PROPERTY_TYPES, (prop.name, prop.type)
        assert prop.field_type in FIELD_TYPES, (prop.name, prop.field_type)
        assert isinstance(prop.label, str) and isinstance(prop.group_name, str)
        assert isinstance(prop.options, list)
        if prop.type == "enumeration":
            for option in prop.options:
                assert isinstance(option.value, str) and isinstance(option.label, str)
                assert isinstance(option.hidden, bool)
    for name in ("hs_object_id", created_prop(object_type), modified_prop(object_type)):
        assert name in by_name, f"{object_type} lacks {name}"
    assert by_name[modified_prop(object_type)].type == "datetime"
    # Every property the objects API returns by default is a defined property.
    record = client.crm.objects.basic_api.get_page(object_type, limit=1).results[0]
    assert set(record.properties) <= set(by_name)


def test_contact_properties_when_getting_all_then_email_is_string_text(client):
    props = {p.name: p for p in client.crm.properties.core_api.get_all("contacts").results}
    assert props["email"].type == "string"
    assert props["email"].field_type == "text"
    assert props["createdate"].type == "datetime"
    assert props["firstname"].hubspot_defined is True


def test_deal_stage_property_when_getting_all_then_its_options_are_pipeline_stages(client):
    props = {p.name: p for p in client.crm.properties.core_api.get_all("deals").results}
    dealstage = props["dealstage"]
    assert dealstage.type == "enumeration"
    stage_ids = {
        s.id for p in client.crm.pipelines.pipelines_api.get_all("deals").results for s in p.stages
    }
    assert {o.value for o in dealstage.options} <= stage_ids


# ---------------------------------------------------------------------------------------------
# owners
# ---------------------------------------------------------------------------------------------


def test_default_portal_when_getting_owners_page_then_public_owner_models_parse(client):
    owners = client.crm.owners.owners_api.get_page(limit=100)
    assert owners.results
    for owner in owners.results:
        assert NUMERIC_ID.match(owner.id)
        assert owner.type in {"PERSON", "QUEUE"}
        assert owner.archived is False
        assert isinstance(owner.created_at, datetime) and isinstance(owner.updated_at, datetime)
        if owner.type == "PERSON":
            assert "@" in owner.email
            assert isinstance(owner.user_id, int)
        for team in owner.teams or []:
            assert isinstance(team.id, str) and isinstance(team.name, str)
            assert isinstance(team.primary, bool)
    # Owner ids referenced by contacts exist.
    owner_ids = {o.id for o in owners.results}
    referenced = {
        c.properties.get("hubspot_owner_id")
        for c in all_contacts(client, properties=["hubspot_owner_id"])
    } - {None, ""}
    assert referenced, "the default portal assigns owners to some contacts"
    assert referenced <= owner_ids


def test_owners_limit_one_when_paging_then_after_cursor_reaches_every_owner(client):
    everyone = {o.id for o in client.crm.owners.owners_api.get_page(limit=100).results}
    seen = []
    after = None
    while True:
        page = client.crm.owners.owners_api.get_page(limit=1, after=after)
        assert len(page.results) == 1
        seen.append(page.results[0].id)
        if page.paging is None:
            break
        after = page.paging.next.after
        assert len(seen) <= len(everyone)
    assert set(seen) == everyone and len(seen) == len(everyone)


def test_owner_email_filter_when_getting_owners_then_only_that_owner(client):
    person = next(o for o in client.crm.owners.owners_api.get_page().results if o.type == "PERSON")
    page = client.crm.owners.owners_api.get_page(email=person.email)
    assert [o.id for o in page.results] == [person.id]
    got = client.crm.owners.owners_api.get_by_id(person.id)
    assert got.email == person.email


# ---------------------------------------------------------------------------------------------
# pipelines
# ---------------------------------------------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEAL_STAGES = [
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
]


def test_deals_when_getting_all_pipelines_then_default_sales_pipeline_with_seven_stages(client):
    pipelines = client.crm.pipelines.pipelines_api.get_all("deals").results
    by_id = {p.id: p for p in pipelines}
    default = by_id["default"]
    assert default.label == "Sales Pipeline"
    assert default.archived is False
    assert default.created_at == EPOCH
    stages = sorted(default.stages, key=lambda s: s.display_order)
    assert [s.id for s in stages] == DEAL_STAGES
    for stage in stages:
        assert stage.archived is False
        assert isinstance(stage.created_at, datetime)
        assert stage.metadata["isClosed"] in {"true", "false"}
        assert 0.0 <= float(stage.metadata["probability"]) <= 1.0
    closed = {s.id: s.metadata for s in stages}
    assert closed["closedwon"]["isClosed"] == "true"
    assert float(closed["closedwon"]["probability"]) == 1.0
    assert closed["closedlost"]["isClosed"] == "true"
    assert float(closed["closedlost"]["probability"]) == 0.0
    assert closed["appointmentscheduled"] == {"isClosed": "false", "probability": "0.2"}
    # Every deal sits in a stage of its own pipeline.
    stage_ids = {p.id: {s.id for s in p.stages} for p in pipelines}
    for deal in client.crm.deals.get_all(properties=["pipeline", "dealstage"]):
        assert deal.properties["dealstage"] in stage_ids[deal.properties["pipeline"]]


def test_tickets_when_getting_all_pipelines_then_pipeline_zero_with_ticket_state_stages(client):
    pipelines = client.crm.pipelines.pipelines_api.get_all("tickets").results
    by_id = {p.id: p for p in pipelines}
    support = by_id["0"]
    assert support.created_at == EPOCH
    assert support.stages
    for stage in support.stages:
        assert stage.metadata["ticketState"] in {"OPEN", "CLOSED"}
        assert stage.metadata["isClosed"] in {"true", "false"}
        assert (stage.metadata["ticketState"] == "CLOSED") == (stage.metadata["isClosed"] == "true")
        assert isinstance(stage.display_order, int)
    stage_ids = {p.id: {s.id for s in p.stages} for p in pipelines}
    for ticket in client.crm.tickets.get_all():
        assert ticket.properties["hs_pipeline_stage"] in stage_ids[ticket.properties["hs_pipeline"]]


# ---------------------------------------------------------------------------------------------
# associations v4
# ---------------------------------------------------------------------------------------------

ASSOC_CATEGORIES = {"HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED"}


def _contacts_with_companies(client) -> dict[str, set[str]]:
    page = client.crm.contacts.basic_api.get_page(limit=40, associations=["companies"])
    return {
        c.id: {a.id for a in c.associations["companies"].results}
        for c in page.results
        if c.associations
    }


def test_contacts_when_batch_reading_v4_company_associations_then_same_ids_as_v3(client):
    expected = _contacts_with_companies(client)
    assert expected
    ids = list(expected)[:10]
    request = BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in ids]
    )
    data = client.crm.associations.v4.batch_api.get_page("contacts", "companies", request)
    assert data.status == "COMPLETE"
    assert isinstance(data.started_at, datetime) and isinstance(data.completed_at, datetime)
    got = {}
    for result in data.results:
        assert result._from.id in ids
        got[result._from.id] = {str(t.to_object_id) for t in result.to}
        for to in result.to:
            assert to.association_types
            for spec in to.association_types:
                assert spec.category in ASSOC_CATEGORIES
                assert isinstance(spec.type_id, int)
    assert got == {i: expected[i] for i in ids}


def test_contact_when_listing_v4_associations_to_companies_then_labelled_targets_parse(client):
    expected = _contacts_with_companies(client)
    contact_id, company_ids = next(iter(expected.items()))
    page = client.crm.associations.v4.basic_api.get_page("contacts", contact_id, "companies")
    assert {str(r.to_object_id) for r in page.results} == company_ids
    assert page.paging is None
    type_ids = set()
    for result in page.results:
        for spec in result.association_types:
            assert spec.category in ASSOC_CATEGORIES
            type_ids.add(spec.type_id)
    assert 279 in type_ids or 1 in type_ids  # contact→company unlabeled / primary
    # The reverse direction lists the contact.
    company_id = next(iter(company_ids))
    back = client.crm.associations.v4.basic_api.get_page("companies", company_id, "contacts")
    assert contact_id in {str(r.to_object_id) for r in back.results}


def test_contact_to_company_when_getting_labels_then_unlabeled_279_is_hubspot_defined(client):
    labels = client.crm.associations.v4.schema.definitions_api.get_all("contacts", "companies")
    by_type = {spec.type_id: spec for spec in labels.results}
    assert by_type[279].category == "HUBSPOT_DEFINED"
    for spec in labels.results:
        assert spec.category in ASSOC_CATEGORIES
        assert isinstance(spec.type_id, int)
    # Every typeId used on actual associations is a defined label.
    expected = _contacts_with_companies(client)
    contact_id = next(iter(expected))
    page = client.crm.associations.v4.basic_api.get_page("contacts", contact_id, "companies")
    used = {s.type_id for r in page.results for s in r.association_types}
    assert used <= set(by_type)


# ---------------------------------------------------------------------------------------------
# create / update / archive / merge / GDPR delete
# ---------------------------------------------------------------------------------------------


def test_new_contact_when_created_updated_archived_then_each_step_parses_and_is_visible(client):
    api = client.crm.contacts.basic_api
    created = api.create(
        SimplePublicObjectInputForCreate(
            properties={"email": "sdk.conformance@example.com", "firstname": "Sdk"}
        )
    )
    assert created is not None, "create must answer 201 (the SDK parses only 201)"
    assert_record(created, "contacts")
    assert created.properties["email"] == "sdk.conformance@example.com"
    assert created.properties["firstname"] == "Sdk"

    got = api.get_by_id(created.id, properties=["email", "firstname"])
    assert got.properties["firstname"] == "Sdk"

    updated = api.update(created.id, SimplePublicObjectInput(properties={"firstname": "Kit"}))
    assert updated is not None
    assert updated.id == created.id
    assert updated.properties["firstname"] == "Kit"
    assert updated.updated_at >= created.updated_at
    assert updated.created_at == created.created_at
    assert api.get_by_id(created.id, properties=["firstname"]).properties["firstname"] == "Kit"

    assert api.archive(created.id) is None
    with pytest.raises(ContactsNotFound):
        api.get_by_id(created.id)
    archived = api.get_by_id(created.id, archived=True, properties=["firstname"])
    assert archived.archived is True
    assert isinstance(archived.archived_at, datetime)
    assert archived.properties["firstname"] == "Kit"


@pytest.mark.parametrize(
    ("object_type", "properties"),
    [
        ("companies", {"name": "Sdk Conformance Inc", "domain": "sdk-conformance.example"}),
        (
            "deals",
            {
                "dealname": "Sdk deal",
                "amount": "1234.5",
                "pipeline": "default",
                "dealstage": "appointmentscheduled",
            },
        ),
        ("products", {"name": "Sdk widget", "price": "9.99"}),
        ("tickets", {"subject": "Sdk ticket", "hs_pipeline": "0", "hs_pipeline_stage": "1"}),
        ("notes", {"hs_note_body": "Sdk note", "hs_timestamp": "2025-01-02T03:04:05.000Z"}),
        ("tasks", {"hs_task_subject": "Sdk task", "hs_timestamp": "2025-01-02T03:04:05.000Z"}),
    ],
)
def test_object_type_when_created_updated_archived_via_objects_api_then_round_trips(
    client, object_type, properties
):
    if object_type == "tickets":
        stages = client.crm.pipelines.pipelines_api.get_all("tickets").results
        first_stage = sorted(
            next(p for p in stages if p.id == "0").stages, key=lambda s: s.display_order
        )[0]
        properties = {**properties, "hs_pipeline_stage": first_stage.id}
    api = client.crm.objects.basic_api
    created = api.create(object_type, SimplePublicObjectInputForCreate(properties=properties))
    assert created is not None, "create must answer 201 (the SDK parses only 201)"
    assert_record(created, object_type)
    for key, value in properties.items():
        if key == "hs_timestamp":
            assert iso(created.properties[key]) == iso(value)
        elif key in {"amount", "price"}:
            assert float(created.properties[key]) == float(value)
        else:
            assert created.properties[key] == value

    key = next(iter(properties))
    updated = api.update(
        object_type, created.id, SimplePublicObjectInput(properties={key: "changed by sdk"})
    )
    assert updated.properties[key] == "changed by sdk"
    assert api.get_by_id(object_type, created.id, properties=[key]).properties[key] == (
        "changed by sdk"
    )

    assert api.archive(object_type, created.id) is None
    with pytest.raises(ObjectsNotFound):
        api.get_by_id(object_type, created.id)
    archived_ids = {
        r.id for r in client.crm.objects.basic_api.get_page(object_type, archived=True).results
    }
    assert created.id in archived_ids


def test_two_contacts_when_merged_then_new_record_answers_for_both_old_ids(client):
    api = client.crm.contacts.basic_api
    live_before = live_contact_ids(client)
    primary, secondary = api.get_page(limit=2, properties=["email", "firstname"]).results
    merged = api.merge(
        PublicMergeInput(primary_object_id=primary.id, object_id_to_merge=secondary.id)
    )
    assert merged is not None
    assert NUMERIC_ID.match(merged.id)
    assert merged.properties["hs_object_id"] == merged.id
    # Contacts/companies merges create a new record with a new ID
    # (docs/hubspot-api.md#deletions-and-merges).
    assert merged.id not in {primary.id, secondary.id}
    for old in (primary.id, secondary.id):
        got = api.get_by_id(old, properties=["email", "hs_merged_object_ids"])
        assert got.id == merged.id
        assert got.properties["email"] == primary.properties["email"]  # primary wins
        assert {primary.id, secondary.id} <= set(got.properties["hs_merged_object_ids"].split(";"))
    live = live_contact_ids(client)
    assert live == (live_before - {primary.id, secondary.id}) | {merged.id}


def test_two_companies_when_merged_then_merge_endpoint_parses_into_simple_public_object(client):
    api = client.crm.companies.basic_api
    primary, secondary = api.get_page(limit=2, properties=["name"]).results
    merged = api.merge(
        CompanyMergeInput(primary_object_id=primary.id, object_id_to_merge=secondary.id)
    )
    assert merged is not None
    assert merged.properties["name"] == primary.properties["name"]
    assert api.get_by_id(secondary.id).id == merged.id


def test_contact_when_gdpr_deleted_then_204_and_gone_even_from_archived(client):
    api = client.crm.contacts.basic_api
    live_before = live_contact_ids(client)
    victim = api.get_page(limit=1).results[0]
    assert api.purge(PublicGdprDeleteInput(object_id=victim.id)) is None
    with pytest.raises(ContactsNotFound):
        api.get_by_id(victim.id)
    with pytest.raises(ContactsNotFound):
        api.get_by_id(victim.id, archived=True)
    archived_ids = {c.id for c in api.get_page(archived=True, limit=100).results}
    assert victim.id not in archived_ids
    assert live_contact_ids(client) == live_before - {victim.id}


# ---------------------------------------------------------------------------------------------
# Control-plane changes become visible through the SDK
# ---------------------------------------------------------------------------------------------


def test_control_update_when_reading_back_then_sdk_sees_new_value_and_newer_timestamp(
    emulator, client
):
    before = client.crm.contacts.basic_api.get_page(limit=1, properties=["firstname"]).results[0]
    emulator.control.update("contacts", before.id, {"firstname": "Changed"})
    after = client.crm.contacts.basic_api.get_by_id(before.id, properties=["firstname"])
    assert after.properties["firstname"] == "Changed"
    assert after.updated_at > before.updated_at
    assert after.updated_at == iso(after.properties["lastmodifieddate"])


# ---------------------------------------------------------------------------------------------
# More read paths: single pipeline / property / schema, id_property batch, history paging
# ---------------------------------------------------------------------------------------------


def test_default_deal_pipeline_when_get_by_id_then_same_as_in_get_all(client):
    listed = next(
        p for p in client.crm.pipelines.pipelines_api.get_all("deals").results if p.id == "default"
    )
    one = client.crm.pipelines.pipelines_api.get_by_id("deals", "default")
    assert one.id == "default" and one.label == listed.label
    assert [s.id for s in one.stages] == [s.id for s in listed.stages]


def test_default_deal_pipeline_when_listing_its_stages_then_same_as_in_get_all(client):
    listed = next(
        p for p in client.crm.pipelines.pipelines_api.get_all("deals").results if p.id == "default"
    )
    stages = client.crm.pipelines.pipeline_stages_api.get_all("deals", "default").results
    assert [s.id for s in stages] == [s.id for s in listed.stages]
    assert [s.metadata for s in stages] == [s.metadata for s in listed.stages]
    won = client.crm.pipelines.pipeline_stages_api.get_by_id("deals", "default", "closedwon")
    assert won.id == "closedwon"
    assert won.metadata["isClosed"] == "true"


def test_email_property_when_get_by_name_then_same_definition_as_in_get_all(client):
    listed = next(
        p for p in client.crm.properties.core_api.get_all("contacts").results if p.name == "email"
    )
    one = client.crm.properties.core_api.get_by_name("contacts", "email")
    assert one.name == "email"
    assert (one.type, one.field_type, one.label, one.group_name) == (
        listed.type,
        listed.field_type,
        listed.label,
        listed.group_name,
    )


def test_archived_true_when_getting_all_properties_then_only_archived_definitions(client):
    live = {p.name for p in client.crm.properties.core_api.get_all("contacts").results}
    archived = client.crm.properties.core_api.get_all("contacts", archived=True).results
    for prop in archived:
        assert prop.archived is True
        assert isinstance(prop.archived_at, datetime)
        assert prop.name not in live


def test_custom_schema_when_get_by_id_then_same_schema_as_in_get_all(client):
    listed = client.crm.schemas.core_api.get_all().results[0]
    one = client.crm.schemas.core_api.get_by_id(listed.object_type_id)
    assert one.object_type_id == listed.object_type_id
    assert one.fully_qualified_name == listed.fully_qualified_name
    assert {p.name for p in one.properties} == {p.name for p in listed.properties}


def test_emails_as_id_property_when_batch_reading_then_records_found_by_email(client):
    targets = contacts_with_email(client)[:3]
    request = BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=c.properties["email"]) for c in targets],
        properties=["email"],
        id_property="email",
    )
    data = client.crm.contacts.batch_api.read(request)
    assert data.status == "COMPLETE"
    assert {r.id for r in data.results} == {c.id for c in targets}
    for record in data.results:
        assert_record(record, "contacts")


def test_archived_ids_when_batch_reading_with_archived_true_then_archived_records(client):
    victim = client.crm.contacts.basic_api.get_page(limit=1).results[0]
    client.crm.contacts.basic_api.archive(victim.id)
    request = BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=victim.id)], properties=["email"]
    )
    data = client.crm.objects.batch_api.read("contacts", request, archived=True)
    assert [r.id for r in data.results] == [victim.id]
    assert data.results[0].archived is True
    assert isinstance(data.results[0].archived_at, datetime)


def test_history_requested_when_get_all_then_sdk_pages_by_50_and_every_record_has_history(
    emulator, client
):
    emulator.control.reset(contacts=120)
    contacts = client.crm.contacts.get_all(
        properties=["firstname"], properties_with_history=["firstname"]
    )
    archived = client.crm.contacts.basic_api.get_page(archived=True, limit=100).results
    assert len(contacts) + len(archived) == 120
    for contact in contacts:
        history = contact.properties_with_history["firstname"]
        if contact.properties["firstname"] is not None:
            assert history[0].value == contact.properties["firstname"]
        for version in history:
            assert isinstance(version.timestamp, datetime)
            assert version.source_type


def test_free_text_query_when_searching_then_contact_found_by_last_name(client):
    target = next(
        c
        for c in client.crm.contacts.basic_api.get_page(limit=100).results
        if c.properties["lastname"]
    )
    request = PublicObjectSearchRequest(query=target.properties["lastname"], limit=100)
    found = client.crm.contacts.search_api.do_search(request)
    assert target.id in {c.id for c in found.results}
    assert found.total == len(found.results)
    for contact in found.results:
        assert_record(contact, "contacts")


def test_deals_when_listing_with_two_association_types_then_both_keys_parse(client):
    page = client.crm.deals.basic_api.get_page(limit=100, associations=["contacts", "companies"])
    keys = set()
    for deal in page.results:
        assert_record(deal, "deals")
        for name, assoc in (deal.associations or {}).items():
            assert name in {"contacts", "companies"}
            keys.add(name)
            assert all(NUMERIC_ID.match(a.id) for a in assoc.results)
    assert keys == {"contacts", "companies"}


def test_company_with_many_contacts_when_v4_listing_with_limit_one_then_after_pages_all(client):
    counts = {}
    for contact_id, companies in _contacts_with_companies(client).items():
        for company_id in companies:
            counts.setdefault(company_id, set()).add(contact_id)
    company_id, expected = max(counts.items(), key=lambda kv: len(kv[1]))
    assert len(expected) >= 2
    api = client.crm.associations.v4.basic_api
    seen = []
    after = None
    while True:
        page = api.get_page("companies", company_id, "contacts", limit=1, after=after)
        assert len(page.results) == 1
        seen.append(str(page.results[0].to_object_id))
        if page.paging is None:
            break
        after = page.paging.next.after
        assert len(seen) <= 100
    assert len(seen) == len(set(seen))
    assert expected <= set(seen)


# ---------------------------------------------------------------------------------------------
# Errors surface through the SDK (retries are off)
# ---------------------------------------------------------------------------------------------


def _delta(emulator, before: dict) -> int:
    return emulator.control.stats()["requests"] - before["requests"]


def test_pro_rate_limits_when_listing_then_headers_sent_but_not_on_search(emulator, client):
    emulator.control.reset(contacts=40, rate_limit="pro")
    _data, status, headers = client.crm.contacts.basic_api.get_page_with_http_info(limit=1)
    assert status == 200
    assert header(headers, "X-HubSpot-RateLimit-Max") == "190"
    assert header(headers, "X-HubSpot-RateLimit-Interval-Milliseconds") == "10000"
    assert 0 <= int(header(headers, "X-HubSpot-RateLimit-Remaining")) < 190
    assert header(headers, "X-HubSpot-RateLimit-Daily") == "625000"
    assert int(header(headers, "X-HubSpot-RateLimit-Daily-Remaining")) < 625000
    assert header(headers, "X-HubSpot-Correlation-Id")

    _data, status, headers = client.crm.contacts.search_api.do_search_with_http_info(
        PublicObjectSearchRequest(limit=1)
    )
    assert status == 200
    assert not [k for k in dict(headers) if k.lower().startswith("x-hubspot-ratelimit")]
    assert header(headers, "X-HubSpot-Correlation-Id")


def test_burst_limit_spent_when_listing_then_sdk_raises_429_once_without_retry(emulator, client):
    emulator.control.reset(contacts=40, rate_limit="free")
    api = client.crm.contacts.basic_api
    for _ in range(100):
        api.get_page(limit=1)
    before = emulator.control.stats()
    with pytest.raises(ContactsApiException) as info:
        api.get_page(limit=1)
    assert _delta(emulator, before) == 1, "the SDK must not have retried"
    exc = info.value
    assert exc.status == 429
    body = json_body(exc)
    assert body["status"] == "error"
    assert body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert body["correlationId"]


def test_sixth_search_in_a_second_when_searching_then_429_secondly_limit(emulator, client):
    emulator.control.reset(contacts=40, rate_limit="pro")
    api = client.crm.contacts.search_api
    with pytest.raises(ContactsApiException) as info:
        for _ in range(10):
            api.do_search(PublicObjectSearchRequest(limit=1))
    exc = info.value
    assert exc.status == 429
    body = json_body(exc)
    assert body["errorType"] == "RATE_LIMIT"
    assert body["message"] == "You have reached your secondly limit."


def test_scripted_503_when_listing_then_service_exception_and_next_call_succeeds(emulator, client):
    emulator.control.set_faults(script=[{"kind": "503"}])
    before = emulator.control.stats()
    with pytest.raises(ContactsServiceException) as info:
        client.crm.contacts.basic_api.get_page(limit=1)
    assert info.value.status == 503
    assert _delta(emulator, before) == 1, "the SDK must not have retried"
    assert len(client.crm.contacts.basic_api.get_page(limit=1).results) == 1


def test_search_after_beyond_ten_thousand_when_searching_then_400_validation_error(client):
    with pytest.raises(ContactsApiException) as info:
        client.crm.contacts.search_api.do_search(PublicObjectSearchRequest(limit=10, after="10000"))
    assert info.value.status == 400
    body = json_body(info.value)
    assert body["status"] == "error"
    assert body["category"] == "VALIDATION_ERROR"


def test_seven_filter_groups_when_searching_then_400_validation_error(client):
    groups = [
        FilterGroup(filters=[Filter(property_name="email", operator="EQ", value=f"x{i}@y.z")])
        for i in range(7)
    ]
    with pytest.raises(ContactsApiException) as info:
        client.crm.contacts.search_api.do_search(PublicObjectSearchRequest(filter_groups=groups))
    assert info.value.status == 400
    assert json_body(info.value)["category"] == "VALIDATION_ERROR"


def test_unknown_object_type_when_listing_then_unable_to_infer_object_type(client):
    with pytest.raises(ObjectsApiException) as info:
        client.crm.objects.basic_api.get_page("no_such_type", limit=1)
    assert info.value.status in {400, 404}
    body = json_body(info.value)
    assert body["status"] == "error"
    assert body["message"] == "Unable to infer object type from: no_such_type"


# ---------------------------------------------------------------------------------------------
# Search patterns a mirror uses: modified-since window, association pseudo-property
# ---------------------------------------------------------------------------------------------


def test_modified_since_epoch_ms_when_searching_ascending_then_exactly_newer_contacts_in_order(
    client,
):
    contacts = all_contacts(client)
    modified = sorted(c.updated_at for c in contacts)
    cutoff = modified[len(modified) // 2]
    cutoff_ms = str(round(cutoff.timestamp() * 1000))
    request = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(
                filters=[Filter(property_name="lastmodifieddate", operator="GTE", value=cutoff_ms)]
            )
        ],
        sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        properties=["lastmodifieddate"],
        limit=200,
    )
    found = client.crm.contacts.search_api.do_search(request)
    expected = {c.id for c in contacts if c.updated_at >= cutoff}
    assert {c.id for c in found.results} == expected
    assert found.total == len(expected)
    stamps = [c.updated_at for c in found.results]
    assert stamps == sorted(stamps)
    assert stamps[0] == cutoff


def test_contact_with_deals_when_searching_deals_by_associations_contact_then_its_deals(client):
    page = client.crm.deals.basic_api.get_page(limit=100, associations=["contacts"])
    contact_id = next(
        d.associations["contacts"].results[0].id for d in page.results if d.associations
    )
    linked = client.crm.associations.v4.basic_api.get_page("contacts", contact_id, "deals")
    expected = {str(r.to_object_id) for r in linked.results}
    assert expected
    request = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(
                filters=[
                    Filter(property_name="associations.contact", operator="EQ", value=contact_id)
                ]
            )
        ],
        limit=100,
    )
    found = client.crm.deals.search_api.do_search(request)
    assert {d.id for d in found.results} == expected
    assert found.total == len(expected)


def test_in_operator_with_lowercase_values_when_searching_deals_then_stage_matches(client):
    request = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(
                filters=[
                    Filter(
                        property_name="dealstage", operator="IN", values=["closedwon", "closedlost"]
                    )
                ]
            )
        ],
        properties=["dealstage"],
        limit=100,
    )
    found = client.crm.deals.search_api.do_search(request)
    expected = {
        d.id
        for d in client.crm.deals.get_all(properties=["dealstage"])
        if d.properties["dealstage"] in {"closedwon", "closedlost"}
    }
    assert {d.id for d in found.results} == expected
    for deal in found.results:
        assert deal.properties["dealstage"] in {"closedwon", "closedlost"}


# ---------------------------------------------------------------------------------------------
# Write errors and batch writes
# ---------------------------------------------------------------------------------------------


def test_unknown_property_when_creating_contact_then_400_property_doesnt_exist(client):
    with pytest.raises(ContactsApiException) as info:
        client.crm.contacts.basic_api.create(
            SimplePublicObjectInputForCreate(
                properties={"email": "x@example.com", "no_such_property_xyz": "1"}
            )
        )
    assert info.value.status == 400
    body = json_body(info.value)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("Property values were not valid: ")
    assert "PROPERTY_DOESNT_EXIST" in body["message"]


def test_live_id_when_get_by_id_with_archived_true_then_404(client):
    live = client.crm.contacts.basic_api.get_page(limit=1).results[0]
    with pytest.raises(ContactsNotFound):
        client.crm.contacts.basic_api.get_by_id(live.id, archived=True)


def test_two_contacts_when_batch_created_updated_archived_then_sdk_parses_each_response(client):
    api = client.crm.contacts.batch_api
    created = api.create(
        BatchInputCreate(
            inputs=[
                InputForCreate(properties={"email": f"batch{i}@example.com", "firstname": "B"})
                for i in range(2)
            ]
        )
    )
    assert created is not None, "batch create must answer 201 (the SDK parses only 201/207)"
    assert created.status == "COMPLETE"
    assert sorted(r.properties["email"] for r in created.results) == [
        "batch0@example.com",
        "batch1@example.com",
    ]
    ids = [r.id for r in created.results]
    for record in created.results:
        assert_record(record, "contacts")

    updated = api.update(
        BatchInputUpdate(
            inputs=[BatchInputItem(id=i, properties={"firstname": "Updated"}) for i in ids]
        )
    )
    assert updated is not None and updated.status == "COMPLETE"
    assert {r.id for r in updated.results} == set(ids)
    assert all(r.properties["firstname"] == "Updated" for r in updated.results)

    assert api.archive(BatchInputIds(inputs=[ContactObjectId(id=i) for i in ids])) is None
    for i in ids:
        with pytest.raises(ContactsNotFound):
            client.crm.contacts.basic_api.get_by_id(i)


# ---------------------------------------------------------------------------------------------
# The strict client really is strict (guards every test above against silent parsing)
# ---------------------------------------------------------------------------------------------


def test_record_served_without_created_at_when_read_strictly_then_sdk_rejects_it(emulator):
    strict, lenient = make_client(emulator), make_client(emulator, strict=False)
    contact = strict.crm.contacts.basic_api.get_page(limit=1).results[0]
    broken = {
        "id": contact.id,
        "properties": {"hs_object_id": contact.id},
        "updatedAt": "2025-01-01T00:00:00.000Z",
        "archived": False,
    }
    emulator.control.put_raw("contacts", contact.id, broken)
    with pytest.raises(ValueError, match="created_at"):
        strict.crm.contacts.basic_api.get_by_id(contact.id)
    parsed = lenient.crm.contacts.basic_api.get_by_id(contact.id)
    assert parsed.id == contact.id and parsed.created_at is None


# ---------------------------------------------------------------------------------------------
# Association writes (v4 default association, then removal)
# ---------------------------------------------------------------------------------------------


def test_contact_without_company_when_default_association_created_then_visible_in_v3_and_v4(
    client,
):
    linked = _contacts_with_companies(client)
    contact_id = next(c.id for c in all_contacts(client) if c.id not in linked)
    company_id = client.crm.companies.basic_api.get_page(limit=1).results[0].id
    api = client.crm.associations.v4.basic_api

    made = api.create_default("contacts", contact_id, "companies", company_id)
    assert made.status == "COMPLETE"
    assert made.results
    for result in made.results:
        assert result._from.id == contact_id and result.to.id == company_id
        assert result.association_spec.association_category == "HUBSPOT_DEFINED"
    # The default (most generic) contact→company type is 279, unlabeled
    # (docs/hubspot-api.md#associations).
    assert 279 in {r.association_spec.association_type_id for r in made.results}

    listed = api.get_page("contacts", contact_id, "companies")
    assert [str(r.to_object_id) for r in listed.results] == [company_id]
    assert 279 in {s.type_id for s in listed.results[0].association_types}
    v3 = client.crm.contacts.basic_api.get_by_id(contact_id, associations=["companies"])
    assert {a.id for a in v3.associations["companies"].results} == {company_id}

    assert api.archive("contacts", contact_id, "companies", company_id) is None
    assert api.get_page("contacts", contact_id, "companies").results == []
