"""Failed runs leave nothing identifying; re-runs are byte-identical; outputs stay contained.

Each failure is provoked for real (a data error naming a pupil, the disclosure guard firing,
a batch with a failing evaluation) and every file left in the output folder is searched for
every pupil and school id in the data.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from sroi import resources
from sroi.errors import SroiInputError
from sroi.report.batch import batch
from sroi.report.disclosure import check_no_identifiers
from sroi.report.runner import ReportError, output_folder, run
from sroi.spec import Spec
from tests.report.helpers import write_small_evaluation


def _ids(folder: Path) -> dict[str, list[str]]:
    pupils = pd.read_csv(folder / "pupils.csv", dtype=str)
    return {"pupil_id": pupils["pupil_id"].tolist(), "school_id": pupils["school_id"].tolist()}


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _duplicate_pupil(folder: Path) -> tuple[Path, str]:
    """A small evaluation whose unit file has a pupil twice: the error names that pupil."""
    spec = write_small_evaluation(folder)
    pupils = pd.read_csv(folder / "pupils.csv", dtype=str)
    row = pupils.iloc[[5]].copy()
    row["fsm"] = "1" if row["fsm"].item() == "0" else "0"
    pd.concat([pupils, row]).to_csv(folder / "pupils.csv", index=False)
    return spec, str(row["pupil_id"].item())


# ------------------------------------------------------------------ failures
@pytest.mark.slow
def test_data_error_naming_a_pupil_leaves_no_id(tmp_path):
    spec, pupil = _duplicate_pupil(tmp_path / "eval")
    out = tmp_path / "out"
    with pytest.raises(SroiInputError) as info:
        run(spec, out, progress=False)
    assert pupil not in str(info.value) and "[identifier removed]" in str(info.value)
    assert not (out / "evaluation_report.ipynb").exists()  # no partial notebook by default
    assert check_no_identifiers(_files(out), _ids(tmp_path / "eval"), raise_on_found=False) == []

    kept = tmp_path / "kept"
    with pytest.raises(SroiInputError), pytest.warns(UserWarning, match="do not share"):
        run(spec, kept, progress=False, keep_failed=True)
    assert (kept / "evaluation_report.ipynb").exists()  # kept on request, redacted
    assert check_no_identifiers(_files(kept), _ids(tmp_path / "eval"), raise_on_found=False) == []


@pytest.mark.slow
def test_disclosure_guard_message_and_outputs_hold_no_id(tmp_path, small_spec_path):
    """A notebook that prints a pupil id: the guard fires, and its own message is clean."""
    ids = _ids(small_spec_path.parent)
    leaked = ids["pupil_id"][0]
    nb = nbformat.read(str(resources.notebook("evaluation_report.ipynb")), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(f"print('unit {leaked} looked odd')"))
    leaky = tmp_path / "evaluation_report.ipynb"
    nbformat.write(nb, str(leaky))
    out = tmp_path / "out"
    with pytest.raises(ReportError) as info:
        run(small_spec_path, out, notebook=str(leaky), progress=False)
    assert info.value.section == "disclosure"
    assert leaked not in str(info.value) and "pupil_id" in str(info.value)
    assert check_no_identifiers(_files(out), ids, raise_on_found=False) == []


@pytest.mark.slow
def test_batch_summary_of_a_failed_evaluation_holds_no_id(tmp_path):
    spec, pupil = _duplicate_pupil(tmp_path / "bad")
    summary = batch([spec], tmp_path / "out", workers=1)
    assert summary.n_failed == 1
    text = (tmp_path / "out" / "batch_summary.json").read_text()
    assert pupil not in text and "[identifier removed]" in text
    assert (
        check_no_identifiers(_files(tmp_path / "out"), _ids(tmp_path / "bad"), raise_on_found=False)
        == []
    )


# ------------------------------------------------------------------ reproducible
@pytest.mark.slow
def test_two_runs_give_byte_identical_outputs(tmp_path, small_spec_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    out = tmp_path / "out"
    run(small_spec_path, out, progress=False)
    first = tmp_path / "first"
    shutil.copytree(out, first)
    run(small_spec_path, out, progress=False)
    for name in ("results.json", "report.html", "evaluation_report.ipynb"):
        assert (first / name).read_bytes() == (out / name).read_bytes(), name
    assert json.loads((out / "results.json").read_text())["provenance"]["time_utc"] is None
    log = json.loads((out / "run_log.json").read_text())  # the run time lives here
    assert set(log) == {"package_version", "started_utc", "finished_utc"}


def test_source_date_epoch_fixes_the_recorded_time(monkeypatch):
    from sroi.report.provenance import provenance

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    p = provenance(spec_hash="a" * 64, data_hash="b" * 64, seed=1)
    assert p["time_utc"] == "2026-01-01T00:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(SroiInputError, match="SOURCE_DATE_EPOCH"):
        provenance(spec_hash="a" * 64, data_hash="b" * 64, seed=1)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert provenance(spec_hash="a" * 64, data_hash="b" * 64, seed=1)["time_utc"] is None


# ------------------------------------------------------------------ containment
def _spec_with_output(folder: Path, output: str | None) -> Path:
    spec = write_small_evaluation(folder)
    raw = yaml.safe_load(spec.read_text())
    if output is None:
        raw.get("report", {}).pop("output", None)
    else:
        raw.setdefault("report", {})["output"] = output
    spec.write_text(yaml.safe_dump(raw))
    return spec


@pytest.mark.parametrize("escape", ["../../..", "../elsewhere", "reports/../../x", "/tmp/x"])
def test_spec_cannot_direct_writes_outside_the_current_folder(tmp_path, monkeypatch, escape):
    spec = _spec_with_output(tmp_path / "eval", escape)
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    with pytest.raises(SroiInputError, match="report.output"):
        output_folder(Spec.load(spec), spec, None)
    with pytest.raises(SroiInputError, match="report.output"):
        run(spec, None, progress=False)  # fails before anything is written
    assert [p for p in (tmp_path / "work").rglob("*") if p.is_file()] == []


def test_one_output_rule(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = _spec_with_output(tmp_path / "my_eval", "reports/pilot")
    s = Spec.load(spec)
    assert output_folder(s, spec, None) == tmp_path / "reports" / "pilot"  # report.output
    given = tmp_path / "anywhere" / "out"
    assert output_folder(s, spec, given) == given  # -o / output_dir wins, as given
    bare = _spec_with_output(tmp_path / "other_eval", None)
    assert output_folder(Spec.load(bare), bare, None) == tmp_path / "reports" / "other_eval"
