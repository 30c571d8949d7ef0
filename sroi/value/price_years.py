"""Price years: a calendar year (``2024``) or a UK financial year (``2024-25``), never confused.

:func:`deflator_series` builds a deflator index labelled by price years of one kind.

A financial year runs from 1 April to 31 March: ``2024-25`` is April 2024 to March 2025. A
price year is written either way and keeps its kind; :func:`parse_price_year` reads it and
:mod:`sroi.value.prices` converts between the kinds explicitly when the deflator series is of
the other kind (see :func:`sroi.value.prices.deflator_value`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from sroi._checks import check_choice
from sroi.errors import SroiInputError

__all__ = [
    "CALENDAR",
    "FINANCIAL",
    "PRICE_YEAR_HELP",
    "PriceYear",
    "deflator_series",
    "parse_price_year",
]

CALENDAR = re.compile(r"^(\d{4})$")
FINANCIAL = re.compile(r"^(\d{4})\s*[-/]\s*(\d{2}|\d{4})$")
#: How to write a price year (for messages).
PRICE_YEAR_HELP = "a calendar year like 2024 or a financial year like 2024-25"


class PriceYear(NamedTuple):
    """A parsed price year.

    Attributes
    ----------
    kind
        ``"calendar"`` or ``"financial"``.
    year
        The calendar year, or the year a financial year starts in (2024 for ``2024-25``).
    """

    kind: Literal["calendar", "financial"]
    year: int

    @property
    def label(self) -> str:
        """Canonical text: ``2024`` or ``2024-25``."""
        if self.kind == "calendar":
            return str(self.year)
        return f"{self.year}-{(self.year + 1) % 100:02d}"


def parse_price_year(value: Any) -> PriceYear:
    """Read a price year written as a calendar year or a financial year.

    Parameters
    ----------
    value
        ``2024`` / ``"2024"`` (calendar year), ``"2024-25"``, ``"2024/25"`` or ``"2024-2025"``
        (the financial year April 2024 to March 2025). Spreadsheet numbers like ``2024.0`` are
        read as ``2024``.

    Returns
    -------
    PriceYear

    Raises
    ------
    ValueError
        For anything else, or a financial year whose two years are not consecutive.
    """
    if isinstance(value, bool):
        raise ValueError(f"price year must be {PRICE_YEAR_HELP} (got {value!r})")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    text = text[:-2] if text.endswith(".0") else text
    m = CALENDAR.match(text)
    if m:
        return PriceYear("calendar", int(m.group(1)))
    m = FINANCIAL.match(text)
    if m:
        start, end = int(m.group(1)), m.group(2)
        if (len(end) == 2 and (start + 1) % 100 != int(end)) or (
            len(end) == 4 and int(end) != start + 1
        ):
            raise ValueError(
                f"financial year {text!r}: the second year must follow the first (e.g. 2024-25)"
            )
        return PriceYear("financial", start)
    raise ValueError(f"price year must be {PRICE_YEAR_HELP} (got {text!r})")


def deflator_series(
    years: Sequence[Any],
    values: Sequence[float],
    *,
    kind: str,
    where: str,
    vintage: str = "",
    source: str = "",
) -> pd.Series:
    """A validated deflator index labelled by price year of one kind.

    Parameters
    ----------
    years
        Calendar years (``2024``) or financial years (``2024-25``), as ``kind`` says.
    values
        Index values (> 0).
    kind
        ``"calendar"`` or ``"financial"``: what the years ARE (never relabelled).
    where
        The file (for messages).
    vintage, source
        Kept in ``Series.attrs`` for the assumptions register.

    Returns
    -------
    pandas.Series
        Values indexed by canonical labels (``2024`` or ``2024-25``), in year order.

    Raises
    ------
    SroiInputError
        For a year of the other kind or badly written, a non-positive value, a repeated year.
    """
    check_choice(kind, ("calendar", "financial"), "kind")
    labels, bad = [], []
    for i, y in enumerate(years):
        try:
            py = parse_price_year(y)
        except ValueError:
            py = None
        if py is None or py.kind != kind:
            bad.append(f"{y!r} (data line {i + 2})")
        else:
            labels.append(py.label)
    if bad:
        example = "2024" if kind == "calendar" else "2024-25"
        raise SroiInputError(
            f"{where}: {kind} years must be written like {example}; bad: {', '.join(bad[:5])}"
        )
    vals = np.asarray(values, dtype=float)
    if not np.isfinite(vals).all() or (vals <= 0).any():
        rows = [i + 2 for i in np.flatnonzero(~np.isfinite(vals) | (vals <= 0))]
        raise SroiInputError(f"{where}: deflator must be a positive number (data line(s) {rows})")
    idx = pd.Index(labels, name=f"{kind}_year")
    if idx.duplicated().any():
        raise SroiInputError(f"{where}: year(s) repeated: {sorted(set(idx[idx.duplicated()]))}")
    out = pd.Series(vals, index=idx, name="deflator").sort_index()
    out.attrs.update({"basis": kind, "vintage": vintage, "source": source})
    return out
