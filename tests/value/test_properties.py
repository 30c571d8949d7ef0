"""Property tests of the value model (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sroi.value as value
from sroi import Effect
from tests.value import helpers as vh

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def model():
    return value.run(vh.make_spec(), vh.sample_effects()).model


def metrics(model, **params):
    p = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in params.items()}
    return {k: v[0] for k, v in model.headline(p).items()}


@SETTINGS
@given(a=st.floats(0, 5000), b=st.floats(0, 5000))
def test_npv_monotone_in_unit_cost(model, a, b):
    lo, hi = sorted((a, b))
    # effects reduce referrals, so a dearer referral means a bigger saving
    assert (
        metrics(model, **{"cost:CSC_REFERRAL": hi})["npv"]
        >= metrics(model, **{"cost:CSC_REFERRAL": lo})["npv"] - 1e-9
    )


@SETTINGS
@given(a=st.floats(-0.1, 0.1), b=st.floats(-0.1, 0.1))
def test_ratio_increases_with_effect_in_desired_direction(model, a, b):
    lo, hi = sorted((a, b))
    # persistent absence: desired to decrease, so a larger effect lowers the ratio
    assert (
        metrics(model, **{"effect:persistent_absence": hi})["sroi_ratio"]
        <= metrics(model, **{"effect:persistent_absence": lo})["sroi_ratio"] + 1e-12
    )
    # csc referrals: desired to decrease, so a larger (less negative) effect lowers the ratio
    assert (
        metrics(model, **{"effect:csc_referral": hi})["sroi_ratio"]
        <= metrics(model, **{"effect:csc_referral": lo})["sroi_ratio"] + 1e-12
    )


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    spec = vh.tiny_spec(tmp_path_factory.mktemp("tiny"))
    return value.run(spec, {"o": Effect.from_estimate(-0.1, 0.01, outcome="o")}).model


@SETTINGS
@given(x=st.floats(-0.5, 0.5).filter(lambda v: abs(v) > 1e-6), cost=st.floats(1, 1e5))
def test_sign_symmetry_and_zero_effect(tiny_model, x, cost):
    def pv(e):
        return metrics(tiny_model, **{"effect:o": e, "cost:X": cost})["pv_benefits"]

    assert pv(x) == pytest.approx(-pv(-x))
    assert pv(0.0) == 0.0
    assert (pv(x) > 0) == (x < 0)  # fewer events of a 'decrease' outcome is a benefit
    # hand formula: 10 pupils x -x events x cost x discount factors over 3 years
    assert pv(x) == pytest.approx(-10 * x * cost * (1 + 1 / 1.035 + 1 / 1.035**2))


@SETTINGS
@given(k=st.floats(0.1, 10))
def test_scaling_invariances(model, k):
    base = metrics(model)
    # every unit cost and every delivery cost scaled by k: ratio unchanged, NPV scaled by k
    central = model.central()
    p = {n: v * k for n, v in central.items() if n.startswith(("cost:", "delivery:"))}
    sc = metrics(model, **p)
    assert sc["sroi_ratio"] == pytest.approx(base["sroi_ratio"], rel=1e-9)
    assert sc["npv"] == pytest.approx(k * base["npv"], rel=1e-9)
    # effects scaled by k: benefits scale by k
    assert metrics(model, effect_share=k)["pv_benefits"] == pytest.approx(
        k * base["pv_benefits"], rel=1e-9
    )


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(n=st.integers(1, 500))
def test_cohort_scaling_with_costs(tmp_path, n):
    spec = vh.tiny_spec(
        tmp_path,
        cohort=n,
        delivery=[{"year": 0, "amount": 20.0 * n, "description": "d", "spent": True}],
    )
    r = value.run(spec, {"o": Effect.from_estimate(-0.1, 0.01, outcome="o")})
    # ratio does not depend on cohort size when costs are per participant
    assert r.sroi_ratio == pytest.approx((100 + 100 / 1.035 + 100 / 1.035**2) / 200)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rate=st.floats(0.0, 0.2))
def test_zero_discount_equals_undiscounted(tmp_path, rate):
    spec = vh.tiny_spec(tmp_path, valuation={"discount": {"constant_rate": rate}})
    r = value.run(spec, {"o": Effect.from_estimate(-0.1, 0.01, outcome="o")})
    assert r.pv_benefits == pytest.approx(sum(100 / (1 + rate) ** t for t in range(3)))
    if rate == 0:
        assert r.pv_benefits == pytest.approx(r.by_year()["benefits"].sum())
