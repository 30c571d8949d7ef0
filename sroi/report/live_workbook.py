"""The live workbook of a report (``value_model.xlsx``), written beside ``results.json``."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import sroi.value
from sroi.report.results import saved_effects
from sroi.report.steps.value import effects_to_value
from sroi.value.workbook import write_value_model

if TYPE_CHECKING:  # pragma: no cover
    from sroi.spec import Spec

__all__ = ["MODEL_WORKBOOK", "write_model_workbook"]

#: File name of the live workbook written beside the report.
MODEL_WORKBOOK = "value_model.xlsx"


def write_model_workbook(spec: Spec, results_path: Path, path: Path) -> Path | None:
    """Write the live workbook (:func:`sroi.value.workbook.write_value_model`) of a report.

    The valuation is repeated from the headline effects saved in ``results.json`` (the same
    central figures as the report: valuation uses the estimates, not their draws).

    Parameters
    ----------
    spec
        The spec the report ran with (overrides applied).
    results_path
        The report's ``results.json``.
    path
        The workbook to write.

    Returns
    -------
    pathlib.Path or None
        The workbook, or None when the spec has no valuation section or nothing was valued.
    """
    if spec.valuation is None:
        return None
    effects = saved_effects(results_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report has shown them already
        result = sroi.value.run(spec, effects_to_value(spec, effects))
    if not result.model.lines:
        return None
    write_value_model(result, path, title=f"{spec.report.title}: live value model")
    return path
