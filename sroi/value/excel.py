"""Excel workbooks: the unit-cost template (finance-style layout) and the value results export."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sroi._xlsx_text import make_reproducible, set_text
from sroi.errors import SroiInputError
from sroi.value.costs import (
    AGENCIES,
    CATEGORIES,
    COLUMNS,
    VALUE_TYPES,
    UnitCostTable,
    load_confidence_grades,
)

__all__ = ["write_cost_workbook", "write_result_workbook", "HEADER_ROW"]

#: Row (1-based) of the header in the cost workbook: a title block sits above it, as in a real
#: finance workbook; the reader finds the header wherever it is.
HEADER_ROW = 5
_MONEY_FORMAT = '"£"#,##0.00'
_HEADERS = {
    "id": "ID",
    "description": "Description",
    "outcome": "Outcome",
    "agency": "Agency bearing cost",
    "value_type": "Value type",
    "category": "Category",
    "basis": "Cost basis",
    "duration_years": "Duration (years)",
    "amount": "Amount (£)",
    "unit": "Unit",
    "price_year": "Price year",
    "source": "Source",
    "confidence": "Confidence grade",
    "low": "Low (£)",
    "high": "High (£)",
    "measure": "Measure",
    "notes": "Notes",
    "library": "Library line",
    "transfer": "Transfer overall",
}


def write_cost_workbook(
    table: UnitCostTable, path: str | Path, *, title: str = "Unit costs"
) -> Path:
    """Write a unit-cost table as a finance-style workbook (readable by ``load_unit_costs``).

    Sheet ``unit_costs``: title and instructions in rows 1-3, the header on row
    :data:`HEADER_ROW`, amounts as numbers with a £ currency format; sheet ``lists`` gives the
    allowed agencies, value types, categories and confidence grades.
    """
    import openpyxl
    from openpyxl.styles import Font, PatternFill

    p = Path(path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "unit_costs"
    set_text(ws["A1"], title)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = (
        "Edit amounts, price years, sources or confidence grades, save, then run "
        "`sroi value SPEC --costs THIS_FILE`. Every row needs a source (publisher, title, year) "
        "or the word 'illustrative'. Amounts are pounds in the row's price year."
    )
    ws["A3"] = "Allowed values are listed on the 'lists' sheet."
    fill = PatternFill("solid", fgColor="DDEBF7")
    for j, c in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=HEADER_ROW, column=j, value=_HEADERS[c])
        cell.font = Font(bold=True)
        cell.fill = fill
    d = table.data
    for i, rec in enumerate(d.to_dict(orient="records")):
        r = HEADER_ROW + 1 + i
        for j, c in enumerate(COLUMNS, start=1):
            v = rec[c]
            if c == "duration_years":
                if rec["basis"] == "one_off":
                    v = None
                elif isinstance(v, float) and math.isinf(v):
                    v = "remaining"
            if isinstance(v, float) and math.isnan(v):
                v = None
            if isinstance(v, np.generic):
                v = v.item()
            if v == "":
                v = None
            if c == "confidence" and v is not None and str(v).isdigit():
                v = int(v)
            if c == "transfer":
                v = "yes" if v else "no"
            if c in ("low", "high") and rec["low"] == rec["amount"] == rec["high"]:
                v = None  # no range: blank, so that an edited amount is not outside it
            cell = set_text(ws.cell(row=r, column=j), v)
            if c in ("amount", "low", "high"):
                cell.number_format = _MONEY_FORMAT
    widths = {"A": 20, "B": 50, "C": 20, "D": 22, "E": 20, "L": 60, "Q": 50}
    for col, w in widths.items():
        ws.column_dimensions[col].width = w
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=2)
    lists = wb.create_sheet("lists")
    grades = load_confidence_grades()
    cols = {
        "agency": list(AGENCIES),
        "value_type": list(VALUE_TYPES),
        "category": list(CATEGORIES),
        "basis": ["one_off", "per_annum"],
        "measure": ["money", "QALY", "WELLBY"],
        "confidence_grade": [f"{g}: {t}" for g, t in grades["description"].items()],
    }
    for j, (name, vals) in enumerate(cols.items(), start=1):
        lists.cell(row=1, column=j, value=name).font = Font(bold=True)
        for i, v in enumerate(vals, start=2):
            set_text(lists.cell(row=i, column=j), v)
    p.parent.mkdir(parents=True, exist_ok=True)
    wb.save(p)
    return make_reproducible(p)


def _sheet_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: v if not isinstance(v, list | dict) else str(v))
    return out


def write_result_workbook(
    path: str | Path,
    summary: pd.DataFrame,
    messages: pd.DataFrame,
    sheets: Mapping[str, pd.DataFrame],
) -> Path:
    """Write a results workbook: a summary sheet, then one sheet per table.

    :meth:`sroi.value.ValueResult.to_excel` calls this with its headline figures, its
    warnings and notes, and its tables; this module knows nothing else about results.

    Parameters
    ----------
    path
        An ``.xlsx`` file (folders are created).
    summary
        ``measure, value`` rows, written at the top of the ``summary`` sheet.
    messages
        ``kind, text`` rows (warnings, notes...), written below the summary if any.
    sheets
        ``{sheet name: table}``; names are cut to Excel's 31 characters.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    SroiInputError
        If the file is not ``.xlsx``.
    """
    p = Path(path)
    if p.suffix.lower() != ".xlsx":
        raise SroiInputError(f"{p}: the value workbook must be an .xlsx file")
    p.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(p, engine="openpyxl") as xw:
        summary.to_excel(xw, sheet_name="summary", index=False)
        if len(messages):
            messages.to_excel(xw, sheet_name="summary", index=False, startrow=len(summary) + 2)
        for name, df in sheets.items():
            _sheet_frame(df).to_excel(xw, sheet_name=name[:31], index=False)
        _formulas_as_text(xw.book)  # before the workbook is saved: no second read and write
    return make_reproducible(p)


def _formulas_as_text(book: Any) -> None:
    """No formulas intended: text pandas took for a formula becomes text again.

    The in-memory form of :func:`sroi._xlsx_text.formulas_to_text` (which reads a saved file).
    """
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    set_text(cell, str(cell.value))
