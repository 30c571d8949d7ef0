"""The randomisation check beside the headline: reshuffle which schools had the programme.

Computed once per run, for the primary outcome, when the programme was assigned by school
(:class:`~sroi.report.steps.clustering.ClusterChoice` ``by_cluster``), with
:func:`sroi.impact.staggered.school_randomization.school_randomization_test`: the
statistic is the unmatched, unadjusted group-aggregated difference-in-differences (linear
in the outcome, so :data:`N_RESHUFFLES` reshuffles take about a second on the sample
evaluation's 4,800 pupils, where re-running the matched estimator would take several
minutes), seeded from the run's seed. With 7 of 40 schools there are 18.6 million ways to
choose the programme schools, too many to enumerate, so they are sampled.

References
----------
MacKinnon, J. G. and Webb, M. D. (2020). Randomization inference for
difference-in-differences with few treated clusters. Journal of Econometrics 218(2),
435-450.
"""

from __future__ import annotations

from typing import Any

from sroi.data.loading import EvaluationData
from sroi.errors import SroiInputError
from sroi.impact.staggered.school_randomization import school_randomization_test
from sroi.report.capture import WarningLog
from sroi.report.steps.clustering import ClusterChoice
from sroi.spec import OutcomeSpec, Spec

__all__ = ["N_RESHUFFLES", "randomization_check"]

#: Reshuffles of the programme schools: the p-value's Monte Carlo SE is at most 0.007 at
#: p = 0.05, and its smallest value 0.001.
N_RESHUFFLES = 999


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
        The data, the spec and the outcome.
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
        ``statistic`` (the unadjusted estimate), ``seed`` and ``method``; ``None`` when
        not applicable or not computable.
    """
    if not choice.by_cluster or choice.column is None:
        return None
    r = data.roles
    try:
        ri = school_randomization_test(
            data.panel,
            outcome.column,
            r.unit,
            r.time,
            r.cohort,
            choice.column,
            anticipation=spec.design.did.anticipation,
            n_perm=N_RESHUFFLES,
            random_state=seed,
        )
    except SroiInputError as err:
        log.messages.append(f"{outcome.name}: randomisation check: not computed ({err})")
        return None
    return {
        "p_value": ri.p_value,
        "n_draws": ri.n_perm,
        "n_programme_schools": ri.n_programme_schools,
        "n_schools": ri.n_schools,
        "statistic": ri.estimate,
        "seed": seed,
        "method": (
            "randomisation test over programme schools of the unmatched, unadjusted "
            "group-aggregated difference-in-differences (sharp null of no effect)"
        ),
    }
