"""Webhooks (docs/hubspot-api.md#webhooks, #deletions-and-merges;
docs/hubspot-api.md#deletions-and-merges): every change becomes HubSpot-shaped events, POSTed in
signed (v3) batches from the emulator's loop, duplicated, reordered and retried as configured;
restore from the recycle bin.

A `Receiver` (a `http.server` on a free loopback port, in a thread) records each request and
answers the statuses it is told to. `deliver` flushes, so every test is deterministic."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from hubspot.utils.signature import Signature

from hubspot_emulator import PORTAL_ID
from hubspot_emulator.testing import spawn_emulator, start_emulator
from hubspot_emulator.webhooks import sign_v3

from .conftest import COMPANY, CONTACT

CONTACTS = "/crm/v3/objects/contacts"
SECRET = "7f3c1a9e-webhook-secret"
FROZEN = 1_893_456_000_000  # 2030-01-01T00:00:00Z: the emulated clock, far from real time
DEAL = 30_000_000_000
COMMON = ["eventId", "subscriptionId", "portalId", "appId", "occurredAt", "subscriptionType",
          "attemptNumber", "objectId"]


@dataclass
class Received:
    method: str
    path: str
    headers: Message
    body: bytes

    @property
    def events(self) -> list[dict]:
        return json.loads(self.body)


class Receiver:
    """A webhook target: records every request; answers `statuses` in turn, then 200."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.statuses: list[int] = []
        self.pause_s = 0.0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        # Escapes in the query: HubSpot signs `%3A` and `%2F` decoded, `%20` as it is.
        base = f"http://127.0.0.1:{self.server.server_address[1]}/hubspot/hooks"
        self.url = f"{base}?t=a%20b&at=x%3Ay%2fz"
        self.signed_url = f"{base}?t=a%20b&at=x:y/z"

    def _handler_class(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver._record(Received(self.command, self.path, self.headers, body))
                time.sleep(receiver.pause_s)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        return Handler

    def _record(self, received: Received) -> int:
        with self._lock:
            self.requests.append(received)
            return self.statuses.pop(0) if self.statuses else 200

    def events(self) -> list[dict]:
        return [e for r in self.requests for e in r.events]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def configure(emulator, receiver: Receiver, **options) -> dict:
    return emulator.control.configure_webhooks(receiver.url, SECRET, **options)


def deliver(emulator, receiver: Receiver) -> list[dict]:
    """Flush, then every event received, in arrival order."""
    assert emulator.control.flush_webhooks(timeout_s=10)["pending"] == 0
    return receiver.events()


def of_kind(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e["subscriptionType"] == kind]


def strip_common(event: dict) -> dict:
    return {k: v for k, v in event.items() if k not in COMMON}


def expected_signature(received: Received, signed_url: str) -> str:
    stamp = received.headers["X-HubSpot-Request-Timestamp"]
    message = b"POST" + signed_url.encode() + received.body + stamp.encode()
    return base64.b64encode(hmac.new(SECRET.encode(), message, hashlib.sha256).digest()).decode()


# -- signing and the common fields --------------------------------------------------------------

def test_signature_when_delivered_then_v3_hmac_over_exact_bytes_and_configured_url(
        api, emulator, receiver):
    emulator.control.set_clock(FROZEN)
    configure(emulator, receiver)
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "Nguyễn ✓"}})
    [event] = deliver(emulator, receiver)
    [request] = receiver.requests
    headers = request.headers
    assert request.method == "POST" and request.path == "/hubspot/hooks?t=a%20b&at=x%3Ay%2fz"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-HubSpot-Signature-Version"] == "v3"
    assert "Nguyễn ✓".encode() in request.body  # raw UTF-8 bytes are what is signed
    signature, stamp = headers["X-HubSpot-Signature-v3"], headers["X-HubSpot-Request-Timestamp"]
    assert signature == expected_signature(request, receiver.signed_url)
    assert sign_v3(SECRET, "POST", receiver.url, request.body, stamp) == signature
    # HubSpot's own SDK validator agrees, its 5-minute window included.
    assert Signature.is_valid(signature=signature, client_secret=SECRET,
                              request_body=request.body.decode(), http_uri=receiver.signed_url,
                              signature_version="v3", timestamp=stamp)
    # Real time in the header although the emulated clock stands in 2030.
    assert abs(int(stamp) - time.time() * 1000) < 60_000
    assert event["occurredAt"] == FROZEN


def test_sign_v3_when_any_input_changes_then_signature_changes():
    base = ("s", "POST", "https://x.example/h", b'[{"a":1}]', "1700000000000")
    reference = sign_v3(*base)
    for k, other in enumerate(("t", "PUT", "https://x.example/h?", b'[{"a":2}]', "1700000000001")):
        assert sign_v3(*base[:k], other, *base[k + 1:]) != reference
    # Only HubSpot's listed escapes are decoded before signing, in either hex case.
    assert sign_v3("s", "POST", "https://x.example/a%3Ab%2fc", b"", "1") == sign_v3(
        "s", "POST", "https://x.example/a:b/c", b"", "1")
    assert sign_v3("s", "POST", "https://x.example/a%20b", b"", "1") != sign_v3(
        "s", "POST", "https://x.example/a b", b"", "1")


def test_events_when_several_changes_then_common_fields_in_hubspot_shape(api, emulator,
                                                                         receiver):
    configure(emulator, receiver, app_id=4242)
    for name in ("Ann", "Bea", "Cid"):
        api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": name}})
    api.delete(f"{CONTACTS}/{CONTACT + 2}")
    events = deliver(emulator, receiver)
    assert [list(e)[:8] for e in events] == [COMMON] * 4  # HubSpot's field order
    ids = [e["eventId"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert {e["portalId"] for e in events} == {PORTAL_ID}
    assert {e["appId"] for e in events} == {4242}
    assert {e["attemptNumber"] for e in events} == {0}
    changes, [deletion] = events[:3], events[3:]
    assert len({e["subscriptionId"] for e in changes}) == 1  # one per subscription type
    assert deletion["subscriptionId"] != changes[0]["subscriptionId"]
    assert all(isinstance(e["objectId"], int) and isinstance(e["occurredAt"], int)
               for e in events)


# -- one kind of change at a time ----------------------------------------------------------------

def test_create_when_posted_then_creation_then_property_change_per_value(api, emulator,
                                                                         receiver):
    emulator.control.set_clock(FROZEN)
    configure(emulator, receiver)
    new = api.post(CONTACTS, json={"properties": {"email": "new@x.example", "firstname": "Neo",
                                                  "lastname": ""}}).json()["id"]
    events = deliver(emulator, receiver)
    assert [strip_common(e) for e in events] == [
        {"changeSource": "API", "changeFlag": "NEW"},
        {"changeSource": "API", "propertyName": "email", "propertyValue": "new@x.example"},
        {"changeSource": "API", "propertyName": "firstname", "propertyValue": "Neo"}]
    assert [e["subscriptionType"] for e in events] == ["contact.creation"] + [
        "contact.propertyChange"] * 2
    assert {e["objectId"] for e in events} == {int(new)}
    assert {e["occurredAt"] for e in events} == {FROZEN}


def test_batch_create_when_posted_then_one_batch_with_every_creation(api, emulator, receiver):
    configure(emulator, receiver, subscriptions=["company.creation"])
    created = api.post("/crm/v3/objects/companies/batch/create", json={"inputs": [
        {"properties": {"name": f"Co {k}"}} for k in range(3)]}).json()["results"]
    events = deliver(emulator, receiver)
    assert len(receiver.requests) == 1
    assert [e["objectId"] for e in events] == [int(r["id"]) for r in created]


def test_update_when_patched_then_events_only_for_values_that_change(api, emulator, receiver):
    current = api.get(f"{CONTACTS}/{CONTACT + 1}").json()["properties"]
    configure(emulator, receiver)
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {
        "firstname": "Zed", "lastname": current["lastname"], "phone": ""}})
    api.post(f"{CONTACTS}/batch/update", json={"inputs": [
        {"id": str(CONTACT + 2), "properties": {"nps_score": 3}}]})
    events = deliver(emulator, receiver)
    assert [(e["objectId"], e["propertyName"], e["propertyValue"]) for e in events] == [
        (CONTACT + 1, "firstname", "Zed"), (CONTACT + 1, "phone", ""),  # cleared: ""
        (CONTACT + 2, "nps_score", "3")]
    assert {e["changeSource"] for e in events} == {"API"}


def test_control_update_when_changed_then_property_change_from_crm_ui_and_touch_silent(
        emulator, receiver):
    emulator.control.set_clock(FROZEN)
    configure(emulator, receiver)
    emulator.control.update("contacts", CONTACT + 3, {"loyalty_tier": "gold"})
    emulator.control.update("contacts", CONTACT + 4, {"loyalty_tier": "gold"}, touch=False)
    emulator.control.touch("contacts", ids=[str(CONTACT + 5)], modified_ms=FROZEN)
    events = deliver(emulator, receiver)
    assert [(e["objectId"], e["propertyName"], e["changeSource"]) for e in events] == [
        (CONTACT + 3, "loyalty_tier", "CRM_UI"), (CONTACT + 4, "loyalty_tier", "CRM_UI")]
    assert {e["occurredAt"] for e in events} == {FROZEN}


def test_archive_when_deleted_or_batch_archived_then_deletion_events(api, emulator, receiver):
    configure(emulator, receiver)
    api.delete(f"{CONTACTS}/{CONTACT + 1}")
    api.delete(f"{CONTACTS}/{CONTACT + 1}")  # already in the bin: no second event
    api.post(f"{CONTACTS}/batch/archive", json={"inputs": [{"id": str(CONTACT + 2)},
                                                           {"id": str(CONTACT + 3)}]})
    events = deliver(emulator, receiver)
    assert [(e["subscriptionType"], e["objectId"], e["changeFlag"]) for e in events] == [
        ("contact.deletion", CONTACT + k, "DELETED") for k in (1, 2, 3)]


def test_gdpr_delete_when_contact_then_privacy_deletion_without_personal_data(api, emulator,
                                                                              receiver):
    email = api.get(f"{CONTACTS}/{CONTACT + 6}").json()["properties"]["email"]
    configure(emulator, receiver)
    api.post(f"{CONTACTS}/gdpr-delete", json={"objectId": email, "idProperty": "email"})
    events = deliver(emulator, receiver)
    assert [(e["subscriptionType"], e["objectId"], e["changeFlag"]) for e in events] == [
        ("contact.privacyDeletion", CONTACT + 6, "PRIVACY_DELETED"),
        ("contact.deletion", CONTACT + 6, "PRIVACY_DELETED")]
    assert email.encode() not in receiver.requests[0].body
    assert all("propertyName" not in e for e in events)


def test_merge_when_contacts_then_merge_for_new_id_and_deletion_for_both_old_ids(
        api, emulator, receiver):
    configure(emulator, receiver)
    merged = api.post(f"{CONTACTS}/merge", json={"primaryObjectId": str(CONTACT + 1),
                                                 "objectIdToMerge": str(CONTACT + 2)}).json()
    new = int(merged["id"])
    events = deliver(emulator, receiver)
    [merge] = of_kind(events, "contact.merge")
    assert merge["objectId"] == merge["newObjectId"] == new != CONTACT + 1
    assert merge["primaryObjectId"] == CONTACT + 1
    assert merge["mergedObjectIds"] == [CONTACT + 2]
    assert merge["changeFlag"] == "MERGED"
    assert isinstance(merge["numberOfPropertiesMoved"], int)
    deletions = of_kind(events, "contact.deletion")
    assert [(e["objectId"], e["changeFlag"]) for e in deletions] == [
        (CONTACT + 1, "MERGED"), (CONTACT + 2, "MERGED")]
    assert len(events) == 3  # nothing else: no creation for the new record


def test_merge_when_deals_then_primary_keeps_its_id_and_only_the_other_is_deleted(
        api, emulator, receiver):
    configure(emulator, receiver)
    api.post("/crm/v3/objects/deals/merge", json={"primaryObjectId": str(DEAL + 1),
                                                  "objectIdToMerge": str(DEAL + 2)})
    events = deliver(emulator, receiver)
    assert [(e["subscriptionType"], e["objectId"]) for e in events] == [
        ("deal.merge", DEAL + 1), ("deal.deletion", DEAL + 2)]
    assert events[0]["newObjectId"] == events[0]["primaryObjectId"] == DEAL + 1


def test_engagement_when_created_then_object_creation_with_object_type_id(api, emulator,
                                                                          receiver):
    configure(emulator, receiver, subscriptions=["object.creation", "object.propertyChange"])
    call = api.post("/crm/v3/objects/calls",
                    json={"properties": {"hs_call_title": "Intro"}}).json()["id"]
    api.post(CONTACTS, json={"properties": {"firstname": "Not subscribed"}})
    events = deliver(emulator, receiver)
    assert [(e["subscriptionType"], e["objectTypeId"], e["objectId"]) for e in events] == [
        ("object.creation", "0-48", int(call)), ("object.propertyChange", "0-48", int(call))]


# -- associations -------------------------------------------------------------------------------

def test_association_when_put_and_deleted_then_one_event_from_each_side(api, emulator,
                                                                        receiver):
    contact, company = CONTACT + 1, COMPANY + 2  # contact 1's generated company is company 1
    path = f"/crm/v4/objects/contacts/{contact}/associations"
    configure(emulator, receiver)
    assert api.put(f"{path}/default/companies/{company}").status_code == 200
    api.put(f"{path}/default/companies/{company}")  # already there: nothing new
    assert api.delete(f"{path}/companies/{company}").status_code == 204
    events = deliver(emulator, receiver)
    assert [strip_common(e) for e in events] == [
        {"changeSource": "API", "associationType": kind, "fromObjectId": frm,
         "toObjectId": to, "fromObjectTypeId": frm_type, "toObjectTypeId": to_type,
         "associationRemoved": removed, "isPrimaryAssociation": False,
         "associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
        for removed in (False, True)
        for kind, frm, to, frm_type, to_type, type_id in (
            ("CONTACT_TO_COMPANY", contact, company, "0-1", "0-2", 279),
            ("COMPANY_TO_CONTACT", company, contact, "0-2", "0-1", 280))]
    assert [(e["subscriptionType"], e["objectId"]) for e in events[:2]] == [
        ("contact.associationChange", contact), ("company.associationChange", company)]


def test_association_batch_archive_when_primary_link_removed_then_primary_flag_set(
        api, emulator, receiver):
    links = api.get(f"/crm/v4/objects/contacts/{CONTACT + 1}/associations/companies").json()
    [link] = links["results"]
    configure(emulator, receiver)
    api.post("/crm/v4/associations/contacts/companies/batch/archive", json={"inputs": [
        {"from": {"id": str(CONTACT + 1)}, "to": [{"id": str(link["toObjectId"])}]}]})
    events = deliver(emulator, receiver)
    sent = {(e["subscriptionType"], e["associationTypeId"], e["isPrimaryAssociation"])
            for e in events}
    expected = {("contact.associationChange", t["typeId"], t["label"] == "Primary")
                for t in link["associationTypes"]}
    assert ("contact.associationChange", 1, True) in sent
    assert expected <= sent and all(e["associationRemoved"] for e in events)
    assert len(of_kind(events, "company.associationChange")) == len(expected)


def test_create_when_associations_inline_then_creation_then_association_events(api, emulator,
                                                                              receiver):
    configure(emulator, receiver, subscriptions=["contact.creation",
                                                 "contact.associationChange"])
    new = api.post(CONTACTS, json={"properties": {"firstname": "Linked"}, "associations": [
        {"to": {"id": str(COMPANY + 3)}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}]}).json()
    events = deliver(emulator, receiver)
    assert [(e["subscriptionType"], e.get("toObjectId")) for e in events] == [
        ("contact.creation", None), ("contact.associationChange", COMPANY + 3)]
    assert {e["objectId"] for e in events} == {int(new["id"])}


# -- hard delete --------------------------------------------------------------------------------

def test_hard_delete_when_live_or_binned_then_gone_everywhere_and_a_plain_deletion_event(
        api, emulator, receiver):
    configure(emulator, receiver)
    api.delete(f"{CONTACTS}/{CONTACT + 5}")
    binned = len(deliver(emulator, receiver))
    for record in (CONTACT + 4, CONTACT + 5):  # live, then in the recycle bin
        emulator.control.hard_delete("contacts", record)
        assert api.get(f"{CONTACTS}/{record}").status_code == 404
        assert api.get(f"{CONTACTS}/{record}?archived=true").status_code == 404
        assert str(record) not in listed_ids(api) + listed_ids(api, archived="true")
    events = deliver(emulator, receiver)[binned:]
    assert [(e["subscriptionType"], e["objectId"], e["changeFlag"]) for e in events] == [
        ("contact.deletion", CONTACT + 4, "DELETED"), ("contact.deletion", CONTACT + 5,
                                                       "DELETED")]
    with pytest.raises(RuntimeError, match=r"400.*already gone"):
        emulator.control.hard_delete("contacts", CONTACT + 4)


# -- restore ------------------------------------------------------------------------------------

def test_restore_when_archived_then_listed_again_last_modified_kept_and_restore_event(
        api, emulator, receiver):
    emulator.control.set_clock(FROZEN - 86_400_000)
    api.patch(f"{CONTACTS}/{CONTACT + 7}", json={"properties": {"firstname": "Back"}})
    before = api.get(f"{CONTACTS}/{CONTACT + 7}").json()["updatedAt"]
    api.delete(f"{CONTACTS}/{CONTACT + 7}")
    emulator.control.set_clock(FROZEN)
    configure(emulator, receiver)
    emulator.control.restore("contacts", CONTACT + 7)
    record = api.get(f"{CONTACTS}/{CONTACT + 7}").json()
    assert record["updatedAt"] == before and record["properties"]["firstname"] == "Back"
    assert str(CONTACT + 7) in listed_ids(api)
    assert str(CONTACT + 7) not in listed_ids(api, archived="true")
    assert search_total(api, CONTACT + 7) == 1
    [event] = deliver(emulator, receiver)
    assert (event["subscriptionType"], event["objectId"], event["changeFlag"],
            event["changeSource"], event["occurredAt"]) == (
        "contact.restore", CONTACT + 7, "RESTORED", "CRM_UI", FROZEN)


def test_restore_when_generated_archived_record_then_live_and_archivable_again(api, emulator):
    [archived] = listed_ids(api, archived="true")  # the generated portal's one archived contact
    modified = api.get(f"{CONTACTS}/{archived}?archived=true").json()["updatedAt"]
    emulator.control.restore("contacts", archived)
    assert api.get(f"{CONTACTS}/{archived}").json()["updatedAt"] == modified
    assert archived in listed_ids(api) and listed_ids(api, archived="true") == []
    assert search_total(api, archived) == 1
    api.delete(f"{CONTACTS}/{archived}")
    assert listed_ids(api, archived="true") == [archived]  # listed once, not twice


def test_restore_when_live_gdpr_deleted_or_merged_away_then_control_error(api, emulator):
    api.post(f"{CONTACTS}/gdpr-delete", json={"objectId": str(CONTACT + 1)})
    api.post(f"{CONTACTS}/merge", json={"primaryObjectId": str(CONTACT + 2),
                                        "objectIdToMerge": str(CONTACT + 3)})
    for record, why in ((CONTACT + 1, "GDPR-deleted"), (CONTACT + 3, "merged away"),
                        (CONTACT + 4, "not archived")):
        with pytest.raises(RuntimeError, match=f"400.*{why}"):
            emulator.control.restore("contacts", record)


def search_total(api, record_id) -> int:
    search = api.post(f"{CONTACTS}/search", json={"filterGroups": [{"filters": [
        {"propertyName": "hs_object_id", "operator": "EQ", "value": str(record_id)}]}]})
    return search.json()["total"]


def listed_ids(api, **params) -> list[str]:
    body = api.get(CONTACTS, params={"limit": 100, **params}).json()
    assert "paging" not in body
    return [r["id"] for r in body["results"]]


# -- filters, duplicates, order ---------------------------------------------------------------

def test_filters_when_subscriptions_and_properties_given_then_only_those_events(
        api, emulator, receiver):
    configure(emulator, receiver, subscriptions=["contact.propertyChange", "deal.deletion"],
              properties=["lastname"])
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "A",
                                                                "lastname": "B"}})
    api.delete(f"{CONTACTS}/{CONTACT + 2}")
    api.delete(f"/crm/v3/objects/deals/{DEAL + 1}")
    api.patch(f"/crm/v3/objects/deals/{DEAL + 2}", json={"properties": {"dealname": "X"}})
    events = deliver(emulator, receiver)
    assert [(e["subscriptionType"], e["objectId"], e.get("propertyName")) for e in events] == [
        ("contact.propertyChange", CONTACT + 1, "lastname"), ("deal.deletion", DEAL + 1, None)]


def test_duplicates_when_rate_one_then_every_event_again_in_a_later_batch(api, emulator,
                                                                          receiver):
    configure(emulator, receiver, duplicate_rate=1.0, subscriptions=["contact.propertyChange"])
    for k in range(1, 4):
        api.patch(f"{CONTACTS}/{CONTACT + k}", json={"properties": {"firstname": f"D{k}"}})
    deliver(emulator, receiver)
    first_seen: dict[int, int] = {}
    for n, request in enumerate(receiver.requests):
        for event in request.events:
            if event["eventId"] in first_seen:
                assert n > first_seen.pop(event["eventId"])  # the copy comes in a later POST
            else:
                first_seen[event["eventId"]] = n
    assert len(receiver.events()) == 6 and not first_seen  # each of the 3 exactly twice


def test_duplicates_when_rate_partial_then_same_share_for_same_seed(api, emulator, receiver):
    def duplicated(round_: int) -> tuple[int, list[int]]:
        configure(emulator, receiver, duplicate_rate=0.5, seed=7)
        receiver.requests.clear()
        api.post(f"{CONTACTS}/batch/update", json={"inputs": [
            {"id": str(CONTACT + k), "properties": {"nps_score": k + round_}}
            for k in range(1, 21)]})
        ids = [e["objectId"] for e in deliver(emulator, receiver)]  # one event per contact
        return len(set(ids)), sorted(i for i in set(ids) if ids.count(i) == 2)

    first, second = duplicated(1000), duplicated(2000)  # beyond any generated score
    assert first == second and 0 < len(first[1]) < first[0]


def test_reorder_when_enabled_then_batches_shuffled_and_every_event_once(api, emulator,
                                                                         receiver):
    configure(emulator, receiver, reorder=True, batch_size=4,
              subscriptions=["contact.creation"])
    api.post(f"{CONTACTS}/batch/create", json={"inputs": [
        {"properties": {"firstname": f"R{k}"}} for k in range(20)]})
    events = deliver(emulator, receiver)
    ids = [e["eventId"] for e in events]
    assert len(receiver.requests) == 5 and all(len(r.events) == 4 for r in receiver.requests)
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 20
    assert ids != sorted(ids)


def test_order_when_not_reordered_then_change_order_in_batches_of_batch_size(api, emulator,
                                                                             receiver):
    configure(emulator, receiver, batch_size=3, subscriptions=["contact.creation"])
    api.post(f"{CONTACTS}/batch/create", json={"inputs": [
        {"properties": {"firstname": f"O{k}"}} for k in range(7)]})
    events = deliver(emulator, receiver)
    assert [len(r.events) for r in receiver.requests] == [3, 3, 1]
    assert [e["eventId"] for e in events] == sorted(e["eventId"] for e in events)


# -- retries, flush, delivery off the request path ------------------------------------------

def test_retry_when_500_then_same_batch_again_attempt_number_up_and_signed_afresh(
        api, emulator, receiver):
    receiver.statuses = [500, 503]
    configure(emulator, receiver, retry_delay_ms=20)
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "Retry"}})
    assert emulator.control.flush_webhooks(timeout_s=10) == {"pending": 0, "delivered": 1,
                                                             "failed": 0}
    sent = [r.events for r in receiver.requests]
    assert [e["attemptNumber"] for [e] in sent] == [0, 1, 2]
    assert len({e["eventId"] for [e] in sent}) == 1
    for request in receiver.requests:
        assert request.headers["X-HubSpot-Signature-v3"] == expected_signature(
            request, receiver.signed_url)
    stamps = [int(r.headers["X-HubSpot-Request-Timestamp"]) for r in receiver.requests]
    assert stamps[1] - stamps[0] >= 20 and stamps[2] - stamps[1] >= 40  # doubling delay
    log = emulator.control.webhook_deliveries()
    assert [(d["attempt"], d["status"]) for d in log] == [(0, 500), (1, 503), (2, 200)]


def test_retry_when_always_500_then_given_up_after_max_attempts(api, emulator, receiver):
    receiver.statuses = [500] * 10
    configure(emulator, receiver, retry_delay_ms=1, max_attempts=3)
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "Never"}})
    counts = emulator.control.flush_webhooks(timeout_s=10)
    assert counts == {"pending": 0, "delivered": 0, "failed": 1}
    assert len(receiver.requests) == 3


def test_retry_when_400_then_not_retried(api, emulator, receiver):
    receiver.statuses = [400]
    configure(emulator, receiver, retry_delay_ms=1)
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "Bad"}})
    assert emulator.control.flush_webhooks(timeout_s=10)["failed"] == 1
    assert len(receiver.requests) == 1
    assert emulator.control.webhook_deliveries() == [
        {"attempt": 0, "status": 400, "events": [1], "error": "HTTP 400"}]


def test_retry_when_connection_refused_then_retried_with_null_status(api, emulator):
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    emulator.control.configure_webhooks(f"http://127.0.0.1:{port}/gone", SECRET,
                                        retry_delay_ms=1, max_attempts=2)
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "Void"}})
    assert emulator.control.flush_webhooks(timeout_s=10)["failed"] == 1
    log = emulator.control.webhook_deliveries()
    assert [(d["attempt"], d["status"]) for d in log] == [(0, None), (1, None)]
    assert all(d["error"] for d in log)


def test_flush_when_delivery_delayed_then_answers_only_once_delivered(api, emulator,
                                                                      receiver):
    configure(emulator, receiver, delay_ms=300)
    started = time.monotonic()
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "Later"}})
    assert receiver.requests == []
    assert emulator.control.flush_webhooks(timeout_s=0.05)["pending"] == 1  # timed out
    assert emulator.control.flush_webhooks(timeout_s=10) == {"pending": 0, "delivered": 1,
                                                             "failed": 0}
    assert len(receiver.requests) == 1 and time.monotonic() - started >= 0.3


def test_api_when_receiver_slow_then_writes_answer_without_waiting(api, emulator, receiver):
    receiver.pause_s = 0.4
    configure(emulator, receiver)
    started = time.monotonic()
    for k in range(1, 4):
        assert api.patch(f"{CONTACTS}/{CONTACT + k}",
                         json={"properties": {"firstname": "Fast"}}).status_code == 200
    assert time.monotonic() - started < 0.3
    assert len(deliver(emulator, receiver)) == 3


# -- configuration ------------------------------------------------------------------------------

def test_config_when_read_back_then_no_secret_and_bad_input_rejected(emulator, receiver):
    state = configure(emulator, receiver, subscriptions=["contact.creation"], batch_size=10)
    assert state["configured"] and state["url"] == receiver.url
    assert state["subscriptions"] == ["contact.creation"] and state["batch_size"] == 10
    assert SECRET not in json.dumps(emulator.control.webhook_state())
    for bad in ({"colour": "red"}, {"subscriptions": ["contact.creaton"]},
                {"batch_size": 101}, {"duplicate_rate": 2}, {"max_attempts": 0}):
        with pytest.raises(RuntimeError, match="400"):
            configure(emulator, receiver, **bad)
    for url in ("ftp://x.example/h", "http://x.example/a b", "https:///nohost"):
        with pytest.raises(RuntimeError, match="400"):
            emulator.control.configure_webhooks(url, SECRET)


def test_disable_when_deleted_then_changes_send_nothing(api, emulator, receiver):
    configure(emulator, receiver)
    assert emulator.control.disable_webhooks() == {"configured": False, "deliveries": []}
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "Quiet"}})
    assert emulator.control.flush_webhooks(timeout_s=1)["delivered"] == 0
    assert receiver.requests == []


def test_reset_when_called_then_webhooks_cleared_or_configured_by_keyword(api, emulator,
                                                                          receiver):
    receiver.statuses = [500] * 5
    configure(emulator, receiver, retry_delay_ms=5_000)
    api.patch(f"{CONTACTS}/{CONTACT + 1}", json={"properties": {"firstname": "Lost"}})
    emulator.control.flush_webhooks(timeout_s=0.3)  # the first POST is answered 500
    emulator.control.reset(contacts=40, seed=1)  # drops the queued retry too
    assert emulator.control.webhook_state()["configured"] is False
    emulator.control.reset(contacts=40, seed=1, webhooks={"url": receiver.url,
                                                          "client_secret": SECRET})
    receiver.requests.clear()
    receiver.statuses.clear()
    api.patch(f"{CONTACTS}/{CONTACT + 2}", json={"properties": {"firstname": "Kept"}})
    [event] = deliver(emulator, receiver)
    assert (event["eventId"], event["objectId"]) == (1, CONTACT + 2)  # numbering restarted


def test_control_when_token_missing_then_webhook_endpoints_401(emulator):
    for method, path in (("POST", "webhooks"), ("GET", "webhooks"), ("DELETE", "webhooks"),
                         ("POST", "webhooks/flush"), ("POST", f"restore/contacts/{CONTACT}")):
        response = httpx.request(method, f"{emulator.url}/_emulator/{path}", json={})
        assert response.status_code == 401


# -- run modes ------------------------------------------------------------------------------------

def test_thread_emulator_when_webhooks_given_to_constructor_then_delivered(receiver):
    # The delivery exists before the server's loop runs: it must start on that loop later.
    with start_emulator(token="t", contacts=5,
                        webhooks={"url": receiver.url, "client_secret": SECRET}) as running:
        httpx.patch(f"{running.url}{CONTACTS}/{CONTACT + 1}", headers={
            "Authorization": "Bearer t"}, json={"properties": {"firstname": "Thread"}})
        [event] = deliver(running, receiver)
    assert event["propertyValue"] == "Thread"


def test_spawned_emulator_when_configured_then_delivered(receiver):
    with spawn_emulator(token="t", contacts=5) as running:
        running.control.configure_webhooks(receiver.url, SECRET)
        httpx.patch(f"{running.url}{CONTACTS}/{CONTACT + 1}", headers={
            "Authorization": "Bearer t"}, json={"properties": {"firstname": "Process"}})
        [event] = deliver(running, receiver)
    assert event["propertyValue"] == "Process"
    assert receiver.requests[0].headers["X-HubSpot-Signature-v3"] == expected_signature(
        receiver.requests[0], receiver.signed_url)
