"""Reports: papermill runner, pipeline, sections, figures, results.json, disclosure, batch.

``sroi.report.run(spec_path, output_dir, parameters=None)`` runs an evaluation report and
returns the path of its HTML; ``sroi.report.run_value`` re-values saved results;
``sroi.report.batch(spec_paths, output_dir, workers=2)`` runs many;
``sroi.report.evaluate(spec)`` computes the results without a notebook;
``sroi.report.read_results(path)`` reads (and validates) a ``results.json``;
``sroi.report.pool(paths)`` pools one outcome across places and ``sroi.report.run_pool``
writes the pooled report.

The names are imported on first use (the estimation and figure code behind them takes
seconds to import), so ``sroi run`` starts its notebook kernel without waiting for them.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from sroi.report.batch import BatchSummary, batch
    from sroi.report.disclosure import check_no_identifiers, suppress_counts
    from sroi.report.pipeline import evaluate
    from sroi.report.pool import PooledResults, pool, write_pool
    from sroi.report.record import EvaluationResult
    from sroi.report.results import read_results, saved_effects, validate_results, write_results
    from sroi.report.runner import ReportError, run, run_pool, run_value

__all__ = [
    "BatchSummary",
    "EvaluationResult",
    "PooledResults",
    "ReportError",
    "batch",
    "check_no_identifiers",
    "evaluate",
    "pool",
    "read_results",
    "run",
    "run_pool",
    "run_value",
    "saved_effects",
    "suppress_counts",
    "validate_results",
    "write_pool",
    "write_results",
]


def _load(name: str) -> Any:
    """Import the public name ``name`` from the module that defines it."""
    found: dict[str, Any]
    if name in ("BatchSummary", "batch"):
        from sroi.report.batch import BatchSummary, batch

        found = {"BatchSummary": BatchSummary, "batch": batch}
    elif name in ("check_no_identifiers", "suppress_counts"):
        from sroi.report.disclosure import check_no_identifiers, suppress_counts

        found = {"check_no_identifiers": check_no_identifiers, "suppress_counts": suppress_counts}
    elif name == "evaluate":
        from sroi.report.pipeline import evaluate

        found = {"evaluate": evaluate}
    elif name in ("PooledResults", "pool", "write_pool"):
        from sroi.report.pool import PooledResults, pool, write_pool

        found = {"PooledResults": PooledResults, "pool": pool, "write_pool": write_pool}
    elif name == "EvaluationResult":
        from sroi.report.record import EvaluationResult

        found = {"EvaluationResult": EvaluationResult}
    elif name in ("read_results", "saved_effects", "validate_results", "write_results"):
        from sroi.report.results import read_results, saved_effects, validate_results, write_results

        found = {
            "read_results": read_results,
            "saved_effects": saved_effects,
            "validate_results": validate_results,
            "write_results": write_results,
        }
    elif name in ("ReportError", "run", "run_pool", "run_value"):
        from sroi.report.runner import ReportError, run, run_pool, run_value

        found = {
            "ReportError": ReportError,
            "run": run,
            "run_pool": run_pool,
            "run_value": run_value,
        }
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return found[name]


class _Package(types.ModuleType):
    """Keeps ``sroi.report.pool`` and ``sroi.report.batch`` the functions of those names.

    Importing a submodule makes it an attribute of its package; the functions ``pool`` and
    ``batch`` share their modules' names, so that attribute must not replace them.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in __all__ and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    obj = _load(name)
    globals()[name] = obj
    return obj


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
