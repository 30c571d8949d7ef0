"""The matching data kept between matched staggered DiD calls (``sample_cache=``).

A cache shared by the outcomes of one evaluation must give exactly the results (estimates,
standard errors, cohort tables, notes and warnings) of building everything again, reuse what
does not depend on the outcome, and never reuse anything built from other data.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

from sroi.errors import SroiInputError
from sroi.impact.matching import match
from sroi.impact.staggered import matched_staggered_did
from sroi.impact.staggered.sample_cache import SampleCache, content_key

OUTCOMES = ["attendance_rate", "suspensions", "camhs_referral", "csc_referral"]


@pytest.fixture(scope="module")
def area() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Participants and pool of a synthetic area, and every pupil of its schools."""
    from sroi.data import synthetic

    pupils, panel = synthetic.generate(n_pupils=3000, seed=101, effect_scale=0.6)
    cols = ["pupil_id", "school_id", "phase", "cohort", "fsm", "sen", "programme_school"]
    whole = panel.merge(pupils[cols], on="pupil_id")
    df = whole[(whole["programme_school"] == 0) | (whole["cohort"] > 0)].reset_index(drop=True)
    return df, whole


def _fit(df, whole, outcome, cache=None, matcher=None, **kw):
    """The matched DiD of the sample design, with the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = matched_staggered_did(
            df,
            outcome,
            "pupil_id",
            "term",
            "cohort",
            covariates=["fsm", "sen"],
            history=["attendance_rate", "family_stress"],
            cluster="school_id",
            match_kwargs={
                "method": "nearest",
                "distance": "logit",
                "caliper": 0.2,
                "exact": ["phase"],
            },
            history_within_school=["attendance_rate"],
            school_panel=whole,
            random_state=3,
            matcher=matcher,
            sample_cache=cache,
            **kw,
        )
    return res, [(w.category, str(w.message)) for w in caught]


def _assert_same(a, b):
    pd.testing.assert_frame_equal(a.att_gt, b.att_gt, check_exact=True)
    pd.testing.assert_frame_equal(a.cohorts, b.cohorts, check_exact=True)
    assert a.notes == b.notes
    assert (a.n_units, a.n_treated, a.n_control, a.n_clusters) == (
        b.n_units,
        b.n_treated,
        b.n_control,
        b.n_clusters,
    )
    for kind in ("group", "dynamic", "simple"):
        ea, eb = a.aggregate_effect(kind), b.aggregate_effect(kind)
        assert (ea.estimate, ea.std_error, ea.ci_low, ea.p_value) == (
            eb.estimate,
            eb.std_error,
            eb.ci_low,
            eb.p_value,
        )
    for g in a.matches:
        pd.testing.assert_frame_equal(a.matches[g].data, b.matches[g].data, check_exact=True)


def test_a_shared_cache_gives_the_results_of_building_everything_again(area):
    df, whole = area
    cache = SampleCache()
    sizes = []
    for outcome in OUTCOMES:
        shared, shared_warnings = _fit(df, whole, outcome, cache)
        alone, alone_warnings = _fit(df, whole, outcome)
        _assert_same(shared, alone)
        assert shared_warnings == alone_warnings
        sizes.append(len(cache))
    # built once for the first outcome (the levels, and per cohort the cross-section and the
    # matched units' covariates), then only read
    n_cohorts = len(shared.cohorts)
    assert sizes == [1 + 2 * n_cohorts] * len(OUTCOMES)
    # an integer history column as the outcome is read as a float: the cross-sections differ
    # in type, so they are built again (with the same results)
    shared, shared_warnings = _fit(df, whole, "family_stress", cache)
    alone, alone_warnings = _fit(df, whole, "family_stress")
    _assert_same(shared, alone)
    assert shared_warnings == alone_warnings
    assert len(cache) == 1 + 4 * n_cohorts


def test_the_matcher_is_still_called_for_every_cohort(area):
    df, whole = area
    calls = []

    def counting(*args, **kwargs):
        calls.append(kwargs["covariates"])
        return match(*args, **kwargs)

    cache = SampleCache()
    _fit(df, whole, "attendance_rate", cache, matcher=counting)
    first = len(calls)
    _fit(df, whole, "suspensions", cache, matcher=counting)
    assert first >= 2 and len(calls) == 2 * first
    assert calls[:first] == calls[first:]


@pytest.mark.parametrize(
    "change",
    [
        "a characteristic of one pool pupil",
        "a history value of one pupil",
        "the school panel's history of one pupil",
        "missing outcomes (units dropped)",
        "another comparison pool",
    ],
)
def test_nothing_is_reused_from_other_data(area, change):
    df, whole = area
    cache = SampleCache()
    _fit(df, whole, "suspensions", cache)
    before = len(cache)
    df2, whole2, outcome = df.copy(), whole.copy(), "suspensions"
    pool_pupil = df2.loc[df2["cohort"] == 0, "pupil_id"].iloc[0]
    if change == "a characteristic of one pool pupil":
        df2.loc[df2["pupil_id"] == pool_pupil, "fsm"] = (
            1 - df2.loc[df2["pupil_id"] == pool_pupil, "fsm"]
        )
    elif change == "a history value of one pupil":
        df2.loc[df2["pupil_id"] == pool_pupil, "family_stress"] += 1
    elif change == "the school panel's history of one pupil":
        whole2.loc[whole2["pupil_id"] == pool_pupil, "attendance_rate"] -= 0.05
    elif change == "missing outcomes (units dropped)":
        outcome = "camhs_referral"
        df2[outcome] = df2[outcome].astype(float)
        df2.loc[df2["pupil_id"].isin(df2["pupil_id"].unique()[:40]), outcome] = np.nan
    else:
        pool_school = df2.loc[df2["programme_school"] == 0, "school_id"].iloc[0]
        df2 = df2[df2["school_id"] != pool_school]
    shared, shared_warnings = _fit(df2, whole2, outcome, cache)
    alone, alone_warnings = _fit(df2, whole2, outcome)
    _assert_same(shared, alone)
    assert shared_warnings == alone_warnings
    assert len(cache) > before


def test_a_copied_or_pickled_cache_is_reused_in_another_process(area):
    df, whole = area
    cache = SampleCache()
    _fit(df, whole, "attendance_rate", cache)
    n = len(cache)
    for other in (cache.copy(), pickle.loads(pickle.dumps(cache))):
        shared, _ = _fit(df, whole, "csc_referral", other)
        alone, _ = _fit(df, whole, "csc_referral")
        _assert_same(shared, alone)
        assert len(other) == n
    assert len(cache) == n


def test_a_bad_cache_is_refused(area):
    df, whole = area
    with pytest.raises(SroiInputError, match="sample_cache must be a SampleCache"):
        _fit(df, whole, "attendance_rate", {})


# ----------------------------------------------------------------------- the cache itself
def test_the_warnings_of_a_build_are_raised_again_at_every_reuse():
    cache = SampleCache()
    built = []

    def build():
        built.append(1)
        warnings.warn("thin cohort", UserWarning, stacklevel=1)
        warnings.warn("small count", RuntimeWarning, stacklevel=1)
        return 42

    for _ in range(3):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert cache.get("k", build) == 42
        assert [(w.category, str(w.message)) for w in caught] == [
            (UserWarning, "thin cohort"),
            (RuntimeWarning, "small count"),
        ]
    assert built == [1]
    again = pickle.loads(pickle.dumps(cache))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert again.get("k", build) == 42
    assert [str(w.message) for w in caught] == ["thin cohort", "small count"]
    assert built == [1]


def test_a_failed_build_is_not_kept():
    cache = SampleCache()

    def fail():
        raise SroiInputError("no comparison unit")

    with pytest.raises(SroiInputError):
        cache.get("k", fail)
    assert "k" not in cache and len(cache) == 0
    assert cache.get("k", lambda: 1) == 1


def test_content_key_follows_the_content_not_the_object():
    a = pd.DataFrame({"id": ["p1", "p2", "p3"], "x": [1.0, 2.0, 3.0], "c": [0, 1, 0]})
    assert content_key(a) == content_key(a.copy())
    assert content_key(np.arange(4)) == content_key(np.arange(4).copy())
    changed = [
        a.assign(x=[1.0, 2.0, 3.5]),
        a.assign(id=["p1", "p2", "p4"]),
        a.assign(c=a["c"].astype(float)),
        a.rename(columns={"c": "d"}),
        a.set_axis([0, 1, 5]),
        a.iloc[:2],
        a[["x", "id", "c"]],
    ]
    keys = {content_key(a)} | {content_key(b) for b in changed}
    assert len(keys) == 1 + len(changed)
    # parts are tagged: a list of two strings is not one string, an int not a float
    assert content_key(["a", "b"]) != content_key(["ab"])
    assert content_key(["a", "b"]) != content_key("a", "b")
    assert content_key(1) != content_key(1.0)
    assert content_key(None) != content_key("None")
    assert content_key(np.array(["p1", "p2"], dtype=object)) != content_key(
        np.array(["p1", "p3"], dtype=object)
    )
    assert content_key(np.arange(4, dtype=np.int64)) != content_key(np.arange(4, dtype=np.int32))
    with pytest.raises(TypeError, match="cannot hash a dict"):
        content_key({"a": 1})
    with pytest.raises(TypeError, match="cannot hash a function"):
        content_key(match)
