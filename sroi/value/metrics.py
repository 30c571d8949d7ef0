"""Headline value-for-money arithmetic: NPV, SROI ratio, ROIs and payback (pure functions).

Definitions (Greater Manchester CBA model, HM Treasury 2014; Social Value UK SROI guide 2012;
HM Treasury Green Book 2022):

* public value benefits ``B`` = PV of fiscal (cashable + non-cashable), economic and social
  value of *observed* (estimated) and *assumed* effects; transfers are shown but are not public
  value (a line can be fiscal to its agency and a transfer overall, e.g. a benefit payment: it
  counts in the fiscal and cashable figures, not in ``B``); *modelled* values (reached only
  through a conversion chain) are kept out;
* ``NPV = B - C`` with ``C`` the PV of programme costs (optimism bias included);
* SROI ratio = public value ROI = ``B / C``; financial ROI = ``B_fiscal / C``; cashable ROI =
  ``B_cashable / C`` (``nan`` when ``C <= 0``);
* payback period: the first time cumulative discounted fiscal benefits reach cumulative
  discounted costs, with each year's costs incurred at its start and its benefits accruing
  evenly through the year (linear interpolation inside the year).

Discount factors themselves live in :mod:`sroi.value.prices`.
"""

from __future__ import annotations

import math

import numpy as np

from sroi.errors import SroiInputError

__all__ = [
    "FISCAL_TYPES",
    "HEADLINE_BASES",
    "PUBLIC_VALUE_TYPES",
    "headline",
    "payback_period",
]

#: Value types that count as public value (transfers do not).
PUBLIC_VALUE_TYPES = ("fiscal_cashable", "fiscal_non_cashable", "economic", "social")
#: Value types that count as fiscal (budget) benefits.
FISCAL_TYPES = ("fiscal_cashable", "fiscal_non_cashable")
#: Bases of value that enter the headline (``modelled`` values are shown only).
HEADLINE_BASES = ("observed", "assumed")


def payback_period(benefits: np.ndarray, costs: np.ndarray) -> float:
    """Years until cumulative benefits reach cumulative costs.

    Costs of year ``t`` are incurred at its start; benefits accrue evenly during it, so the
    payback time inside year ``t`` is ``t + deficit_t / b_t`` with
    ``deficit_t = sum_{u<=t} c_u - sum_{u<t} b_u``.

    Parameters
    ----------
    benefits
        Discounted benefits by appraisal year (the headline uses fiscal benefits).
    costs
        Discounted costs by appraisal year, the same length.

    Returns
    -------
    float
        The payback time in years from the start of year 0, or ``nan`` if the costs are never
        recovered within the period (or there are no costs).

    Raises
    ------
    SroiInputError
        If the two arrays differ in length.

    References
    ----------
    HM Treasury / New Economy (2014), *Supporting public service transformation: cost benefit
    analysis guidance for local partnerships* (payback period).
    """
    b = np.asarray(benefits, dtype=float)
    c = np.asarray(costs, dtype=float)
    if b.shape != c.shape:
        raise SroiInputError("benefits and costs must have the same number of years")
    if c.sum() <= 0:
        return math.nan
    deficit = np.cumsum(c) - np.concatenate([[0.0], np.cumsum(b)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(b > 0, deficit / b, np.inf)
    # earliest year with the deficit paid off by the end of that year (frac <= 1), counted
    # only once costs have started
    ok = ((deficit <= 0) | (frac <= 1.0)) & (np.cumsum(c) > 0)
    if not ok.any():
        return math.nan
    t = int(np.flatnonzero(ok)[0])
    return float(t + max(0.0, frac[t]) if deficit[t] > 0 else t)


def headline(
    pv_lines: np.ndarray,
    pv_costs: np.ndarray,
    value_types: np.ndarray,
    bases: np.ndarray,
    *,
    transfers: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Headline figures for many parameter sets at once.

    Parameters
    ----------
    pv_lines
        Present values of the valued lines, shape ``(n, L)`` (one row per parameter set).
    pv_costs
        Present values of programme costs, shape ``(n,)``.
    value_types
        Value type of each line, shape ``(L,)`` (see :data:`PUBLIC_VALUE_TYPES`).
    bases
        Basis of each line (``observed``, ``assumed`` or ``modelled``), shape ``(L,)``; only
        :data:`HEADLINE_BASES` enter the headline.
    transfers
        Whether each line is a transfer overall, shape ``(L,)`` (default: none is): such a line
        counts in the fiscal and cashable figures of its value type but not in public value.

    Returns
    -------
    dict of str to numpy.ndarray
        ``pv_benefits`` (public value), ``pv_fiscal``, ``pv_cashable``, ``pv_costs``, ``npv``,
        ``sroi_ratio``, ``financial_roi``, ``cashable_roi``, each of shape ``(n,)``.

    References
    ----------
    Social Value UK (2012), *A Guide to Social Return on Investment*; HM Treasury / New
    Economy (2014), Greater Manchester CBA model (public value, fiscal and cashable ROI).
    """
    vt = np.asarray(value_types)
    head = np.isin(np.asarray(bases), HEADLINE_BASES)
    moved = np.zeros(vt.shape, dtype=bool) if transfers is None else np.asarray(transfers, bool)
    pub = pv_lines[:, head & np.isin(vt, PUBLIC_VALUE_TYPES) & ~moved].sum(axis=1)
    fis = pv_lines[:, head & np.isin(vt, FISCAL_TYPES)].sum(axis=1)
    cash = pv_lines[:, head & (vt == "fiscal_cashable")].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(pv_costs > 0, pub / pv_costs, np.nan)
        fin = np.where(pv_costs > 0, fis / pv_costs, np.nan)
        cashr = np.where(pv_costs > 0, cash / pv_costs, np.nan)
    return {
        "pv_benefits": pub,
        "pv_fiscal": fis,
        "pv_cashable": cash,
        "pv_costs": pv_costs,
        "npv": pub - pv_costs,
        "sroi_ratio": ratio,
        "financial_roi": fin,
        "cashable_roi": cashr,
    }
