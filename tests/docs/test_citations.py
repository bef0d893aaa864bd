"""Every document a comment or doc cites is in the repository: a `*.md` path (with a
`#section` anchor, that heading exists there), no section number without its document, and
none of the documents that lived outside the repository. A fresh clone can follow every
citation."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest

from tests.docs.source_index import ROOT

SCANNED = (".py", ".md", ".toml", ".txt")
SKIPPED_DIRS = {".venv", "var", ".git", "build", "__pycache__", ".pytest_cache", ".ruff_cache",
                "node_modules", ".venv-dbt", "dbt_packages"}  # the last two: dbt_hubspot check
# A path ending in .md, then optional anchors: `docs/hubspot-api.md#search, #paging`.
CITATION = re.compile(r"(?<![\w./:-])((?:[\w-][\w.-]*/)*[\w-][\w.-]*\.md)\b"
                      r"((?:#[\w-]+)(?:, #[\w-]+)*)?")
SECTION_SIGN = re.compile(r"§\s*\d")
# Pages whose bare `#section` references (in their tables) name sections of another document.
BARE_SECTIONS_OF = {"hubspot_emulator/BEHAVIOR.md": "docs/hubspot-api.md"}
BARE_SECTION = re.compile(r"(?<=[\s(])#([a-z][a-z0-9-]*)")
# The documents the code cited before they were written into docs/ (names built here so that
# this file does not cite them itself).
OUTSIDE = re.compile("|".join(["API-" + "FACTS", "API-" + "DATED", "API-" + "MARKETING",
                               "DESIGN" + r"\.md", "/work/" + "shared", "shared/" + "hubspot"]))


@cache
def scanned_files(root: Path = ROOT) -> list[Path]:
    found = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = [d for d in subdirectories
                             if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
        found += [Path(directory) / name for name in names if name.endswith(SCANNED)]
    return sorted(found)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def anchors_of(document: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", document.read_text(), flags=re.MULTILINE | re.DOTALL)
    return {slug(heading) for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def find_document(cited: str, citing: Path, root: Path) -> Path | None:
    """The file a citation names: beside the citing file, from the root, or in docs/; a bare
    name (`BEHAVIOR.md`) may also be the one file of that name anywhere in the tree."""
    for base in (citing.parent, root, root / "docs"):
        if (base / cited).is_file():
            return base / cited
    if "/" not in cited:
        same_name = [p for p in scanned_files(root) if p.name == cited]
        if len(same_name) == 1:
            return same_name[0]
    return None


def broken_citations(path: Path, root: Path = ROOT) -> list[str]:
    text = path.read_text()
    where = path.relative_to(root)
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        if OUTSIDE.search(line):
            problems.append(f"{where}:{number}: cites a document outside the repository: "
                            f"{OUTSIDE.search(line).group(0)}")
        if SECTION_SIGN.search(line):
            problems.append(f"{where}:{number}: a section number with no document; cite "
                            "docs/<doc>.md#<heading> instead")
        for match in CITATION.finditer(line):
            token = line[line.rfind(" ", 0, match.start()) + 1:match.end()]
            if "://" in token:
                continue  # part of a URL: not ours to check
            document = find_document(match.group(1), path, root)
            if document is None:
                problems.append(f"{where}:{number}: {match.group(1)} is not in the repository")
                continue
            for anchor in re.findall(r"#([\w-]+)", match.group(2) or ""):
                if anchor not in anchors_of(document):
                    problems.append(f"{where}:{number}: {match.group(1)} has no section "
                                    f"#{anchor}")
        if str(where) in BARE_SECTIONS_OF:
            document = root / BARE_SECTIONS_OF[str(where)]
            problems += [f"{where}:{number}: {document.relative_to(root)} has no section "
                         f"#{anchor}" for anchor in BARE_SECTION.findall(line)
                         if anchor not in anchors_of(document)]
        if path.suffix == ".md":  # links within the page: [text](#heading)
            problems += [f"{where}:{number}: this page has no section #{anchor}"
                         for anchor in re.findall(r"\]\(#([\w-]+)\)", line)
                         if anchor not in anchors_of(path)]
    return problems


@pytest.mark.once
def test_repository_when_scanned_then_every_cited_document_and_section_exists():
    this = Path(__file__).resolve()
    problems = [problem for path in scanned_files() if path.resolve() != this
                for problem in broken_citations(path)]
    assert not problems, "Citations a fresh clone cannot follow:\n" + "\n".join(problems)


@pytest.mark.once
def test_citation_check_when_a_document_or_section_is_missing_then_reported(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "api.md").write_text("# API\n\n## Search\n\n```\n## not a heading\n```\n"
                                              "[up](#api), [gone](#paging)\n")
    code = tmp_path / "module.py"
    code.write_text("# (docs/api.md#search) fine; (docs/api.md#search, #paging) not\n"
                    "# (docs/gone.md) gone; (API-" + "FACTS §3) outside; (§2) bare\n"
                    "# https://example.com/README.md is a URL; (docs/api.md#not-a-heading)\n")
    assert broken_citations(code, tmp_path) == [
        "module.py:1: docs/api.md has no section #paging",
        "module.py:2: cites a document outside the repository: API-" + "FACTS",
        "module.py:2: a section number with no document; cite docs/<doc>.md#<heading> instead",
        "module.py:2: docs/gone.md is not in the repository",
        "module.py:3: docs/api.md has no section #not-a-heading",
    ]
    assert broken_citations(tmp_path / "docs" / "api.md", tmp_path) == [
        "docs/api.md:8: this page has no section #paging"]
