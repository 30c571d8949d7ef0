"""Width of chart text in pixels, and lines wrapped or cut to a width.

Widths are Helvetica's (:mod:`sroi.report.charts.font_widths`); the charts ask for Helvetica,
Arial or Liberation Sans, which share these metrics. A character outside the table counts as
one em, so an unknown glyph can only make the layout roomier than needed.
"""

from __future__ import annotations

from sroi.report.charts.font_widths import WIDTHS

__all__ = ["text_width", "wrap", "fit"]

_UNKNOWN = 1000


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width in pixels of ``text`` set at ``size`` pixels.

    Parameters
    ----------
    text
        One line of text.
    size
        Font size in pixels (the em).
    bold
        Helvetica Bold's widths instead of the regular weight's.
    """
    k = 1 if bold else 0
    return size * sum(WIDTHS.get(c, (_UNKNOWN, _UNKNOWN))[k] for c in text) / 1000.0


def wrap(text: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` pixels.

    Explicit line breaks are kept. A single word wider than ``width`` stays whole on its
    own line (it is never split inside).
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size, bold=bold) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def fit(text: str, width: float, size: float, *, most_lines: int = 2) -> list[str]:
    """``text`` wrapped to ``width`` in at most ``most_lines`` lines, the last cut with "…".

    Every returned line is at most ``width`` pixels wide (a long word is cut too).
    """
    lines = wrap(text, width, size)
    for i, line in enumerate(lines[:most_lines]):
        if text_width(line, size) > width:  # one word longer than the width: cut, end here
            return [*lines[:i], _cut(line, width, size)]
    if len(lines) <= most_lines:
        return lines
    kept = lines[:most_lines]
    kept[-1] = _cut(kept[-1] + " " + lines[most_lines], width, size)
    return kept


def _cut(line: str, width: float, size: float) -> str:
    """``line`` shortened to end in "…" within ``width`` (already fitting: unchanged)."""
    if text_width(line, size) <= width:
        return line
    while line and text_width(line.rstrip() + "…", size) > width:
        line = line[:-1]
    return line.rstrip() + "…"
