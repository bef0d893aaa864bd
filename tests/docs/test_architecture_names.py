"""docs/ARCHITECTURE.md names only what exists: every module, class, function, method and
file it cites in backticks (`history.start_run`, `HubSpotBaseSyncEngine._full_read/_census`,
`writer.BatchWriter`, `ops/status.py`) is found in the source tree, so a rename that forgets
the page fails here, naming the dead names."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.docs.source_index import ROOT, SourceIndex, source_index

ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
FILE_SUFFIXES = (".py", ".html", ".md", ".toml", ".png", ".example", ".txt")
IDENTIFIER = re.compile(r"^\w+(\.\w+)*$")
CODE_LIKE = re.compile(r"_|^[A-Z]")  # snake_case, CamelCase, CONSTANTS; not plain words


def repo_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    return listed.stdout.splitlines()


def spans(text: str) -> tuple[list[str], list[str]]:
    """(backticked spans outside fenced blocks, `*.py` names inside fenced blocks)."""
    prose, fenced = [], []
    for n, part in enumerate(re.split(r"^```.*$", text, flags=re.MULTILINE)):
        if n % 2:
            fenced += re.findall(r"[\w/.]+\.py\b", part)
        else:
            prose += re.findall(r"`([^`\n]+)`", part)
    return prose, fenced


def expand(span: str) -> list[str]:
    """The names one span cites: `a.b/c` is `a.b` and `a.c`; `ops/status` is `ops.status`."""
    span = re.split(r"[(\[]", span, maxsplit=1)[0]
    if "/" not in span or span.endswith(FILE_SUFFIXES) or span.endswith("/"):
        return [span]
    head, *others = span.split("/")
    if "." not in head:
        return [span.replace("/", ".")]
    stem = head.rsplit(".", 1)[0]
    return [head] + [f"{stem}.{other}" for other in others]


def dead_names(text: str, index: SourceIndex, files: list[str]) -> list[str]:
    prose, fenced = spans(text)
    dead = []
    for name in [n for span in prose for n in expand(span)] + fenced:
        if not name or re.search(r"[\s<*\"'=…-]", name):
            continue  # flags, placeholders, SQL, sentences: not names of the source
        if name.endswith(FILE_SUFFIXES) or name.endswith("/"):
            path = name.rstrip("/")
            if not any(f == path or f.endswith("/" + path) or f.startswith(path + "/")
                       or f"/{path}/" in f"/{f}" for f in files):
                dead.append(name)
        elif IDENTIFIER.match(name) and "." in name:
            first = name.split(".")[0]
            known_elsewhere = first in index.strings and not index.defines(first)  # a table
            if not index.resolve(name) and not known_elsewhere:
                dead.append(name)
        elif (IDENTIFIER.match(name) and CODE_LIKE.search(name) and not index.defines(name)
              and name not in index.strings):
            dead.append(name)
    return sorted(set(dead))


@pytest.mark.once
def test_architecture_when_read_then_every_cited_name_exists_in_the_source():
    dead = dead_names(ARCHITECTURE.read_text(), source_index(), repo_files())
    assert not dead, ("docs/ARCHITECTURE.md names what the source no longer has (renamed or "
                      "removed?): " + ", ".join(dead))


@pytest.mark.once
def test_name_check_when_a_name_is_gone_then_it_is_reported_and_live_names_are_not():
    text = ("`history.start_run`, `writer.BatchWriter.plan/write`, `ops/status.py`, "
            "`bulk_sql.archive_missing`, `DeletionCheck._check`, `gone_module.py`, "
            "`sync_history.details`, `--full`, `links`, `NoSuchClass`\n"
            "```\n  writer.py   no_such_file.py\n```\n")
    assert dead_names(text, source_index(), repo_files()) == [
        "DeletionCheck._check", "NoSuchClass", "bulk_sql.archive_missing", "gone_module.py",
        "no_such_file.py"]
