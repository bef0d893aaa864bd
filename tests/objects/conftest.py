import pytest
from sync_commands import Run, run_command, run_failing  # noqa: F401 - the tests import them here


@pytest.fixture(autouse=True)
def _few_attempts(few_attempts) -> None:
    """Object-type tests of failures give up after 3 attempts."""
