"""The Celery settings reach Celery itself (a misspelt CELERY_* name is silently ignored), as a
worker started with `celery -A config` reads them."""

from __future__ import annotations

import json

import pytest
from subprocesses import clean_environment, run_python

# Read by fresh processes given no DATABASE_URL: the same whichever database the suite
# uses, so run on the first one only.
pytestmark = pytest.mark.once

SHOW_CONF = """
import json
from config.celery import app
conf = app.conf
print(json.dumps({
    "broker": conf.broker_transport_options, "backend": conf.result_backend_transport_options,
    "prefetch": conf.worker_prefetch_multiplier, "acks_late": conf.task_acks_late,
    "reject_on_worker_lost": conf.task_reject_on_worker_lost}))
"""


@pytest.mark.parametrize(("value", "seconds"), [(None, 12 * 3600), ("86400", 86400)])
def test_visibility_timeout_when_app_configured_then_broker_and_backend_use_it(value, seconds):
    env = clean_environment(**({"CELERY_VISIBILITY_TIMEOUT": value} if value else {}))
    result = run_python("-c", SHOW_CONF, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "broker": {"visibility_timeout": seconds}, "backend": {"visibility_timeout": seconds},
        "prefetch": 1, "acks_late": True, "reject_on_worker_lost": False}
