"""Two-period panel DiD estimators (Sant'Anna & Zhao 2020) against hand computations and
the drdid reference numbers (tests/fixtures/staggered/drdid_reference.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sroi.errors import SroiInputError
from sroi.impact.staggered.drdid import fit_ipt, fit_logit, fit_pscore, panel_did

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "staggered"
REF = json.loads((FIX / "drdid_reference.json").read_text())
TB = pd.read_csv(FIX / "two_by_two.csv")


def _xy():
    X = TB[["x1", "x2"]].to_numpy()
    return TB["y1"].to_numpy(), TB["y0"].to_numpy(), TB["d"].to_numpy(), X


@pytest.mark.parametrize("case", REF["cases"], ids=lambda c: f"{c['method']}-w{int(c['weighted'])}")
def test_matches_drdid_reference(case):
    y1, y0, d, X = _xy()
    w = TB["w"].to_numpy() if case["weighted"] else None
    res = panel_did(y1, y0, d, X, w, method=case["method"])
    assert res.att == pytest.approx(case["att"], abs=1e-8)
    np.testing.assert_allclose(res.inf_func, case["inf_func"], rtol=1e-6, atol=1e-8)
    ref_se = np.sqrt(np.sum(np.square(case["inf_func"]))) / len(d)
    assert res.std_error == pytest.approx(ref_se, rel=1e-6)


def test_trimming_counts_high_score_controls():
    y1, y0, d, X = _xy()
    res = panel_did(y1, y0, d, X, method="dr")
    _, ps, _ = fit_logit(d, np.column_stack([np.ones(len(d)), X]))
    assert res.n_trimmed == int(np.sum((ps >= 0.995) & (d == 0))) == 2
    assert res.max_pscore == pytest.approx(ps.max())


def test_hand_computed_difference_of_mean_changes():
    # treated changes 3, 5 -> mean 4; controls 1, 2, 3 -> mean 2; ATT = 2
    y0 = np.array([1.0, 2.0, 0.0, 0.0, 0.0])
    y1 = np.array([4.0, 7.0, 1.0, 2.0, 3.0])
    d = np.array([1, 1, 0, 0, 0])
    for m in ("unconditional", "reg", "ipw", "dr", "dr_imp"):
        res = panel_did(y1, y0, d, None, method=m)
        assert res.att == pytest.approx(2.0, abs=1e-12), m
    # influence function: treated (dY - 4) n / n_t, controls -(dY - 2) n / n_c
    res = panel_did(y1, y0, d, None, method="unconditional")
    expected = np.array([-1 * 5 / 2, 1 * 5 / 2, 1 * 5 / 3, 0.0, -1 * 5 / 3])
    np.testing.assert_allclose(res.inf_func, expected, atol=1e-12)
    # SE = sqrt(var_t / n_t + var_c / n_c) with population variances
    assert res.std_error == pytest.approx(np.sqrt(1 / 2 + (2 / 3) / 3))


def test_weights_scale_free_and_equal_to_weighted_means():
    y1, y0, d, X = _xy()
    w = TB["w"].to_numpy()
    a = panel_did(y1, y0, d, None, w, method="unconditional")
    b = panel_did(y1, y0, d, None, 7.5 * w, method="unconditional")
    dy = y1 - y0
    hand = np.average(dy[d == 1], weights=w[d == 1]) - np.average(dy[d == 0], weights=w[d == 0])
    assert a.att == pytest.approx(hand, abs=1e-12)
    assert b.att == pytest.approx(a.att, abs=1e-12)
    np.testing.assert_allclose(a.inf_func, b.inf_func, atol=1e-12)


def test_ipt_balances_covariates():
    """Inverse probability tilting: controls re-weighted by p/(1-p) match treated means."""
    _, _, d, X = _xy()
    Z = np.column_stack([np.ones(len(d)), X])
    ps, ok = fit_ipt(d, Z, np.ones(len(d)))
    assert ok
    odds = ps / (1 - ps)
    ctrl = d == 0
    treated_means = X[d == 1].mean(axis=0)
    ctrl_means = (X[ctrl] * odds[ctrl, None]).sum(axis=0) / odds[ctrl].sum()
    np.testing.assert_allclose(ctrl_means, treated_means, atol=1e-8)


def test_dr_imp_close_to_dr_when_outcome_model_correct():
    y1, y0, d, X = _xy()
    a = panel_did(y1, y0, d, X, method="dr")
    b = panel_did(y1, y0, d, X, method="dr_imp")
    assert abs(a.att - b.att) < 0.5 * a.std_error
    assert b.std_error == pytest.approx(a.std_error, rel=0.3)


def test_precomputed_pscore_gives_same_answer():
    y1, y0, d, X = _xy()
    for m in ("ipw", "dr", "dr_imp"):
        ps = fit_pscore(d, X, None, m)
        a = panel_did(y1, y0, d, X, method=m)
        b = panel_did(y1, y0, d, X, method=m, pscore=ps)
        assert a.att == b.att
    assert fit_pscore(d, X, None, "reg") is None


def test_bad_inputs():
    y1, y0, d, X = _xy()
    with pytest.raises(SroiInputError, match="estimator must be one of"):
        panel_did(y1, y0, d, X, method="magic")
    with pytest.raises(SroiInputError, match="at least one treated"):
        panel_did(y1, y0, np.zeros_like(d), X)
    Xc = np.column_stack([X, 2 * X[:, 0]])
    with pytest.raises(SroiInputError, match="singular"):
        panel_did(y1, y0, d, Xc, method="reg")


@pytest.mark.parametrize("method", ["unconditional", "reg", "ipw", "dr", "dr_imp"])
def test_cells_from_changes_equals_panel_did_cells_and_each_column_panel_did(method):
    from sroi.impact.staggered.drdid import cells_from_changes, panel_did_cells

    rng = np.random.default_rng(5)
    n, k = 400, 3
    X = rng.normal(size=(n, 2))
    d = (rng.random(n) < 1 / (1 + np.exp(-X[:, 0]))).astype(float)
    y0 = rng.normal(size=(n, k)) + X[:, :1]
    y1 = y0 + 0.5 * d[:, None] + rng.normal(size=(n, k))
    w = rng.uniform(0.5, 2, n)
    ref = panel_did_cells(y1, y0, d, X, w, method=method)
    got = cells_from_changes(y1 - y0, d, X, w, method=method)
    np.testing.assert_array_equal(got.att, ref.att)
    np.testing.assert_array_equal(got.inf, ref.inf)
    for j in range(k):
        one = panel_did(y1[:, j], y0[:, j], d, X, w, method=method)
        np.testing.assert_allclose(got.att[j], one.att, rtol=1e-12)
    # whole-number changes (counts) are taken as floats, not refused or truncated
    dy_int = np.round(3 * (y1 - y0)).astype(int)
    as_int = cells_from_changes(dy_int.copy(), d, X, w, method=method)
    as_float = cells_from_changes(dy_int.astype(float), d, X, w, method=method)
    np.testing.assert_array_equal(as_int.att, as_float.att)
