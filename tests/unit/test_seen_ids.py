from ingestion.base.seen import SeenIds


def test_ids_of_every_shape_when_added_then_each_comes_back_once_as_given():
    seen = SeenIds()
    for object_id in ["30", "4", "30", "007", "0", "2-123:456", "99999999999999999999"]:
        seen.add(object_id)
    assert sorted(seen) == sorted(["0", "4", "30", "007", "2-123:456", "99999999999999999999"])
