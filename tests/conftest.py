import pytest

pytest_plugins = ["hubspot_emulator.pytest_plugin"]

# HubSpot's two path families (ingestion/sync/hubspot/paths.py): modules whose behaviour must
# hold on both take `pytestmark = pytest.mark.usefixtures("api_family")`.
API_FAMILIES = ["2026-09", "legacy"]


@pytest.fixture(params=API_FAMILIES)
def api_family(request, settings) -> str:
    settings.HUBSPOT_API_VERSION = request.param
    return request.param
