"""Monte Carlo, tornado, scenarios and switching values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sroi.value as value
from sroi import Effect, SroiInputError
from sroi.value.uncertainty import Distribution
from tests.value import helpers as vh

PV3 = 100 + 100 / 1.035 + 100 / 1.035**2  # PV of 1 event a year for 3 years at 100


def eff(x, se=0.02, outcome="o", **kw):
    return Effect.from_estimate(x, se, outcome=outcome, **kw)


def test_same_seed_same_draws(spec, effects):
    r = value.run(spec, effects)
    a = value.simulate(r, n_draws=2000, random_state=3)
    b = value.simulate(spec, effects, n_draws=2000, random_state=3)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    c = value.simulate(r, n_draws=2000, random_state=4)
    assert not np.allclose(a.draws["npv"], c.draws["npv"])


def test_normal_effect_gives_analytic_spread_and_probability(tmp_path):
    spec = vh.tiny_spec(tmp_path)
    s = value.simulate(spec, {"o": eff(-0.1, se=0.05)}, n_draws=20000, random_state=1)
    slope = -10 * PV3  # d PV / d effect: 10 pupils x (100 per event x discount factors)
    sd_true = abs(slope) * 0.05
    assert s.central["pv_benefits"] == pytest.approx(PV3, rel=1e-9)
    assert s.draws["pv_benefits"].mean() == pytest.approx(PV3, abs=4 * sd_true / 20000**0.5)
    assert s.draws["pv_benefits"].std() == pytest.approx(sd_true, rel=0.03)
    p_true = stats.norm.sf((200 - PV3) / sd_true)
    assert s.prob_npv_positive == pytest.approx(p_true, abs=0.015)
    lo, hi = s.interval("pv_benefits", 0.9)
    assert lo == pytest.approx(PV3 - 1.645 * sd_true, rel=0.05)
    assert hi == pytest.approx(PV3 + 1.645 * sd_true, rel=0.05)


def test_mc_interval_coverage_with_known_truth(tmp_path):
    """Effect estimates scattered around a true effect: the MC 90% interval of PV benefits
    covers the true PV about 90% of the time (the value is linear in the effect)."""
    spec = vh.tiny_spec(tmp_path)
    truth, se = -0.1, 0.04
    res = value.run(spec, {"o": eff(truth, se)})
    true_pv = res.pv_benefits
    rng = np.random.default_rng(7)
    reps = 200
    hits = 0
    est_pv = []
    model = res.model
    g = model.groups["o"]
    for _ in range(reps):
        est = rng.normal(truth, se)
        g.effect = est
        s = value.simulate(model, n_draws=1000, random_state=int(rng.integers(1 << 31)))
        lo, hi = s.interval("pv_benefits", 0.9)
        hits += lo <= true_pv <= hi
        est_pv.append(s.central["pv_benefits"])
    g.effect = truth
    cover = hits / reps
    assert 0.84 <= cover <= 0.96  # nominal 0.90; MC SE of coverage ~0.021
    assert np.mean(est_pv) == pytest.approx(true_pv, abs=3 * 10 * PV3 * se / reps**0.5)


def test_effect_draws_are_used_jointly(tmp_path):
    rows = [vh.cost_row(), vh.cost_row(id="Y", outcome="p")]
    spec = vh.tiny_spec(
        tmp_path,
        rows,
        extra_outcomes=[{"name": "p", "column": "p", "type": "binary", "direction": "decrease"}],
        valuation={
            "outcomes": [
                {
                    "outcome": o,
                    "effect_period": "year",
                    "observed_years": 3,
                    "benefit_years": 3,
                    "in_school": False,
                }
                for o in ("o", "p")
            ]
        },
    )
    d = np.random.default_rng(0).normal(-0.1, 0.05, 500)
    effects = {"o": eff(-0.1, draws=d), "p": eff(-0.1, outcome="p", draws=-0.2 - d)}
    s = value.simulate(spec, effects, n_draws=3000, random_state=0)
    # draws of o and p are perfectly negatively related: benefits sum to a constant
    assert s.draws["pv_benefits"].std() < 1e-8
    assert s.draws["pv_benefits"].mean() == pytest.approx(2 * PV3)
    assert set(s.parameters["distribution"]) == {"draws"}


def test_effect_covariance(tmp_path):
    rows = [vh.cost_row(), vh.cost_row(id="Y", outcome="p")]
    spec = vh.tiny_spec(
        tmp_path,
        rows,
        extra_outcomes=[{"name": "p", "column": "p", "type": "binary", "direction": "decrease"}],
        valuation={
            "outcomes": [
                {
                    "outcome": o,
                    "effect_period": "year",
                    "observed_years": 3,
                    "benefit_years": 3,
                    "in_school": False,
                }
                for o in ("o", "p")
            ]
        },
    )
    effects = {"o": eff(-0.1, 0.05), "p": eff(-0.1, 0.05, outcome="p")}
    cov = pd.DataFrame([[0.0025, 0.0025], [0.0025, 0.0025]], index=["o", "p"], columns=["o", "p"])
    s = value.simulate(spec, effects, n_draws=20000, random_state=0, effect_cov=cov)
    ind = value.simulate(spec, effects, n_draws=20000, random_state=0)
    # perfectly correlated: SD doubles relative to one effect; independent: sqrt(2) times
    one = 10 * PV3 * 0.05
    assert s.draws["pv_benefits"].std() == pytest.approx(2 * one, rel=0.03)
    assert ind.draws["pv_benefits"].std() == pytest.approx(2**0.5 * one, rel=0.03)
    with pytest.raises(SroiInputError, match="effect_cov has no rows"):
        value.simulate(spec, effects, n_draws=10, effect_cov=cov.loc[["o"], ["o"]])


@pytest.mark.parametrize(
    ("dist", "mean", "sd"),
    [
        (Distribution("x", "pert", low=0, mode=1, high=5), (0 + 4 + 5) / 6, None),
        (
            Distribution("x", "triangular", low=0, mode=1, high=5),
            2.0,
            (25 + 1 - 5) ** 0.5 / 18**0.5,
        ),
        (Distribution("x", "uniform", low=2, high=4), 3.0, 2 / 12**0.5),
        (Distribution("x", "lognormal", mean=10, sd=3), 10.0, 3.0),
        (Distribution("x", "normal", mean=1, sd=2), 1.0, 2.0),
        (Distribution("x", "fixed", mode=7), 7.0, 0.0),
    ],
)
def test_distribution_moments(dist, mean, sd):
    x = dist.sample(200_000, np.random.default_rng(0))
    assert x.mean() == pytest.approx(mean, abs=0.02 + 0.01 * abs(mean))
    if sd is not None:
        assert x.std() == pytest.approx(sd, abs=0.02 + 0.01 * sd)


def test_cost_ranges_keep_the_confidence_cut_in_every_draw(tmp_path):
    """A unit cost with its own range is drawn with its grade's cut, as in the central figure
    (until issue 14 the draws dropped it, so the interval missed the central figure)."""
    rows = [vh.cost_row(confidence="5", low=50, high=150)]  # symmetric PERT around 100
    spec = vh.tiny_spec(tmp_path, rows)
    r = value.run(spec, {"o": eff(-0.1, se=1e-9)})
    assert r.pv_benefits == pytest.approx(0.6 * PV3)  # grade 5: benefits cut by 40%
    s = value.simulate(r, n_draws=20000, random_state=0)
    # PERT(50, 100, 150) = 50 + 100 Beta(3, 3): mean 100, SD 100 / sqrt(28)
    mc_se = 0.6 * PV3 / 100 * (100 / 28**0.5) / 20000**0.5
    assert s.draws["pv_benefits"].mean() == pytest.approx(0.6 * PV3, abs=4 * mc_se)
    with pytest.raises(TypeError):
        value.simulate(r, n_draws=10, optimism_bias="replace")  # type: ignore[call-arg]


def test_spec_uncertainty_entries(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        valuation={
            "uncertainty": [
                {"parameter": "attribution:o", "distribution": "uniform", "low": 0.0, "high": 0.5}
            ]
        },
    )
    s = value.simulate(spec, {"o": eff(-0.1, se=1e-9)}, n_draws=20000, random_state=0)
    assert s.draws["pv_benefits"].mean() == pytest.approx(0.75 * PV3, rel=0.01)
    assert "attribution:o" in set(s.parameters["parameter"])
    bad = vh.tiny_spec(
        tmp_path,
        valuation={
            "uncertainty": [{"parameter": "attribution:zzz", "distribution": "fixed", "mode": 0.1}]
        },
    )
    with pytest.raises(SroiInputError, match="not in the model"):
        value.simulate(bad, {"o": eff(-0.1)}, n_draws=10)


def test_tornado_and_scenarios(spec, effects):
    s = value.simulate(spec, effects, n_draws=4000, random_state=0)
    t = s.tornado
    assert (np.diff(t["swing"].to_numpy()) <= 1e-9).all()
    sc = s.scenarios.set_index("scenario")
    assert sc.loc["low", "npv"] <= sc.loc["central", "npv"] <= sc.loc["high", "npv"]
    assert sc.loc["central", "sroi_ratio"] == pytest.approx(s.central["sroi_ratio"])
    assert "P(NPV > 0)" in s.summary()
    d = s.to_dict()
    assert d["n_draws"] == 4000 and len(d["tornado"]) == len(t)


def test_plot_tornado(spec, effects):
    import matplotlib

    matplotlib.use("Agg")
    s = value.simulate(spec, effects, n_draws=500, random_state=0)
    ax = s.plot_tornado()
    assert len(ax.patches) == min(10, len(s.tornado))


def test_switching_values_give_ratio_one(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        valuation={
            "adjustments": {"attribution": 0.2, "drop_off": 0.3},
            "outcomes": [
                {
                    "outcome": "o",
                    "effect_period": "year",
                    "observed_years": 1,
                    "benefit_years": 3,
                    "in_school": False,
                }
            ],
        },
    )
    r = value.run(spec, {"o": eff(-0.1)})
    sv = r.switching_values().set_index("parameter")
    model = r.model
    for p in ("effect:o", "cost:X", "attribution:o", "delivery:0", "effect_share", "drop_off:o"):
        x = sv.loc[p, "switching_value"]
        if not np.isfinite(x):
            continue
        ratio = model.headline({p: np.array([x])})["sroi_ratio"][0]
        assert ratio == pytest.approx(1.0, abs=1e-6), p
    # break-even share of the estimated effect is costs / benefits
    assert sv.loc["effect_share", "switching_value"] == pytest.approx(r.pv_costs / r.pv_benefits)


def test_simulate_input_errors(spec, effects):
    with pytest.raises(SroiInputError, match="n_draws"):
        value.simulate(spec, effects, n_draws=1)
    s = value.simulate(spec, effects, n_draws=100)
    with pytest.raises(SroiInputError, match="unknown metric"):
        s.interval("nope")


def test_uncertainty_of_an_outcome_not_valued_is_skipped_and_said(tmp_path):
    """An outcome without an effect is not valued: its distribution is skipped (a note), while
    a misspelt parameter stays an error."""
    import warnings

    spec = vh.tiny_spec(
        tmp_path,
        valuation={
            "outcomes": [vh.tiny_outcome(), vh.tiny_outcome(outcome="p")],
            "uncertainty": [
                {"parameter": "attribution:p", "distribution": "uniform", "low": 0, "high": 0.2}
            ],
        },
        extra_outcomes=[{"name": "p", "column": "p", "type": "binary", "direction": "decrease"}],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = value.run(spec, {"o": Effect.from_estimate(-0.1, 0.01, outcome="o")})
    s = value.simulate(r, n_draws=20, random_state=3)
    assert any("attribution:p skipped" in n for n in s.notes)
    bad = spec.with_overrides(
        {
            "valuation.uncertainty": [
                {"parameter": "attribution:q", "distribution": "fixed", "mode": 0.1}
            ]
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rb = value.run(bad, {"o": Effect.from_estimate(-0.1, 0.01, outcome="o")})
    with pytest.raises(SroiInputError, match="attribution:q"):
        value.simulate(rb, n_draws=20, random_state=3)
