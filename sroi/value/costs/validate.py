"""Validate a raw unit-cost table column by column; every problem is reported with its row.

Each ``_check_*`` function parses one column and returns the parsed values with the problems it
found, as ``(row position, order, message)``; :func:`validate_cost_frame` sorts all problems by
row (then column order) and raises one :class:`sroi.SroiInputError` listing them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError
from sroi.value.costs.cells import money_col, text_col, token_col
from sroi.value.costs.grades import load_confidence_grades
from sroi.value.costs.library_rows import fill_from_library
from sroi.value.costs.schema import (
    AGENCIES,
    BASES,
    CATEGORIES,
    COLUMNS,
    MEASURES,
    REQUIRED,
    VALUE_TYPE_ALIASES,
    VALUE_TYPES,
    normalise_header,
)
from sroi.value.price_years import parse_price_year
from sroi.value.prices import deflator_terms, load_deflators

__all__ = ["validate_cost_frame"]

#: A problem: (row position, order of the check, message without the row label).
Problem = tuple[int, int, str]
Message = str | Callable[[int], str]


def _flag(mask: pd.Series | np.ndarray, message: Message, order: int) -> list[Problem]:
    """One problem per row where ``mask`` is true (``message`` may depend on the row)."""
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))  # only the offending rows
    return [(int(pos), order, message(int(pos)) if callable(message) else message) for pos in rows]


def _columns(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """The table with canonical column names, every column of :data:`COLUMNS`, in order."""
    df = df.copy()
    df.columns = [normalise_header(c) for c in df.columns]
    dupcols = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if dupcols:
        raise SroiInputError(f"{source}: column(s) appear twice after normalising names: {dupcols}")
    unknown = [c for c in df.columns if c not in COLUMNS and not c.startswith("unnamed")]
    if unknown:
        raise SroiInputError(
            f"{source}: unknown column(s) {unknown}; allowed columns are {COLUMNS}"
        )
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing and "library" not in df.columns:
        raise SroiInputError(
            f"{source}: missing required column(s) {missing}; the header row must name {REQUIRED}"
        )
    if len(df) == 0:
        raise SroiInputError(f"{source}: the cost table has no rows")
    return df.reindex(columns=COLUMNS).reset_index(drop=True)


def _check_required(txt: dict[str, pd.Series]) -> list[Problem]:
    out: list[Problem] = []
    for k, c in enumerate(REQUIRED):
        out += _flag(txt[c] == "", f"{c} is blank; fill it in", k)
    return out


def _not_a_number(c: str, raw: pd.Series) -> Callable[[int], str]:
    return lambda pos: f"{c} {raw.iloc[pos]!r} is not a number (write e.g. 1234.50)"


def _negative(c: str, vals: pd.Series) -> Callable[[int], str]:
    return lambda pos: (
        f"{c} is negative ({vals.iloc[pos]}); unit costs are >= 0, "
        "the model applies the sign from the effect's direction"
    )


def _check_amounts(df: pd.DataFrame) -> tuple[dict[str, pd.Series], list[Problem]]:
    """``amount``, ``low`` and ``high`` as numbers >= 0 with ``low <= amount <= high``."""
    amounts: dict[str, pd.Series] = {}
    out: list[Problem] = []
    for c in ("amount", "low", "high"):
        vals, bad = money_col(df[c])
        out += _flag(bad, _not_a_number(c, df[c]), 20)
        out += _flag((vals < 0) | np.isinf(vals), _negative(c, vals), 21)
        amounts[c] = vals
    a, lo, hi = amounts["amount"], amounts["low"], amounts["high"]
    out += _flag(lo > a, lambda pos: f"low ({lo.iloc[pos]}) is above amount ({a.iloc[pos]})", 22)
    out += _flag(hi < a, lambda pos: f"high ({hi.iloc[pos]}) is below amount ({a.iloc[pos]})", 23)
    return amounts, out


def _check_choices(txt: dict[str, pd.Series]) -> tuple[dict[str, pd.Series], list[Problem]]:
    """``agency``, ``value_type``, ``category`` and ``basis`` among their allowed values."""
    agency = token_col(txt["agency"])
    vt = token_col(txt["value_type"]).replace(VALUE_TYPE_ALIASES)
    cat = token_col(txt["category"]).replace("", "other")
    basis = token_col(txt["basis"]).replace(
        {"oneoff": "one_off", "annual": "per_annum", "per_year": "per_annum"}
    )
    out = _flag(
        (agency != "") & ~agency.isin(AGENCIES),
        lambda pos: f"unknown agency {txt['agency'].iloc[pos]!r}; use one of {', '.join(AGENCIES)}",
        30,
    )
    out += _flag(
        (vt != "") & ~vt.isin(VALUE_TYPES),
        lambda pos: (
            f"unknown value_type {txt['value_type'].iloc[pos]!r}; use one of "
            f"{', '.join(VALUE_TYPES)}"
        ),
        31,
    )
    out += _flag(
        ~cat.isin(CATEGORIES),
        lambda pos: (
            f"unknown category {txt['category'].iloc[pos]!r}; use one of {', '.join(CATEGORIES)}"
        ),
        32,
    )
    out += _flag(
        (basis != "") & ~basis.isin(BASES),
        lambda pos: f"basis {txt['basis'].iloc[pos]!r} must be one_off or per_annum",
        33,
    )
    return {"agency": agency, "value_type": vt, "category": cat, "basis": basis}, out


def _check_duration(txt: dict[str, pd.Series], basis: pd.Series) -> tuple[pd.Series, list[Problem]]:
    """Years a ``per_annum`` cost lasts (``inf`` for 'remaining'; 1.0 when blank)."""
    dur_txt = txt["duration_years"]
    remaining = dur_txt.str.lower() == "remaining"
    dur = pd.to_numeric(dur_txt.where(~remaining & (dur_txt != "")), errors="coerce")
    dur_bad = (dur_txt != "") & ~remaining & dur.isna()
    out = _flag(
        dur_bad,
        lambda pos: (
            f"duration_years {dur_txt.iloc[pos]!r} must be a number of years or 'remaining'"
        ),
        34,
    )
    out += _flag(dur <= 0, "duration_years must be > 0", 35)
    dur = dur.fillna(1.0).where(~remaining, np.inf)
    out += _flag(
        (basis == "one_off") & (dur_txt != "") & (dur != 1.0) & ~dur_bad,
        "duration_years applies only to per_annum costs",
        36,
    )
    return dur, out


def _check_price_year(
    txt: dict[str, pd.Series], defl: pd.Series
) -> tuple[pd.Series, list[Problem]]:
    """A calendar year (``2023``) or a financial year (``2023-24``) the deflators cover."""
    labels: dict[str, str] = {}
    problems: dict[str, str] = {}
    for raw in txt["price_year"].unique():
        if raw == "":
            continue
        try:
            label = parse_price_year(raw).label
        except ValueError as exc:
            problems[raw] = str(exc)
            continue
        try:
            deflator_terms(label, defl)
        except SroiInputError as exc:
            problems[raw] = str(exc)
        labels[raw] = label
    fy = txt["price_year"].map(lambda v: labels.get(v, v))
    out = _flag(
        txt["price_year"].isin(list(problems)),
        lambda pos: problems[txt["price_year"].iloc[pos]],
        40,
    )
    return fy, out


def _check_grade_measure_source(
    txt: dict[str, pd.Series], grade_tab: pd.DataFrame
) -> tuple[dict[str, pd.Series], list[Problem]]:
    """Confidence grade in the scale, a known measure, a source that says something."""
    grade = txt["confidence"].str.replace(r"\.0$", "", regex=True)
    out = _flag(
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
    out += _flag(
        measure.isna(),
        lambda pos: f"measure {meas_txt.iloc[pos]!r} must be one of {MEASURES}",
        43,
    )
    src = txt["source"]
    out += _flag(
        (src != "") & (src.str.len() < 5) & (src.str.lower() != "illustrative"),
        lambda pos: (
            f"source {src.iloc[pos]!r} is too short: give publisher, title and year, "
            "or write 'illustrative'"
        ),
        44,
    )
    return {"confidence": grade, "measure": measure, "source": src}, out


_YES = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False}


def _check_transfer(txt: dict[str, pd.Series]) -> tuple[pd.Series, list[Problem]]:
    """``transfer``: yes / no (blank: no)."""
    t = txt["transfer"].str.lower().replace({"": "no", "0": "no", "1.0": "yes", "0.0": "no"})
    out = _flag(
        ~t.isin(list(_YES)),
        lambda pos: f"transfer {txt['transfer'].iloc[pos]!r} must be yes or no",
        45,
    )
    return t.map(_YES).fillna(False).astype(bool), out


def _duplicate_ids(ids: pd.Series, labels: Sequence[str], source: str) -> list[str]:
    dup = ids.duplicated(keep=False) & (ids != "")
    if not dup.any():
        return []
    lab = np.array(labels)
    detail = "; ".join(
        f"{i!r} on {' and '.join(lab[(ids == i).to_numpy()])}" for i in sorted(set(ids[dup]))
    )
    return [f"{source}: duplicate id(s): {detail}; ids must be unique"]


def validate_cost_frame(
    df: pd.DataFrame,
    source: str,
    row_labels: Sequence[str] | None = None,
    deflators: pd.Series | None = None,
    grades: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Validate a raw unit-cost table (loosely named columns, text cells).

    Parameters
    ----------
    df
        The raw table.
    source
        Where it came from (a file name), for messages.
    row_labels
        Label of each row in messages (default ``row 2``, ``row 3``... as in a spreadsheet).
    deflators, grades
        GDP deflators and the confidence-grade scale (default: the shipped tables).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~sroi.value.costs.schema.COLUMNS`; ``amount``, ``low``, ``high`` and
        ``duration_years`` as floats (``inf`` for 'remaining'), blanks filled with defaults.

    Raises
    ------
    SroiInputError
        Listing every problem at once with its row (missing or negative amounts, unknown
        agency or value type, a price year outside the deflator table, an unknown confidence
        grade, duplicate ids...).
    """
    df, from_library = fill_from_library(_columns(df, source))
    labels = list(row_labels) if row_labels else [f"row {i + 2}" for i in range(len(df))]
    defl = load_deflators() if deflators is None else deflators
    grade_tab = load_confidence_grades() if grades is None else grades
    txt = {c: text_col(df[c]) for c in COLUMNS}
    ids = txt["id"]
    where = [
        f"{source} {lab}" + (f" (id {i})" if i else "") for lab, i in zip(labels, ids, strict=True)
    ]
    problems = [(pos, 5, msg) for pos, msg in from_library] + _check_required(txt)
    amounts, found = _check_amounts(df)
    problems += found
    choices, found = _check_choices(txt)
    problems += found
    dur, found = _check_duration(txt, choices["basis"])
    problems += found
    fy, found = _check_price_year(txt, defl)
    problems += found
    graded, found = _check_grade_measure_source(txt, grade_tab)
    problems += found
    transfer, found = _check_transfer(txt)
    problems += found
    msgs = [f"{where[row]}: {m}" for row, _, m in sorted(problems)]
    msgs += _duplicate_ids(ids, labels, source)
    if msgs:
        raise SroiInputError(
            f"{source}: {len(msgs)} problem(s) in the unit-cost table\n  " + "\n  ".join(msgs)
        )
    a = amounts["amount"]
    return pd.DataFrame(
        {
            "id": ids,
            "description": txt["description"],
            "outcome": txt["outcome"],
            **{k: choices[k] for k in ("agency", "value_type", "category", "basis")},
            "duration_years": dur.astype(float),
            "amount": a.astype(float),
            "unit": txt["unit"],
            "price_year": fy,
            "source": graded["source"],
            "confidence": graded["confidence"],
            "low": amounts["low"].fillna(a).astype(float),
            "high": amounts["high"].fillna(a).astype(float),
            "measure": graded["measure"].fillna("money"),
            "notes": txt["notes"],
            "library": txt["library"],
            "transfer": transfer,
        },
        columns=COLUMNS,
    )
