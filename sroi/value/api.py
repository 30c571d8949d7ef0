"""Entry points of the value engine: :func:`run`, :func:`run_assumed` and :func:`simulate`.

Each compiles the value model (:mod:`sroi.value.model`) from a spec or plain inputs, evaluates
it at central values (:mod:`sroi.value.metrics`) and returns a read-only result
(:mod:`sroi.value.result`); :func:`simulate` adds the Monte Carlo and one-way sensitivity
(:mod:`sroi.value.uncertainty`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sroi._checks import check_int, check_seed
from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.value.config import DeliveryCost, ValuationSection
from sroi.value.costs import UnitCostTable, load_unit_costs
from sroi.value.metrics import FISCAL_TYPES, HEADLINE_BASES, payback_period
from sroi.value.model import (
    CompiledModel,
    ValuationInputs,
    compile_model,
    inputs_from_spec,
    normalise_effects,
)
from sroi.value.model.register import REGISTER_COLUMNS
from sroi.value.result import SimulationResult, ValueResult
from sroi.value.uncertainty import monte_carlo, switching_values

if TYPE_CHECKING:  # pragma: no cover
    from sroi.spec import Spec

__all__ = ["run", "run_assumed", "simulate", "value_result"]

Effects = Mapping[str, Effect] | Sequence[Effect] | None


def _is_transfer(streams: pd.DataFrame) -> pd.Series:
    """Stream rows that are transfers overall (value type ``transfer`` or marked ``transfer``)."""
    return (streams["value_type"] == "transfer") | streams["transfer"].astype(bool)


def value_result(model: CompiledModel) -> ValueResult:
    """Evaluate a compiled model at central values into a :class:`ValueResult`.

    Parameters
    ----------
    model
        A compiled value model.

    Returns
    -------
    ValueResult
        Headline figures, streams, costs, the assumptions register and switching values.
    """
    h = model.headline({})
    streams = model.streams()
    costs = model.cost_streams()
    hs = streams.loc[streams["basis"].isin(HEADLINE_BASES)]
    years = range(model.T)
    fis_year = (
        hs.loc[hs["value_type"].isin(FISCAL_TYPES)]
        .groupby("year")["pv"]
        .sum()
        .reindex(years, fill_value=0.0)
        .to_numpy()
    )
    cost_year = costs.groupby("year")["pv"].sum().reindex(years, fill_value=0.0).to_numpy()
    return ValueResult(
        price_year=model.price_year,
        pv_benefits=float(h["pv_benefits"][0]),
        pv_costs=float(h["pv_costs"][0]),
        npv=float(h["npv"][0]),
        sroi_ratio=float(h["sroi_ratio"][0]),
        financial_roi=float(h["financial_roi"][0]),
        cashable_roi=float(h["cashable_roi"][0]),
        payback_years=payback_period(fis_year, cost_year),
        pv_transfers=float(hs.loc[_is_transfer(hs), "pv"].sum()),
        pv_modelled=float(streams.loc[streams["basis"] == "modelled", "pv"].sum()),
        pv_by_value_type={
            str(k): float(v)
            for k, v in hs.groupby(hs["value_type"].where(~_is_transfer(hs), "transfer"))["pv"]
            .sum()
            .items()
        },
        streams=streams,
        costs=costs,
        assumptions=pd.DataFrame(model.assumptions, columns=REGISTER_COLUMNS),
        model=model,
        switching=switching_values(model),
        warnings=list(model.warnings),
        notes=list(model.notes),
        excluded=list(model.excluded),
    )


def run(
    spec: Spec,
    effects: Effects = None,
    *,
    costs: UnitCostTable | str | Path | None = None,
) -> ValueResult:
    """Value a programme's effects with the spec's ``valuation`` section.

    Parameters
    ----------
    spec
        An :class:`sroi.Spec` with a ``valuation`` section (``programme.delivery_costs`` and
        ``programme.cohort_size`` are used too; the cost file is resolved relative to the spec).
    effects
        ``{outcome name: Effect}`` or a list of Effects with ``outcome`` set. May be empty when
        the spec declares ``valuation.assumed_effects``.
    costs
        Optional replacement unit-cost table (path or :class:`UnitCostTable`).

    Returns
    -------
    ValueResult
        PV benefits and costs, NPV, SROI ratio = PV public value / PV costs, financial and
        cashable ROI, payback, tables, switching values and the assumptions register.

    Raises
    ------
    SroiInputError
        For a spec without a valuation section, effects that are not :class:`sroi.Effect`
        records, or inputs that cannot be valued (naming the spec field).

    Warns
    -----
    SroiWarning
        For outcomes left out (no effect, effect not estimable), benefit periods capped at
        the years left in school, deadweight set to zero in the observed period.

    References
    ----------
    HM Treasury (2022), *The Green Book: appraisal and evaluation in central government*;
    HM Treasury / New Economy (2014), *Supporting public service transformation: cost benefit
    analysis guidance for local partnerships* (the Greater Manchester CBA model); Social Value
    UK (2012), *A Guide to Social Return on Investment*.
    """
    table = load_unit_costs(costs) if isinstance(costs, str | Path) else costs
    inputs = inputs_from_spec(spec, table)
    eff = normalise_effects(effects, inputs.outcome_info)
    return value_result(compile_model(inputs, eff))


def _validated(
    valuation: ValuationSection | Mapping[str, Any],
    delivery_costs: Sequence[DeliveryCost | Mapping[str, Any]],
) -> tuple[ValuationSection, list[DeliveryCost]]:
    try:
        V = (
            valuation
            if isinstance(valuation, ValuationSection)
            else ValuationSection.model_validate(dict(valuation))
        )
        dcs = [
            d if isinstance(d, DeliveryCost) else DeliveryCost.model_validate(dict(d))
            for d in delivery_costs
        ]
    except ValidationError as exc:
        msgs = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SroiInputError(f"valuation inputs: {msgs}") from None
    return V, dcs


class _Resolver:
    """Resolves relative paths against one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, p: str | Path) -> Path:
        q = Path(p)
        return q if q.is_absolute() else (self.root / q).resolve()


def run_assumed(
    valuation: ValuationSection | Mapping[str, Any],
    *,
    delivery_costs: Sequence[DeliveryCost | Mapping[str, Any]] = (),
    cohort_size: int | None = None,
    effects: Effects = None,
    outcomes: Mapping[str, tuple[str, str]] | None = None,
    base_dir: str | Path | None = None,
    costs: UnitCostTable | str | Path | None = None,
) -> ValueResult:
    """Value assumed effects without an evaluation spec (a finance officer's forecast).

    Parameters
    ----------
    valuation
        A ``valuation`` section (model or dict as in YAML), usually with ``assumed_effects``
        (Greater Manchester: cohort x engagement rate x success rate x (1 - deadweight)).
    delivery_costs
        Programme cost lines (as in ``programme.delivery_costs``).
    cohort_size
        Participants (unless ``valuation.cohort_size`` or ``starts_by_year`` gives it).
    effects
        Optional ``Effect`` records (e.g. :meth:`sroi.Effect.assumed`).
    outcomes
        ``{outcome: (type, direction)}`` for effects passed in ``effects``.
    base_dir
        Folder that ``cost_file`` and other relative paths are resolved against (default: cwd).
    costs
        Optional unit-cost table replacing ``valuation.cost_file``.

    Returns
    -------
    ValueResult

    Raises
    ------
    SroiInputError
        For invalid valuation or delivery-cost fields (all listed) and inputs that cannot be
        valued.

    References
    ----------
    HM Treasury / New Economy (2014), *Supporting public service transformation: cost benefit
    analysis guidance for local partnerships* (assumed effects: engagement and success rates,
    deadweight).
    """
    V, dcs = _validated(valuation, delivery_costs)
    resolve = _Resolver(Path(base_dir) if base_dir is not None else Path.cwd())
    table = load_unit_costs(resolve(costs)) if isinstance(costs, str | Path) else costs
    info = {k: (t, d, k) for k, (t, d) in (outcomes or {}).items()}
    inputs = ValuationInputs(
        valuation=V,
        delivery_costs=dcs,
        cohort_size=cohort_size,
        outcome_info=info,
        resolve=resolve,
        cost_table=table,
    )
    eff = normalise_effects(effects, info)
    return value_result(compile_model(inputs, eff))


def simulate(
    spec: Spec | ValueResult | CompiledModel,
    effects: Effects = None,
    n_draws: int = 10_000,
    random_state: int | np.random.Generator | None = 0,
    *,
    effect_cov: pd.DataFrame | None = None,
) -> SimulationResult:
    """Monte Carlo over effect, cost and assumption uncertainty; tornado; scenarios.

    Parameters
    ----------
    spec
        An :class:`sroi.Spec` with a ``valuation`` section (then ``effects`` are valued as in
        :func:`run`), or a :class:`ValueResult` / compiled model to re-use.
    effects
        ``{outcome: Effect}`` or a list; ignored when ``spec`` is a result or model.
    n_draws
        Number of draws, >= 2 (vectorised: 10,000 draws take milliseconds).
    random_state
        A seed (whole number >= 0), a :class:`numpy.random.Generator` (a seed is drawn from
        it) or ``None`` (fresh entropy); the seed used is kept in
        :attr:`SimulationResult.random_state`, and the same seed gives identical results.
    effect_cov
        Optional outcome x outcome covariance of the effect estimates (they come from the same
        pupils); effects are then drawn from a multivariate normal. Effects with ``draws`` are
        resampled jointly by draw index.

    Returns
    -------
    SimulationResult
        Draws of PV benefits/costs, NPV and ratios; percentile intervals; P(NPV > 0) and
        P(SROI ratio > 1); tornado (each parameter at its 5th/95th percentile, others central);
        low/central/high scenarios; switching values.

    Raises
    ------
    SroiInputError
        For a bad ``n_draws`` or ``random_state``, an ``effect_cov`` missing an outcome, or a
        ``valuation.uncertainty`` entry for an unknown parameter.

    Notes
    -----
    Every draw applies the adjustments of the central figure exactly as it does
    (confidence-grade reductions, the optimism-bias uplift on delivery costs, deadweight,
    displacement, attribution, drop-off, discounting and price uprating), so the central figure
    is the model at the distributions' central values and zero-width distributions give draws
    equal to it. Where quantified risks replace the optimism-bias uplift (HM Treasury Green
    Book, 2022), lower ``valuation.optimism_bias`` itself: the central figure and every draw
    then change together.

    References
    ----------
    HM Treasury (2022), *The Green Book*, risk and uncertainty (Monte Carlo, sensitivity
    analysis, switching values, optimism bias).
    """
    n = check_int(n_draws, "n_draws", minimum=2)
    seed = check_seed(random_state, "random_state")
    if isinstance(spec, CompiledModel):
        return monte_carlo(spec, n, seed, effect_cov=effect_cov)
    result = spec if isinstance(spec, ValueResult) else run(spec, effects)
    return monte_carlo(result.model, n, seed, effect_cov=effect_cov, switching=result.switching)
