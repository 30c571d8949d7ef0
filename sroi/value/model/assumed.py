"""Assumed effects (Greater Manchester CBA model) and modelled conversion chains.

* An assumed effect avoids ``cohort x engagement x success x (1 - deadweight)`` events a year
  (HM Treasury / New Economy, 2014); ``success_rate`` is the improvement in the desired
  direction, so there is no sign flip.
* A conversion step values ``rate`` events of a later step per event of its source outcome;
  it is tagged ``modelled`` and kept out of the headline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from sroi.errors import SroiInputError
from sroi.value.config import AssumedEffect, ConversionStep
from sroi.value.model.compiled import Group
from sroi.value.model.context import CompileContext
from sroi.value.model.lines import BenefitPeriod, benefit_years, cost_lines, persistence
from sroi.value.model.parts import Part
from sroi.value.model.register import assumption

__all__ = ["assumed_part", "conversion_part"]


def _assumed_group(
    ctx: CompileContext, a: AssumedEffect, name: str, drop: float, period: BenefitPeriod
) -> Group:
    A = ctx.valuation.adjustments
    cohort = ctx.cohort.size
    scale_cohort = a.cohort / cohort if a.cohort is not None and a.cohort != cohort else 1.0
    lag = a.lag_years if a.lag_years is not None else A.lag_years
    return Group(
        name=name,
        basis="assumed",
        effect=a.success_rate * a.engagement_rate * (1 - a.deadweight),
        unit=scale_cohort,
        effect_se=math.nan,
        effect_draws=None,
        deadweight=0.0,
        displacement=float(a.displacement if a.displacement is not None else A.displacement),
        attribution=float(a.attribution if a.attribution is not None else A.attribution),
        drop_off=drop,
        lag=int(lag),
        observed_years=1 if a.effect_period == "year" else 0,
        weights=np.ones(ctx.T),
        total=a.effect_period == "total",
        W=period.weights(ctx.T),
        engagement=a.engagement_rate,
        success=a.success_rate,
        gm_deadweight=a.deadweight,
        success_low=a.success_low,
        success_high=a.success_high,
    )


def assumed_part(ctx: CompileContext, a: AssumedEffect) -> Part:
    """The group, lines and register entries of one ``valuation.assumed_effects`` entry.

    Raises
    ------
    SroiInputError
        If no unit-cost rows value the outcome.
    """
    name = ctx.name_of(a.outcome)
    where = f"valuation.assumed_effects[{a.outcome}]"
    ids = ctx.cost_rows_for(a.outcome, a.costs, where)
    if not ids:
        raise SroiInputError(
            f"{where}: no unit-cost rows for outcome {a.outcome!r}; list cost ids in {where}.costs"
        )
    A = ctx.valuation.adjustments
    drop, drop_src = persistence(a, A, None)
    period = benefit_years(ctx, a, where)
    g = _assumed_group(ctx, a, name, drop, period)
    register = [
        assumption(f"engagement:{name}", a.engagement_rate, "proportion", a.source, "assumed"),
        assumption(
            f"success:{name}",
            a.success_rate,
            f"events per engaged participant per {a.effect_period}",
            a.source,
            "assumed",
        ),
        assumption(f"gm_deadweight:{name}", a.deadweight, "proportion", a.source, "assumed"),
        assumption(f"drop_off:{name}", drop, "proportion a year", drop_src, "adjustment"),
        assumption(
            f"benefit_years:{name}",
            float(ctx.cohort.school_shares @ period.years),
            "years per participant (average)",
            period.source,
            "period",
        ),
    ]
    cohort = ctx.cohort.size
    notes = period.notes
    if a.cohort is not None and a.cohort != cohort:
        notes += (f"{name}: assumed effect applies to {a.cohort} of {cohort} participants",)
    return Part(
        groups=(g,),
        lines=tuple(cost_lines(ctx, g, name, ids, "assumed")),
        assumptions=tuple(register),
        warnings=period.warnings,
        notes=notes,
    )


def conversion_part(ctx: CompileContext, c: ConversionStep, groups: Mapping[str, Group]) -> Part:
    """The modelled lines of one conversion step (skipped when its source is not valued)."""
    src = ctx.name_of(c.from_outcome)
    where = f"valuation.conversions[{c.name}]"
    if src not in groups:
        return Part(
            excluded=(
                {"outcome": c.name, "reason": f"conversion from {src!r}, which is not valued"},
            ),
            warnings=(f"{where}: source outcome {src!r} is not valued, so the step is skipped",),
        )
    ids = ctx.cost_rows_for(c.name, c.costs, where)
    lines = cost_lines(ctx, groups[src], c.name, ids, "modelled", conversion=(c.name, c.rate))
    record = assumption(
        f"conversion:{c.name}",
        c.rate,
        f"events per {src} event",
        c.rate_source,
        "modelled",
        "kept out of the headline",
    )
    return Part(
        lines=tuple(lines),
        assumptions=(record,),
        conversions={c.name: (c.rate, c.low, c.high)},
    )
