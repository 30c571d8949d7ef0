"""Holm and Benjamini-Hochberg adjustment against R's p.adjust
(tests/fixtures/staggered/make_p_adjust.R) and by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sroi
from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.impact.inference.multiplicity import adjust_pvalues, adjust_secondary

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "staggered"
REF = json.loads((FIX / "p_adjust_reference.json").read_text())


def _arr(x):
    return np.array([np.nan if v is None else v for v in x], dtype=float)


@pytest.mark.parametrize("case", REF["cases"])
def test_matches_r_p_adjust(case):
    p = _arr(case["p"])
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), _arr(case["holm"]), rtol=1e-12)
    np.testing.assert_allclose(adjust_pvalues(p, "bh"), _arr(case["bh"]), rtol=1e-12)


def test_hand_computed():
    p = [0.01, 0.04, 0.03]
    # Holm: sorted 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> running max 0.03, 0.06, 0.06
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), [0.03, 0.06, 0.06])
    # BH: 0.04*3/3=0.04, 0.03*3/2=0.045 -> min from top: 0.04, 0.04, 0.03
    np.testing.assert_allclose(adjust_pvalues(p, "bh"), [0.03, 0.04, 0.04])
    np.testing.assert_allclose(adjust_pvalues(p, "none"), p)


def test_series_keeps_index_and_public_export():
    s = pd.Series([0.2, 0.01], index=["a", "b"])
    out = sroi.impact.adjust_pvalues(s)
    assert list(out.index) == ["a", "b"]
    assert out["b"] == pytest.approx(0.02)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=15))
def test_properties(ps):
    p = np.array(ps)
    holm = adjust_pvalues(p, "holm")
    bh = adjust_pvalues(p, "bh")
    assert np.all(holm >= p - 1e-15) and np.all(holm <= 1)
    assert np.all(bh >= p - 1e-15) and np.all(bh <= holm + 1e-12)
    order = np.argsort(p, kind="mergesort")
    assert np.all(np.diff(holm[order]) >= -1e-15)
    assert np.all(np.diff(bh[order]) >= -1e-15)


def test_bad_inputs():
    with pytest.raises(SroiInputError, match="method"):
        adjust_pvalues([0.1], "bonferroni-ish")
    with pytest.raises(SroiInputError, match=r"\[0, 1\]"):
        adjust_pvalues([0.1, 1.5])
    with pytest.raises(SroiInputError, match="numbers"):
        adjust_pvalues(["a"])


def _eff(p, name):
    from scipy import stats

    z = stats.norm.isf(p / 2)
    return Effect.from_estimate(z * 0.1, 0.1, outcome=name)


def test_adjust_secondary_leaves_primary_unadjusted():
    effects = {
        "attendance_rate": _eff(0.03, "attendance_rate"),
        "suspensions": _eff(0.01, "suspensions"),
        "csc_referral": _eff(0.04, "csc_referral"),
        "camhs_referral": _eff(0.30, "camhs_referral"),
    }
    tab = adjust_secondary(effects, "attendance_rate")
    assert list(tab["outcome"]) == [
        "attendance_rate",
        "suspensions",
        "csc_referral",
        "camhs_referral",
    ]
    assert tab.loc[0, "p_adjusted"] == pytest.approx(0.03)
    np.testing.assert_allclose(tab["p_adjusted"].iloc[1:], adjust_pvalues([0.01, 0.04, 0.30]))
    np.testing.assert_allclose(tab["p_adjusted"].iloc[1:], [0.03, 0.08, 0.30])
    bh = adjust_secondary(effects, "attendance_rate", method="bh")
    assert "Benjamini-Hochberg" in bh.loc[1, "adjustment"]
    with pytest.raises(SroiInputError, match="primary outcome"):
        adjust_secondary(effects, "nope")
    with pytest.raises(SroiInputError, match="not an sroi.Effect"):
        adjust_secondary({"a": 0.1}, "a")
