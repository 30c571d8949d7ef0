"""Value the headline effects (:func:`sroi.value.run`, :func:`sroi.value.simulate`).

:func:`value_headline` gives the figures the report and ``results.json`` lead with: observed
and assumed values only (values that rely on a modelled chain are kept out).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import sroi.value
from sroi.effect import Effect
from sroi.report.capture import WarningLog

if TYPE_CHECKING:  # pragma: no cover
    from sroi.report.record import EvaluationResult
    from sroi.spec import Spec
    from sroi.value import SimulationResult, ValueResult

__all__ = ["ValueHeadline", "value_effects", "value_headline"]


def value_effects(
    spec: Spec,
    effects: dict[str, Effect],
    random_state: int | None = None,
    *,
    n_draws: int = 10_000,
    log: WarningLog | None = None,
) -> tuple[ValueResult | None, SimulationResult | None, str | None]:
    """Value the headline effects and run the Monte Carlo.

    Parameters
    ----------
    spec
        The spec; without a ``valuation`` section nothing is valued.
    effects
        Outcome name -> headline effect.
    random_state
        Seed of the Monte Carlo (default: the spec's ``seed``).
    n_draws
        Monte Carlo draws.
    log
        Where the warnings raised while valuing go (this run's log).

    Returns
    -------
    tuple
        ``(ValueResult, SimulationResult, None)``, or ``(None, None, reason)`` when the spec
        has no valuation section.
    """
    if spec.valuation is None:
        return None, None, "the spec has no valuation section"
    log = log if log is not None else WarningLog()
    seed = spec.seed if random_state is None else random_state
    with log.capture("valuation"):
        value = sroi.value.run(spec, effects)
    with log.capture("Monte Carlo"):
        sim = sroi.value.simulate(spec, effects, n_draws=n_draws, random_state=seed)
    return value, sim, None


@dataclass(frozen=True)
class ValueHeadline:
    """The value figures the report and ``results.json`` lead with.

    Observed and assumed values only: values that rely on a modelled chain are kept out.
    Money is in ``price_year`` prices.

    Attributes
    ----------
    sroi_ratio, npv, pv_benefits, pv_costs, payback_year, financial_roi, public_value_roi
        From :class:`sroi.value.ValueResult` (``payback_year`` is its ``payback_years``).
    price_year
        The price base.
    sroi_interval, npv_interval
        Equal-tailed Monte Carlo percentile intervals (None without a simulation).
    prob_npv_positive
        Share of Monte Carlo draws with a positive NPV (None without a simulation).
    n_draws
        Monte Carlo draws (None without a simulation).
    """

    sroi_ratio: float
    npv: float
    pv_benefits: float
    pv_costs: float
    payback_year: float
    financial_roi: float
    public_value_roi: float
    price_year: str
    sroi_interval: tuple[float, float] | None = None
    npv_interval: tuple[float, float] | None = None
    prob_npv_positive: float | None = None
    n_draws: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The figures as plain data (intervals as lists)."""
        out = asdict(self)
        for key in ("sroi_interval", "npv_interval"):
            if out[key] is not None:
                out[key] = list(out[key])
        return out


def value_headline(result: EvaluationResult, level: float = 0.95) -> ValueHeadline | None:
    """Headline value figures of an evaluation (observed and assumed values only).

    Parameters
    ----------
    result
        The evaluation (or a value re-run).
    level
        Level of the Monte Carlo percentile intervals.

    Returns
    -------
    ValueHeadline or None
        None when nothing was valued.
    """
    v, s = result.value, result.simulation
    if v is None:
        return None
    head = ValueHeadline(
        sroi_ratio=float(v.sroi_ratio),
        npv=float(v.npv),
        pv_benefits=float(v.pv_benefits),
        pv_costs=float(v.pv_costs),
        payback_year=float(v.payback_years),
        financial_roi=float(v.financial_roi),
        public_value_roi=float(v.public_value_roi),
        price_year=str(v.price_year),
    )
    if s is None:
        return head
    lo, hi = s.interval("sroi_ratio", level)
    npv_lo, npv_hi = s.interval("npv", level)
    return replace(
        head,
        sroi_interval=(float(lo), float(hi)),
        npv_interval=(float(npv_lo), float(npv_hi)),
        prob_npv_positive=float(s.prob_npv_positive),
        n_draws=int(s.n_draws),
    )
