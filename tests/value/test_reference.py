"""Present values against numpy-financial reference numbers (tests/fixtures/value)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sroi.value as value
from sroi import Effect
from tests.value import helpers as vh

REF = json.loads((vh.FIXTURES / "reference_npv.json").read_text())


@pytest.mark.parametrize("case", REF["cases"], ids=[f"rate={c['rate']}" for c in REF["cases"]])
def test_pv_matches_numpy_financial(tmp_path, case):
    discount = {} if case["rate"] == 0.035 else {"constant_rate": case["rate"]}  # GB schedule
    spec = vh.tiny_spec(
        tmp_path,
        valuation={
            "appraisal_years": 10,
            "adjustments": {"attribution": 0.25, "drop_off": 0.1},
            "discount": discount,
            "outcomes": [
                {
                    "outcome": "o",
                    "effect_period": "year",
                    "observed_years": 1,
                    "benefit_years": 10,
                    "in_school": False,
                }
            ],
        },
        delivery=[{"year": 0, "amount": 300, "description": "d", "spent": True}],
    )
    r = value.run(spec, {"o": Effect.from_estimate(-0.1, 0.01, outcome="o")})
    np.testing.assert_allclose(r.by_year()["benefits"], REF["streams"]["benefits"], rtol=1e-12)
    assert r.pv_benefits == pytest.approx(case["pv_benefits"], rel=1e-12)
    assert r.pv_costs == pytest.approx(case["pv_costs"], rel=1e-12)
    assert r.npv == pytest.approx(case["npv"], rel=1e-12)
