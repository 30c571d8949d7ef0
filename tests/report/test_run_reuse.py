"""One run computes each expensive step once: the pre-checks' matches and school design are
reused by the estimates (``EvaluationData.memo``), and identical matches are summarised once."""

from __future__ import annotations

import pytest

import sroi.report.steps.matching as matching_step
from sroi.report.capture import WarningLog
from sroi.report.steps.data import load_data
from sroi.report.steps.outcomes import estimate_outcomes
from sroi.spec import Spec
from tests.report.helpers import write_small_evaluation


@pytest.fixture
def counted(monkeypatch):
    calls = {"match": 0, "summary": 0}
    real_match, real_summary = matching_step.match, matching_step.cohort_match

    def match(*a, **k):
        calls["match"] += 1
        return real_match(*a, **k)

    def summary(*a, **k):
        calls["summary"] += 1
        return real_summary(*a, **k)

    monkeypatch.setattr(matching_step, "match", match)
    monkeypatch.setattr(matching_step, "cohort_match", summary)
    return calls


def test_prechecks_matches_are_reused_by_the_estimates(tmp_path, counted):
    spec = Spec.load(
        write_small_evaluation(
            tmp_path,
            matched=True,
            **{
                "design.matching.caliper": 0.2,
                "design.matching.history": ["attendance_rate"],
                "design.matching.history_within_school": ["attendance_rate"],
            },
        )
    )
    data = load_data(spec)  # the pre-checks match the primary outcome's cohorts
    n_cohorts = counted["match"]
    assert n_cohorts > 0 and len(data.memo["matches"]) == n_cohorts
    design_keys = [k for k in data.memo if isinstance(k, tuple) and k[0] == "design"]
    assert len(design_keys) == 1
    outcomes = estimate_outcomes(data, spec, spec.seed, log=WarningLog())
    # every outcome is matched on the same history: no cohort is matched again
    assert counted["match"] == n_cohorts
    assert len(outcomes) == len(spec.design.outcomes) > 1
    # and each cohort's summary is computed once, shared by the outcomes
    assert counted["summary"] == n_cohorts
    first = next(iter(outcomes.values())).matching
    assert all(o.matching.cohorts == first.cohorts for o in outcomes.values() if o.matching)
    # the school design was prepared once too
    assert [k for k in data.memo if isinstance(k, tuple) and k[0] == "design"] == design_keys


def test_prechecks_primary_estimate_is_the_headline(tmp_path, monkeypatch):
    """With a caliper the pre-checks estimate the primary outcome; the headline reuses it,
    and the warnings raised while it was computed are still reported with the run."""
    import sroi.report.steps.headline as headline_step

    calls: list[str] = []
    real = headline_step.matched_staggered_did

    def counted_did(panel, *, outcome, **kw):
        calls.append(outcome)
        return real(panel, outcome=outcome, **kw)

    monkeypatch.setattr(headline_step, "matched_staggered_did", counted_did)
    spec = Spec.load(
        write_small_evaluation(
            tmp_path,
            matched=True,
            **{"design.matching.caliper": 0.2, "design.matching.history": ["attendance_rate"]},
        )
    )
    primary = next(o for o in spec.design.outcomes if o.primary)
    data = load_data(spec)
    assert calls == [primary.column]
    kept, caught = next(v for k, v in data.memo.items() if k[0] == "matched estimate")
    log = WarningLog()
    outcomes = estimate_outcomes(data, spec, spec.seed, log=log)
    # each outcome estimated once: the primary by the pre-checks, the others by the run
    assert sorted(calls) == sorted(o.column for o in spec.design.outcomes)
    assert outcomes[primary.name].att_gt.equals(kept.att_gt)
    assert caught  # the caliper leaves treated pupils unmatched, with a warning
    for w in caught:
        assert any(str(w.message).strip() in m for m in log.messages)
