"""The Monte Carlo applies every adjustment of the central figure inside each draw.

The invariant: with zero-width distributions every draw equals the central figure (to 1e-9),
whatever the adjustments (confidence-grade reductions, optimism-bias uplift on delivery costs,
deadweight, displacement, attribution, drop-off, discounting, price uprating). A consequence
checked on the sample and on hand-built cases: the central NPV and SROI ratio lie inside their
Monte Carlo intervals, and where the value is linear in symmetric inputs the mean of the draws
is the central figure up to Monte Carlo error.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

import sroi.value as value
from sroi import Effect, resources
from sroi.spec import Spec
from sroi.value.model import CompiledModel
from tests.value import helpers as vh

HEADLINE = ("pv_benefits", "pv_costs", "npv", "sroi_ratio", "financial_roi", "cashable_roi")
D35 = np.array([1, 1 / 1.035, 1 / 1.035**2])


def quiet_run(spec: Spec, effects: dict[str, Effect]) -> value.ValueResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return value.run(spec, effects)


def assert_every_draw_is_central(sim: value.SimulationResult) -> None:
    for k in HEADLINE:
        c = sim.central[k]
        np.testing.assert_allclose(sim.draws[k].to_numpy(), c, rtol=1e-9, atol=1e-9, err_msg=k)


def fixed_entries(model: CompiledModel) -> list[dict[str, object]]:
    """A ``fixed`` distribution at its central value for every parameter of the model."""
    return [
        {"parameter": k, "distribution": "fixed", "mode": v, "source": "zero width (test)"}
        for k, v in model.central().items()
    ]


def without_ranges(model: CompiledModel) -> CompiledModel:
    """The same model with every input range collapsed to its central value (no distribution)."""
    tab = model.cost_table.copy()
    tab["low"], tab["high"] = tab["amount"], tab["amount"]
    dv = model.delivery.copy()
    dv["low_base"], dv["high_base"] = dv["amount_base"], dv["amount_base"]
    groups = {
        k: dataclasses.replace(g, effect_se=0.0, effect_draws=None, success_low=None)
        for k, g in model.groups.items()
    }
    return dataclasses.replace(
        model,
        cost_table=tab,
        delivery=dv,
        groups=groups,
        conversion_ranges={k: (None, None) for k in model.conversion_ranges},
        uncertainty=[],
    )


def adjusted_spec(tmp_path, uncertainty=None) -> Spec:
    """A tiny spec with every adjustment switched on.

    Unit cost 100 in 2019 prices (grade 5: benefits cut by 40%) with a PERT range 50-150;
    attribution 0.2, displacement 0.1, drop-off 0.5 after the first year; delivery 200 in year 0
    and 100 in year 1 with a 20% optimism-bias uplift and ranges 150-250 and 50-150.
    """
    rows = [vh.cost_row(amount=100, price_year="2019", confidence="5", low=50, high=150)]
    valuation = {
        "adjustments": {"attribution": 0.2, "displacement": 0.1, "drop_off": 0.5},
        "outcomes": [vh.tiny_outcome(observed_years=1)],
        "optimism_bias": {"costs": 0.2, "benefits_by_confidence": True},
        "uncertainty": uncertainty or [],
    }
    delivery = [
        {"year": 0, "amount": 200, "description": "delivery", "low": 150, "high": 250},
        {"year": 1, "amount": 100, "description": "delivery", "low": 50, "high": 150},
    ]
    return vh.tiny_spec(tmp_path, rows, valuation=valuation, delivery=delivery)


# ------------------------------------------------------------------ zero width: draws = central
def test_hand_built_zero_width_draws_equal_the_hand_computed_central_figure(tmp_path):
    base = quiet_run(adjusted_spec(tmp_path), {"o": Effect.from_estimate(-0.1, 0.02, outcome="o")})
    spec = adjusted_spec(tmp_path, fixed_entries(base.model))
    r = quiet_run(spec, {"o": Effect.from_estimate(-0.1, 0.02, outcome="o")})
    sim = value.simulate(r, n_draws=500, random_state=5)
    assert_every_draw_is_central(sim)
    # by hand: 10 pupils x 0.1 = 1 event a year; 100 (2019 prices) x 100 / 81.1085 (HM
    # Treasury calendar-year deflator, 2024 = 100) x (1 - 0.4) grade 5 x (1 - 0.2) attribution
    # x (1 - 0.1) displacement; drop-off 0.5 after the one observed year; Green Book factors.
    year_value = 100 * 100 / 81.1085 * 0.6 * 0.8 * 0.9
    pv_benefits = year_value * (D35 * [1, 0.5, 0.25]).sum()
    pv_costs = 1.2 * (200 + 100 / 1.035)  # 20% optimism bias, year 0 undiscounted
    assert sim.central["pv_benefits"] == pytest.approx(pv_benefits, rel=1e-9)
    assert sim.central["pv_costs"] == pytest.approx(pv_costs, rel=1e-9)
    assert sim.draws["npv"].to_numpy() == pytest.approx(pv_benefits - pv_costs, rel=1e-9)
    assert sim.draws["sroi_ratio"].to_numpy() == pytest.approx(pv_benefits / pv_costs, rel=1e-9)


def test_hand_built_collapsed_input_ranges_give_draws_equal_to_central(tmp_path):
    r = quiet_run(adjusted_spec(tmp_path), {"o": Effect.from_estimate(-0.1, 0.02, outcome="o")})
    sim = value.simulate(without_ranges(r.model), n_draws=300, random_state=2)
    assert set(sim.parameters["distribution"]) == {"fixed"}
    assert_every_draw_is_central(sim)
    assert sim.central["npv"] == pytest.approx(r.npv, rel=1e-12)


def test_assumed_effect_deadweight_applies_inside_each_draw(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        valuation={"adjustments": {"deadweight": 0.3, "drop_off": 0.0}},
    )
    e = Effect.assumed(-0.1, outcome="o", source="a published trial")
    r = quiet_run(spec, {"o": e})
    assert r.pv_benefits == pytest.approx(100 * 0.7 * D35.sum(), rel=1e-12)
    fixed = spec.with_overrides({"valuation.uncertainty": fixed_entries(r.model)})
    sim = value.simulate(quiet_run(fixed, {"o": e}), n_draws=200, random_state=1)
    assert "deadweight:o" in set(sim.parameters["parameter"])
    assert_every_draw_is_central(sim)


@pytest.fixture(scope="module")
def sample() -> tuple[Spec, value.ValueResult]:
    spec = Spec.load(resources.sample_spec())
    return spec, quiet_run(spec, vh.sample_effects())


def test_sample_zero_width_distributions_give_draws_equal_to_central(sample):
    spec, r = sample
    fixed = spec.with_overrides({"valuation.uncertainty": fixed_entries(r.model)})
    rf = quiet_run(fixed, vh.sample_effects())
    assert rf.npv == pytest.approx(r.npv, rel=1e-12)
    sim = value.simulate(rf, n_draws=400, random_state=spec.seed)
    assert (sim.parameters["distribution"] == "fixed").all()
    assert_every_draw_is_central(sim)
    assert sim.central["npv"] == pytest.approx(r.npv, rel=1e-12)
    # the sample has delivery and unit-cost ranges, an optimism-bias uplift and grade cuts
    assert (r.model.delivery["uplift"] > 0).all()
    assert any(ln.grade_reduction > 0 for ln in r.model.lines)
    collapsed = value.simulate(without_ranges(r.model), n_draws=400, random_state=spec.seed)
    assert_every_draw_is_central(collapsed)


# ------------------------------------------------------------------ central inside the interval
def test_sample_central_npv_and_ratio_lie_inside_their_monte_carlo_intervals(sample):
    spec, r = sample
    sim = value.simulate(r, n_draws=10_000, random_state=spec.seed)
    for metric, central in (("npv", r.npv), ("sroi_ratio", r.sroi_ratio)):
        lo, hi = sim.interval(metric, 0.95)
        assert lo < central < hi, (metric, lo, central, hi)
        lo90, hi90 = sim.interval(metric, 0.90)
        assert lo90 < central < hi90, (metric, lo90, central, hi90)
    # the costs' only uncertainty is the delivery ranges around the uplifted central costs
    assert sim.draws["pv_costs"].min() < r.pv_costs < sim.draws["pv_costs"].max()


def test_hand_built_draws_centre_on_the_adjusted_central_figure(tmp_path):
    """Symmetric PERT ranges and a normal effect; the value is linear in each, and the inputs
    are independent, so the mean of the draws is the central figure up to Monte Carlo error
    (the draws keep the grade-5 cut of 40% and the 20% optimism-bias uplift)."""
    r = quiet_run(adjusted_spec(tmp_path), {"o": Effect.from_estimate(-0.1, 0.02, outcome="o")})
    n = 40_000
    sim = value.simulate(r, n_draws=n, random_state=3)
    for k in ("pv_benefits", "pv_costs", "npv"):
        x = sim.draws[k]
        assert x.mean() == pytest.approx(sim.central[k], abs=4 * x.std() / n**0.5), k
    for metric in ("npv", "sroi_ratio"):
        lo, hi = sim.interval(metric, 0.95)
        assert lo < sim.central[metric] < hi
    # costs: PERT(150, 200, 250) and PERT(50, 100, 150) uplifted by 20%: mean = central
    assert sim.central["pv_costs"] == pytest.approx(1.2 * (200 + 100 / 1.035), rel=1e-12)


def test_hand_built_central_inside_interval_with_a_skewed_cost_range(tmp_path):
    """A skewed delivery range (mode near the low end) moves the mean above the central cost,
    but the central figure stays inside the 95% interval, as the uplift is in both."""
    delivery = [{"year": 0, "amount": 200, "description": "d", "low": 190, "high": 400}]
    spec = vh.tiny_spec(
        tmp_path,
        [vh.cost_row(confidence="4", low=80, high=120)],
        valuation={"optimism_bias": {"costs": 0.4, "benefits_by_confidence": True}},
        delivery=delivery,
    )
    r = quiet_run(spec, {"o": Effect.from_estimate(-0.1, 0.03, outcome="o")})
    assert r.pv_costs == pytest.approx(280.0, rel=1e-12)  # 200 x 1.4, year 0
    sim = value.simulate(r, n_draws=20_000, random_state=8)
    for metric in ("npv", "sroi_ratio", "pv_costs", "pv_benefits"):
        lo, hi = sim.interval(metric, 0.95)
        assert lo < sim.central[metric] < hi, metric
    # PERT mean (190 + 4 x 200 + 400) / 6 = 231.67, uplifted by 40%
    assert sim.draws["pv_costs"].mean() == pytest.approx(1.4 * 1390 / 6, rel=0.005)


def test_saved_summary_has_the_seed_draws_intervals_and_chance(sample):
    """What value_results.json and results.json keep of the Monte Carlo (not the draws)."""
    spec, r = sample
    sim = value.simulate(r, n_draws=3000, random_state=spec.seed)
    d = sim.to_dict()
    assert d["n_draws"] == 3000 and d["random_state"] == spec.seed
    assert d["prob_npv_positive"] == pytest.approx(float((sim.draws["npv"] > 0).mean()))
    for level in (90, 95):
        q = (1 - level / 100) / 2
        for metric in ("sroi_ratio", "npv"):
            x = sim.draws[metric]
            assert d[f"{metric}_{level}"] == pytest.approx(
                [x.quantile(q), x.quantile(1 - q)], rel=1e-12
            )
    pct = {row["metric"]: row for row in d["percentiles"]}
    assert pct["npv"]["p50"] == pytest.approx(sim.draws["npv"].median(), rel=1e-12)
    assert pct["npv"]["central"] == pytest.approx(r.npv, rel=1e-12)
    assert "draws" not in d
