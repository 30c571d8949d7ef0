"""Price base and discounting tables (HM Treasury Green Book, 2022).

* :func:`load_deflators` reads a financial-year GDP deflator index; :func:`price_factor` gives
  the multiplier from one financial year's prices to another's:
  ``factor = deflator[base] / deflator[price_year]``.
* :func:`discount_factors` gives Green Book discount factors with the declining long-term
  schedule, compounding across the steps: ``D_0 = 1`` and
  ``D_t = prod_{s=1..t} 1 / (1 + r(s))``, with ``r(s)`` the rate for year ``s``
  (3.5% for years 0-30, 3.0% for 31-75, ...). The health schedule (1.5%, 1.29%, ...) is used
  only for values measured in QALYs or WELLBYs.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sroi._checks import check_choice, check_int
from sroi.errors import SroiInputError
from sroi.value.config import FY_PATTERN

__all__ = [
    "DATA_DIR",
    "load_deflators",
    "price_factor",
    "load_discount_table",
    "discount_factors",
    "read_metadata",
]

DATA_DIR = Path(__file__).parent / "data"


def read_metadata(path: str | Path) -> dict[str, str]:
    """``# key: value`` comment lines at the top of a shipped CSV (source, release, version)."""
    meta: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            text = line[1:].strip()
            key, sep, value = text.partition(":")
            if sep and key.strip().isidentifier():
                meta[key.strip()] = value.strip()
    return meta


def _read_csv(path: Path, what: str, columns: list[str]) -> pd.DataFrame:
    if not path.exists():
        raise SroiInputError(f"{path}: {what} file not found")
    try:
        df = pd.read_csv(path, comment="#", skip_blank_lines=True)
    except Exception as exc:  # pragma: no cover - pandas parser messages vary
        raise SroiInputError(f"{path}: cannot read the {what} table: {exc}") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SroiInputError(f"{path}: the {what} table needs columns {columns}; missing {missing}")
    return df


@lru_cache(maxsize=16)
def _load_deflators_cached(path: str) -> pd.Series:
    p = Path(path)
    df = _read_csv(p, "GDP deflator", ["financial_year", "deflator"])
    fy = df["financial_year"].astype(str).str.strip().str.replace("/", "-", regex=False)
    bad = [
        i + 2
        for i, v in enumerate(fy)
        if not FY_PATTERN.match(v) or (int(v[:4]) + 1) % 100 != int(v[5:])
    ]
    if bad:
        raise SroiInputError(
            f"{p}: financial_year must look like 2024-25 (bad value on data line(s) {bad})"
        )
    vals = pd.to_numeric(df["deflator"], errors="coerce")
    if vals.isna().any() or (vals <= 0).any():
        rows = [i + 2 for i in np.flatnonzero(vals.isna().to_numpy() | (vals <= 0).to_numpy())]
        raise SroiInputError(f"{p}: deflator must be a positive number (data line(s) {rows})")
    if fy.duplicated().any():
        raise SroiInputError(f"{p}: financial year(s) repeated: {sorted(set(fy[fy.duplicated()]))}")
    return pd.Series(vals.to_numpy(dtype=float), index=pd.Index(fy, name="financial_year"))


def load_deflators(path: str | Path | None = None) -> pd.Series:
    """GDP deflator index by financial year (``2024-25`` -> index value).

    Parameters
    ----------
    path
        A CSV with columns ``financial_year, deflator``. Default: the shipped table
        ``sroi/value/data/gdp_deflators.csv`` (its header states source and release; the
        shipped values are ILLUSTRATIVE until replaced by an HM Treasury release).

    Returns
    -------
    pandas.Series
        Deflator values indexed by financial year.

    Raises
    ------
    SroiInputError
        For a missing file or column, a badly written year, a non-positive deflator or a
        repeated year.

    References
    ----------
    HM Treasury, *GDP deflators at market prices, and money GDP* (quarterly release);
    HM Treasury (2022), *The Green Book*, real prices.
    """
    p = Path(path) if path is not None else DATA_DIR / "gdp_deflators.csv"
    return _load_deflators_cached(str(p.resolve())).copy()


def price_factor(price_year: str, base_year: str, deflators: pd.Series) -> float:
    """Multiplier converting ``price_year`` prices to ``base_year`` prices.

    Parameters
    ----------
    price_year
        Financial year the amount is in, e.g. ``2022-23``.
    base_year
        Financial year to convert to.
    deflators
        GDP deflators by financial year (:func:`load_deflators`).

    Returns
    -------
    float
        ``deflator[base_year] / deflator[price_year]``.

    Raises
    ------
    SroiInputError
        If either year is not in the table.

    References
    ----------
    HM Treasury (2022), *The Green Book*: costs and benefits in real prices of one base year.
    """
    for fy, role in ((price_year, "price year"), (base_year, "base price year")):
        if fy not in deflators.index:
            raise SroiInputError(
                f"{role} {fy!r} is not in the GDP deflator table (covers "
                f"{deflators.index[0]} to {deflators.index[-1]}); add the year to the table or "
                "choose a covered year"
            )
    return float(deflators[base_year] / deflators[price_year])


@lru_cache(maxsize=16)
def _load_discount_cached(path: str) -> pd.DataFrame:
    p = Path(path)
    df = _read_csv(p, "discount rate", ["from_year", "to_year", "standard", "health"])
    for c in df.columns:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    if df.isna().any().any():
        raise SroiInputError(f"{p}: discount table has blank or non-numeric cells")
    df = df.sort_values("from_year").reset_index(drop=True)
    if df["from_year"].iloc[0] != 0 or not np.array_equal(
        df["from_year"].to_numpy()[1:], df["to_year"].to_numpy()[:-1] + 1
    ):
        raise SroiInputError(f"{p}: year bands must start at 0 and be contiguous")
    if ((df[["standard", "health"]] < 0) | (df[["standard", "health"]] >= 100)).any().any():
        raise SroiInputError(f"{p}: rates are percent a year and must be in [0, 100)")
    return df


def load_discount_table(path: str | Path | None = None) -> pd.DataFrame:
    """Discount-rate bands (``from_year, to_year, standard, health`` in percent).

    Parameters
    ----------
    path
        A replacement table. Default: ``sroi/value/data/discount_rates.csv``.

    Returns
    -------
    pandas.DataFrame
        Contiguous year bands starting at 0, sorted by ``from_year``.

    Raises
    ------
    SroiInputError
        For a missing file or column, blank cells, gaps between bands or rates outside
        [0, 100).

    References
    ----------
    HM Treasury (2022), *The Green Book*, Annex A6 (the declining long-term schedule and the
    health discount rate).
    """
    p = Path(path) if path is not None else DATA_DIR / "discount_rates.csv"
    return _load_discount_cached(str(p.resolve())).copy()


def discount_factors(
    n_years: int,
    schedule: str = "standard",
    *,
    table: pd.DataFrame | None = None,
    convention: str = "start",
    constant_rate: float | None = None,
) -> np.ndarray:
    """Discount factors for appraisal years ``0..n_years-1``.

    ``D_t = prod_{s=1..t} 1/(1 + r(s))`` (``convention='start'``: year 0 undiscounted), or
    ``D_t = prod_{s=1..t+1} 1/(1 + r(s))`` (``'end'``). ``r(s)`` is taken from the band that
    contains year ``s`` (Green Book declining schedule; factors compound across bands).

    Parameters
    ----------
    n_years
        Number of appraisal years.
    schedule
        ``"standard"`` (3.5% for years 0-30, ...) or ``"health"`` (1.5%, ...; values
        measured in QALYs or WELLBYs only).
    table
        Rate bands (default: :func:`load_discount_table`).
    convention
        ``"start"`` (Green Book) or ``"end"``.
    constant_rate
        A proportion (e.g. 0.035) replacing the schedule, for sensitivity analysis.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_years,)``.

    Raises
    ------
    SroiInputError
        For a negative ``n_years`` or an unknown schedule or convention.

    References
    ----------
    HM Treasury (2022), *The Green Book*, Annex A6: discounting.
    """
    n_years = check_int(n_years, "n_years", minimum=0)
    check_choice(schedule, ("standard", "health"), "schedule")
    check_choice(convention, ("start", "end"), "convention")
    shift = 0 if convention == "start" else 1
    years = np.arange(1, n_years + shift)
    if constant_rate is not None:
        rates = np.full(years.shape, float(constant_rate))
    else:
        tab = load_discount_table() if table is None else table
        idx = np.searchsorted(tab["to_year"].to_numpy(), years, side="left")
        idx = np.minimum(idx, len(tab) - 1)
        rates = tab[schedule].to_numpy(dtype=float)[idx] / 100.0
    cum = np.concatenate([[1.0], np.cumprod(1.0 / (1.0 + rates))])
    return cum[shift : shift + n_years]
