"""Valuation rules of issue 14, each checked against numbers worked by hand.

The tiny spec: 10 pupils; an effect of -0.1 events per pupil a year on an outcome desired to
decrease is 1 event avoided a year; each event is worth the row's amount (grade 1: no cut);
Green Book discount factors 1, 1/1.035, 1/1.035^2 (health: 1, 1/1.015, 1/1.015^2).
HM Treasury calendar-year GDP deflator: D(2019) = 81.1085, D(2024) = 100.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import sroi.value as value
from sroi import Effect, SroiInputError, SroiWarning
from tests.value import helpers as vh

D35 = np.array([1, 1 / 1.035, 1 / 1.035**2])
D15 = np.array([1, 1 / 1.015, 1 / 1.015**2])


def run(spec, effects):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return value.run(spec, effects)


def est(x: float, outcome: str = "o", **kw) -> Effect:
    return Effect.from_estimate(x, 0.01, outcome=outcome, **kw)


# ------------------------------------------------------------------ deadweight
def test_comparison_group_effect_is_net_of_deadweight_in_every_year(tmp_path):
    # 60 pupils x 0.1 = 6 events a year x 1,000 = 6,000 a year. Before issue 14 deadweight
    # 0.3 was zeroed in the observed year only: 6,000 then 4,200 from year 1.
    spec = vh.tiny_spec(
        tmp_path,
        [vh.cost_row(amount=1000)],
        valuation={
            "adjustments": {"deadweight": 0.3, "drop_off": 0.0},
            "outcomes": [vh.tiny_outcome(observed_years=1)],
        },
        cohort=60,
    )
    with pytest.warns(SroiWarning, match="deadweight 0.3 is not applied"):
        r = value.run(spec, {"o": est(-0.1)})
    np.testing.assert_allclose(r.by_year()["benefits"], [6000, 6000, 6000], rtol=1e-12)
    assert r.pv_benefits == pytest.approx(6000 * D35.sum(), rel=1e-12)
    reg = r.assumptions.set_index("parameter")
    assert reg.loc["deadweight:o", "value"] == 0.0
    assert "comparison group" in reg.loc["deadweight:o", "note"]


def test_lagged_effect_observed_two_years_net_of_deadweight_then_drop_off(tmp_path):
    # Lag 1, observed for 2 years, then drop-off 0.5 a year; deadweight 0.3 in the spec is not
    # applied in any year (comparison group). 60 pupils x 0.1 = 6 events a year x 1,000 x
    # (1 - attribution 0.2) = 4,800 a year while observed:
    #   year 0: 0 (lag); years 1-2: 4,800 (observed); year 3: 2,400; year 4: 1,200.
    spec = vh.tiny_spec(
        tmp_path,
        [vh.cost_row(amount=1000)],
        valuation={
            "appraisal_years": 5,
            "adjustments": {"deadweight": 0.3, "attribution": 0.2, "drop_off": 0.5},
            "outcomes": [vh.tiny_outcome(observed_years=2, benefit_years=5, lag_years=1)],
        },
        cohort=60,
    )
    r = run(spec, {"o": est(-0.1)})
    benefits = np.array([0, 4800, 4800, 2400, 1200])
    np.testing.assert_allclose(r.by_year()["benefits"], benefits, rtol=1e-12, atol=1e-9)
    d5 = 1 / 1.035 ** np.arange(5)  # Green Book 3.5% for years 0-30
    pv = 4800 / 1.035 + 4800 / 1.035**2 + 2400 / 1.035**3 + 1200 / 1.035**4
    assert r.pv_benefits == pytest.approx(pv, rel=1e-12)
    assert r.pv_benefits == pytest.approx((benefits * d5).sum(), rel=1e-12)
    # every Monte Carlo draw values the same years the same way: zero-width effect
    s = value.simulate(r.model, n_draws=50, random_state=0)
    assert s.draws["pv_benefits"].std() > 0  # the effect is drawn...
    fixed = {"effect:o": np.full(3, -0.1)}
    assert r.model.headline(fixed)["pv_benefits"] == pytest.approx(np.full(3, pv), rel=1e-12)


def test_drop_off_alone_governs_persistence_beyond_the_observed_period(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        [vh.cost_row(amount=1000)],
        valuation={
            "adjustments": {"deadweight": 0.3, "drop_off": 0.5},
            "outcomes": [vh.tiny_outcome(observed_years=1)],
        },
        cohort=60,
    )
    r = run(spec, {"o": est(-0.1)})
    np.testing.assert_allclose(r.by_year()["benefits"], [6000, 3000, 1500], rtol=1e-12)


def test_an_assumed_effect_record_keeps_its_deadweight_in_every_year(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        [vh.cost_row(amount=1000)],
        valuation={"adjustments": {"deadweight": 0.3, "drop_off": 0.0}},
        cohort=60,
    )
    e = Effect.assumed(-0.1, outcome="o", source="a published trial")
    r = run(spec, {"o": e})
    np.testing.assert_allclose(r.by_year()["benefits"], [4200, 4200, 4200], rtol=1e-12)


def test_no_deadweight_parameter_for_a_comparison_group_effect(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        valuation={
            "uncertainty": [
                {"parameter": "deadweight:o", "distribution": "uniform", "low": 0, "high": 0.5}
            ]
        },
    )
    r = run(spec, {"o": est(-0.1)})
    assert "deadweight:o" not in r.model.central()
    with pytest.raises(SroiInputError, match="deadweight:o"):
        value.simulate(r, n_draws=10, random_state=1)


# ------------------------------------------------------------------ transfers
def test_a_transfer_counts_in_the_financial_case_not_in_public_value(tmp_path):
    rows = [
        vh.cost_row(),  # 100 a event to the school, not a transfer
        vh.cost_row(
            id="BEN",
            description="benefit payments avoided",
            agency="dwp",
            value_type="fiscal_cashable",
            amount=50,
            transfer="yes",
        ),
    ]
    r = run(vh.tiny_spec(tmp_path, rows), {"o": est(-0.1)})
    pv_school, pv_dwp = 100 * D35.sum(), 50 * D35.sum()
    assert r.pv_benefits == pytest.approx(pv_school, rel=1e-12)  # public value
    assert r.pv_transfers == pytest.approx(pv_dwp, rel=1e-12)
    assert r.financial_roi == pytest.approx((pv_school + pv_dwp) / 200, rel=1e-12)
    assert r.cashable_roi == pytest.approx(pv_dwp / 200, rel=1e-12)
    assert r.sroi_ratio == pytest.approx(pv_school / 200, rel=1e-12)
    # shown in both tables: the agency's financial case and the public-value breakdown
    agency = r.by_agency().set_index("agency")
    assert agency.loc["dwp", "pv_benefits_observed"] == pytest.approx(pv_dwp, rel=1e-12)
    vt = r.by_value_type().set_index(["value_type", "transfer"])["pv"]
    assert vt.loc[("fiscal_cashable", True)] == pytest.approx(pv_dwp, rel=1e-12)
    assert r.pv_by_value_type == pytest.approx(
        {"fiscal_non_cashable": pv_school, "transfer": pv_dwp}, rel=1e-12
    )
    # the Monte Carlo applies the same rule
    h = r.model.headline({})
    assert h["pv_benefits"][0] == pytest.approx(pv_school, rel=1e-12)
    assert h["pv_fiscal"][0] == pytest.approx(pv_school + pv_dwp, rel=1e-12)


def test_library_benefit_payment_lines_are_transfers(tmp_path):
    rows = [{"id": "JSA", "library": "E&E1.0.1", "outcome": "o"}]
    r = run(vh.tiny_spec(tmp_path, rows), {"o": est(-0.1)})
    assert r.pv_benefits == 0.0 and r.pv_transfers > 0
    assert r.financial_roi > 0


# ------------------------------------------------------------------ discounting
def test_green_book_discounting_year_zero_undiscounted_for_costs_and_benefits(tmp_path):
    np.testing.assert_allclose(value.discount_factors(3), D35, rtol=1e-15)
    spec = vh.tiny_spec(
        tmp_path, delivery=[{"year": 0, "amount": 200, "description": "delivery", "spent": True}]
    )
    r = run(spec, {"o": est(-0.1)})
    assert r.pv_costs == 200.0  # year 0 undiscounted
    assert r.by_year()["pv_benefits"].iloc[0] == pytest.approx(100.0, rel=1e-15)
    with pytest.raises(TypeError):
        value.discount_factors(3, convention="end")  # type: ignore[call-arg]


def test_green_book_costs_and_benefits_over_three_years_by_hand(tmp_path):
    # Delivery: 200 spent in year 0 (no optimism bias), 100 planned for year 2 (+10% optimism
    # bias = 110). Benefits: 1 event a year x 100 in years 0, 1, 2.
    #   PV costs    = 200 + 110 / 1.071225               = 302.686177...
    #   PV benefits = 100 + 96.618357 + 93.351070       = 289.969427...
    spec = vh.tiny_spec(
        tmp_path,
        valuation={"optimism_bias": {"costs": 0.1}},
        delivery=[
            {"year": 0, "amount": 200, "description": "spent", "spent": True},
            {"year": 2, "amount": 100, "description": "planned"},
        ],
    )
    r = run(spec, {"o": est(-0.1)})
    pv_costs = 200 + 110 / 1.035**2
    pv_benefits = 100 + 100 / 1.035 + 100 / 1.035**2
    assert pv_costs == pytest.approx(302.686177, abs=1e-6)
    assert pv_benefits == pytest.approx(289.969427, abs=1e-6)
    assert r.pv_costs == pytest.approx(pv_costs, rel=1e-12)
    assert r.pv_benefits == pytest.approx(pv_benefits, rel=1e-12)
    assert r.npv == pytest.approx(pv_benefits - pv_costs, abs=1e-6)
    assert r.sroi_ratio == pytest.approx(pv_benefits / pv_costs, rel=1e-12)
    c = r.costs.set_index("year")
    assert c.loc[0, "discount_factor"] == 1.0 and c.loc[0, "pv"] == 200.0
    assert c.loc[2, "pv"] == pytest.approx(110 / 1.035**2, rel=1e-12)


# ------------------------------------------------------------------ WELLBY and QALY
def _wellbeing_spec(tmp_path, rows, outcome_costs):
    ls = {"name": "ls", "column": "ls", "type": "continuous", "direction": "increase"}
    val = {
        "outcomes": [
            vh.tiny_outcome(),
            vh.tiny_outcome(outcome="ls", costs=outcome_costs),
        ]
    }
    return vh.tiny_spec(tmp_path, rows, valuation=val, extra_outcomes=[ls])


def test_wellby_valued_at_the_treasury_value_and_discounted_at_the_health_rate(tmp_path):
    # 10 pupils x +0.1 life-satisfaction points a year = 1 WELLBY a year
    rows = [vh.cost_row(), {"id": "WB", "library": "WELLBY", "outcome": "ls"}]
    r = run(
        _wellbeing_spec(tmp_path, rows, ["WB"]),
        {"o": est(-0.1), "ls": est(0.1, outcome="ls", period="year")},
    )
    wellby = 13000 * 100 / 81.1085 * (1 - 0.1)  # 2019 prices -> 2024; grade 2 cuts 10%
    line = r.by_outcome().set_index("cost_id")["pv"]
    assert line["WB"] == pytest.approx(wellby * D15.sum(), rel=1e-12)
    assert line["X"] == pytest.approx(100 * D35.sum(), rel=1e-12)  # money: standard rate
    assert r.pv_by_value_type["social"] == pytest.approx(wellby * D15.sum(), rel=1e-12)
    assert r.financial_roi == pytest.approx(100 * D35.sum() / 200, rel=1e-12)  # not fiscal
    reg = r.assumptions.set_index("parameter")
    assert "Wellbeing Guidance for Appraisal" in reg.loc["cost:WB", "source"]


def test_qaly_valued_at_the_dhsc_value(tmp_path):
    rows = [vh.cost_row(), {"id": "Q", "library": "QALY", "outcome": "ls"}]
    r = run(
        _wellbeing_spec(tmp_path, rows, ["Q"]),
        {"o": est(-0.1), "ls": est(0.01, outcome="ls", period="year")},
    )
    # 10 x 0.01 = 0.1 QALY a year x 70,000 (2024 prices) x 0.9 (grade 2), health discounting
    line = r.by_outcome().set_index("cost_id")["pv"]
    assert line["Q"] == pytest.approx(0.1 * 70000 * 0.9 * D15.sum(), rel=1e-12)


def test_health_rate_is_per_line_not_per_outcome(tmp_path):
    # One outcome valued twice: in WELLBYs (health rate 1.5%) and in money (standard 3.5%).
    # 10 pupils x +0.1 points = 1 unit a year; WELLBY 13,000 (2019) x 100 / 81.1085 (2024)
    # x 0.9 (grade 2); the money line is 50 a unit (grade 1).
    rows = [
        vh.cost_row(),
        {"id": "WB", "library": "WELLBY", "outcome": "ls"},
        vh.cost_row(id="M", outcome="ls", amount=50, description="money per point"),
    ]
    r = run(
        _wellbeing_spec(tmp_path, rows, ["WB", "M"]),
        {"o": est(-0.1), "ls": est(0.1, outcome="ls", period="year")},
    )
    line = r.by_outcome().set_index("cost_id")["pv"]
    wellby = 13000 * 100 / 81.1085 * 0.9
    assert line["WB"] == pytest.approx(wellby * D15.sum(), rel=1e-12)
    assert line["M"] == pytest.approx(50 * D35.sum(), rel=1e-12)
    rates = r.streams.groupby("cost_id")["discount_factor"].apply(list)
    np.testing.assert_allclose(rates["WB"], D15, rtol=1e-12)
    np.testing.assert_allclose(rates["M"], D35, rtol=1e-12)
