"""A bad setting stops manage.py and the celery command at start-up with one line that names
the variable, exit status 1 and no traceback; good values, from the environment or a .env
file, reach the settings."""

from __future__ import annotations

import pytest
from subprocesses import clean_environment, current_database_url, run_python

BAD_VALUES = [
    ("HUBSPOT_TIMEOUT", "abc", "HUBSPOT_TIMEOUT must be a number, not 'abc'"),
    ("HUBSPOT_TIMEOUT", "0", "HUBSPOT_TIMEOUT must be greater than 0, not '0'"),
    ("HUBSPOT_TIMEOUT", "nan", "HUBSPOT_TIMEOUT must be a finite number, not 'nan'"),
    ("HUBSPOT_MAX_ATTEMPTS", "x", "HUBSPOT_MAX_ATTEMPTS must be a whole number, not 'x'"),
    ("HUBSPOT_MAX_ATTEMPTS", "0", "HUBSPOT_MAX_ATTEMPTS must be at least 1, not '0'"),
    ("HUBSPOT_REQUESTS_PER_10S", "1.5",
     "HUBSPOT_REQUESTS_PER_10S must be a whole number, not '1.5'"),
    ("HUBSPOT_RETRY_INITIAL_WAIT", "-1",
     "HUBSPOT_RETRY_INITIAL_WAIT must be at least 0, not '-1'"),
    ("HUBSPOT_API_BASE_URL", "api.hubapi.com",
     "HUBSPOT_API_BASE_URL must be an http:// or https:// URL with a host, "
     "not 'api.hubapi.com'"),
    ("HUBSPOT_API_BASE_URL", "https://",
     "HUBSPOT_API_BASE_URL must be an http:// or https:// URL with a host, not 'https://'"),
    ("DATABASE_URL", "nonsense://",
     "DATABASE_URL must be a sqlite:/// or postgres:// URL, not a nonsense:// URL"),
    ("CELERY_VISIBILITY_TIMEOUT", "-5", "CELERY_VISIBILITY_TIMEOUT must be at least 1, not '-5'"),
]


# Settings read at start-up, before any database is opened (these processes are given no
# DATABASE_URL): the same on either database of the suite, so run on the first one only.
START_UP = pytest.mark.once


def assert_one_line_error(result, expected: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [f"Configuration error: {expected}"]
    assert result.stdout == ""


@START_UP
@pytest.mark.parametrize(("name", "value", "expected"), BAD_VALUES,
                         ids=[f"{n}={v}" for n, v, _ in BAD_VALUES])
def test_bad_value_when_sync_command_starts_then_one_line_naming_it_and_exit_1(
        name, value, expected):
    result = run_python("manage.py", "sync_hubspot_contacts", "--full",
                        env=clean_environment(**{name: value}))
    assert_one_line_error(result, expected)


@START_UP
@pytest.mark.parametrize("command", [["check"], ["migrate"], ["help"], [],
                                     ["sync_hubspot_all", "--dry-run"]])
def test_bad_value_when_any_manage_command_runs_then_same_one_line(command):
    result = run_python("manage.py", *command, env=clean_environment(HUBSPOT_TIMEOUT="abc"))
    assert_one_line_error(result, "HUBSPOT_TIMEOUT must be a number, not 'abc'")


@START_UP
def test_several_bad_values_when_started_then_one_line_names_each():
    result = run_python("manage.py", "check", env=clean_environment(
        HUBSPOT_TIMEOUT="abc", HUBSPOT_MAX_ATTEMPTS="x", DATABASE_URL="nonsense://"))
    assert_one_line_error(result, "DATABASE_URL must be a sqlite:/// or postgres:// URL, not a "
                                  "nonsense:// URL; HUBSPOT_MAX_ATTEMPTS must be a whole number, "
                                  "not 'x'; HUBSPOT_TIMEOUT must be a number, not 'abc'")


@START_UP
def test_database_url_with_password_but_no_database_when_started_then_password_not_shown():
    result = run_python("manage.py", "check",
                        env=clean_environment(DATABASE_URL="postgres://admin:s3cret@db.example"))
    assert_one_line_error(result, "DATABASE_URL names no database "
                                  "(e.g. postgres://user@host/dbname)")
    assert "s3cret" not in result.stderr


@START_UP
def test_bad_value_in_env_file_when_started_then_named_like_an_environment_value(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("HUBSPOT_MAX_ATTEMPTS=many\n")
    result = run_python("manage.py", "check",
                        env=clean_environment(HUBSPOT_MIRROR_ENV_FILE=str(env_file)))
    assert_one_line_error(result, "HUBSPOT_MAX_ATTEMPTS must be a whole number, not 'many'")


@START_UP
def test_env_file_and_environment_when_both_set_then_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("HUBSPOT_TIMEOUT=abc\nHUBSPOT_MAX_ATTEMPTS=3\n")
    show = "from django.conf import settings as s; print(s.HUBSPOT_TIMEOUT, s.HUBSPOT_MAX_ATTEMPTS)"
    result = run_python("manage.py", "shell", "--no-imports", "-c", show, env=clean_environment(
        HUBSPOT_MIRROR_ENV_FILE=str(env_file), HUBSPOT_TIMEOUT="7.5"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["7.5", "3"]  # the environment's timeout, the file's attempts


@START_UP
def test_env_file_setting_when_file_missing_then_one_line_naming_it(tmp_path):
    missing = tmp_path / "nowhere.env"
    result = run_python("manage.py", "check",
                        env=clean_environment(HUBSPOT_MIRROR_ENV_FILE=str(missing)))
    assert_one_line_error(result, f"HUBSPOT_MIRROR_ENV_FILE names no file: '{missing}'")


@START_UP
def test_empty_values_when_started_then_defaults_apply():
    show = "from django.conf import settings as s; print(s.HUBSPOT_TIMEOUT, s.HUBSPOT_MAX_ATTEMPTS)"
    result = run_python("manage.py", "shell", "--no-imports", "-c", show, env=clean_environment(
        HUBSPOT_TIMEOUT="", HUBSPOT_MAX_ATTEMPTS=" ", HUBSPOT_REQUESTS_PER_10S=""))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["30.0", "8"]


@START_UP
@pytest.mark.parametrize("command", [["worker", "--pool", "solo"], ["beat"]])
def test_bad_value_when_celery_command_starts_then_same_one_line_and_exit_1(command):
    """Fails before connecting to any broker: no Redis needed."""
    result = run_python("-m", "celery", "-A", "config", *command,
                        env=clean_environment(HUBSPOT_MAX_ATTEMPTS="x"))
    assert_one_line_error(result, "HUBSPOT_MAX_ATTEMPTS must be a whole number, not 'x'")


@pytest.mark.django_db(transaction=True)
def test_valid_non_default_values_when_sync_runs_then_it_succeeds(hubspot):
    result = run_python("manage.py", "sync_hubspot_contacts", "--full", env=clean_environment(
        DATABASE_URL=current_database_url(), HUBSPOT_API_BASE_URL=hubspot.url + "/",
        HUBSPOT_ACCESS_TOKEN=hubspot.token, HUBSPOT_TIMEOUT="12.5", HUBSPOT_MAX_ATTEMPTS="1",
        HUBSPOT_REQUESTS_PER_10S="", HUBSPOT_SEARCH_REQUESTS_PER_SECOND="0"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("contacts: fetched=40 ")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("command", ["sync_hubspot_contacts", "sync_hubspot_all",
                                     "verify_hubspot", "apply_hubspot_events"])
def test_no_credentials_when_a_command_runs_then_worded_as_a_bad_setting(command):
    """Met at run time rather than at start-up, but the same kind of problem: same prefix."""
    result = run_python("manage.py", command,
                        env=clean_environment(DATABASE_URL=current_database_url()))
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Configuration error: no HubSpot credentials")
    assert "HUBSPOT_ACCESS_TOKEN" in lines[0] and result.stdout == ""
