"""Hand-computed worked examples for sroi.value.run."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import sroi.value as value
from sroi import Effect, SroiInputError, SroiWarning
from tests.value import helpers as vh


def eff(x: float, se: float = 0.01, **kw) -> Effect:
    return Effect.from_estimate(x, se, outcome=kw.pop("outcome", "o"), **kw)


def test_three_year_stream_discounted_by_hand(tmp_path):
    # 10 pupils x 0.1 fewer events a year = 1 event a year x 100 for years 0, 1, 2
    spec = vh.tiny_spec(tmp_path)
    r = value.run(spec, {"o": eff(-0.1)})
    pv = 100 + 100 / 1.035 + 100 / 1.035**2  # 289.96943
    assert r.pv_benefits == pytest.approx(pv, rel=1e-12)
    assert r.pv_benefits == pytest.approx(289.96943, abs=1e-4)
    assert r.pv_costs == pytest.approx(200.0)
    assert r.npv == pytest.approx(pv - 200)
    assert r.sroi_ratio == pytest.approx(pv / 200)
    assert r.financial_roi == pytest.approx(pv / 200)
    assert r.cashable_roi == 0.0
    # payback: 200 up front, 100 (PV) in year 0, 96.618 in year 1, then 3.382 of 93.351
    assert r.payback_years == pytest.approx(2 + (200 - 100 - 100 / 1.035) / (100 / 1.035**2))
    by_year = r.by_year()
    np.testing.assert_allclose(by_year["benefits"], [100, 100, 100])
    assert r.observed == ["o"] and r.modelled == [] and r.assumed == []


def test_dropoff_30_year_step_attribution_and_optimism_bias(tmp_path):
    rows = [vh.cost_row(confidence="2")]  # grade 2: benefits cut by 10%
    spec = vh.tiny_spec(
        tmp_path,
        rows,
        valuation={
            "appraisal_years": 35,
            "adjustments": {"attribution": 0.25, "drop_off": 0.1},
            "optimism_bias": {"costs": 0.2},
            "outcomes": [
                {
                    "outcome": "o",
                    "effect_period": "year",
                    "observed_years": 1,
                    "benefit_years": 35,
                    "in_school": False,
                    "benefit_years_source": "illustrative",
                }
            ],
        },
        delivery=[{"year": 0, "amount": 1000, "description": "delivery"}],
    )
    r = value.run(spec, {"o": eff(-0.1)})
    pv = 0.0
    factor = 1.0
    for k in range(35):
        if k >= 1:
            factor /= 1.035 if k <= 30 else 1.03
        pv += 1.0 * 100 * 0.9 * 0.75 * 0.9**k * factor
    assert r.pv_benefits == pytest.approx(pv, rel=1e-12)
    assert r.pv_costs == pytest.approx(1200.0)  # 20% uplift on a cost not yet spent
    assert r.npv == pytest.approx(pv - 1200)
    # the factor for year 31 compounds: 1.035^-30 x 1.03^-1
    d = value.discount_factors(35)
    assert d[31] == pytest.approx(1.035**-30 / 1.03)


def test_payback_inside_a_year(tmp_path):
    spec = vh.tiny_spec(
        tmp_path, delivery=[{"year": 0, "amount": 100, "description": "d", "spent": True}]
    )
    r = value.run(spec, {"o": eff(-0.4)})  # 4 events x 100 = 400 in year 0
    assert r.payback_years == pytest.approx(0.25)
    assert value.payback_period(np.array([400.0, 0]), np.array([100.0, 0])) == 0.25


def test_negative_npv_and_no_payback(tmp_path):
    spec = vh.tiny_spec(
        tmp_path, delivery=[{"year": 0, "amount": 5000, "description": "d", "spent": True}]
    )
    r = value.run(spec, {"o": eff(-0.1)})
    assert r.npv == pytest.approx(289.96943 - 5000, abs=1e-4)
    assert r.sroi_ratio < 1
    assert math.isnan(r.payback_years)
    assert "not within the period" in r.summary()


def test_negative_effect_raises_referrals_is_a_cost(tmp_path):
    # a programme that finds unmet need raises referrals: +0.1 events on a 'decrease' outcome
    spec = vh.tiny_spec(tmp_path)
    r = value.run(spec, {"o": eff(0.1)})
    assert r.pv_benefits == pytest.approx(-289.96943, abs=1e-4)
    assert r.sroi_ratio == pytest.approx(-289.96943 / 200, abs=1e-6)


def test_increase_outcome_with_quantity_per_unit(tmp_path):
    # attendance rate +0.02 x 190 days = 3.8 days per pupil per year, 10 pupils, £30 a day
    rows = [vh.cost_row(id="DAY", outcome="att", amount=30)]
    spec = vh.tiny_spec(
        tmp_path,
        rows,
        outcome={
            "name": "att",
            "column": "attendance_rate",
            "type": "rate",
            "direction": "increase",
            "primary": True,
        },
        valuation={
            "appraisal_years": 1,
            "outcomes": [
                {
                    "outcome": "att",
                    "quantity_per_unit": 190,
                    "observed_years": 1,
                    "benefit_years": 1,
                    "in_school": False,
                }
            ],
        },
    )
    r = value.run(spec, {"att": eff(0.02, outcome="att", period="term")})
    assert r.pv_benefits == pytest.approx(0.02 * 190 * 10 * 30)


def test_per_term_binary_is_annualised(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        valuation={
            "appraisal_years": 1,
            "outcomes": [
                {"outcome": "o", "observed_years": 1, "benefit_years": 1, "in_school": False}
            ],
        },
    )
    r = value.run(spec, {"o": eff(-0.01, period="term")})
    # 0.01 per term x 3 terms x 10 pupils x 100
    assert r.pv_benefits == pytest.approx(30.0)


def test_price_year_conversion_uses_deflators(tmp_path):
    rows = [vh.cost_row(price_year="2023-24")]
    spec = vh.tiny_spec(tmp_path, rows)
    r = value.run(spec, {"o": eff(-0.1)})
    # HM Treasury calendar-year deflators: 2023-24 = 0.75 x D(2023) + 0.25 x D(2024)
    f = 100.0 / (0.75 * 96.2507 + 0.25 * 100.0)
    assert r.pv_benefits == pytest.approx(289.96943 * f, abs=1e-3)


def test_staggered_starts_and_remaining_school_years(tmp_path):
    rows = [vh.cost_row(basis="per_annum", duration_years="remaining", amount=1000)]
    spec = vh.tiny_spec(
        tmp_path,
        rows,
        valuation={
            "appraisal_years": 4,
            "starts_by_year": [5, 5],
            "remaining_school_years": 2.5,
            "discount": {"constant_rate": 0.0},
            "outcomes": [
                {"outcome": "o", "effect_period": "year", "observed_years": 1, "benefit_years": 1}
            ],
        },
    )
    r = value.run(spec, {"o": eff(-0.2)})
    # each pupil avoids 0.2 events in participant year 0; each saves 1000 a year for 2.5 years
    # (years 0, 1 full and half of year 2). Starts: 5 in year 0, 5 in year 1.
    by_year = r.by_year()["benefits"].to_numpy()
    np.testing.assert_allclose(by_year, [1000, 2000, 1500, 500])
    assert r.pv_benefits == pytest.approx(5000.0)


def test_benefit_period_capped_at_remaining_school_years(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        valuation={
            "remaining_school_years": 1.5,
            "discount": {"constant_rate": 0.0},
            "outcomes": [
                {"outcome": "o", "effect_period": "year", "observed_years": 3, "benefit_years": 3}
            ],
        },
    )
    with pytest.warns(SroiWarning, match="capped"):
        r = value.run(spec, {"o": eff(-0.1)})
    assert r.pv_benefits == pytest.approx(150.0)


def test_lag_shifts_the_stream(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        valuation={
            "adjustments": {"drop_off": 0.0, "lag_years": 1},
            "discount": {"constant_rate": 0.0},
        },
    )
    r = value.run(spec, {"o": eff(-0.1)})
    np.testing.assert_allclose(r.by_year()["benefits"], [0, 100, 100])


def test_zero_discount_equals_undiscounted_sum(spec, effects):
    s0 = spec.with_overrides({"valuation.discount": {"constant_rate": 0.0}})
    r = value.run(s0, effects)
    assert r.pv_benefits == pytest.approx(r.by_year()["benefits"].sum())
    assert r.pv_costs == pytest.approx(r.by_year()["costs"].sum())


def test_transfers_shown_but_not_public_value(tmp_path):
    rows = [vh.cost_row(), vh.cost_row(id="BEN", value_type="transfer", agency="dwp")]
    spec = vh.tiny_spec(tmp_path, rows)
    r = value.run(spec, {"o": eff(-0.1)})
    assert r.pv_benefits == pytest.approx(289.96943, abs=1e-4)
    assert r.pv_transfers == pytest.approx(289.96943, abs=1e-4)


def test_cashable_and_economic_split(tmp_path):
    rows = [
        vh.cost_row(value_type="fiscal_cashable"),
        vh.cost_row(id="ECON", value_type="economic", agency="society", amount=50),
    ]
    spec = vh.tiny_spec(tmp_path, rows)
    r = value.run(spec, {"o": eff(-0.1)})
    pv = 289.96943
    assert r.pv_benefits == pytest.approx(1.5 * pv, abs=1e-3)
    assert r.financial_roi == pytest.approx(pv / 200, abs=1e-5)
    assert r.cashable_roi == pytest.approx(pv / 200, abs=1e-5)
    assert r.public_value_roi == pytest.approx(1.5 * pv / 200, abs=1e-5)


def test_health_rate_only_for_qaly_rows(tmp_path):
    rows = [vh.cost_row(measure="QALY", value_type="social", agency="individual")]
    spec = vh.tiny_spec(tmp_path, rows)
    r = value.run(spec, {"o": eff(-0.1)})
    assert r.pv_benefits == pytest.approx(100 + 100 / 1.015 + 100 / 1.015**2)


def test_modelled_conversion_kept_out_of_headline(spec, effects):
    r = value.run(spec, effects)
    assert r.modelled == ["camhs_case", "child_in_need", "csc_assessment", "looked_after"]
    assert r.pv_modelled > 0
    head = r.by_outcome()
    assert r.pv_benefits == pytest.approx(head.loc[head["basis"] != "modelled", "pv"].sum())


def test_sample_spec_summary_and_to_dict(spec, effects):
    r = value.run(spec, effects)
    text = r.summary()
    for word in ("SROI ratio", "Net present value", "Payback", "persistent_absence", "2024 prices"):
        assert word in text
    d = r.to_dict()
    s = json.dumps(d)
    assert json.loads(s)["sroi_ratio"] == pytest.approx(r.sroi_ratio)
    assert {"assumptions", "by_year", "by_agency", "switching_values", "warnings"} <= set(d)
    # every unit cost used is in the assumptions register, with its source
    reg = r.assumptions.set_index("parameter")
    for cid in ("SUSP_PROCESS", "PEX_PROCESS", "CAMHS_ASSESS"):
        assert "illustrative" in reg.loc[f"cost:{cid}", "source"]
    for cid in ("PA_TRUANCY", "PEX_AP", "CSC_REFERRAL", "CSC_ASSESS", "SS5.0", "SS1.0", "HE12.3"):
        assert "Unit Cost Database v1.2" in reg.loc[f"cost:{cid}", "source"]
        assert reg.loc[f"uprating:{cid}", "value"] > 1
    assert {e["outcome"] for e in r.excluded} == {"attendance"}


def test_effects_as_list_and_by_column_name(spec, effects):
    r1 = value.run(spec, effects)
    r2 = value.run(spec, list(effects.values()))
    assert r2.npv == pytest.approx(r1.npv)
    by_col = dict(effects)
    by_col["attendance_rate"] = by_col.pop("attendance")
    assert value.run(spec, by_col).npv == pytest.approx(r1.npv)


def test_unestimable_effect_is_flagged_not_valued(tmp_path):
    spec = vh.tiny_spec(tmp_path)
    e = Effect(estimate=-0.1, outcome="o")  # no standard error
    with pytest.warns(SroiWarning, match="could not be estimated"):
        r = value.run(spec, {"o": e})
    assert r.pv_benefits == 0.0
    assert r.excluded[0]["outcome"] == "o"
    e2 = eff(-0.1, extra={"estimable": False})
    with pytest.warns(SroiWarning):
        assert value.run(spec, {"o": e2}).pv_benefits == 0.0


def test_event_study_drop_off_default(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        valuation={
            "adjustments": {},
            "discount": {"constant_rate": 0.0},
            "outcomes": [
                {
                    "outcome": "o",
                    "effect_period": "year",
                    "observed_years": 1,
                    "benefit_years": 3,
                    "in_school": False,
                }
            ],
        },
    )
    r = value.run(spec, {"o": eff(-0.1, extra={"drop_off": 0.5})})
    np.testing.assert_allclose(r.by_year()["benefits"], [100, 50, 25])
    r2 = value.run(spec, {"o": eff(-0.1)})  # no event-study drop-off: nothing after year 0
    np.testing.assert_allclose(r2.by_year()["benefits"], [100, 0, 0])


def test_gm_assumed_effects_without_evaluation(tmp_path):
    cost_file = vh.write_costs(tmp_path / "c.csv", [vh.cost_row(outcome="nte")])
    r = value.run_assumed(
        {
            "cost_file": cost_file.name,
            "price_year": "2024",
            "appraisal_years": 2,
            "discount": {"constant_rate": 0.0},
            "adjustments": {"drop_off": 0.0},
            "assumed_effects": [
                {
                    "outcome": "nte",
                    "source": "illustrative",
                    "engagement_rate": 0.8,
                    "success_rate": 0.5,
                    "deadweight": 0.25,
                    "benefit_years": 2,
                    "in_school": False,
                }
            ],
        },
        cohort_size=100,
        delivery_costs=[{"year": 0, "amount": 1000, "description": "d", "spent": True}],
        base_dir=tmp_path,
    )
    # 100 x 0.8 x 0.5 x 0.75 = 30 events a year x 100 = 3000 a year for 2 years
    assert r.pv_benefits == pytest.approx(6000.0)
    assert r.assumed == ["nte"]
    assert r.sroi_ratio == pytest.approx(6.0)


def test_assumed_effect_never_on_top_of_estimated(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        valuation={
            "assumed_effects": [{"outcome": "o", "source": "illustrative", "success_rate": 0.1}],
            "outcomes": [],
        },
    )
    with pytest.raises(SroiInputError, match="never be applied on top"):
        value.run(spec, {"o": eff(-0.1)})


def test_in_kind_and_spent_costs(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        valuation={"optimism_bias": {"costs": 0.5}},
        delivery=[
            {"year": 0, "amount": 100, "description": "spent", "spent": True},
            {"year": 1, "amount": 100, "description": "staff time", "in_kind": True},
            {"year": 2, "amount": 100, "description": "own OB", "optimism_bias": 0.1},
        ],
    )
    r = value.run(spec, {"o": eff(-0.1)})
    assert r.pv_costs == pytest.approx(100 + 150 / 1.035 + 110 / 1.035**2)
    assert bool(r.costs["in_kind"].iloc[1])


def test_assumed_effect_record_drop_off_starts_after_first_year(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        valuation={
            "adjustments": {"drop_off": 0.5, "deadweight": 0.2},
            "discount": {"constant_rate": 0.0},
        },
    )
    e = Effect.assumed(-0.1, outcome="o", source="illustrative")
    r = value.run(spec, {"o": e})
    # not estimated against a comparison group: deadweight applies from year 0;
    # drop-off from the second year
    np.testing.assert_allclose(r.by_year()["benefits"], [80, 40, 20])
    assert r.assumed == ["o"] and r.observed == []
    assert not any("deadweight" in w for w in r.warnings)


def test_effect_with_draws_but_no_se_is_valued(tmp_path):
    spec = vh.tiny_spec(tmp_path)
    d = np.random.default_rng(0).normal(-0.1, 0.01, 200)
    r = value.run(spec, {"o": Effect(estimate=-0.1, outcome="o", draws=d)})
    assert r.pv_benefits == pytest.approx(289.96943, abs=1e-4)
    with pytest.warns(SroiWarning):
        r0 = value.run(spec, {"o": Effect(estimate=0.0, std_error=0.0, outcome="o")})
    assert r0.excluded and r0.pv_benefits == 0.0


def test_per_pupil_remaining_school_years_cap_is_exact(tmp_path):
    # two kinds of pupil: 1 and 3 school years left; default benefit period = years left
    spec = vh.tiny_spec(
        tmp_path,
        valuation={
            "remaining_school_years": [1, 3, 1, 3],
            "discount": {"constant_rate": 0.0},
            "outcomes": [{"outcome": "o", "effect_period": "year", "observed_years": 3}],
        },
    )
    r = value.run(spec, {"o": eff(-0.1)})
    np.testing.assert_allclose(r.by_year()["benefits"], [100, 50, 50])
    # an alternative-provision style cost lasting each pupil's remaining years
    rows = [vh.cost_row(basis="per_annum", duration_years="remaining", amount=1000)]
    spec2 = vh.tiny_spec(
        tmp_path,
        rows,
        valuation={
            "remaining_school_years": [1, 3],
            "discount": {"constant_rate": 0.0},
            "outcomes": [
                {"outcome": "o", "effect_period": "year", "observed_years": 1, "benefit_years": 1}
            ],
        },
    )
    r2 = value.run(spec2, {"o": eff(-0.1)})
    # pupil with 1 year: 1000 in year 0; pupil with 3 years: 1000 in years 0-2 (x 1 event)
    np.testing.assert_allclose(r2.by_year()["benefits"], [1000, 500, 500])


def test_remaining_school_years_validation(tmp_path):
    spec = vh.tiny_spec(tmp_path)
    for bad in ([], [-1, 2], 0):
        with pytest.raises(SroiInputError, match="remaining_school_years"):
            spec.with_overrides({"valuation.remaining_school_years": bad})


def test_remaining_school_years_as_counts_table(tmp_path):
    base = {
        "discount": {"constant_rate": 0.0},
        "outcomes": [{"outcome": "o", "effect_period": "year", "observed_years": 3}],
    }
    as_list = vh.tiny_spec(tmp_path, valuation={**base, "remaining_school_years": [1, 3, 3]})
    as_dict = vh.tiny_spec(tmp_path, valuation={**base, "remaining_school_years": {1: 1, 3: 2}})
    e = {"o": eff(-0.1)}
    a, b = value.run(as_list, e), value.run(as_dict, e)
    np.testing.assert_allclose(a.by_year()["benefits"], [100, 200 / 3, 200 / 3])
    assert b.pv_benefits == pytest.approx(a.pv_benefits)
    # survives the JSON round trip of Spec.with_overrides (keys become strings)
    c = value.run(as_dict.with_overrides({"valuation.appraisal_years": 3}), e)
    assert c.pv_benefits == pytest.approx(a.pv_benefits)
