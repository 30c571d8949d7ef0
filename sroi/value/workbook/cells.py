"""Cell helpers of the live workbook: styles, safe text, inputs, formulas, references."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from sroi._xlsx_text import set_text

__all__ = [
    "FACTOR",
    "MONEY",
    "MONEY_P",
    "PCT",
    "RATIO",
    "Book",
    "col",
    "formula",
    "header",
    "put",
    "ref",
    "rng",
    "text",
    "widths",
]

MONEY = '"£"#,##0;[Red]-"£"#,##0'
MONEY_P = '"£"#,##0.00;[Red]-"£"#,##0.00'
RATIO = "0.00"
PCT = "0.0%"
FACTOR = "0.000000"
#: The workbook's cell styles, registered once per workbook as named styles: a cell then
#: takes its style by name (setting fills and fonts cell by cell makes openpyxl hash the style
#: objects on every cell, most of the time spent writing the workbook).
_STYLES = {
    "sroi input": lambda: NamedStyle(
        "sroi input",
        fill=PatternFill("solid", fgColor="FFF2CC"),
        font=Font(color="1F4E79", bold=True),
    ),
    "sroi fixed": lambda: NamedStyle("sroi fixed", fill=PatternFill("solid", fgColor="EDEDED")),
    "sroi header": lambda: NamedStyle(
        "sroi header",
        fill=PatternFill("solid", fgColor="DDEBF7"),
        font=Font(bold=True),
        alignment=Alignment(wrap_text=True, vertical="top"),
    ),
    "sroi bold": lambda: NamedStyle("sroi bold", font=Font(bold=True)),
}


def _style(ws: Worksheet, row: int, column: int, name: str) -> None:
    """Give a cell one of :data:`_STYLES` (before its value: the style replaces the cell's)."""
    wb = ws.parent
    if name not in wb.named_styles:
        wb.add_named_style(_STYLES[name]())
    ws.cell(row=row, column=column).style = name


@dataclass
class Book:
    """The workbook being written and the figure sroi expects in each result cell.

    Attributes
    ----------
    wb
        The openpyxl workbook.
    expected
        ``"sheet!A1"`` -> sroi's own figure for that formula cell (a number, or the text the
        cell shows when there is no number, e.g. ``"not within the period"``).
    """

    wb: Workbook
    expected: dict[str, float | str] = field(default_factory=dict)

    def expect(self, ws: Worksheet, row: int, column: int, value: Any) -> None:
        """Record sroi's figure for a result cell."""
        if isinstance(value, np.generic):
            value = value.item()
        self.expected[f"{ws.title}!{col(column)}{row}"] = value


def col(c: int) -> str:
    """Column letter of a 1-based column number."""
    return get_column_letter(c)


def ref(sheet: str, row: int, column: int) -> str:
    """Absolute reference ``sheet!$A$1``."""
    return f"{sheet}!${col(column)}${row}"


def rng(sheet: str, r1: int, c1: int, r2: int, c2: int) -> str:
    """Absolute range ``sheet!$A$1:$B$9``."""
    return f"{sheet}!${col(c1)}${r1}:${col(c2)}${r2}"


def text(ws: Worksheet, row: int, column: int, value: Any, *, bold: bool = False) -> None:
    """Write text as text, never as a formula (:func:`sroi._xlsx_text.set_text`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return
    if bold:
        _style(ws, row, column, "sroi bold")
    cell = ws.cell(row=row, column=column)
    set_text(cell, str(value))
    cell.data_type = "s"


def put(
    ws: Worksheet,
    row: int,
    column: int,
    value: Any,
    fmt: str | None = None,
    *,
    kind: str = "input",
) -> None:
    """Write a number, a boolean or text; ``kind`` ``input`` (styled as an input) or ``fixed``.

    Text goes through :func:`text` (escaped); NaN and ``None`` leave the cell blank.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if kind in ("input", "fixed"):
        _style(ws, row, column, f"sroi {kind}")
    if isinstance(value, str):
        text(ws, row, column, value)
    elif value is not None and not (isinstance(value, float) and math.isnan(value)):
        ws.cell(row=row, column=column, value=value)
    if fmt:
        ws.cell(row=row, column=column).number_format = fmt


def formula(ws: Worksheet, row: int, column: int, f: str, fmt: str | None = None) -> None:
    """Write a formula (``f`` without the leading ``=``)."""
    cell = ws.cell(row=row, column=column, value="=" + f)
    if fmt:
        cell.number_format = fmt


def header(ws: Worksheet, row: int, names: list[str], first: int = 1) -> None:
    """A bold, shaded header row."""
    for j, name in enumerate(names, start=first):
        _style(ws, row, j, "sroi header")
        text(ws, row, j, name)


def widths(ws: Worksheet, sizes: dict[int, float], default: float | None = None) -> None:
    """Column widths by column number (``default`` for every used column not listed)."""
    if default is not None:
        for c in range(1, ws.max_column + 1):
            ws.column_dimensions[col(c)].width = default
    for c, w in sizes.items():
        ws.column_dimensions[col(c)].width = w
