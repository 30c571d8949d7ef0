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
from sroi.impact.staggered.school_history import add_school_level
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


# ------------------------------------------------ school-relative history (history_within_school)
_MATCH = {"method": "nearest", "distance": "logit", "caliper": 0.2}


def _within(panel, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return matched_staggered_did(
            panel,
            "attendance",
            "pupil_id",
            "term",
            "cohort",
            covariates=["x", "flag"],
            pool="pool",
            **{
                "cluster": "school_id",
                "match_kwargs": _MATCH,
                "history_within_school": ["attendance"],
                **kw,
            },
        )


def test_within_school_history_is_matched_by_mahalanobis_inside_the_score_caliper():
    """The score model holds the characteristics and raw history only; within its caliper the
    units are matched on the raw and school-relative lags (MatchIt mahvars), exactly as a
    by-hand call of sroi.match with those columns."""
    from sroi.impact.matching import match

    panel, _ = simulate(SCENARIOS[2], np.random.default_rng(7))
    res = _within(panel)
    row = res.cohorts.iloc[0]
    assert row["match_variables"] == ["x", "flag", "attendance_lag1", "attendance_lag2"]
    assert row["mahalanobis_variables"] == [
        "attendance_lag1",
        "attendance_lag2",
        "attendance_vs_school_lag1",
        "attendance_vs_school_lag2",
    ]
    seen = []

    def by_hand(df, treatment, covariates, random_state, **kw):
        vs = [c for c in df.columns if "_vs_school_lag" in c]
        raw = [c for c in covariates if c.startswith("attendance_lag")]
        seen.append(vs)
        return match(
            df,
            treatment=treatment,
            covariates=covariates,
            mahvars=raw + vs,
            random_state=random_state,
            **kw,
        )

    levels = add_school_level(panel, "attendance", "pupil_id", "term", "cohort", "school_id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = matched_staggered_did(
            levels,
            "attendance",
            "pupil_id",
            "term",
            "cohort",
            covariates=["x", "flag"],
            pool="pool",
            cluster="school_id",
            match_kwargs=_MATCH,
            matcher=_only_raw_in_score(by_hand),
            history=["attendance", "attendance_vs_school"],
        )
    assert seen and all(len(v) == 2 for v in seen)
    a, b = res.aggregate_effect("group"), ref.aggregate_effect("group")
    assert a.estimate == pytest.approx(b.estimate, abs=1e-12)
    assert a.std_error == pytest.approx(b.std_error, abs=1e-12)
    # matching on the relative history changes the comparison pupils
    plain = matched_staggered_did(
        panel,
        "attendance",
        "pupil_id",
        "term",
        "cohort",
        covariates=["x", "flag"],
        pool="pool",
        cluster="school_id",
        match_kwargs=_MATCH,
    )
    assert plain.aggregate_effect("group").estimate != pytest.approx(a.estimate, abs=1e-9)


def _only_raw_in_score(matcher):
    def wrapped(df, treatment, covariates, random_state, **kw):
        keep = [c for c in covariates if "_vs_school" not in c]
        return matcher(df, treatment=treatment, covariates=keep, random_state=random_state, **kw)

    return wrapped


def test_within_school_history_does_not_separate_a_lone_programme_school():
    """With one programme school in a wave (synthetic area, seed 101), the school's level in
    the score model (raw minus relative history) separates it from the pool; matching the
    relative history by Mahalanobis distance inside the caliper does not."""
    from sroi.data import synthetic

    pupils, panel = synthetic.generate(n_pupils=3000, seed=101, effect_scale=0.6)
    cols = ["pupil_id", "school_id", "phase", "cohort", "fsm", "sen", "programme_school"]
    df = panel.merge(pupils[cols], on="pupil_id")
    df = df[(df["programme_school"] == 0) | (df["cohort"] > 0)]
    kw = dict(
        covariates=["fsm", "sen"],
        history=["attendance_rate"],
        cluster="school_id",
        match_kwargs={**_MATCH, "exact": ["phase"]},
    )
    args = (df, "attendance_rate", "pupil_id", "term", "cohort")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = panel.merge(pupils[cols], on="pupil_id")
        levels = add_school_level(
            whole, "attendance_rate", "pupil_id", "term", "cohort", "school_id"
        )
        rel = df.merge(
            levels[["pupil_id", "term", "attendance_rate_vs_school"]], on=["pupil_id", "term"]
        )
        with pytest.raises(SroiInputError, match="separat"):
            matched_staggered_did(
                rel,
                *args[1:],
                **{**kw, "history": ["attendance_rate", "attendance_rate_vs_school"]},
            )
        res = matched_staggered_did(
            *args, **kw, history_within_school=["attendance_rate"], school_panel=whole
        )
    assert np.isfinite(res.aggregate_effect("group").estimate)
    assert (res.cohorts["n_matched_control"] > 0).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"history_within_school": ["x"]}, "'x' is not in history"),
        ({"cluster": None}, "needs the school of each pupil"),
        ({"cluster": "pupil_id"}, "needs the school of each pupil"),
        ({"match_kwargs": {"method": "cem"}}, "method='nearest' with distance"),
        ({"match_kwargs": {**_MATCH, "distance": "mahalanobis"}}, "method='nearest'"),
        ({"match_kwargs": {**_MATCH, "mahvars": ["x"]}}, "remove 'mahvars'"),
        ({"school_panel": "whole.csv"}, "school_panel must be a pandas DataFrame"),
    ],
)
def test_within_school_history_bad_options(change, message):
    panel, _ = simulate(SCENARIOS[0], np.random.default_rng(1))
    with pytest.raises(SroiInputError, match=message):
        _within(panel, **change)


def test_within_school_history_refuses_a_taken_column_and_a_stray_school_panel():
    panel, _ = simulate(SCENARIOS[0], np.random.default_rng(1))
    with pytest.raises(SroiInputError, match="already has a column 'attendance_vs_school'"):
        _within(panel.assign(attendance_vs_school=0.0))
    with pytest.raises(SroiInputError, match="only with history_within_school"):
        _within(panel, history_within_school=None, school_panel=panel)
