"""The assumptions register: one record per parameter, with its value, unit, source and grade.

The register lists every number the valuation rests on (SROI guide, Social Value UK 2012:
"be transparent"; HM Treasury Green Book 2022: record assumptions and their sources).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sroi.value.costs.grades import grades_status
from sroi.value.model.compiled import Line
from sroi.value.model.context import CompileContext
from sroi.value.price_years import parse_price_year
from sroi.value.prices import basis_of, price_factor, uprating_note

__all__ = [
    "GRADE_TABLE_SOURCE",
    "REGISTER_COLUMNS",
    "assumption",
    "confidence_grades_record",
    "settings_register",
    "unit_cost_register",
    "uprating_record",
]

#: Columns of the assumptions register.
REGISTER_COLUMNS = ["parameter", "value", "unit", "source", "confidence", "note"]


def assumption(
    name: str, value: Any, unit: str, source: str, confidence: str, note: str = ""
) -> dict[str, Any]:
    """One register record (numpy scalars become Python numbers)."""
    if isinstance(value, np.generic):
        value = value.item()
    return {
        "parameter": name,
        "value": value,
        "unit": unit,
        "source": source,
        "confidence": confidence,
        "note": note,
    }


def unit_cost_register(ctx: CompileContext, lines: Sequence[Line]) -> list[dict[str, Any]]:
    """One record per unit cost used, in the order of the cost table."""
    base = ctx.base
    order = list(base.index)
    used = sorted({ln.cost_id for ln in lines}, key=order.index)
    out = []
    defl = ctx.prices.deflators
    base_year = ctx.valuation.price_year
    for cid in used:
        r = base.loc[cid]
        out.append(
            assumption(
                f"cost:{cid}",
                float(r["amount_base"]),
                f"GBP {base_year} prices, {r['unit'] or r['basis']}",
                str(r["source"]),
                f"grade {r['confidence']}",
                f"{r['description']}; {r['amount']:,.2f} in {r['price_year']} prices x "
                f"{r['factor']:.6f}; confidence reduction {float(r['grade_reduction']):.0%}",
            )
        )
        out.append(uprating_record(f"uprating:{cid}", r["price_year"], base_year, defl))
    return out


def uprating_record(name: str, price_year: str, base_year: str, defl: pd.Series) -> dict[str, Any]:
    """Register record of one uprating: the factor, the deflator series and the arithmetic."""
    vintage = defl.attrs.get("vintage", "")
    return assumption(
        name,
        price_factor(price_year, base_year, defl),
        f"price factor {price_year} -> {base_year}",
        str(defl.attrs.get("source", "GDP deflator")) + (f"; vintage {vintage}" if vintage else ""),
        "setting",
        f"{basis_of(defl)}-year GDP deflator: {uprating_note(price_year, base_year, defl)}",
    )


def settings_register(ctx: CompileContext) -> list[dict[str, Any]]:
    """Records of the appraisal settings: price year, period, cohort, discounting, optimism bias."""
    V = ctx.valuation
    starts = ctx.cohort.starts
    return [
        assumption(
            "price_year",
            V.price_year,
            f"{parse_price_year(V.price_year).kind} year",
            "valuation.price_year",
            "setting",
            "a financial year Y-(Y+1) from calendar-year deflators is 0.75 x D(Y) + 0.25 x D(Y+1)",
        ),
        assumption("appraisal_years", ctx.T, "years", "valuation", "setting"),
        assumption(
            "cohort_size",
            ctx.cohort.size,
            "participants",
            "spec",
            "setting",
            f"starts by year {starts[starts > 0].astype(int).tolist()}",
        ),
        assumption(
            "remaining_school_years", ctx.cohort.school_years, "years", "valuation", "setting"
        ),
        assumption(
            "discount",
            V.discount.constant_rate
            if V.discount.constant_rate is not None
            else "Green Book STPR schedule",
            "rate",
            "HM Treasury Green Book (2022)",
            "setting",
            "year 0 undiscounted; year t discounted by t years (costs and benefits)",
        ),
        assumption("optimism_bias.costs", V.optimism_bias.costs, "uplift", "valuation", "setting"),
        confidence_grades_record(ctx.prices.grades, V.optimism_bias.benefits_by_confidence),
    ]


#: Where a council finds a sourced grade table (the shipped one is illustrative).
GRADE_TABLE_SOURCE = (
    "the confidence-grade table of the Greater Manchester CBA model's current technical "
    "specification (HM Treasury / New Economy CBA guidance for local partnerships), or the "
    "council's own appraisal policy, given with valuation.confidence_grades"
)


def confidence_grades_record(grades: pd.DataFrame, applied: bool) -> dict[str, Any]:
    """Register record of the confidence-grade scale: its cuts, status and source.

    Parameters
    ----------
    grades
        The scale (:func:`sroi.value.load_confidence_grades`).
    applied
        Whether the grades cut benefits (``optimism_bias.benefits_by_confidence``).

    Returns
    -------
    dict
        A register record whose ``confidence`` is the scale's status (``illustrative`` for the
        shipped scale) and whose note says what a council would use instead.
    """
    status = grades_status(grades)
    cuts = "; ".join(f"{g}: {r:.0%}" for g, r in grades["benefit_reduction"].items())
    sources = "; ".join(dict.fromkeys(str(x) for x in grades["source"] if str(x)))
    note = (
        "applied to the benefits of each unit cost by its grade"
        if applied
        else "not applied (benefits_by_confidence is off)"
    )
    if status == "illustrative":
        note += (
            "; ILLUSTRATIVE percentages, not a published table: the Unit Cost Database v1.2 "
            "Guidance sheet gives only the range (0% to 40%, by quality, source and age of the "
            f"data); use {GRADE_TABLE_SOURCE}"
        )
    return assumption(
        "confidence_grades", cuts, "benefit reduction by grade", sources, status, note
    )
