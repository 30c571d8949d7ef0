"""School-level pre-period history: columns, hand computation, diagnostic, use as covariate."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sroi.errors import SroiInputError
from sroi.impact.staggered import (
    add_school_history,
    matched_staggered_did,
    school_history,
    school_pretrend,
)
from tests.simulation.dgp import SCENARIOS, simulate


def _toy():
    rows = []
    for s, slope in enumerate([0.0, 0.01, 0.02, 0.03]):
        for u in range(2):
            for t in range(1, 6):
                g = 4 if (s == 3 and u == 0) else 0
                rows.append((f"{s}-{u}", t, 0.9 + slope * t + 0.001 * u, g, s))
    return pd.DataFrame(rows, columns=["id", "t", "y", "g", "school"])


def test_history_by_hand():
    h = school_history(_toy(), "y", "t", "g", "school")
    # window: periods 1..3 (first cohort 4)
    assert h.loc[2, "y_school_trend"] == pytest.approx(0.02)
    assert h.loc[0, "y_school_level"] == pytest.approx(0.9005)
    assert h["programme"].tolist() == [False, False, False, True]
    full = add_school_history(_toy(), "y", "t", "g", "school")
    assert full.groupby("school")["y_school_trend"].nunique().eq(1).all()


def test_window_needs_a_pre_period():
    df = _toy().assign(g=lambda d: np.where(d["g"] > 0, 1, 0))
    with pytest.raises(SroiInputError, match="no period before"):
        school_history(df, "y", "t", "g", "school")


def test_diagnostic_flags_a_trending_programme_school():
    d = school_pretrend(_toy(), "y", "t", "g", "school", n_perm=199)
    assert d.difference == pytest.approx(0.03 - 0.01)
    assert d.n_programme == 1 and d.n_comparison == 3
    assert 0 < d.p_value <= 1 and "permutation p" in str(d)


def test_school_history_as_matching_covariate():
    p, _ = simulate(SCENARIOS[2], np.random.default_rng(2))
    p = add_school_history(p, "attendance", "term", "cohort", "school_id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = matched_staggered_did(
            p,
            "attendance",
            "pupil_id",
            "term",
            "cohort",
            covariates=["x", "flag", "attendance_school_trend"],
            pool="pool",
            cluster="school_id",
        )
    assert np.isfinite(res.aggregate_effect("group").estimate)
