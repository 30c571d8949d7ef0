"""Few programme schools in the report (issue 13): default cluster, randomisation check, trends.

The small evaluation (tests/report/helpers.py) has 12 schools, 3 of them programme schools,
and a spec copied from the sample, which names the school as ``data.columns.cluster`` and
leaves ``design.did.cluster`` unset.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace

import numpy as np
import pytest

from sroi.data.loading import load_evaluation_data
from sroi.errors import SroiInputError
from sroi.impact.staggered.school_history import add_school_level
from sroi.report.results import build_results, validate_results
from sroi.report.steps.clustering import choose_cluster
from sroi.report.steps.matching import within_school_options
from sroi.report.steps.randomization import N_RESHUFFLES
from sroi.report.steps.school_design import prepare_design
from sroi.spec import Spec
from tests.report.helpers import write_small_evaluation


@pytest.fixture(scope="module")
def small(small_spec_path):
    spec = Spec.load(small_spec_path)
    return spec, load_evaluation_data(spec)


def test_default_cluster_is_the_school_the_programme_was_assigned_by(small):
    spec, data = small
    assert spec.design.did.cluster is None and data.roles.cluster == "school_id"
    choice = choose_cluster(data, spec)
    assert choice.column == "school_id" and choice.by_cluster
    assert (choice.n_clusters, choice.n_programme_clusters) == (12, 3)
    assert "given to whole schools (3 programme schools among 12)" in choice.reason
    assert "school_id" not in choice.reason  # no variable names in the report's sentence
    # the spec the estimators see clusters on the school; the spec itself is unchanged
    _, used, _ = prepare_design(data, spec)
    assert used.design.did.cluster == "school_id" and spec.design.did.cluster is None


def test_cluster_rule_without_a_school_column_or_with_programme_pupils_everywhere(small):
    spec, data = small
    none = replace(data, roles=data.roles.model_copy(update={"cluster": None}))
    choice = choose_cluster(none, spec)
    assert choice.column is None and "may be too narrow" in choice.reason
    # one enrolled pupil in every school: assignment is within schools, clustering is cautious
    panel = data.panel.copy()
    first = panel.groupby("school_id")["pupil_id"].transform("first")
    panel.loc[(panel["pupil_id"] == first) & (panel["cohort"] == 0), "cohort"] = 4
    everywhere = choose_cluster(replace(data, panel=panel), spec)
    assert everywhere.column == "school_id" and not everywhere.by_cluster
    assert "cautious" in everywhere.reason
    asked = spec.model_copy(deep=True)
    asked.design.did.cluster = "school_id"
    assert "as the evaluation's settings ask" in choose_cluster(data, asked).reason


def test_school_relative_history_is_measured_on_whole_schools(tmp_path):
    spec = Spec.load(
        write_small_evaluation(
            tmp_path,
            matched=True,
            **{"design.matching.history_within_school": ["attendance_rate"]},
        )
    )
    assert spec.design.matching.history_within_school == ["attendance_rate"]
    data = load_evaluation_data(spec)
    got, used, choice = prepare_design(data, spec)
    # the spec and the analysis panel are unchanged: the matched estimator measures the
    # relative history on the whole schools it is given (school_panel)
    assert used.design.matching.history == ["attendance_rate", "family_stress"]
    assert used.design.matching.history_within_school == ["attendance_rate"]
    assert got.panel is data.panel
    assert within_school_options(used, choice.whole_schools)["school_panel"] is (
        choice.whole_schools
    )
    with pytest.raises(ValueError, match="whole schools"):
        within_school_options(used, None)
    assert (
        within_school_options(
            spec.with_overrides({"design.matching.history_within_school": []}), None
        )
        == {}
    )
    # the level of a programme school uses all its pupils, not only those left in the pool
    whole = spec.model_copy(deep=True)
    whole.design.comparison_pool = None
    full = add_school_level(
        load_evaluation_data(whole).panel,
        "attendance_rate",
        "pupil_id",
        "term",
        "cohort",
        "school_id",
    )
    keys = ["pupil_id", "term"]
    kept = choice.whole_schools
    assert len(kept) == len(full) > len(data.panel)
    m = kept.merge(full[[*keys, "attendance_rate_school"]], on=keys, suffixes=("", "_full"))
    np.testing.assert_allclose(m["attendance_rate_school"], m["attendance_rate_school_full"])
    # the level of a programme school is not the mean of its participants alone
    enrolled = data.panel[data.panel["cohort"] > 0]
    by_hand = enrolled.groupby("school_id")["attendance_rate"].mean()
    level = kept[kept["cohort"] > 0].groupby("school_id")["attendance_rate_school"].mean()
    assert not np.allclose(level, by_hand.reindex(level.index))
    assert choice.pretrend is not None and choice.pretrend["n_programme_schools"] == 3


def test_school_relative_history_bad_settings(small):
    spec, data = small
    with pytest.raises(SroiInputError, match="'suspensions' is not in history"):
        spec.with_overrides({"design.matching.history_within_school": ["suspensions"]})
    bad = spec.model_copy(deep=True)
    bad.design.did.matched = True
    bad.design.matching.history_within_school = ["attendance_rate"]
    none = replace(data, roles=data.roles.model_copy(update={"cluster": None}))
    with pytest.raises(SroiInputError, match="needs the school of each pupil"):
        prepare_design(none, bad)


def test_randomization_check_in_results_json(small_result):
    e = small_result.primary.headline
    ri = e.extra["randomization"]
    assert 0 < ri["p_value"] <= 1 and ri["p_value"] >= 1 / (1 + N_RESHUFFLES)
    assert ri["n_draws"] == N_RESHUFFLES and ri["seed"] == small_result.seed
    assert (ri["n_programme_schools"], ri["n_schools"]) == (3, 12)
    # only the primary outcome carries it; every headline says how it was clustered
    for o in small_result.outcomes.values():
        if o.headline is not None:
            assert "whole schools" in o.headline.extra["cluster_choice"]
            assert o.primary or "randomization" not in o.headline.extra
    from sroi.report.provenance import provenance

    prov = provenance(
        spec_hash=small_result.spec.hash(), data_hash=small_result.data_hash, seed=small_result.seed
    )
    doc = build_results(small_result, prov)
    validate_results(doc)
    stored = doc["effects"][0]["effect"]["extra"]["randomization"]
    assert stored["p_value"] == pytest.approx(ri["p_value"])
    # schools are institutions, not people: their number is published as it is
    assert (
        "(3 programme schools among 12)" in doc["effects"][0]["effect"]["extra"]["cluster_choice"]
    )
    broken = copy.deepcopy(doc)
    broken["effects"][0]["effect"]["extra"]["randomization"]["p_value"] = 0
    with pytest.raises(Exception, match="p_value"):
        validate_results(broken)
    assert json.loads(json.dumps(doc))["effects"][0]["effect"]["extra"]["school_pretrend"]


def test_report_states_the_cluster_level_and_the_randomization_p_value(small_report, small_result):
    _, html_path = small_report
    text = re.sub(r"\s+", " ", html_path.read_text(encoding="utf-8"))
    p = small_result.primary.headline.extra["randomization"]["p_value"]
    assert "the programme was given to whole schools (3 programme schools among 12)" in text
    line = re.search(r"A check that reshuffles which schools had the programme[^<]*", text)
    assert line is not None
    assert f"p = {p:.3f}" in line.group(0) or (p < 0.001 and "p &lt; 0.001" in line.group(0))
    head = small_result.primary.headline
    assert "3 programme schools of 12" in line.group(0)
    # the data have an effect (+0.03): the check's statistic adjusts as the headline does
    assert p <= small_result.spec.design.alpha, line.group(0)
    if head.p_value >= small_result.spec.design.alpha:  # they disagree: the line says why
        assert "remains the main result" in line.group(0)
    else:
        assert "little power" not in line.group(0) and "main result" not in line.group(0)
    assert "Schools' trends before the programme" in text
    # the headline uses t(2) with 3 programme schools (the estimators store df as a float)
    assert "with only 3 programme schools it uses a t distribution with 2 degrees" in text
    assert "school_id" not in line.group(0)


@pytest.mark.parametrize("matched", [False, True])
def test_randomization_check_on_data_without_an_effect(tmp_path, matched):
    # the null-effect data of test_null_effect.py: before the fix the check gave p = 0.002
    # (reshuffles drew whole pool-restricted schools and no selection was allowed for)
    from sroi.report.capture import WarningLog
    from sroi.report.sections.headline import _randomization_line
    from sroi.report.steps.randomization import randomization_check
    from tests.report.test_null_effect import _remove_effects

    spec = Spec.load(write_small_evaluation(tmp_path, matched=matched))
    _remove_effects(tmp_path)
    data, used, choice = prepare_design(load_evaluation_data(spec), spec)
    primary = next(o for o in used.design.outcomes if o.primary)
    log = WarningLog()
    ri = randomization_check(data, used, primary, choice, spec.seed, log)
    assert ri is not None and not log.messages
    if matched:
        # adjusted for the matching's characteristics and history: p = 0.467
        assert ri["p_value"] > 0.1, ri
        assert "adjusted by regression" in ri["method"]
    else:
        # unadjusted as this design's headline: estimate -0.006, p = 0.064 (0.064 to 0.085
        # over five seeds; the headline's p is about 0.1 with 3 programme schools)
        assert ri["p_value"] > 0.05, ri
        assert "unadjusted as the headline" in ri["method"]
    line = _randomization_line(e_with(ri), 0.1, 0.05)
    assert "little power" in line and "main result" not in line


def e_with(ri):
    from sroi.effect import Effect

    return Effect(
        outcome="attendance",
        estimate=-0.006,
        std_error=0.003,
        ci_low=-0.015,
        ci_high=0.003,
        p_value=0.1,
        extra={"randomization": ri},
    )


@pytest.mark.parametrize(
    ("p_ri", "p_head", "k", "says"),
    [
        (0.001, 0.055, 7, "remains the main result"),  # the sample: the check is sharper
        (0.30, 0.01, 7, "does not call the result above into question"),
        (0.30, 0.01, 20, "does not confirm the result above"),
        (0.30, 0.40, 7, "with so few schools this check has little power)."),
        (0.01, 0.02, 7, "(7 programme schools of 40)."),  # they agree: nothing to explain
    ],
)
def test_randomization_line_explains_a_disagreement_with_the_headline(p_ri, p_head, k, says):
    from sroi.report.sections.headline import _randomization_line

    ri = {"p_value": p_ri, "n_draws": 999, "n_programme_schools": k, "n_schools": 40}
    ri["method"] = "... adjusted by regression for the characteristics ..."
    line = _randomization_line(e_with(ri), p_head, 0.05)
    assert says in line, line
    assert "adjusted for the same pupil characteristics and history" in line
