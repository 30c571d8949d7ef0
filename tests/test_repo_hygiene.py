"""The tree stays clean: no generated reports, caches or notebook outputs are committed."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return out.splitlines()


def test_no_generated_files_are_tracked():
    bad = [
        f
        for f in tracked_files()
        if f.endswith((".html", ".pyc"))
        or f.startswith(("reports/", ".nox/", ".pytest_cache/"))
        or "__pycache__" in f
        or ".ipynb_checkpoints" in f
    ]
    assert bad == []


def test_tracked_notebooks_have_no_outputs():
    for f in tracked_files():
        if not f.endswith(".ipynb"):
            continue
        nb = json.loads((ROOT / f).read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            if cell.get("cell_type") == "code":
                assert cell.get("outputs", []) == [], f"{f} is committed with outputs"
                assert cell.get("execution_count") is None, f"{f} has execution counts"


def test_license_and_version_are_consistent():
    import sroi

    text = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{sroi.__version__}"' in text
