"""The sroi command: exit codes, one-line errors without tracebacks, init, validate."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sroi import resources
from sroi.cli import main

SAMPLE = resources.sample_spec()


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("run", "value", "validate", "init", "batch"):
        assert cmd in out


def test_missing_spec_exits_2_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sroi.cli", "validate", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("sroi: error:")
    assert "spec file not found" in proc.stderr


def test_broken_spec_reports_path_and_line(tmp_path, capsys):
    raw = yaml.safe_load(SAMPLE.read_text())
    raw["design"]["matching"]["caliper"] = -0.2
    raw["data"]["path"] = str((SAMPLE.parent / raw["data"]["path"]).resolve())
    bad = tmp_path / "evaluation.yaml"
    bad.write_text(yaml.safe_dump(raw, sort_keys=False))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "design.matching.caliper: must be > 0 (line" in err


def test_bad_column_in_spec_is_named(tmp_path, capsys):
    raw = yaml.safe_load(SAMPLE.read_text())
    for key in ("path", "units"):
        raw["data"][key] = str((SAMPLE.parent / raw["data"][key]).resolve())
    raw["data"]["columns"]["covariates"].append("fsm_everr")
    bad = tmp_path / "evaluation.yaml"
    bad.write_text(yaml.safe_dump(raw, sort_keys=False))
    assert main(["validate", str(bad)]) == 2
    assert "missing column(s) 'fsm_everr'" in capsys.readouterr().err


def test_validate_sample_spec(capsys):
    assert main(["validate", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "ok: spec and data are consistent" in out
    assert "treated units: 250" in out


def test_init_creates_a_valid_evaluation(tmp_path, capsys):
    assert main(["init", "north_borough", "--dir", str(tmp_path)]) == 0
    spec_path = tmp_path / "north_borough" / "evaluation.yaml"
    assert spec_path.exists() and (tmp_path / "north_borough" / "README.md").exists()
    from sroi.spec import Spec

    assert Spec.load(spec_path).programme.name == "north_borough"
    assert main(["init", "north_borough", "--dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["init", "bad name!", "--dir", str(tmp_path)]) == 2


def test_bad_parameter_syntax(capsys):
    assert main(["run", str(SAMPLE), "-p", "caliper"]) == 2
    assert "expected key=value" in capsys.readouterr().err


def test_value_without_saved_results(tmp_path, capsys):
    assert main(["value", str(SAMPLE), "--results", str(tmp_path / "none.json")]) == 2
    err = capsys.readouterr().err
    assert "none.json" in err


def _absolute_copy(tmp_path, edit):
    raw = yaml.safe_load(SAMPLE.read_text())
    for key in ("path", "units"):
        raw["data"][key] = str((SAMPLE.parent / raw["data"][key]).resolve())
    raw["valuation"]["cost_file"] = str((SAMPLE.parent / raw["valuation"]["cost_file"]).resolve())
    edit(raw)
    out = tmp_path / "evaluation.yaml"
    out.write_text(yaml.safe_dump(raw, sort_keys=False))
    return out


def test_validate_names_an_unknown_cost_id(tmp_path, capsys):
    def edit(raw):
        raw["valuation"]["outcomes"][1]["costs"] = ["SUSP_PROCES"]

    assert main(["validate", str(_absolute_copy(tmp_path, edit))]) == 2
    err = capsys.readouterr().err
    assert "valuation.outcomes[1].costs: 'SUSP_PROCES' is not a cost id" in err


def test_validate_accepts_a_library_line_as_cost_id(tmp_path, capsys):
    """A cost id that is not in the cost file but is a line of the shipped unit-cost library is
    valid (valuation takes it from the library), so validate accepts it too."""
    from sroi.value import load_library

    line = str(load_library().index[0])

    def edit(raw):
        raw["valuation"]["outcomes"][1]["costs"] = [line]

    assert main(["validate", str(_absolute_copy(tmp_path, edit))]) == 0
    assert "ok: spec and data are consistent" in capsys.readouterr().out


def test_validate_names_an_unknown_valuation_key(tmp_path, capsys):
    def edit(raw):
        raw["valuation"]["discount_rat"] = 0.035

    assert main(["validate", str(_absolute_copy(tmp_path, edit))]) == 2
    assert "valuation.discount_rat" in capsys.readouterr().err


def _saved_results(tmp_path):
    """A results.json as `sroi run` writes it, with four valued outcomes, one outcome whose
    effect could not be estimated and one suppressed count."""
    import json

    from sroi.effect import Effect
    from tests.report.helpers import results_document

    effects = [
        Effect.from_estimate(0.0137, 0.005, outcome="attendance", n_treated=250),
        Effect.from_estimate(-0.012, 0.006, outcome="suspensions", n_treated=250),
        ("permanent_exclusion", None),
        Effect.from_estimate(-0.004, 0.002, outcome="camhs_referral", n_treated=7),
        Effect.from_estimate(-0.002, 0.002, outcome="csc_referral", n_treated=250),
    ]
    res = tmp_path / "results.json"
    res.write_text(json.dumps(results_document(effects)))
    return res


def test_value_cli_impact_set_and_folder_output(tmp_path, capsys):
    """`sroi value SPEC --impact results.json --set key=value -o DIR` re-values saved effects,
    prints a summary and writes JSON plus the Excel workbook; an override changes the answer."""
    import json

    res = _saved_results(tmp_path)
    spec = _absolute_copy(tmp_path, lambda raw: None)
    assert main(["value", str(spec), "--impact", str(res), "-o", str(tmp_path / "a")]) == 0
    base = json.loads((tmp_path / "a" / "value_results.json").read_text())
    assert (tmp_path / "a" / "value_results.xlsx").stat().st_size > 1000
    assert "SROI" in capsys.readouterr().out
    args = ["value", str(spec), "--impact", str(res), "-o", str(tmp_path / "b.json")]
    assert main([*args, "--set", "valuation.adjustments.attribution=0.55"]) == 0
    changed = json.loads((tmp_path / "b.json").read_text())
    assert (tmp_path / "b.xlsx").exists()
    assert changed["pv_benefits"] == pytest.approx(base["pv_benefits"] * 0.45 / 0.9, rel=1e-9)


def test_value_cli_follows_the_value_effects_rule(tmp_path, capsys):
    """`sroi value` values effects by the spec's valuation.value_effects, as the report does:
    with `significant` the effect whose interval includes zero (csc_referral) adds nothing."""
    import json

    res = _saved_results(tmp_path)
    spec = _absolute_copy(tmp_path, lambda raw: None)
    args = ["value", str(spec), "--impact", str(res), "-o"]
    assert main([*args, str(tmp_path / "all.json")]) == 0
    sig = ["--set", "valuation.value_effects=significant"]
    assert main([*args, str(tmp_path / "sig.json"), *sig]) == 0
    every = json.loads((tmp_path / "all.json").read_text())
    significant = json.loads((tmp_path / "sig.json").read_text())
    assert significant["pv_benefits"] < every["pv_benefits"]
    assert significant["pv_costs"] == pytest.approx(every["pv_costs"], rel=1e-12)


def test_value_cli_live_workbook_uncertainty_and_deflators(tmp_path, capsys):
    """`sroi value -o DIR` also writes the live workbook value_model.xlsx, which `--costs` reads
    back; it prints the Monte Carlo interval, the chance that benefits exceed costs and the
    confidence-grade cuts; `--deflators` takes another GDP deflator series (issue 14)."""
    import json

    import sroi.value

    res = _saved_results(tmp_path)
    spec = _absolute_copy(tmp_path, lambda raw: None)
    assert main(["value", str(spec), "--impact", str(res), "-o", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    for words in ("Monte Carlo: 10,000 draws", "95% interval", "benefits exceed costs", "grade 5"):
        assert words in out
    # the grade scale's status: illustrative steps, and what a council would use instead
    assert "(illustrative)" in out and "ILLUSTRATIVE percentages, not a published table" in out
    live = tmp_path / "a" / "value_model.xlsx"
    base = json.loads((tmp_path / "a" / "value_results.json").read_text())
    assert live.exists() and base["monte_carlo"]["n_draws"] == 10_000
    # the headline lies inside the Monte Carlo interval it is printed with
    lo, hi = base["monte_carlo"]["npv_95"]
    assert lo < base["npv"] < hi
    args = ["value", str(spec), "--impact", str(res), "--costs", str(live), "-o"]
    assert main([*args, str(tmp_path / "b")]) == 0
    again = json.loads((tmp_path / "b" / "value_results.json").read_text())
    assert again["sroi_ratio"] == pytest.approx(base["sroi_ratio"], rel=1e-12)
    defl = sroi.value.load_deflators()
    csv = tmp_path / "defl.csv"
    # the same series with the base year 10% dearer: every cost in older prices uprates 10% more
    rows = [f"{y},{v * (1.1 if y == '2024' else 1.0)}" for y, v in defl.items()]
    csv.write_text("calendar_year,deflator\n" + "\n".join(rows) + "\n")
    argv = ["value", str(spec), "--impact", str(res), "--deflators", str(csv), "-o"]
    assert main([*argv, str(tmp_path / "c")]) == 0
    dearer = json.loads((tmp_path / "c" / "value_results.json").read_text())
    assert dearer["pv_benefits"] > base["pv_benefits"]
    missing = ["value", str(spec), "--impact", str(res), "--deflators", str(tmp_path / "no.xlsx")]
    assert main(missing) == 2
    assert "deflator workbook not found" in capsys.readouterr().err


def test_value_cli_and_value_notebook_value_the_same_effects(tmp_path, monkeypatch):
    """`sroi value` and the value notebook read results.json the same way (one reader), so
    they hand the same effects to the valuation."""
    import sroi.value
    from sroi.report import notebook as nb

    res = _saved_results(tmp_path)
    spec_path = _absolute_copy(tmp_path, lambda raw: None)
    seen = []
    real_run = sroi.value.run

    def spy(spec, effects, *args, **kwargs):
        seen.append(dict(effects))
        return real_run(spec, effects, *args, **kwargs)

    monkeypatch.setattr(sroi.value, "run", spy)
    assert main(["value", str(spec_path), "--impact", str(res)]) == 0
    spec = nb.load_value_spec(spec_path)
    nb.revalue(spec, nb.saved_effects(res), res, nb.WarningLog(), n_draws=50)
    cli, notebook = seen
    assert cli == notebook
    assert list(cli) == ["attendance", "suspensions", "camhs_referral", "csc_referral"]
    assert cli["camhs_referral"].n_treated is None  # "<10" in the file: unknown, not a string
    assert cli["attendance"].estimate == pytest.approx(0.0137)


def test_value_cli_rejects_a_file_that_is_not_results_json(tmp_path, capsys):
    """A file that does not follow the results schema is an input error naming file and field."""
    import json

    bad = tmp_path / "results.json"
    bad.write_text(json.dumps({"effects": [{"estimate": 0.1}]}))
    spec = _absolute_copy(tmp_path, lambda raw: None)
    assert main(["value", str(spec), "--impact", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sroi: error:") and str(bad) in err and "(top level)" in err
    assert len(err.strip().splitlines()) == 1


# ----------------------------------------------------------- output folders that cannot be used
def _output_commands(tmp_path, out):
    """Every command that writes into an output folder, aimed at ``out``."""
    from tests.inputs.base import write_evaluation, write_places

    spec = write_evaluation(tmp_path / "ev")
    a, b = write_places(tmp_path / "ev")
    return {
        "run": ["run", str(spec), "-o", str(out)],
        "value": ["value", str(spec), "--results", str(a), "-o", str(out)],
        "pool": ["pool", str(a), str(b), "-o", str(out)],
        "batch": ["batch", str(spec), "-o", str(out)],
        "init": ["init", "x", "--dir", str(out)],
    }


@pytest.mark.parametrize("command", ["run", "value", "pool", "batch", "init"])
def test_output_path_under_a_regular_file_exits_2(tmp_path, capsys, command):
    blocker = tmp_path / "a_file.txt"
    blocker.write_text("not a folder", encoding="utf-8")
    argv = _output_commands(tmp_path, blocker / "out")[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("sroi: error: ") and "Traceback" not in err, err
    assert "a_file.txt" in err and "is a file" in err, err


@pytest.mark.parametrize("command", ["run", "value", "pool", "batch", "init"])
def test_output_folder_that_cannot_be_created_exits_2(tmp_path, capsys, command):
    # /proc refuses new folders even for root (chmod does not stop root from writing)
    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux /proc to produce a folder that cannot be created")
    argv = _output_commands(tmp_path, Path("/proc/sroi-test-output"))[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("sroi: error: ") and "Traceback" not in err, err
    assert "/proc/sroi-test-output" in err, err


def test_output_folder_without_write_permission_exits_2(tmp_path, capsys):
    import os

    if os.geteuid() == 0:
        pytest.skip("runs as root: chmod does not stop root from writing (see the /proc test)")
    from tests.inputs.base import write_evaluation

    spec = write_evaluation(tmp_path / "ev")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["run", str(spec), "-o", str(locked / "out")]) == 2
        err = capsys.readouterr().err
        assert "locked" in err and "Traceback" not in err, err
    finally:
        locked.chmod(0o700)
