"""Cell parsers for finance-style tables: blanks, text, tokens and money amounts."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BLANKS", "MONEY", "is_blank", "money_col", "text_cell", "text_col", "token_col"]

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


def money_col(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse finance-style cells (``£1,234.50``, ``1 234``, ``(120)`` negative) to floats.

    Numeric cells (e.g. currency-formatted Excel cells) are taken as they are.

    Returns
    -------
    pandas.Series, pandas.Series
        The values (NaN for blanks and bad cells) and a mask of cells that are not numbers.
    """
    obj = col.astype(object)
    kind = obj.map(type)
    is_bool = kind.map(lambda t: issubclass(t, bool | np.bool_)).astype(bool)
    is_num = obj.notna() & kind.map(lambda t: issubclass(t, int | float | np.number)) & ~is_bool
    txt = text_col(obj.where(~is_num))
    blank = (txt == "") & ~is_num & ~is_bool
    clean = txt.str.replace("\u00a0", " ", regex=False).str.replace("GBP", "", regex=False)
    clean = clean.str.strip()
    ok = clean.str.match(MONEY.pattern) | blank | is_num
    neg = clean.str.startswith("(") & clean.str.endswith(")")
    digits = clean.str.replace(r"[()£$€,\s]", "", regex=True)
    parsed = pd.to_numeric(digits.where(ok & ~blank & ~is_num), errors="coerce")
    parsed = parsed.where(~neg, -parsed)
    vals = pd.to_numeric(obj.where(is_num), errors="coerce").fillna(parsed)
    bad = (~ok | (vals.isna() & ~blank) | is_bool).astype(bool)
    return vals.where(~bad).astype(float), bad
