"""Read a newer GDP deflator series from the HM Treasury workbook a user downloads.

HM Treasury publishes *GDP deflators at market prices, and money GDP* each quarter on gov.uk
(collection ``gdp-deflators-at-market-prices-and-money-gdp``) as an .xlsx workbook, e.g.
``CGDP_Deflators_Qtrly_National_Accounts_December_2025_update.xlsx``.

Expected layout (that of the December 2025 release; the reader looks for the headers, not
for fixed cells):

* the first sheet (or the sheet named) starts with a title block (rows 1-6), whose first cell
  naming GDP deflators is kept as the series' vintage, e.g. "GDP deflators at market prices,
  and money GDP: December 2025 (Quarterly National Accounts)";
* a header row (within the first 40 rows) holds a year column headed ``Financial year`` and,
  further right, a year column headed ``Calendar year`` (either may be absent);
* the deflator index is the first column to the right of a year column whose header names the
  index base (``2024-25 = 100``) or the deflator (``GDP deflator ...``);
* one row per year below the header, years written ``2024`` (calendar) or ``2024-25``
  (financial), until the first row without a year; footnote marks after a year (``2025-26
  (3)``, ``2026*``) are dropped; forecast years are kept (the workbook marks them in notes).

Calendar and financial years are never relabelled: ``basis`` picks the table to read, and a
price year of the other kind is converted explicitly (:func:`sroi.value.prices.deflator_terms`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from sroi._checks import check_choice
from sroi.errors import SroiInputError
from sroi.value.price_years import deflator_series

__all__ = ["load_hmt_deflators"]

_YEAR_HEADERS = {"calendar": "calendar year", "financial": "financial year"}
_INDEX_HEADER = re.compile(r"=\s*100|deflator", re.IGNORECASE)
_YEAR_CELL = re.compile(r"^\s*(\d{4}(?:\s*[-/]\s*\d{2,4})?)")


def _text(v: Any) -> str:
    return "" if v is None else str(v).strip()


def _find_columns(rows: list[list[Any]], basis: str, where: str) -> tuple[int, int, int]:
    """Header row, year column and index column of the ``basis`` table."""
    want = _YEAR_HEADERS[basis]
    for i, row in enumerate(rows[:40]):
        heads = [_text(v).lower() for v in row]
        if want not in heads:
            continue
        j = heads.index(want)
        for k in range(j + 1, len(row)):
            if heads[k] in _YEAR_HEADERS.values():
                break
            if _INDEX_HEADER.search(_text(row[k])):
                return i, j, k
        raise SroiInputError(
            f"{where}: found the '{row[j]}' column (row {i + 1}) but no deflator column to its "
            "right headed like '2024-25 = 100' or 'GDP deflator'"
        )
    other = "financial" if basis == "calendar" else "calendar"
    raise SroiInputError(
        f"{where}: no header row with a '{want.capitalize()}' column in the first 40 rows; the "
        f"HM Treasury layout is expected (see sroi.value.hmt_deflators), or pass basis='{other}'"
    )


def _vintage(rows: list[list[Any]], path: Path) -> str:
    for row in rows[:10]:
        for v in row:
            t = _text(v)
            if "gdp" in t.lower() and "deflator" in t.lower():
                return t
    return path.name


def load_hmt_deflators(
    path: str | Path, *, basis: str = "calendar", sheet: str | int = 0
) -> pd.Series:
    """GDP deflators from an HM Treasury workbook (layout in the module docstring).

    Parameters
    ----------
    path
        The .xlsx workbook as downloaded from gov.uk.
    basis
        ``"calendar"`` (default; the same kind as the shipped series) or ``"financial"``:
        which of the workbook's two tables to read.
    sheet
        Sheet name or number (default: the first sheet).

    Returns
    -------
    pandas.Series
        Deflator values labelled ``2024`` (calendar) or ``2024-25`` (financial), with ``attrs``
        ``basis``, ``vintage`` (the workbook's title) and ``source``.

    Raises
    ------
    SroiInputError
        For a missing or unreadable workbook, a missing table or column, a year written
        wrongly, a non-positive value or a repeated year.

    References
    ----------
    HM Treasury, *GDP deflators at market prices, and money GDP* (quarterly release).
    """
    import openpyxl

    check_choice(basis, ("calendar", "financial"), "basis")
    p = Path(path)
    if not p.exists():
        raise SroiInputError(f"{p}: HM Treasury deflator workbook not found")
    try:
        wb = openpyxl.load_workbook(p, data_only=True, read_only=True)
    except Exception as exc:
        raise SroiInputError(f"{p}: cannot open the workbook: {exc}") from None
    names = wb.sheetnames
    if isinstance(sheet, int) and not 0 <= sheet < len(names):
        raise SroiInputError(f"{p}: no sheet number {sheet} (sheets: {names})")
    if isinstance(sheet, str) and sheet not in names:
        raise SroiInputError(f"{p}: no sheet {sheet!r} (sheets: {names})")
    ws = wb[names[sheet] if isinstance(sheet, int) else sheet]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    wb.close()
    head, jy, jv = _find_columns(rows, basis, str(p))
    years: list[str] = []
    values: list[Any] = []
    for row in rows[head + 1 :]:
        cell = row[jy] if jy < len(row) else None
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)
        m = _YEAR_CELL.match(_text(cell))
        if m is None:
            break
        years.append(re.sub(r"\s+", "", m.group(1)))
        values.append(row[jv] if jv < len(row) else None)
    if not years:
        raise SroiInputError(f"{p}: no years below the header on row {head + 1}")
    vals = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").tolist()
    return deflator_series(
        years,
        vals,
        kind=basis,
        where=f"{p} [{ws.title}]",
        vintage=_vintage(rows, p),
        source=f"HM Treasury, GDP deflators at market prices, and money GDP ({p.name})",
    )
