"""HTML for each report section, built from an :class:`~sroi.report.record.EvaluationResult`.

Each ``*_section`` function returns a :class:`Section` (HTML with its figures as inline SVG,
:mod:`sroi.report.charts`, displayed by Jupyter through ``_repr_html_``), so the notebook cells
are one call each.
Every count goes through :func:`~sroi.report.disclosure.suppress_count` and every free text
(notes, warnings, error messages) through :func:`~sroi.report.disclosure.sanitize_text`.

One module per part of the report: :mod:`.headline` (the committee summary and the value
re-run's headline), :mod:`.programme`, :mod:`.comparison`, :mod:`.impact`, :mod:`.value`
(value, sensitivity, value details, assumptions register) and :mod:`.notes` (methods,
limitations, notes raised while computing, provenance); :mod:`.base` holds :class:`Section` and :mod:`.text` the number formats.
"""

from __future__ import annotations

from sroi.report.sections.base import STYLE, Section
from sroi.report.sections.comparison import balance_section, comparison_section
from sroi.report.sections.headline import contents, headline_section, value_summary_section
from sroi.report.sections.impact import impact_details_section, impact_section
from sroi.report.sections.notes import (
    METHOD_NOTES,
    appendix_section,
    computing_notes_section,
    limitations_section,
    methods_section,
    provenance_section,
)
from sroi.report.sections.programme import programme_section
from sroi.report.sections.text import format_effect
from sroi.report.sections.value import (
    assumptions_section,
    sensitivity_section,
    value_details_section,
    value_section,
)

__all__ = [
    "STYLE",
    "METHOD_NOTES",
    "Section",
    "format_effect",
    "appendix_section",
    "balance_section",
    "computing_notes_section",
    "contents",
    "headline_section",
    "value_summary_section",
    "programme_section",
    "comparison_section",
    "impact_section",
    "impact_details_section",
    "value_section",
    "value_details_section",
    "sensitivity_section",
    "assumptions_section",
    "methods_section",
    "limitations_section",
    "provenance_section",
]
