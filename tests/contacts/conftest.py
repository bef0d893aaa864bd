import pytest


@pytest.fixture
def hubspot(emulator, settings):
    """The emulator, with Django settings pointing at it and fast retries for tests."""
    settings.HUBSPOT_API_BASE_URL = emulator.url
    settings.HUBSPOT_ACCESS_TOKEN = emulator.token
    settings.HUBSPOT_RETRY_INITIAL_WAIT = 0.01
    settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND = None  # the emulator has no limit by default
    settings.HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS = 300
    return emulator
