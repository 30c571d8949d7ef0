"""IPW and entropy balancing through sroi.match(method=...)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sroi
from sroi.errors import SroiInputError
from sroi.impact.matching.weighting import entropy_balance, ipw_weights


def _df(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.5, n)
    p = 1 / (1 + np.exp(-(-0.5 + 0.8 * x1 + 0.4 * x2)))
    t = (rng.random(n) < p).astype(int)
    y = x1 + 2 * t + rng.normal(size=n)
    return pd.DataFrame({"t": t, "x1": x1, "x2": x2, "y": y})


def test_ipw_weights_hand():
    e = np.array([0.2, 0.5, 0.8])
    t = np.array([1, 0, 0])
    np.testing.assert_allclose(ipw_weights(e, t, "ATT"), [1, 1, 4])
    np.testing.assert_allclose(ipw_weights(e, t, "ATE"), [5, 2, 5])
    with pytest.raises(SroiInputError):
        ipw_weights(np.array([0.0, 0.5, 0.5]), t)


def test_ipw_through_match():
    df = _df()
    m = sroi.match(df, "t", ["x1", "x2"], method="ipw")
    e = m.all_data["distance"].to_numpy()
    np.testing.assert_allclose(m.weights[df.t == 0], (e / (1 - e))[df.t == 0])
    eff = m.effect("y")
    assert eff.ci_type.endswith("(HC3)")
    assert abs(eff.estimate - 2) < 0.4
    ate = sroi.match(df, "t", ["x1", "x2"], method="ipw", estimand="ATE")
    assert ate.estimand == "ATE"


def test_entropy_balancing_balances_means_exactly():
    df = _df(seed=1)
    m = sroi.match(df, "t", ["x1", "x2"], method="ebal")
    b = m.balance()
    assert np.abs(b["mean_t_after"] - b["mean_c_after"]).max() < 1e-6
    w = m.weights[df.t == 0]
    assert w.sum() == pytest.approx((df.t == 0).sum())
    assert abs(m.effect("y").estimate - 2) < 0.4


def test_entropy_balance_infeasible():
    X = np.array([[5.0], [6.0], [0.0], [1.0]])
    with pytest.raises(SroiInputError, match="did not converge"):
        entropy_balance(X, np.array([1, 1, 0, 0]))
