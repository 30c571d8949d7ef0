"""mdes (Bloom 1995; Bloom, Richburg-Hayes & Black 2007)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sroi.errors import SroiInputError
from sroi.impact.power import mdes


def test_individual_design_large_n_uses_2_8_multiplier():
    # large n: M ~ 1.96 + 0.84 = 2.80; balanced design, no covariates: 2.8 * 2 / sqrt(n)
    m = mdes(10_000)
    assert m == pytest.approx((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * 2 / 100, rel=1e-3)
    assert mdes(10_000, r2=0.5) == pytest.approx(m * np.sqrt(0.5), rel=1e-9)
    assert mdes(10_000, sd=10) == pytest.approx(10 * m)


def test_clustered_design_hand_computed():
    j, n, rho = 40, 25, 0.1
    m_mult = stats.t.ppf(0.975, j - 2) + stats.t.ppf(0.8, j - 2)
    expect = m_mult * np.sqrt(rho / (0.25 * j) + (1 - rho) / (0.25 * j * n))
    assert mdes(n_clusters=j, cluster_size=n, icc=rho) == pytest.approx(expect)
    # icc 0 and many clusters approaches the individual design of the same n
    assert mdes(n_clusters=400, cluster_size=25, icc=0) == pytest.approx(mdes(10_000), rel=0.01)


def test_bad_input():
    with pytest.raises(SroiInputError):
        mdes()
    with pytest.raises(SroiInputError):
        mdes(100, icc=1.2)
    with pytest.raises(SroiInputError):
        mdes(n_clusters=2, cluster_size=10)
