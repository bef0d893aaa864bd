import random

from ingestion.base import seen as seen_module
from ingestion.base.seen import SeenIds


def test_ids_of_every_shape_when_added_then_come_back_once_as_given():
    seen = SeenIds()
    given = ["30", "4", "30", "007", "0", "2-123:456", "99999999999999999999"]
    firsts = [seen.add(object_id) for object_id in given]
    assert firsts == [True, True, False, True, True, True, True]
    assert sorted(seen) == sorted(set(given))
    assert len(seen) == len(set(given))


def test_ids_in_any_order_when_added_then_each_known_as_read_before(monkeypatch):
    monkeypatch.setattr(seen_module, "MERGE_AT", 64)  # exercise the merge of stragglers
    numbers = list(range(1, 2000))
    random.Random(3).shuffle(numbers)
    seen = SeenIds()
    assert all(seen.add(str(n)) for n in numbers)
    assert not any(seen.add(str(n)) for n in numbers)
    assert "2000" not in seen and "1999" in seen
    assert sorted(int(i) for i in seen) == sorted(numbers) and len(seen) == len(numbers)


def test_pages_when_added_whole_then_same_answers_as_one_by_one():
    seen, one_by_one = SeenIds(), SeenIds()
    pages = [["1", "2", "3"], ["4", "5"], ["5", "6"], ["10", "8"], ["007", "9"], ["2-1:5"],
             ["11", "11"], ["12"]]
    for page in pages:
        expected = {i for i in page if not one_by_one.add(i)}
        assert seen.add_all(page) == expected, page
    assert sorted(seen) == sorted(one_by_one)
