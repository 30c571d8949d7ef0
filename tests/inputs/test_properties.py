"""Properties: a corrupted panel is refused or its loss counted, never silently changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sroi.cli import main
from sroi.data import load_evaluation_data
from sroi.errors import SroiInputError
from sroi.report.pipeline import all_exclusions
from sroi.report.prechecks import check_inputs
from sroi.spec import Spec
from tests.inputs.base import N_PUPILS, N_TERMS, write_evaluation

COLUMNS = ["term", "attendance_rate", "suspensions", "persistent_absence", "pupil_id"]
BAD_VALUES = [
    "",
    "nan",
    "inf",
    "-inf",
    "1e300",
    "-1",
    "2",
    "1.5",
    "0.5",
    "abc",
    "95%",
    "0,9",
    "999",
    "P9999",
    "3.7",
    "true",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = write_evaluation(tmp_path_factory.mktemp("prop") / "ev")
    return spec.parent


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.lists(
        st.tuples(
            st.integers(0, N_PUPILS * N_TERMS - 1),
            st.sampled_from(COLUMNS),
            st.sampled_from(BAD_VALUES),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_corrupted_panel_is_refused_or_counted(
    folder: Path, cells: list[tuple[int, str, str]]
) -> None:
    clean = pd.read_csv(folder / "panel.csv", dtype=object)
    (folder / "panel.csv").write_text(clean.to_csv(index=False), encoding="utf-8")
    bad = clean.copy()
    for row, column, value in cells:
        bad.loc[row, column] = value
    path = folder / "evaluation.yaml"
    corrupted = folder / "corrupted.csv"
    bad.to_csv(corrupted, index=False)
    spec = Spec.load(path).with_overrides({"data.path": str(corrupted)})
    try:
        data = load_evaluation_data(spec)
    except SroiInputError:
        return
    n_rows = len(bad)
    kept, excluded = data.panel.shape[0], int(data.exclusions["n_rows"].sum())
    assert kept + excluded == n_rows, (kept, excluded, data.exclusions)
    # every kept value is a value of the file, finite and plausible
    assert np.isfinite(data.panel[["attendance_rate", "suspensions"]].to_numpy(float)).all()
    assert data.panel["attendance_rate"].between(0, 1).all()
    assert data.panel["persistent_absence"].isin([0, 1]).all()


def test_validate_and_run_share_the_pre_estimation_check() -> None:
    from sroi.report.steps import data as step

    assert step.check_inputs is check_inputs


def test_no_pre_period_units_are_counted_in_the_exclusions(tmp_path: Path) -> None:
    spec_path = write_evaluation(tmp_path / "ev")
    panel = pd.read_csv(tmp_path / "ev" / "panel.csv")
    late = ["P045", "P046"]  # cohort 3: drop their terms 1-3, so they start treated
    panel = panel[~(panel["pupil_id"].isin(late) & (panel["term"] <= 3))]
    panel.to_csv(tmp_path / "ev" / "panel.csv", index=False)
    data, _ = check_inputs(Spec.load(spec_path))
    ex = data.exclusions.set_index("reason")
    row = ex.loc["treated unit with no row before its enrolment period (no pre-period)"]
    assert int(row["n_units"]) == 2 and int(row["n_rows"]) == 6
    assert not data.panel["pupil_id"].isin(late).any()


def test_estimator_exclusions_join_the_report_table() -> None:
    class _Effect:
        extra = {
            "exclusions": [
                {"reason": "not observed in every period", "column": "", "n_rows": 5, "n_units": 1},
                {"reason": "nothing", "column": "", "n_rows": 0, "n_units": 0},
            ]
        }

    class _Outcome:
        headline = _Effect()

    data = pd.DataFrame([{"reason": "missing unit id", "column": "id", "n_rows": 2, "n_units": 1}])
    table = all_exclusions(data, {"attendance": _Outcome()})  # type: ignore[dict-item]
    assert list(table["reason"]) == [
        "missing unit id",
        "not observed in every period (estimate of attendance)",
    ]
    assert table["n_rows"].sum() == 7


def test_a_bug_exits_1_with_one_line_and_a_saved_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sroi.cli as cli

    def boom(args: object) -> int:
        raise ZeroDivisionError("division by zero")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        action.choices["validate"].set_defaults(func=boom)  # type: ignore[index]
    assert cli.main(["validate"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "bug in sroi" in err
    saved = err.rsplit("saved in ", 1)[1].strip()
    assert "ZeroDivisionError" in Path(saved).read_text(encoding="utf-8")
    Path(saved).unlink()


def test_bom_and_crlf_files_are_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_evaluation(tmp_path / "ev")
    for name in ("panel.csv", "pupils.csv", "evaluation.yaml"):
        p = tmp_path / "ev" / name
        p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes().replace(b"\n", b"\r\n"))
    assert main(["validate", str(spec)]) == 0, capsys.readouterr().err
