"""Who may import whom, read from the source with `ast` (nothing is imported): the emulator's
modules form no import circle, and the product (`ingestion/`, `config/`) imports nothing from
the emulator, which is a development tool that the product's wheel leaves out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.once  # reads files only: no database


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (an import inside a function counts: it
    closes a circle as surely as one at the top). `from pkg import name` counts as
    `pkg.name`, which names the submodule when there is one."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_graph(package: str) -> dict[str, set[str]]:
    """Module → the modules of the same package it imports."""
    files = {module_name(path): path for path in (ROOT / package).rglob("*.py")}
    return {name: {m for m in imported_modules(path) if m in files and m != name}
            for name, path in files.items()}


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as `[a, b, ..., a]`, or None (depth-first, three colours)."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node):], node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph[node]):
            circle = visit(target)
            if circle:
                return circle
        path.pop()
        done.add(node)
        return None

    return next((c for c in map(visit, sorted(graph)) if c), None)


def test_emulator_modules_when_imports_read_then_no_module_imports_itself_through_others():
    circle = find_circle(import_graph("hubspot_emulator"))
    assert circle is None, "import circle in the emulator: " + " -> ".join(circle)


def test_circle_finder_when_modules_import_in_a_ring_then_ring_named():
    ring = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_circle(ring) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("package", ["ingestion", "config"])
def test_product_package_when_imports_read_then_nothing_from_the_emulator(package):
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / package).rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] == "hubspot_emulator")
    assert offenders == []
