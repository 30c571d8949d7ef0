"""Balance table: parity with MatchIt's summary() and hand-computable cases."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from sroi.errors import SroiInputError
from sroi.impact.balance import balance_table, effective_sample_size, love_plot, overlap_plot
from tests.impact.matchit_fixtures import F, load_lalonde, run_spec

matplotlib.use("Agg")


@pytest.mark.parametrize("name", ["nn1", "ratio3_caliper", "replace2", "exact", "mahal"])
def test_balance_matches_matchit_summary(name):
    d = load_lalonde()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m, _ = run_spec(d, name, use_r_distance=True)
    b = m.balance(include_distance=False)
    b.index = b.index.str.replace("_", "")
    for tag, suf in (("all", "before"), ("matched", "after")):
        r = pd.read_csv(F / f"{name}_balance_{tag}.csv").set_index("term")
        r = r.loc[[i for i in r.index if i != "distance"]]
        for col in ["mean_t", "mean_c", "smd", "var_ratio", "ecdf_mean", "ecdf_max"]:
            np.testing.assert_allclose(
                b.loc[r.index, f"{col}_{suf}"].to_numpy(float),
                r[col].to_numpy(float),
                rtol=1e-8,
                atol=1e-10,
                err_msg=f"{name} {tag} {col}",
            )


def test_hand_computed_smd_and_variance_ratio():
    X = pd.DataFrame({"x": [1.0, 2.0, 3.0, 2.0, 4.0, 6.0], "b": [1, 0, 1, 0, 0, 1]})
    t = np.array([1, 1, 1, 0, 0, 0])
    b = balance_table(X, t)
    # treated mean 2, control mean 4, treated SD 1 -> SMD -2; var ratio 1 / 4
    assert b.loc["x", "smd_before"] == pytest.approx(-2.0)
    assert b.loc["x", "var_ratio_before"] == pytest.approx(0.25)
    # binary: p_t = 2/3, p_c = 1/3, sd = sqrt(2/9)
    assert b.loc["b", "smd_before"] == pytest.approx((1 / 3) / np.sqrt(2 / 9))
    raw = balance_table(X, t, binary="raw")
    assert raw.loc["b", "smd_before"] == pytest.approx(1 / 3)
    pooled = balance_table(X, t, s_d="pooled")
    assert pooled.loc["x", "smd_before"] == pytest.approx(-2 / np.sqrt((1 + 4) / 2))
    # eCDF at 1,2,3,4,6: F_t = 1/3,2/3,1,1,1 ; F_c = 0,1/3,1/3,2/3,1
    assert b.loc["x", "ecdf_max_before"] == pytest.approx(2 / 3)
    assert b.loc["x", "ecdf_mean_before"] == pytest.approx((1 / 3 + 1 / 3 + 2 / 3 + 1 / 3) / 5)
    # weights that copy the treated distribution onto the controls remove the imbalance
    X2 = pd.DataFrame({"x": [1.0, 2.0, 3.0, 3.0, 1.0, 2.0, 50.0]})
    t2 = np.array([1, 1, 1, 0, 0, 0, 0])
    b2 = balance_table(X2, t2, weights=np.array([1, 1, 1, 1, 1, 1, 0.0]))
    assert b2.loc["x", "smd_before"] < -0.5
    assert b2.loc["x", "smd_after"] == pytest.approx(0.0)
    assert b2.loc["x", "ecdf_max_after"] == pytest.approx(0.0)
    assert b2.attrs["ess_control"] == pytest.approx(3.0)


def test_squares_interactions_and_ess():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50)})
    t = (rng.random(50) < 0.4).astype(int)
    b = balance_table(X, t, weights=np.ones(50), squares=True, interactions=True)
    assert {"a^2", "b^2", "a * b"} <= set(b.index)
    np.testing.assert_allclose(b["smd_before"], b["smd_after"])
    assert effective_sample_size(np.ones(10)) == 10
    assert effective_sample_size(np.array([1.0, 1.0, 2.0])) == pytest.approx(16 / 6)
    with pytest.raises(SroiInputError):
        effective_sample_size(np.array([-1.0, 2.0]))


def test_bad_inputs():
    X = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    with pytest.raises(SroiInputError, match="treat"):
        balance_table(X, np.array([0, 1]))
    with pytest.raises(SroiInputError, match="s_d"):
        balance_table(X, np.array([0, 1, 1]), s_d="bad")
    with pytest.raises(SroiInputError, match="missing"):
        balance_table(pd.DataFrame({"x": [1.0, np.nan, 3.0]}), np.array([0, 1, 1]))


def test_plots_return_figures():
    from matplotlib.figure import Figure

    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    t = np.r_[np.ones(20), np.zeros(20)].astype(int)
    b = balance_table(X, t, weights=np.ones(40))
    assert isinstance(love_plot(b), Figure)
    assert isinstance(overlap_plot(rng.random(40), t, weights=np.ones(40)), Figure)


def test_match_result_plots():
    from matplotlib.figure import Figure

    import sroi

    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {
            "t": np.r_[np.ones(30), np.zeros(90)].astype(int),
            "x": np.r_[rng.normal(0.5, 1, 30), rng.normal(0, 1, 90)],
        }
    )
    m = sroi.match(df, "t", ["x"])
    assert isinstance(m.love_plot(), Figure)
    assert isinstance(m.overlap_plot(), Figure)
    mm = sroi.match(df, "t", ["x"], distance="mahalanobis")
    with pytest.raises(SroiInputError, match="propensity"):
        mm.overlap_plot()
