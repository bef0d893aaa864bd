"""The web side as docs/operations.md#deploying-the-web-side runs it: gunicorn (a dependency)
under docs/deploy.env.example, behind a proxy that terminates TLS. It refuses to start without a
secret key, `check --deploy` is clean, and the admin's login works through the proxy."""

from __future__ import annotations

import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from subprocesses import ROOT, clean_environment, current_database_url, run_python

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLE = ROOT / "docs" / "deploy.env.example"
GUNICORN = Path(sys.executable).with_name("gunicorn")
HOST = "mirror.example.com"  # as in the example
PASSWORD = "deploy-test-password"
# What the proxy adds to a request that reached it over TLS.
THROUGH_PROXY = {"Host": HOST, "X-Forwarded-Proto": "https"}


def deploy_environment(**overrides: str) -> dict[str, str]:
    return clean_environment(HUBSPOT_MIRROR_ENV_FILE=str(EXAMPLE),
                             DATABASE_URL=current_database_url(), **overrides)


def test_defaults_when_checked_for_deploy_then_warned_and_example_when_checked_then_clean():
    bare = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING",
                      env=clean_environment())
    assert bare.returncode == 1
    for warning in ("security.W004", "security.W008", "security.W009", "security.W012",
                    "security.W016"):
        assert warning in bare.stderr + bare.stdout
    example = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING",
                         env=deploy_environment(DJANGO_SECRET_KEY=secrets.token_urlsafe(50)))
    assert example.returncode == 0, example.stderr
    assert "System check identified no issues" in example.stdout


def test_no_secret_key_when_gunicorn_started_then_one_line_and_exit_1():
    result = subprocess.run([str(GUNICORN), "config.wsgi", "--bind", "127.0.0.1:0"],
                            cwd=ROOT, env=deploy_environment(), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "DJANGO_SECRET_KEY" in line]
    assert errors == [
        "Configuration error: DJANGO_SECRET_KEY is not set: the web server does not start "
        "without it while DJANGO_DEBUG is off (generate one: python -c \"import secrets; "
        "print(secrets.token_urlsafe(50))\")"]


def test_no_secret_key_when_a_sync_command_runs_then_it_needs_none():
    result = run_python("manage.py", "hubspot_status", env=deploy_environment())
    assert result.returncode == 0, result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(django_user_model):
    """gunicorn under the example, with a secret key; the admin's superuser exists."""
    django_user_model.objects.create_superuser("operator", "ops@example.com", PASSWORD)
    port = free_port()
    server = subprocess.Popen(
        [str(GUNICORN), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=deploy_environment(DJANGO_SECRET_KEY=secrets.token_urlsafe(50)),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, url)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_until_serving(server: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited: {server.stderr.read()}")
        try:
            httpx.get(f"{url}/health/", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail("gunicorn did not answer within 60 s")


def test_example_when_served_by_gunicorn_then_health_answers_and_admin_login_works_via_proxy(
        served):
    health = httpx.get(f"{served}/health/")  # a probe: plain http, any Host
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    plain = httpx.get(f"{served}/admin/login/", headers={"Host": HOST})
    assert (plain.status_code, plain.headers["location"]) == (
        301, f"https://{HOST}/admin/login/")  # reached without TLS: sent to https
    form = httpx.get(f"{served}/admin/login/", headers=THROUGH_PROXY)
    assert form.status_code == 200
    hsts = form.headers["strict-transport-security"]
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert "secure" in form.headers["set-cookie"].lower()
    # The cookie is Secure: a client talking to the proxy over https sends it back.
    cookie = form.headers["set-cookie"].split(";")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    login = httpx.post(
        f"{served}/admin/login/?next=/admin/",
        headers={**THROUGH_PROXY, "Cookie": cookie, "Origin": f"https://{HOST}",
                 "Referer": f"https://{HOST}/admin/login/"},
        data={"username": "operator", "password": PASSWORD, "csrfmiddlewaretoken": token,
              "next": "/admin/"})
    assert (login.status_code, login.headers.get("location")) == (302, "/admin/"), login.text
    assert "sessionid=" in login.headers["set-cookie"]
