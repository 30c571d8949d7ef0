"""The evaluation pipeline behind the report: data -> matching -> DiD -> value -> evidence.

:func:`evaluate` runs the steps of :mod:`sroi.report.steps` in order and returns an
:class:`~sroi.report.record.EvaluationResult`; the report notebook calls the same steps one
cell at a time (:mod:`sroi.report.notebook`).

Steps
-----
1. :func:`~sroi.report.steps.data.load_data` -- read and validate the data the spec names,
   counting exclusions.
2. :func:`~sroi.report.steps.data.describe_programme` -- cohorts, participants, schools
   (counts suppressed when shown).
3. :func:`~sroi.report.steps.outcomes.estimate_outcomes` -- per outcome: matched staggered
   difference-in-differences (per-cohort matching on characteristics and pre-enrolment
   history, then Callaway & Sant'Anna, 2021, ATT(g,t) on the matched sample; the *group*
   aggregation is the headline because the *simple* aggregation over-weights cohorts observed
   for longer), the joint pre-trend test, the event study by time since start, two-way fixed
   effects (TWFE) versus Callaway-Sant'Anna on the unmatched sample with the Goodman-Bacon
   (2021) decomposition, Rambachan & Roth (2023) bounds for the primary outcome, and the
   minimum detectable effect (MDES ~= 2.8 x SE at 5% two-sided and 80% power, Bloom, 1995).
4. The comparison group actually used (balance, overlap): the primary outcome's matches.
5. :func:`~sroi.report.steps.multiplicity.adjust_multiplicity` -- Holm (1979) or
   Benjamini-Hochberg (1995) adjusted p-values for the secondary outcomes.
6. :func:`~sroi.report.steps.value.value_effects` -- :func:`sroi.value.run` and the Monte
   Carlo :func:`sroi.value.simulate`.
7. :func:`~sroi.report.steps.evidence.assess` -- the Maryland Scientific Methods Scale level
   and plain-words diagnostics.

A part of the report is left out only for a reason of the data or the spec (no valuation
section, no estimate of the primary outcome, too few pre-periods for a test, ...): the reason
is recorded in ``EvaluationResult.unavailable`` and shown in words. Errors in the data or the
spec stop the evaluation with :class:`sroi.SroiInputError`; any other error is a bug and
propagates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sroi._checks import check_seed
from sroi.data.loading import EvaluationData
from sroi.report.capture import WarningLog
from sroi.report.record import EvaluationResult, OutcomeResult
from sroi.report.steps.data import describe_programme, identifiers, load_data, load_spec
from sroi.report.steps.evidence import assess
from sroi.report.steps.multiplicity import NO_PRIMARY, adjust_multiplicity
from sroi.report.steps.outcomes import estimate_outcomes
from sroi.report.steps.value import value_effects
from sroi.spec import Spec

__all__ = ["evaluate", "assemble", "all_exclusions"]


def evaluate(spec: Spec | str | Path, random_state: int | None = None) -> EvaluationResult:
    """Run the whole evaluation (steps 1-7 of the module docstring).

    Parameters
    ----------
    spec
        An :class:`sroi.Spec` or a path to ``evaluation.yaml``.
    random_state
        Seed for every random step (matching order ties, bootstrap, Monte Carlo);
        default: the spec's ``seed``.

    Returns
    -------
    EvaluationResult
        Everything the report shows and ``results.json`` records.

    Raises
    ------
    SroiInputError
        For a problem in the spec or the data.
    """
    spec = load_spec(spec)
    seed = spec.seed if random_state is None else check_seed(random_state)
    log = WarningLog()
    data = load_data(spec)
    programme, cohorts = describe_programme(data, spec)
    outcomes = estimate_outcomes(data, spec, seed, log=log)
    return assemble(spec, data, programme, cohorts, outcomes, seed, log)


def assemble(
    spec: Spec,
    data: EvaluationData,
    programme: dict[str, Any],
    cohorts: pd.DataFrame,
    outcomes: dict[str, OutcomeResult],
    seed: int,
    log: WarningLog,
    *,
    n_draws: int = 10_000,
) -> EvaluationResult:
    """Multiplicity, valuation and evidence on top of the estimated outcomes.

    Parameters
    ----------
    spec, data
        The spec and the validated data.
    programme, cohorts
        From :func:`~sroi.report.steps.data.describe_programme`.
    outcomes
        From :func:`~sroi.report.steps.outcomes.estimate_outcomes`.
    seed
        Seed of the Monte Carlo.
    log
        This run's warnings.
    n_draws
        Monte Carlo draws.

    Returns
    -------
    EvaluationResult
        The evaluation.
    """
    unavailable: dict[str, str] = {}
    multiplicity = adjust_multiplicity(outcomes, spec)
    if multiplicity is None:
        unavailable["multiple-outcome adjustment"] = NO_PRIMARY
    effects = {k: o.headline for k, o in outcomes.items() if o.headline is not None}
    value = sim = None
    if effects or (spec.valuation is not None and spec.valuation.assumed_effects):
        value, sim, why = value_effects(spec, effects, seed, n_draws=n_draws, log=log)
        if why:
            unavailable["value"] = why
    else:
        unavailable["value"] = "no estimated effects to value"
    for name, o in outcomes.items():
        for part, why in o.unavailable.items():
            unavailable[f"{name}: {part}"] = why
    primary = next(o for o in outcomes.values() if o.primary)
    result = EvaluationResult(
        spec=spec,
        programme=programme,
        cohorts=cohorts,
        exclusions=all_exclusions(data.exclusions, outcomes),
        outcomes=outcomes,
        matching=primary.matching,
        multiplicity=multiplicity,
        value=value,
        simulation=sim,
        evidence=None,
        data_hash=data.data_hash,
        seed=seed,
        unavailable=unavailable,
        warnings=log.messages,
        identifiers=identifiers(data),
        design="matched staggered difference-in-differences"
        if all(o.matched for o in outcomes.values())
        else "staggered difference-in-differences",
    )
    if primary.headline is not None:
        result.evidence = assess(result)
    else:
        unavailable["evidence strength"] = "the main outcome's effect could not be estimated"
    return result


def all_exclusions(
    data_exclusions: pd.DataFrame, outcomes: dict[str, OutcomeResult]
) -> pd.DataFrame:
    """The data's exclusions followed by those each outcome's estimator made, by reason.

    Parameters
    ----------
    data_exclusions
        The exclusions of :func:`sroi.data.load_evaluation_data` (``reason, column, n_rows,
        n_units``).
    outcomes
        The estimated outcomes; the exclusions recorded in each headline effect's
        ``extra["exclusions"]`` (units the estimator could not use, e.g. with gaps) are added
        with the outcome's name, so the report's table lists every pupil left out.

    Returns
    -------
    DataFrame
        One row per reason (and outcome), same columns.
    """
    rows = data_exclusions.to_dict(orient="records")
    for name, o in outcomes.items():
        extra = getattr(o.headline, "extra", None) or {}
        for r in extra.get("exclusions") or []:
            if not isinstance(r, dict) or not (r.get("n_rows") or r.get("n_units")):
                continue
            rows.append(
                {
                    "reason": f"{r.get('reason', 'excluded')} (estimate of {name})",
                    "column": r.get("column") or "",
                    "n_rows": int(r.get("n_rows") or 0),
                    "n_units": int(r.get("n_units") or 0),
                }
            )
    return pd.DataFrame(rows, columns=["reason", "column", "n_rows", "n_units"])
