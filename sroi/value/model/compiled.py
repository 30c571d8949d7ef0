"""The compiled value model: valued lines, effect groups and their vectorised evaluation.

:func:`sroi.value.model.compile_model` builds a :class:`CompiledModel` once; the headline,
the Monte Carlo, the one-way sensitivity and the switching values then re-evaluate it for many
parameter sets at once (arrays of shape ``(n,)`` per parameter).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError
from sroi.value.config import UncertainParameter
from sroi.value.metrics import headline
from sroi.value.model.kernels import persistence_profile

__all__ = ["STREAM_COLUMNS", "CompiledModel", "Group", "Line", "ModelSettings"]

#: Columns of :meth:`CompiledModel.streams`.
STREAM_COLUMNS = [
    "year",
    "outcome",
    "cost_id",
    "agency",
    "value_type",
    "transfer",
    "basis",
    "value",
    "discount_factor",
    "pv",
]


@dataclass
class Line:
    """One valued line: an outcome (or conversion step) costed with one unit-cost row.

    ``basis`` is ``observed``, ``assumed`` or ``modelled``; ``scalar`` an extra fixed
    multiplier (1.0); ``library`` the library line the cost comes from ('' for a local line);
    ``transfer`` whether it is a transfer overall (fiscal to its agency, not public value);
    ``amount`` the unit cost in its own prices and ``price_factor`` the
    deflator ratio to the base year; ``conversion`` the conversion-step name of a modelled
    line; ``M`` the (participant year x appraisal year) cohort matrix, ``D`` the discount
    factors and ``G = M @ D``.
    """

    key: str
    outcome: str
    group: str
    cost_id: str
    library: str
    transfer: bool
    description: str
    agency: str
    value_type: str
    category: str
    measure: str
    basis: str
    scalar: float
    amount: float
    price_factor: float
    grade_reduction: float
    conversion: str | None
    conversion_rate: float
    M: np.ndarray
    G: np.ndarray
    D: np.ndarray


@dataclass
class Group:
    """Parameters shared by all lines driven by one effect (estimated or assumed).

    ``basis`` is ``observed``, ``assumed`` (Greater Manchester assumed effect) or
    ``assumed_effect`` (an :meth:`sroi.Effect.assumed` record valued like an estimate);
    ``effect`` the estimate (assumed: engagement x success x (1 - GM deadweight)); ``unit`` the
    sign x events per participant per year per unit of effect; ``W`` the benefit-period
    weights per participant type, shape ``(m, H)``.
    """

    name: str
    basis: str
    effect: float
    unit: float
    effect_se: float
    effect_draws: np.ndarray | None
    deadweight: float
    displacement: float
    attribution: float
    drop_off: float
    lag: int
    observed_years: int
    weights: np.ndarray
    total: bool
    W: np.ndarray
    engagement: float = 1.0
    success: float = 0.0
    gm_deadweight: float = 0.0
    success_low: float | None = None
    success_high: float | None = None

    def profile(self, horizon: int, deadweight: np.ndarray, drop_off: np.ndarray) -> np.ndarray:
        """Persistence profile for each draw (see :func:`.kernels.persistence_profile`)."""
        return persistence_profile(
            horizon,
            lag=self.lag,
            observed_years=self.observed_years,
            weights=self.weights,
            total=self.total,
            deadweight=deadweight,
            drop_off=drop_off,
        )

    def multiplier(self, P: Mapping[str, np.ndarray]) -> np.ndarray:
        """Events avoided per participant per year (before persistence), per draw."""
        share = P["effect_share"]
        if self.basis == "assumed":
            eff = (
                P[f"engagement:{self.name}"]
                * P[f"success:{self.name}"]
                * (1.0 - self.gm_deadweight)
            )
        else:
            eff = P[f"effect:{self.name}"]
        return (
            share
            * eff
            * self.unit
            * (1.0 - P[f"displacement:{self.name}"])
            * (1.0 - P[f"attribution:{self.name}"])
        )


@dataclass(frozen=True)
class ModelSettings:
    """The tables behind the price base and the discounting, as the model used them.

    Attributes
    ----------
    deflators
        GDP deflators (:func:`sroi.value.load_deflators`).
    discount_table
        Discount-rate bands (:func:`sroi.value.load_discount_table`).
    grades
        The confidence-grade scale (:func:`sroi.value.load_confidence_grades`).
    constant_rate
        A constant discount rate replacing the schedule (``None``: the schedule).
    benefits_by_confidence
        Whether confidence grades cut benefits.
    D_health
        Health-schedule discount factors, shape ``(T,)``.
    """

    deflators: pd.Series
    discount_table: pd.DataFrame
    grades: pd.DataFrame
    constant_rate: float | None
    benefits_by_confidence: bool
    D_health: np.ndarray


@dataclass
class CompiledModel:
    """The value model compiled to arrays; see :mod:`sroi.value.model` for the formula.

    Attributes
    ----------
    T
        Appraisal years.
    lines, groups
        Valued lines and the effect groups that drive them.
    delivery
        Programme cost lines (``year``, ``amount_base``, ``uplift``, ``agency``,
        ``description``, ``in_kind``, ``spent``, ``low_base``, ``high_base``, ``source``).
    D_standard
        Standard Green Book discount factors, shape ``(T,)``.
    cost_table
        The unit-cost table in base-year prices (``factor``, ``amount_base``...).
    price_year, cohort, starts
        Base price year, participants and starts by appraisal year.
    settings
        Deflators, discount table, grade scale and discounting settings used.
    warnings, notes, excluded, assumptions
        What the compiler found; the assumptions register as records.
    conversions, conversion_ranges
        Conversion rates (and their low/high) by step name.
    uncertainty
        The spec's ``valuation.uncertainty`` entries.
    """

    T: int
    lines: list[Line]
    groups: dict[str, Group]
    delivery: pd.DataFrame
    D_standard: np.ndarray
    cost_table: pd.DataFrame
    price_year: str
    cohort: int
    starts: np.ndarray
    settings: ModelSettings
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    excluded: list[dict[str, str]] = field(default_factory=list)
    assumptions: list[dict[str, Any]] = field(default_factory=list)
    conversions: dict[str, float] = field(default_factory=dict)
    conversion_ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    uncertainty: list[UncertainParameter] = field(default_factory=list)

    @property
    def value_types(self) -> np.ndarray:
        """Value type of each line, shape ``(n_lines,)``."""
        return np.array([ln.value_type for ln in self.lines])

    @property
    def transfers(self) -> np.ndarray:
        """Whether each line is a transfer overall (not public value), shape ``(n_lines,)``."""
        return np.array([ln.transfer for ln in self.lines], dtype=bool)

    @property
    def bases(self) -> np.ndarray:
        """Basis (observed, assumed, modelled) of each line, shape ``(n_lines,)``."""
        return np.array([ln.basis for ln in self.lines])

    def central(self) -> dict[str, float]:
        """Central value of every model parameter.

        Returns
        -------
        dict of str to float
            Names as in :class:`sroi.value.config.UncertainParameter`: ``effect_share``,
            ``delivery_costs``, ``effect:<outcome>``, ``deadweight:<outcome>`` (assumed
            effect records only),
            ``engagement:<outcome>``, ``success:<outcome>``, ``displacement:<outcome>``,
            ``attribution:<outcome>``, ``drop_off:<outcome>``, ``cost:<id>``,
            ``conversion:<name>``, ``delivery:<i>``.
        """
        p: dict[str, float] = {"effect_share": 1.0, "delivery_costs": 1.0}
        for g in self.groups.values():
            if g.basis == "assumed":
                p[f"engagement:{g.name}"] = g.engagement
                p[f"success:{g.name}"] = g.success
            else:
                p[f"effect:{g.name}"] = g.effect
            if g.basis == "assumed_effect":  # a comparison-group effect has no deadweight
                p[f"deadweight:{g.name}"] = g.deadweight
            p[f"displacement:{g.name}"] = g.displacement
            p[f"attribution:{g.name}"] = g.attribution
            p[f"drop_off:{g.name}"] = g.drop_off
        for ln in self.lines:
            p[f"cost:{ln.cost_id}"] = ln.amount
            if ln.conversion:
                p[f"conversion:{ln.conversion}"] = ln.conversion_rate
        for i in range(len(self.delivery)):
            p[f"delivery:{i}"] = float(self.delivery["amount_base"].iloc[i])
        return p

    def _parameters(self, params: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], int]:
        central = self.central()
        n = max((np.size(v) for v in params.values()), default=1)
        P = {
            k: np.broadcast_to(np.asarray(params.get(k, v), dtype=float), (n,))
            for k, v in central.items()
        }
        unknown = sorted(set(params) - set(central))
        if unknown:
            raise SroiInputError(f"unknown model parameter(s) {unknown}; known: {sorted(central)}")
        return P, n

    def evaluate(self, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Present values for many parameter sets at once.

        Parameters
        ----------
        params
            Parameter names (see :meth:`central`) to arrays of equal length ``n``; missing
            names take their central value. Every line keeps its confidence-grade reduction
            and every delivery line its optimism-bias uplift, as in the central figure.

        Returns
        -------
        dict of str to numpy.ndarray
            ``pv_lines`` (n, n_lines) and ``pv_costs`` (n,).

        Raises
        ------
        SroiInputError
            For a parameter name the model does not have.
        """
        P, n = self._parameters(params)
        pv = np.zeros((n, len(self.lines)))
        cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for j, ln in enumerate(self.lines):
            g = self.groups[ln.group]
            if g.name not in cache:
                dw = P.get(f"deadweight:{g.name}", np.zeros(n))
                prof = g.profile(self.T, dw, P[f"drop_off:{g.name}"])
                cache[g.name] = (g.multiplier(P), prof)
            mult, prof = cache[g.name]
            gfac = 1.0 - ln.grade_reduction
            amount = P[f"cost:{ln.cost_id}"] * ln.price_factor
            conv = P[f"conversion:{ln.conversion}"] if ln.conversion else 1.0
            pv[:, j] = mult * (ln.scalar * gfac) * amount * conv * (prof @ ln.G)
        costs = np.zeros(n)
        dv = self.delivery
        up = dv["uplift"].to_numpy(dtype=float)
        for i in range(len(dv)):
            costs += (
                P[f"delivery:{i}"] * (1.0 + float(up[i])) * self.D_standard[int(dv["year"].iloc[i])]
            )
        costs = costs * P["delivery_costs"]
        return {"pv_lines": pv, "pv_costs": costs}

    def headline(self, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """Headline figures (:func:`sroi.value.metrics.headline`) for many parameter sets.

        Parameters are as in :meth:`evaluate`.

        Returns
        -------
        dict of str to numpy.ndarray
            ``pv_benefits``, ``pv_fiscal``, ``pv_cashable``, ``pv_costs``, ``npv``,
            ``sroi_ratio``, ``financial_roi``, ``cashable_roi``, each of shape ``(n,)``.
        """
        ev = self.evaluate(params)
        return headline(
            ev["pv_lines"], ev["pv_costs"], self.value_types, self.bases, transfers=self.transfers
        )

    def streams(self, params: Mapping[str, float] | None = None) -> pd.DataFrame:
        """Long table of value by line and appraisal year (central parameters by default).

        Returns
        -------
        pandas.DataFrame
            Columns :data:`STREAM_COLUMNS`.
        """
        central = self.central()
        P = {k: np.array([float((params or {}).get(k, v))]) for k, v in central.items()}
        rows = []
        years = np.arange(self.T)
        for ln in self.lines:
            g = self.groups[ln.group]
            dw = P.get(f"deadweight:{g.name}", np.zeros(1))
            prof = g.profile(self.T, dw, P[f"drop_off:{g.name}"])[0]
            mult = g.multiplier(P)[0]
            conv = P[f"conversion:{ln.conversion}"][0] if ln.conversion else 1.0
            amount = P[f"cost:{ln.cost_id}"][0] * ln.price_factor
            k = mult * ln.scalar * (1.0 - ln.grade_reduction) * amount * conv
            value = k * (prof @ ln.M)
            rows.append(
                pd.DataFrame(
                    {
                        "year": years,
                        "outcome": ln.outcome,
                        "cost_id": ln.cost_id,
                        "agency": ln.agency,
                        "value_type": ln.value_type,
                        "transfer": ln.transfer,
                        "basis": ln.basis,
                        "value": value,
                        "discount_factor": ln.D,
                        "pv": value * ln.D,
                    }
                )
            )
        if not rows:
            return pd.DataFrame(columns=STREAM_COLUMNS)
        return pd.concat(rows, ignore_index=True)

    def cost_streams(self, multiplier: float = 1.0) -> pd.DataFrame:
        """Programme costs by line and year, with optimism-bias uplift and discounting.

        Returns
        -------
        pandas.DataFrame
            :attr:`delivery` with ``cost``, ``discount_factor`` and ``pv`` added.
        """
        dv = self.delivery.copy()
        dv["cost"] = dv["amount_base"] * (1.0 + dv["uplift"]) * multiplier
        dv["discount_factor"] = self.D_standard[dv["year"].to_numpy(dtype=int)]
        dv["pv"] = dv["cost"] * dv["discount_factor"]
        return dv
