"""Read a unit-cost table from CSV, Excel (.xlsx) or YAML, then validate it.

Excel files are read the way finance officers write them: the header row may sit below a title
block, amounts may carry currency formats, blank rows are skipped (and counted), and a formula
cell is read from its saved value (an unsaved formula is an error naming the cell).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sroi.errors import SroiInputError
from sroi.value.costs.cells import is_blank
from sroi.value.costs.grades import load_confidence_grades
from sroi.value.costs.schema import normalise_header
from sroi.value.costs.table import UnitCostTable
from sroi.value.costs.validate import validate_cost_frame
from sroi.value.prices import load_deflators

__all__ = ["load_unit_costs"]

Sheet = str | int | None


def _read_yaml(p: Path) -> tuple[pd.DataFrame, list[str]]:
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SroiInputError(f"{p}: not valid YAML: {exc}") from None
    if isinstance(raw, dict):
        for key in ("unit_costs", "costs"):
            if key in raw:
                raw = raw[key]
                break
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        raise SroiInputError(
            f"{p}: expected a list of cost rows (mappings), optionally under 'unit_costs:'"
        )
    return pd.DataFrame(raw), [f"item {i + 1}" for i in range(len(raw))]


def _read_csv(p: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except Exception as exc:
        raise SroiInputError(f"{p}: cannot read CSV: {exc}") from None
    blank_mask = df.apply(lambda col: col.str.strip() == "").all(axis=1)
    labels = [f"line {i + 2}" for i in range(len(df))]
    notes = []
    if blank_mask.any():
        notes.append(f"{p.name}: skipped {int(blank_mask.sum())} blank line(s)")
        labels = [lab for lab, b in zip(labels, blank_mask, strict=True) if not b]
        df = df.loc[~blank_mask].reset_index(drop=True)
    return df, labels, notes


def _find_header(rows: list[list[Any]], path: Path, sheet: str) -> int:
    for i, row in enumerate(rows[:50]):
        names = {normalise_header(v) for v in row if not is_blank(v)}
        if {"id", "amount"} <= names:
            return i
    raise SroiInputError(
        f"{path} [{sheet}]: no header row found in the first 50 rows; the header must contain "
        "at least the columns 'id' and 'amount'"
    )


def _sheet_name(p: Path, names: list[str], sheet: Sheet) -> str:
    if sheet is None:
        return "unit_costs" if "unit_costs" in names else names[0]
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise SroiInputError(f"{p}: no sheet number {sheet} (sheets: {names})")
        return names[sheet]
    if sheet not in names:
        raise SroiInputError(f"{p}: no sheet {sheet!r} (sheets: {names})")
    return sheet


def _check_formulas(
    p: Path, name: str, i: int, keep: list[int], values: list[Any], formulas: list[Any]
) -> int:
    """Count the formula cells of row ``i`` (0-based); error if one has no saved value."""
    from openpyxl.utils import get_column_letter

    evaluated = 0
    for j in keep:
        f = formulas[j] if j < len(formulas) else None
        if f is not None:
            if values[j] is None:
                raise SroiInputError(
                    f"{p} [{name}] cell {get_column_letter(j + 1)}{i + 1}: formula {f} has no "
                    "calculated value (the file was saved by a program that does not calculate "
                    "formulas); open and save it in Excel/LibreOffice, or type the number in"
                )
            evaluated += 1
    return evaluated


def _read_excel(p: Path, sheet: Sheet) -> tuple[pd.DataFrame, list[str], list[str]]:
    import openpyxl

    try:
        wb_f = openpyxl.load_workbook(p, data_only=False, read_only=False)
        wb_v = openpyxl.load_workbook(p, data_only=True, read_only=False)
    except Exception as exc:
        raise SroiInputError(f"{p}: cannot open the workbook: {exc}") from None
    name = _sheet_name(p, wb_v.sheetnames, sheet)
    values = [list(r) for r in wb_v[name].iter_rows(values_only=True)]
    # the formula text of formula cells, None elsewhere (text that merely starts with '=' is
    # text: the live workbook writes such text as text)
    formulas = [
        [c.value if c.data_type == "f" else None for c in r] for r in wb_f[name].iter_rows()
    ]
    h = _find_header(values, p, name)
    header = values[h]
    keep = [j for j, v in enumerate(header) if not is_blank(v)]
    records, labels, notes = [], [], []
    blank = evaluated = 0
    for i in range(h + 1, len(values)):
        vals = [values[i][j] if j < len(values[i]) else None for j in keep]
        if all(is_blank(v) for v in vals):
            blank += 1
            continue
        evaluated += _check_formulas(p, name, i, keep, values[i], formulas[i])
        records.append(dict(zip([header[j] for j in keep], vals, strict=True)))
        labels.append(f"row {i + 1}")
    if blank:
        notes.append(f"{p.name} [{name}]: skipped {blank} blank row(s)")
    if evaluated:
        notes.append(f"{p.name} [{name}]: used the saved values of {evaluated} formula cell(s)")
    return pd.DataFrame(records, columns=[header[j] for j in keep]), labels, notes


def _load(p: Path, sheet: Sheet, defl: pd.Series, grade_tab: pd.DataFrame) -> UnitCostTable:
    suffix = p.suffix.lower()
    notes: list[str] = []
    if suffix == ".csv":
        df, labels, notes = _read_csv(p)
    elif suffix in (".xlsx", ".xlsm"):
        df, labels, notes = _read_excel(p, sheet)
    elif suffix in (".yaml", ".yml"):
        df, labels = _read_yaml(p)
    else:
        raise SroiInputError(f"{p}: unit costs must be .csv, .xlsx or .yaml (got {suffix!r})")
    data = validate_cost_frame(df, str(p), labels, defl, grade_tab)
    return UnitCostTable(data=data, path=str(p), notes=notes)


@lru_cache(maxsize=32)
def _load_cached(
    path: str,
    resolved: str,
    mtime_ns: int,
    size: int,
    sheet: Sheet,
    deflators: tuple[tuple[str, float], ...],
    grades: tuple[tuple[str, float], ...],
) -> UnitCostTable:
    """The same unchanged file validated against the same tables is read once.

    ``path`` is the path as given (it names the file in messages); ``resolved``, the file's
    modification time and size identify the file's contents.
    """
    defl = pd.Series(dict(deflators), dtype=float)
    grade_tab = pd.DataFrame({"benefit_reduction": dict(grades)}, dtype=float)
    return _load(Path(path), sheet, defl, grade_tab)


def load_unit_costs(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    deflators: pd.Series | str | Path | None = None,
    grades: pd.DataFrame | str | Path | None = None,
) -> UnitCostTable:
    """Read and validate a unit-cost table from CSV, Excel (.xlsx) or YAML.

    Parameters
    ----------
    path
        The file. Excel: the header row is found anywhere in the first 50 rows (it must
        contain ``id`` and ``amount``); currency formats, thousands separators and blank rows
        are tolerated (blank rows are counted in ``notes``).
    sheet
        Excel sheet name or number (default: ``unit_costs``, else the first sheet).
    deflators
        GDP deflator table (a Series or a CSV path; default: the shipped table).
    grades
        Confidence-grade scale (a DataFrame or a CSV path; default: the shipped scale).

    Returns
    -------
    UnitCostTable

    Raises
    ------
    SroiInputError
        For a missing or unreadable file, a formula cell without a saved value (naming the
        cell), and every problem in the rows at once (missing or negative amounts, unknown
        agency or value type, price year outside the deflator table, unknown confidence grade,
        duplicate ids), with their rows.

    References
    ----------
    HM Treasury / New Economy (2014), Greater Manchester unit cost database and CBA model
    guidance (value types, agencies, confidence grades).
    """
    p = Path(path)
    if not p.exists():
        raise SroiInputError(f"{p}: unit-cost file not found")
    defl = deflators if isinstance(deflators, pd.Series) else load_deflators(deflators)
    grade_tab = grades if isinstance(grades, pd.DataFrame) else load_confidence_grades(grades)
    st = p.stat()
    table = _load_cached(
        str(p),
        str(p.resolve()),
        st.st_mtime_ns,
        st.st_size,
        sheet,
        tuple((str(k), float(v)) for k, v in defl.items()),
        tuple((str(k), float(v)) for k, v in grade_tab["benefit_reduction"].items()),
    )
    return UnitCostTable(table.data.copy(), table.path, list(table.notes))
