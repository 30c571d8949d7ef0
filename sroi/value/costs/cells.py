"""Cell parsers for finance-style tables: blanks, text, tokens and money amounts."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BLANKS",
    "MONEY",
    "is_blank",
    "money_cell",
    "money_col",
    "text_cell",
    "text_col",
    "token_col",
]

#: Cell texts that mean "blank".
BLANKS = ("", "-", "\u2014", "n/a", "N/A", "nan", "NaN", "None")
#: A money amount: ``£1,234.50``, ``1 234``, ``(120)`` (negative), ``-5``.
MONEY = re.compile(r"^\(?-?[£$€]?\s*-?[\d,\s]*\.?\d+\)?$")


def is_blank(v: Any) -> bool:
    """Whether a single cell is blank (``None``, NaN, empty, ``-``, ``n/a``)."""
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v.strip() in ("", "-", "—", "n/a", "N/A", "nan")


def text_cell(v: Any) -> str:
    """One cell as stripped text; blanks (NaN, None, '', '-', 'n/a') become ''."""
    if v is None or (not isinstance(v, str) and bool(pd.isna(v))):
        return ""
    t = str(v).strip()
    return "" if t in BLANKS else t


def text_col(col: pd.Series) -> pd.Series:
    """Cells as stripped text; blanks (NaN, '', '-', 'n/a') become ''.

    Cell by cell (cost tables have tens of rows, where one pass in Python is many times
    faster than a chain of vectorised string operations).
    """
    return pd.Series(
        [text_cell(v) for v in col.astype(object)], index=col.index, name=col.name, dtype=str
    )


def token_col(txt: pd.Series) -> pd.Series:
    """Text as a lower-case token (``Children's Social Care`` -> ``children_s_social_care``)."""
    return (
        txt.str.lower()
        .str.replace("&", "and", regex=False)
        .str.replace(r"[^a-z0-9]+", "_", regex=True)
        .str.strip("_")
    )


def money_cell(v: Any) -> tuple[float, bool]:
    """Parse one finance-style cell: ``(value, bad)``; a blank is ``(nan, False)``.

    Numbers are taken as they are; text as ``£1,234.50``, ``1 234``, ``GBP 5``, ``(120)``
    (negative) or ``-5``; booleans and any other text are bad.
    """
    if isinstance(v, bool | np.bool_):
        return math.nan, True
    if isinstance(v, int | float | np.number) and not pd.isna(v):
        return float(v), False
    txt = text_cell(v)
    if txt == "":
        return math.nan, False
    clean = txt.replace("\u00a0", " ").replace("GBP", "").strip()
    if not MONEY.match(clean):
        return math.nan, True
    try:
        x = float(re.sub(r"[()£$€,\s]", "", clean))
    except ValueError:
        return math.nan, True
    return (-x if clean.startswith("(") and clean.endswith(")") else x), False


def money_col(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse finance-style cells (``£1,234.50``, ``1 234``, ``(120)`` negative) to floats.

    Numeric cells (e.g. currency-formatted Excel cells) are taken as they are; each cell is
    parsed by :func:`money_cell`.

    Returns
    -------
    pandas.Series, pandas.Series
        The values (NaN for blanks and bad cells) and a mask of cells that are not numbers.
    """
    parsed = [money_cell(v) for v in col.astype(object)]
    vals = pd.Series([x for x, _ in parsed], index=col.index, name=col.name, dtype=float)
    bad = pd.Series([b for _, b in parsed], index=col.index, name=col.name, dtype=bool)
    return vals, bad
