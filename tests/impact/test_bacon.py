"""Tests for the Goodman-Bacon decomposition and the TWFE-vs-Callaway-Sant'Anna warning."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sroi
from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.did import bacon_decomposition, twfe_vs_cs_warning

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "did"


def panel(seed=0, n=300, T=9, cohorts=(0, 3, 5, 7), effect=None):
    rng = np.random.default_rng(seed)
    coh = rng.choice(cohorts, n)
    t = np.arange(1, T + 1)
    rel = t[None, :] - coh[:, None]
    on = (coh[:, None] > 0) & (rel >= 0)
    tau = np.where(on, effect(rel) if effect else 1.0, 0.0)
    y = rng.normal(size=n)[:, None] + 0.2 * t + rng.normal(size=(n, T)) + tau
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), T),
            "time": np.tile(t, n),
            "cohort": np.repeat(coh, T),
            "y": y.ravel(),
            "tau": tau.ravel(),
        }
    )


def decomp(d, outcome="y"):
    return bacon_decomposition(d, outcome=outcome, unit="unit", time="time", cohort="cohort")


def twfe(d, outcome="y"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        return sroi.did(d, outcome=outcome, unit="unit", time="time", cohort="cohort").estimate


@pytest.mark.parametrize("cohorts", [(0, 3, 5, 7), (3, 5, 7), (0, 4), (2, 6, 0)])
def test_weights_sum_to_one_and_reproduce_twfe(cohorts):
    d = panel(cohorts=cohorts, seed=len(cohorts))
    b = decomp(d)
    assert b.weight.sum() == pytest.approx(1.0, abs=1e-10)
    assert (b.weight > 0).all()
    assert (b.weight * b.estimate).sum() == pytest.approx(twfe(d), abs=1e-8)
    assert b.attrs["twfe"] == pytest.approx(twfe(d), abs=1e-8)
    k = sum(c > 0 for c in cohorts)
    n_pairs = k * (k - 1) + (k if 0 in cohorts else 0)
    assert len(b) == n_pairs


def test_fixture_panel_and_hand_2x2():
    d = pd.read_csv(FIX / "panel.csv")
    b = decomp(d)
    assert (b.weight * b.estimate).sum() == pytest.approx(twfe(d), abs=1e-8)
    m = d.groupby(["cohort", "time"]).y.mean().unstack()
    # later (5) vs earlier (3) treated, periods 3..6: pre 3,4 ; post 5,6
    hand = (m.loc[5, [5, 6]].mean() - m.loc[5, [3, 4]].mean()) - (
        m.loc[3, [5, 6]].mean() - m.loc[3, [3, 4]].mean()
    )
    row = b[(b.type == "later vs earlier treated") & (b.treated == 5)].iloc[0]
    assert row.estimate == pytest.approx(hand, abs=1e-12)
    # earlier (3) vs later (5), periods 1..4: pre 1,2 ; post 3,4
    hand = (m.loc[3, [3, 4]].mean() - m.loc[3, [1, 2]].mean()) - (
        m.loc[5, [3, 4]].mean() - m.loc[5, [1, 2]].mean()
    )
    row = b[(b.type == "earlier vs later treated") & (b.treated == 3)].iloc[0]
    assert row.estimate == pytest.approx(hand, abs=1e-12)


def test_growing_effects_make_forbidden_comparisons_negative():
    # effects grow with exposure, no never-treated: "later vs earlier" comparisons subtract
    # the earlier cohort's growing effect (Goodman-Bacon 2021, section 3.1)
    d = panel(cohorts=(3, 6), effect=lambda rel: 0.5 + 0.5 * rel, T=8)
    b = decomp(d, outcome="tau")  # decomposition of the true effect surface (no noise)
    forb = b[b.type == "later vs earlier treated"]
    assert (forb.estimate < 0).all()
    att = d.loc[d.tau != 0, "tau"].mean()
    # the TWFE of the true effects is the Bacon-weighted average and is far below the ATT
    assert (b.weight * b.estimate).sum() == pytest.approx(twfe(d, "tau"), abs=1e-8)
    assert (b.weight * b.estimate).sum() < 0.6 * att


def test_exclusions_and_bad_input():
    d = panel(cohorts=(0, 3, 5))
    d.loc[d.unit == 0, "cohort"] = 1  # treated in the first period: dropped, counted, warned
    with pytest.warns(SroiWarning, match="first observed period"):
        b = decomp(d)
    assert b.attrs["exclusions"]["treated from the first observed period (no pre-period)"] == 9
    with pytest.raises(SroiInputError, match="balanced"):
        decomp(d.drop(index=[100]))
    with pytest.raises(SroiInputError, match="no treated"):
        decomp(d.assign(cohort=0))


def test_twfe_vs_cs_warning():
    e = lambda b, s: sroi.Effect.from_estimate(b, s)  # noqa: E731
    assert twfe_vs_cs_warning(e(1.0, 0.1), e(1.05, 0.1)) is None
    with pytest.warns(SroiWarning, match="disagree materially"):
        msg = twfe_vs_cs_warning(e(0.2, 0.05), e(1.0, 0.1))
    assert "bacon_decomposition" in msg
    # large relative gap but within noise: no warning
    assert twfe_vs_cs_warning(e(0.2, 0.5), e(0.5, 0.5)) is None
    # opposite signs, precise
    assert "opposite signs" in twfe_vs_cs_warning(e(-0.5, 0.1), e(0.6, 0.1), warn=False)
    # plain numbers: no standard errors, relative rule only
    assert twfe_vs_cs_warning(1.0, 2.0, warn=False) is not None
    with pytest.raises(SroiInputError):
        twfe_vs_cs_warning("a", 1.0)


def test_twfe_vs_cs_warning_accepts_a_staggered_result():
    class Stub:  # the interface of sroi.staggered_did's result used here
        def aggregate_effect(self, kind):
            assert kind == "group"
            return sroi.Effect.from_estimate(1.4, 0.05)

    with pytest.warns(SroiWarning, match="disagree"):
        assert twfe_vs_cs_warning(sroi.Effect.from_estimate(0.6, 0.05), Stub()) is not None
