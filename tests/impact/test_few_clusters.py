"""Tests for the few-cluster machinery: CR2 (vs R clubSandwich and by brute force), the wild
cluster restricted bootstrap (vs a naive re-fitting loop) and randomisation inference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sroi.errors import SroiInputError
from sroi.impact.inference.cr2 import vcov_cr2
from sroi.impact.inference.randomization import randomization_inference
from sroi.impact.inference.sandwich import vcov_cluster, wls_fit
from sroi.impact.inference.wild_bootstrap import wild_cluster_bootstrap

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "did"


def small_problem(seed=0, g=8, m=6, k=3):
    rng = np.random.default_rng(seed)
    cl = np.repeat(np.arange(g), m)
    X = np.column_stack([np.ones(g * m), rng.normal(size=(g * m, k - 1))])
    X[:, 1] += rng.normal(size=g)[cl]  # cluster-correlated regressor
    y = X @ np.arange(1, k + 1) * 0.1 + rng.normal(size=g)[cl] + rng.normal(size=g * m)
    return X, y, cl


def cr2_brute(X, y, cl, w=None):
    """CR2 from the textbook formulas with dense matrices (Bell & McCaffrey 2002)."""
    n = len(y)
    w = np.ones(n) if w is None else w
    sw = np.sqrt(w)
    Xt, yt = X * sw[:, None], y * sw
    M = np.linalg.inv(Xt.T @ Xt)
    e = yt - Xt @ (M @ Xt.T @ yt)
    H = Xt @ M @ Xt.T
    meat = 0
    A = {}
    for g in np.unique(cl):
        i = cl == g
        vals, vecs = np.linalg.eigh(np.eye(i.sum()) - H[np.ix_(i, i)])
        A[g] = vecs @ np.diag(vals**-0.5) @ vecs.T
        u = Xt[i].T @ A[g] @ e[i]
        meat = meat + np.outer(u, u)
    V = M @ meat @ M
    # Satterthwaite for coefficient 1: p_j = (I-H)_{., j} A_j Xt_j M c
    c = np.zeros(X.shape[1])
    c[1] = 1
    IH = np.eye(n) - H
    P = []
    for g in np.unique(cl):
        i = cl == g
        P.append(IH[:, i] @ A[g] @ Xt[i] @ M @ c)
    P = np.array(P)
    Gm = P @ P.T
    return V, np.trace(Gm) ** 2 / np.sum(Gm**2)


@pytest.mark.parametrize("weighted", [False, True])
def test_cr2_matches_dense_textbook_formula(weighted):
    # unweighted, and weighted with the inverse-weight working model (transformed regression)
    X, y, cl = small_problem()
    w = np.random.default_rng(3).uniform(0.5, 2, len(y)) if weighted else None
    beta, resid, bread = wls_fit(X, y, w)
    V, df = vcov_cr2(X, resid, bread, cl, weights=w, contrast=1, working="inverse_weights")
    Vb, dfb = cr2_brute(X, y, cl, w)
    np.testing.assert_allclose(V, Vb, rtol=1e-10, atol=1e-14)
    assert df == pytest.approx(dfb, rel=1e-10)
    V2, dfs = vcov_cr2(X, resid, bread, cl, weights=w, working="inverse_weights")
    assert dfs[1] == pytest.approx(dfb, rel=1e-10)


def test_cr2_equals_cr0_scaled_when_leverage_is_zero_like():
    # with many tiny clusters and a single constant regressor CR2 -> HC2-like; check the
    # one-cluster-per-row case against the HC2 formula
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(30), rng.normal(size=30)])
    y = rng.normal(size=30)
    beta, resid, bread = wls_fit(X, y)
    V, _ = vcov_cr2(X, resid, bread, np.arange(30))
    from sroi.impact.inference.sandwich import vcov_hc

    np.testing.assert_allclose(V, vcov_hc(X, resid, bread, type="HC2"), rtol=1e-10)


@pytest.mark.parametrize("panel", ["panel", "panel_unbalanced"])
def test_cr2_generic_parity_with_clubsandwich(panel):
    # weighted regression without fixed effects (the matching-style use of vcov_cr2)
    ref = pd.read_csv(FIX / "cr2_reference.csv").set_index("case")
    d = pd.read_csv(FIX / f"{panel}.csv")
    first = d.groupby("unit").time.transform("min")
    d = d[~((d.cohort > 0) & (d.cohort <= first))]
    tdum = pd.get_dummies(d.time, drop_first=True).to_numpy(float)
    X = np.column_stack([np.ones(len(d)), d.D, d.x, tdum])
    w = d.w.to_numpy()
    b, r, M = wls_fit(X, d.y.to_numpy(), w)
    cl = d.school.to_numpy()
    r_id = ref.loc[f"{panel}_nofe_weighted_identity"]
    V, df = vcov_cr2(X, r, M, cl, weights=w, contrast=1)
    assert b[1] == pytest.approx(r_id.estimate, abs=1e-10)
    assert np.sqrt(V[1, 1]) == pytest.approx(r_id.se_cr2, rel=1e-8)
    assert df == pytest.approx(r_id.df_cr2, rel=1e-8)
    # inverse-variance working model: symmetric root vs clubSandwich's Cholesky root differ
    # slightly when weights vary within clusters (documented)
    r_iv = ref.loc[f"{panel}_nofe_weighted_inverse"]
    V, df = vcov_cr2(X, r, M, cl, weights=w, contrast=1, working="inverse_weights")
    assert np.sqrt(V[1, 1]) == pytest.approx(r_iv.se_cr2, rel=1e-2)
    assert df == pytest.approx(r_iv.df_cr2, rel=1e-1)
    # ... and coincide when weights are constant within clusters (absorbed unit effects)
    from sroi.impact.did.within import within_demean

    ws = (0.5 + (d.school % 5) / 4).to_numpy()
    Z = within_demean(np.column_stack([d.y, d.D, tdum]), d.unit.to_numpy(), ws)
    b, r, M = wls_fit(Z[:, 1:], Z[:, 0], ws)
    V, df = vcov_cr2(Z[:, 1:], r, M, cl, weights=ws, contrast=0, working="inverse_weights")
    r_ws = ref.loc[f"{panel}_school_wschool"]
    assert np.sqrt(V[0, 0]) == pytest.approx(r_ws.se_cr2, rel=1e-8)
    assert df == pytest.approx(r_ws.df_cr2, rel=1e-8)


def cr2_brute_identity(X, y, cl, w):
    """Phi = I CR2 with dense matrices: A_j = [(I-H)(I-H)']_jj^{-1/2}, H = X M X'W."""
    n = len(y)
    W = np.diag(w)
    M = np.linalg.inv(X.T @ W @ X)
    H = X @ M @ X.T @ W
    e = y - H @ y
    IH = np.eye(n) - H
    G = IH @ IH.T
    meat, P = 0, []
    c = np.zeros(X.shape[1])
    c[1] = 1
    for g in np.unique(cl):
        i = cl == g
        vals, vecs = np.linalg.eigh(G[np.ix_(i, i)])
        A = vecs @ np.diag(vals**-0.5) @ vecs.T
        u = X[i].T @ W[np.ix_(i, i)] @ A @ e[i]
        meat = meat + np.outer(u, u)
        P.append(IH[i].T @ A @ W[np.ix_(i, i)] @ X[i] @ M @ c)
    P = np.array(P)
    Gm = P @ P.T
    return M @ meat @ M, np.trace(Gm) ** 2 / np.sum(Gm**2)


def test_cr2_identity_matches_dense_formula():
    X, y, cl = small_problem(seed=4)
    w = np.random.default_rng(8).uniform(0.3, 3, len(y))
    b, r, M = wls_fit(X, y, w)
    V, df = vcov_cr2(X, r, M, cl, weights=w, contrast=1)
    Vb, dfb = cr2_brute_identity(X, y, cl, w)
    np.testing.assert_allclose(V, Vb, rtol=1e-10, atol=1e-14)
    assert df == pytest.approx(dfb, rel=1e-10)


def test_cr2_input_errors():
    X, y, cl = small_problem()
    beta, resid, bread = wls_fit(X, y)
    with pytest.raises(SroiInputError, match="2 clusters"):
        vcov_cr2(X, resid, bread, np.zeros(len(y)))
    with pytest.raises(SroiInputError, match="contrast"):
        vcov_cr2(X, resid, bread, cl, contrast=7)
    with pytest.raises(SroiInputError, match="resid"):
        vcov_cr2(X, resid[:-1], bread, cl)
    with pytest.raises(SroiInputError, match="missing"):
        vcov_cr2(X, resid, bread, np.where(np.arange(len(y)) == 0, np.nan, cl))


def naive_wcr(X, y, cl, k, patterns, b0=0.0, w=None):
    """Wild cluster restricted bootstrap by brute force: refit for every weight pattern."""
    n, p = X.shape
    G = len(np.unique(cl))
    adj = G / (G - 1) * (n - 1) / (n - p)
    others = [j for j in range(p) if j != k]
    yr = y - b0 * X[:, k]
    br, ur, _ = wls_fit(X[:, others], yr, w)
    fitted = X[:, others] @ br + b0 * X[:, k]
    beta, resid, bread = wls_fit(X, y, w)
    se = np.sqrt(
        adj * vcov_cluster(X, resid, bread, cl, weights=w, type="HC0", cadjust=False)[k, k]
    )
    t_obs = (beta[k] - b0) / se
    ts = []
    for v in patterns:
        ys = fitted + v[cl] * ur
        bs, rs, _ = wls_fit(X, ys, w)
        ses = np.sqrt(
            adj * vcov_cluster(X, rs, bread, cl, weights=w, type="HC0", cadjust=False)[k, k]
        )
        ts.append((bs[k] - b0) / ses)
    ts = np.array(ts)
    return np.mean(np.abs(ts) >= abs(t_obs) - 1e-12), se, ts


@pytest.mark.parametrize("weighted", [False, True])
def test_wild_bootstrap_matches_brute_force_enumeration(weighted):
    X, y, cl = small_problem(g=7)
    w = np.random.default_rng(5).uniform(0.5, 2, len(y)) if weighted else None
    res = wild_cluster_bootstrap(X, y, cl, 1, weights=w, n_boot=999, random_state=0)
    assert res.n_boot == 2**7  # all Rademacher patterns enumerated
    grid = ((np.arange(2**7)[:, None] >> np.arange(7)[None, :]) & 1) * 2.0 - 1.0
    p, se, ts = naive_wcr(X, y, cl, 1, grid, w=w)
    assert res.p_value == pytest.approx(p, abs=1e-12)
    assert res.std_error == pytest.approx(se, rel=1e-10)
    np.testing.assert_allclose(np.sort(res.t_draws), np.sort(ts), rtol=1e-8, atol=1e-10)
    # the interval inverts the test: just inside each bound the null is not rejected,
    # just outside it is
    eps = 1e-4 * res.std_error
    for bound, sign in ((res.ci_low, -1), (res.ci_high, +1)):
        p_in = naive_wcr(X, y, cl, 1, grid, b0=bound - sign * eps, w=w)[0]
        p_out = naive_wcr(X, y, cl, 1, grid, b0=bound + sign * eps, w=w)[0]
        assert p_in > 0.05 >= p_out


def test_wild_bootstrap_random_draws_reproducible_and_webb():
    X, y, cl = small_problem(g=20, m=4)
    a = wild_cluster_bootstrap(X, y, cl, 1, n_boot=499, random_state=42, weight_type="webb")
    b = wild_cluster_bootstrap(X, y, cl, 1, n_boot=499, random_state=42, weight_type="webb")
    c = wild_cluster_bootstrap(X, y, cl, 1, n_boot=499, random_state=43, weight_type="webb")
    assert a.p_value == b.p_value and a.ci_low == b.ci_low
    assert a.n_boot == 499
    assert not np.array_equal(a.t_draws, c.t_draws)
    with pytest.raises(SroiInputError, match="weight_type"):
        wild_cluster_bootstrap(X, y, cl, 1, weight_type="normal")
    with pytest.raises(SroiInputError, match="coef_index"):
        wild_cluster_bootstrap(X, y, cl, 5)


def test_wild_bootstrap_size_with_few_treated_clusters():
    # 12 clusters, 3 treated: CR1 with normal critical values over-rejects badly; WCR and
    # CR2 with Satterthwaite df hold their size (Cameron, Gelbach & Miller 2008;
    # Pustejovsky & Tipton 2018). Seeded run: WCR 4.5%, CR2 2.5%, CR1 16%.
    from scipy import stats

    rng = np.random.default_rng(2024)
    G, m, reps = 12, 10, 200
    cl = np.repeat(np.arange(G), m)
    d = (cl < 3).astype(float)
    X = np.column_stack([np.ones(G * m), d])
    rej_wcr = rej_cr1 = rej_cr2 = 0
    for _ in range(reps):
        y = rng.normal(size=G)[cl] + rng.normal(size=G * m)
        res = wild_cluster_bootstrap(X, y, cl, 1, n_boot=999, ci=False, random_state=rng)
        rej_wcr += res.p_value <= 0.05
        b, e, M = wls_fit(X, y)
        rej_cr1 += abs(b[1]) / np.sqrt(vcov_cluster(X, e, M, cl)[1, 1]) > 1.96
        V2, df = vcov_cr2(X, e, M, cl, contrast=1)
        rej_cr2 += 2 * stats.t.sf(abs(b[1]) / np.sqrt(V2[1, 1]), df) <= 0.05
    assert rej_wcr / reps < 0.09
    assert rej_cr2 / reps < 0.09
    assert rej_cr1 / reps > 0.10


def test_randomization_inference():
    rng = np.random.default_rng(0)
    G, m = 16, 5
    cl = np.repeat(np.arange(G), m)
    treat = (np.arange(G) < 6).astype(float)[cl]
    X = np.column_stack([np.ones(G * m), treat])
    y_null = rng.normal(size=G * m)
    r1 = randomization_inference(X, y_null, cl, 1, treat, n_perm=499, random_state=1)
    r2 = randomization_inference(X, y_null, cl, 1, treat, n_perm=499, random_state=1)
    assert r1.p_value == r2.p_value and np.array_equal(r1.draws, r2.draws)
    beta = wls_fit(X, y_null)[0]
    assert r1.estimate == pytest.approx(beta[1], abs=1e-12)
    # every permutation keeps 6 treated clusters: the permuted estimates are differences
    # in means between 6 and 10 clusters
    y_eff = y_null + 5 * treat
    r3 = randomization_inference(X, y_eff, cl, 1, treat, n_perm=199, random_state=1)
    assert r3.p_value == pytest.approx(1 / 200)
    with pytest.raises(SroiInputError, match="constant within"):
        randomization_inference(X, y_null, cl, 1, np.arange(G * m) % 2, n_perm=99)


def test_randomization_inference_null_p_values_roughly_uniform():
    rng = np.random.default_rng(9)
    G, m = 10, 3
    cl = np.repeat(np.arange(G), m)
    treat = (np.arange(G) < 4).astype(float)[cl]
    X = np.column_stack([np.ones(G * m), treat])
    ps = [
        randomization_inference(
            X, rng.normal(size=G * m), cl, 1, treat, n_perm=99, random_state=i
        ).p_value
        for i in range(100)
    ]
    assert 0.01 <= np.mean(np.array(ps) <= 0.1) <= 0.22


@pytest.mark.parametrize("bad", ["x", -1, 1.5, True])
def test_random_state_is_checked(bad):
    X, y, cl = small_problem(g=10, m=4)
    with pytest.raises(SroiInputError, match="random_state"):
        wild_cluster_bootstrap(X, y, cl, 1, n_boot=199, random_state=bad)
    assign = (cl < 5).astype(float)
    Xd = np.column_stack([np.ones(len(y)), assign])
    with pytest.raises(SroiInputError, match="random_state"):
        randomization_inference(Xd, y, cl, 1, assign, n_perm=199, random_state=bad)


def test_random_state_accepts_a_generator_like_its_seed():
    X, y, cl = small_problem(g=20, m=4)
    a = wild_cluster_bootstrap(X, y, cl, 1, n_boot=199, random_state=7, weight_type="webb")
    b = wild_cluster_bootstrap(
        X, y, cl, 1, n_boot=199, random_state=np.random.default_rng(7), weight_type="webb"
    )
    np.testing.assert_array_equal(a.t_draws, b.t_draws)
