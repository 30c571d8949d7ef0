"""Valued lines: one effect group costed with unit-cost rows, and the periods that shape them.

* :func:`cost_lines`: one :class:`Line` per unit-cost row, with its cohort matrix and discount
  factors (the health schedule only for rows measured in QALYs or WELLBYs, HM Treasury Green
  Book 2022, Annex A6);
* :func:`persistence`: the drop-off rate and its source;
* :func:`benefit_years`: benefit years per participant type, capped at the years left in school.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.value.config import Adjustments, AssumedEffect, OutcomeValuation
from sroi.value.model.compiled import Group, Line
from sroi.value.model.context import CompileContext
from sroi.value.model.kernels import cohort_matrix, pupil_kernel

__all__ = ["BenefitPeriod", "benefit_years", "cost_lines", "persistence"]


def cost_lines(
    ctx: CompileContext,
    group: Group,
    outcome: str,
    ids: list[str],
    basis: str,
    conversion: tuple[str, float] | None = None,
) -> list[Line]:
    """One line per cost id for the effect ``group``.

    Parameters
    ----------
    ctx
        The compile context.
    group
        The effect group driving the lines (its ``W`` gives the benefit-period weights).
    outcome
        Outcome (or conversion step) name shown on the lines.
    ids
        Unit-cost ids.
    basis
        ``observed``, ``assumed`` or ``modelled``.
    conversion
        ``(step name, rate)`` for a modelled conversion step.

    Returns
    -------
    list of Line

    Raises
    ------
    SroiInputError
        For a cost lasting the 'remaining' school years when those are not set.
    """
    base = ctx.base
    T = ctx.T
    cohort = ctx.cohort
    R = cohort.school_years
    by_confidence = ctx.valuation.optimism_bias.benefits_by_confidence
    out = []
    for cid in ids:
        r = base.loc[cid]
        if r["basis"] == "per_annum" and np.isinf(r["duration_years"]) and R is None:
            raise SroiInputError(
                f"cost {cid!r} lasts the 'remaining' school years but "
                "valuation.remaining_school_years is not set; set it or give a number of years"
            )
        K = pupil_kernel(
            T,
            r["basis"],
            float(r["duration_years"]),
            group.W,
            cohort.school_shares,
            None if R is None else cohort.school_values,
        )
        M = cohort_matrix(K, cohort.starts)
        measure = str(r["measure"])
        D = ctx.prices.discount["health" if measure in ("QALY", "WELLBY") else "standard"]
        out.append(
            Line(
                key=f"{outcome}/{cid}",
                outcome=outcome,
                group=group.name,
                cost_id=cid,
                library=str(r["library"]),
                transfer=bool(r["transfer"]),
                description=str(r["description"]),
                agency=str(r["agency"]),
                value_type=str(r["value_type"]),
                category=str(r["category"]),
                measure=measure,
                basis=basis,
                scalar=1.0,
                amount=float(r["amount"]),
                price_factor=float(r["factor"]),
                grade_reduction=float(r["grade_reduction"]) if by_confidence else 0.0,
                conversion=conversion[0] if conversion else None,
                conversion_rate=conversion[1] if conversion else 1.0,
                M=M,
                G=M @ D,
                D=D,
            )
        )
    return out


def persistence(
    ov: OutcomeValuation | AssumedEffect, adjustments: Adjustments, effect: Effect | None
) -> tuple[float, str]:
    """Drop-off rate of an effect and where it comes from.

    The outcome's own ``drop_off``, else ``valuation.adjustments.drop_off``, else the event
    study's ``Effect.extra['drop_off']``, else 1.0 (no persistence beyond the observed period;
    conservative).

    Raises
    ------
    SroiInputError
        For an event-study drop-off outside [0, 1].
    """
    if ov.drop_off is not None:
        return float(ov.drop_off), "valuation.outcomes[].drop_off"
    if adjustments.drop_off is not None:
        return float(adjustments.drop_off), "valuation.adjustments.drop_off"
    if effect is not None and isinstance(effect.extra, dict) and "drop_off" in effect.extra:
        v = float(effect.extra["drop_off"])
        if not 0 <= v <= 1:
            raise SroiInputError(
                f"Effect for {effect.outcome!r}: extra['drop_off'] must be in [0, 1] (got {v})"
            )
        return v, "event study (Effect.extra['drop_off'])"
    return 1.0, "default: no persistence beyond the observed period"


@dataclass(frozen=True)
class BenefitPeriod:
    """Benefit years per participant type (aligned with the school-years types), and why."""

    years: np.ndarray
    source: str
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def weights(self, horizon: int) -> np.ndarray:
        """``W[i, k] = clip(B_i - k, 0, 1)``, shape ``(types, horizon)``."""
        return np.clip(self.years[:, None] - np.arange(horizon)[None, :], 0.0, 1.0)


def benefit_years(
    ctx: CompileContext, ov: OutcomeValuation | AssumedEffect, where: str
) -> BenefitPeriod:
    """Benefit years of an outcome per participant type.

    In school (``in_school``, the default) and with ``remaining_school_years`` set, the benefit
    lasts the years left in school, or ``benefit_years`` capped at them (a longer period needs
    ``benefit_years_source``). Without either, the observed period.
    """
    c = ctx.cohort
    R, R_vals, R_p = c.school_years, c.school_values, c.school_shares
    by = ov.benefit_years
    if ov.in_school and R is not None:
        if by is None:
            return BenefitPeriod(
                R_vals.copy(), "remaining years in school (valuation.remaining_school_years)"
            )
        if ov.benefit_years_source:
            return BenefitPeriod(np.full(R_vals.shape, float(by)), ov.benefit_years_source)
        capped = R_vals < by
        if capped.any():
            warning = (
                f"{where}: benefit_years {by:g} capped at the remaining years in school for "
                f"{R_p[capped].sum():.0%} of participants (average {R:.2f} years; give "
                "benefit_years_source to justify a longer period)"
            )
            return BenefitPeriod(
                np.minimum(R_vals, by), "capped at remaining years in school", (warning,)
            )
        return BenefitPeriod(np.full(R_vals.shape, float(by)), "valuation")
    if by is None:
        m = float(getattr(ov, "observed_years", 1) or 1)
        note = (
            f"{where}: no benefit_years and no remaining_school_years: benefit period = "
            f"{m:g} year(s)"
        )
        return BenefitPeriod(np.full(R_vals.shape, m), "default: observed period", notes=(note,))
    return BenefitPeriod(np.full(R_vals.shape, float(by)), ov.benefit_years_source or "valuation")
