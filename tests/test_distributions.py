"""sroi._distributions gives exactly scipy.stats' numbers (same special calls)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sroi import _distributions as d

Q = np.array([0.0, 1e-12, 0.001, 0.025, 0.1, 0.5, 0.8, 0.975, 0.999, 1 - 1e-12, 1.0])
X = np.array([-40.0, -8.0, -2.5, -1.0, -1e-9, 0.0, 0.3, 1.96, 3.0, 8.0, 40.0, np.nan])
DF = [1.0, 2.5, 6.0, 30.0, 1e6]


def test_normal_functions_match_scipy_stats():
    np.testing.assert_array_equal(d.norm_ppf(Q), stats.norm.ppf(Q))
    np.testing.assert_array_equal(d.norm_cdf(X), stats.norm.cdf(X))
    np.testing.assert_array_equal(d.norm_sf(X), stats.norm.sf(X))
    np.testing.assert_array_equal(d.norm_pdf(X), stats.norm.pdf(X))


@pytest.mark.parametrize("df", DF)
def test_t_functions_match_scipy_stats(df):
    np.testing.assert_array_equal(d.t_ppf(Q, df), stats.t.ppf(Q, df))
    np.testing.assert_array_equal(d.t_ppf(Q, df), stats.t(df).ppf(Q))
    np.testing.assert_array_equal(d.t_cdf(X, df), stats.t.cdf(X, df))
    np.testing.assert_array_equal(d.t_sf(X, df), stats.t(df).sf(X))


@pytest.mark.parametrize("df", [1, 2, 5, 12])
def test_chi2_and_f_tails_match_scipy_stats(df):
    x = np.array([0.0, 0.01, 0.5, 1.0, 3.84, 10.0, 50.0, 400.0])
    np.testing.assert_array_equal(d.chi2_sf(x, df), stats.chi2.sf(x, df))
    for dfd in (1.0, 6.0, 99.0):
        np.testing.assert_array_equal(d.f_sf(x, df, dfd), stats.f.sf(x, df, dfd))


def test_normal_or_t_follows_the_degrees_of_freedom():
    assert d.z_or_t_ppf(0.975, None) == stats.norm.ppf(0.975)
    assert d.z_or_t_ppf(0.975, np.inf) == stats.norm.ppf(0.975)
    assert d.z_or_t_ppf(0.975, 6.0) == stats.t(6.0).ppf(0.975)
    assert d.z_or_t_sf(2.1, None) == stats.norm.sf(2.1)
    assert d.z_or_t_sf(2.1, 6.0) == stats.t(6.0).sf(2.1)
    # hand values: the 97.5% normal quantile and the t(6) one (tables: 1.960, 2.447)
    assert round(float(d.z_or_t_ppf(0.975, None)), 3) == 1.960
    assert round(float(d.z_or_t_ppf(0.975, 6.0)), 3) == 2.447
