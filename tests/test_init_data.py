"""`sroi init NAME --data FILE`: column roles proposed from the user's data, then validate."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sroi import resources
from sroi.cli import main
from sroi.data import synthetic
from sroi.data.roles import propose_roles


@pytest.fixture(scope="module")
def sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    return synthetic.load_sample()


def test_roles_proposed_for_the_sample(sample):
    pupils, panel = sample
    prop = propose_roles(panel, pupils)
    assert (prop.unit, prop.time, prop.cohort, prop.treatment, prop.cluster) == (
        "pupil_id",
        "term",
        "cohort",
        "enrolled",
        "school_id",
    )
    outcomes = {o.column: o for o in prop.outcomes}
    assert prop.outcomes[0].column == "attendance_rate" and prop.outcomes[0].primary
    assert outcomes["attendance_rate"].type == "rate"
    assert outcomes["suspensions"].type == "count"
    assert outcomes["persistent_absence"].type == "binary"
    assert outcomes["persistent_absence"].direction == "decrease"
    # fixed pupil characteristics are covariates, not outcomes; time-varying ones neither
    assert "prior_attainment" not in outcomes and "prior_attainment" in prop.covariates
    assert "family_stress" not in prop.covariates
    assert {"sex", "sen", "ethnicity"} <= set(prop.categorical)
    assert set(prop.checks) == {"covariates"}  # the only thing left to confirm


def test_dated_records_get_checks_pointing_to_the_preparation_helpers():
    panel = pd.DataFrame(
        {
            "UPN": ["A1", "A1", "B2"],
            "session_date": ["2023-09-04", "2023-10-01", "2023-09-05"],
            "Attendance %": [0.9, 0.8, 1.0],
        }
    )
    prop = propose_roles(panel)
    assert prop.unit == "UPN" and prop.dates == ["session_date"]
    assert "terms_from_dates" in prop.checks["time"] and "session_date" in prop.checks["time"]
    assert "cohort_from_enrolment" in prop.checks["cohort"]
    assert "school" in prop.checks["cluster"]
    assert prop.outcomes[0].column == "Attendance %"


def _copy_data(tmp_path: Path) -> tuple[Path, Path]:
    src = resources.sample_data_dir()
    data = tmp_path / "data"
    data.mkdir()
    for name in ("panel.csv", "pupils.csv"):
        shutil.copy(src / name, data / name)
    return data / "panel.csv", data / "pupils.csv"


def test_init_with_data_writes_a_spec_that_validates(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    panel, pupils = _copy_data(tmp_path)
    assert main(["init", "north", "--data", str(panel), "--units", str(pupils)]) == 0
    out = capsys.readouterr().out
    assert "confirm these" in out and "covariates" in out
    spec_path = tmp_path / "evaluations" / "north" / "evaluation.yaml"
    text = spec_path.read_text(encoding="utf-8")
    assert "# CHECK" in text
    doc = yaml.safe_load(text)
    assert doc["data"]["path"] == "../../data/panel.csv"  # relative to the spec's folder
    assert doc["data"]["columns"]["unit"] == "pupil_id"
    assert [o["column"] for o in doc["design"]["outcomes"]][0] == "attendance_rate"
    # the column that defines the comparison pool is never proposed as a covariate: it
    # would separate participants from the pool and leave no one to match
    pool_column = doc["design"]["comparison_pool"]["column"]
    assert pool_column in pd.read_csv(pupils).columns
    assert pool_column not in doc["data"]["columns"]["covariates"]
    assert main(["validate", str(spec_path)]) == 0


def test_validate_names_what_is_still_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    panel, pupils = _copy_data(tmp_path)
    frame = pd.read_csv(pupils).drop(columns=["cohort"])
    frame.to_csv(pupils, index=False)
    assert main(["init", "south", "--data", str(panel), "--units", str(pupils)]) == 0
    capsys.readouterr()
    spec_path = tmp_path / "evaluations" / "south" / "evaluation.yaml"
    assert "cohort_from_enrolment" in spec_path.read_text(encoding="utf-8")
    assert main(["validate", str(spec_path)]) == 2
    err = capsys.readouterr().err
    assert "cohort" in err and "Traceback" not in err


def test_init_data_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "x", "--data", "nope.csv"]) == 2
    assert "nope.csv" in capsys.readouterr().err
    assert not (tmp_path / "evaluations" / "x").exists()  # nothing half-made
    assert main(["init", "y", "--units", "u.csv"]) == 2
    assert "--units needs --data" in capsys.readouterr().err
