"""Checks on the unmatched sample computed apart from the headline (sroi.report.steps.unmatched).

The report computes each outcome's TWFE / Callaway-Sant'Anna comparison, Bacon decomposition
and (primary outcome) event study and honest-DiD bounds on a record of their own, in a worker
while the kernel is still matching, and adds them to the outcome's record afterwards. These
tests compare that with the reference: the same checks computed on the outcome's own record
right after its headline, one after the other. The records, the reasons a part is missing
(in their order) and the warnings (in their order) must be the same, also when the checks
went through pickling (a worker) and when parts of them fail.
"""

from __future__ import annotations

import dataclasses
import pickle

import pandas as pd
import pytest

from sroi.errors import SroiInputError
from sroi.report import notebook as nb
from sroi.report.capture import WarningLog
from sroi.report.record import OutcomeResult
from sroi.report.steps import diagnostics, outcomes
from sroi.report.steps.matching import CachedMatcher
from sroi.report.steps.school_design import prepare_design
from sroi.report.steps.unmatched import add_unmatched_checks, unmatched_checks
from tests.report.helpers import write_small_evaluation


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory):
    """The small matched evaluation (a caliper: warnings from the matching and the checks)."""
    spec_path = write_small_evaluation(
        tmp_path_factory.mktemp("eval"),
        matched=True,
        **{"design.matching.caliper": 0.2, "design.matching.history": ["attendance_rate"]},
    )
    spec = nb.load_spec(spec_path)
    data, _, _ = nb.load_data(spec)
    data, spec, choice = prepare_design(data, spec)
    return data, spec, choice


def _reference(data, spec, outcome, choice, log) -> OutcomeResult:
    """The checks on the outcome's own record after its headline, one after the other."""
    seed = spec.seed
    res = outcomes.estimate_outcome(
        data, spec, outcome, seed, log=log, diagnostics=False, cluster=choice
    )
    if outcome.primary or res.pretrend is None:
        es = diagnostics.run_event_study(res, data, spec, log)
        if es is not None and outcome.primary:
            diagnostics.honest_bounds(res, es, seed, log)
    diagnostics.compare_twfe_cs(res, data, spec, outcome, seed, log)
    return res


def _assert_same(a: OutcomeResult, b: OutcomeResult) -> None:
    for f in dataclasses.fields(OutcomeResult):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=True)
        else:
            assert pickle.dumps(x) == pickle.dumps(y), f.name
    assert list(a.unavailable) == list(b.unavailable)  # the reasons in their order


def _both_ways(evaluation, through_pickle: bool) -> None:
    data, spec, choice = evaluation
    for outcome in spec.design.outcomes:
        ref_log, log = WarningLog(), WarningLog()
        ref = _reference(data, spec, outcome, choice, ref_log)
        checks = unmatched_checks(data, spec, outcome, spec.seed)
        if through_pickle:  # as a worker returns them
            checks = pickle.loads(pickle.dumps(checks))
        res = outcomes.estimate_outcome(
            data, spec, outcome, spec.seed, log=log, diagnostics=False, cluster=choice
        )
        if not outcome.primary and res.pretrend is None:
            diagnostics.run_event_study(res, data, spec, log)  # part of the headline step
        add_unmatched_checks(res, checks, data, spec, log)
        _assert_same(ref, res)
        assert log.messages == ref_log.messages


@pytest.mark.parametrize("through_pickle", [False, True], ids=["here", "from-a-worker"])
def test_checks_apart_equal_checks_on_the_record(evaluation, through_pickle):
    _both_ways(evaluation, through_pickle)
    data, spec, _ = evaluation
    primary = next(o for o in spec.design.outcomes if o.primary)
    log = WarningLog()
    res = outcomes.estimate_outcome(data, spec, primary, spec.seed, log=log)
    assert res.honest is not None and res.twfe is not None and res.bacon is not None
    assert any(": TWFE:" in m for m in log.messages)  # the checks' warnings are kept


def test_checks_that_fail_keep_their_reasons_in_order(evaluation, monkeypatch):
    def no_event_study(*args, **kwargs):
        raise SroiInputError("event study: too few terms before enrolment")

    def no_twfe(*args, **kwargs):
        raise SroiInputError("TWFE: no comparison units")

    def no_bacon(*args, **kwargs):
        raise SroiInputError("Bacon: no never-treated units")

    monkeypatch.setattr(diagnostics, "event_study", no_event_study)
    monkeypatch.setattr(diagnostics, "did", no_twfe)
    monkeypatch.setattr(diagnostics, "bacon_decomposition", no_bacon)
    _both_ways(evaluation, through_pickle=True)
    data, spec, choice = evaluation
    primary = next(o for o in spec.design.outcomes if o.primary)
    res = outcomes.estimate_outcome(data, spec, primary, spec.seed, cluster=choice)
    assert list(res.unavailable)[-3:] == ["event study", "TWFE", "Bacon decomposition"]
    assert res.honest is None


def test_primary_pretrend_from_the_event_study_when_the_headline_has_none(evaluation, monkeypatch):
    real = outcomes.estimate_headline

    def without_pretrend(res, *args, **kwargs):
        real(res, *args, **kwargs)
        res.pretrend = None
        res.unavailable["pre-trend test"] = "Callaway-Sant'Anna leads: not estimable"

    monkeypatch.setattr(outcomes, "estimate_headline", without_pretrend)
    _both_ways(evaluation, through_pickle=True)
    data, spec, choice = evaluation
    primary = next(o for o in spec.design.outcomes if o.primary)
    res = outcomes.estimate_outcome(data, spec, primary, spec.seed, cluster=choice)
    assert res.pretrend is not None and "pre-trend test" not in res.unavailable


def test_checks_of_another_outcome_are_refused(evaluation):
    data, spec, choice = evaluation
    first, second = spec.design.outcomes[:2]
    res = outcomes.estimate_outcome(data, spec, first, spec.seed, diagnostics=False, cluster=choice)
    with pytest.raises(ValueError, match="checks of"):
        add_unmatched_checks(
            res, unmatched_checks(data, spec, second, spec.seed), data, spec, WarningLog()
        )


def test_matched_estimates_are_not_needed_for_the_checks(evaluation):
    """The checks use the unmatched sample: no match is computed for them."""
    data, spec, _ = evaluation
    before = dict(CachedMatcher.of_run(data).cache)
    for outcome in spec.design.outcomes:
        unmatched_checks(data, spec, outcome, spec.seed)
    assert CachedMatcher.of_run(data).cache == before


@pytest.mark.parametrize(
    ("overrides", "cluster"),
    [
        ({}, "school_id"),  # the sample's design: the school chosen as the cluster
        (
            {
                "data.columns.cluster": None,
                "design.did.cluster": None,
                "design.matching.history_within_school": [],
            },
            None,
        ),
        ({"design.did.cluster": "school_id"}, "school_id"),
        ({"design.comparison_pool": None}, "school_id"),
    ],
)
def test_the_checks_are_handed_the_spec_prepare_design_gives(tmp_path, overrides, cluster):
    """The workers get the checks before the whole schools are read, with the spec of
    clustered_spec; it must be the spec prepare_design gives the estimates."""
    from sroi.data.loading import load_evaluation_data
    from sroi.report.steps.school_design import clustered_spec

    spec_path = write_small_evaluation(tmp_path, matched=True, **overrides)
    spec = nb.load_spec(spec_path)
    data = load_evaluation_data(spec)
    quick, choice = clustered_spec(data, spec)
    _, prepared, full = prepare_design(data, spec)
    assert quick.design.did.cluster == cluster
    assert quick.model_dump_json() == prepared.model_dump_json()
    assert (choice.column, choice.by_cluster) == (full.column, full.by_cluster)
    assert spec.model_dump_json() == nb.load_spec(spec_path).model_dump_json()  # unchanged
