"""Pooling results across places (sroi.report.pool): compatibility, parity, value side by side."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sroi import Effect, SroiInputError
from sroi.meta import meta_analysis
from sroi.report.pool import pool, write_pool
from tests.report.helpers import results_document

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "meta"


def _effect(est: float, se: float, outcome: str = "attendance") -> Effect:
    return Effect(
        estimate=est,
        std_error=se,
        ci_low=est - 1.96 * se,
        ci_high=est + 1.96 * se,
        p_value=0.05,
        n_treated=250,
        n_control=240,
        estimand="ATT (group aggregation)",
        method="matched staggered DiD",
        outcome=outcome,
    )


def _value(ratio: float, benefits: float, costs: float, attribution: float = 0.1) -> dict:
    return {
        "headline": {
            "sroi_ratio": ratio,
            "npv": benefits - costs,
            "pv_benefits": benefits,
            "pv_costs": costs,
            "sroi_interval": [ratio * 0.5, ratio * 1.5],
        },
        "detail": {
            "price_year": "2024",
            "assumptions": [
                {"parameter": "effect:attendance", "value": ratio},  # place-specific
                {"parameter": "delivery:0", "value": costs},  # place-specific
                {"parameter": "attribution:attendance", "value": attribution},
                {"parameter": "cost:ATT_DAY", "value": 30.0},
            ],
        },
        "simulation": None,
    }


def _write(tmp: Path, name: str, est: float, se: float, **changes) -> Path:
    doc = results_document([_effect(est, se), _effect(0.01 + est / 100, 0.01, "suspensions")])
    doc["evaluation"]["programme"] = name
    # each place is its own evaluation: its own spec and data hashes
    digest = f"{abs(hash((name, str(tmp)))):064x}"[-64:]
    doc["provenance"]["spec_hash"] = digest
    doc["provenance"]["data_hash"] = digest
    for key, value in changes.items():
        if key == "value":
            doc["value"] = value
        elif key == "estimand":
            doc["effects"][0]["effect"]["estimand"] = value
        elif key == "unit":
            doc["effects"][0]["unit"] = value
        elif key == "schema_version":
            doc["schema_version"] = value
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def five_places(tmp_path: Path) -> list[Path]:
    studies = pd.read_csv(FIXTURES / "studies.csv")
    d = studies[studies["set"] == "k5"]
    return [
        _write(tmp_path, f"area{i}", y, s, value=_value(0.5 + i / 10, 1e5 * (i + 1), 2e5))
        for i, (y, s) in enumerate(zip(d["yi"], d["sei"], strict=True))
    ]


def test_pool_matches_metafor_through_results_files(five_places):
    ref = pd.read_csv(FIXTURES / "metafor_reference.csv")
    row = ref[(ref["set"] == "k5") & (ref["method"] == "REML") & (ref["test"] == "knha")].iloc[0]
    res = pool(five_places)  # primary outcome; REML with HKSJ below 10 places
    m = res.meta
    assert (m.method, m.test, m.k) == ("REML", "knha", 5)
    for ours, theirs in [
        (m.estimate, row["estimate"]),
        (m.std_error, row["se"]),
        (m.tau2, row["tau2"]),
        (m.ci_low, row["ci_lb"]),
        (m.ci_high, row["ci_ub"]),
        (m.pi_low, row["pi_lb"]),
        (m.pi_high, row["pi_ub"]),
    ]:
        assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-6)
    assert res.outcome == "attendance"
    assert list(res.places["place"]) == [f"area{i}" for i in range(5)]
    assert res.places["weight_pct"].sum() == pytest.approx(100.0)
    assert res.leave_one_out is not None and len(res.leave_one_out) == 5


def test_pool_other_outcome_and_methods(five_places):
    res = pool(five_places, "suspensions", method="DL", test="z")
    ys = [0.01 + e / 100 for e in pd.read_csv(FIXTURES / "studies.csv").query("set == 'k5'")["yi"]]
    direct = meta_analysis(ys, [0.01] * 5, method="DL", test="z")
    assert res.meta.estimate == pytest.approx(direct.estimate)
    assert res.meta.tau2 == 0.0


def test_pooled_ratio_only_when_assumptions_are_the_same(five_places, tmp_path):
    res = pool(five_places)
    assert res.pooled_sroi_ratio == pytest.approx(1e5 * 15 / (2e5 * 5))
    assert res.differing_assumptions.empty
    other = _write(tmp_path, "area9", 0.02, 0.005, value=_value(0.7, 1e5, 2e5, attribution=0.3))
    res2 = pool([*five_places, other])
    assert res2.pooled_sroi_ratio is None
    assert list(res2.differing_assumptions["assumption"]) == ["attribution:attendance"]
    assert res2.differing_assumptions["area9"].item() == 0.3
    assert "different assumptions (attribution:attendance)" in " ".join(res2.notes)
    no_value = _write(tmp_path, "area10", 0.02, 0.005)
    res3 = pool([*five_places, no_value])
    assert res3.pooled_sroi_ratio is None
    assert "no valuation in area10" in " ".join(res3.notes)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"estimand": "ATT (simple aggregation)"}, "estimand"),
        ({"unit": "days"}, "outcome unit"),
        ({"schema_version": "2.0"}, None),  # rejected by the schema reader first
    ],
)
def test_incompatible_files_are_named(five_places, tmp_path, change, field):
    bad = _write(tmp_path, "odd", 0.02, 0.005, **change)
    with pytest.raises(SroiInputError) as err:
        pool([*five_places, bad])
    msg = str(err.value)
    assert "odd.json" in msg
    if field:
        assert f"{field} is" in msg and "area0.json" in msg


def test_the_same_evaluation_twice_is_refused(five_places, tmp_path):
    copy_path = tmp_path / "copy.json"
    copy_path.write_text(five_places[0].read_text(), encoding="utf-8")
    with pytest.raises(SroiInputError, match="copy.json: is the same evaluation"):
        pool([*five_places, copy_path])


def test_pool_input_errors(five_places, tmp_path):
    with pytest.raises(SroiInputError, match="at least 2"):
        pool(five_places[:1])
    with pytest.raises(SroiInputError, match="has no outcome 'wellbeing'"):
        pool(five_places, "wellbeing")
    with pytest.raises(SroiInputError, match="not found"):
        pool([five_places[0], tmp_path / "missing.json"])
    with pytest.raises(SroiInputError, match="labels: give one per results file"):
        pool(five_places, labels=["a"])


def test_write_pool_outputs_and_heterogeneity_words(five_places, tmp_path):
    res = pool(five_places)
    files = write_pool(res, tmp_path / "pooled")
    doc = json.loads(files["results"].read_text())
    assert doc["meta"]["k"] == 5
    assert "prediction interval" in doc["heterogeneity"]
    assert files["forest"].stat().st_size > 1000
    assert "Pooled effect on attendance across 5 places" in res.summary()
    # counts of people are carried as published, never summed
    assert all(p["participants"] == 250 for p in doc["places"])
    assert "250" not in json.dumps(doc["meta"])


def test_homogeneous_places_are_described_as_such(tmp_path):
    paths = [_write(tmp_path, f"p{i}", 0.02 + 0.0001 * i, 0.005 + 0.001 * i) for i in range(4)]
    res = pool(paths)
    assert res.meta.tau2 == 0.0
    assert res.heterogeneity_in_words().startswith("The places' results differ no more than chance")
    assert np.isfinite(res.meta.pi_low)


def test_same_programme_name_is_disambiguated_by_folder(tmp_path):
    paths = []
    for i in range(3):
        (tmp_path / f"la{i}").mkdir()
        p = _write(tmp_path / f"la{i}", "link workers", 0.02 + i / 100, 0.005)
        paths.append(p)
    res = pool(paths)
    assert list(res.places["place"]) == [f"link workers (la{i})" for i in range(3)]
    _ = copy.deepcopy(res.to_dict())


def test_sroi_pool_command_writes_the_pooled_report(five_places, tmp_path, capsys):
    from sroi.cli import main

    out = tmp_path / "pooled_report"
    assert main(["pool", *map(str, five_places), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "pooled effect on attendance across 5 places" in printed
    html = (out / "pool_report.html").read_text(encoding="utf-8")
    for text in (
        "Pooled effect on attendance across 5 places",
        "prediction interval",
        "Value for money in each place",
        "Hartung-Knapp-Sidik-Jonkman",
        # the notebook's markdown introduction, rendered (sroi.report.html_page)
        "<h1>Pooled results across places</h1>",
        "Generated by <code>sroi pool</code>",
    ):
        assert text in html
    assert "<script" not in html and "```" not in html
    assert (out / "pool_results.json").is_file() and (out / "forest.png").is_file()
    # an incompatible file: one line naming it, exit 2, no traceback, no notebook started
    bad = _write(tmp_path, "odd", 0.02, 0.005, estimand="ATT (simple aggregation)")
    assert main(["pool", *map(str, five_places), str(bad), "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "odd.json: estimand is" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()
