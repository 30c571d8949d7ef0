"""The pipeline calls the library directly: a broken internal call fails, it never turns into a
"section unavailable" note. Parts are left out only for reasons of the data or the spec, and
those reasons are stated in words."""

import pytest
import yaml

from sroi.errors import SroiInputError
from sroi.report.capture import WarningLog
from sroi.report.pipeline import evaluate
from sroi.spec import Spec
from tests.report.helpers import write_small_evaluation

ONE_OUTCOME = {
    "design.outcomes": [
        {
            "name": "attendance",
            "column": "attendance_rate",
            "type": "rate",
            "direction": "increase",
            "primary": True,
        },
        {
            "name": "suspensions",
            "column": "suspensions",
            "type": "count",
            "direction": "decrease",
        },
    ]
}

#: Every library function the pipeline calls, by the module that calls it.
LIBRARY_CALLS = [
    ("sroi.report.steps.headline", "staggered_did"),
    ("sroi.report.steps.headline", "matched_staggered_did"),
    ("sroi.report.steps.matching", "match"),
    ("sroi.report.steps.diagnostics", "event_study"),
    ("sroi.report.steps.diagnostics", "did"),
    ("sroi.report.steps.diagnostics", "staggered_did"),
    ("sroi.report.steps.diagnostics", "bacon_decomposition"),
    ("sroi.report.steps.diagnostics", "twfe_vs_cs_warning"),
    ("sroi.report.steps.diagnostics", "honest_did"),
    ("sroi.report.steps.multiplicity", "adjust_secondary"),
    ("sroi.value", "run"),
    ("sroi.value", "simulate"),
    ("sroi.report.steps.evidence", "assess_evidence"),
]


@pytest.fixture(scope="module")
def small_spec(tmp_path_factory):
    """Two outcomes, matched design, with valuation: every step of the pipeline runs."""
    folder = tmp_path_factory.mktemp("one_outcome")
    # matched on characteristics only: in the small data the lagged history separates a cohort
    spec = write_small_evaluation(
        folder,
        matched=True,
        **ONE_OUTCOME,
        **{"design.matching.history": [], "design.matching.history_within_school": []},
    )
    # value only the outcomes this design estimates (a valued outcome must be estimated)
    raw = yaml.safe_load(spec.read_text(encoding="utf-8"))
    names = {o["name"] for o in ONE_OUTCOME["design.outcomes"]}
    raw["valuation"]["outcomes"] = [
        o for o in raw["valuation"]["outcomes"] if o["outcome"] in names
    ]
    for key in list(raw["valuation"].get("uncertainty", {}) or {}):
        if key.split(":")[-1] not in names and ":" in key:
            raw["valuation"]["uncertainty"].pop(key)
    spec.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return Spec.load(spec)


@pytest.mark.parametrize(("module", "name"), LIBRARY_CALLS, ids=lambda x: x)
def test_a_broken_library_call_fails_the_evaluation(small_spec, monkeypatch, module, name):
    """A signature change (here: the library function raising TypeError) must fail the
    evaluation, not produce a report with a missing section."""
    import importlib

    mod = importlib.import_module(module)
    assert callable(getattr(mod, name)), f"{module} no longer calls {name}"

    def broken(*args, **kwargs):
        raise TypeError(f"{name}() got an unexpected keyword argument")

    monkeypatch.setattr(mod, name, broken)
    spec = small_spec
    if name == "staggered_did" and module.endswith("headline"):
        spec = spec.with_overrides({"design.did.matched": False})
    with pytest.raises(TypeError, match=name):
        evaluate(spec)


def test_no_valuation_section_is_stated_in_words(small_spec):
    from sroi.report import sections

    spec = small_spec.with_overrides({"valuation": None, "programme.delivery_costs": []})
    result = evaluate(spec)
    assert result.value is None
    assert result.unavailable["value"] == "the spec has no valuation section"
    html = sections.value_section(result).html
    assert "Section unavailable: value</strong>: the spec has no valuation section" in html
    assert result.primary.headline is not None and result.evidence is not None


def test_matched_design_with_options_it_does_not_use_is_an_input_error(small_spec):
    spec = small_spec.with_overrides({"design.did.control_group": "not_yet_treated"})
    with pytest.raises(SroiInputError, match=r"design\.did\.control_group"):
        evaluate(spec)


def test_warnings_belong_to_their_run():
    """Each run has its own log: nothing carries over between runs in one process."""
    import warnings

    a, b = WarningLog(), WarningLog()
    with a.capture("attendance: matched DiD"):
        warnings.warn("3 of 100 treated units were not matched", stacklevel=1)
    with a.capture("suspensions: matched DiD"):
        warnings.warn("3 of 100 treated units were not matched", stacklevel=1)
    with b.capture("valuation"):
        warnings.warn("no effect for camhs", stacklevel=1)
        warnings.warn("x", DeprecationWarning, stacklevel=1)
    assert a.messages == ["attendance: matched DiD: 3 of 100 treated units were not matched"]
    assert b.messages == ["valuation: no effect for camhs"]


def test_evaluate_rejects_a_bad_random_state(small_spec):
    with pytest.raises(SroiInputError, match="random_state"):
        evaluate(small_spec, random_state="7")
