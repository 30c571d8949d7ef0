"""Monte Carlo over effect, cost and assumption uncertainty (vectorised over draws).

HM Treasury Green Book (2022), risk and uncertainty: the draws give percentile intervals of
the NPV and SROI ratio and the probability that the NPV is positive; the 5th/95th percentiles
of each parameter feed the one-way sensitivity and the scenarios.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sroi._checks import check_int, check_seed
from sroi.value.model import CompiledModel
from sroi.value.result import SimulationResult
from sroi.value.uncertainty.distributions import (
    Distribution,
    effect_draws,
    parameter_distributions,
    unused_uncertainty,
)
from sroi.value.uncertainty.sensitivity import scenarios, switching_values, tornado

__all__ = ["monte_carlo"]


def _draw_parameters(
    model: CompiledModel,
    n: int,
    rng: np.random.Generator,
    dists: dict[str, Distribution],
    effect_cov: pd.DataFrame | None,
) -> tuple[dict[str, np.ndarray], list[dict[str, Any]]]:
    """Draws of every uncertain parameter and a record of where each distribution comes from."""
    params, info = effect_draws(model, n, rng, effect_cov)
    for name in sorted(dists):  # sorted: the same seed gives the same draws
        if name in params:  # an uncertainty entry for an effect replaces its sampling dist.
            info = [r for r in info if r["parameter"] != name]
        d = dists[name]
        params[name] = d.sample(n, rng)
        info.append({"parameter": name, "distribution": d.kind, "source": d.source})
    return params, info


def monte_carlo(
    model: CompiledModel,
    n_draws: int,
    seed: int,
    *,
    effect_cov: pd.DataFrame | None = None,
    switching: pd.DataFrame | None = None,
) -> SimulationResult:
    """Monte Carlo, tornado, scenarios and switching values of a compiled model.

    Each draw is the headline formula with some parameters drawn: every adjustment of the
    central figure (confidence-grade reductions, the optimism-bias uplift on delivery costs,
    deadweight, displacement, attribution, drop-off, discounting, price uprating) is applied
    in each draw exactly as in the central figure, so with zero-width distributions every draw
    equals the central figure.

    Parameters
    ----------
    model
        A compiled value model.
    n_draws
        Number of draws, >= 2.
    seed
        Seed of the draws, a whole number >= 0 (the same seed gives identical results).
    effect_cov
        Optional outcome x outcome covariance of the effect estimates.
    switching
        The model's switching values when already computed (:func:`switching_values`, as in
        :attr:`sroi.value.ValueResult.switching`); computed here otherwise.

    Returns
    -------
    SimulationResult

    Raises
    ------
    SroiInputError
        For a bad ``n_draws`` or ``seed``.
    """
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    seed = check_seed(seed, "seed")
    rng = np.random.default_rng(seed)
    dists = parameter_distributions(model)
    params, info = _draw_parameters(model, n_draws, rng, dists, effect_cov)
    notes = [
        f"valuation.uncertainty: {u.parameter} skipped: that outcome is not valued"
        for u in unused_uncertainty(model)
    ]
    h = model.headline(params)
    draws = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in h.items()})
    central = {k: float(v[0]) for k, v in model.headline({}).items()}
    ranges = {
        k: (float(np.quantile(v, 0.05)), float(np.quantile(v, 0.95))) for k, v in params.items()
    }
    tor = tornado(model, ranges)
    return SimulationResult(
        n_draws=n_draws,
        random_state=seed,
        draws=draws,
        parameters=pd.DataFrame(info, columns=["parameter", "distribution", "source"]),
        tornado=tor,
        scenarios=scenarios(model, tor),
        switching_values=switching_values(model) if switching is None else switching,
        central=central,
        notes=notes,
    )
