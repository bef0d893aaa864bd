"""The receiver, POST /hubspot/webhooks/: signed deliveries stored once per eventId; anything
else refused with nothing stored."""

from __future__ import annotations

import logging

import orjson
import pytest

from hubspot_emulator import PORTAL_ID
from webhooks.signing import PATH, event, now_ms, pending, stored

pytestmark = pytest.mark.django_db


def test_receiver_when_signed_events_posted_twice_then_200_and_each_stored_once(post_events):
    events = [event(11, "contact.creation", 101), event(12, "contact.propertyChange", 101,
                                                        propertyName="email",
                                                        propertyValue="a@b.example")]
    first, again = post_events(events), post_events(events)
    assert (first.status_code, again.status_code) == (200, 200)
    rows = stored()
    assert [(r.event_id, r.subscription_type, r.object_type, r.object_id) for r in rows] == [
        (11, "contact.creation", "contacts", "101"),
        (12, "contact.propertyChange", "contacts", "101")]
    assert rows[1].detail == {"propertyName": "email"}  # never the value: personal data
    assert all(r.applied_at is None and r.attempts == 0 and r.portal_id == PORTAL_ID for r in rows)


def test_receiver_when_the_same_event_id_repeats_in_one_body_then_stored_once(post_events):
    assert post_events([event(5, "deal.creation", 9), event(5, "deal.creation", 9)]).json() \
        == {"stored": 1, "skipped": 0}
    assert len(stored()) == 1


def test_receiver_when_signature_wrong_then_401_and_nothing_stored(post_events):
    assert post_events([event(1, "contact.creation", 1)], key="not-the-secret"
                       ).status_code == 401
    assert post_events([event(1, "contact.creation", 1)], signature="AAAA").status_code == 401
    assert not stored()


def test_receiver_when_signed_for_another_url_then_401(post_events):
    response = post_events([event(1, "contact.creation", 1)],
                           uri="http://testserver/somewhere/else/")
    assert response.status_code == 401 and not stored()


@pytest.mark.parametrize("minutes", [-6, 6])
def test_receiver_when_timestamp_more_than_five_minutes_away_then_401(post_events, minutes):
    stale = str(now_ms() + minutes * 60_000)
    assert post_events([event(1, "contact.creation", 1)], timestamp=stale).status_code == 401
    assert not stored()


def test_receiver_when_headers_missing_then_401(client, secret):
    body = orjson.dumps([event(1, "contact.creation", 1)])
    response = client.post(PATH, data=body, content_type="application/json")
    assert response.status_code == 401 and not stored()


@pytest.mark.parametrize("body", [b'{"eventId": 1}', b"not json", b"", b'"[]"', b"null"])
def test_receiver_when_body_is_not_a_json_array_then_400(post_events, body):
    assert post_events(body).status_code == 400
    assert not stored()


def test_receiver_when_body_is_an_empty_array_then_200(post_events):
    assert post_events([]).json() == {"stored": 0, "skipped": 0}


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_receiver_when_not_post_then_405(client, secret, method):
    assert getattr(client, method)(PATH).status_code == 405


def test_receiver_when_no_secret_configured_then_503_and_says_so(post_events, settings, caplog):
    settings.HUBSPOT_WEBHOOK_SECRET = ""
    with caplog.at_level(logging.ERROR, logger="ingestion.webhooks"):
        response = post_events([event(1, "contact.creation", 1)])
    assert response.status_code == 503 and not stored()
    assert "HUBSPOT_WEBHOOK_SECRET" in caplog.text


def test_receiver_when_some_events_unusable_then_rest_stored_and_skipped_logged_by_id(
        post_events, caplog):
    good = event(1, "contact.creation", 1)
    no_object = {**event(2, "contact.creation", 2), "objectId": None,
                 "propertyValue": "secret@person.example"}
    no_time = {k: v for k, v in event(3, "company.creation", 3).items() if k != "occurredAt"}
    no_kind = {**event(4, "deal.creation", 4), "subscriptionType": ""}
    with caplog.at_level(logging.WARNING, logger="ingestion.webhooks"):
        response = post_events([good, no_object, no_time, no_kind, "junk", 7])
    assert response.status_code == 200 and response.json() == {"stored": 1, "skipped": 5}
    assert [r.event_id for r in pending()] == [1]
    assert "webhook event 2 not stored" in caplog.text and "event 3 not stored" in caplog.text
    assert "secret@person.example" not in caplog.text
    # those with an eventId are recorded, settled (never applied), with the reason only
    recorded = {r.event_id: r for r in stored() if r.event_id != 1}
    assert sorted(recorded) == [2, 3, 4]
    assert all(r.applied_at is not None and r.error.startswith("not stored: ")
               and r.detail == {} for r in recorded.values())
    assert "objectId" in recorded[2].error and "occurredAt" in recorded[3].error
    assert recorded[3].subscription_type == "company.creation"


def test_receiver_when_events_of_each_shape_then_types_ids_and_details_kept(post_events):
    post_events([
        event(1, "object.creation", 501, objectTypeId="0-48"),  # a call
        event(2, "object.propertyChange", 502, objectTypeId="2-3456", propertyName="size",
              propertyValue="XL"),
        event(3, "contact.merge", 900, primaryObjectId=601, mergedObjectIds=[602],
              newObjectId=900, numberOfPropertiesMoved=3),
        {k: v for k, v in event(4, "contact.associationChange", 0).items() if k != "objectId"}
        | {"associationType": "CONTACT_TO_COMPANY", "fromObjectId": 701, "toObjectId": 702,
           "associationRemoved": True, "isPrimaryAssociation": False},
        event(5, "line_item.deletion", 801, changeFlag="DELETED"),
        event(6, "contact.privacyDeletion", 901, changeFlag="PRIVACY_DELETED"),
    ])
    rows = {r.event_id: r for r in stored()}
    assert (rows[1].object_type, rows[2].object_type) == ("calls", "2-3456")
    assert rows[2].detail == {"propertyName": "size"}
    assert rows[3].detail == {"primaryObjectId": 601, "mergedObjectIds": [602],
                              "newObjectId": 900}
    # HubSpot's associationChange events carry no objectId: the from end stands for it.
    assert (rows[4].object_type, rows[4].object_id) == ("contacts", "701")
    assert rows[4].detail == {"associationType": "CONTACT_TO_COMPANY", "fromObjectId": 701,
                              "toObjectId": 702, "associationRemoved": True}
    assert (rows[5].object_type, rows[5].detail) == ("line_items", {"changeFlag": "DELETED"})
    assert rows[6].subscription_type == "contact.privacyDeletion"


def test_receiver_when_behind_a_proxy_then_checks_against_the_registered_url(
        post_events, settings):
    public = "https://crm-sync.example.com/hooks/hubspot/webhooks/?portal=62515%3Aeu"
    settings.HUBSPOT_WEBHOOK_URL = public
    events = [event(1, "contact.creation", 1)]
    assert post_events(events).status_code == 401  # signed for what this process sees
    assert post_events(events, uri=public.replace("%3A", ":")).status_code == 200
    assert len(stored()) == 1


def test_receiver_when_url_reached_has_escapes_then_checks_them_decoded(post_events):
    uri = "http://testserver/hubspot/webhooks/?tag=a:b"
    response = post_events([event(1, "contact.creation", 1)], uri=uri,
                           path=f"{PATH}?tag=a%3Ab")
    assert response.status_code == 200


# -- one bad event never costs the others (HubSpot resends a 5xx delivery until it gives up) --

def test_receiver_when_events_hold_nul_then_200_the_rest_stored_and_the_bad_ones_recorded(
        post_events):
    response = post_events([
        event(1, "contact.creation", 1),
        event(2, "contact.creat\u0000ion", 2),  # what the event is: unusable
        event(3, "contact.propertyChange", 3, propertyName="em\u0000ail"),  # detail: repaired
        event(4, "object.creation", 4, objectTypeId="2-1\u00002"),
        event(5, "contact.privacyDeletion", 5, changeFlag="PRIVACY_\u0000DELETED"),
    ])
    assert response.status_code == 200
    assert response.json() == {"stored": 3, "skipped": 2}
    assert [(r.event_id, r.detail) for r in pending()] == [
        (1, {}), (3, {"propertyName": "email"}), (5, {"changeFlag": "PRIVACY_DELETED"})]
    recorded = {r.event_id: r for r in stored() if r.applied_at is not None}
    assert sorted(recorded) == [2, 4]
    assert recorded[2].subscription_type == "contact.creation"
    assert all("NUL" in r.error and r.error.startswith("not stored: ")
               for r in recorded.values())


def test_receiver_when_an_event_holds_a_lone_surrogate_then_the_delivery_is_not_refused(
        post_events):
    body = orjson.dumps([event(1, "contact.creation", 1),
                         event(2, "contact.propertyChange", 2, propertyName="PNAME"),
                         event(3, "contact.creation", 3)])
    # valid JSON that strict parsers (orjson) refuse for the whole body
    body = body.replace(b"PNAME", b"e\\ud800x").replace(b'"contact.creation","attempt',
                                                         b'"contact.\\udc00","attempt', 1)
    response = post_events(body)
    assert response.status_code == 200 and response.json() == {"stored": 2, "skipped": 1}
    assert [(r.event_id, r.detail) for r in pending()] == [
        (2, {"propertyName": "e\ufffdx"}), (3, {})]
    assert [r.event_id for r in stored() if r.applied_at is not None] == [1]


@pytest.fixture
def refuse_object_id_666(django_db_blocker):
    """The database itself refuses one row's data (a trigger), as it may for reasons no
    check here foresees."""
    from django.db import connection

    if connection.vendor == "postgresql":
        create = ["CREATE FUNCTION refuse_666() RETURNS trigger AS $$ BEGIN IF NEW.object_id ="
                  " '666' THEN RAISE EXCEPTION 'row refused' USING "
                  "ERRCODE = '22000'; END IF; RETURN NEW; END $$ "
                  "LANGUAGE plpgsql",
                  "CREATE TRIGGER refuse_666 BEFORE INSERT ON hubspot_webhook_event FOR EACH "
                  "ROW EXECUTE FUNCTION refuse_666()"]
        drop = ["DROP TRIGGER refuse_666 ON hubspot_webhook_event",
                "DROP FUNCTION refuse_666()"]
    else:
        create = ["CREATE TRIGGER refuse_666 BEFORE INSERT ON hubspot_webhook_event WHEN "
                  "NEW.object_id = '666' BEGIN SELECT RAISE(ABORT, 'row refused'); END"]
        drop = ["DROP TRIGGER refuse_666"]
    with connection.cursor() as cursor:
        for statement in create:
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        for statement in drop:
            cursor.execute(statement)


def test_receiver_when_the_database_refuses_one_event_then_the_others_stored_and_200(
        post_events, refuse_object_id_666, caplog):
    with caplog.at_level(logging.WARNING, logger="ingestion.webhooks"):
        response = post_events([event(1, "contact.creation", 1),
                                event(2, "contact.creation", 666),
                                event(3, "deal.creation", 3)])
    assert response.status_code == 200 and response.json() == {"stored": 2, "skipped": 1}
    assert [r.event_id for r in pending()] == [1, 3]
    [refused] = [r for r in stored() if r.event_id == 2]
    assert refused.applied_at is not None and "row refused" in refused.error
    assert "webhook event 2 not stored" in caplog.text


def test_receiver_when_portal_configured_then_other_portals_events_recorded_never_pending(
        post_events, settings):
    settings.HUBSPOT_PORTAL_ID = PORTAL_ID
    other = PORTAL_ID + 1
    response = post_events([event(1, "contact.privacyDeletion", 7),
                            event(2, "contact.privacyDeletion", 7, portalId=other),
                            {k: v for k, v in event(3, "contact.creation", 7).items()
                             if k != "portalId"}])
    assert response.status_code == 200 and response.json() == {"stored": 3, "skipped": 0}
    assert [r.event_id for r in pending()] == [1]
    settled = {r.event_id: r.error for r in stored() if r.applied_at is not None}
    assert settled == {
        2: f"ignored: portal {other}, not the mirrored portal {PORTAL_ID} (HUBSPOT_PORTAL_ID)",
        3: f"ignored: no portal, not the mirrored portal {PORTAL_ID} (HUBSPOT_PORTAL_ID)"}


def test_receiver_when_the_database_fails_as_a_whole_then_500_for_hubspot_to_resend(
        client, post_events):
    from django.db import connection

    client.raise_request_exception = False
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE hubspot_webhook_event RENAME TO hubspot_webhook_gone")
    try:
        response = post_events([event(1, "contact.creation", 1)])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE hubspot_webhook_gone RENAME TO hubspot_webhook_event")
    assert response.status_code == 500
    assert not stored()
