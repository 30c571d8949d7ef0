"""Unit-cost tables: read CSV, Excel (.xlsx) or YAML, validate, convert to one price base.

One row per unit cost. Columns (header names are matched loosely: case, spaces, ``(£)``):

==================  ========================================================================
``id``              unique identifier (required)
``description``     what the cost is (required)
``outcome``         outcome it values (blank: only usable through a conversion chain)
``agency``          who bears the cost, e.g. ``children_social_care``, ``school``, ``nhs_mental_health``
``value_type``      ``fiscal_cashable``, ``fiscal_non_cashable``, ``economic``, ``social``, ``transfer``
``category``        what the cost counts, for the double-counting rules (optional, see below)
``basis``           ``one_off`` (per event) or ``per_annum`` (per event, each year for ``duration_years``)
``duration_years``  years a ``per_annum`` cost recurs (number, or ``remaining`` = years left in school)
``amount``          cost in pounds, >= 0 (``£1,234.50`` and ``1 234`` are accepted)
``unit``            unit of the amount, e.g. ``per referral``
``price_year``      financial year of the prices, e.g. ``2023-24`` (must be in the deflator table)
``source``          publisher, title, year; or ``illustrative`` (required)
``confidence``      grade in the confidence-grade scale (required)
``low``, ``high``   optional uncertainty range for the amount (same prices)
``measure``         ``money`` (default), ``QALY`` or ``WELLBY`` (health discount rate applies)
``notes``           free text
==================  ========================================================================

Categories used by the double-counting rules: ``absence_days``, ``attendance_casework``,
``exclusion_process``, ``alternative_provision``, ``lifetime_exclusion``, ``youth_justice``,
``benefits``, and the referral chain ``referral``, ``assessment``, ``child_in_need``,
``child_protection``, ``looked_after``; anything else is ``other``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sroi.errors import SroiInputError
from sroi.value.config import FY_PATTERN
from sroi.value.prices import DATA_DIR, load_deflators, price_factor

__all__ = [
    "UnitCostTable",
    "load_unit_costs",
    "load_confidence_grades",
    "AGENCIES",
    "VALUE_TYPES",
    "CATEGORIES",
    "COLUMNS",
]

AGENCIES = (
    "children_social_care",
    "school",
    "local_authority",
    "education_la",
    "nhs",
    "nhs_mental_health",
    "police",
    "youth_justice",
    "courts",
    "dwp",
    "hmrc",
    "housing",
    "individual",
    "society",
)
VALUE_TYPES = ("fiscal_cashable", "fiscal_non_cashable", "economic", "social", "transfer")
CATEGORIES = (
    "absence_days",
    "attendance_casework",
    "exclusion_process",
    "alternative_provision",
    "lifetime_exclusion",
    "youth_justice",
    "benefits",
    "referral",
    "assessment",
    "child_in_need",
    "child_protection",
    "looked_after",
    "wellbeing",
    "other",
)
MEASURES = ("money", "QALY", "WELLBY")
BASES = ("one_off", "per_annum")
COLUMNS = [
    "id",
    "description",
    "outcome",
    "agency",
    "value_type",
    "category",
    "basis",
    "duration_years",
    "amount",
    "unit",
    "price_year",
    "source",
    "confidence",
    "low",
    "high",
    "measure",
    "notes",
]
REQUIRED = [
    "id",
    "description",
    "agency",
    "value_type",
    "basis",
    "amount",
    "price_year",
    "source",
    "confidence",
]

_ALIASES = {
    "cost_id": "id",
    "unit_cost_id": "id",
    "ref": "id",
    "unit_cost": "amount",
    "cost": "amount",
    "value": "amount",
    "amount_gbp": "amount",
    "type": "value_type",
    "type_of_value": "value_type",
    "agency_bearing_cost": "agency",
    "agency_that_bears_it": "agency",
    "payer": "agency",
    "confidence_grade": "confidence",
    "grade": "confidence",
    "cost_basis": "basis",
    "duration": "duration_years",
    "year_of_prices": "price_year",
    "prices": "price_year",
    "financial_year": "price_year",
    "low_amount": "low",
    "high_amount": "high",
}
_VALUE_TYPE_ALIASES = {
    "fiscal_non_cashable": "fiscal_non_cashable",
    "fiscal_noncashable": "fiscal_non_cashable",
    "fiscal_cashable": "fiscal_cashable",
    "social_wellbeing": "social",
    "wellbeing": "social",
    "social": "social",
    "economic": "economic",
    "transfer": "transfer",
}


def _norm_header(h: Any) -> str:
    s = str(h).strip().lower()
    s = re.sub(r"\(.*?\)", "", s)
    s = s.replace("£", "").replace("&", "and")
    s = re.sub(r"[^a-z0-9]+", "_", s).strip("_")
    return _ALIASES.get(s, s)


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v.strip() in ("", "-", "—", "n/a", "N/A", "nan")


_MONEY = re.compile(r"^\(?-?[£$€]?\s*-?[\d,\s]*\.?\d+\)?$")


def load_confidence_grades(path: str | Path | None = None) -> pd.DataFrame:
    """Confidence-grade scale: ``grade, description, benefit_reduction`` (proportion).

    Default: ``sroi/value/data/confidence_grades.csv`` (illustrative percentages after the
    Greater Manchester CBA model's approach; the file says so).
    """
    p = Path(path) if path is not None else DATA_DIR / "confidence_grades.csv"
    if not p.exists():
        raise SroiInputError(f"{p}: confidence-grade file not found")
    df = pd.read_csv(p, comment="#", dtype={"grade": str})
    df.columns = [str(c).strip().lower() for c in df.columns]
    need = ["grade", "description", "benefit_reduction"]
    if any(c not in df.columns for c in need):
        raise SroiInputError(f"{p}: confidence-grade table needs columns {need}")
    df["grade"] = df["grade"].astype(str).str.strip()
    red = pd.to_numeric(df["benefit_reduction"], errors="coerce")
    if red.isna().any() or ((red < 0) | (red >= 1)).any():
        raise SroiInputError(f"{p}: benefit_reduction must be a proportion in [0, 1)")
    if df["grade"].duplicated().any():
        raise SroiInputError(f"{p}: grades must be unique")
    df["benefit_reduction"] = red.astype(float)
    return df.set_index("grade")


# ------------------------------------------------------------------ table
@dataclass
class UnitCostTable:
    """A validated unit-cost table.

    Attributes
    ----------
    data
        One row per unit cost with the columns in :data:`COLUMNS` (``amount``, ``low``,
        ``high`` as floats in the row's own ``price_year`` prices; ``duration_years`` a float,
        ``inf`` for ``remaining``).
    path
        Where it was read from (``None`` if built in memory).
    notes
        What the reader skipped and why (blank rows, evaluated formulas...).
    """

    data: pd.DataFrame
    path: str | None = None
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.data)

    def __contains__(self, cost_id: object) -> bool:
        return cost_id in set(self.data["id"])

    @property
    def ids(self) -> list[str]:
        return list(self.data["id"])

    def row(self, cost_id: str) -> pd.Series:
        """The row with this id (error naming the available ids if absent)."""
        hit = self.data.loc[self.data["id"] == cost_id]
        if hit.empty:
            raise SroiInputError(
                f"unit cost {cost_id!r} is not in the cost table {self.path or ''} "
                f"(ids: {', '.join(self.ids)})"
            )
        return hit.iloc[0]

    def for_outcome(self, outcome: str) -> list[str]:
        """Ids of the rows whose ``outcome`` column is ``outcome``."""
        return list(self.data.loc[self.data["outcome"] == outcome, "id"])

    def with_amount(self, cost_id: str, amount: float) -> UnitCostTable:
        """Copy with one amount changed (what a finance officer does in the workbook)."""
        self.row(cost_id)
        if not np.isfinite(amount) or amount < 0:
            raise SroiInputError(f"unit cost {cost_id!r}: amount must be >= 0 (got {amount!r})")
        d = self.data.copy()
        m = d["id"] == cost_id
        d.loc[m, "amount"] = float(amount)
        d.loc[m & (d["low"] > amount), "low"] = float(amount)
        d.loc[m & (d["high"] < amount), "high"] = float(amount)
        return UnitCostTable(d, self.path, [*self.notes, f"{cost_id}: amount set to {amount}"])

    def in_prices_of(self, base_year: str, deflators: pd.Series | None = None) -> pd.DataFrame:
        """The table with ``factor``, ``amount_base``, ``low_base``, ``high_base`` in ``base_year`` prices."""
        defl = load_deflators() if deflators is None else deflators
        d = self.data.copy()
        factors = {fy: price_factor(fy, base_year, defl) for fy in d["price_year"].unique()}
        d["factor"] = d["price_year"].map(factors).astype(float)
        for c in ("amount", "low", "high"):
            d[f"{c}_base"] = d[c] * d["factor"]
        return d

    def to_frame(self) -> pd.DataFrame:
        return self.data.copy()

    def to_csv(self, path: str | Path) -> Path:
        p = Path(path)
        out = self.data.copy()
        out["duration_years"] = out["duration_years"].map(
            lambda x: "remaining" if np.isinf(x) else x
        )
        out.to_csv(p, index=False)
        return p

    @classmethod
    def from_records(
        cls,
        records: list[dict[str, Any]] | pd.DataFrame,
        *,
        deflators: pd.Series | None = None,
        grades: pd.DataFrame | None = None,
        source: str = "table",
        row_labels: list[str] | None = None,
    ) -> UnitCostTable:
        """Validate records (dicts or a DataFrame with loosely named columns)."""
        df = records.copy() if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
        return _validate(df, source, row_labels, deflators, grades, [])


_BLANKS = ("", "-", "\u2014", "n/a", "N/A", "nan", "NaN", "None")


def _text_col(col: pd.Series) -> pd.Series:
    """Cells as stripped text; blanks (NaN, '', '-', 'n/a') become ''."""
    s = col.astype(object)
    txt = s.astype(str).str.strip()
    return txt.where(s.notna() & ~txt.isin(_BLANKS), "")


def _token_col(txt: pd.Series) -> pd.Series:
    return (
        txt.str.lower()
        .str.replace("&", "and", regex=False)
        .str.replace(r"[^a-z0-9]+", "_", regex=True)
        .str.strip("_")
    )


def _money_col(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse finance-style cells (``£1,234.50``, ``1 234``, ``(120)`` negative) to floats.

    Numeric cells (e.g. currency-formatted Excel cells) are taken as they are. Returns the
    values (NaN for blanks) and a mask of cells that are not numbers.
    """
    obj = col.astype(object)
    kind = obj.map(type)
    is_bool = kind.map(lambda t: issubclass(t, bool | np.bool_)).astype(bool)
    is_num = obj.notna() & kind.map(lambda t: issubclass(t, int | float | np.number)) & ~is_bool
    txt = _text_col(obj.where(~is_num))
    blank = (txt == "") & ~is_num & ~is_bool
    clean = txt.str.replace("\u00a0", " ", regex=False).str.replace("GBP", "", regex=False)
    clean = clean.str.strip()
    ok = clean.str.match(_MONEY.pattern) | blank | is_num
    neg = clean.str.startswith("(") & clean.str.endswith(")")
    digits = clean.str.replace(r"[()£$€,\s]", "", regex=True)
    parsed = pd.to_numeric(digits.where(ok & ~blank & ~is_num), errors="coerce")
    parsed = parsed.where(~neg, -parsed)
    vals = pd.to_numeric(obj.where(is_num), errors="coerce").fillna(parsed)
    bad = (~ok | (vals.isna() & ~blank) | is_bool).astype(bool)
    return vals.where(~bad).astype(float), bad


def _validate(
    df: pd.DataFrame,
    source: str,
    row_labels: list[str] | None,
    deflators: pd.Series | None,
    grades: pd.DataFrame | None,
    notes: list[str],
) -> UnitCostTable:
    """Validate a raw table column by column; every problem is reported with its row."""
    df = df.copy()
    df.columns = [_norm_header(c) for c in df.columns]
    dupcols = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if dupcols:
        raise SroiInputError(f"{source}: column(s) appear twice after normalising names: {dupcols}")
    unknown = [c for c in df.columns if c not in COLUMNS and not c.startswith("unnamed")]
    if unknown:
        raise SroiInputError(
            f"{source}: unknown column(s) {unknown}; allowed columns are {COLUMNS}"
        )
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise SroiInputError(
            f"{source}: missing required column(s) {missing}; the header row must name {REQUIRED}"
        )
    if len(df) == 0:
        raise SroiInputError(f"{source}: the cost table has no rows")
    df = df.reindex(columns=COLUMNS).reset_index(drop=True)
    n = len(df)
    labels = list(row_labels) if row_labels else [f"row {i + 2}" for i in range(n)]
    defl = load_deflators() if deflators is None else deflators
    grade_tab = load_confidence_grades() if grades is None else grades
    txt = {c: _text_col(df[c]) for c in COLUMNS}
    ids = txt["id"]
    where = [
        f"{source} {lab}" + (f" (id {i})" if i else "") for lab, i in zip(labels, ids, strict=True)
    ]
    problems: list[tuple[int, int, str]] = []  # (row, order, message)

    def flag(mask: pd.Series | np.ndarray, message: Any, order: int) -> None:
        m = np.asarray(mask, dtype=bool)
        for pos in np.flatnonzero(m):  # only the offending rows, to build their messages
            msg = message(pos) if callable(message) else message
            problems.append((int(pos), order, f"{where[pos]}: {msg}"))

    for k, c in enumerate(REQUIRED):
        flag(txt[c] == "", f"{c} is blank; fill it in", k)
    amounts = {}
    for c in ("amount", "low", "high"):
        vals, bad = _money_col(df[c])
        raw = df[c]
        flag(
            bad,
            lambda pos, c=c, raw=raw: f"{c} {raw.iloc[pos]!r} is not a number (write e.g. 1234.50)",
            20,
        )
        flag(
            (vals < 0) | np.isinf(vals),
            lambda pos, c=c, vals=vals: (
                f"{c} is negative ({vals.iloc[pos]}); unit costs are >= 0, "
                "the model applies the sign from the effect's direction"
            ),
            21,
        )
        amounts[c] = vals
    a, lo, hi = amounts["amount"], amounts["low"], amounts["high"]
    flag(lo > a, lambda pos: f"low ({lo.iloc[pos]}) is above amount ({a.iloc[pos]})", 22)
    flag(hi < a, lambda pos: f"high ({hi.iloc[pos]}) is below amount ({a.iloc[pos]})", 23)
    agency = _token_col(txt["agency"])
    flag(
        (agency != "") & ~agency.isin(AGENCIES),
        lambda pos: f"unknown agency {txt['agency'].iloc[pos]!r}; use one of {', '.join(AGENCIES)}",
        30,
    )
    vt = _token_col(txt["value_type"]).replace(_VALUE_TYPE_ALIASES)
    flag(
        (vt != "") & ~vt.isin(VALUE_TYPES),
        lambda pos: (
            f"unknown value_type {txt['value_type'].iloc[pos]!r}; use one of "
            f"{', '.join(VALUE_TYPES)}"
        ),
        31,
    )
    cat = _token_col(txt["category"]).replace("", "other")
    flag(
        ~cat.isin(CATEGORIES),
        lambda pos: (
            f"unknown category {txt['category'].iloc[pos]!r}; use one of {', '.join(CATEGORIES)}"
        ),
        32,
    )
    basis = _token_col(txt["basis"]).replace(
        {"oneoff": "one_off", "annual": "per_annum", "per_year": "per_annum"}
    )
    flag(
        (basis != "") & ~basis.isin(BASES),
        lambda pos: f"basis {txt['basis'].iloc[pos]!r} must be one_off or per_annum",
        33,
    )
    dur_txt = txt["duration_years"]
    remaining = dur_txt.str.lower() == "remaining"
    dur = pd.to_numeric(dur_txt.where(~remaining & (dur_txt != "")), errors="coerce")
    dur_bad = (dur_txt != "") & ~remaining & dur.isna()
    flag(
        dur_bad,
        lambda pos: (
            f"duration_years {dur_txt.iloc[pos]!r} must be a number of years or 'remaining'"
        ),
        34,
    )
    flag(dur <= 0, "duration_years must be > 0", 35)
    dur = dur.fillna(1.0).where(~remaining, np.inf)
    flag(
        (basis == "one_off") & (dur_txt != "") & (dur != 1.0) & ~dur_bad,
        "duration_years applies only to per_annum costs",
        36,
    )
    fy = txt["price_year"].str.replace("/", "-", regex=False).str.replace(r"\.0$", "", regex=True)
    parts = fy.str.extract(FY_PATTERN.pattern)
    y1 = pd.to_numeric(parts[0], errors="coerce")
    y2 = pd.to_numeric(parts[1], errors="coerce")
    fy_ok = y1.notna() & ((y1 + 1) % 100 == y2)
    flag(
        (fy != "") & ~fy_ok,
        lambda pos: f"price_year {fy.iloc[pos]!r} must be a financial year like 2023-24",
        40,
    )
    flag(
        fy_ok & ~fy.isin(defl.index),
        lambda pos: (
            f"price_year {fy.iloc[pos]} is outside the GDP deflator table "
            f"({defl.index[0]} to {defl.index[-1]}); add the year to the deflator table"
        ),
        41,
    )
    grade = txt["confidence"].str.replace(r"\.0$", "", regex=True)
    flag(
        (grade != "") & ~grade.isin(grade_tab.index),
        lambda pos: (
            f"confidence grade {grade.iloc[pos]!r} is not in the grade scale "
            f"({', '.join(grade_tab.index)})"
        ),
        42,
    )
    measure_map = {m.lower(): m for m in MEASURES}
    meas_txt = txt["measure"].replace("", "money")
    measure = meas_txt.str.lower().map(measure_map)
    flag(
        measure.isna(),
        lambda pos: f"measure {meas_txt.iloc[pos]!r} must be one of {MEASURES}",
        43,
    )
    src = txt["source"]
    flag(
        (src != "") & (src.str.len() < 5) & (src.str.lower() != "illustrative"),
        lambda pos: (
            f"source {src.iloc[pos]!r} is too short: give publisher, title and year, "
            "or write 'illustrative'"
        ),
        44,
    )
    dup = ids.duplicated(keep=False) & (ids != "")
    msgs = [m for _, _, m in sorted(problems)]
    if dup.any():
        lab = np.array(labels)
        detail = "; ".join(
            f"{i!r} on {' and '.join(lab[(ids == i).to_numpy()])}" for i in sorted(set(ids[dup]))
        )
        msgs.append(f"{source}: duplicate id(s): {detail}; ids must be unique")
    if msgs:
        raise SroiInputError(
            f"{source}: {len(msgs)} problem(s) in the unit-cost table\n  " + "\n  ".join(msgs)
        )
    data = pd.DataFrame(
        {
            "id": ids,
            "description": txt["description"],
            "outcome": txt["outcome"],
            "agency": agency,
            "value_type": vt,
            "category": cat,
            "basis": basis,
            "duration_years": dur.astype(float),
            "amount": a.astype(float),
            "unit": txt["unit"],
            "price_year": fy,
            "source": src,
            "confidence": grade,
            "low": lo.fillna(a).astype(float),
            "high": hi.fillna(a).astype(float),
            "measure": measure.fillna("money"),
            "notes": txt["notes"],
        },
        columns=COLUMNS,
    )
    return UnitCostTable(data=data, path=source, notes=notes)


# ------------------------------------------------------------------ readers
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


def _find_header(rows: list[list[Any]], path: Path, sheet: str) -> int:
    for i, row in enumerate(rows[:50]):
        names = {_norm_header(v) for v in row if not _blank(v)}
        if {"id", "amount"} <= names:
            return i
    raise SroiInputError(
        f"{path} [{sheet}]: no header row found in the first 50 rows; the header must contain "
        "at least the columns 'id' and 'amount'"
    )


def _read_excel(p: Path, sheet: str | int | None) -> tuple[pd.DataFrame, list[str], list[str]]:
    import openpyxl

    try:
        wb_f = openpyxl.load_workbook(p, data_only=False, read_only=False)
        wb_v = openpyxl.load_workbook(p, data_only=True, read_only=False)
    except Exception as exc:
        raise SroiInputError(f"{p}: cannot open the workbook: {exc}") from None
    if sheet is None:
        name = "unit_costs" if "unit_costs" in wb_v.sheetnames else wb_v.sheetnames[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(wb_v.sheetnames):
            raise SroiInputError(f"{p}: no sheet number {sheet} (sheets: {wb_v.sheetnames})")
        name = wb_v.sheetnames[sheet]
    else:
        if sheet not in wb_v.sheetnames:
            raise SroiInputError(f"{p}: no sheet {sheet!r} (sheets: {wb_v.sheetnames})")
        name = sheet
    ws_v, ws_f = wb_v[name], wb_f[name]
    values = [list(r) for r in ws_v.iter_rows(values_only=True)]
    formulas = [list(r) for r in ws_f.iter_rows(values_only=True)]
    h = _find_header(values, p, name)
    header = values[h]
    keep = [j for j, v in enumerate(header) if not _blank(v)]
    records, labels, notes = [], [], []
    blank = 0
    evaluated = 0
    for i in range(h + 1, len(values)):
        vals = [values[i][j] if j < len(values[i]) else None for j in keep]
        if all(_blank(v) for v in vals):
            blank += 1
            continue
        for j in keep:
            f = formulas[i][j] if j < len(formulas[i]) else None
            if isinstance(f, str) and f.startswith("="):
                cell = f"{openpyxl.utils.get_column_letter(j + 1)}{i + 1}"
                if values[i][j] is None:
                    raise SroiInputError(
                        f"{p} [{name}] cell {cell}: formula {f} has no calculated value "
                        "(the file was saved by a program that does not calculate formulas); "
                        "open and save it in Excel/LibreOffice, or type the number in"
                    )
                evaluated += 1
        records.append(dict(zip([header[j] for j in keep], vals, strict=True)))
        labels.append(f"row {i + 1}")
    if blank:
        notes.append(f"{p.name} [{name}]: skipped {blank} blank row(s)")
    if evaluated:
        notes.append(f"{p.name} [{name}]: used the saved values of {evaluated} formula cell(s)")
    return pd.DataFrame(records, columns=[header[j] for j in keep]), labels, notes


def load_unit_costs(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    deflators: pd.Series | str | Path | None = None,
    grades: pd.DataFrame | str | Path | None = None,
) -> UnitCostTable:
    """Read and validate a unit-cost table from CSV, Excel (.xlsx) or YAML.

    Excel: the header row is found anywhere in the first 50 rows (it must contain ``id`` and
    ``amount``); currency formats, thousands separators and blank rows are tolerated (blank rows
    are counted in ``notes``); a formula cell without a saved value is an error naming the cell.
    Every problem (missing or negative amounts, unknown agency or value type, price year outside
    the deflator table, unknown confidence grade, duplicate ids) is reported at once, with rows.
    """
    p = Path(path)
    if not p.exists():
        raise SroiInputError(f"{p}: unit-cost file not found")
    defl = deflators if isinstance(deflators, pd.Series) else load_deflators(deflators)
    grade_tab = grades if isinstance(grades, pd.DataFrame) else load_confidence_grades(grades)
    st = p.stat()
    key = (
        str(p.resolve()),
        st.st_mtime_ns,
        st.st_size,
        sheet,
        tuple(defl.items()),
        tuple(grade_tab["benefit_reduction"].items()),
    )
    hit = _CACHE.get(key)
    if hit is not None:  # the same unchanged file validated against the same tables
        return UnitCostTable(hit.data.copy(), hit.path, list(hit.notes))
    table = _load_uncached(p, sheet, defl, grade_tab)
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[key] = table
    return UnitCostTable(table.data.copy(), table.path, list(table.notes))


_CACHE: dict[tuple[Any, ...], UnitCostTable] = {}


def _load_uncached(
    p: Path, sheet: str | int | None, defl: pd.Series, grade_tab: pd.DataFrame
) -> UnitCostTable:
    suffix = p.suffix.lower()
    notes: list[str] = []
    if suffix == ".csv":
        try:
            df = pd.read_csv(p, dtype=str, keep_default_na=False, skip_blank_lines=False)
        except Exception as exc:
            raise SroiInputError(f"{p}: cannot read CSV: {exc}") from None
        blank_mask = df.apply(lambda col: col.str.strip() == "").all(axis=1)
        labels = [f"line {i + 2}" for i in range(len(df))]
        if blank_mask.any():
            notes.append(f"{p.name}: skipped {int(blank_mask.sum())} blank line(s)")
            labels = [lab for lab, b in zip(labels, blank_mask, strict=True) if not b]
            df = df.loc[~blank_mask].reset_index(drop=True)
    elif suffix in (".xlsx", ".xlsm"):
        df, labels, notes = _read_excel(p, sheet)
    elif suffix in (".yaml", ".yml"):
        df, labels = _read_yaml(p)
    else:
        raise SroiInputError(f"{p}: unit costs must be .csv, .xlsx or .yaml (got {suffix!r})")
    return _validate(df, str(p), labels, defl, grade_tab, notes)
