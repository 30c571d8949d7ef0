"""Memory layout of the Callaway-Sant'Anna path: what is kept, shared or not copied.

The estimates themselves are checked elsewhere (hand cases, R parity, simulation); these
tests pin the arrays the large-panel path relies on: the long rows are released once the
unit x period arrays exist, per-unit values come from each unit's first row, covariates
constant over time are stored once per unit, and the influence-function basis is filled in
place.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd
import pytest

import sroi
from sroi.data.panel import Panel
from sroi.impact.staggered import data as staggered_data
from sroi.impact.staggered.cells import compute_cells, make_basis
from sroi.impact.staggered.data import CohortPanel, cohort_arrays, cohort_panel


def _panel(n: int = 300, T: int = 6, seed: int = 0) -> pd.DataFrame:
    """Cohorts 3 and 5 and never treated; ``x`` constant within unit, ``xv`` not."""
    rng = np.random.default_rng(seed)
    G = rng.choice([0, 0, 3, 5], size=n)
    x = rng.normal(size=n)
    t = np.arange(1, T + 1)
    Y = (
        x[:, None] * 0.5
        + 0.1 * t
        + rng.normal(size=(n, T))
        + ((G[:, None] > 0) & (t >= G[:, None]))
    )
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n) * 3 + 11, T),
            "t": np.tile(t, n),
            "y": Y.ravel(),
            "g": np.repeat(G, T),
            "x": np.repeat(x, T),
            "xv": rng.normal(size=n * T),
            "w": np.repeat(rng.uniform(0.5, 2.0, n), T),
            "school": np.repeat(rng.integers(0, 12, n), T),
        }
    )


def _arrays_of(covariates: list[str]):
    """:func:`cohort_arrays` of :func:`_panel` with ``covariates``."""
    return cohort_arrays(
        _panel(),
        outcome="y",
        unit="id",
        time="t",
        cohort="g",
        covariates=covariates,
        cluster=None,
        weights=None,
        anticipation=0,
    )


def _shuffled_with_gaps(seed: int = 1) -> pd.DataFrame:
    df = _panel(seed=seed)
    rng = np.random.default_rng(seed)
    df = df.drop(index=rng.choice(df.index, size=60, replace=False))  # gaps
    return df.sample(frac=1.0, random_state=seed)  # rows in no particular order


def _first_values_by_sorting(p: Panel, column: str) -> np.ndarray:
    """Per-unit first values as :meth:`Panel.unit_values` computed them by sorting."""
    codes, _ = p.unit_codes()
    ok = np.flatnonzero(codes >= 0)
    _, first = np.unique(codes[ok], return_index=True)
    return p.data[column].to_numpy()[ok[first]]


def test_staggered_did_result_does_not_keep_the_long_panel(monkeypatch):
    made: list[weakref.ref[Panel]] = []

    class Tracked(Panel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(weakref.ref(self))

    monkeypatch.setattr(staggered_data, "Panel", Tracked)
    res = sroi.staggered_did(
        _panel(), outcome="y", unit="id", time="t", cohort="g", covariates=["x"]
    )
    gc.collect()
    assert len(made) == 1
    assert made[0]() is None  # released although the result (and its refit) are alive
    assert np.isfinite(res.aggregate_effect("simple").estimate)


def test_cohort_panel_keeps_the_rows_and_has_the_same_arrays_as_cohort_arrays():
    df = _shuffled_with_gaps()
    kw = dict(
        outcome="y",
        unit="id",
        time="t",
        cohort="g",
        covariates=["x", "xv"],
        cluster="school",
        weights="w",
        anticipation=0,
    )
    with pytest.warns(sroi.SroiWarning, match="not observed in every period"):
        full = cohort_panel(df, **kw)
    with pytest.warns(sroi.SroiWarning, match="not observed in every period"):
        arrays = cohort_arrays(df, **kw)
    assert isinstance(full, CohortPanel) and not hasattr(arrays, "panel")
    assert len(full.panel.data) == len(full.units) * len(full.times)
    for name in ("units", "times", "Y", "G", "X", "w", "cluster_values"):
        np.testing.assert_array_equal(getattr(full, name), getattr(arrays, name))
    assert full.exclusions.equals(arrays.exclusions)
    assert not full.x_time_invariant


def test_unit_values_are_each_units_first_row_on_a_shuffled_panel_with_gaps():
    df = _shuffled_with_gaps()
    df.loc[df.index[:3], "id"] = np.nan  # rows without a unit are skipped
    df["label"] = np.arange(len(df))  # differs in every row: which row counts shows
    p = Panel(df, unit="id", time="t", cohort="g", extra=["label", "w"])
    for column in ("label", "g", "w"):
        np.testing.assert_array_equal(p.unit_values(column), _first_values_by_sorting(p, column))
    first = p.first_rows()
    codes, units = p.unit_codes()
    assert len(first) == len(units)
    np.testing.assert_array_equal(codes[first], np.arange(len(units)))
    # after rows are dropped the first rows are those of the rows kept
    p.drop_rows(p.data["label"].to_numpy() % 4 == 0, "test")
    np.testing.assert_array_equal(p.unit_values("label"), _first_values_by_sorting(p, "label"))


def test_wide_stack_is_the_stacked_wide_arrays():
    p = Panel(_shuffled_with_gaps(), unit="id", time="t", covariates=["x", "xv"])
    expected = np.stack([p.wide("x"), p.wide("xv")], axis=2)
    np.testing.assert_array_equal(p.wide_stack(["x", "xv"]), expected)
    assert np.isnan(expected).any()  # the gaps are NaN in both


def test_panel_converts_periods_and_leaves_the_callers_frame_alone():
    df = _panel()
    df["t"] = df["t"].astype(np.int32)
    df.loc[df["g"] == 5, "g"] = 99  # after the last period: recoded to never treated
    before = df.copy()
    p = Panel(df, unit="id", time="t", cohort="g", outcomes=["y"], covariates=["x"])
    p.to_numeric("y", "the outcome")
    p.to_numeric("x", "a covariate")
    p.recode_late_cohorts()
    assert p.data["t"].dtype == np.int64 and p.data["g"].dtype == np.int64
    assert int(p.data["g"].max()) == 3
    np.testing.assert_array_equal(p.periods, np.arange(1, 7))
    pd.testing.assert_frame_equal(df, before)  # the caller's table is untouched


def test_time_invariant_covariates_are_one_value_per_unit_repeated_over_periods():
    prep = _arrays_of(["x", "w"])
    assert prep.x_time_invariant
    assert prep.X is not None and prep.X.shape == (300, 6, 2)
    assert not prep.X.flags.writeable  # a read-only view, not 6 copies
    assert prep.X.strides[1] == 0
    np.testing.assert_array_equal(prep.X, np.repeat(prep.X[:, :1, :], 6, axis=1))


def test_basis_is_filled_in_the_reserved_columns_without_copying():
    prep = _arrays_of(["x"])
    glist = np.unique(prep.G[prep.G > 0])
    kw = dict(
        X=prep.X,
        x_time_invariant=True,
        w=None,
        estimator="dr",
        control_group="never_treated",
        anticipation=0,
        base_period="varying",
    )
    plain = compute_cells(prep.Y, prep.G, prep.times, glist, **kw)
    reserved = compute_cells(prep.Y, prep.G, prep.times, glist, reserve_cohort_columns=True, **kw)
    np.testing.assert_array_equal(plain.att, reserved.att)
    np.testing.assert_array_equal(plain.inf, reserved.inf)
    inf_before = reserved.inf
    basis_plain, groups_plain = make_basis(plain, prep.G, prep.w)
    basis, groups = make_basis(reserved, prep.G, prep.w)
    np.testing.assert_array_equal(groups, groups_plain)
    np.testing.assert_array_equal(basis, basis_plain)
    assert np.shares_memory(basis, inf_before)  # the influence functions were not copied
    assert not np.shares_memory(basis_plain, inf_before)
    assert basis.shape == (len(prep.G), len(plain.att) + len(glist))
