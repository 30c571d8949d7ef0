"""Estimated effects: which outcomes are valued, and one effect group per valued outcome.

An effect ``e`` (per participant per period) becomes ``e * sign * q`` events per participant
per year (``q``: ``terms_per_year`` for a per-term binary or count outcome, times
``quantity_per_unit``), with displacement, attribution, drop-off and a benefit period (no
deadweight: an effect estimated against a comparison group is already net of it) (Social Value UK SROI guide, 2012; HM Treasury Green Book, 2022).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.value.config import OutcomeValuation
from sroi.value.model.compiled import Group
from sroi.value.model.context import CompileContext
from sroi.value.model.lines import BenefitPeriod, benefit_years, cost_lines, persistence
from sroi.value.model.parts import Part
from sroi.value.model.register import assumption

__all__ = ["check_assumed_not_estimated", "observed_part", "select_outcomes"]


def select_outcomes(
    ctx: CompileContext, effects: Mapping[str, Effect]
) -> tuple[list[OutcomeValuation], Part]:
    """Outcomes to value: ``valuation.outcomes``, else every effect with matching cost rows.

    Returns
    -------
    list of OutcomeValuation, Part
        The outcomes, and a part with a note (outcomes chosen by default) and the effects left
        out because they are not listed.
    """
    ov_list: list[OutcomeValuation] = list(ctx.valuation.outcomes)
    listed_names = {ctx.name_of(o.outcome) for o in ov_list}
    notes = []
    if not ov_list:
        for name in effects:
            if ctx.cost_rows_for(name, None, "effects"):
                ov_list.append(OutcomeValuation(outcome=name))
        if effects:
            notes.append(
                "valuation.outcomes not given: valuing every effect with matching cost rows ("
                + ", ".join(o.outcome for o in ov_list)
                + ")"
            )
    chosen = {o.outcome for o in ov_list}
    excluded = [
        {"outcome": name, "reason": "not listed in valuation.outcomes (not valued)"}
        for name in effects
        if name not in listed_names and name not in chosen
    ]
    return ov_list, Part(notes=tuple(notes), excluded=tuple(excluded))


def check_assumed_not_estimated(ctx: CompileContext, effects: Mapping[str, Effect]) -> None:
    """Refuse an assumed (engagement x success) effect on top of an estimated one.

    Raises
    ------
    SroiInputError
        If an outcome of ``valuation.assumed_effects`` also has an estimated effect.
    """
    for a in ctx.valuation.assumed_effects:
        nm = ctx.name_of(a.outcome)
        if nm in effects and not effects[nm].is_assumed:
            raise SroiInputError(
                f"valuation.assumed_effects: outcome {a.outcome!r} also has an effect estimated "
                "on the cohort; an assumed (engagement x success) effect must never be applied on "
                "top of an estimated ATT. Remove one of them."
            )


def _not_estimable(name: str, e: Effect) -> Part | None:
    """A part excluding an effect with no usable sampling distribution (or flagged), else None.

    An estimated effect with no standard error (or SE 0) and no draws, or flagged by the
    impact code (``extra['estimable'] is False``), is not valued as if it were known.
    """
    no_dist = e.draws is None and not (np.isfinite(e.std_error) and e.std_error > 0)
    flagged = isinstance(e.extra, dict) and e.extra.get("estimable") is False
    if not (flagged or (not e.is_assumed and no_dist)):
        return None
    why = (e.extra or {}).get("not_estimable_reason") if isinstance(e.extra, dict) else None
    why = why or "no standard error, e.g. a rare outcome"
    return Part(
        excluded=(
            {
                "outcome": name,
                "reason": "effect could not be estimated (flagged, or no standard error "
                "or draws); not valued as if known",
            },
        ),
        warnings=(
            f"{name}: the effect could not be estimated reliably ({why}); it is flagged "
            "and left out of the valuation",
        ),
    )


@dataclass(frozen=True)
class _Scale:
    """How an effect becomes events per participant per year."""

    unit: float  # sign x events per participant per year per unit of effect
    period: str  # term | year | total
    per_year: float
    direction: str
    notes: tuple[str, ...]


def _scale(ctx: CompileContext, ov: OutcomeValuation, e: Effect, name: str, where: str) -> _Scale:
    otype, odir, _ = ctx.outcome_info.get(name, (None, None, None))
    direction = ov.direction or odir
    if direction is None:
        raise SroiInputError(
            f"{where}: direction unknown for outcome {name!r}; it is not in "
            "design.outcomes, so set direction: increase|decrease"
        )
    notes = []
    if otype is None:
        otype = "binary"
        notes.append(
            f"{name}: outcome type unknown (not in design.outcomes); treated as a count of "
            "events (per-term effects are multiplied by terms_per_year)"
        )
    period = ov.effect_period or e.period or ("term" if otype in ("binary", "count") else "year")
    if period not in ("term", "year", "total"):
        raise SroiInputError(
            f"{name}: effect period {period!r} must be term, year or total; set "
            f"{where}.effect_period"
        )
    if e.scale != "difference":
        raise SroiInputError(
            f"{name}: the effect is on the {e.scale!r} scale; the value model needs a "
            "difference (change in events or rate per participant)"
        )
    terms = ctx.valuation.terms_per_year
    per_year = terms if (period == "term" and otype in ("binary", "count")) else 1.0
    sign = 1.0 if direction == "increase" else -1.0
    return _Scale(sign * per_year * ov.quantity_per_unit, period, per_year, direction, tuple(notes))


def _deadweight(
    ctx: CompileContext, ov: OutcomeValuation, e: Effect, name: str
) -> tuple[float, int, tuple[str, ...]]:
    """Deadweight, observed years (zero for an assumed record) and the warning if any.

    An effect estimated against a comparison group is already net of deadweight (what would
    have happened anyway) in every year it is valued, so its deadweight is zero; drop-off alone
    governs how it persists beyond the observed period (Social Value UK SROI guide, 2012).
    Only an :meth:`sroi.Effect.assumed` record keeps the deadweight, in every year.
    """
    dw = ov.deadweight if ov.deadweight is not None else ctx.valuation.adjustments.deadweight
    if e.is_assumed:
        return dw, 0, ()
    if dw > 0:
        return (
            0.0,
            ov.observed_years,
            (
                f"{name}: deadweight {dw:g} is not applied: the effect was estimated against a "
                "comparison group, which already nets out what would have happened anyway, in "
                "every year it is valued (drop-off alone governs persistence after the observed "
                "period)",
            ),
        )
    return 0.0, ov.observed_years, ()


def _register(
    ctx: CompileContext,
    ov: OutcomeValuation,
    e: Effect,
    g: Group,
    scale: _Scale,
    drop_src: str,
    period: BenefitPeriod,
) -> list[dict[str, Any]]:
    name = g.name
    src_eff = e.source or f"{e.method or 'estimate'} ({e.estimand})"
    adj = "valuation.adjustments"
    return [
        assumption(
            f"effect:{name}",
            e.estimate,
            f"{e.period or scale.period}",
            src_eff,
            "estimate",
            f"SE {e.std_error:.4g}" if np.isfinite(e.std_error) else "",
        ),
        assumption(
            f"events per unit effect:{name}",
            scale.unit,
            "per participant per year",
            ov.quantity_source or f"{scale.per_year:g} x {ov.quantity_per_unit:g} x sign",
            "conversion",
            f"direction {scale.direction}",
        ),
        assumption(
            f"deadweight:{name}",
            g.deadweight,
            "proportion",
            adj if e.is_assumed else "estimated against a comparison group",
            "adjustment",
            "every year" if e.is_assumed else "already net of deadweight (comparison group)",
        ),
        assumption(f"displacement:{name}", g.displacement, "proportion", adj, "adjustment"),
        assumption(
            f"attribution:{name}",
            g.attribution,
            "proportion",
            adj,
            "adjustment",
            "kept with a comparison group (others' contribution)",
        ),
        assumption(f"drop_off:{name}", g.drop_off, "proportion a year", drop_src, "adjustment"),
        assumption(
            f"benefit_years:{name}",
            float(ctx.cohort.school_shares @ period.years),
            "years per participant (average)",
            period.source,
            "period",
        ),
        assumption(f"lag_years:{name}", g.lag, "years", adj, "period"),
    ]


def observed_part(
    ctx: CompileContext,
    ov: OutcomeValuation,
    effects: Mapping[str, Effect],
    assumed_names: set[str],
) -> Part:
    """The effect group, lines and register entries of one outcome in ``valuation.outcomes``.

    Returns
    -------
    Part
        Empty for an outcome valued as an assumed effect; an exclusion (with a warning) when
        no effect was supplied or the effect could not be estimated.

    Raises
    ------
    SroiInputError
        For an unknown direction, an effect period other than term/year/total, an effect not
        on the difference scale, or an outcome without unit-cost rows.
    """
    name = ctx.name_of(ov.outcome)
    where = f"valuation.outcomes[{ov.outcome}]"
    if name in assumed_names:
        return Part()
    e = effects.get(name) or effects.get(ov.outcome)
    if e is None:
        return Part(
            excluded=({"outcome": name, "reason": "no effect supplied (not valued)"},),
            warnings=(f"{where}: no effect was supplied for {name!r}; it is not valued",),
        )
    skipped = _not_estimable(name, e)
    if skipped is not None:
        return skipped
    scale = _scale(ctx, ov, e, name, where)
    ids = ctx.cost_rows_for(name, ov.costs, where)
    if not ids:
        raise SroiInputError(
            f"{where}: no unit-cost rows for outcome {name!r}; add rows with outcome "
            f"{name!r} to {ctx.prices.table.path} or list cost ids in {where}.costs"
        )
    A = ctx.valuation.adjustments
    dw, obs, dw_warning = _deadweight(ctx, ov, e, name)
    drop, drop_src = persistence(ov, A, e)
    period = benefit_years(ctx, ov, where)
    lag = ov.lag_years if ov.lag_years is not None else A.lag_years
    g = Group(
        name=name,
        basis="assumed_effect" if e.is_assumed else "observed",
        effect=float(e.estimate),
        unit=scale.unit,
        effect_se=float(e.std_error),
        effect_draws=e.draws,
        deadweight=float(dw),
        displacement=float(ov.displacement if ov.displacement is not None else A.displacement),
        attribution=float(ov.attribution if ov.attribution is not None else A.attribution),
        drop_off=drop,
        lag=int(lag),
        observed_years=int(obs),
        weights=np.ones(ctx.T),
        total=scale.period == "total",
        W=period.weights(ctx.T),
    )
    lines = cost_lines(ctx, g, name, ids, "assumed" if e.is_assumed else "observed")
    return Part(
        groups=(g,),
        lines=tuple(lines),
        assumptions=tuple(_register(ctx, ov, e, g, scale, drop_src, period)),
        warnings=dw_warning + period.warnings,
        notes=scale.notes + period.notes,
    )
