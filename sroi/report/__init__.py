"""Reports: papermill runner, pipeline, sections, figures, results.json, disclosure, batch.

``sroi.report.run(spec_path, output_dir, parameters=None)`` runs an evaluation report and
returns the path of its HTML; ``sroi.report.run_value`` re-values saved results;
``sroi.report.batch(spec_paths, output_dir, workers=2)`` runs many;
``sroi.report.evaluate(spec)`` computes the results without a notebook;
``sroi.report.read_results(path)`` reads (and validates) a ``results.json``;
``sroi.report.pool(paths)`` pools one outcome across places and ``sroi.report.run_pool``
writes the pooled report.
"""

from __future__ import annotations

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
