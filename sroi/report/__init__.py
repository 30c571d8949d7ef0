"""Reports: papermill runner, figures, results.json, disclosure control, provenance, batch.

``sroi.report.run(spec_path, output_dir, parameters=None)`` runs an evaluation report and
returns the path of its HTML; ``sroi.report.batch(spec_paths, output_dir, workers=2)`` runs
many; ``sroi.report.evaluate(spec)`` computes the results without a notebook.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "run": "sroi.report.runner",
    "ReportError": "sroi.report.runner",
    "batch": "sroi.report.batch",
    "BatchSummary": "sroi.report.batch",
    "evaluate": "sroi.report.pipeline",
    "EvaluationResult": "sroi.report.pipeline",
    "check_no_identifiers": "sroi.report.disclosure",
    "suppress_counts": "sroi.report.disclosure",
    "write_results": "sroi.report.results",
    "validate_results": "sroi.report.results",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        obj = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = obj
        return obj
    raise AttributeError(f"module 'sroi.report' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
