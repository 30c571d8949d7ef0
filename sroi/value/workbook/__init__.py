"""The live workbook ``value_model.xlsx``: a finance officer's model of the valuation in Excel.

Every input (unit costs with their price year, grade, agency and value type; effects and their
adjustments; programme costs and optimism bias; the discount schedule; the grade scale; the GDP
deflators) is an input cell, shaded and validated (drop-downs for agency, value type,
confidence grade, transfer); every result (each line by year, PV, by agency, by value type,
NPV, SROI ratio, financial and cashable ROI, payback, break-even) is a formula on them, using
only functions every Excel since 2010 and LibreOffice evaluate (INDEX/MATCH, SUMPRODUCT, POWER,
IF/IFERROR, SUM, LEFT/RIGHT/LEN/VALUE/SUBSTITUTE). Text from the spec or the cost table is
always written as text (:func:`sroi._xlsx_text.set_text`: text starting with = + - @, a tab or
a carriage return is stored as text), never as a formula; the bytes are reproducible
(:func:`sroi._xlsx_text.make_reproducible`).

Agreed interface (other code relies on it):

* a sheet ``unit_costs``, header on row 1, with the cost-table columns
  (:data:`sroi.value.costs.COLUMNS`, among them ``id`` and ``amount``), one row per unit cost;
  :func:`sroi.value.load_unit_costs` reads it back (``sroi value SPEC --costs value_model.xlsx``);
* workbook-level defined names ``sroi_ratio``, ``npv``, ``pv_benefits``, ``pv_costs`` (and
  ``financial_roi``, ``cashable_roi``, ``payback_years``), each on one formula cell of the
  ``summary`` sheet.

Sheets: ``summary`` (headline, chart, how to use), ``unit_costs``, ``effects``, ``delivery``,
``settings``, ``deflators`` (inputs), ``lines``, ``profiles``, ``structure`` (calculation),
``results`` (by year, agency, value type), ``lists`` (drop-down values). The cohort structure
(starts, benefit periods, cost durations) is computed by sroi and shown fixed.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

from sroi._xlsx_text import make_reproducible
from sroi.errors import SroiInputError
from sroi.value.result import ValueResult
from sroi.value.workbook.calc import write_calculation
from sroi.value.workbook.cells import Book
from sroi.value.workbook.inputs import write_inputs
from sroi.value.workbook.results import NAMES, write_results, write_summary

__all__ = ["NAMES", "write_value_model"]


def write_value_model(
    result: ValueResult, path: str | Path, *, title: str = "Value for money: live model"
) -> dict[str, float | str]:
    """Write the live workbook of a valuation.

    Parameters
    ----------
    result
        A valuation (:func:`sroi.value.run`).
    path
        The ``.xlsx`` file to write (folders are created).
    title
        Title on the summary sheet.

    Returns
    -------
    dict
        ``"sheet!A1"`` -> sroi's own figure for every result (formula) cell written, so a
        recalculated copy can be checked cell by cell (text where sroi has no number, e.g.
        ``"not within the period"`` for a payback that does not happen).

    Raises
    ------
    SroiInputError
        If the file is not ``.xlsx``.

    References
    ----------
    HM Treasury / New Economy (2014), Greater Manchester CBA model (a formula-driven workbook
    over a unit-cost database); HM Treasury (2022), *The Green Book*.
    """
    p = Path(path)
    if p.suffix.lower() != ".xlsx":
        raise SroiInputError(f"{p}: the live workbook must be an .xlsx file")
    model = result.model
    wb = openpyxl.Workbook()
    wb.active.title = "summary"
    book = Book(wb)
    lay = write_inputs(book, model)
    lines = write_calculation(book, model, lay)
    write_results(book, result, lay, lines)
    write_summary(book, result, lay, lines, title)
    order = ["summary", "unit_costs", "effects", "delivery", "settings", "deflators"]
    order += ["results", "lines", "profiles", "structure", "lists"]
    wb._sheets = [wb[name] for name in order]  # noqa: SLF001 - openpyxl has no reorder API
    p.parent.mkdir(parents=True, exist_ok=True)
    wb.save(p)
    make_reproducible(p)
    return book.expected
