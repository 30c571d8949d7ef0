"""Step 3: everything estimated for each outcome (headline, then the checks on it).

Per outcome: the participants' pre-enrolment mean and, for binary and count outcomes, their
number of events (fewer than :data:`~sroi.report.record.RARE_EVENTS` flags the outcome as too
rare); the headline (:mod:`.headline`); the event study, TWFE versus Callaway-Sant'Anna and
Bacon decomposition, and for the primary outcome the honest-DiD bounds (:mod:`.diagnostics`).
The checks on the unmatched sample are computed apart from the headline and added to the
outcome's record after it (:mod:`.unmatched`), so the report's worker processes can compute
them early (:func:`start_unmatched_checks`).
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import replace

from sroi.data.loading import EvaluationData
from sroi.report.capture import WarningLog
from sroi.report.record import RARE_EVENTS, OutcomeResult
from sroi.report.shared_tasks import SharedTasks
from sroi.report.steps.clustering import ClusterChoice
from sroi.report.steps.diagnostics import run_event_study
from sroi.report.steps.headline import estimate_headline
from sroi.report.steps.matching import CachedMatcher
from sroi.report.steps.randomization import randomization_check
from sroi.report.steps.school_design import clustered_spec, prepare_design
from sroi.report.steps.unmatched import UnmatchedChecks, add_unmatched_checks, unmatched_checks
from sroi.spec import OutcomeSpec, Spec

__all__ = ["estimate_outcome", "estimate_outcomes", "start_unmatched_checks"]


def _describe(outcome: OutcomeSpec, data: EvaluationData) -> OutcomeResult:
    """The outcome's record with the participants' baseline mean and event count."""
    r = data.roles
    panel = data.panel
    res = OutcomeResult.of(outcome)
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
        data, spec, cluster = prepare_design(data, spec)
    res = _headline(data, spec, outcome, seed, log, matcher, cluster, diagnostics)
    if diagnostics:
        add_unmatched_checks(res, unmatched_checks(data, spec, outcome, seed), data, spec, log)
    return res


def _headline(
    data: EvaluationData,
    spec: Spec,
    outcome: OutcomeSpec,
    seed: int,
    log: WarningLog,
    matcher: CachedMatcher | None,
    choice: ClusterChoice,
    diagnostics: bool,
) -> OutcomeResult:
    """The outcome's record with its headline, before the checks on the unmatched sample.

    With the randomisation check (primary outcome) and, with ``diagnostics``, the event
    study's pre-trend test for a secondary outcome whose Callaway-Sant'Anna one could not be
    computed.
    """
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
    if diagnostics and not outcome.primary and res.pretrend is None:
        # the primary outcome's event study is one of its unmatched checks
        run_event_study(res, data, spec, log)
    return res


def start_unmatched_checks(
    data: EvaluationData, spec: Spec, seed: int, executor: Executor, n_workers: int
) -> SharedTasks[UnmatchedChecks]:
    """Hand every outcome's checks on the unmatched sample to the workers now.

    They need neither the matching nor the headlines, so the workers compute them while this
    process goes on checking the inputs (the report's data cell);
    :func:`estimate_outcomes` with the same data, spec and seed uses them (kept in
    ``data.memo``).

    Parameters
    ----------
    data, spec, seed
        As :func:`estimate_outcomes`.
    executor, n_workers
        The worker processes and their number.

    Returns
    -------
    SharedTasks
        The tasks (:meth:`~sroi.report.shared_tasks.SharedTasks.cancel` them if the report
        stops before estimating).
    """
    key = _checks_key(spec, seed)
    if key not in data.memo:
        data.memo[key] = _share_checks(data, spec, seed, executor, n_workers)
    return data.memo[key]


def _checks_key(spec: Spec, seed: int) -> tuple[str, str, int]:
    return ("unmatched checks", spec.model_dump_json(), seed)


def _share_checks(
    data: EvaluationData, spec: Spec, seed: int, executor: Executor, n_workers: int
) -> SharedTasks[UnmatchedChecks]:
    # the spec of prepare_design, without waiting for the whole schools it reads
    spec, _ = clustered_spec(data, spec)
    light = _to_send(data)
    return SharedTasks(
        executor,
        unmatched_checks,
        [(light, spec, o, seed) for o in _in_order(spec)],
        n_workers,
    )


def _to_send(data: EvaluationData) -> EvaluationData:
    """The data as a worker task receives them: without the run's memo.

    The memo holds estimates and tasks that cannot be pickled; each task starts with its own.
    """
    return replace(data, memo={})


def _in_order(spec: Spec) -> list[OutcomeSpec]:
    """The spec's outcomes, the primary one first."""
    return sorted(spec.design.outcomes, key=lambda o: not o.primary)


def estimate_outcomes(
    data: EvaluationData,
    spec: Spec,
    seed: int,
    *,
    log: WarningLog | None = None,
    executor: Executor | None = None,
    n_workers: int = 2,
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
        Worker processes (:mod:`sroi.report.workers`). They compute every outcome's checks
        on the unmatched sample (handed to them already by :func:`start_unmatched_checks`, or
        now) and the secondary outcomes' headlines, while this process estimates the primary
        outcome's; this process then takes, from the last, the tasks no worker has begun
        (:class:`~sroi.report.shared_tasks.SharedTasks`). Each worker starts from the
        matches computed so far. The results and the warnings, in order, are those of
        estimating the outcomes here one after the other. Default ``None``: all here.
    n_workers
        The executor's number of workers: tasks handed to it at a time.

    Returns
    -------
    dict
        Outcome name -> its result, the primary outcome first.
    """
    log = log if log is not None else WarningLog()
    matcher = CachedMatcher.of_run(data)
    started = data.memo.pop(_checks_key(spec, seed), None)
    data, spec, choice = prepare_design(data, spec)
    ordered = _in_order(spec)
    if executor is None:
        if started is not None:
            started.cancel()
        return {
            o.name: estimate_outcome(data, spec, o, seed, log=log, matcher=matcher, cluster=choice)
            for o in ordered
        }
    checks = (
        started if started is not None else _share_checks(data, spec, seed, executor, n_workers)
    )
    # with the matches and matching data so far (the pre-checks'): a cohort matched
    # identically is not matched again
    light = _to_send(data)
    shipped = matcher.copy()
    headlines = SharedTasks(
        executor,
        _headline_elsewhere,
        [(light, spec, o, seed, shipped, choice) for o in ordered[1:]],
        n_workers,
    )

    def checks_here(i: int) -> UnmatchedChecks:
        return unmatched_checks(data, spec, ordered[i], seed)

    def headline_here(i: int) -> tuple[OutcomeResult, list[str]]:
        own = WarningLog()
        res = _headline(data, spec, ordered[1 + i], seed, own, matcher, choice, True)
        return res, own.messages

    primary = _headline(data, spec, ordered[0], seed, log, matcher, choice, True)
    # then the tasks no worker has begun are computed here, from the last, the headlines first
    headlines.compute_unbegun(headline_here)
    checks.compute_unbegun(checks_here)
    add_unmatched_checks(primary, checks.result(0, checks_here), data, spec, log)
    out = {primary.name: primary}
    for i, (res, messages) in enumerate(headlines.results(headline_here), start=1):
        log.extend(messages)
        add_unmatched_checks(res, checks.result(i, checks_here), data, spec, log)
        out[res.name] = res
    return out


def _headline_elsewhere(
    data: EvaluationData,
    spec: Spec,
    outcome: OutcomeSpec,
    seed: int,
    matcher: CachedMatcher,
    choice: ClusterChoice,
) -> tuple[OutcomeResult, list[str]]:
    """In a worker: an outcome's headline with its own copy of the run's matcher, and warnings."""
    log = WarningLog()
    res = _headline(data, spec, outcome, seed, log, matcher, choice, True)
    return res, log.messages
