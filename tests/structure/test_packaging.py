"""What the product's wheel holds: the product (config, ingestion), not the development tools
(the emulator, its own distribution in hubspot_emulator/, and the demo in devtools/)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.once  # builds and reads files: no database
NOT_SOURCES = shutil.ignore_patterns(".venv", ".git", "var", "build", "*.egg-info",
                                     "__pycache__", ".*_cache", "node_modules")


def build_product_wheel(tmp_path: Path) -> list[str]:
    """The product's wheel, built from a copy of the checkout (the build writes beside its
    sources), as the names of the files it holds."""
    source = tmp_path / "checkout"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "dist"), str(source)], capture_output=True, text=True,
        timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    [wheel] = (tmp_path / "dist").glob("hubspot_sql_mirror-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_product_wheel_when_built_then_holds_the_product_and_no_development_tool(tmp_path):
    files = build_product_wheel(tmp_path)
    assert "ingestion/__init__.py" in files and "config/settings.py" in files
    assert [f for f in files if f.startswith(("hubspot_emulator/", "devtools/"))] == []


def requirements(pyproject: Path, extra: str | None = None) -> set[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return {requirement.replace(" ", "") for requirement in listed}


def test_emulator_dependencies_when_dev_extra_installed_then_each_one_installed():
    """`pip install -e '.[dev]'` alone gives a test environment that runs the emulator."""
    product = requirements(ROOT / "pyproject.toml") | requirements(ROOT / "pyproject.toml", "dev")
    emulator = requirements(ROOT / "hubspot_emulator" / "pyproject.toml")
    assert emulator - product == set()
