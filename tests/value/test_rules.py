"""Double-counting rules and spec-level validation errors of the value model."""

from __future__ import annotations

import pytest

import sroi.value as value
from sroi import Effect, SroiInputError
from tests.value import helpers as vh


def eff(x: float, outcome: str = "o", **kw) -> Effect:
    return Effect.from_estimate(x, 0.01, outcome=outcome, **kw)


# ------------------------------------------------------------------ double counting
def test_attendance_and_persistent_absence_not_both(spec, effects):
    s = spec.with_overrides(
        {
            "valuation.outcomes": [
                {"outcome": "attendance", "costs": ["ATT_DAY"], "quantity_per_unit": 190},
                {"outcome": "persistent_absence", "costs": ["PA_TRUANCY"]},
            ]
        }
    )
    with pytest.raises(SroiInputError, match="absence is valued twice.*ATT_DAY.*PA_TRUANCY"):
        value.run(s, effects)


def test_suspension_lost_days_not_with_attendance(spec, effects):
    s = spec.with_overrides(
        {
            "valuation.outcomes": [
                {"outcome": "attendance", "costs": ["ATT_DAY"], "quantity_per_unit": 190},
                {"outcome": "suspensions"},  # default: both suspension rows incl. lost days
            ]
        }
    )
    with pytest.raises(SroiInputError, match="ATT_DAY.*SUSP_LOST_DAYS"):
        value.run(s, effects)
    # suspensions' lost days are fine when absence itself is not valued
    ok = spec.with_overrides(
        {"valuation.outcomes": [{"outcome": "suspensions"}], "valuation.conversions": []}
    )
    assert value.run(ok, effects).pv_benefits > 0


def test_lifetime_exclusion_not_with_youth_justice(tmp_path):
    rows = [
        vh.cost_row(id="LIFE", category="lifetime_exclusion"),
        vh.cost_row(id="YJ", category="youth_justice", agency="youth_justice"),
    ]
    spec = vh.tiny_spec(tmp_path, rows)
    with pytest.raises(SroiInputError, match="LIFE.*lifetime cost of exclusion.*YJ"):
        value.run(spec, {"o": eff(-0.1)})


def test_referral_chain_step_costed_twice(tmp_path):
    rows = [
        vh.cost_row(id="A1", category="assessment", agency="children_social_care"),
        vh.cost_row(id="A2", category="assessment", agency="children_social_care"),
    ]
    spec = vh.tiny_spec(tmp_path, rows)
    with pytest.raises(SroiInputError, match="assessment step.*costed twice.*A1.*A2"):
        value.run(spec, {"o": eff(-0.1)})


def test_later_chain_step_needs_a_conversion(tmp_path):
    rows = [
        vh.cost_row(
            id="CIN",
            outcome="csc_referral",
            category="child_in_need",
            agency="children_social_care",
        )
    ]
    spec = vh.tiny_spec(
        tmp_path,
        rows,
        outcome={
            "name": "csc_referral",
            "column": "csc_referral",
            "type": "binary",
            "direction": "decrease",
            "primary": True,
        },
        valuation={
            "outcomes": [
                {
                    "outcome": "csc_referral",
                    "effect_period": "year",
                    "benefit_years": 1,
                    "in_school": False,
                }
            ]
        },
    )
    with pytest.raises(SroiInputError, match="valuation.conversions"):
        value.run(spec, {"csc_referral": eff(-0.1, "csc_referral")})


def test_same_cost_row_for_two_outcomes(tmp_path):
    rows = [vh.cost_row()]
    spec = vh.tiny_spec(
        tmp_path,
        rows,
        extra_outcomes=[{"name": "p", "column": "p", "type": "binary", "direction": "decrease"}],
        valuation={
            "outcomes": [
                {"outcome": "o", "benefit_years": 1, "in_school": False},
                {"outcome": "p", "costs": ["X"], "benefit_years": 1, "in_school": False},
            ]
        },
    )
    with pytest.raises(SroiInputError, match="'X' is valued for two outcomes"):
        value.run(spec, {"o": eff(-0.1), "p": eff(-0.1, "p")})


# ------------------------------------------------------------------ spec validation
def test_unknown_valuation_key_is_an_error(spec):
    with pytest.raises(SroiInputError, match="discount_rate"):
        spec.with_overrides({"valuation.discount_rate": 0.035})


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"valuation.price_year": "2024-26"}, "the second year must follow the first"),
        ({"valuation.discount": {"convention": "end"}}, "discount.convention was removed"),
        ({"valuation.starts_by_year": [-1, 5]}, "non-negative"),
        ({"valuation.adjustments": {"attribution": 1.5}}, "attribution"),
        ({"valuation.appraisal_years": 0}, "appraisal_years"),
    ],
)
def test_spec_field_errors(spec, override, message):
    with pytest.raises(SroiInputError, match=message):
        spec.with_overrides(override)


def test_model_input_errors(tmp_path):
    spec = vh.tiny_spec(tmp_path)
    cases = [
        ({"valuation.price_year": "1985-86"}, "needs calendar year"),
        ({"valuation.price_year": "2024-25"}, "needs calendar year"),
        ({"valuation.starts_by_year": [3, 3]}, "sums to 6 but the cohort size is 10"),
        ({"valuation.outcomes": [{"outcome": "o", "costs": ["NOPE"]}]}, "cost id 'NOPE'"),
        ({"valuation.outcomes": [{"outcome": "zz"}]}, "direction unknown"),
        (
            {"programme.delivery_costs": [{"year": 7, "amount": 1, "description": "x"}]},
            "beyond the appraisal period",
        ),
    ]
    for override, message in cases:
        with pytest.raises(SroiInputError, match=message):
            value.run(spec.with_overrides(override), {"o": eff(-0.1), "zz": eff(-0.1, "zz")})


def test_remaining_duration_needs_school_years(tmp_path):
    rows = [vh.cost_row(basis="per_annum", duration_years="remaining")]
    spec = vh.tiny_spec(tmp_path, rows)
    with pytest.raises(SroiInputError, match="remaining_school_years is not set"):
        value.run(spec, {"o": eff(-0.1)})


def test_no_valuation_section_and_bad_effects(tmp_path):
    spec = vh.tiny_spec(tmp_path)
    no_val = spec.model_copy(update={"valuation": None})
    with pytest.raises(SroiInputError, match="no 'valuation' section"):
        value.run(no_val, {"o": eff(-0.1)})
    with pytest.raises(SroiInputError, match="not an sroi.Effect"):
        value.run(spec, {"o": 0.1})
    with pytest.raises(SroiInputError, match="no outcome name"):
        value.run(spec, [Effect.from_estimate(0.1, 0.1)])
    with pytest.raises(SroiInputError, match="difference"):
        value.run(spec, {"o": eff(0.9, scale="risk ratio")})
    with pytest.raises(SroiInputError, match="no cohort|cohort size unknown"):
        value.run(spec.with_overrides({"programme.cohort_size": None}), {"o": eff(-0.1)})


def test_same_cost_row_listed_twice(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        valuation={
            "outcomes": [
                {"outcome": "o", "costs": ["X", "X"], "benefit_years": 1, "in_school": False}
            ]
        },
    )
    with pytest.raises(SroiInputError, match="'X' is valued twice"):
        value.run(spec, {"o": eff(-0.1)})
