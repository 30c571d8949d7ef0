"""Step 3a: the headline effect of one outcome and what comes with it.

The headline is the Callaway & Sant'Anna (2021) *group* aggregation,
``theta = sum_g P(G = g | treated) * mean_{t >= g} ATT(g, t)``, estimated on the matched
sample (:func:`sroi.impact.staggered.matched_staggered_did`, ``design.did.matched: true``) or on
the whole analysis sample (:func:`sroi.impact.staggered.staggered_did`). The *simple*
aggregation is kept for comparison (it over-weights cohorts observed for longer), with the
ATT(g,t), the by-cohort and event-time tables and the joint pre-trend test.
"""

from __future__ import annotations

import math
import warnings

import pandas as pd

from sroi.data.loading import EvaluationData
from sroi.errors import SroiInputError
from sroi.impact.pretrend import PretrendTest
from sroi.impact.staggered import (
    MatchedStaggeredResult,
    StaggeredResult,
    matched_staggered_did,
    staggered_did,
)
from sroi.report.capture import WarningLog
from sroi.report.record import (
    MDES_MULTIPLIER,
    RARE_EVENTS,
    OutcomeResult,
    PretrendSummary,
)
from sroi.report.steps.matching import (
    CachedMatcher,
    match_options,
    matching_covariates,
    matching_summary,
    within_school_options,
)
from sroi.spec import OutcomeSpec, Spec

__all__ = [
    "MIN_TREATED_CLUSTERS",
    "estimate_headline",
    "is_matched",
    "matched_estimate",
    "pretrend_summary",
]

#: Below this many treated clusters, cluster-robust Wald tests over-reject (Cameron, Gelbach &
#: Miller, 2008); the pre-trend test is then reported as unreliable.
MIN_TREATED_CLUSTERS = 10


def is_matched(spec: Spec) -> bool:
    """True when the spec's design is the matched staggered DiD."""
    return bool(spec.design.did.matched and spec.design.matching.method != "none")


def _check_matched_options(spec: Spec) -> None:
    """The matched DiD compares with matched never-treated pupils on a varying base period."""
    d = spec.design.did
    for name, value, used in (
        ("control_group", d.control_group, "never_treated"),
        ("base_period", d.base_period, "varying"),
    ):
        if value != used:
            raise SroiInputError(
                f"design.did.{name}: the matched design (design.did.matched: true) uses "
                f"{used!r}, not {value!r}; set design.did.{name}: {used} or "
                "design.did.matched: false"
            )


def matched_estimate(
    data: EvaluationData,
    spec: Spec,
    outcome: OutcomeSpec,
    seed: int,
    matcher: CachedMatcher,
    school_panel: pd.DataFrame | None,
) -> tuple[MatchedStaggeredResult, list[warnings.WarningMessage]]:
    """The outcome's matched staggered DiD, computed once per run, with its warnings.

    The pre-checks (:func:`sroi.report.prechecks.check_matching`) estimate the primary
    outcome to see whether a caliper leaves a cohort without comparison units; the estimate
    is kept in ``data.memo`` (keyed by the outcome, the seed and the spec) and the report's
    headline reuses it instead of estimating again.

    Returns
    -------
    (result, warnings)
        The estimate and the warnings raised while computing it (to be recorded in the
        run's :class:`~sroi.report.capture.WarningLog` by the step that reports them).
    """
    key = ("matched estimate", outcome.column, seed, spec.model_dump_json())
    if key not in data.memo:
        r = data.roles
        d = spec.design.did
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = matched_staggered_did(
                data.panel,
                outcome=outcome.column,
                unit=r.unit,
                time=r.time,
                cohort=r.cohort,
                covariates=matching_covariates(spec),
                # the spec's list as is: [] means no history (None would mean the outcome)
                history=list(spec.design.matching.history),
                history_periods=spec.design.matching.history_periods,
                match_kwargs=match_options(spec),
                estimator=d.estimator,
                anticipation=d.anticipation,
                random_state=seed,
                matcher=matcher,
                cluster=d.cluster or r.cluster,
                n_boot=d.n_boot,
                allow_unbalanced_panel=d.allow_unbalanced_panel,
                adjust_for_history=spec.design.matching.adjust_for_history,
                sample_cache=matcher.samples,
                **within_school_options(spec, school_panel),
            )
        data.memo[key] = (result, list(caught))
    return data.memo[key]


def _estimate(
    data: EvaluationData,
    spec: Spec,
    outcome: OutcomeSpec,
    seed: int,
    matcher: CachedMatcher,
    log: WarningLog,
    school_panel: pd.DataFrame | None,
) -> StaggeredResult | MatchedStaggeredResult:
    r = data.roles
    d = spec.design.did
    if is_matched(spec):
        _check_matched_options(spec)
        result, caught = matched_estimate(data, spec, outcome, seed, matcher, school_panel)
        log.record(f"{outcome.name}: matched DiD", caught)
        return result
    with log.capture(f"{outcome.name}: staggered DiD"):
        return staggered_did(
            data.panel,
            outcome=outcome.column,
            unit=r.unit,
            time=r.time,
            cohort=r.cohort,
            control_group=d.control_group,
            estimator=d.estimator,
            covariates=list(d.covariates) or None,
            anticipation=d.anticipation,
            base_period=d.base_period,
            n_boot=d.n_boot,
            random_state=seed,
            cluster=d.cluster or r.cluster,
            allow_unbalanced_panel=d.allow_unbalanced_panel,
            covariate_timing=d.covariate_timing,
        )


def pretrend_summary(
    test: PretrendTest, n_treated_clusters: int | None, clustered: bool
) -> PretrendSummary:
    """The pre-trend test as the report shows it, with its reliability.

    A clustered Wald test of ``q`` restrictions cannot be trusted with fewer than
    :data:`MIN_TREATED_CLUSTERS` treated clusters, or with at least as many restrictions as
    treated clusters (the clustered covariance is then near singular and over-rejects).

    Parameters
    ----------
    test
        The library's test (Callaway-Sant'Anna pre-period cells or event-study leads).
    n_treated_clusters
        Clusters with participants (None: not known, the test is taken as reliable).
    clustered
        Whether the spec clusters the standard errors.

    Returns
    -------
    PretrendSummary
        The test with its ``reliable`` flag.
    """
    reliable = (
        not clustered
        or n_treated_clusters is None
        or (n_treated_clusters >= MIN_TREATED_CLUSTERS and test.df < n_treated_clusters)
    )
    return PretrendSummary(
        statistic=test.statistic,
        df=test.df,
        p_value=test.p_value,
        method=test.method,
        reliable=reliable,
    )


def estimate_headline(
    res: OutcomeResult,
    data: EvaluationData,
    spec: Spec,
    outcome: OutcomeSpec,
    seed: int,
    *,
    matcher: CachedMatcher,
    log: WarningLog,
    school_panel: pd.DataFrame | None = None,
) -> None:
    """Fill ``res`` with the headline effect, its aggregations, tables and pre-trend test.

    Parameters
    ----------
    res
        The outcome's result (its ``rare`` flag already set).
    data, spec, outcome
        The evaluation data, the spec and the outcome's spec.
    seed
        Seed of the matching order ties and the bootstrap.
    matcher
        This run's match cache (shared by its outcomes).
    log
        This run's warnings.
    school_panel
        Every pupil of every school, with the school-relative history
        (:class:`~sroi.report.steps.clustering.ClusterChoice` ``whole_schools``); needed
        when the spec sets ``design.matching.history_within_school``.
    """
    d = spec.design.did
    cs = _estimate(data, spec, outcome, seed, matcher, log, school_panel)
    res.matched = isinstance(cs, MatchedStaggeredResult)
    if isinstance(cs, MatchedStaggeredResult):
        res.matching = matching_summary(cs.matches, matcher.summaries)
    group = cs.aggregate("group")
    head = group.overall.with_(outcome=outcome.name)  # valuation keys on the spec's name
    if res.rare:
        # too few events among participants: shown, but flagged so that valuation (here
        # and in `sroi value` from results.json) does not treat it as known
        head = head.with_(
            extra={
                **(head.extra or {}),
                "estimable": False,
                "not_estimable_reason": f"fewer than {RARE_EVENTS} events among participants",
            }
        )
    res.headline = head
    se = head.std_error
    res.mdes = MDES_MULTIPLIER * se if se is not None and math.isfinite(se) else None
    res.simple = cs.aggregate_effect("simple").with_(outcome=outcome.name)
    res.att_gt = cs.att_gt.copy()
    res.by_cohort = group.table
    # event times within the spec's window (design.did.window), as in the event study
    dynamic = cs.aggregate("dynamic", min_e=d.window[0], max_e=d.window[1]).table
    if dynamic is not None:
        res.event_time = dynamic.rename(columns={"att": "estimate"})
    try:
        with log.capture(f"{outcome.name}: pre-trend test"):
            test = cs.pretrend_test()
    except SroiInputError as exc:  # a reason of the data: e.g. a single pre-period
        res.unavailable["pre-trend test"] = str(exc)
    else:
        clustered = (d.cluster or data.roles.cluster) is not None
        res.pretrend = pretrend_summary(test, cs.n_treated_clusters, clustered)
