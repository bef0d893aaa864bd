"""docs/settings.md and config/settings.py name the same settings: every variable the settings
module reads from the environment has a row in the doc, and the doc has no row for a variable
nothing reads. Read with `ast`, so a setting cannot be added, renamed or retired without the
doc."""

from __future__ import annotations

import ast
import re

import pytest

from tests.docs.source_index import ROOT

SETTINGS_MODULE = ROOT / "config" / "settings.py"
SETTINGS_DOC = ROOT / "docs" / "settings.md"
# The calls that read a variable, by the name of what they are called on.
READERS = {"env", "reader", "environ"}
VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _called_on(call: ast.Call) -> str | None:
    """`env` for env(…) and env.list(…), `reader` for reader.number(…), `environ` for
    os.environ.get(…)."""
    function = call.func
    if isinstance(function, ast.Name):
        return function.id
    while isinstance(function, ast.Attribute):
        function = function.value
        if isinstance(function, ast.Attribute) and function.attr == "environ":
            return "environ"
        if isinstance(function, ast.Name):
            return function.id
    return None


def variables_read(source: str) -> set[str]:
    """The environment variables a settings module reads: first arguments of env(…),
    reader.<kind>(…) and os.environ.get(…), and names tested with `in os.environ`."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _called_on(node) in READERS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant):
            names.add(node.left.value)
    return {name for name in names if isinstance(name, str) and VARIABLE.match(name)}


def variables_documented(doc: str) -> set[str]:
    """The names in the first cell of every table row of the doc."""
    rows = re.findall(r"^\|([^|\n]+)\|", doc, re.MULTILINE)
    return {name for cell in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cell)}


@pytest.mark.once
def test_settings_doc_when_compared_with_the_settings_module_then_same_settings():
    read = variables_read(SETTINGS_MODULE.read_text())
    documented = variables_documented(SETTINGS_DOC.read_text())
    missing, stale = sorted(read - documented), sorted(documented - read)
    assert not missing, (
        "config/settings.py reads settings docs/settings.md does not describe; add a row for "
        "each to its table, `| `NAME` | default | values, and what it does |`: "
        + ", ".join(missing))
    assert not stale, ("docs/settings.md describes settings config/settings.py no longer "
                       "reads (renamed or removed?); remove or rename their rows: "
                       + ", ".join(stale))


@pytest.mark.once
def test_settings_check_when_a_setting_is_read_or_documented_alone_then_named():
    source = ('import os\nA = env("HUBSPOT_A", default="")\nB = env.list("DJANGO_B")\n'
              'C = reader.number("HUBSPOT_C", 1)\nD = os.environ.get("DJANGO_D", "")\n'
              'E = "HUBSPOT_E" in os.environ\nF = other("NOT_READ")\n')
    assert variables_read(source) == {"HUBSPOT_A", "DJANGO_B", "HUBSPOT_C", "DJANGO_D",
                                      "HUBSPOT_E"}
    doc = ("| setting | default | what |\n|---|---|---|\n| `HUBSPOT_A`, `DJANGO_B` | 1 | "
           "`NOT_A_ROW_NAME` |\n\nProse `HUBSPOT_Z`.\n")
    assert variables_documented(doc) == {"HUBSPOT_A", "DJANGO_B"}
