"""Multiplier bootstrap (Rademacher, IQR SE, sup-t bands, clustered multipliers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sroi
from sroi.impact.inference.multiplier_bootstrap import cluster_sums, multiplier_bootstrap


def simulate_panel(n=800, T=5, seed=0, effect=0.5):
    """Selection on x with x-specific trends: unconditional DiD is biased, covariates fix it."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p_treat = 1 / (1 + np.exp(-(x - 0.3)))
    treated = rng.uniform(size=n) < p_treat
    G = np.where(treated, rng.choice([3, 4], size=n), 0)
    t = np.arange(1, T + 1)
    y0 = (
        rng.normal(size=n)[:, None]
        + 0.3 * t[None, :]
        + 0.4 * x[:, None] * t[None, :]
        + 0.3 * rng.normal(size=(n, T))
    )
    y1 = y0 + effect
    post = (G[:, None] > 0) & (t[None, :] >= G[:, None])
    y = np.where(post, y1, y0)
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), T),
            "t": np.tile(t, n),
            "y": y.ravel(),
            "y0": y0.ravel(),
            "g": np.repeat(G, T),
            "x": np.repeat(x, T),
            "school": np.repeat(np.arange(n) % 40, T),
        }
    )


def test_bootstrap_se_matches_analytic_se():
    rng = np.random.default_rng(0)
    n = 2000
    inf = rng.normal(size=(n, 3)) * np.array([1.0, 2.0, 0.5])
    bs = multiplier_bootstrap(inf, 4000, seed=1)
    analytic = np.sqrt(np.sum(inf**2, axis=0)) / n
    np.testing.assert_allclose(bs.std_error, analytic, rtol=0.05)
    # draws are (1/n) sum V_i psi_i with V_i in {-1, 1}
    assert bs.draws.shape == (4000, 3)
    z = stats.norm.ppf(0.975)
    bonferroni = stats.norm.ppf(1 - 0.025 / 3)
    assert z * 0.97 < bs.crit_uniform < bonferroni * 1.03


def test_same_seed_same_draws_and_rademacher():
    inf = np.arange(1.0, 7.0)[:, None]
    a = multiplier_bootstrap(inf, 50, seed=3)
    b = multiplier_bootstrap(inf, 50, seed=3)
    np.testing.assert_array_equal(a.draws, b.draws)
    # each draw is sum(+-psi)/n: all values reachable by sign flips of 1..6, over 6
    vals = a.draws[:, 0] * 6
    assert np.all(np.isclose(vals, np.round(vals))) and np.all(np.abs(vals) <= 21)
    c = multiplier_bootstrap(inf, 50, seed=4)
    assert not np.array_equal(a.draws, c.draws)


def test_clustered_multipliers_match_clustered_analytic():
    rng = np.random.default_rng(2)
    n, G = 3000, 60
    codes = rng.integers(0, G, size=n)
    shock = rng.normal(size=G)[codes]
    inf = (rng.normal(size=n) + 2 * shock)[:, None]
    bs = multiplier_bootstrap(inf, 4000, seed=5, codes=codes, n_clusters=G)
    S = cluster_sums(inf, codes, G)
    analytic = np.sqrt(np.sum(S**2)) / n
    assert bs.std_error[0] == pytest.approx(analytic, rel=0.07)
    iid = np.sqrt(np.sum(inf**2)) / n
    assert bs.std_error[0] > 1.5 * iid


def test_staggered_bootstrap_labels_and_reproducibility():
    df = simulate_panel(n=600, seed=7)
    kw = dict(outcome="y", unit="id", time="t", cohort="g", covariates=["x"])
    analytic = sroi.staggered_did(df, **kw)
    boot = sroi.staggered_did(df, n_boot=999, random_state=11, **kw)
    again = sroi.staggered_did(df, n_boot=999, random_state=11, **kw)
    assert boot.att_gt.attrs["ci_type"].startswith("multiplier bootstrap, uniform")
    assert analytic.att_gt.attrs["ci_type"] == "analytic pointwise"
    np.testing.assert_array_equal(boot.att_gt["std_error"], again.att_gt["std_error"])
    np.testing.assert_allclose(boot.att_gt["att"], analytic.att_gt["att"])
    np.testing.assert_allclose(boot.att_gt["std_error"], analytic.att_gt["std_error"], rtol=0.15)
    # uniform band is wider than the pointwise one
    crit = boot.att_gt.attrs["critical_value"]
    assert crit > stats.norm.ppf(0.975)
    eff = boot.aggregate_effect("group")
    assert eff.ci_type == "multiplier bootstrap SE, pointwise"
    assert eff.draws is not None and len(eff.draws) == 999
    assert np.mean(eff.draws) == pytest.approx(
        eff.estimate, abs=3 * eff.std_error / np.sqrt(999) * 3
    )
    assert eff.std_error == pytest.approx(analytic.aggregate_effect("group").std_error, rel=0.15)
    assert boot.aggregate_effect("group").std_error == eff.std_error  # same multipliers
    for kind in ("simple", "dynamic", "calendar"):
        # the weight-estimation term is bootstrapped too (basis of cohort indicators)
        assert boot.aggregate_effect(kind).std_error == pytest.approx(
            analytic.aggregate_effect(kind).std_error, rel=0.15
        )
    dyn = boot.aggregate("dynamic").table
    assert dyn.attrs["ci_type"].startswith("multiplier bootstrap")


def test_staggered_clustered_bootstrap():
    df = simulate_panel(n=800, seed=8)
    res = sroi.staggered_did(
        df,
        outcome="y",
        unit="id",
        time="t",
        cohort="g",
        covariates=["x"],
        cluster="school",
        n_boot=999,
        random_state=1,
    )
    ana = sroi.staggered_did(
        df, outcome="y", unit="id", time="t", cohort="g", covariates=["x"], cluster="school"
    )
    a, b = res.aggregate_effect("group"), ana.aggregate_effect("group")
    assert a.std_error == pytest.approx(b.std_error, rel=0.2)
    assert a.n_clusters == 40


@pytest.mark.parametrize(("G", "n_boot"), [(5003, 999), (4096, 130), (9, 7)])
def test_blocked_multipliers_are_the_same_draws(monkeypatch, G, n_boot):
    """Many rows: the draws are multiplied by blocks of rows and groups of draws (S read
    fewer times); the multipliers are the same, so the draws agree with the row-at-once
    path to summation-order rounding (small BLOCK_UNITS here force the blocked path)."""
    import sys

    mb = sys.modules["sroi.impact.inference.multiplier_bootstrap"]
    S = np.random.default_rng(3).normal(size=(G, 4))
    monkeypatch.setattr(mb, "BLOCK_UNITS", 10**9)
    monkeypatch.setattr(mb, "CHUNK_CELLS", 2**14)  # chunks of a few draws, as for 1M rows
    whole = mb.rademacher_draws(S, n_boot, 11, G)
    monkeypatch.setattr(mb, "BLOCK_UNITS", 8)
    blocked = mb.rademacher_draws(S, n_boot, 11, G)
    np.testing.assert_allclose(blocked, whole, rtol=0, atol=1e-13 * np.abs(whole).max())
    # and they are Rademacher draws: another seed gives other draws
    monkeypatch.setattr(mb, "BLOCK_UNITS", 8)
    assert not np.allclose(mb.rademacher_draws(S, n_boot, 12, G), blocked)
