"""``compile_model``: validate the valuation inputs and compile them into a CompiledModel.

The steps run in a fixed order, each returning a :class:`~sroi.value.model.parts.Part`
(groups, lines, register records, messages) that is concatenated with the others:

1. the setting (:func:`~sroi.value.model.context.build_context`): prices, discounting, cohort;
2. the outcomes to value, and a check that no assumed effect sits on an estimated one;
3. one part per estimated outcome, per assumed effect, per conversion step;
4. the double-counting rules over all lines;
5. the register of unit costs used, the delivery costs and the appraisal settings.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

from sroi.effect import Effect
from sroi.errors import SroiWarning
from sroi.value.model.assumed import assumed_part, conversion_part
from sroi.value.model.compiled import CompiledModel, ModelSettings
from sroi.value.model.context import CompileContext, build_context
from sroi.value.model.delivery import delivery_costs
from sroi.value.model.inputs import ValuationInputs
from sroi.value.model.observed import (
    check_assumed_not_estimated,
    observed_part,
    select_outcomes,
)
from sroi.value.model.parts import Part, concat
from sroi.value.model.register import settings_register, unit_cost_register
from sroi.value.model.rules import check_double_counting

__all__ = ["compile_model"]


def _effect_parts(ctx: CompileContext, effects: Mapping[str, Effect]) -> Part:
    """Selection, estimated outcomes, assumed effects and conversion steps, in that order."""
    V = ctx.valuation
    outcomes, selection = select_outcomes(ctx, effects)
    check_assumed_not_estimated(ctx, effects)
    assumed_names = {a.outcome for a in V.assumed_effects}
    valued = concat(
        [
            selection,
            *(observed_part(ctx, ov, effects, assumed_names) for ov in outcomes),
            *(assumed_part(ctx, a) for a in V.assumed_effects),
        ]
    )
    groups = {g.name: g for g in valued.groups}
    chains = [conversion_part(ctx, c, groups) for c in V.conversions]
    return concat([valued, *chains])


def compile_model(
    inputs: ValuationInputs,
    effects: Mapping[str, Effect] | None = None,
) -> CompiledModel:
    """Validate the inputs and compile the value model.

    Parameters
    ----------
    inputs
        The valuation inputs (:func:`~sroi.value.model.inputs.inputs_from_spec`).
    effects
        ``{outcome name: Effect}`` (see :func:`~sroi.value.model.inputs.normalise_effects`).

    Returns
    -------
    CompiledModel
        Every warning in it has also been issued as a :class:`sroi.SroiWarning`.

    Raises
    ------
    SroiInputError
        For inputs that cannot be valued (unknown cost ids, double counting, a delivery cost
        beyond the appraisal period...), naming the spec field.

    References
    ----------
    Social Value UK (2012), *A Guide to Social Return on Investment*; HM Treasury (2022),
    *The Green Book*; HM Treasury / New Economy (2014), *Supporting public service
    transformation: cost benefit analysis guidance for local partnerships*.
    """
    effects = dict(effects or {})
    ctx = build_context(inputs)
    valued = _effect_parts(ctx, effects)
    lines = list(valued.lines)
    check_double_counting(lines)
    delivery, spend = delivery_costs(ctx, inputs.delivery_costs)
    setting = Part(notes=ctx.prices.notes + ctx.cohort.notes)
    register = Part(assumptions=tuple(unit_cost_register(ctx, lines)))
    settings = Part(assumptions=tuple(settings_register(ctx)))
    everything = concat([setting, valued, register, spend, settings])
    for w in everything.warnings:
        warnings.warn(w, SroiWarning, stacklevel=3)
    groups = {g.name: g for g in everything.groups}
    return CompiledModel(
        T=ctx.T,
        lines=lines,
        groups=groups,
        delivery=delivery,
        D_standard=ctx.prices.discount["standard"],
        cost_table=ctx.base.reset_index(drop=True),
        price_year=ctx.valuation.price_year,
        cohort=ctx.cohort.size,
        starts=ctx.cohort.starts,
        settings=ModelSettings(
            deflators=ctx.prices.deflators,
            discount_table=ctx.prices.discount_table,
            grades=ctx.prices.grades,
            constant_rate=ctx.valuation.discount.constant_rate,
            benefits_by_confidence=ctx.valuation.optimism_bias.benefits_by_confidence,
            D_health=ctx.prices.discount["health"],
        ),
        warnings=list(everything.warnings),
        notes=list(everything.notes),
        excluded=list(everything.excluded),
        assumptions=list(everything.assumptions),
        conversions={k: v[0] for k, v in everything.conversions.items()},
        conversion_ranges={k: (v[1], v[2]) for k, v in everything.conversions.items()},
        uncertainty=list(ctx.valuation.uncertainty),
    )
