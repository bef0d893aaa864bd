"""The paths of lists and forms in each family (paths.py): HubSpot documents them dated
2026-03 (2026-09 is a beta), and form submissions only as the v1 form-integrations API."""

import pytest

from ingestion.sync.hubspot.paths import HubSpotPaths


@pytest.mark.parametrize(("version", "lists", "forms"), [
    ("legacy", "/crm/v3/lists", "/marketing/v3/forms"),
    ("2026-03", "/crm/lists/2026-03", "/marketing/forms/2026-03"),
    ("2026-09", "/crm/lists/2026-03", "/marketing/forms/2026-03"),
])
def test_version_when_set_then_lists_forms_and_submissions_paths(version, lists, forms):
    paths = HubSpotPaths(version)
    assert (paths.lists(), paths.forms()) == (lists, forms)
    assert paths.form_submissions("abc") == "/form-integrations/v1/submissions/forms/abc"
