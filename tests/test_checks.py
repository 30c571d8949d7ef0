"""The one check layer (sroi._checks): each check accepts what it should and names the bad value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sroi import SroiInputError
from sroi._checks import (
    check_choice,
    check_int,
    check_number,
    check_probability,
    check_random_state,
    check_seed,
    require_columns,
)


def test_random_state_accepts_seed_generator_and_none():
    a = check_random_state(7).random(3)
    b = check_random_state(np.int64(7)).random(3)
    np.testing.assert_array_equal(a, b)
    g = np.random.default_rng(1)
    assert check_random_state(g) is g
    assert isinstance(check_random_state(None), np.random.Generator)


@pytest.mark.parametrize("bad", ["x", 1.5, True, -1, np.random.RandomState(0), [1]])
def test_random_state_rejects_with_the_name_and_value(bad):
    with pytest.raises(SroiInputError, match=r"random_state must be a whole number >= 0"):
        check_random_state(bad)
    with pytest.raises(SroiInputError, match=r"^seed must"):
        check_seed(bad, "seed")


def test_seed_is_reproducible_and_in_range():
    assert check_seed(5) == 5
    s1 = check_seed(np.random.default_rng(3))
    s2 = check_seed(np.random.default_rng(3))
    assert s1 == s2 and 0 <= s1 < 2**31 - 1


def test_choice():
    assert check_choice("a", ("a", "b"), "kind") == "a"
    with pytest.raises(SroiInputError, match=r"kind must be one of 'a', 'b'; got 'c'"):
        check_choice("c", ("a", "b"), "kind")
    with pytest.raises(SroiInputError, match="kind must be one of"):
        check_choice(["a"], {"a", "b"}, "kind")  # unhashable


def test_int_bounds_and_types():
    assert check_int(3, "n") == 3
    assert check_int(3.0, "n") == 3
    for bad in (3.5, True, "3", float("nan"), None):
        with pytest.raises(SroiInputError, match="n must be a whole number"):
            check_int(bad, "n")
    with pytest.raises(SroiInputError, match=r"n_boot must be in \[0, inf\]; got -1"):
        check_int(-1, "n_boot", minimum=0)
    with pytest.raises(SroiInputError, match=r"k must be in \[1, 5\]; got 6"):
        check_int(6, "k", minimum=1, maximum=5)


def test_number_and_probability():
    assert check_number(0.5, "x") == 0.5
    for bad in (float("inf"), float("nan")):
        with pytest.raises(SroiInputError, match="x must be a finite number"):
            check_number(bad, "x")
    with pytest.raises(SroiInputError, match="x must be a number"):
        check_number("0.5", "x")
    assert check_probability(0.0, "p") == 0.0
    with pytest.raises(SroiInputError, match=r"p must be in \(0, 1\); got 0.0"):
        check_probability(0.0, "p", open_interval=True)
    with pytest.raises(SroiInputError, match=r"level must be in \[0, 1\]; got 1.5"):
        check_probability(1.5, "level")


def test_require_columns_names_role_and_close_match():
    df = pd.DataFrame({"attendance_rate": [1.0], "pupil_id": ["a"]})
    require_columns(df, ["pupil_id"])
    with pytest.raises(SroiInputError) as err:
        require_columns(df, {"outcome": "attendance", "unit": "pupil_id"}, where="panel.csv")
    msg = str(err.value)
    assert "panel.csv has no column 'attendance' (outcome)" in msg
    assert "did you mean 'attendance_rate'" in msg
    assert "pupil_id" in msg  # the columns present are listed
