"""Programme (investment) costs: price base, optimism bias and the register.

Optimism bias (HM Treasury Green Book, 2022; Greater Manchester CBA model, 2014) uplifts cost
estimates; costs already spent and measured (``spent: true``) get none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from sroi.errors import SroiInputError
from sroi.value.config import DeliveryCost
from sroi.value.model.context import CompileContext
from sroi.value.model.parts import Part
from sroi.value.model.register import assumption, uprating_record
from sroi.value.prices import price_factor

__all__ = ["DELIVERY_COLUMNS", "delivery_costs"]

#: Columns of :attr:`sroi.value.model.CompiledModel.delivery`.
DELIVERY_COLUMNS = [
    "year",
    "description",
    "agency",
    "in_kind",
    "spent",
    "amount_base",
    "uplift",
    "low_base",
    "high_base",
    "source",
]


def _uplift(ctx: CompileContext, d: DeliveryCost, where: str) -> float:
    ob = ctx.valuation.optimism_bias
    if d.spent:
        return 0.0
    if d.optimism_bias is not None:
        return float(d.optimism_bias)
    if d.project_type is not None:
        if d.project_type not in ob.by_project_type:
            raise SroiInputError(
                f"{where}: project_type {d.project_type!r} has no uplift in "
                "valuation.optimism_bias.by_project_type "
                f"(known: {sorted(ob.by_project_type)})"
            )
        return float(ob.by_project_type[d.project_type])
    return float(ob.costs)


def _row(ctx: CompileContext, i: int, d: DeliveryCost) -> tuple[dict[str, Any], dict[str, Any]]:
    """One delivery-cost row in base prices and its register record."""
    V = ctx.valuation
    where = f"programme.delivery_costs[{i}]"
    if d.year >= ctx.T:
        raise SroiInputError(
            f"{where}: year {d.year} is beyond the appraisal period "
            f"(valuation.appraisal_years = {ctx.T})"
        )
    factor = price_factor(d.price_year, V.price_year, ctx.prices.deflators) if d.price_year else 1.0
    uplift = _uplift(ctx, d, where)
    row = {
        "year": d.year,
        "description": d.description,
        "agency": d.agency,
        "in_kind": d.in_kind,
        "spent": d.spent,
        "amount_base": d.amount * factor,
        "uplift": uplift,
        "low_base": (d.low if d.low is not None else d.amount) * factor,
        "high_base": (d.high if d.high is not None else d.amount) * factor,
        "source": d.source,
    }
    record = assumption(
        f"delivery:{i}",
        d.amount * factor,
        f"GBP {V.price_year} prices, year {d.year}",
        d.source,
        "spent (outturn)" if d.spent else "estimate",
        f"{d.description}; optimism bias uplift {uplift:.0%}" + ("; in kind" if d.in_kind else ""),
    )
    return row, record


def _uprating(ctx: CompileContext, costs: Sequence[DeliveryCost]) -> list[dict[str, Any]]:
    """One register record per price year of the delivery costs that is not the base year."""
    V = ctx.valuation
    years = sorted({d.price_year for d in costs if d.price_year and d.price_year != V.price_year})
    return [
        uprating_record(f"uprating:delivery {py}", py, V.price_year, ctx.prices.deflators)
        for py in years
    ]


def delivery_costs(ctx: CompileContext, costs: Sequence[DeliveryCost]) -> tuple[pd.DataFrame, Part]:
    """Delivery-cost lines in base-year prices with their optimism-bias uplift.

    Returns
    -------
    pandas.DataFrame, Part
        The lines (columns :data:`DELIVERY_COLUMNS`) and their register records (with a
        warning when there are none: the SROI ratio is then undefined).

    Raises
    ------
    SroiInputError
        For a cost beyond the appraisal period or an unknown ``project_type``.
    """
    pairs = [_row(ctx, i, d) for i, d in enumerate(costs)]
    table = pd.DataFrame([row for row, _ in pairs], columns=DELIVERY_COLUMNS)
    warnings: tuple[str, ...] = ()
    if table.empty:
        warnings = (
            "no programme delivery costs (programme.delivery_costs): the SROI ratio is undefined",
        )
    records = [rec for _, rec in pairs] + _uprating(ctx, costs)
    return table, Part(assumptions=tuple(records), warnings=warnings)
