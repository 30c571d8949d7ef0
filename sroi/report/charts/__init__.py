"""The report's charts: SVG drawn from the data, with round-number axes and measured text.

:class:`Chart` (:mod:`~sroi.report.charts.canvas`) lays out and draws; the figure functions
of :mod:`sroi.report.figures` say what each of the report's charts shows.
"""

from sroi.report.charts.canvas import FONT_FAMILY, Chart

__all__ = ["Chart", "FONT_FAMILY"]
