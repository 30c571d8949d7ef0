"""The public API of sroi.value: argument checks through sroi._checks, the layout, the template."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sroi.value as value
from sroi import Effect, SroiInputError
from sroi.value.make_template import main as make_template_main
from sroi.value.make_template import write_template
from sroi.value.uncertainty import Distribution, effect_draws, monte_carlo
from tests.value import helpers as vh

PUBLIC = [
    "run",
    "run_assumed",
    "simulate",
    "ValueResult",
    "SimulationResult",
    "UnitCostTable",
    "load_unit_costs",
    "load_confidence_grades",
    "load_deflators",
    "load_hmt_deflators",
    "load_library",
    "load_discount_table",
    "discount_factors",
    "price_factor",
    "payback_period",
    "switching_values",
    "ValuationSection",
    "DeliveryCost",
    "starts_by_year",
    "remaining_school_years",
    "remaining_school_years_table",
]


def test_public_names_importable():
    assert sorted(value.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(value, name) is not None


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    spec = vh.tiny_spec(tmp_path_factory.mktemp("api"))
    return value.run(spec, {"o": Effect.from_estimate(-0.1, 0.02, outcome="o")})


@pytest.mark.parametrize("bad", ["x", -1, 1.5, True, np.random.RandomState(0)])
def test_bad_random_state_is_named(tiny, bad):
    with pytest.raises(SroiInputError, match="random_state"):
        value.simulate(tiny, n_draws=10, random_state=bad)


@pytest.mark.parametrize("bad", ["many", 1, 2.5, None])
def test_bad_n_draws_is_named(tiny, bad):
    with pytest.raises(SroiInputError, match="n_draws"):
        value.simulate(tiny, n_draws=bad)


def test_bad_rng_of_the_building_blocks_is_named(tiny):
    d = Distribution("x", "uniform", low=0, high=1)
    with pytest.raises(SroiInputError, match="rng"):
        d.sample(5, rng=0.5)
    with pytest.raises(SroiInputError, match="rng"):
        effect_draws(tiny.model, 5, rng="seed")
    with pytest.raises(SroiInputError, match="seed"):
        monte_carlo(tiny.model, 10, seed="x")


def test_the_seed_used_is_kept_and_reproduces_the_draws(tiny):
    a = value.simulate(tiny, n_draws=200, random_state=7)
    assert a.random_state == 7
    fresh = value.simulate(tiny, n_draws=200, random_state=None)
    assert isinstance(fresh.random_state, int)
    again = value.simulate(tiny, n_draws=200, random_state=fresh.random_state)
    pd.testing.assert_frame_equal(fresh.draws, again.draws)
    from_gen = value.simulate(tiny, n_draws=200, random_state=np.random.default_rng(3))
    assert isinstance(from_gen.random_state, int)
    pd.testing.assert_frame_equal(
        from_gen.draws, value.simulate(tiny, n_draws=200, random_state=from_gen.random_state).draws
    )


def test_results_are_read_only(tiny):
    with pytest.raises(dataclasses.FrozenInstanceError):
        tiny.npv = 0.0  # type: ignore[misc]
    s = value.simulate(tiny, n_draws=50)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.n_draws = 1  # type: ignore[misc]
    assert "P(NPV > 0)" in s.summary()
    assert tiny.switching_values() is tiny.switching


def test_public_attributes_of_the_results(tiny):
    """The attributes the report and the CLI use (listed in /work/notes/value_api.md)."""
    for name in (
        "price_year",
        "pv_benefits",
        "pv_costs",
        "npv",
        "sroi_ratio",
        "public_value_roi",
        "financial_roi",
        "cashable_roi",
        "payback_years",
        "pv_transfers",
        "pv_modelled",
        "pv_by_value_type",
        "streams",
        "costs",
        "assumptions",
        "warnings",
        "notes",
        "excluded",
        "model",
        "observed",
        "assumed",
        "modelled",
    ):
        assert hasattr(tiny, name), name
    for name in ("ratio", "net_present_value", "payback"):  # never existed
        assert not hasattr(tiny, name)
    s = value.simulate(tiny, n_draws=50)
    for name in (
        "n_draws",
        "random_state",
        "draws",
        "parameters",
        "tornado",
        "scenarios",
        "switching_values",
        "central",
        "notes",
        "prob_npv_positive",
        "prob_ratio_above_1",
    ):
        assert hasattr(s, name), name


def test_make_template_writes_a_readable_workbook(tmp_path, capsys):
    out = write_template(out=tmp_path / "t.xlsx")
    pd.testing.assert_frame_equal(value.load_unit_costs(out).data, vh.sample_costs().data)
    assert make_template_main([str(tmp_path / "u.xlsx"), "--costs", str(vh.SAMPLE_COSTS)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert (tmp_path / "u.xlsx").exists()


def test_value_imports_no_private_name_and_not_impact_or_report():
    """No module of sroi.value imports another module's private name (``from m import _x``)."""
    root = Path(value.__file__).parent
    bad = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sroi"):
                bad += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("_")]
    assert bad == []
    code = (
        "import sys, sroi.value, sroi.value.uncertainty, sroi.value.excel, "
        "sroi.value.make_template; "
        "print(any(m.startswith(('sroi.impact', 'sroi.report')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
