"""Cell helpers of the live workbook: styles, safe text, inputs, formulas, references."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from openpyxl.styles import Alignment, Font, PatternFill
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
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_INPUT_FONT = Font(color="1F4E79", bold=True)
_FIXED_FILL = PatternFill("solid", fgColor="EDEDED")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


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
    cell = ws.cell(row=row, column=column)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return
    set_text(cell, str(value))
    cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)


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
    if isinstance(value, str):
        text(ws, row, column, value)
    elif value is not None and not (isinstance(value, float) and math.isnan(value)):
        ws.cell(row=row, column=column, value=value)
    cell = ws.cell(row=row, column=column)
    if fmt:
        cell.number_format = fmt
    if kind == "input":
        cell.fill = _INPUT_FILL
        cell.font = _INPUT_FONT
    elif kind == "fixed":
        cell.fill = _FIXED_FILL


def formula(ws: Worksheet, row: int, column: int, f: str, fmt: str | None = None) -> None:
    """Write a formula (``f`` without the leading ``=``)."""
    cell = ws.cell(row=row, column=column, value="=" + f)
    if fmt:
        cell.number_format = fmt


def header(ws: Worksheet, row: int, names: list[str], first: int = 1) -> None:
    """A bold, shaded header row."""
    for j, name in enumerate(names, start=first):
        text(ws, row, j, name, bold=True)
        cell = ws.cell(row=row, column=j)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def widths(ws: Worksheet, sizes: dict[int, float], default: float | None = None) -> None:
    """Column widths by column number (``default`` for every used column not listed)."""
    if default is not None:
        for c in range(1, ws.max_column + 1):
            ws.column_dimensions[col(c)].width = default
    for c, w in sizes.items():
        ws.column_dimensions[col(c)].width = w
