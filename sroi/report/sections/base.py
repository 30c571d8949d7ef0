"""The :class:`Section` a report notebook cell displays, and the report's style sheet."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sroi.report import workers
from sroi.report.figures import draw_png, to_png

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
.sroi-report img { max-width: 100%; height: auto; }
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


def _figure_html(png: bytes, caption: str) -> str:
    b64 = base64.b64encode(png).decode("ascii")
    alt = html.escape(caption, quote=True)
    return (
        f'<figure class="sroi-figure"><img src="data:image/png;base64,{b64}" alt="{alt}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


@dataclass(frozen=True)
class _PendingFigure:
    """A figure being drawn by a worker process, how to draw it, and its caption."""

    png: Future[bytes]
    draw: Callable[[], Figure]
    caption: str

    def html(self) -> str:
        try:
            png = self.png.result()
        except BrokenProcessPool:  # a worker died (killed, out of memory): draw it here
            png = draw_png(self.draw)
        return _figure_html(png, self.caption)


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
    parts: list[str | _PendingFigure] = field(default_factory=list)
    n_figures: int = 0

    def add(self, html_text: str) -> Section:
        """Append an HTML fragment (already escaped)."""
        self.parts.append(html_text)
        return self

    def p(self, text: str, cls: str | None = None) -> Section:
        """Append a paragraph (``text`` is HTML, already escaped) with an optional class."""
        c = f' class="{cls}"' if cls else ""
        return self.add(f"<p{c}>{text}</p>")

    def figure(self, draw: Figure | Callable[[], Figure], caption: str) -> Section:
        """Embed a figure as a PNG data URI with its caption (also its alt text).

        Parameters
        ----------
        draw
            A function that makes the figure (e.g. ``functools.partial(love_plot, table)``),
            or the finished figure. With the report's worker processes running
            (:mod:`sroi.report.workers`), a function is called and the figure drawn by a
            worker while the section goes on (:attr:`html` waits for it); otherwise here.
        caption
            The caption, also the image's alternative text.
        """
        self.n_figures += 1
        pool = workers.current()
        if pool is not None and callable(draw):  # a figure itself is not callable
            self.parts.append(_PendingFigure(pool.submit(draw_png, draw), draw, caption))
            return self
        fig = draw() if callable(draw) else draw
        self.parts.append(_figure_html(to_png(fig), caption))
        fig.clear()  # release the figure's memory; it is embedded now
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
        """The section as one HTML fragment, with the style sheet (figures drawn first)."""
        drawn = [p if isinstance(p, str) else p.html() for p in self.parts]
        self.parts = list(drawn)  # the figures are drawn now: keep their HTML
        return f'<div class="sroi-report">{STYLE}' + "".join(drawn) + "</div>"

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        # short: Jupyter stores this as the output's text/plain copy beside the HTML, and a
        # full repr would repeat every fragment (images included) in the notebook
        return f"<Section {self.title!r}: {len(self.parts)} parts, {self.n_figures} figures>"

    def __str__(self) -> str:
        return self.html
