"""Hostile and malformed answers a sync client must survive (injected faults, records orjson
cannot emit) and the emulator's own auth: tokens from the environment, the control token."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import orjson
import pytest

from hubspot_emulator.testing import spawn_emulator, start_emulator

from .conftest import CONTACT

LIST = "/crm/v3/objects/contacts"
SEARCH = f"{LIST}/search"
BATCH_READ = f"{LIST}/batch/read"
FIRST = str(CONTACT + 1)
# One record as raw JSON text with a lone UTF-16 surrogate escape: valid to the stdlib, not
# to orjson (or any strict UTF-8 decoder of the unescaped text).
SURROGATE_RECORD = ('{"id":"%s","properties":{"email":"a\\ud800b"},'
                    '"createdAt":"2025-01-01T00:00:00.000Z",'
                    '"updatedAt":"2025-01-01T00:00:00.000Z","archived":false}')


def patch_firstname(api, value: str) -> httpx.Response:
    return api.patch(f"{LIST}/{FIRST}", json={"properties": {"firstname": value}})


def firstname(api) -> str:
    return api.get(f"{LIST}/{FIRST}").json()["properties"]["firstname"]


# -- answers instead of the handler -------------------------------------------------------------

def test_empty_object_fault_when_listing_then_200_with_empty_json_object(api, emulator):
    emulator.control.set_faults(script=[{"kind": "empty_object"}])
    response = api.get(LIST)
    assert response.status_code == 200 and response.json() == {}
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"


def test_no_content_fault_when_listing_then_204_without_a_body(api, emulator):
    emulator.control.set_faults(script=[{"kind": "no_content"}])
    response = api.get(LIST)
    assert response.status_code == 204 and response.content == b""
    assert api.get(LIST).status_code == 200  # one step: the next answer is the real one


@pytest.mark.parametrize("shape", [
    {"results": "x"},
    {"results": [1, "a", None]},
    {"results": [], "paging": "x"},
    {"results": [{"id": FIRST, "properties": {}}], "paging": {"next": {"after": ""}}},
    {"total": "many", "results": []},
    None,
])
def test_body_fault_when_scripted_then_200_with_exactly_that_body(api, emulator, shape):
    emulator.control.set_faults(script=[{"kind": "body", "body": shape}])
    response = api.get(LIST)
    assert response.status_code == 200 and response.json() == shape
    assert api.get(LIST).json()["results"]  # one step only


def test_body_fault_when_rated_then_top_level_body_served_on_matching_paths_only(api,
                                                                                emulator):
    emulator.control.set_faults(rate=1.0, kinds=["body"], body={"results": "x"},
                                match={"path_prefix": SEARCH})
    assert api.post(SEARCH, json={}).json() == {"results": "x"}
    assert api.get(LIST).status_code == 200 and api.get(LIST).json()["results"]


def test_body_fault_when_no_body_given_then_control_rejects_it(emulator):
    with pytest.raises(RuntimeError, match="400"):
        emulator.control.set_faults(script=[{"kind": "body"}])
    with pytest.raises(RuntimeError, match="400"):
        emulator.control.set_faults(rate=1.0, kinds=["body"])


def test_retry_after_fault_when_scripted_then_429_ten_secondly_with_its_retry_after(api,
                                                                                  emulator):
    emulator.control.set_faults(script=[{"kind": "retry_after", "seconds": 86400}])
    response = api.post(SEARCH, json={})  # the same body on search: it is the step's answer
    assert response.status_code == 429 and response.headers["Retry-After"] == "86400"
    body = response.json()
    assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["errorType"] == "RATE_LIMIT"
    assert body["correlationId"] == response.headers["X-HubSpot-Correlation-Id"]


def test_echo_auth_fault_when_scripted_then_error_message_carries_the_bearer_token(api,
                                                                                 emulator):
    emulator.control.set_faults(script=[{"kind": "echo_auth"}, {"kind": "echo_auth",
                                                                 "status": 502}])
    first, second = api.get(LIST), api.get(LIST)
    assert first.status_code == 500 and second.status_code == 502
    assert first.json()["message"] == ("internal error for request with Authorization: "
                                       f"Bearer {emulator.token}")
    assert first.json()["status"] == "error"


def test_echo_auth_fault_when_rated_with_status_then_every_match_answers_that_status(
        api, emulator):
    emulator.control.set_faults(rate=1.0, kinds=["echo_auth"], status=503)
    response = api.get(LIST)
    assert response.status_code == 503 and emulator.token in response.json()["message"]


@pytest.mark.parametrize("step", [{"kind": "empty_object"}, {"kind": "body", "body": {}},
                                  {"kind": "retry_after", "seconds": 5},
                                  {"kind": "echo_auth"}])
def test_hostile_fault_when_on_a_write_then_the_write_does_not_happen(api, emulator, step):
    before = firstname(api)
    emulator.control.set_faults(script=[step])
    patch_firstname(api, "Faulted")
    assert firstname(api) == before != "Faulted"


# -- answers from the handler, altered --------------------------------------------------------

def test_repeat_cursor_fault_when_rated_on_list_then_page_two_repeats_its_own_cursor(api,
                                                                                   emulator):
    emulator.control.set_faults(rate=1.0, kinds=["repeat_cursor"], match={"path_prefix": LIST})
    first = api.get(LIST, params={"limit": 5}).json()  # no `after` sent: unchanged
    after = first["paging"]["next"]["after"]
    assert after == str(CONTACT + 6)
    for _ in range(3):
        page = api.get(LIST, params={"limit": 5, "after": after}).json()
        assert page["results"][0]["id"] == after
        assert page["paging"]["next"]["after"] == after
        assert page["paging"]["next"]["link"].endswith(f"?limit=5&after={after}")


def test_repeat_cursor_fault_when_searching_with_after_then_next_after_is_the_sent_one(
        api, emulator):
    emulator.control.set_faults(script=[{"kind": "repeat_cursor"}] * 2)
    assert api.post(SEARCH, json={"limit": 5}).json()["paging"]["next"]["after"] == "5"
    assert api.post(SEARCH, json={"limit": 5, "after": "10"}).json()["paging"] == {
        "next": {"after": "10"}}
    assert api.post(SEARCH, json={"limit": 5, "after": "10"}).json()["paging"] == {
        "next": {"after": "15"}}  # script used up


def test_ignore_filter_fault_when_searching_then_answer_as_without_filter_groups(api,
                                                                               emulator):
    email = api.get(f"{LIST}/{FIRST}").json()["properties"]["email"]
    filtered = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ",
                                               "value": email}]}],
                "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}],
                "limit": 3, "after": "2", "properties": ["email"]}
    assert api.post(SEARCH, json=filtered).json()["total"] == 1
    emulator.control.set_faults(script=[{"kind": "ignore_filter"}])
    ignored = api.post(SEARCH, json=filtered).json()
    unfiltered = api.post(SEARCH, json={k: v for k, v in filtered.items()
                                        if k != "filterGroups"}).json()
    assert ignored == unfiltered and ignored["total"] == 39
    assert api.post(SEARCH, json=filtered).json()["total"] == 1  # one step only


# -- records orjson cannot emit ------------------------------------------------------------------

def test_raw_json_record_when_set_then_spliced_verbatim_into_list_search_and_batch_read(
        api, emulator):
    email = api.get(f"{LIST}/{FIRST}").json()["properties"]["email"]
    text = SURROGATE_RECORD % FIRST
    emulator.control.put_raw_json("contacts", FIRST, text)
    by_real_email = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ",
                                                    "value": email}]}]}
    pages = [api.get(LIST, params={"limit": 5}), api.post(SEARCH, json=by_real_email),
             api.post(BATCH_READ, json={"inputs": [{"id": FIRST}]})]
    for page in pages:
        assert page.status_code == 200 and text.encode() in page.content
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(page.content)
        assert json.loads(page.content)["results"][0]["properties"]["email"] == "a\ud800b"
    assert json.loads(pages[1].content)["total"] == 1  # found by its real properties


def test_raw_json_record_when_set_to_none_then_real_record_served_again(api, emulator):
    real = api.get(LIST, params={"limit": 5}).json()
    emulator.control.put_raw_json("contacts", FIRST, SURROGATE_RECORD % FIRST)
    emulator.control.put_raw_json("contacts", FIRST, None)
    assert api.get(LIST, params={"limit": 5}).json() == real


def test_raw_json_and_raw_record_when_both_used_then_the_latest_override_wins(api, emulator):
    emulator.control.put_raw_json("contacts", FIRST, SURROGATE_RECORD % FIRST)
    emulator.control.put_raw("contacts", FIRST, {"id": FIRST, "properties": None})
    for page in (api.get(LIST, params={"limit": 5}).json(),
                 api.post(SEARCH, json={"limit": 5}).json(),
                 api.post(BATCH_READ, json={"inputs": [{"id": FIRST}]}).json()):
        assert page["results"][0] == {"id": FIRST, "properties": None}


def test_raw_json_text_when_not_json_then_control_rejects_it(emulator):
    with pytest.raises(RuntimeError, match="400"):
        emulator.control.put_raw_json("contacts", FIRST, '{"id": "1", ')


def test_repeat_cursor_fault_when_page_holds_raw_json_record_then_still_rewritten(api,
                                                                                emulator):
    second = str(CONTACT + 2)
    text = SURROGATE_RECORD % second
    emulator.control.put_raw_json("contacts", second, text)
    emulator.control.set_faults(script=[{"kind": "repeat_cursor"}])
    page = api.get(LIST, params={"limit": 5, "after": second})
    body = json.loads(page.content)
    assert body["paging"]["next"]["after"] == second
    assert body["results"][0]["properties"]["email"] == "a\ud800b"


# -- auth --------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_control_endpoint_when_token_missing_or_wrong_then_401_hubspot_body(emulator,
                                                                           headers):
    response = httpx.post(f"{emulator.url}/_emulator/reset", json={"contacts": 1},
                          headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["category"] == "INVALID_AUTHENTICATION" and body["status"] == "error"
    assert body["correlationId"] == response.headers["X-HubSpot-Correlation-Id"]
    assert emulator.control.health()["counts"]["contacts"] == 40  # the reset did not happen


def test_control_client_when_no_token_then_only_health_works(emulator):
    from hubspot_emulator.control import EmulatorControl

    anonymous = EmulatorControl(emulator.url)
    try:
        assert anonymous.health()["status"] == "ok"
        with pytest.raises(RuntimeError, match="401"):
            anonymous.stats()
    finally:
        anonymous.close()


def test_auth_header_when_not_ascii_then_401_not_500(emulator):
    headers = {"Authorization": "Bearer tést".encode()}
    for path in (LIST, "/_emulator/stats"):
        assert httpx.get(f"{emulator.url}{path}", headers=headers).status_code == 401


def test_separate_control_token_when_set_then_each_token_opens_only_its_surface():
    with start_emulator(token="api-t", control_token="ctl-t", contacts=5) as running:
        assert running.control.stats()["requests"] == 0
        api_headers = {"Authorization": "Bearer api-t"}
        ctl_headers = {"Authorization": "Bearer ctl-t"}
        assert httpx.get(f"{running.url}/_emulator/stats", headers=api_headers).status_code == 401
        assert httpx.get(f"{running.url}{LIST}", headers=ctl_headers).status_code == 401
        assert httpx.get(f"{running.url}{LIST}", headers=api_headers).status_code == 200


def test_spawned_emulator_when_started_then_tokens_not_in_argv_and_stale_env_ignored(
        monkeypatch):
    monkeypatch.setenv("HUBSPOT_EMULATOR_CONTROL_TOKEN", "stale-from-the-shell")
    with spawn_emulator(token="pat-secret", contacts=5, control_token=None) as running:
        assert not any("secret" in arg for arg in running.process.args)
        assert running.control.stats()["requests"] == 0  # the stale control token was dropped
        response = httpx.get(f"{running.url}{LIST}", headers={"Authorization":
                                                              "Bearer pat-secret"})
        assert response.status_code == 200


def test_cli_when_tokens_in_environment_then_serves_with_them():
    with spawn_emulator(token="env-api", contacts=5, control_token="env-ctl") as running:
        assert not any("env-" in arg for arg in running.process.args)
        assert running.control.health()["counts"]["contacts"] == 5
        assert running.control.stats()["requests"] == 0
        assert httpx.get(f"{running.url}/_emulator/stats",
                         headers={"Authorization": "Bearer env-api"}).status_code == 401


def test_cli_when_neither_flag_nor_environment_token_then_usage_error(monkeypatch):
    monkeypatch.delenv("HUBSPOT_EMULATOR_TOKEN", raising=False)
    result = subprocess.run([sys.executable, "-m", "hubspot_emulator", "--port", "0"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "--token" in result.stderr and "HUBSPOT_EMULATOR_TOKEN" in result.stderr
