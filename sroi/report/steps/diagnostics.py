"""Step 3b: the checks on one outcome's headline, all on the unmatched analysis sample.

* the Sun & Abraham (2021) event study by time since enrolment, whose leads give the pre-trend
  test when the Callaway-Sant'Anna one cannot be computed;
* two-way fixed effects (TWFE) versus Callaway-Sant'Anna's simple aggregation, with the
  Goodman-Bacon (2021) decomposition of the TWFE estimate and a warning in words when the two
  disagree materially;
* Rambachan & Roth (2023) relative-magnitude bounds for the average post-enrolment effect
  (primary outcome), from the event study's full covariance.

A check is left out only for a reason of the data (the library raises
:class:`sroi.SroiInputError`, e.g. no never-treated units for the decomposition), and the
reason is recorded in ``OutcomeResult.unavailable``; any other error stops the evaluation.
"""

from __future__ import annotations

import math

import numpy as np

from sroi.data.loading import EvaluationData
from sroi.errors import SroiInputError
from sroi.impact.did import (
    EventStudyResult,
    bacon_decomposition,
    did,
    event_study,
    honest_did,
    twfe_vs_cs_warning,
)
from sroi.impact.staggered import staggered_did
from sroi.report.capture import WarningLog
from sroi.report.record import OutcomeResult
from sroi.report.steps.headline import pretrend_summary
from sroi.spec import OutcomeSpec, Spec

__all__ = [
    "run_event_study",
    "event_study_of",
    "pretrend_from_event_study",
    "compare_twfe_cs",
    "honest_bounds",
    "HONEST_DRAWS",
]

#: Simulation draws for the honest-DiD critical values.
HONEST_DRAWS = 20_000


def run_event_study(
    res: OutcomeResult, data: EvaluationData, spec: Spec, log: WarningLog
) -> EventStudyResult | None:
    """Sun & Abraham event study of ``res``'s outcome; the pre-trend test if still missing.

    :func:`event_study_of` then :func:`pretrend_from_event_study`.

    Returns
    -------
    EventStudyResult or None
        None when the data do not allow one (the reason is in ``res.unavailable``).
    """
    es = event_study_of(res, data, spec, log)
    if es is not None:
        pretrend_from_event_study(res, es, data, spec, log)
    return es


def event_study_of(
    res: OutcomeResult, data: EvaluationData, spec: Spec, log: WarningLog
) -> EventStudyResult | None:
    """Sun & Abraham event study of ``res``'s outcome (``None``: reason in ``res.unavailable``)."""
    r = data.roles
    d = spec.design.did
    try:
        with log.capture(f"{res.name}: event study"):
            return event_study(
                data.panel,
                outcome=res.column,
                unit=r.unit,
                time=r.time,
                cohort=r.cohort,
                window=(d.window[0], d.window[1]),
                reference=-1,
                method="sun_abraham",
                cluster=d.cluster or r.cluster,
            )
    except SroiInputError as exc:
        res.unavailable["event study"] = str(exc)
        return None


def pretrend_from_event_study(
    res: OutcomeResult, es: EventStudyResult, data: EvaluationData, spec: Spec, log: WarningLog
) -> None:
    """The event study's pre-trend test, when ``res`` has none (Callaway-Sant'Anna's failed)."""
    if res.pretrend is not None:
        return
    clustered = (spec.design.did.cluster or data.roles.cluster) is not None
    try:
        with log.capture(f"{res.name}: event-study pre-trend test"):
            test = es.pretrend_test()
    except SroiInputError as exc:
        res.unavailable["pre-trend test"] += f"; event study: {exc}"
    else:
        res.pretrend = pretrend_summary(test, es.n_treated_clusters, clustered)
        res.unavailable.pop("pre-trend test")


def compare_twfe_cs(
    res: OutcomeResult,
    data: EvaluationData,
    spec: Spec,
    outcome: OutcomeSpec,
    seed: int,
    log: WarningLog,
) -> None:
    """TWFE and unmatched Callaway-Sant'Anna (simple) estimates, Bacon decomposition, warning."""
    r = data.roles
    d = spec.design.did
    cluster = d.cluster or r.cluster
    try:
        with log.capture(f"{res.name}: TWFE"):
            twfe = did(
                data.panel,
                outcome=res.column,
                unit=r.unit,
                time=r.time,
                cohort=r.cohort,
                cluster=cluster,
                vcov="cluster",
                random_state=seed,
            )
        res.twfe = twfe.with_(outcome=outcome.name)
    except SroiInputError as exc:
        res.unavailable["TWFE"] = str(exc)
    try:
        with log.capture(f"{res.name}: unmatched CS"):
            cs = staggered_did(
                data.panel,
                outcome=res.column,
                unit=r.unit,
                time=r.time,
                cohort=r.cohort,
                control_group=d.control_group,
                estimator=d.estimator if d.covariates else "reg",
                covariates=list(d.covariates) or None,
                anticipation=d.anticipation,
                base_period=d.base_period,
                n_boot=0,
                cluster=cluster,
            )
        res.cs_unmatched = cs.aggregate_effect("simple").with_(outcome=outcome.name)
    except SroiInputError as exc:
        res.unavailable["Callaway-Sant'Anna (unmatched)"] = str(exc)
    try:
        with log.capture(f"{res.name}: Bacon"):
            res.bacon = bacon_decomposition(
                data.panel, outcome=res.column, unit=r.unit, time=r.time, cohort=r.cohort
            )
    except SroiInputError as exc:
        res.unavailable["Bacon decomposition"] = str(exc)
    if res.twfe is not None and res.cs_unmatched is not None:
        res.twfe_vs_cs = twfe_vs_cs_warning(res.twfe, res.cs_unmatched, warn=False)


def honest_bounds(res: OutcomeResult, es: EventStudyResult, seed: int, log: WarningLog) -> None:
    """Rambachan & Roth (2023) relative-magnitude bounds for the average post-period effect.

    The conditional / least-favourable hybrid confidence sets (``ci="C-LF"``, the default of
    R HonestDiD for relative magnitudes) with their exact breakdown value.

    Uses the Sun & Abraham (2021) event study (unmatched sample, clustered covariance)
    because the bounds need the full covariance of the event-time coefficients.
    """
    co = es.coefficients
    n_post = int((co.loc[co["std_error"].notna(), "event_time"] >= 0).sum())
    try:
        with log.capture(f"{res.name}: honest DiD"):
            bounds = honest_did(
                es,
                method="relative_magnitude",
                ci="C-LF",
                l_vec=np.full(n_post, 1.0 / n_post),
                n_sim=HONEST_DRAWS,
                random_state=seed,
            )
    except SroiInputError as exc:
        res.unavailable["honest DiD"] = str(exc)
        return
    res.honest = bounds
    breakdown = float(bounds.attrs["breakdown"])
    res.honest_breakdown = breakdown if math.isfinite(breakdown) else None
