"""One call per report-notebook cell: the notebooks hold no logic of their own.

Warnings raised while computing are collected (and shown in the report's limitations) rather
than printed into the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sroi.report import pipeline as _pl
from sroi.report.render import (
    assumptions_section,
    comparison_section,
    headline_section,
    impact_section,
    limitations_section,
    methods_section,
    programme_section,
    provenance_section,
    sensitivity_section,
    value_section,
    value_summary_section,
)

__all__ = [
    "load_spec",
    "load_data",
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
    "provenance_section",
    "value_summary_section",
    "load_value_spec",
    "load_saved_effects",
    "revalue",
    "write_value_results",
]

_WARNINGS: list[str] = []


def load_spec(
    spec_path: str | Path | None, overrides: dict[str, Any] | None = None, seed: int | None = None
) -> Any:
    """The spec (default: the shipped sample) with overrides and the seed applied."""
    import matplotlib

    matplotlib.use("Agg")
    _WARNINGS.clear()
    if spec_path is None:
        from sroi.cli import default_spec_path

        spec_path = default_spec_path()
    return _pl.load_spec(spec_path, overrides or {}, seed)


def load_data(spec: Any) -> tuple[Any, dict[str, Any], pd.DataFrame]:
    """``(data, programme facts, cohort table)``."""
    data = _pl.load_data(spec)
    programme, cohorts = _pl.describe_programme(data, spec)
    return data, programme, cohorts


def estimate_outcomes(data: Any, spec: Any) -> dict[str, _pl.OutcomeResult]:
    """Per-outcome estimates with the spec's seed."""
    return _pl.estimate_outcomes(data, spec, spec.seed, warnings_sink=_WARNINGS)


def assemble(
    spec: Any,
    data: Any,
    programme: dict[str, Any],
    cohorts: pd.DataFrame,
    outcomes: dict[str, _pl.OutcomeResult],
) -> _pl.EvaluationResult:
    """Multiplicity, valuation, Monte Carlo and the evidence rating."""
    return _pl.assemble(spec, data, programme, cohorts, outcomes, spec.seed, _WARNINGS)


def write_results(
    result: _pl.EvaluationResult, output_dir: str | Path, spec_path: str | Path | None = None
) -> dict[str, Any]:
    """Write ``results.json`` into ``output_dir``; returns the provenance record."""
    from sroi.report.provenance import provenance
    from sroi.report.results import write_results as _write

    prov = provenance(
        spec_hash=result.spec.hash(),
        data_hash=result.data_hash,
        seed=result.seed,
        spec_path=None if spec_path is None else str(spec_path),
    )
    _write(result, Path(output_dir) / "results.json", prov)
    return prov


# ------------------------------------------------------------------- value re-run notebook
def load_value_spec(
    spec_path: str | Path | None,
    cost_file: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    seed: int | None = None,
) -> Any:
    """The spec for a finance re-run: overrides, seed and (optionally) a new cost workbook."""
    over = dict(overrides or {})
    if cost_file:
        over["valuation.cost_file"] = str(Path(cost_file).resolve())
    spec = load_spec(spec_path, over, seed)
    if spec.valuation is None:
        from sroi.errors import SroiInputError

        raise SroiInputError(f"{spec.path}: the spec has no valuation section to re-value with")
    return spec


def load_saved_effects(results_path: str | Path) -> dict[str, Any]:
    """Headline effects saved by ``sroi run`` in ``results.json`` (outcome -> Effect)."""
    import json

    from sroi.effect import Effect
    from sroi.errors import SroiInputError

    path = Path(results_path)
    if not path.exists():
        raise SroiInputError(f"{path}: saved results not found; run `sroi run` first")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SroiInputError(f"{path}: not valid JSON ({exc})") from None
    effects = {}
    for i, item in enumerate(doc.get("effects") or []):
        eff = item.get("effect") if isinstance(item, dict) else None
        if eff is None:
            continue
        if not isinstance(eff, dict):
            raise SroiInputError(f"{path}: effects[{i}].effect is not an object")
        e = Effect.from_dict(eff)
        effects[item.get("outcome") or e.outcome] = e.with_(
            outcome=item.get("outcome") or e.outcome
        )
    if not effects:
        raise SroiInputError(f"{path}: no estimated effects to value")
    return effects


def revalue(
    spec: Any, effects: dict[str, Any], results_path: str | Path, n_draws: int = 10_000
) -> _pl.EvaluationResult:
    """Value saved effects (``sroi.value.run`` and ``simulate``) as a value-only result."""
    from sroi.data.loading import file_hash

    value, sim, why = _pl.value_effects(
        spec, effects, spec.seed, n_draws=n_draws, warnings_sink=_WARNINGS
    )
    files = [Path(results_path)]
    cost = spec.resolve(spec.valuation.cost_file)
    if cost.exists():
        files.append(cost)
    result = _pl.EvaluationResult(
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
        warnings=_WARNINGS,
        design="assumed effects",
    )
    return result


def write_value_results(
    result: _pl.EvaluationResult, output_dir: str | Path, spec_path: str | Path | None = None
) -> dict[str, Any]:
    """Write ``value_results.json`` (value, simulation, provenance); returns the provenance."""
    import json

    from sroi.report.provenance import provenance
    from sroi.report.render import value_headline
    from sroi.report.results import _clean

    prov = provenance(
        spec_hash=result.spec.hash(),
        data_hash=result.data_hash,
        seed=result.seed,
        spec_path=None if spec_path is None else str(spec_path),
    )
    doc = {
        "provenance": prov,
        "headline": value_headline(result),
        "value": result.value.to_dict() if hasattr(result.value, "to_dict") else None,
        "simulation": {k: v for k, v in result.simulation.to_dict().items() if k != "draws"}
        if hasattr(result.simulation, "to_dict")
        else None,
    }
    out = Path(output_dir) / "value_results.json"
    out.write_text(
        json.dumps(_clean(doc, set()), indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    return prov
