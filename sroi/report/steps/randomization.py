"""The randomisation check beside the headline: reshuffle which schools had the programme.

Computed once per run, for the primary outcome, when the programme was assigned by school
(:class:`~sroi.report.steps.clustering.ClusterChoice` ``by_cluster``), with
:func:`sroi.impact.staggered.school_randomization.school_randomization_test`, seeded from the
run's seed. With 7 of 40 schools there are 18.6 million ways to choose the programme schools,
too many to enumerate, so they are sampled.

The statistic adjusts for the programme's selection of pupils as the headline does, but by
regression rather than matching (linear in the outcome, so :data:`N_RESHUFFLES` reshuffles
take about a second on the sample evaluation, where re-running the matched estimator would
take several minutes): the group-aggregated difference-in-differences with each pupil's
change adjusted, on the comparison pupils, for

* the matched design: the matching covariates, the exact-matching columns and the matching
  history (its ``history_periods`` periods up to the base period, school-relative history
  included), the information the matching selects comparison pupils on;
* the unmatched design: the headline's own covariates (none for ``estimator:
  unconditional``).

A reshuffle enrols in each receiving school as many pupils per wave as the programme school
did, drawn at random among all its pupils, so the check reads every pupil of every school
(the data files without ``design.comparison_pool`` when one is set, read once by prepare_design) and keeps the
comparison pupils where the headline's are: outside the (reshuffled) programme schools when
the pool leaves the programme schools' other pupils out.

References
----------
MacKinnon, J. G. and Webb, M. D. (2020). Randomization inference for
difference-in-differences with few treated clusters. Journal of Econometrics 218(2),
435-450.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sroi.data.loading import EvaluationData
from sroi.errors import SroiInputError
from sroi.impact.staggered.school_randomization import school_randomization_test
from sroi.report.capture import WarningLog
from sroi.report.steps.clustering import ClusterChoice
from sroi.report.steps.headline import is_matched
from sroi.report.steps.matching import matching_covariates
from sroi.spec import OutcomeSpec, Spec

__all__ = ["N_RESHUFFLES", "adjustment", "randomization_check"]

#: Reshuffles of the programme schools: the p-value's Monte Carlo SE is at most 0.007 at
#: p = 0.05, and its smallest value 0.001.
N_RESHUFFLES = 999


def adjustment(spec: Spec) -> tuple[list[str], list[str], int]:
    """Covariates, history columns and history periods the check adjusts for (module notes).

    ``spec`` is the spec the estimators see
    (:func:`~sroi.report.steps.school_design.prepare_design`); the school-relative history
    (``<c>_vs_school``) is in the whole schools it read.
    """
    if is_matched(spec):
        m = spec.design.matching
        covariates = [*matching_covariates(spec), *(m.exact or [])]
        history = [*m.history, *(f"{c}_vs_school" for c in m.history_within_school)]
        return list(dict.fromkeys(covariates)), history, int(m.history_periods)
    d = spec.design.did
    return ([] if d.estimator == "unconditional" else list(d.covariates)), [], 0


def _whole_schools(
    data: EvaluationData, spec: Spec, choice: ClusterChoice
) -> tuple[pd.DataFrame, bool | None]:
    """Every pupil of every school, and whether programme schools' pupils are comparisons.

    Without a comparison pool: the analysis panel, and ``None`` (as the data show). With one:
    the whole schools :func:`~sroi.report.steps.school_design.prepare_design` read (with any
    school-relative history columns measured on them), and ``False`` when the pool kept no
    never-treated pupil of a programme school.
    """
    if spec.design.comparison_pool is None:
        return data.panel, None
    if choice.whole_schools is None:
        raise ValueError("the clustering must come from school_design.prepare_design")
    school = choice.column
    cohort = data.panel[data.roles.cohort].fillna(0).to_numpy()
    prog = data.panel.loc[cohort > 0, school].unique()
    own = bool(np.any((cohort == 0) & data.panel[school].isin(prog).to_numpy()))
    return choice.whole_schools, own


def randomization_check(
    data: EvaluationData,
    spec: Spec,
    outcome: OutcomeSpec,
    choice: ClusterChoice,
    seed: int,
    log: WarningLog,
) -> dict[str, Any] | None:
    """The randomisation p-value as stored with the headline (``extra["randomization"]``).

    Parameters
    ----------
    data, spec, outcome
        The data and the spec the estimators see, and the outcome.
    choice
        The clustering (the check runs only when the programme was assigned by cluster).
    seed
        The run's seed.
    log
        This run's warnings (a failure is logged, and the check left out).

    Returns
    -------
    dict or None
        ``p_value``, ``n_draws`` (reshuffles), ``n_programme_schools``, ``n_schools``,
        ``statistic`` (the regression-adjusted estimate), ``seed`` and ``method``; ``None``
        when not applicable or not computable.
    """
    if not choice.by_cluster or choice.column is None:
        return None
    r = data.roles
    covariates, history, periods = adjustment(spec)
    try:
        panel, own = _whole_schools(data, spec, choice)
        ri = school_randomization_test(
            panel,
            outcome.column,
            r.unit,
            r.time,
            r.cohort,
            choice.column,
            anticipation=spec.design.did.anticipation,
            n_perm=N_RESHUFFLES,
            random_state=seed,
            covariates=covariates,
            history=history,
            history_periods=periods,
            programme_school_controls=own,
        )
    except SroiInputError as err:
        log.messages.append(f"{outcome.name}: randomisation check: not computed ({err})")
        return None
    adjusted = (
        "adjusted by regression for the characteristics and pre-programme history the matching uses"
        if is_matched(spec)
        else ("adjusted by regression for the headline's covariates" if covariates else "")
    )
    return {
        "p_value": ri.p_value,
        "n_draws": ri.n_perm,
        "n_programme_schools": ri.n_programme_schools,
        "n_schools": ri.n_schools,
        "statistic": ri.estimate,
        "seed": seed,
        "method": (
            "randomisation test over programme schools of the unmatched group-aggregated "
            "difference-in-differences"
            + (f", {adjusted}" if adjusted else ", unadjusted as the headline")
            + " (sharp null of no effect; each reshuffle enrols the same number of pupils "
            "per wave, drawn at random, in the schools it gives the programme)"
        ),
    }
