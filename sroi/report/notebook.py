"""One call per report-notebook cell: the notebooks hold no logic of their own.

Each notebook run creates its own :class:`~sroi.report.capture.WarningLog` (``log =
nb.WarningLog()``) and passes it to the steps, so the warnings raised while computing are
shown in that report's limitations (never in another run's) rather than printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sroi import resources
from sroi.data.loading import EvaluationData, file_hash
from sroi.errors import SroiInputError
from sroi.report import workers
from sroi.report.capture import WarningLog
from sroi.report.provenance import provenance as _provenance
from sroi.report.record import EvaluationResult, OutcomeResult
from sroi.report.results import json_safe, saved_effects
from sroi.report.results import write_results as _write_results
from sroi.report.sections import (
    appendix_section,
    assumptions_section,
    balance_section,
    comparison_section,
    computing_notes_section,
    headline_section,
    impact_details_section,
    impact_section,
    limitations_section,
    methods_section,
    programme_section,
    provenance_section,
    sensitivity_section,
    value_details_section,
    value_section,
    value_summary_section,
)
from sroi.report.shared_tasks import SharedTasks
from sroi.report.steps import data as _data
from sroi.report.steps.value import value_effects, value_headline
from sroi.spec import Spec

__all__ = [
    "WarningLog",
    "load_spec",
    "load_data",
    "start_workers",
    "estimate_outcomes",
    "assemble",
    "write_results",
    "headline_section",
    "programme_section",
    "comparison_section",
    "impact_section",
    "value_section",
    "sensitivity_section",
    "assumptions_section",
    "methods_section",
    "limitations_section",
    "appendix_section",
    "balance_section",
    "impact_details_section",
    "value_details_section",
    "computing_notes_section",
    "provenance_section",
    "value_summary_section",
    "load_value_spec",
    "saved_effects",
    "revalue",
    "write_value_results",
]


def load_spec(
    spec_path: str | Path | None, overrides: dict[str, Any] | None = None, seed: int | None = None
) -> Spec:
    """The spec (default: the shipped sample) with overrides and the seed applied.

    Parameters
    ----------
    spec_path
        ``evaluation.yaml``; ``None`` for the shipped sample evaluation.
    overrides
        Spec overrides as dotted paths.
    seed
        Random seed replacing the spec's.

    Returns
    -------
    Spec
        The validated spec.
    """
    path = resources.sample_spec() if spec_path is None else spec_path
    return _data.load_spec(path, overrides or {}, seed)


def load_data(spec: Spec) -> tuple[EvaluationData, dict[str, Any], pd.DataFrame]:
    """``(data, programme facts, cohort table)`` for the spec.

    With the report's worker processes running, the checks on the unmatched sample are
    handed to them as soon as the data are read and the design's inference checked, before
    the matching and the valuation section are checked
    (:func:`sroi.report.steps.outcomes.start_unmatched_checks`); they are cancelled if a
    check fails.
    """
    pool = workers.current()
    if pool is None:
        data = _data.load_data(spec)
    else:
        from sroi.report.steps import outcomes as _outcomes

        started: list[SharedTasks[Any]] = []

        def before_matching(data: EvaluationData) -> None:
            started.append(
                _outcomes.start_unmatched_checks(data, spec, spec.seed, pool, workers.n_running())
            )

        try:
            data = _data.load_data(spec, before_matching=before_matching)
        except BaseException:
            for tasks in started:  # the report stops here: the workers need not go on
                tasks.cancel()
            raise
    programme, cohorts = _data.describe_programme(data, spec)
    return data, programme, cohorts


def estimate_outcomes(
    data: EvaluationData, spec: Spec, log: WarningLog
) -> dict[str, OutcomeResult]:
    """Per-outcome estimates with the spec's seed; warnings go to this run's ``log``."""
    # imported here: the estimation code (scipy.stats among it) takes seconds to import, and
    # the value re-run notebook, which uses this module too, needs none of it
    from sroi.report.steps import outcomes as _outcomes

    return _outcomes.estimate_outcomes(
        data, spec, spec.seed, log=log, executor=workers.current(), n_workers=workers.n_running()
    )


def start_workers() -> None:
    """Start the worker processes that run checks and estimate secondary outcomes alongside.

    See :mod:`sroi.report.workers` (``SROI_REPORT_WORKERS=0``: none, all in the kernel). The
    report's results are the same either way.
    """
    workers.start()


def assemble(
    spec: Spec,
    data: EvaluationData,
    programme: dict[str, Any],
    cohorts: pd.DataFrame,
    outcomes: dict[str, OutcomeResult],
    log: WarningLog,
) -> EvaluationResult:
    """Multiplicity, valuation, Monte Carlo and the evidence rating."""
    from sroi.report.pipeline import assemble as _assemble  # see estimate_outcomes

    return _assemble(spec, data, programme, cohorts, outcomes, spec.seed, log)


def _provenance_of(result: EvaluationResult, spec_path: str | Path | None) -> dict[str, Any]:
    return _provenance(
        spec_hash=result.spec.hash(),
        data_hash=result.data_hash,
        seed=result.seed,
        spec_path=None if spec_path is None else str(spec_path),
    )


def write_results(
    result: EvaluationResult, output_dir: str | Path, spec_path: str | Path | None = None
) -> dict[str, Any]:
    """Write ``results.json`` into ``output_dir``; returns the provenance record."""
    prov = _provenance_of(result, spec_path)
    _write_results(result, Path(output_dir) / "results.json", prov)
    return prov


# ------------------------------------------------------------------- value re-run notebook
def load_value_spec(
    spec_path: str | Path | None,
    cost_file: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    seed: int | None = None,
) -> Spec:
    """The spec for a finance re-run: overrides, seed and (optionally) a new cost workbook.

    Raises
    ------
    SroiInputError
        If the spec has no valuation section.
    """
    over = dict(overrides or {})
    if cost_file:
        over["valuation.cost_file"] = str(Path(cost_file).resolve())
    spec = load_spec(spec_path, over, seed)
    if spec.valuation is None:
        raise SroiInputError(f"{spec.path}: the spec has no valuation section to re-value with")
    return spec


def revalue(
    spec: Spec,
    effects: dict[str, Any],
    results_path: str | Path,
    log: WarningLog,
    n_draws: int = 10_000,
) -> EvaluationResult:
    """Value saved effects (:func:`sroi.value.run` and ``simulate``) as a value-only result.

    Parameters
    ----------
    spec
        A spec with a valuation section (:func:`load_value_spec`).
    effects
        Outcome name -> effect (:func:`saved_effects`).
    results_path
        The ``results.json`` the effects came from (part of the data hash).
    log
        This run's warnings.
    n_draws
        Monte Carlo draws.
    """
    value, sim, why = value_effects(spec, effects, spec.seed, n_draws=n_draws, log=log)
    files = [Path(results_path)]
    if spec.valuation is not None:
        cost = spec.resolve(spec.valuation.cost_file)
        if cost.exists():
            files.append(cost)
    return EvaluationResult(
        spec=spec,
        programme={"name": spec.programme.name},
        cohorts=pd.DataFrame(),
        exclusions=pd.DataFrame(),
        outcomes={},
        matching=None,
        multiplicity=None,
        value=value,
        simulation=sim,
        evidence=None,
        data_hash=file_hash(files),
        seed=spec.seed,
        unavailable={"value": why} if why else {},
        warnings=log.messages,
        design="assumed effects",
    )


def write_value_results(
    result: EvaluationResult, output_dir: str | Path, spec_path: str | Path | None = None
) -> dict[str, Any]:
    """Write ``value_results.json`` (value, simulation, provenance); returns the provenance."""
    prov = _provenance_of(result, spec_path)
    head = value_headline(result)
    doc = {
        "provenance": prov,
        "headline": None if head is None else head.to_dict(),
        "value": None if result.value is None else result.value.to_dict(),
        "simulation": None
        if result.simulation is None
        else {k: v for k, v in result.simulation.to_dict().items() if k != "draws"},
    }
    out = Path(output_dir) / "value_results.json"
    out.write_text(json.dumps(json_safe(doc), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return prov
