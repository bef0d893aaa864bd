"""The table of standard object types (ingestion/object_types.py) and what is built from it
agree with what is on disk and in the README: a command file per type (Django finds commands
only as files), no file for a type the table lacks, the README's command list, the catalog's
maps, the models and the engines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

from ingestion.models import OBJECT_MODELS
from ingestion.object_types import BY_NAME, OBJECT_TYPES
from ingestion.sync.hubspot import catalog
from ingestion.sync.hubspot.engines import registry

pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ROOT / "ingestion" / "management" / "commands"
# The sync commands that are not one standard type's (they are written by hand).
OTHER_SYNC_COMMANDS = {"sync_hubspot_all", "sync_hubspot_associations",
                       "sync_hubspot_custom_objects", "sync_hubspot_forms",
                       "sync_hubspot_lists", "sync_hubspot_owners", "sync_hubspot_pipelines",
                       "sync_hubspot_properties", "sync_hubspot_changes"}
ROW = re.compile(r"^\| `(sync_hubspot_\w+)` \| (.+ → `hubspot_\w+`.*) \|$", re.MULTILINE)


def declaration(name: str) -> str:
    return f'from ..type_commands import record_command\n\nCommand = record_command("{name}")\n'


def test_table_when_compared_with_the_command_files_then_one_declaration_per_type():
    missing = [f"ingestion/management/commands/{e.command}.py" for e in OBJECT_TYPES
               if not (COMMANDS / f"{e.command}.py").exists()]
    assert missing == [], f"no command file for these table entries: {missing}"
    wrong = [e.command for e in OBJECT_TYPES
             if (COMMANDS / f"{e.command}.py").read_text() != declaration(e.name)]
    assert wrong == [], f"not the one-line declaration {declaration('<name>')!r}: {wrong}"


def test_sources_when_compared_with_the_command_files_then_one_declaration_per_source():
    for name, engine in registry.SOURCES_BY_NAME.items():
        path = COMMANDS / f"sync_hubspot_{name}.py"
        assert path.read_text() == (f"from ..type_commands import source_command\n\n"
                                    f'Command = source_command("{name}")\n'), path
        command = load_command_class("ingestion", f"sync_hubspot_{name}")
        assert command.engine_class is engine and command.command_name == path.stem


def test_command_files_when_compared_with_the_table_then_none_without_an_entry():
    files = {path.stem for path in COMMANDS.glob("sync_hubspot_*.py")}
    sources = {f"sync_hubspot_{name}" for name in registry.SOURCES_BY_NAME}
    stray = sorted(files - OTHER_SYNC_COMMANDS - sources - {e.command for e in OBJECT_TYPES})
    assert stray == [], (f"command files with no entry in ingestion/object_types.py: "
                         f"{[f'ingestion/management/commands/{s}.py' for s in stray]}")


def test_type_command_when_loaded_then_runs_the_types_engine_under_its_own_name():
    for entry in OBJECT_TYPES:
        assert get_commands()[entry.command] == "ingestion"
        command = load_command_class("ingestion", entry.command)
        assert command.engine_class is registry.BY_NAME[entry.name]
        assert command.command_name == entry.command
        assert command.help.startswith(f"Mirror HubSpot {entry.name} into the database")


def readme_rows() -> dict[str, str]:
    """The command list's rows of a type mirrored into a table: command -> what it says.
    (Read from README.md and whichever docs/ page may hold the list.)"""
    rows = {}
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        rows.update(ROW.findall(page.read_text()))
    return rows


def linked_types(text: str, previous: tuple[str, ...]) -> tuple[str, ...]:
    """The types a row says the records are linked to ("the same": those of the row above)."""
    if "(+ the same associations)" in text:
        return previous
    found = re.search(r"associations with ([\w, ]+)\)", text)
    return tuple(n.strip().replace(" ", "_") for n in found.group(1).split(",")) if found else ()


def test_readme_command_list_when_compared_with_the_table_then_the_same_types():
    rows = readme_rows()
    sources = {f"sync_hubspot_{name}" for name in registry.SOURCES_BY_NAME}
    listed = {c for c in rows if c not in OTHER_SYNC_COMMANDS}
    assert listed == {e.command for e in OBJECT_TYPES} | sources
    previous: tuple[str, ...] = ()
    for entry in OBJECT_TYPES:
        text = rows[entry.command]
        assert f"→ `{entry.table}`" in text, entry.command
        type_id = re.search(r"\((0-\d+)\) →", text)
        assert type_id is None or type_id.group(1) == entry.type_id, entry.command
        previous = linked_types(text, previous)
        assert sorted(previous) == sorted(entry.associations), entry.command


def test_table_when_read_by_the_catalog_then_its_maps_follow_it():
    assert catalog.OBJECT_TYPE_IDS["contacts"] == "0-1"
    assert catalog.OBJECT_TYPE_NAMES["0-970"] == "projects"
    assert catalog.WEBHOOK_PREFIX_TYPES == {"contact": "contacts", "company": "companies",
                                            "deal": "deals", "ticket": "tickets",
                                            "product": "products", "line_item": "line_items"}
    assert catalog.PIPELINE_OBJECT_TYPES == ("deals", "tickets")
    assert len(set(catalog.OBJECT_TYPE_NAMES)) == len(OBJECT_TYPES)  # type ids are unique


def test_table_when_built_into_models_and_engines_then_each_entry_has_its_own():
    assert [e.object_type for e in registry.RECORD_ENGINES] == [e.name for e in OBJECT_TYPES]
    for entry in OBJECT_TYPES:
        model, engine = OBJECT_MODELS[entry.name], registry.BY_NAME[entry.name]
        assert (model.__name__, model._meta.db_table) == (entry.model_name, entry.table)
        assert engine.__name__ == f"{entry.model_name}SyncEngine" and engine.model is model
        columns = [f.name for f in model._meta.concrete_fields]
        assert columns[-len(entry.all_columns):] == [n for n, _ in entry.all_columns]
        assert {entry.created_property, entry.modified_property} <= set(columns)
    assert BY_NAME["contacts"].modified_property == "lastmodifieddate"
    assert registry.BY_NAME["calls"].created_property == "hs_createdate"
    assert [e.name for e in OBJECT_TYPES if e.mergeable] == ["companies", "contacts"]
