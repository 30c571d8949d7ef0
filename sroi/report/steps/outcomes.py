"""Step 3: everything estimated for each outcome (headline, then the checks on it).

Per outcome: the participants' pre-enrolment mean and, for binary and count outcomes, their
number of events (fewer than :data:`~sroi.report.record.RARE_EVENTS` flags the outcome as too
rare); the headline (:mod:`.headline`); the event study, TWFE versus Callaway-Sant'Anna and
Bacon decomposition, and for the primary outcome the honest-DiD bounds (:mod:`.diagnostics`).
"""

from __future__ import annotations

from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any

from sroi.data.loading import EvaluationData
from sroi.report.capture import WarningLog
from sroi.report.record import RARE_EVENTS, OutcomeResult
from sroi.report.steps.clustering import ClusterChoice
from sroi.report.steps.diagnostics import compare_twfe_cs, honest_bounds, run_event_study
from sroi.report.steps.headline import estimate_headline
from sroi.report.steps.matching import CachedMatcher
from sroi.report.steps.randomization import randomization_check
from sroi.report.steps.school_design import prepare_design
from sroi.spec import OutcomeSpec, Spec

__all__ = ["estimate_outcome", "estimate_outcomes"]


def _describe(outcome: OutcomeSpec, data: EvaluationData) -> OutcomeResult:
    """The outcome's record with the participants' baseline mean and event count."""
    r = data.roles
    panel = data.panel
    res = OutcomeResult(
        name=outcome.name,
        column=outcome.column,
        label=outcome.label or outcome.name,
        unit=outcome.unit,
        type=outcome.type,
        direction=outcome.direction,
        primary=outcome.primary,
    )
    treated_rows = panel[r.cohort] > 0
    pre = treated_rows & (panel[r.time] < panel[r.cohort])
    if pre.any():
        res.baseline_mean = float(panel.loc[pre, outcome.column].mean())
    if outcome.type in ("binary", "count"):
        res.n_events_treated = float(panel.loc[treated_rows, outcome.column].sum())
        res.rare = res.n_events_treated < RARE_EVENTS
    return res


def estimate_outcome(
    data: EvaluationData,
    spec: Spec,
    outcome: OutcomeSpec,
    seed: int,
    *,
    log: WarningLog | None = None,
    matcher: CachedMatcher | None = None,
    diagnostics: bool = True,
    cluster: ClusterChoice | None = None,
) -> OutcomeResult:
    """Estimate the programme's effect on one outcome, with the checks on it.

    Parameters
    ----------
    data
        The validated data.
    spec
        The spec.
    outcome
        The outcome's spec.
    seed
        Seed of every random step.
    log
        This run's warnings (default: a new log).
    matcher
        This run's match cache (default: a new one).
    diagnostics
        Also run the event study, TWFE versus Callaway-Sant'Anna and (primary outcome) the
        honest-DiD bounds.
    cluster
        The clustering, with ``data`` and ``spec`` already passed through
        :func:`~sroi.report.steps.school_design.prepare_design`; default ``None``: prepare
        them here. Its sentence is stored
        with the headline (``extra["cluster_choice"]``), and for the primary outcome of a
        programme assigned by school the randomisation check (``extra["randomization"]``,
        :mod:`~sroi.report.steps.randomization`) and the schools' pre-trend comparison
        (``extra["school_pretrend"]``).

    Returns
    -------
    OutcomeResult
        What was estimated, and why any part is not available.
    """
    log = log if log is not None else WarningLog()
    if cluster is None:
        data, spec, choice = prepare_design(data, spec)
    else:
        choice = cluster
    res = _describe(outcome, data)
    estimate_headline(
        res,
        data,
        spec,
        outcome,
        seed,
        matcher=matcher if matcher is not None else CachedMatcher.of_run(data),
        log=log,
        school_panel=choice.whole_schools,
    )
    if res.headline is not None:
        extra = {**res.headline.extra, "cluster_choice": choice.reason}
        if outcome.primary:
            ri = randomization_check(data, spec, outcome, choice, seed, log)
            if ri is not None:
                extra["randomization"] = ri
            if choice.pretrend is not None:
                extra["school_pretrend"] = choice.pretrend
        res.headline = replace(res.headline, extra=extra)
    if not diagnostics:
        return res
    # the event study gives the honest-DiD bounds (primary outcome) and the pre-trend test
    # when the Callaway-Sant'Anna one could not be computed
    if outcome.primary or res.pretrend is None:
        es = run_event_study(res, data, spec, log)
        if es is not None and outcome.primary:
            honest_bounds(res, es, seed, log)
    compare_twfe_cs(res, data, spec, outcome, seed, log)
    return res


def estimate_outcomes(
    data: EvaluationData,
    spec: Spec,
    seed: int,
    *,
    log: WarningLog | None = None,
    executor: Executor | None = None,
) -> dict[str, OutcomeResult]:
    """:func:`estimate_outcome` for every outcome in the spec, the primary outcome first.

    The outcomes share one match cache, so each cohort's matching is computed once.

    Parameters
    ----------
    data, spec, seed
        As :func:`estimate_outcome`.
    log
        This run's warnings (default: a new log).
    executor
        Worker processes (:mod:`sroi.report.workers`) that estimate the secondary outcomes
        while this process estimates the primary one (and then, from the last, those no
        worker has started yet); each worker starts from the matches computed so far. The
        results and the warnings, in order, are those of estimating the outcomes here one
        after the other. Default ``None``: all here.

    Returns
    -------
    dict
        Outcome name -> its result, the primary outcome first.
    """
    log = log if log is not None else WarningLog()
    matcher = CachedMatcher.of_run(data)
    data, spec, choice = prepare_design(data, spec)
    ordered = sorted(spec.design.outcomes, key=lambda o: not o.primary)
    if executor is None or len(ordered) < 2:
        return {
            o.name: estimate_outcome(data, spec, o, seed, log=log, matcher=matcher, cluster=choice)
            for o in ordered
        }
    # the data without the run's memo (it holds estimates that are not picklable), with the
    # matches so far (the pre-checks'): a cohort matched identically is not matched again
    light = replace(data, memo={})
    matches = dict(matcher.cache)
    futures = [
        executor.submit(_estimate_elsewhere, light, spec, o, seed, matches, choice)
        for o in ordered[1:]
    ]
    out = {
        ordered[0].name: estimate_outcome(
            data, spec, ordered[0], seed, log=log, matcher=matcher, cluster=choice
        )
    }
    # then, from the last, the outcomes no worker has started yet are estimated here
    done: dict[str, tuple[OutcomeResult, list[str]]] = {}
    for o, future in reversed(list(zip(ordered[1:], futures, strict=True))):
        if future.cancel():
            own = WarningLog()
            res = estimate_outcome(data, spec, o, seed, log=own, matcher=matcher, cluster=choice)
            done[o.name] = (res, own.messages)
    for o, future in zip(ordered[1:], futures, strict=True):
        if o.name not in done:
            try:
                done[o.name] = future.result()
            except BrokenProcessPool:  # a worker died (killed, out of memory): estimate here
                own = WarningLog()
                res = estimate_outcome(
                    data, spec, o, seed, log=own, matcher=matcher, cluster=choice
                )
                done[o.name] = (res, own.messages)
        res, messages = done[o.name]
        log.extend(messages)
        out[o.name] = res
    return out


def _estimate_elsewhere(
    data: EvaluationData,
    spec: Spec,
    outcome: OutcomeSpec,
    seed: int,
    matches: dict[str, Any],
    choice: ClusterChoice,
) -> tuple[OutcomeResult, list[str]]:
    """In a worker: :func:`estimate_outcome` with its own match cache and warnings."""
    log = WarningLog()
    res = estimate_outcome(
        data, spec, outcome, seed, log=log, matcher=CachedMatcher(matches), cluster=choice
    )
    return res, log.messages
