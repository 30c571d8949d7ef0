"""The starter spec's valuation section: complete, commented, valid with the starter costs."""

from __future__ import annotations

import shutil
import warnings

import pytest

import sroi.value as value
from sroi import Effect, resources
from sroi.spec import Spec
from sroi.value import config

MODELS = (
    config.ValuationSection,
    config.Adjustments,
    config.OutcomeValuation,
    config.ConversionStep,
    config.AssumedEffect,
    config.DiscountSettings,
    config.OptimismBias,
    config.UncertainParameter,
    config.DeliveryCost,
)


def test_template_documents_every_valuation_field():
    text = resources.template("evaluation.yaml").read_text(encoding="utf-8")
    valuation = text[text.index("\nvaluation:") :]
    missing = [
        f"{m.__name__}.{name}" for m in MODELS for name in m.model_fields if name not in valuation
    ]
    assert missing == []


def test_template_valuation_runs_with_the_starter_cost_workbook(tmp_path):
    shutil.copy(resources.template("evaluation.yaml"), tmp_path / "evaluation.yaml")
    shutil.copy(resources.template("unit_costs.xlsx"), tmp_path / "unit_costs.xlsx")
    spec = Spec.load(tmp_path / "evaluation.yaml")
    assert spec.valuation is not None and spec.valuation.price_year == "2024"
    effects = {
        "attendance": Effect.from_estimate(0.02, 0.006, outcome="attendance", period="term"),
        "suspensions": Effect.from_estimate(-0.03, 0.012, outcome="suspensions", period="term"),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = value.run(spec, effects)
    assert r.pv_benefits > 0
    assert {"ATT_DAY", "SUSP_PROCESS"} == set(r.streams["cost_id"])


def test_sample_evaluation_values_with_library_lines():
    spec = Spec.load(resources.sample_spec())
    table = value.load_unit_costs(spec.resolve(spec.valuation.cost_file))
    local = set(table.data.loc[table.data["library"] != "", "id"])
    listed = {c for s in spec.valuation.conversions for c in s.costs}
    library = set(value.load_library().index)
    assert {"PA_TRUANCY", "PEX_AP", "CSC_REFERRAL", "CSC_ASSESS"} <= local
    assert {"SS5.0", "SS1.0", "HE12.3", "E&S1.0.2", "E&S1.0.3"} <= listed & library


@pytest.mark.parametrize("field", ["convention"])
def test_removed_fields_are_not_in_the_template(field):
    text = resources.template("evaluation.yaml").read_text(encoding="utf-8")
    assert f"{field}:" not in text[text.index("\nvaluation:") :]
