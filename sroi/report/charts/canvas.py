"""A chart drawn as SVG: layers of marks on two linear axes, laid out before drawing.

:class:`Chart` collects what is to be drawn (points, intervals, bars, lines, shaded spans,
polygons, notes) and writes one self-contained ``<svg>`` element when asked
(:meth:`Chart.svg`). The axes cover every mark, ticks are round numbers
(:mod:`sroi.report.charts.ticks`), the title wraps to the chart's width, the legend sits
between the title and the plot so it never covers data, and long category labels wrap or are
cut with "…" so nothing is drawn outside the chart. Text is escaped; the element carries no
script, no link and no identifier (several charts share one page).

The report draws its figures with this rather than matplotlib: a figure costs a few
milliseconds instead of 0.2-0.5 s, is sharp at any zoom and in print, and its words are text
a screen reader and the report's disclosure checks can read.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sroi.report.charts.text import fit, text_width, wrap
from sroi.report.charts.ticks import axis_limits, nice_ticks, tick_labels

__all__ = ["Chart", "FONT_FAMILY"]

#: Fonts the charts ask for: Helvetica and two fonts with the same metrics.
FONT_FAMILY = "Helvetica, Arial, 'Liberation Sans', sans-serif"

_TITLE, _LABEL, _TICK, _LEGEND, _NOTE = 15.0, 13.0, 12.0, 12.0, 11.0
_INK, _MUTED, _GRID = "#222222", "#444444", "#e3e3e3"
_PAD = 10.0
_CATEGORY_SHARE = 0.42  # most of the width category labels may take
_DASHES = {"dashed": "6 4", "dotted": "1.5 3"}
#: Text is laid out as if 12% (bold: 25%) wider than Helvetica: a browser without Helvetica,
#: Arial or Liberation Sans falls back to a wider sans-serif (DejaVu Sans is about 10% wider,
#: its bold about 20%).
_SLACK, _BOLD_SLACK = 1.12, 1.25


def _f(v: float) -> str:
    """A coordinate, to 0.1 px."""
    return f"{v:.1f}"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _finite(*arrays: np.ndarray) -> np.ndarray:
    """Rows where every array is finite."""
    ok = np.ones(np.shape(arrays[0]), dtype=bool)
    for a in arrays:
        ok &= np.isfinite(a)
    return ok


@dataclass
class _Key:
    """A legend entry: how its swatch looks and its text."""

    kind: str  # "marker", "line", "box"
    label: str
    colour: str
    marker: str = "o"
    filled: bool = True
    dash: str | None = None
    width: float = 1.5
    opacity: float = 1.0
    shown: str = ""  # the label as drawn (cut to the chart's width if need be)


@dataclass
class _Layer:
    """One mark type with its data (pixel positions are computed when drawn)."""

    kind: str
    data: dict[str, np.ndarray]
    style: dict[str, Any] = field(default_factory=dict)


class Chart:
    """An SVG chart built mark by mark (see the module docstring).

    Parameters
    ----------
    title
        Shown above the chart (wrapped to its width).
    xlabel, ylabel
        Axis titles; a newline character starts a new line.
    width, height
        Size in pixels (the SVG's view box; it scales with the page).

    Examples
    --------
    >>> c = Chart(title="Effect by term", xlabel="term", ylabel="effect")
    >>> c.points([1, 2, 3], [0.1, 0.3, 0.2], colour="#0072B2", label="estimate")
    >>> c.svg("Effect by term").startswith("<svg")
    True
    """

    def __init__(
        self,
        *,
        title: str,
        xlabel: str,
        ylabel: str = "",
        width: float = 700.0,
        height: float = 400.0,
    ) -> None:
        self.title, self.xlabel, self.ylabel = title, xlabel, ylabel
        self.width, self.height = float(width), float(height)
        self._layers: list[_Layer] = []
        self._keys: list[_Key] = []
        self._categories: list[str] | None = None
        self._format: dict[str, dict[str, Any]] = {"x": {}, "y": {}}
        self._sticky: dict[str, set[float]] = {"x": set(), "y": set()}

    # ----------------------------------------------------------------- what is drawn
    def points(
        self,
        x: Sequence[float] | np.ndarray,
        y: Sequence[float] | np.ndarray,
        *,
        colour: str,
        marker: str = "o",
        filled: bool = True,
        size: float | Sequence[float] | np.ndarray = 8.0,
        label: str | None = None,
    ) -> None:
        """Markers at ``(x, y)``.

        ``marker`` is one of ``o s D ^ v`` (circle, square, diamond, triangles); ``size`` in
        pixels, one for all or one per point; ``filled`` False draws the outline only.
        """
        xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        sa = np.broadcast_to(np.asarray(size, dtype=float), xa.shape)
        style = {"colour": colour, "marker": marker, "filled": filled}
        self._layers.append(_Layer("points", {"x": xa, "y": ya, "size": sa}, style))
        if label:
            self._keys.append(_Key("marker", label, colour, marker, filled))

    def intervals(
        self,
        x: Sequence[float] | np.ndarray,
        low: Sequence[float] | np.ndarray,
        high: Sequence[float] | np.ndarray,
        *,
        colour: str,
        horizontal: bool = False,
        cap: float = 4.0,
        width: float = 1.5,
    ) -> None:
        """Intervals from ``low`` to ``high`` at each position ``x``.

        Vertical (``horizontal``: along x at each y), with end caps ``cap`` pixels wide each
        side (0 for none).
        """
        data = {
            "at": np.asarray(x, dtype=float),
            "low": np.asarray(low, dtype=float),
            "high": np.asarray(high, dtype=float),
        }
        style = {"colour": colour, "horizontal": horizontal, "cap": cap, "width": width}
        self._layers.append(_Layer("intervals", data, style))

    def line(
        self,
        *,
        x: float | None = None,
        y: float | None = None,
        colour: str,
        dash: str | None = None,
        width: float = 1.0,
        label: str | None = None,
    ) -> None:
        """A reference line across the plot, vertical at ``x`` or horizontal at ``y``.

        ``dash`` is ``"dashed"``, ``"dotted"`` or None (solid).
        """
        if (x is None) == (y is None):
            raise ValueError("Chart.line: give exactly one of x and y")
        axis, at = ("x", float(x)) if x is not None else ("y", float(y or 0.0))
        style = {"colour": colour, "dash": dash, "width": width, "axis": axis}
        self._layers.append(_Layer("line", {axis: np.array([at])}, style))
        if label:
            self._keys.append(_Key("line", label, colour, dash=dash, width=width))

    def bars(
        self,
        at: Sequence[float] | np.ndarray,
        start: Sequence[float] | np.ndarray,
        end: Sequence[float] | np.ndarray,
        *,
        colour: str,
        thickness: float | Sequence[float] | np.ndarray = 0.8,
        horizontal: bool = False,
        opacity: float = 1.0,
        outline: bool = False,
        label: str | None = None,
    ) -> None:
        """Bars at positions ``at`` running from ``start`` to ``end`` along the value axis.

        Vertical bars (``horizontal``: bars along x at each y). ``thickness`` is in data units
        of the position axis; ``outline`` draws the bars' outer edge only (a step histogram).
        """
        data = {
            "at": np.asarray(at, dtype=float),
            "start": np.asarray(start, dtype=float),
            "end": np.asarray(end, dtype=float),
            "thickness": np.broadcast_to(np.asarray(thickness, dtype=float), np.shape(at)),
        }
        style = {
            "colour": colour,
            "horizontal": horizontal,
            "opacity": opacity,
            "outline": outline,
        }
        self._layers.append(_Layer("bars", data, style))
        self._sticky["x" if horizontal else "y"].add(0.0)
        if label:
            kind = "line" if outline else "box"
            self._keys.append(_Key(kind, label, colour, width=2.0, opacity=opacity))

    def span(
        self, low: float, high: float, *, colour: str, opacity: float, label: str | None = None
    ) -> None:
        """A shaded band from x = ``low`` to x = ``high`` across the plot's height."""
        data = {"x": np.array([float(low), float(high)])}
        self._layers.append(_Layer("span", data, {"colour": colour, "opacity": opacity}))
        if label:
            self._keys.append(_Key("box", label, colour, opacity=opacity))

    def polygon(
        self,
        x: Sequence[float],
        y: Sequence[float],
        *,
        colour: str,
        label: str | None = None,
    ) -> None:
        """A filled polygon through the points ``(x, y)``."""
        data = {"x": np.asarray(x, dtype=float), "y": np.asarray(y, dtype=float)}
        self._layers.append(_Layer("polygon", data, {"colour": colour}))
        if label:
            self._keys.append(_Key("box", label, colour))

    def note(self, x: float, y: float, text: str) -> None:
        """Small text starting just right of the point ``(x, y)``."""
        data = {"x": np.array([float(x)]), "y": np.array([float(y)])}
        self._layers.append(_Layer("note", data, {"text": text}))

    def categories(self, labels: Sequence[str]) -> None:
        """Label y = 0, 1, ... with ``labels`` (bottom to top) instead of numbers."""
        self._categories = [str(v) for v in labels]

    def number_format(self, axis: str, *, prefix: str = "", integer: bool = False) -> None:
        """How the tick labels of ``axis`` ("x" or "y") read.

        With ``prefix`` (e.g. "£"), or at whole numbers only (``integer``: terms, years).
        """
        self._format[axis] = {"prefix": prefix, "integer": integer}

    # ----------------------------------------------------------------- layout
    def _values(self, axis: str) -> np.ndarray:
        """Every data value along ``axis`` that must be in view (of the marks drawn)."""
        out: list[np.ndarray] = []
        for layer in self._layers:
            d, s = layer.data, layer.style
            if layer.kind == "span":  # a band across the plot's height
                out += [d["x"]] if axis == "x" else []
                continue
            if layer.kind == "line":  # a line across the plot
                out += [d[axis]] if s["axis"] == axis else []
                continue
            drawn = _finite(*d.values())  # a mark with a missing value is not drawn
            if layer.kind in ("points", "polygon", "note"):
                out.append(d[axis][drawn])
            elif layer.kind == "intervals":
                along = "x" if s["horizontal"] else "y"
                out += [d["low"][drawn], d["high"][drawn]] if axis == along else [d["at"][drawn]]
            elif layer.kind == "bars":
                along = "x" if s["horizontal"] else "y"
                if axis == along:
                    out += [d["start"][drawn], d["end"][drawn]]
                else:
                    half = d["thickness"][drawn] / 2
                    out += [d["at"][drawn] - half, d["at"][drawn] + half]
        return np.concatenate(out) if out else np.array([0.0, 1.0])

    def _limits(self, axis: str) -> tuple[float, float]:
        if axis == "y" and self._categories is not None:
            n = len(self._categories)
            return -0.7, max(n, 1) - 0.3
        return axis_limits(self._values(axis), sticky=tuple(sorted(self._sticky[axis])))

    def _ticks(self, axis: str, low: float, high: float, most: int) -> tuple[np.ndarray, list[str]]:
        ticks = nice_ticks(low, high, most, integer=bool(self._format[axis].get("integer")))
        fmt = self._format[axis]
        labels = tick_labels(ticks, prefix=str(fmt.get("prefix", "")))
        return ticks, labels

    def _legend_rows(self, width: float) -> list[list[tuple[_Key, float]]]:
        """Legend entries flowed into rows no wider than ``width`` (entry, x offset)."""
        rows: list[list[tuple[_Key, float]]] = []
        row: list[tuple[_Key, float]] = []
        x = 0.0
        for key in self._keys:
            key.shown = fit(key.label, width - 30.0, _LEGEND * _SLACK, most_lines=1)[0]
            w = 30.0 + text_width(key.shown, _LEGEND * _SLACK) + 18.0
            if row and x + w > width:
                rows.append(row)
                row, x = [], 0.0
            row.append((key, x))
            x += w
        if row:
            rows.append(row)
        return rows

    # ----------------------------------------------------------------- drawing
    def svg(self, description: str) -> str:
        """The chart as one ``<svg>`` element.

        Parameters
        ----------
        description
            The chart's accessible name (``aria-label``), e.g. its caption.
        """
        return _Drawing(self).render(description)

    def _repr_svg_(self) -> str:
        """Jupyter shows a chart made in a notebook as itself (named by its title)."""
        return self.svg(self.title)


class _Drawing:
    """One rendering of a :class:`Chart`: its layout, scales and SVG parts."""

    def __init__(self, chart: Chart) -> None:
        self.c = chart
        self.parts: list[str] = []
        self._layout()

    def _layout(self) -> None:
        c = self.c
        inner = c.width - 2 * _PAD
        self.title_lines = wrap(c.title, inner, _TITLE * _BOLD_SLACK, bold=True) if c.title else []
        self.legend = c._legend_rows(inner)
        self.xlim, self.ylim = c._limits("x"), c._limits("y")
        self.top = _PAD + 19.0 * len(self.title_lines) + 4.0
        if self.legend:
            self.top += 18.0 * len(self.legend) + 6.0
        # the x label wraps to the plot's width, known once the y axis is laid out: twice
        self._frame(inner)
        self._frame(self.right - self.left)

    def _frame(self, xlabel_width: float) -> None:
        """The plot's edges, ticks and axis labels, the x label wrapped to ``xlabel_width``."""
        c = self.c
        self.xlabel_lines = [
            v
            for line in c.xlabel.split("\n")
            if c.xlabel
            for v in fit(line, xlabel_width, _LABEL * _SLACK, most_lines=3)
        ]
        below = _PAD + 4.0 + 16.0 * len(self.xlabel_lines) + 22.0  # tick labels, x label
        if c._categories is not None:
            self.yticks = np.arange(len(c._categories), dtype=float)
            room = c.width * _CATEGORY_SHARE
            self.ytick_lines = [fit(v, room, _TICK * _SLACK) for v in c._categories]
            # each category a row tall enough for its label's lines
            row = 12.0 + 14.0 * max((len(ls) for ls in self.ytick_lines), default=1)
            needed = row * (self.ylim[1] - self.ylim[0])
            self.height = max(c.height, self.top + needed + below)
        else:
            self.height = c.height
            most = max(3, int((self.height - below - self.top) // 45) + 1)
            self.yticks, labels = c._ticks("y", *self.ylim, most=most)
            self.ytick_lines = [[v] for v in labels]
        self.bottom = self.height - below
        # the y label, turned, runs along the plot's height: wrapped to it
        self.ylabel_lines = [
            v
            for line in (c.ylabel.split("\n") if c.ylabel else [])
            for v in fit(line, self.bottom - self.top, _LABEL * _SLACK, most_lines=3)
        ]
        widest = max(
            (text_width(v, _TICK * _SLACK) for ls in self.ytick_lines for v in ls), default=0.0
        )
        self.left = _PAD + 16.0 * len(self.ylabel_lines) + (6.0 if self.ylabel_lines else 0.0)
        self.left += widest + 9.0
        most_x = max(3, int((c.width - self.left) // 70) + 1)
        self.xticks, self.xtick_labels = c._ticks("x", *self.xlim, most=most_x)
        last = text_width(self.xtick_labels[-1], _TICK * _SLACK) / 2 if self.xtick_labels else 0.0
        self.right = c.width - max(_PAD + 8.0, last + 4.0)

    def px(self, x: np.ndarray | float) -> np.ndarray:
        lo, hi = self.xlim
        return self.left + (np.asarray(x, dtype=float) - lo) / (hi - lo) * (self.right - self.left)

    def py(self, y: np.ndarray | float) -> np.ndarray:
        lo, hi = self.ylim
        return self.bottom - (np.asarray(y, dtype=float) - lo) / (hi - lo) * (
            self.bottom - self.top
        )

    def render(self, description: str) -> str:
        c = self.c
        w, h = c.width, self.height
        self.parts.append(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_f(w)} {_f(h)}" '
            f'role="img" aria-label="{_esc(description)}" class="sroi-chart" '
            f'style="width:100%;max-width:{_f(w)}px;height:auto" '
            f'font-family="{_esc(FONT_FAMILY)}" fill="{_INK}">'
        )
        self.parts.append(f'<rect width="{_f(w)}" height="{_f(h)}" fill="#ffffff"/>')
        self._title_and_legend()
        self._grid_and_axes()
        for layer in c._layers:
            self.parts.append(f'<g class="{layer.kind}">')
            getattr(self, "_draw_" + layer.kind)(layer)
            self.parts.append("</g>")
        self._axis_lines()
        self.parts.append("</svg>")
        return "".join(self.parts)

    # ----------------------------------------------------------------- furniture
    def _text(self, x: float, y: float, text: str, size: float, **attrs: str) -> None:
        extra = "".join(f' {k.rstrip("_").replace("_", "-")}="{v}"' for k, v in attrs.items())
        self.parts.append(
            f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size:g}"{extra}>{_esc(text)}</text>'
        )

    def _lines(self, x: float, y: float, lines: list[str]) -> None:
        """A y-axis label of one or more lines (one text element, a line per ``tspan``)."""
        first, *rest = lines
        more = "".join(f'<tspan x="{_f(x)}" dy="14">{_esc(v)}</tspan>' for v in rest)
        self.parts.append(
            f'<text x="{_f(x)}" y="{_f(y)}" font-size="{_TICK:g}" class="tick-y" '
            f'text-anchor="end" fill="{_MUTED}">{_esc(first)}{more}</text>'
        )

    def _title_and_legend(self) -> None:
        y = _PAD + _TITLE
        for line in self.title_lines:
            self._text(
                self.c.width / 2,
                y,
                line,
                _TITLE,
                class_="title",
                font_weight="bold",
                text_anchor="middle",
            )
            y += 19.0
        y += 2.0
        for row in self.legend:
            for key, x0 in row:
                x = _PAD + x0
                self._swatch(key, x, y - 4.0)
                self._text(x + 30.0, y, key.shown, _LEGEND, class_="legend")
            y += 18.0

    def _swatch(self, key: _Key, x: float, y: float) -> None:
        self.parts.append('<g class="swatch">')
        self._swatch_mark(key, x, y)
        self.parts.append("</g>")

    def _swatch_mark(self, key: _Key, x: float, y: float) -> None:
        if key.kind == "marker":
            self.parts.append(_marker(key.marker, x + 12.0, y, 8.0, key.colour, key.filled))
        elif key.kind == "line":
            dash = f' stroke-dasharray="{_DASHES[key.dash]}"' if key.dash else ""
            self.parts.append(
                f'<line x1="{_f(x)}" y1="{_f(y)}" x2="{_f(x + 24)}" y2="{_f(y)}" '
                f'stroke="{key.colour}" stroke-width="{key.width:g}"{dash}/>'
            )
        else:
            self.parts.append(
                f'<rect x="{_f(x + 2)}" y="{_f(y - 5)}" width="20" height="10" '
                f'fill="{key.colour}" fill-opacity="{key.opacity:g}"/>'
            )

    def _grid_and_axes(self) -> None:
        p = self.parts
        for t in self.xticks:
            x = float(self.px(t))
            p.append(
                f'<line x1="{_f(x)}" y1="{_f(self.top)}" x2="{_f(x)}" y2="{_f(self.bottom)}" '
                f'stroke="{_GRID}"/>'
            )
        for t in self.yticks:
            y = float(self.py(t))
            p.append(
                f'<line x1="{_f(self.left)}" y1="{_f(y)}" x2="{_f(self.right)}" y2="{_f(y)}" '
                f'stroke="{_GRID}"/>'
            )

    def _axis_lines(self) -> None:
        p, left, bottom = self.parts, self.left, self.bottom
        p.append(
            f'<path d="M{_f(left)} {_f(self.top)}V{_f(bottom)}H{_f(self.right)}" '
            f'class="frame" fill="none" stroke="{_INK}"/>'
        )
        for t, label in zip(self.xticks, self.xtick_labels, strict=True):
            x = float(self.px(t))
            p.append(
                f'<line x1="{_f(x)}" y1="{_f(bottom)}" x2="{_f(x)}" y2="{_f(bottom + 4)}" stroke="{_INK}"/>'
            )
            self._text(
                x, bottom + 17.0, label, _TICK, class_="tick-x", text_anchor="middle", fill=_MUTED
            )
        for t, lines in zip(self.yticks, self.ytick_lines, strict=True):
            y = float(self.py(t))
            p.append(
                f'<line x1="{_f(left - 4)}" y1="{_f(y)}" x2="{_f(left)}" y2="{_f(y)}" stroke="{_INK}"/>'
            )
            self._lines(left - 7.0, y + 4.0 - 7.0 * (len(lines) - 1), lines)
        mid = (left + self.right) / 2
        for i, line in enumerate(self.xlabel_lines):
            self._text(
                mid, bottom + 38.0 + 16.0 * i, line, _LABEL, class_="label-x", text_anchor="middle"
            )
        ymid = (self.top + bottom) / 2
        for i, line in enumerate(self.ylabel_lines):
            x = _PAD + 12.0 + 16.0 * i
            self._text(
                x,
                ymid,
                line,
                _LABEL,
                class_="label-y",
                text_anchor="middle",
                transform=f"rotate(-90 {_f(x)} {_f(ymid)})",
            )

    # ----------------------------------------------------------------- marks
    def _draw_points(self, layer: _Layer) -> None:
        d, s = layer.data, layer.style
        ok = _finite(d["x"], d["y"])
        xs, ys = self.px(d["x"][ok]), self.py(d["y"][ok])
        for x, y, size in zip(xs, ys, d["size"][ok], strict=True):
            self.parts.append(
                _marker(
                    str(s["marker"]),
                    float(x),
                    float(y),
                    float(size),
                    str(s["colour"]),
                    bool(s["filled"]),
                )
            )

    def _draw_intervals(self, layer: _Layer) -> None:
        d, s = layer.data, layer.style
        ok = _finite(d["at"], d["low"], d["high"])
        cap, colour, width = float(s["cap"]), s["colour"], s["width"]
        path = []
        if s["horizontal"]:
            ys, x0, x1 = self.py(d["at"][ok]), self.px(d["low"][ok]), self.px(d["high"][ok])
            for y, a, b in zip(ys, x0, x1, strict=True):
                path.append(f"M{_f(a)} {_f(y)}H{_f(b)}")
                if cap:
                    path.append(
                        f"M{_f(a)} {_f(y - cap)}V{_f(y + cap)}M{_f(b)} {_f(y - cap)}V{_f(y + cap)}"
                    )
        else:
            xs, y0, y1 = self.px(d["at"][ok]), self.py(d["low"][ok]), self.py(d["high"][ok])
            for x, a, b in zip(xs, y0, y1, strict=True):
                path.append(f"M{_f(x)} {_f(a)}V{_f(b)}")
                if cap:
                    path.append(
                        f"M{_f(x - cap)} {_f(a)}H{_f(x + cap)}M{_f(x - cap)} {_f(b)}H{_f(x + cap)}"
                    )
        if path:
            self.parts.append(
                f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="{width:g}"/>'
            )

    def _draw_line(self, layer: _Layer) -> None:
        s = layer.style
        dash = f' stroke-dasharray="{_DASHES[str(s["dash"])]}"' if s["dash"] else ""
        if s["axis"] == "x":
            x = float(self.px(layer.data["x"][0]))
            a, b = (x, self.top), (x, self.bottom)
        else:
            y = float(self.py(layer.data["y"][0]))
            a, b = (self.left, y), (self.right, y)
        self.parts.append(
            f'<line x1="{_f(a[0])}" y1="{_f(a[1])}" x2="{_f(b[0])}" y2="{_f(b[1])}" '
            f'stroke="{s["colour"]}" stroke-width="{s["width"]:g}"{dash}/>'
        )

    def _draw_bars(self, layer: _Layer) -> None:
        d, s = layer.data, layer.style
        ok = _finite(d["at"], d["start"], d["end"], d["thickness"])
        at, half = d["at"][ok], d["thickness"][ok] / 2
        lo, hi = np.minimum(d["start"][ok], d["end"][ok]), np.maximum(d["start"][ok], d["end"][ok])
        if s["horizontal"]:
            x0, x1, y0, y1 = self.px(lo), self.px(hi), self.py(at + half), self.py(at - half)
        else:
            x0, x1, y0, y1 = self.px(at - half), self.px(at + half), self.py(hi), self.py(lo)
        colour, opacity = s["colour"], float(s["opacity"])
        if s["outline"]:
            self.parts.append(_step_outline(x0, x1, y0, y1, str(colour)))
            return
        rects = "".join(
            f'<rect x="{_f(a)}" y="{_f(c)}" width="{_f(b - a)}" height="{_f(e - c)}"/>'
            for a, b, c, e in zip(x0, x1, y0, y1, strict=True)
        )
        self.parts.append(
            f'<g fill="{colour}" fill-opacity="{opacity:g}" stroke="#ffffff" stroke-width="0.5">{rects}</g>'
        )

    def _draw_span(self, layer: _Layer) -> None:
        lo, hi = np.sort(self.px(np.clip(layer.data["x"], *self.xlim)))
        s = layer.style
        self.parts.append(
            f'<rect x="{_f(lo)}" y="{_f(self.top)}" width="{_f(hi - lo)}" '
            f'height="{_f(self.bottom - self.top)}" fill="{s["colour"]}" fill-opacity="{s["opacity"]:g}"/>'
        )

    def _draw_polygon(self, layer: _Layer) -> None:
        xs, ys = self.px(layer.data["x"]), self.py(layer.data["y"])
        pts = " ".join(f"{_f(x)},{_f(y)}" for x, y in zip(xs, ys, strict=True))
        self.parts.append(f'<polygon points="{pts}" fill="{layer.style["colour"]}"/>')

    def _draw_note(self, layer: _Layer) -> None:
        x, y = float(self.px(layer.data["x"][0])), float(self.py(layer.data["y"][0]))
        text = str(layer.style["text"])
        if x + 6.0 + text_width(text, _NOTE * _SLACK) <= self.c.width - _PAD:
            self._text(x + 6.0, y + 4.0, text, _NOTE, class_="note", fill=_MUTED)
        else:  # no room on the right: end just left of the point
            self._text(x - 6.0, y + 4.0, text, _NOTE, class_="note", fill=_MUTED, text_anchor="end")


def _marker(kind: str, x: float, y: float, size: float, colour: str, filled: bool) -> str:
    """One marker centred on ``(x, y)``, ``size`` pixels across."""
    r = size / 2
    paint = f'fill="{colour}"' if filled else f'fill="#ffffff" stroke="{colour}" stroke-width="1.5"'
    if kind == "o":
        return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" {paint}/>'
    if kind == "s":
        return f'<rect x="{_f(x - r)}" y="{_f(y - r)}" width="{_f(size)}" height="{_f(size)}" {paint}/>'
    shapes = {
        "D": ((0, -1.2), (1.2, 0), (0, 1.2), (-1.2, 0)),
        "^": ((0, -1.2), (1.1, 0.9), (-1.1, 0.9)),
        "v": ((0, 1.2), (1.1, -0.9), (-1.1, -0.9)),
    }
    pts = " ".join(f"{_f(x + dx * r)},{_f(y + dy * r)}" for dx, dy in shapes.get(kind, shapes["D"]))
    return f'<polygon points="{pts}" {paint}/>'


def _step_outline(
    x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray, colour: str
) -> str:
    """The outer edge of adjacent bars (a step histogram), from the axis and back to it."""
    if x0.size == 0:
        return ""
    order = np.argsort(x0)
    x1, y0, base = x1[order], y0[order], float(np.max(y1))
    first = float(x0[order][0])
    d = [f"M{_f(first)} {_f(base)}"]
    for b, top in zip(x1, y0, strict=True):
        d.append(f"V{_f(top)}H{_f(b)}")
    d.append(f"V{_f(base)}")
    return f'<path d="{"".join(d)}" fill="none" stroke="{colour}" stroke-width="2"/>'
