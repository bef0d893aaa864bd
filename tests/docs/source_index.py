"""What the source tree defines, read with `ast` (nothing imported): the names a doc may cite.

`SourceIndex.resolve("writer.BatchWriter.plan")` walks the dotted name from anything named by
its first part (a package, a module, a class, a function, a module-level or class-level
name) down through members: a package's modules, a module's top-level names, a class's
methods and attributes (including `self.x = …` in its methods)."""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE_ROOTS = ("ingestion", "config", "hubspot_emulator")


@dataclass
class Node:
    """A package, module, class or other name, and the names it holds."""

    kind: str
    members: dict[str, list[Node]] = field(default_factory=lambda: defaultdict(list))

    def add(self, name: str, node: Node) -> Node:
        self.members[name].append(node)
        return node


def _assigned_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _assigned_names(element)]
    return []


def _instance_attributes(function: ast.AST) -> set[str]:
    """`self.x` assigned anywhere in a method."""
    return {node.attr for node in ast.walk(function)
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name) and node.value.id == "self"}


class SourceIndex:
    def __init__(self, root: Path = ROOT, code_roots: tuple[str, ...] = CODE_ROOTS):
        self.by_name: dict[str, list[Node]] = defaultdict(list)
        self.strings: set[str] = set()  # string constants: table, task and constraint names
        for top in code_roots:
            self._package(root / top, top)

    def _package(self, directory: Path, name: str) -> Node:
        package = self._named(name, Node("package"))
        for path in sorted(directory.iterdir()):
            if path.is_dir() and (path / "__init__.py").exists():
                package.add(path.name, self._package(path, path.name))
            elif path.suffix == ".py" and path.name != "__init__.py":
                package.add(path.stem, self._module(path))
        if (directory / "__init__.py").exists():
            self._body(ast.parse((directory / "__init__.py").read_text()).body, package)
        return package

    def _module(self, path: Path) -> Node:
        module = self._named(path.stem, Node("module"))
        tree = ast.parse(path.read_text())
        self.strings |= {node.value for node in ast.walk(tree)
                         if isinstance(node, ast.Constant) and isinstance(node.value, str)}
        self._body(tree.body, module)
        return module

    def _named(self, name: str, node: Node) -> Node:
        self.by_name[name].append(node)
        return node

    def _body(self, body: list[ast.stmt], owner: Node) -> None:
        for statement in body:
            if isinstance(statement, ast.ClassDef):
                cls = owner.add(statement.name, self._named(statement.name, Node("class")))
                self._body(statement.body, cls)
            elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                owner.add(statement.name, self._named(statement.name, Node("function")))
                if owner.kind == "class":
                    for attribute in _instance_attributes(statement):
                        owner.add(attribute, self._named(attribute, Node("name")))
            elif isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = statement.targets if isinstance(statement, ast.Assign) else [
                    statement.target]
                for name in (n for t in targets for n in _assigned_names(t)):
                    owner.add(name, self._named(name, Node("name")))
            elif isinstance(statement, ast.ImportFrom | ast.Import):
                for alias in statement.names:  # a module's imports are reachable through it
                    name = alias.asname or alias.name.split(".")[0]
                    owner.add(name, Node("imported"))
            elif isinstance(statement, ast.If | ast.Try | ast.With):
                self._body([s for part in ("body", "orelse", "finalbody")
                            for s in getattr(statement, part, [])], owner)

    def defines(self, name: str) -> bool:
        return name in self.by_name

    def resolve(self, dotted: str) -> bool:
        """Whether some chain of definitions spells `dotted` (`a.b.c`)."""
        first, *rest = dotted.split(".")
        nodes = list(self.by_name.get(first, []))
        for part in rest:
            nodes = [child for node in nodes for child in self._members(node, part)]
            if not nodes:
                return False
        return bool(nodes)

    @staticmethod
    def _members(node: Node, name: str) -> list[Node]:
        """`name` in `node`; for a module also in its classes (`client._decode` is the
        method `_decode` of the module's class, as the architecture page writes it)."""
        found = list(node.members.get(name, []))
        if node.kind == "module":
            found += [child for classes in node.members.values() for cls in classes
                      if cls.kind == "class" for child in cls.members.get(name, [])]
        return found


@cache
def source_index() -> SourceIndex:
    """The index of this checkout's source, built once per test process."""
    return SourceIndex()
