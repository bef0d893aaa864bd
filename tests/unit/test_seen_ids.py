from ingestion.base.seen import SeenIds


def test_ids_of_every_shape_when_added_then_come_back_as_given():
    seen = SeenIds()
    given = ["30", "4", "30", "007", "0", "2-123:456", "99999999999999999999"]
    for object_id in given:
        seen.add(object_id)
    assert sorted(seen) == sorted(given[:2] + given[2:])  # duplicates included
    assert set(seen) == set(given)
