"""Rosenbaum bounds and E-values: hand-computable cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sroi.errors import SroiInputError
from sroi.impact.sensitivity import e_value, rosenbaum_bounds


def test_rosenbaum_gamma1_is_wilcoxon_normal_approximation():
    rng = np.random.default_rng(0)
    a = rng.normal(0.5, 1, 60)
    b = rng.normal(0, 1, 60)
    out = rosenbaum_bounds(a, b, gammas=[1.0, 2.0])
    d = a - b
    r = stats.rankdata(np.abs(d))
    t = r[d > 0].sum()
    z = (t - r.sum() / 2) / np.sqrt(np.sum(r**2) / 4)
    assert out.loc[0, "p_upper"] == pytest.approx(stats.norm.sf(z))
    assert out.loc[1, "p_upper"] > out.loc[0, "p_upper"]
    crit = out.attrs["gamma_critical"]
    assert crit > 1
    assert rosenbaum_bounds(a, b, gammas=[crit]).loc[0, "p_upper"] == pytest.approx(0.05, abs=1e-6)


def test_rosenbaum_no_effect_and_bad_input():
    rng = np.random.default_rng(1)
    a = rng.normal(size=30)
    assert rosenbaum_bounds(a, a + rng.normal(0, 0.01, 30) + 0.5).attrs["gamma_critical"] == 1.0
    with pytest.raises(SroiInputError):
        rosenbaum_bounds(a, a[:-1])
    with pytest.raises(SroiInputError):
        rosenbaum_bounds(a, a, gammas=[0.5])


def test_e_values():
    # VanderWeele & Ding (2017): RR = 3.9 gives E = 3.9 + sqrt(3.9 * 2.9) = 7.26
    ev = e_value(3.9, 1.8, 8.7)
    assert ev["e_value"] == pytest.approx(3.9 + np.sqrt(3.9 * 2.9))
    assert ev["e_value_ci"] == pytest.approx(1.8 + np.sqrt(1.8 * 0.8))
    assert e_value(0.5)["e_value"] == pytest.approx(2 + np.sqrt(2))
    assert e_value(1.2, 0.9, 1.6)["e_value_ci"] == 1.0
    assert e_value(4.0, scale="odds ratio")["rr"] == pytest.approx(2.0)
    assert e_value(0.5, scale="difference", sd=1.0)["rr"] == pytest.approx(np.exp(0.455))
    with pytest.raises(SroiInputError):
        e_value(0.5, scale="difference")
    with pytest.raises(SroiInputError):
        e_value(-1.0)


def test_e_value_from_effect():
    import sroi

    eff = sroi.Effect(estimate=2.0, ci_low=1.5, ci_high=2.7, scale="risk ratio")
    ev = e_value(eff)
    assert ev["e_value"] == pytest.approx(2 + np.sqrt(2))
    assert ev["e_value_ci"] == pytest.approx(1.5 + np.sqrt(1.5 * 0.5))
    d = sroi.Effect.from_estimate(0.3, 0.1)
    assert e_value(d, sd=1.0)["rr"] == pytest.approx(np.exp(0.91 * 0.3))


def test_rosenbaum_from_match_result():
    import pandas as pd

    import sroi

    rng = np.random.default_rng(4)
    x = rng.normal(size=300)
    t = (rng.random(300) < 1 / (1 + np.exp(-(x - 1)))).astype(int)
    df = pd.DataFrame({"t": t, "x": x, "y": x + 1.0 * t + rng.normal(size=300)})
    m = sroi.match(df, "t", ["x"])
    rb = m.rosenbaum_bounds("y")
    p = m.pairs()
    direct = rosenbaum_bounds(df.loc[p.treated, "y"].to_numpy(), df.loc[p.control, "y"].to_numpy())
    assert rb.attrs["gamma_critical"] == pytest.approx(direct.attrs["gamma_critical"])
    with pytest.raises(SroiInputError, match="1:1"):
        sroi.match(df, "t", ["x"], replace=True).rosenbaum_bounds("y")
