"""The README stays a front page: the newcomer's two commands exactly as dev.py takes them,
short enough to read at once, and a way to every document in docs/."""

from __future__ import annotations

import re

import pytest

from tests.docs.source_index import ROOT

README = (ROOT / "README.md").read_text()
FRONT_PAGE_MAX_LINES = 200


@pytest.mark.once
def test_readme_when_read_then_the_two_commands_come_first_and_exact():
    section = README.split("## Two commands (fresh clone)", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    assert commands == ["python3 dev.py demo", "python3 dev.py test"]
    tasks = re.search(r"^TASKS = \{(.*)\}$", (ROOT / "dev.py").read_text(), re.MULTILINE)
    assert {"demo", "test"} <= set(re.findall(r"\"(\w+)\":", tasks.group(1)))


@pytest.mark.once
def test_readme_when_read_then_short_and_links_every_doc():
    assert len(README.splitlines()) <= FRONT_PAGE_MAX_LINES
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)\)", README))
    documents = {f"docs/{path.name}" for path in (ROOT / "docs").glob("*.md")}
    assert documents - linked == set(), "docs the README's 'Where to read more' does not list"
