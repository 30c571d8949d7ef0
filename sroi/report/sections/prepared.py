"""The report's sections with figures, built together so their figures are drawn at once.

A section waits for its figures when it is displayed. Built one cell at a time, each section
with figures would wait for its own before the next one starts; built together right after
the evaluation is assembled (:class:`PreparedSections`), every figure is handed to the worker
processes (:mod:`sroi.report.workers`) at once and drawn while the kernel writes
``results.json`` and the sections without figures. Without workers the figures are drawn
here, one after the other, as before.

An error while building a section is raised when that section is shown
(:meth:`PreparedSections.show`), in its own cell, so a failed report still names the section
that failed.
"""

from __future__ import annotations

from collections.abc import Callable

from sroi.report.record import EvaluationResult
from sroi.report.sections.base import Section
from sroi.report.sections.comparison import comparison_section
from sroi.report.sections.impact import impact_details_section, impact_section
from sroi.report.sections.value import sensitivity_section, value_section

__all__ = ["PreparedSections", "SECTIONS_WITH_FIGURES"]

#: Name -> builder of each section with figures, in the report's order.
SECTIONS_WITH_FIGURES: dict[str, Callable[[EvaluationResult], Section]] = {
    "comparison": comparison_section,
    "impact": impact_section,
    "value": value_section,
    "sensitivity": sensitivity_section,
    "impact_details": impact_details_section,
}


class PreparedSections:
    """The sections of :data:`SECTIONS_WITH_FIGURES` for one result, built at once.

    Parameters
    ----------
    result
        The evaluation.
    """

    def __init__(self, result: EvaluationResult) -> None:
        self._built: dict[str, Section | Exception] = {}
        for name, build in SECTIONS_WITH_FIGURES.items():
            try:
                self._built[name] = build(result)
            except Exception as exc:  # noqa: BLE001 - raised again by show(), in its cell
                self._built[name] = exc

    def show(self, name: str) -> Section:
        """The section ``name`` (a key of :data:`SECTIONS_WITH_FIGURES`).

        Raises
        ------
        Exception
            The error raised while the section was built, if any.
        """
        built = self._built[name]
        if isinstance(built, Exception):
            raise built
        return built
