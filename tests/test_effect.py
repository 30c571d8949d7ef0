import math

import numpy as np
import pytest

import sroi
from sroi import Effect, SroiInputError


def test_wald_interval_hand_computed():
    e = Effect.from_estimate(2.0, 1.0, outcome="y")
    assert e.ci_low == pytest.approx(2.0 - 1.959963984540054)
    assert e.ci_high == pytest.approx(2.0 + 1.959963984540054)
    assert e.p_value == pytest.approx(0.04550026389635842)


def test_t_interval_uses_df():
    e = Effect.from_estimate(1.0, 0.5, df=5)
    # qt(0.975, 5) = 2.570582
    assert e.ci_high - e.estimate == pytest.approx(0.5 * 2.5705818366147395)


def test_roundtrip_dict_keeps_nan_as_none():
    e = Effect.from_estimate(0.1, 0.02, outcome="attendance", n_treated=250, notes=("a",))
    d = e.to_dict()
    assert d["outcome"] == "attendance"
    back = Effect.from_dict(d)
    assert back == e
    assumed = Effect.assumed(0.05, outcome="csc", source="illustrative")
    d2 = assumed.to_dict()
    assert d2["std_error"] is None
    assert math.isnan(Effect.from_dict(d2).std_error)
    assert assumed.is_assumed


def test_bad_effects_raise_clear_errors():
    with pytest.raises(SroiInputError, match="finite"):
        Effect(estimate=float("nan"))
    with pytest.raises(SroiInputError, match="source"):
        Effect.assumed(0.1, outcome="y", source=" ")
    with pytest.raises(SroiInputError, match="Unknown Effect field"):
        Effect.from_dict({"estimate": 1.0, "estimat": 2})


def test_draws_are_arrays_and_public_names_exist():
    e = Effect(estimate=1.0, draws=[1, 2, 3])
    assert isinstance(e.draws, np.ndarray)
    assert issubclass(sroi.SroiInputError, ValueError)
