"""Price base and discounting tables (HM Treasury Green Book, 2022).

* :func:`load_deflators` reads a GDP deflator index labelled by CALENDAR years (the shipped HM
  Treasury series) or by financial years (if a file says so; never relabelled);
  :func:`price_factor` gives the multiplier from one price year's prices to another's:
  ``factor = deflator(base) / deflator(price_year)``. A price year of the other kind is
  converted explicitly (:func:`deflator_terms`): financial year ``Y-(Y+1)`` from calendar
  years = ``0.75 x D(Y) + 0.25 x D(Y+1)`` (nine months of ``Y``, three of ``Y+1``).
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
from sroi.value.hmt_deflators import load_hmt_deflators
from sroi.value.price_years import PriceYear, deflator_series, parse_price_year

__all__ = [
    "DATA_DIR",
    "basis_of",
    "deflator_terms",
    "deflator_value",
    "load_deflators",
    "price_factor",
    "uprating_note",
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
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return load_hmt_deflators(p)
    if not p.exists():
        raise SroiInputError(f"{p}: GDP deflator file not found")
    df = pd.read_csv(p, comment="#", skip_blank_lines=True, dtype=str)
    df.columns = [str(c).strip().lower() for c in df.columns]
    kinds = [k for k in ("calendar_year", "financial_year") if k in df.columns]
    if len(kinds) != 1 or "deflator" not in df.columns:
        raise SroiInputError(
            f"{p}: the GDP deflator table needs columns calendar_year,deflator (calendar years, "
            "e.g. 2024) or financial_year,deflator (financial years, e.g. 2024-25)"
        )
    meta = read_metadata(p)
    return deflator_series(
        df[kinds[0]].tolist(),
        pd.to_numeric(df["deflator"], errors="coerce").tolist(),
        kind=kinds[0].split("_")[0],
        where=str(p),
        vintage=meta.get("vintage", ""),
        source=meta.get("source", str(p)),
    )


def load_deflators(path: str | Path | None = None) -> pd.Series:
    """GDP deflator index by price year (calendar years, or financial years if the file says so).

    Parameters
    ----------
    path
        A CSV with columns ``calendar_year, deflator`` or ``financial_year, deflator``
        (``# source:`` and ``# vintage:`` header lines are kept), or an HM Treasury workbook
        (.xlsx, see :func:`sroi.value.hmt_deflators.load_hmt_deflators`). Default: the shipped
        HM Treasury GDP deflator at market prices, CALENDAR years 1990-2024, 2024 = 100,
        December 2025 Quarterly National Accounts (``sroi/value/data/gdp_deflator.csv``).

    Returns
    -------
    pandas.Series
        Deflator values indexed by ``2024``-style labels (calendar) or ``2024-25``-style labels
        (financial); ``attrs`` holds ``basis``, ``vintage`` and ``source``.

    Raises
    ------
    SroiInputError
        For a missing file or column, a year of the other kind or badly written, a
        non-positive deflator or a repeated year.

    References
    ----------
    HM Treasury, *GDP deflators at market prices, and money GDP* (quarterly release);
    HM Treasury (2022), *The Green Book*, real prices.
    """
    p = Path(path) if path is not None else DATA_DIR / "gdp_deflator.csv"
    cached = _load_deflators_cached(str(p.resolve()))
    out = cached.copy()
    out.attrs = dict(cached.attrs)
    return out


def basis_of(deflators: pd.Series) -> str:
    """``"calendar"`` or ``"financial"``: the kind of year the series is labelled with."""
    return parse_price_year(deflators.index[0]).kind


def deflator_terms(price_year: str, deflators: pd.Series) -> list[tuple[str, float]]:
    """The deflator years and weights that give the index of ``price_year``.

    Same kind as the series: the year itself, weight 1. A financial year ``Y-(Y+1)`` from a
    calendar-year series: ``0.75 x D(Y) + 0.25 x D(Y+1)`` (April-December of ``Y`` is nine
    months of the financial year, January-March of ``Y+1`` three). A calendar year ``Y``
    from a financial-year series: ``0.25 x D((Y-1)-Y) + 0.75 x D(Y-(Y+1))``. The
    month-weighted average approximates the official series of the other kind (HM Treasury
    builds both from quarterly data); state price years in the series' own kind to avoid it.

    Raises
    ------
    SroiInputError
        For a badly written price year, or when a year needed is not in the series.
    """
    try:
        py = parse_price_year(price_year)
    except ValueError as exc:
        raise SroiInputError(str(exc)) from None
    basis = basis_of(deflators)
    if py.kind == basis:
        terms = [(py.label, 1.0)]
    elif basis == "calendar":
        terms = [(str(py.year), 0.75), (str(py.year + 1), 0.25)]
    else:
        terms = [
            (PriceYear("financial", py.year - 1).label, 0.25),
            (PriceYear("financial", py.year).label, 0.75),
        ]
    missing = [y for y, _ in terms if y not in deflators.index]
    if missing:
        how = " + ".join(f"{w:g} x {y}" for y, w in terms)
        raise SroiInputError(
            f"price year {py.label} needs {basis} year(s) {', '.join(missing)} of the GDP "
            f"deflator ({py.label} = {how}); the series covers {deflators.index[0]} to "
            f"{deflators.index[-1]}: load a newer HM Treasury series (valuation.deflators) or "
            "choose a covered year"
        )
    return terms


def deflator_value(price_year: str, deflators: pd.Series) -> float:
    """Deflator index of a price year of either kind (see :func:`deflator_terms`)."""
    return float(sum(w * float(deflators[y]) for y, w in deflator_terms(price_year, deflators)))


def price_factor(price_year: str, base_year: str, deflators: pd.Series) -> float:
    """Multiplier converting ``price_year`` prices to ``base_year`` prices.

    Parameters
    ----------
    price_year
        The year the amount is in: a calendar year (``2013``) or a financial year
        (``2013-14``).
    base_year
        The year to convert to (either kind).
    deflators
        GDP deflators (:func:`load_deflators`).

    Returns
    -------
    float
        ``deflator(base_year) / deflator(price_year)``, each converted to the series' kind of
        year by :func:`deflator_terms` when needed.

    Raises
    ------
    SroiInputError
        If a year needed is not in the series, or a year is badly written.

    References
    ----------
    HM Treasury (2022), *The Green Book*: costs and benefits in real prices of one base year.
    """
    return deflator_value(base_year, deflators) / deflator_value(price_year, deflators)


def uprating_note(price_year: str, base_year: str, deflators: pd.Series) -> str:
    """How ``price_year`` prices become ``base_year`` prices, in words (for the register)."""

    def show(py: str) -> str:
        terms = deflator_terms(py, deflators)
        if len(terms) == 1:
            return f"{py} ({deflator_value(py, deflators):.4f})"
        parts = " + ".join(f"{w:g} x {deflators[y]:.4f} ({y})" for y, w in terms)
        return f"{py} ({parts} = {deflator_value(py, deflators):.4f})"

    factor = price_factor(price_year, base_year, deflators)
    return f"{show(base_year)} / {show(price_year)} = {factor:.6f}"


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
    constant_rate: float | None = None,
) -> np.ndarray:
    """Green Book discount factors for appraisal years ``0..n_years-1``.

    ``D_t = prod_{s=1..t} 1/(1 + r(s))``: year 0 (the present, the first year of delivery) is
    undiscounted, for costs and benefits alike, and a value in year ``t`` is discounted by
    ``t`` years (HM Treasury Green Book, 2022, Annex A6). ``r(s)`` is taken from the band that
    contains year ``s`` (the declining schedule; factors compound across bands). This is the
    only convention: Excel's ``NPV()`` discounts its first value by a whole year, so an NPV
    computed with it on these streams would be lower by a factor ``1/(1 + r)``.

    Parameters
    ----------
    n_years
        Number of appraisal years.
    schedule
        ``"standard"`` (3.5% for years 0-30, ...) or ``"health"`` (1.5%, ...; values
        measured in QALYs or WELLBYs only).
    table
        Rate bands (default: :func:`load_discount_table`).
    constant_rate
        A proportion (e.g. 0.035) replacing the schedule, for sensitivity analysis.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_years,)``.

    Raises
    ------
    SroiInputError
        For a negative ``n_years`` or an unknown schedule.

    References
    ----------
    HM Treasury (2022), *The Green Book*, Annex A6: discounting.
    """
    n_years = check_int(n_years, "n_years", minimum=0)
    check_choice(schedule, ("standard", "health"), "schedule")
    years = np.arange(1, n_years)
    if constant_rate is not None:
        rates = np.full(years.shape, float(constant_rate))
    else:
        tab = load_discount_table() if table is None else table
        idx = np.searchsorted(tab["to_year"].to_numpy(), years, side="left")
        idx = np.minimum(idx, len(tab) - 1)
        rates = tab[schedule].to_numpy(dtype=float)[idx] / 100.0
    cum = np.concatenate([[1.0], np.cumprod(1.0 / (1.0 + rates))])
    return cum[:n_years]
