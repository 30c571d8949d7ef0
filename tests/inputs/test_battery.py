"""The bad-input battery: every case exits 2 with a message naming where and what, no traceback.

Counts by surface are in tests/inputs/README.md (``python -m tests.inputs.cases`` prints them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sroi.cli import main
from tests.inputs.base import write_evaluation
from tests.inputs.cases import CASES, Case, counts_by_surface


def test_the_base_evaluation_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_evaluation(tmp_path / "ev")
    assert main(["validate", str(spec)]) == 0, capsys.readouterr().err
    assert "ok: spec and data are consistent" in capsys.readouterr().out


def test_battery_covers_every_surface() -> None:
    by_surface = counts_by_surface()
    assert len(CASES) >= 120 and len({c.id for c in CASES}) == len(CASES)
    readme = (Path(__file__).parent / "README.md").read_text(encoding="utf-8")
    rows = {
        ln.split("|")[1].strip(): ln.split("|")[3].strip()
        for ln in readme.splitlines()
        if ln.startswith("| `")
    }
    # the documented counts are the real ones
    assert rows == {f"`{s}`": str(n) for s, n in by_surface.items()}
    assert set(by_surface) == {"data", "spec", "costs", "cli", "results"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_naming_the_problem(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ev"
    spec = write_evaluation(folder)
    argv = case.corrupt(folder, spec)
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 2, err
    assert err.startswith("sroi: error: "), err
    missing = [e for e in case.expected if e not in err]
    assert not missing, f"message lacks {missing}:\n{err}"
    assert len(err) < 5000
