"""Monte Carlo check of sroi.staggered_did: bias and 95% coverage of the group aggregation.

Design (illustrative numbers): 400 units, 5 periods, cohorts 3 and 4 (equally likely among
the treated) and never treated; treatment probability and outcome trends depend on a
covariate x; effects grow with event time and differ by cohort:
``tau(g, t) = 1 + 0.5 (t - g) + 0.3 * 1[g = 4]``. The population group-aggregated ATT is
``0.5 * mean(tau(3, 3..5)) + 0.5 * mean(tau(4, 4..5)) = 0.5 * 1.5 + 0.5 * 1.55 = 1.525``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sroi

TRUE_GROUP = 0.5 * 1.5 + 0.5 * 1.55
TRUE_DYNAMIC = {0: 1.15, 1: 1.65}  # cohort-share weighted: 0.5*(1+0.5e) + 0.5*(1.3+0.5e)


def draw(rng, n=400, T=5):
    x = rng.normal(size=n)
    treated = rng.uniform(size=n) < 1 / (1 + np.exp(-(0.5 * x - 0.2)))
    G = np.where(treated, rng.choice([3, 4], size=n), 0)
    t = np.arange(1, T + 1)
    e = t[None, :] - G[:, None]
    tau = np.where((G[:, None] > 0) & (e >= 0), 1 + 0.5 * e + 0.3 * (G[:, None] == 4), 0.0)
    y = (
        rng.normal(size=n)[:, None]
        + 0.2 * t[None, :]
        + 0.3 * x[:, None] * t[None, :]
        + rng.normal(size=(n, T))
        + tau
    )
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), T),
            "t": np.tile(t, n),
            "y": y.ravel(),
            "g": np.repeat(G, T),
            "x": np.repeat(x, T),
        }
    )


@pytest.mark.slow
def test_group_aggregation_bias_and_coverage():
    rng = np.random.default_rng(20240601)
    reps = 300
    est = np.empty(reps)
    cover = np.empty(reps, dtype=bool)
    cover_dyn = np.empty((reps, 2), dtype=bool)
    for r in range(reps):
        res = sroi.staggered_did(
            draw(rng), outcome="y", unit="id", time="t", cohort="g", covariates=["x"]
        )
        eff = res.aggregate_effect("group")
        est[r] = eff.estimate
        cover[r] = eff.ci_low <= TRUE_GROUP <= eff.ci_high
        dyn = res.aggregate("dynamic").table.set_index("event_time")
        for j, e in enumerate((0, 1)):
            cover_dyn[r, j] = dyn.loc[e, "ci_low"] <= TRUE_DYNAMIC[e] <= dyn.loc[e, "ci_high"]
    bias = est.mean() - TRUE_GROUP
    mc_se = est.std(ddof=1) / np.sqrt(reps)
    print(
        f"bias {bias:.4f} (MC SE {mc_se:.4f}); coverage {cover.mean():.3f}; dyn {cover_dyn.mean(0)}"
    )
    assert abs(bias) < max(0.05 * TRUE_GROUP, 3 * mc_se)
    assert 0.92 <= cover.mean() <= 0.98
    assert np.all((cover_dyn.mean(axis=0) >= 0.92) & (cover_dyn.mean(axis=0) <= 0.98))


TRUE_DYNAMIC_ALL = {-3: 0.0, -2: 0.0, -1: 0.0, 0: 1.15, 1: 1.65, 2: 2.0}  # e=2: cohort 3 only


@pytest.mark.slow
def test_uniform_bootstrap_band_covers_all_event_times():
    """Sup-t bands from the multiplier bootstrap cover every event-time effect jointly."""
    rng = np.random.default_rng(7)
    reps = 200
    joint = np.empty(reps, dtype=bool)
    for r in range(reps):
        res = sroi.staggered_did(
            draw(rng, n=300),
            outcome="y",
            unit="id",
            time="t",
            cohort="g",
            covariates=["x"],
            n_boot=299,
            random_state=r,
        )
        dyn = res.aggregate("dynamic").table.set_index("event_time")
        truth = pd.Series(TRUE_DYNAMIC_ALL).reindex(dyn.index)
        joint[r] = bool(((dyn["ci_low"] <= truth) & (truth <= dyn["ci_high"])).all())
    print(f"joint coverage of the uniform band: {joint.mean():.3f}")
    assert 0.91 <= joint.mean() <= 0.985
