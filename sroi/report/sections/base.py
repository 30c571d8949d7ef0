"""The :class:`Section` a report notebook cell displays, and the report's style sheet."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from sroi.report.charts import Chart

__all__ = ["STYLE", "Section"]

STYLE = """<style>
.sroi-report { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
  max-width: 60rem; line-height: 1.45; color: #1a1a1a; }
.sroi-report table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
.sroi-report th, .sroi-report td { border-bottom: 1px solid #ccc; padding: 0.25rem 0.6rem;
  text-align: left; vertical-align: top; }
.sroi-report th { background: #f2f2f2; }
.sroi-report .key { font-size: 1.05rem; background: #eef5fb; border-left: 4px solid #0072B2;
  padding: 0.6rem 0.9rem; margin: 0.6rem 0; }
.sroi-report .warn { background: #fff6e5; border-left: 4px solid #E69F00; padding: 0.5rem 0.9rem; }
.sroi-report .unavailable { background: #f4f4f4; border-left: 4px solid #6E6E6E;
  padding: 0.4rem 0.9rem; color: #333; }
.sroi-report figure { margin: 0.6rem 0 1.2rem; }
.sroi-report figcaption { font-size: 0.88rem; color: #333; }
.sroi-report img, .sroi-report svg { max-width: 100%; height: auto; }
.sroi-report td { overflow-wrap: anywhere; }
.sroi-report a, .sroi-report a:link, .sroi-report a:visited { color: #0b5394;
  text-decoration: underline; }
.sroi-report caption { text-align: left; font-weight: 600; padding: 0.2rem 0; }
@media print {
  .sroi-report { max-width: none; font-size: 10.5pt; }
  .sroi-report h2 { break-before: page; }
  .sroi-report nav h2, .sroi-report h2#summary { break-before: auto; }
  .sroi-report thead { display: table-header-group; }
  .sroi-report tr, .sroi-report figure, .sroi-report .key { break-inside: avoid; }
  .sroi-report h2, .sroi-report h3 { break-after: avoid; }
}
</style>"""


def _figure_html(chart: Chart, caption: str) -> str:
    return (
        f'<figure class="sroi-figure">{chart.svg(caption)}'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


@dataclass
class Section:
    """A rendered report section (HTML); Jupyter displays it via ``_repr_html_``.

    Attributes
    ----------
    title
        The section's name.
    parts
        HTML fragments, in order.
    n_figures
        Figures embedded so far.
    """

    title: str
    parts: list[str] = field(default_factory=list)
    n_figures: int = 0

    def add(self, html_text: str) -> Section:
        """Append an HTML fragment (already escaped)."""
        self.parts.append(html_text)
        return self

    def p(self, text: str, cls: str | None = None) -> Section:
        """Append a paragraph (``text`` is HTML, already escaped) with an optional class."""
        c = f' class="{cls}"' if cls else ""
        return self.add(f"<p{c}>{text}</p>")

    def figure(self, chart: Chart, caption: str) -> Section:
        """Embed a chart as inline SVG with its caption (also the chart's accessible name).

        Parameters
        ----------
        chart
            The chart (e.g. ``love_plot(table)`` of :mod:`sroi.report.figures`).
        caption
            The caption, also the chart's ``aria-label``.
        """
        self.n_figures += 1
        self.parts.append(_figure_html(chart, caption))
        return self

    def unavailable(self, what: str, reason: str) -> Section:
        """A part that is not in the report, with the reason in words.

        ``reason`` is HTML (escape or sanitise free text first).
        """
        return self.p(
            f"<strong>Section unavailable: {html.escape(what)}</strong>: {reason}",
            "unavailable",
        )

    @property
    def html(self) -> str:
        """The section as one HTML fragment, with the style sheet."""
        return f'<div class="sroi-report">{STYLE}' + "".join(self.parts) + "</div>"

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        # short: Jupyter stores this as the output's text/plain copy beside the HTML, and a
        # full repr would repeat every fragment (images included) in the notebook
        return f"<Section {self.title!r}: {len(self.parts)} parts, {self.n_figures} figures>"

    def __str__(self) -> str:
        return self.html
