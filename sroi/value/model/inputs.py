"""What the value model needs, independent of :class:`sroi.Spec`, and the effects it values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.value.config import DeliveryCost, ValuationSection
from sroi.value.costs import UnitCostTable

if TYPE_CHECKING:  # pragma: no cover
    from sroi.spec import Spec

__all__ = ["OutcomeInfo", "ValuationInputs", "inputs_from_spec", "normalise_effects"]

#: ``(type, direction, column)`` of an outcome, as in ``design.outcomes``.
OutcomeInfo = tuple[str, str, str]


@dataclass(frozen=True)
class ValuationInputs:
    """Everything the value model needs, independent of :class:`sroi.Spec`.

    Attributes
    ----------
    valuation
        The ``valuation`` section.
    delivery_costs
        Programme (investment) cost lines.
    cohort_size
        Participants, unless the valuation section gives them.
    outcome_info
        ``{outcome name: (type, direction, column)}``.
    resolve
        Turns a path written in the spec into a file-system path.
    cost_table
        A unit-cost table replacing ``valuation.cost_file`` (``None``: read the file).
    """

    valuation: ValuationSection
    delivery_costs: list[DeliveryCost]
    cohort_size: int | None
    outcome_info: dict[str, OutcomeInfo]
    resolve: Callable[[str], Path]
    cost_table: UnitCostTable | None = None


def inputs_from_spec(spec: Spec, cost_table: UnitCostTable | None = None) -> ValuationInputs:
    """Collect the valuation inputs from an evaluation spec.

    Parameters
    ----------
    spec
        An evaluation spec with a ``valuation`` section.
    cost_table
        Optional replacement unit-cost table.

    Returns
    -------
    ValuationInputs

    Raises
    ------
    SroiInputError
        If the spec has no ``valuation`` section.
    """
    if spec.valuation is None:
        raise SroiInputError(
            "the spec has no 'valuation' section: add one (cost_file, price_year, outcomes...) "
            "to value the programme; see sroi.value.config"
        )
    info: dict[str, OutcomeInfo] = {
        o.name: (o.type, o.direction, o.column) for o in spec.design.outcomes
    }
    return ValuationInputs(
        valuation=spec.valuation,
        delivery_costs=list(spec.programme.delivery_costs),
        cohort_size=spec.programme.cohort_size,
        outcome_info=info,
        resolve=spec.resolve,
        cost_table=cost_table,
    )


def _effect_items(effects: Mapping[str, Effect] | Sequence[Effect]) -> list[tuple[str, Effect]]:
    if isinstance(effects, Mapping):
        return list(effects.items())
    if isinstance(effects, Sequence) and not isinstance(effects, str | bytes):
        items = []
        for i, e in enumerate(effects):
            if not isinstance(e, Effect):
                raise SroiInputError(f"effects[{i}] is not an sroi.Effect (got {type(e).__name__})")
            if not e.outcome:
                raise SroiInputError(
                    f"effects[{i}] has no outcome name; set Effect.outcome or pass a mapping "
                    "{outcome: Effect}"
                )
            items.append((e.outcome, e))
        return items
    raise SroiInputError(
        f"effects must be a mapping {{outcome: Effect}} or a list of Effects "
        f"(got {type(effects).__name__})"
    )


def normalise_effects(
    effects: Mapping[str, Effect] | Sequence[Effect] | None,
    outcome_info: Mapping[str, OutcomeInfo] | None = None,
) -> dict[str, Effect]:
    """``{outcome name: Effect}`` from a mapping or a list of effects with ``.outcome`` set.

    Parameters
    ----------
    effects
        A mapping ``{outcome: Effect}`` (keys may be outcome names or outcome *columns*, which
        are mapped to names) or a list of effects whose ``outcome`` is set.
    outcome_info
        ``{outcome name: (type, direction, column)}``.

    Returns
    -------
    dict of str to Effect

    Raises
    ------
    SroiInputError
        For a value that is not an :class:`sroi.Effect`, an effect without an outcome name, or
        two effects for the same outcome.
    """
    if effects is None:
        return {}
    info = outcome_info or {}
    col_to_name = {v[2]: k for k, v in info.items()}
    out: dict[str, Effect] = {}
    for key, e in _effect_items(effects):
        if not isinstance(e, Effect):
            raise SroiInputError(f"effects[{key!r}] is not an sroi.Effect (got {type(e).__name__})")
        name = col_to_name.get(key, key) if key not in info else key
        if name in out:
            raise SroiInputError(f"two effects given for outcome {name!r}; pass one per outcome")
        out[name] = e
    return out
