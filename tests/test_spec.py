"""Evaluation spec: loading, validation errors naming the YAML path and line, overrides."""

from pathlib import Path

import pytest
import yaml

from sroi import SroiInputError
from sroi.spec import Spec

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "evaluations" / "impact_programmes" / "evaluation.yaml"
TEMPLATE = ROOT / "templates" / "evaluation.yaml"


def minimal() -> dict:
    return {
        "programme": {"name": "p"},
        "data": {
            "path": "panel.csv",
            "columns": {"unit": "id", "time": "t", "cohort": "g"},
        },
        "design": {
            "outcomes": [
                {
                    "name": "y",
                    "column": "y",
                    "type": "rate",
                    "direction": "increase",
                    "primary": True,
                }
            ]
        },
    }


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "evaluation.yaml"
    p.write_text(text)
    return p


def test_sample_spec_loads_and_resolves_paths():
    spec = Spec.load(SAMPLE)
    assert spec.design.primary_outcome.name == "attendance"
    assert spec.resolve(spec.data.path).name == "panel.csv"
    assert spec.report.disclosure_threshold == 10
    assert len(spec.hash()) == 64 and spec.hash() == Spec.load(SAMPLE).hash()


def test_template_spec_is_valid():
    spec = Spec.load(TEMPLATE)
    assert spec.design.multiplicity == "holm"


def test_minimal_defaults_follow_design():
    spec = Spec.from_dict(minimal())
    assert spec.design.matching.method == "nearest"
    assert spec.design.matching.distance == "logit"
    assert spec.design.did.control_group == "never_treated"
    assert spec.design.did.base_period == "varying"
    assert spec.data.missing == "drop"
    assert spec.report.disclosure_threshold == 10


def test_caliper_must_be_positive_with_path_and_line(tmp_path):
    raw = minimal()
    raw["design"]["matching"] = {"caliper": 0}
    text = yaml.safe_dump(raw, sort_keys=False)
    with pytest.raises(SroiInputError) as err:
        Spec.load(write(tmp_path, text))
    msg = str(err.value)
    assert "design.matching.caliper: must be > 0" in msg
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "caliper" in s)
    assert f"(line {line})" in msg


def test_unknown_key_is_a_typo_error(tmp_path):
    raw = minimal()
    raw["design"]["matchng"] = {"ratio": 2}
    with pytest.raises(SroiInputError, match=r"design\.matchng: unknown field"):
        Spec.load(write(tmp_path, yaml.safe_dump(raw)))


def test_missing_section_and_field():
    raw = minimal()
    del raw["data"]
    with pytest.raises(SroiInputError, match=r"data: required field is missing"):
        Spec.from_dict(raw)
    raw = minimal()
    del raw["data"]["columns"]["unit"]
    with pytest.raises(SroiInputError, match=r"data\.columns\.unit: required field is missing"):
        Spec.from_dict(raw)


def test_exactly_one_primary_outcome():
    raw = minimal()
    raw["design"]["outcomes"].append(
        {"name": "z", "column": "z", "type": "binary", "direction": "decrease", "primary": True}
    )
    with pytest.raises(SroiInputError, match="exactly one outcome must have primary"):
        Spec.from_dict(raw)


def test_bad_choice_lists_allowed_values():
    raw = minimal()
    raw["design"]["outcomes"][0]["type"] = "ratio"
    with pytest.raises(SroiInputError, match=r"design\.outcomes\.0\.type: must be one of"):
        Spec.from_dict(raw)


def test_invalid_yaml_and_non_mapping(tmp_path):
    with pytest.raises(SroiInputError, match=r"not valid YAML \(line \d+\)"):
        Spec.load(write(tmp_path, "programme:\n  name: [unclosed\n"))
    with pytest.raises(SroiInputError, match="expected a YAML mapping"):
        Spec.load(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(SroiInputError, match="spec file not found"):
        Spec.load(tmp_path / "nope.yaml")


def test_categorical_must_be_covariates_and_window_order():
    raw = minimal()
    raw["data"]["columns"]["categorical"] = ["sex"]
    with pytest.raises(SroiInputError, match="categorical columns"):
        Spec.from_dict(raw)
    raw = minimal()
    raw["design"]["did"] = {"window": [2, 4]}
    with pytest.raises(SroiInputError, match="design.did: window must be"):
        Spec.from_dict(raw)


def test_overrides_revalidate_and_keep_path():
    spec = Spec.load(SAMPLE)
    new = spec.with_overrides({"design.matching.caliper": 0.1, "seed": 7})
    assert new.design.matching.caliper == 0.1 and new.seed == 7
    assert new.path == spec.path and new.hash() != spec.hash()
    with pytest.raises(SroiInputError, match="must be > 0"):
        spec.with_overrides({"design.matching.caliper": -1})
    with pytest.raises(SroiInputError, match="has no field 'nosuch'.*allowed fields: spec_version"):
        spec.with_overrides({"nosuch.field": 1})
