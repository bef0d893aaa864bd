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


@pytest.mark.parametrize("version", ["legacy", "2026-09"])
def test_ids_with_path_characters_when_in_a_path_then_each_one_escaped_segment(version):
    paths = HubSpotPaths(version)
    hostile = "../../crm/v3/owners?after=1#x"
    escaped = "..%2F..%2Fcrm%2Fv3%2Fowners%3Fafter%3D1%23x"
    assert paths.list(hostile) == f"{paths.lists()}/{escaped}"
    assert paths.list_memberships(hostile) == f"{paths.lists()}/{escaped}/memberships"
    assert paths.form_submissions(hostile).endswith(f"/forms/{escaped}")
    for built in (paths.objects(hostile), paths.properties(hostile),
                  paths.pipelines(hostile), paths.batch_read(hostile),
                  paths.associations_batch_read(hostile, hostile),
                  paths.association_labels(hostile, hostile)):
        assert escaped in built and hostile not in built
    assert paths.list("..").endswith("/%2E%2E") and paths.list(".").endswith("/%2E")
    assert paths.list("2-123") == f"{paths.lists()}/2-123"  # plain ids read as before
