"""sroi._sorting.stable_argsort gives np.argsort(kind="stable")'s permutation exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sroi._sorting import stable_argsort


def _check(v: np.ndarray) -> None:
    got = stable_argsort(v)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, np.argsort(v, kind="stable"))


def test_hand_case_ties_keep_their_positions():
    v = np.array([0.3, 0.1, 0.3, 0.2, 0.1, 0.3])
    np.testing.assert_array_equal(stable_argsort(v), [1, 4, 3, 0, 2, 5])


@pytest.mark.parametrize(
    "v",
    [
        np.array([], dtype=float),
        np.array([2.0]),
        np.array([1.0, 1.0]),
        np.zeros(1000),
        np.array([0.0, -0.0, 0.0, -0.0]),  # equal under comparison, so ties
        np.array([np.nan, 1.0, np.nan, 0.5, 1.0]),
        np.array([np.inf, -np.inf, np.inf, 0.0]),
        np.array([3, 1, 3, 2, 1], dtype=np.int64),
    ],
)
def test_edge_cases(v):
    _check(v)


def test_large_arrays_with_and_without_ties():
    rng = np.random.default_rng(7)
    _check(rng.random(200_000))  # no ties
    _check(np.round(rng.random(200_000), 3))  # about 200 repeats of each value
    _check(rng.integers(0, 5, 200_000).astype(float))  # five long runs
    _check(np.repeat(rng.random(500), 400)[rng.permutation(200_000)])


@settings(max_examples=300, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.integers(0, 300),
        elements=st.sampled_from([0.0, -0.0, 0.25, 1.0, -3.5, 1e300, np.inf, np.nan]) | st.floats(),
    )
)
def test_matches_numpy_stable_sort(v):
    _check(v)


def test_two_dimensional_input_is_refused():
    with pytest.raises(ValueError, match="one-dimensional"):
        stable_argsort(np.zeros((2, 2)))
