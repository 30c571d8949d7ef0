"""README's worked examples run as written (the dated-records walk-through)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

pytestmark = pytest.mark.slow


def _block(tag: str) -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(rf"<!-- readme-test: {re.escape(tag)} -->\s*```\w*\n(.*?)```", text, re.S)
    assert m, f"README has no block tagged {tag!r}"
    return m.group(1)


def test_dated_records_walk_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = _block("dated-records python")
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})  # noqa: S102
    assert (tmp_path / "my_area" / "panel.csv").is_file()
    for line in _block("dated-records shell").strip().splitlines():
        args = line.split()
        assert args[0] == "sroi"
        cmd = [sys.executable, "-c", "import sys; from sroi.cli import main; sys.exit(main())"]
        done = subprocess.run([*cmd, *args[1:]], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
    spec = (tmp_path / "evaluations" / "my_area" / "evaluation.yaml").read_text()
    assert "# CHECK" in spec
