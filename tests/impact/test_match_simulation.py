"""Simulation with a known effect: bias and 95% interval coverage of the matching estimator
(1:1 nearest neighbour on an estimated logit score, g-computation, SEs clustered by matched
set). Fixed seed, 500 replications."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import sroi

N_REPS = 500
TAU = 2.0


def _one(rng: np.random.Generator) -> tuple[float, float, float, float]:
    n = 300
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, size=n)
    p = 1 / (1 + np.exp(-(-1.3 + 0.7 * x1 + 0.5 * x2)))
    t = (rng.random(n) < p).astype(int)
    y0 = 1 + 1.5 * x1 - x2 + rng.normal(size=n)
    tau_i = TAU + 0.5 * (x2 - 0.4)
    y = y0 + t * tau_i
    df = pd.DataFrame({"t": t, "x1": x1, "x2": x2, "y": y})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = sroi.match(df, "t", ["x1", "x2"])
        e = m.effect("y", covariates=["x1", "x2"])
    satt = tau_i[(t == 1) & (m.weights.to_numpy() > 0)].mean()
    return e.estimate, satt, e.ci_low, e.ci_high


@pytest.mark.slow
def test_bias_and_coverage():
    rng = np.random.default_rng(20261123)
    res = np.array([_one(rng) for _ in range(N_REPS)])
    err = res[:, 0] - res[:, 1]
    mc_se = err.std(ddof=1) / np.sqrt(N_REPS)
    assert abs(err.mean()) < max(0.05 * TAU, 3 * mc_se)
    cover = np.mean((res[:, 2] <= res[:, 1]) & (res[:, 1] <= res[:, 3]))
    assert 0.93 <= cover <= 0.97, cover
