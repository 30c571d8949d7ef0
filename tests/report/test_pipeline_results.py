"""Pipeline on a small synthetic evaluation; results.json built, validated and disclosure-safe."""

import copy
import json

import pytest

from sroi.report.results import (
    ResultsSchemaError,
    build_results,
    load_schema,
    validate_results,
    write_results,
)
from tests.report.helpers import EFFECT


def _prov(result):
    from sroi.report.provenance import provenance

    return provenance(spec_hash=result.spec.hash(), data_hash=result.data_hash, seed=result.seed)


def test_headline_recovers_known_attendance_effect(small_result):
    prim = small_result.primary
    assert prim.name == "attendance" and prim.primary
    e = prim.headline
    assert e is not None and "group" in e.estimand
    assert abs(e.estimate - EFFECT) < 4 * e.std_error
    assert e.ci_low < e.estimate < e.ci_high
    assert prim.mdes == pytest.approx(2.8016 * e.std_error, rel=1e-3)
    # primary first, then secondary outcomes with adjusted p-values
    names = list(small_result.outcomes)
    assert names[0] == "attendance" and len(names) == 6
    sec = [o for o in small_result.outcomes.values() if not o.primary and o.headline is not None]
    assert sec and all(o.p_adjusted is not None and o.p_adjusted >= o.headline.p_value for o in sec)
    assert prim.p_adjusted == pytest.approx(e.p_value)


def test_evidence_and_rare_outcomes(small_result):
    ev = small_result.evidence
    assert ev is not None and ev.design_level == 3
    names = {d.name for d in ev.concerns}
    assert "number of programme schools" in names  # 3 programme schools
    assert small_result.outcomes["permanent_exclusion"].rare


def test_results_validate_against_schema(small_result):
    doc = build_results(small_result, _prov(small_result))
    validate_results(doc)
    assert doc["effects"][0]["outcome"] == "attendance" and doc["effects"][0]["primary"]
    assert doc["effects"][0]["effect"]["estimate"] == pytest.approx(
        small_result.primary.headline.estimate
    )
    assert doc["disclosure"] == {
        "threshold": 10,
        "suppressed_marker": "<10",
        "secondary_marker": "c",
        "rounding_base": None,
    }
    json.dumps(doc, allow_nan=False)  # strictly JSON


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("effects"),
        lambda d: d["provenance"].update(spec_hash="short"),
        lambda d: d["programme"].update(n_treated=3.5),
        lambda d: d["programme"].update(n_treated="3"),
        lambda d: d["effects"][0].update(type="ordinal"),
        lambda d: d.update(unexpected=1),
    ],
)
def test_schema_rejects_broken_documents(small_result, mutate):
    doc = copy.deepcopy(build_results(small_result, _prov(small_result)))
    mutate(doc)
    with pytest.raises(ResultsSchemaError):
        validate_results(doc)


def test_schema_is_valid_draft_2020_12():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(load_schema())


def test_counts_below_threshold_are_suppressed(small_result):
    """With a threshold above the group sizes every count of people becomes '<k'."""
    import dataclasses

    spec = small_result.spec.with_overrides({"report.disclosure_threshold": 100})
    res = dataclasses.replace(small_result, spec=spec)
    doc = build_results(res, _prov(res))
    validate_results(doc)
    assert doc["programme"]["n_treated"] == "<100"
    assert all(c["n_pupils"] == "<100" for c in doc["programme"]["cohorts"])
    assert doc["effects"][0]["effect"]["n_treated"] == "<100"
    # participants and pool add up to all pupils (shown): the pool is hidden with them
    assert doc["programme"]["n_comparison_pool"] == "c"
    assert doc["programme"]["n_units"] >= 100


def test_write_results_checks_identifiers(small_result, small_ids, tmp_path):
    from sroi.report.disclosure import check_no_identifiers

    path = write_results(small_result, tmp_path / "results.json", _prov(small_result))
    assert check_no_identifiers([path], small_ids) == []
    # a note carrying an identifier is redacted, not written
    prim = small_result.primary
    leaky = copy.copy(small_result)
    leaky.warnings = [*small_result.warnings, f"unit {small_ids['pupil_id'][0]} had a gap"]
    path2 = write_results(leaky, tmp_path / "r2.json", _prov(small_result))
    assert small_ids["pupil_id"][0] not in path2.read_text()
    assert "[identifier removed]" in path2.read_text()
    assert prim.headline is not None


def test_render_sections_show_headline_and_suppress(small_result, small_ids):
    from sroi.report import sections
    from sroi.report.disclosure import check_no_identifiers

    head = sections.headline_section(small_result).html
    assert "Main outcome" in head and "Attendance rate" in head
    assert "percentage points" in head and "Maryland Scientific Methods Scale level" in head
    assert head.index("Main outcome") < head.index("Other outcomes") < head.index("Value for money")
    impact = sections.impact_section(small_result)
    details = sections.impact_details_section(small_result)
    assert impact.n_figures + details.n_figures >= 6 and 'class="sroi-chart"' in impact.html
    prog = sections.programme_section(small_result).html
    assert "programme schools" in prog  # schools are institutions: shown as a number
    every = (
        head
        + impact.html
        + prog
        + "".join(
            f(small_result).html
            for f in (
                sections.comparison_section,
                sections.value_section,
                sections.sensitivity_section,
                sections.assumptions_section,
                sections.methods_section,
                sections.limitations_section,
            )
        )
    )
    assert check_no_identifiers(every, small_ids) == []


def test_value_headline_sections_and_results(small_result):
    import math

    from sroi.report import sections
    from sroi.report.steps.value import value_headline

    vh = value_headline(small_result)
    assert math.isfinite(vh.sroi_ratio) and vh.pv_costs > 0
    assert vh.npv == pytest.approx(vh.pv_benefits - vh.pv_costs)
    lo, hi = vh.sroi_interval
    assert lo <= hi and vh.n_draws == 10_000
    assert 0 <= vh.prob_npv_positive <= 1
    assert sections.value_section(small_result).n_figures == 1
    assert sections.sensitivity_section(small_result).n_figures == 3
    reg = sections.assumptions_section(small_result).html
    assert "source" in reg and "illustrative" in reg
    doc = build_results(small_result, _prov(small_result))
    validate_results(doc)
    assert doc["value"]["headline"]["sroi_ratio"] == pytest.approx(vh.sroi_ratio)
    assert doc["value"]["headline"]["sroi_interval"] == pytest.approx([lo, hi])
    assert "draws" not in doc["value"]["simulation"]


def test_effects_carry_outcome_names_for_valuation(small_result, tmp_path):
    """results.json effects round-trip through Effect.from_dict keyed by the spec's outcome name
    (what `sroi value` and the value notebook re-value)."""
    from sroi.effect import Effect
    from sroi.report.results import saved_effects

    path = write_results(small_result, tmp_path / "results.json", _prov(small_result))
    doc = json.loads(path.read_text())
    for item in doc["effects"]:
        if item["effect"] is not None:
            assert Effect.from_dict(item["effect"]).outcome == item["outcome"]
    effects = saved_effects(path)
    assert set(effects) == {k for k, o in small_result.outcomes.items() if o.headline is not None}
    assert effects["attendance"].estimate == pytest.approx(small_result.primary.headline.estimate)


def test_bad_arguments_are_input_errors(tmp_path, small_spec_path):
    from sroi.errors import SroiInputError
    from sroi.report.pipeline import evaluate
    from sroi.report.runner import run
    from sroi.spec import Spec

    with pytest.raises(SroiInputError, match="spec file not found"):
        evaluate(tmp_path / "missing.yaml")
    with pytest.raises(SroiInputError, match="random_state"):
        evaluate(Spec.load(small_spec_path), random_state="7")
    with pytest.raises(SroiInputError, match="parameters must be a dict"):
        run(tmp_path / "x.yaml", tmp_path, parameters=["seed=1"])
    with pytest.raises(SroiInputError, match="seed must be a whole number"):
        run(tmp_path / "x.yaml", tmp_path, parameters={"seed": "one"})


def test_same_spec_data_and_seed_give_the_same_results(small_result, small_spec_path):
    from sroi.report.pipeline import evaluate

    again = evaluate(small_spec_path)
    prov = _prov(small_result)
    a = build_results(small_result, prov)
    b = build_results(again, prov)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (0.0123, "rate", "+1.23 percentage points"),
        (-0.05, "binary", "-5.00 percentage points"),
        (0.0123, "count", "+0.012"),
        (None, "rate", "n/a"),
        (float("nan"), "count", "n/a"),
    ],
)
def test_format_effect(value, kind, expected):
    from sroi.report.sections import format_effect

    assert format_effect(value, kind) == expected


def test_aggregate_results_across_evaluations(small_result, tmp_path):
    from sroi.errors import SroiInputError
    from sroi.report.results import aggregate_results

    a = write_results(small_result, tmp_path / "a" / "results.json", _prov(small_result))
    b = write_results(small_result, tmp_path / "b" / "results.json", _prov(small_result))
    table = aggregate_results([a, b])
    assert len(table) == 2 * len(small_result.outcomes)
    prim = table[table["primary"]]
    assert prim["estimate"].tolist() == pytest.approx([small_result.primary.headline.estimate] * 2)
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": "1.0"}')
    with pytest.raises(SroiInputError, match="bad.json"):
        aggregate_results([a, bad])


def test_pooled_balance_weights_cohorts_and_keeps_missing_variance_ratio():
    """Pooled balance: participant-weighted mean over cohorts; a binary covariate's variance
    ratio (undefined) stays missing instead of averaging to 0."""
    import numpy as np
    import pandas as pd

    from sroi.report.record import CohortMatch, MatchingSummary

    def bal(smd, vr_x):
        return pd.DataFrame(
            {
                "covariate": ["x", "fsm"],
                "smd_after": [smd, 2 * smd],
                "var_ratio_after": [vr_x, np.nan],
            }
        )

    ms = MatchingSummary(
        method="nearest",
        cohorts=[
            CohortMatch(4, 100, 90, 90, balance=bal(0.1, 1.2)),
            CohortMatch(6, 40, 30, 30, balance=bal(-0.2, 0.8)),
        ],
    )
    b = ms.balance().set_index("covariate")
    assert b.loc["x", "smd_after"] == pytest.approx((90 * 0.1 + 30 * -0.2) / 120)
    assert b.loc["x", "var_ratio_after"] == pytest.approx((90 * 1.2 + 30 * 0.8) / 120)
    assert np.isnan(b.loc["fsm", "var_ratio_after"])
    assert ms.worst_variance_ratio() == pytest.approx(1.1)
