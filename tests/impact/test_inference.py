"""sroi.impact.inference.sandwich against R sandwich 3.0-2 (fixture made by
tests/fixtures/matchit/make_fixtures.R: weighted lm on lalonde, vcovHC / vcovCL)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sroi.errors import SroiInputError
from sroi.impact.inference.multiplier_bootstrap import multiplier_bootstrap
from sroi.impact.inference.sandwich import vcov_cluster, vcov_hc, wls_fit

F = Path(__file__).resolve().parents[1] / "fixtures" / "matchit"


@pytest.fixture(scope="module")
def fit():
    d = pd.read_csv(F / "lalonde.csv")
    X = np.column_stack([np.ones(len(d)), d["treat"], d["age"], d["educ"], d["married"]])
    w = 1 + (d["age"].to_numpy() % 3) / 2
    beta, resid, bread = wls_fit(X, d["re78"].to_numpy(float), w)
    return d, X, w, beta, resid, bread


def _ref(kind: str) -> np.ndarray:
    v = pd.read_csv(F / "sandwich_vcov.csv")
    v = v[v["type"] == kind]
    return (
        v.pivot(index="row", columns="col", values="value")
        .loc[
            ["(Intercept)", "treat", "age", "educ", "married"],
            ["(Intercept)", "treat", "age", "educ", "married"],
        ]
        .to_numpy()
    )


def test_coefficients(fit):
    _, _, _, beta, _, _ = fit
    ref = pd.read_csv(F / "sandwich_coef.csv")["coef"].to_numpy()
    np.testing.assert_allclose(beta, ref, rtol=1e-10)


@pytest.mark.parametrize("kind", ["HC0", "HC1", "HC2", "HC3"])
def test_vcov_hc_matches_vcovHC(fit, kind):
    _, X, w, _, resid, bread = fit
    np.testing.assert_allclose(vcov_hc(X, resid, bread, w, type=kind), _ref(kind), rtol=1e-8)


def test_vcov_cluster_matches_vcovCL(fit):
    d, X, w, _, resid, bread = fit
    np.testing.assert_allclose(
        vcov_cluster(X, resid, bread, d["race"], w), _ref("CL1_HC1"), rtol=1e-8
    )
    np.testing.assert_allclose(
        vcov_cluster(X, resid, bread, d["race"], w, type="HC0"), _ref("CL1_HC0"), rtol=1e-8
    )
    np.testing.assert_allclose(
        vcov_cluster(X, resid, bread, d["race"], w, cadjust=False), _ref("CL1_nocadj"), rtol=1e-8
    )
    two = d[["race", "educ"]]
    np.testing.assert_allclose(vcov_cluster(X, resid, bread, two, w), _ref("CL2_HC1"), rtol=1e-8)


def test_hand_computed_hc0():
    # y = a + b x, two groups of two points: HC0 by hand
    X = np.array([[1, 0], [1, 0], [1, 1], [1, 1.0]])
    y = np.array([1.0, 3.0, 2.0, 6.0])
    beta, resid, bread = wls_fit(X, y)
    assert beta == pytest.approx([2.0, 2.0])
    # Var(b) = sum over groups of sum e^2 / n_g^2 = 2/4 + 8/4 = 2.5
    assert vcov_hc(X, resid, bread, type="HC0")[1, 1] == pytest.approx(2.5)


@pytest.mark.parametrize("bad", ["x", -1, 2.5])
def test_multiplier_bootstrap_seed_is_checked(bad):
    psi = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(SroiInputError, match="seed"):
        multiplier_bootstrap(psi, 99, bad)
