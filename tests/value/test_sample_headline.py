"""The sample valuation's headline numbers, pinned.

``tests/fixtures/value/sample_headline.json`` is written by
``python -m tests.fixtures.value.make_sample_headline``; refactoring must not change a number,
a table row or the Monte Carlo draws. Intended changes regenerate it with a commit message
that says why (see the script's docstring).
"""

from __future__ import annotations

import json
import math

import pytest

from tests.value import helpers as vh

PINNED = json.loads((vh.FIXTURES / "sample_headline.json").read_text())


@pytest.fixture(scope="module")
def now() -> dict:
    return vh.sample_headline()


def _same(a, b, rel=1e-10, abs_=1e-6):
    if a is None or b is None:
        assert a is None and b is None
        return
    assert a == pytest.approx(b, rel=rel, abs=abs_)


def test_headline_figures(now):
    for k, v in PINNED["headline"].items():
        _same(now["headline"][k], v)
    assert PINNED["headline"]["payback_years"] is None  # never pays back within 10 years
    for k, v in PINNED["cheap_variant"].items():
        _same(now["cheap_variant"][k], v)
    assert 1 < PINNED["cheap_variant"]["payback_years"] < 5  # pays back inside year 3
    assert now["pv_by_value_type"].keys() == PINNED["pv_by_value_type"].keys()
    for k, v in PINNED["pv_by_value_type"].items():
        _same(now["pv_by_value_type"][k], v)


def test_per_agency_totals(now):
    assert now["by_agency"].keys() == PINNED["by_agency"].keys()
    for agency, cols in PINNED["by_agency"].items():
        assert now["by_agency"][agency].keys() == cols.keys()
        for c, v in cols.items():
            _same(now["by_agency"][agency][c], v)


def test_by_year_and_switching_values(now):
    for c, vals in PINNED["by_year"].items():
        assert now["by_year"][c] == pytest.approx(vals, rel=1e-10, abs=1e-6)
    assert list(now["switching_values"]) == list(PINNED["switching_values"])
    for p, v in PINNED["switching_values"].items():
        _same(now["switching_values"][p], v, rel=1e-8)


def test_register_and_exclusions(now):
    assert now["assumption_parameters"] == PINNED["assumption_parameters"]
    assert now["excluded"] == PINNED["excluded"]


def test_monte_carlo_with_a_fixed_seed(now):
    sim, pin = now["simulation"], PINNED["simulation"]
    assert sim["tornado_parameters"] == pin["tornado_parameters"]
    for k in ("mean_npv", "mean_sroi_ratio", "prob_npv_positive"):
        _same(sim[k], pin[k], rel=1e-9)
    assert sim["sroi_ratio_90"] == pytest.approx(pin["sroi_ratio_90"], rel=1e-9)
    assert sim["scenario_npv"] == pytest.approx(pin["scenario_npv"], rel=1e-9)
    assert math.isfinite(sim["mean_npv"])
