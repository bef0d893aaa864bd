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


def test_two_ended_pages_when_added_then_repeats_found_where_the_ends_cross():
    # The list end reads upwards from the bottom, the search end downwards from the top;
    # where they cross, one page of each holds ids the other read.
    seen, reference = SeenIds(), set()
    up = [[str(n) for n in range(start, start + 100)] for start in range(1000, 1500, 100)]
    down = [[str(n) for n in range(top, top - 200, -1)] for top in range(2999, 1399, -200)]
    for page in [p for pair in zip(up, down, strict=False) for p in pair] + down[len(up):]:
        expected = {i for i in page if i in reference}
        reference.update(page)
        assert seen.add_all(page) == expected, page[:2]
    assert sorted(seen, key=int) == sorted(reference, key=int) and len(seen) == len(reference)
    assert all(i in seen for i in reference) and "999" not in seen and "3000" not in seen


def test_pages_in_any_order_when_added_then_same_answers_as_a_set():
    rng = random.Random(7)
    for _ in range(30):
        seen, reference = SeenIds(), set()
        for _ in range(rng.randint(1, 12)):
            start, size = rng.randint(0, 400), rng.randint(1, 40)
            page = [str(n) for n in range(start, start + size)]
            order = rng.choice(["up", "down", "shuffled"])
            if order == "down":
                page.reverse()
            elif order == "shuffled":
                rng.shuffle(page)
            expected = {i for i in page if i in reference}
            reference.update(page)
            assert seen.add_all(page) == expected
        assert sorted(seen, key=int) == sorted(reference, key=int)
        assert all(str(n) in seen for n in range(450)) == (len(reference) == 450)
        assert {str(n) for n in range(450) if str(n) in seen} == reference
