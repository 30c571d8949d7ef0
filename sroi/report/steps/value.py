"""Value the headline effects (:func:`sroi.value.run`, :func:`sroi.value.simulate`).

:func:`value_headline` gives the figures the report and ``results.json`` lead with: observed
and assumed values only (values that rely on a modelled chain are kept out).
:func:`effects_to_value` applies the spec's ``valuation.value_effects`` rule and
:func:`value_reliance` says how much of the headline rests on illustrative or low-confidence
unit costs and what would make benefits equal costs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

import sroi.value
from sroi.effect import Effect
from sroi.report.capture import WarningLog
from sroi.value.metrics import HEADLINE_BASES, PUBLIC_VALUE_TYPES

if TYPE_CHECKING:  # pragma: no cover
    from sroi.report.record import EvaluationResult
    from sroi.spec import Spec
    from sroi.value import SimulationResult, ValueResult

__all__ = [
    "LOW_CONFIDENCE_GRADES",
    "ValueHeadline",
    "ValueReliance",
    "effects_to_value",
    "value_effects",
    "value_headline",
    "value_reliance",
    "zero_interval_effects",
]


def zero_interval_effects(effects: dict[str, Effect]) -> list[str]:
    """Outcomes whose effect's confidence interval includes zero (or has no interval).

    Parameters
    ----------
    effects
        Outcome name -> effect.

    Returns
    -------
    list of str
        The names, in the order given.
    """
    out = []
    for name, e in effects.items():
        lo, hi = e.ci_low, e.ci_high
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 <= hi:
            out.append(name)
    return out


def effects_to_value(spec: Spec, effects: dict[str, Effect]) -> dict[str, Effect]:
    """The effects as the spec's ``valuation.value_effects`` rule values them.

    ``all`` (default): every effect as estimated; the Monte Carlo carries its uncertainty.
    ``significant``: an estimated effect whose confidence interval includes zero is valued
    at zero (estimate, standard error and interval 0, no draws), so it adds nothing to the
    central figures or to the Monte Carlo. Assumed effects are never changed.

    Parameters
    ----------
    spec
        The spec (with a valuation section).
    effects
        Outcome name -> headline effect.

    Returns
    -------
    dict
        Outcome name -> the effect to value.
    """
    if spec.valuation is None or spec.valuation.value_effects == "all":
        return dict(effects)
    estimated = {k: e for k, e in effects.items() if not e.is_assumed}
    zero = set(zero_interval_effects(estimated))
    note = "valued at zero: its confidence interval includes zero (valuation.value_effects)"
    return {
        k: e.with_(
            estimate=0.0,
            std_error=0.0,
            ci_low=0.0,
            ci_high=0.0,
            draws=None,
            notes=(*e.notes, note),
        )
        if k in zero
        else e
        for k, e in effects.items()
    }


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
        Outcome name -> headline effect (valued as :func:`effects_to_value` says).
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
    effects = effects_to_value(spec, effects)
    with log.capture("valuation"):
        value = sroi.value.run(spec, effects)
    with log.capture("Monte Carlo"):
        # the valued model itself: valuing the effects again would give the same model and
        # raise the valuation's warnings a second time
        sim = sroi.value.simulate(value, n_draws=n_draws, random_state=seed)
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


#: Confidence grades counted as low confidence: the two lowest of the shipped scale (an
#: estimate from management information or expert judgement; a rough or illustrative figure).
LOW_CONFIDENCE_GRADES = ("4", "5")


@dataclass(frozen=True)
class ValueReliance:
    """How much the value headline rests on weak figures, and what would make it break even.

    Attributes
    ----------
    share_weak
        Share of the headline benefits (by absolute present value over lines) valued with a
        unit cost that is illustrative or of a low confidence grade
        (:data:`LOW_CONFIDENCE_GRADES`); None when no benefit is valued.
    share_illustrative
        The part of ``share_weak`` valued with illustrative unit costs.
    costs_illustrative
        True when a delivery cost line is illustrative (its source says so).
    effect_multiple
        The multiple of every valued effect at which benefits equal costs (benefits are linear
        in the effects: ``1 / sroi_ratio``); None when the ratio is not positive.
    rule
        The spec's ``valuation.value_effects`` rule.
    zeroed
        Outcomes valued at zero under the ``significant`` rule.
    """

    share_weak: float | None
    share_illustrative: float | None
    costs_illustrative: bool
    effect_multiple: float | None
    rule: str
    zeroed: tuple[str, ...] = ()


def _line_flags(v: ValueResult) -> pd.DataFrame:
    """Per valued unit cost: illustrative source, low-confidence grade."""
    table = v.model.cost_table.set_index("id")
    ids = sorted(set(v.streams["cost_id"].astype(str)))
    src = table["source"].reindex(ids).astype(str).str.lower()
    grade = table["confidence"].reindex(ids).astype(str)
    return pd.DataFrame(
        {
            "illustrative": src.str.startswith("illustrative").to_numpy(),
            "low": grade.isin(LOW_CONFIDENCE_GRADES).to_numpy(),
        },
        index=ids,
    )


def value_reliance(result: EvaluationResult) -> ValueReliance | None:
    """The share of the value headline resting on weak figures, and its break-even multiple.

    Computed from the valuation result (its streams, unit-cost table and assumptions
    register): headline benefit lines are those counted in ``pv_benefits`` (observed and
    assumed values of public-value types, transfers out).

    Parameters
    ----------
    result
        The evaluation (or a value re-run).

    Returns
    -------
    ValueReliance or None
        None when nothing was valued.
    """
    v = result.value
    if v is None:
        return None
    s = v.streams
    head = s.loc[
        s["basis"].isin(HEADLINE_BASES)
        & s["value_type"].isin(PUBLIC_VALUE_TYPES)
        & ~s["transfer"].astype(bool)
    ]
    by_line = head.groupby(head["cost_id"].astype(str))["pv"].sum().abs()
    total = float(by_line.sum())
    share_weak = share_ill = None
    if total > 0:
        flags = _line_flags(v).reindex(by_line.index, fill_value=False)
        share_ill = float(by_line[flags["illustrative"]].sum() / total)
        share_weak = float(by_line[flags["illustrative"] | flags["low"]].sum() / total)
    a = v.assumptions
    delivery = a[a["parameter"].astype(str).str.startswith("delivery:")]
    costs_ill = bool(
        delivery["source"].astype(str).str.lower().str.startswith("illustrative").any()
    )
    ratio = float(v.sroi_ratio)
    rule = str(getattr(result.spec.valuation, "value_effects", "all"))
    zeroed: tuple[str, ...] = ()
    if rule == "significant" and result.spec.valuation is not None:
        effects = {n: o.headline for n, o in result.outcomes.items() if o.headline is not None}
        valued = {o.outcome for o in result.spec.valuation.outcomes}
        zeroed = tuple(n for n in zero_interval_effects(effects) if n in valued)
    return ValueReliance(
        share_weak=share_weak,
        share_illustrative=share_ill,
        costs_illustrative=costs_ill,
        effect_multiple=1.0 / ratio if ratio > 0 and math.isfinite(ratio) else None,
        rule=rule,
        zeroed=zeroed,
    )
