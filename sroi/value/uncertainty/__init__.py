"""Uncertainty of the value model: Monte Carlo, one-way sensitivity, scenarios, switching values.

All analyses re-evaluate a :class:`sroi.value.model.CompiledModel` for many parameter sets at
once (arrays of shape ``(n,)`` per parameter), so 10,000 Monte Carlo draws take milliseconds.
Modules: :mod:`.distributions` (parameter distributions, joint effect draws),
:mod:`.sensitivity` (switching values, tornado, scenarios), :mod:`.montecarlo` (the
simulation). The entry point is :func:`sroi.value.simulate`.
"""

from __future__ import annotations

from sroi.value.uncertainty.distributions import (
    Distribution,
    effect_draws,
    parameter_distributions,
)
from sroi.value.uncertainty.montecarlo import monte_carlo
from sroi.value.uncertainty.sensitivity import scenarios, switching_values, tornado

__all__ = [
    "Distribution",
    "effect_draws",
    "monte_carlo",
    "parameter_distributions",
    "scenarios",
    "switching_values",
    "tornado",
]
