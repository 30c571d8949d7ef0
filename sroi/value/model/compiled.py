"""The value model: effects x cohort x unit costs -> discounted value streams.

Method (Social Value UK, *A Guide to Social Return on Investment*, 2012; HM Treasury, *The Green
Book*, 2022; HM Treasury / New Economy, *Supporting public service transformation: cost benefit
analysis guidance for local partnerships* (the Greater Manchester CBA model), 2014).

For one valued line (an outcome ``o`` costed with one unit-cost row ``r``) the value to the whole
cohort in appraisal year ``t`` is::

    V_t = e_o * sign_o * q_o * c_r * (1 - g_r) * (1 - s_o) * (1 - a_o)
          * sum_s n_s * sum_k p_o(k) * K_r(k, t - s)

* ``e_o``: the effect (per participant per period) and ``sign_o`` = +1 when the outcome is
  desired to increase, -1 when desired to decrease, so fewer referrals is a positive benefit and
  a programme that raises referrals shows a cost;
* ``q_o``: events per participant per year per unit of effect (``terms_per_year`` for a per-term
  binary or count outcome, times ``quantity_per_unit``, e.g. 190 school days a year per 1.0 of
  attendance rate);
* ``c_r``: unit cost in base-year prices (GDP deflator ratio), ``g_r``: benefit reduction of the
  row's confidence grade (Greater Manchester optimism bias), ``s``/``a``: displacement and
  attribution;
* ``n_s``: participants starting in appraisal year ``s``;
* ``p_o(k)``: persistence profile in participant year ``k`` (0-based):
  ``w(k) * [k >= L] * (1 - d * [k >= L + m]) * (1 - delta)^max(0, k - L - max(m, 1) + 1)`` with
  lag ``L``, observed years ``m``, deadweight ``d`` (zero inside the observed period for effects estimated
  against a comparison group), drop-off ``delta`` and benefit-period weight
  ``w(k) = clip(B - k, 0, 1)`` (``B`` = benefit years, capped at the remaining years in school);
* ``K_r(k, j)``: share of the cost of an event in participant year ``k`` that falls in year ``j``:
  the identity for ``one_off`` rows, ``clip(D - (j - k), 0, 1)`` for ``per_annum`` rows lasting
  ``D`` years (``D = B_school - k`` for ``remaining``).

Present values use Green Book discount factors (:func:`sroi.value.prices.discount_factors`), the
health schedule only for rows measured in QALYs or WELLBYs. Appraisal year ``t`` runs
``0 .. appraisal_years - 1``; flows beyond are truncated.

The model is compiled once into arrays (:class:`CompiledModel`) so that the Monte Carlo, the
tornado and the switching values re-evaluate it for many parameter sets at once.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.errors import SroiInputError, SroiWarning
from sroi.value.config import (
    DeliveryCost,
    OutcomeValuation,
    ValuationSection,
)
from sroi.value.costs import UnitCostTable, load_confidence_grades, load_unit_costs
from sroi.value.prices import (
    discount_factors,
    load_deflators,
    load_discount_table,
    price_factor,
)

if TYPE_CHECKING:  # pragma: no cover
    from sroi.spec import Spec

__all__ = [
    "CompiledModel",
    "ValuationInputs",
    "compile_model",
    "inputs_from_spec",
    "PUBLIC_VALUE_TYPES",
    "FISCAL_TYPES",
    "CHAIN",
]

PUBLIC_VALUE_TYPES = ("fiscal_cashable", "fiscal_non_cashable", "economic", "social")
FISCAL_TYPES = ("fiscal_cashable", "fiscal_non_cashable")
#: Referral chain, in order; each step is costed as the extra cost of that step.
CHAIN = ("referral", "assessment", "child_in_need", "child_protection", "looked_after")
_ABSENCE = ("absence_days", "attendance_casework")


# ---------------------------------------------------------------------------- inputs
@dataclass
class ValuationInputs:
    """Everything the model needs, independent of :class:`sroi.Spec`.

    ``outcome_info`` maps an outcome name to ``(type, direction, column)``.
    """

    valuation: ValuationSection
    delivery_costs: list[DeliveryCost]
    cohort_size: int | None
    outcome_info: dict[str, tuple[str, str, str]]
    resolve: Callable[[str], Path]
    cost_table: UnitCostTable | None = None


def inputs_from_spec(spec: Spec, cost_table: UnitCostTable | None = None) -> ValuationInputs:
    """Collect the valuation inputs from an evaluation spec."""
    if getattr(spec, "valuation", None) is None:
        raise SroiInputError(
            "the spec has no 'valuation' section: add one (cost_file, price_year, outcomes...) "
            "to value the programme; see sroi.value.config"
        )
    info = {o.name: (o.type, o.direction, o.column) for o in spec.design.outcomes}
    return ValuationInputs(
        valuation=spec.valuation,
        delivery_costs=list(spec.programme.delivery_costs),
        cohort_size=spec.programme.cohort_size,
        outcome_info=info,
        resolve=spec.resolve,
        cost_table=cost_table,
    )


def normalise_effects(
    effects: Mapping[str, Effect] | Sequence[Effect] | None,
    outcome_info: Mapping[str, tuple[str, str, str]] | None = None,
) -> dict[str, Effect]:
    """``{outcome name: Effect}`` from a mapping or a list of effects with ``.outcome`` set.

    Keys that are outcome *columns* are mapped to outcome names.
    """
    if effects is None:
        return {}
    col_to_name = {v[2]: k for k, v in (outcome_info or {}).items()}
    out: dict[str, Effect] = {}
    if isinstance(effects, Mapping):
        items = list(effects.items())
    elif isinstance(effects, Sequence) and not isinstance(effects, str | bytes):
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
    else:
        raise SroiInputError(
            f"effects must be a mapping {{outcome: Effect}} or a list of Effects "
            f"(got {type(effects).__name__})"
        )
    for key, e in items:
        if not isinstance(e, Effect):
            raise SroiInputError(f"effects[{key!r}] is not an sroi.Effect (got {type(e).__name__})")
        name = col_to_name.get(key, key) if key not in (outcome_info or {}) else key
        if name in out:
            raise SroiInputError(f"two effects given for outcome {name!r}; pass one per outcome")
        out[name] = e
    return out


# ---------------------------------------------------------------------------- model
@dataclass
class Line:
    """One valued line: an outcome (or conversion step) costed with one unit-cost row."""

    key: str
    outcome: str
    group: str
    cost_id: str
    description: str
    agency: str
    value_type: str
    category: str
    measure: str
    basis: str  # observed | assumed | modelled
    scalar: float  # extra fixed multiplier of the line (1.0 unless scaled)
    amount: float  # unit cost in its own prices
    price_factor: float
    grade_reduction: float
    conversion: str | None  # conversion-step name (modelled lines)
    conversion_rate: float
    M: np.ndarray  # (H, T) cohort-to-appraisal-year matrix
    G: np.ndarray  # (H,) discounted: M @ D
    D: np.ndarray  # (T,) discount factors used


@dataclass
class Group:
    """Parameters shared by all lines driven by one effect (observed or assumed)."""

    name: str
    basis: str  # observed | assumed
    effect: float  # the effect estimate (assumed: engagement x success x (1 - GM deadweight))
    unit: float  # sign x events per participant per year per unit of effect
    effect_se: float
    effect_draws: np.ndarray | None
    deadweight: float
    displacement: float
    attribution: float
    drop_off: float
    lag: int
    observed_years: int
    weights: np.ndarray  # (H,) benefit-period weights
    total: bool  # one-off effect in the first benefit year
    engagement: float = 1.0
    success: float = 0.0
    gm_deadweight: float = 0.0
    success_low: float | None = None
    success_high: float | None = None
    W: np.ndarray | None = None  # (m, H) benefit-period weights per participant type


@dataclass
class CompiledModel:
    """The value model compiled to arrays; see the module docstring for the formula."""

    T: int
    lines: list[Line]
    groups: dict[str, Group]
    #: delivery cost lines: year, amount_base, uplift, agency, description, in_kind, spent...
    delivery: pd.DataFrame
    D_standard: np.ndarray
    cost_table: pd.DataFrame  # table in base prices (factor, amount_base...)
    price_year: str
    cohort: int
    starts: np.ndarray
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    excluded: list[dict[str, str]] = field(default_factory=list)
    assumptions: list[dict[str, Any]] = field(default_factory=list)
    conversions: dict[str, float] = field(default_factory=dict)
    conversion_ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    uncertainty: list[Any] = field(default_factory=list)

    # ------------------------------------------------------------- parameters
    def central(self) -> dict[str, float]:
        """Central value of every model parameter (names as in :class:`UncertainParameter`)."""
        p: dict[str, float] = {"effect_share": 1.0, "delivery_costs": 1.0}
        for g in self.groups.values():
            if g.basis == "assumed":
                p[f"engagement:{g.name}"] = g.engagement
                p[f"success:{g.name}"] = g.success
            else:
                p[f"effect:{g.name}"] = g.effect
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

    # ------------------------------------------------------------- evaluation
    def _profile(self, g: Group, dw: np.ndarray, dropoff: np.ndarray) -> np.ndarray:
        """Persistence profile ``p(k)`` for each draw: shape (n, H), or (1, H) when deadweight and
        drop-off are the same in every draw (the profile is then computed once)."""
        H = self.T
        k = np.arange(H)
        if g.total:
            return ((k == g.lag).astype(float) * g.weights)[None, :]
        if (dw == dw[0]).all() and (dropoff == dropoff[0]).all():
            dw, dropoff = dw[:1], dropoff[:1]
        after = k >= g.lag + g.observed_years  # deadweight applies from here
        # drop-off applies each year after the observed period (after the first year when
        # nothing was observed, e.g. an assumed effect)
        expo = np.maximum(0, k - g.lag - max(g.observed_years, 1) + 1)
        active = (k >= g.lag) * g.weights
        n = max(dw.shape[0], dropoff.shape[0])
        q = np.broadcast_to(1.0 - dropoff, (n,))
        prof = np.empty((n, H), order="F")  # column-major: one contiguous column per year
        cur = np.ones(n)
        for j in range(H):  # a loop over appraisal years (<= 400), vectorised over draws
            if expo[j] > 0:
                cur = cur * q
            np.multiply(cur, active[j], out=prof[:, j])
        if after.any() and (dw != 0).any():
            prof[:, after] *= np.broadcast_to(1.0 - dw, (n,))[:, None]
        return prof

    def _group_multiplier(self, g: Group, P: Mapping[str, np.ndarray]) -> np.ndarray:
        """Events avoided per participant per year (before persistence), per draw."""
        share = P["effect_share"]
        if g.basis == "assumed":
            eff = P[f"engagement:{g.name}"] * P[f"success:{g.name}"] * (1.0 - g.gm_deadweight)
        else:
            eff = P[f"effect:{g.name}"]
        return (
            share
            * eff
            * g.unit
            * (1.0 - P[f"displacement:{g.name}"])
            * (1.0 - P[f"attribution:{g.name}"])
        )

    def evaluate(
        self,
        params: Mapping[str, Any],
        *,
        grade: np.ndarray | None = None,
        uplift: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Present values for many parameter sets at once.

        ``params`` maps parameter names to arrays of equal length ``n`` (missing names take
        their central value). ``grade`` optionally replaces each line's ``(1 - g_r)`` factor
        (shape (n_lines,) or (n, n_lines)); the Monte Carlo uses it to drop the confidence
        reduction for costs that have their own distribution; ``uplift`` likewise replaces
        each delivery line's optimism-bias uplift (shape (n_delivery,)).

        Returns ``pv_lines`` (n, n_lines), ``pv_costs`` (n,).
        """
        central = self.central()
        n = max((np.size(v) for v in params.values()), default=1)
        P = {
            k: np.broadcast_to(np.asarray(params.get(k, v), dtype=float), (n,))
            for k, v in central.items()
        }
        unknown = sorted(set(params) - set(central))
        if unknown:
            raise SroiInputError(f"unknown model parameter(s) {unknown}; known: {sorted(central)}")
        pv = np.zeros((n, len(self.lines)))
        cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for j, ln in enumerate(self.lines):
            g = self.groups[ln.group]
            if g.name not in cache:
                dw = P.get(f"deadweight:{g.name}", np.zeros(n))
                prof = self._profile(g, dw, P[f"drop_off:{g.name}"])
                cache[g.name] = (self._group_multiplier(g, P), prof)
            mult, prof = cache[g.name]
            gfac = (1.0 - ln.grade_reduction) if grade is None else _col(grade, j, n)
            amount = P[f"cost:{ln.cost_id}"] * ln.price_factor
            conv = P[f"conversion:{ln.conversion}"] if ln.conversion else 1.0
            pv[:, j] = mult * (ln.scalar * gfac) * amount * conv * (prof @ ln.G)
        costs = np.zeros(n)
        dv = self.delivery
        up = dv["uplift"].to_numpy(dtype=float) if uplift is None else np.asarray(uplift)
        for i in range(len(dv)):
            costs += (
                P[f"delivery:{i}"] * (1.0 + float(up[i])) * self.D_standard[int(dv["year"].iloc[i])]
            )
        costs = costs * P["delivery_costs"]
        return {"pv_lines": pv, "pv_costs": costs}

    def streams(self, params: Mapping[str, float] | None = None) -> pd.DataFrame:
        """Long table of value by line and appraisal year (central parameters by default)."""
        central = self.central()
        P = {k: np.array([float((params or {}).get(k, v))]) for k, v in central.items()}
        rows = []
        years = np.arange(self.T)
        for ln in self.lines:
            g = self.groups[ln.group]
            dw = P.get(f"deadweight:{g.name}", np.zeros(1))
            prof = self._profile(g, dw, P[f"drop_off:{g.name}"])[0]
            mult = self._group_multiplier(g, P)[0]
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
                        "basis": ln.basis,
                        "value": value,
                        "discount_factor": ln.D,
                        "pv": value * ln.D,
                    }
                )
            )
        if not rows:
            return pd.DataFrame(
                columns=[
                    "year",
                    "outcome",
                    "cost_id",
                    "agency",
                    "value_type",
                    "basis",
                    "value",
                    "discount_factor",
                    "pv",
                ]
            )
        return pd.concat(rows, ignore_index=True)

    def cost_streams(self, multiplier: float = 1.0) -> pd.DataFrame:
        """Programme costs by line and year, with optimism-bias uplift and discounting."""
        dv = self.delivery.copy()
        dv["cost"] = dv["amount_base"] * (1.0 + dv["uplift"]) * multiplier
        dv["discount_factor"] = self.D_standard[dv["year"].to_numpy(dtype=int)]
        dv["pv"] = dv["cost"] * dv["discount_factor"]
        return dv


def _col(a: np.ndarray, j: int, n: int) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    return a[j] if a.ndim == 1 else a[:, j]


# ---------------------------------------------------------------------------- compile
def _pupil_kernel(
    H: int, basis: str, duration: float, W: np.ndarray, p: np.ndarray, R: np.ndarray | None
) -> np.ndarray:
    """``K[k, j] = sum_i p_i W_i(k) K_i(k, j)``: cost in participant year j of the events of
    participant year k, averaged over participant types i (shares ``p_i``).

    ``W_i(k) = clip(B_i - k, 0, 1)`` is the benefit-period weight (``B_i`` capped at pupil i's
    remaining school years ``R_i``); ``K_i`` is the identity for one-off costs,
    ``clip(D - (j - k), 0, 1)`` for ``j >= k`` for costs lasting ``D`` years, and
    ``clip(R_i - j, 0, 1)`` for ``j >= k`` for costs lasting the remaining school years. Averaging
    the product (not the factors) keeps the per-pupil cap exact.
    """
    k = np.arange(H)[:, None]
    j = np.arange(H)[None, :]
    wbar = p @ W  # (H,)
    if basis == "one_off":
        return np.diag(wbar)
    if np.isinf(duration):
        assert R is not None
        C = np.clip(R[:, None] - np.arange(H)[None, :], 0.0, 1.0)  # (m, H)
        return np.where(j >= k, (W * p[:, None]).T @ C, 0.0)
    return wbar[:, None] * np.where(j >= k, np.clip(float(duration) - (j - k), 0.0, 1.0), 0.0)


def _cohort_matrix(K: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``M[k, t] = sum_s n_s K[k, t - s]`` (participants starting in year s)."""
    H = K.shape[0]
    M = np.zeros_like(K)
    for s in np.flatnonzero(starts):  # a handful of start years, not rows of data
        M[:, s:] += starts[s] * K[:, : H - s]
    return M


def compile_model(
    inputs: ValuationInputs,
    effects: Mapping[str, Effect] | None = None,
) -> CompiledModel:
    """Validate the inputs and compile the value model (see the module docstring)."""
    V = inputs.valuation
    warn: list[str] = []
    notes: list[str] = []
    excluded: list[dict[str, str]] = []
    assumptions: list[dict[str, Any]] = []
    effects = dict(effects or {})

    # --- tables
    defl = load_deflators(inputs.resolve(V.deflators) if V.deflators else None)
    grades = load_confidence_grades(
        inputs.resolve(V.confidence_grades) if V.confidence_grades else None
    )
    table = inputs.cost_table
    if table is None:
        table = load_unit_costs(
            inputs.resolve(V.cost_file), sheet=V.cost_sheet, deflators=defl, grades=grades
        )
    notes.extend(table.notes)
    if V.price_year not in defl.index:
        raise SroiInputError(
            f"valuation.price_year {V.price_year} is not in the GDP deflator table "
            f"({defl.index[0]} to {defl.index[-1]}); choose a covered year or extend the table"
        )
    base = table.in_prices_of(V.price_year, defl)
    base["grade_reduction"] = base["confidence"].map(grades["benefit_reduction"]).astype(float)
    base = base.set_index("id", drop=False)
    dtab = load_discount_table(inputs.resolve(V.discount.table) if V.discount.table else None)
    T = V.appraisal_years
    disc = {
        s: discount_factors(
            T,
            s,
            table=dtab,
            convention=V.discount.convention,
            constant_rate=V.discount.constant_rate,
        )
        for s in ("standard", "health")
    }
    if V.discount.constant_rate is not None:
        notes.append(
            f"constant discount rate {V.discount.constant_rate:.2%} used instead of the Green "
            "Book schedule (sensitivity analysis)"
        )

    # --- cohort and starts
    cohort = V.cohort_size or inputs.cohort_size
    if V.starts_by_year is not None:
        starts = np.zeros(T)
        starts[: len(V.starts_by_year)] = V.starts_by_year
        if cohort is not None and int(round(starts.sum())) != cohort:
            raise SroiInputError(
                f"valuation.starts_by_year sums to {int(starts.sum())} but the cohort size is "
                f"{cohort}; make them agree"
            )
        cohort = int(round(starts.sum()))
    else:
        if cohort is None:
            raise SroiInputError(
                "cohort size unknown: set programme.cohort_size or valuation.cohort_size "
                "(or valuation.starts_by_year)"
            )
        starts = np.zeros(T)
        starts[0] = cohort
        notes.append(f"all {cohort} participants assumed to start in appraisal year 0")
    R_raw = V.remaining_school_years
    if R_raw is None:
        R = None
        R_vals, R_p = np.array([np.nan]), np.array([1.0])
    else:
        if isinstance(R_raw, dict):  # {years left: number of participants}
            R_vals = np.array(list(R_raw), dtype=float)
            counts = np.array(list(R_raw.values()), dtype=float)
        else:
            R_vals, counts = np.unique(
                np.atleast_1d(np.asarray(R_raw, dtype=float)), return_counts=True
            )
        R_p = counts / counts.sum()
        R = float(R_p @ R_vals)  # cohort average, for notes and the register

    A = V.adjustments
    info = inputs.outcome_info
    col_to_name = {v[2]: k for k, v in info.items()}

    def cost_rows_for(name: str, explicit: list[str] | None, where: str) -> list[str]:
        if explicit is not None:
            for cid in explicit:
                if cid not in base.index:
                    raise SroiInputError(
                        f"{where}: cost id {cid!r} is not in the cost table {table.path} "
                        f"(ids: {', '.join(table.ids)})"
                    )
            return list(explicit)
        keys = {name}
        if name in info:
            keys.add(info[name][2])
        ids = list(base.loc[base["outcome"].isin(keys), "id"])
        return ids

    # --- which outcomes to value
    ov_list: list[OutcomeValuation] = list(V.outcomes)
    listed = {o.outcome for o in ov_list}
    listed_names = {col_to_name.get(o, o) for o in listed}
    if not ov_list:
        for name in effects:
            if cost_rows_for(name, None, "effects"):
                ov_list.append(OutcomeValuation(outcome=name))
        if effects:
            notes.append(
                "valuation.outcomes not given: valuing every effect with matching cost rows ("
                + ", ".join(o.outcome for o in ov_list)
                + ")"
            )
    for name in effects:
        if name not in listed_names and name not in {o.outcome for o in ov_list}:
            excluded.append(
                {"outcome": name, "reason": "not listed in valuation.outcomes (not valued)"}
            )
    assumed_names = {a.outcome for a in V.assumed_effects}
    for a in V.assumed_effects:
        nm = col_to_name.get(a.outcome, a.outcome)
        if nm in effects and not effects[nm].is_assumed:
            raise SroiInputError(
                f"valuation.assumed_effects: outcome {a.outcome!r} also has an effect estimated "
                "on the cohort; an assumed (engagement x success) effect must never be applied on "
                "top of an estimated ATT. Remove one of them."
            )

    groups: dict[str, Group] = {}
    lines: list[Line] = []

    def persistence(ov: Any, e: Effect | None) -> tuple[float, str]:
        if getattr(ov, "drop_off", None) is not None:
            return float(ov.drop_off), "valuation.outcomes[].drop_off"
        if A.drop_off is not None:
            return float(A.drop_off), "valuation.adjustments.drop_off"
        if e is not None and isinstance(e.extra, dict) and "drop_off" in e.extra:
            v = float(e.extra["drop_off"])
            if not 0 <= v <= 1:
                raise SroiInputError(
                    f"Effect for {e.outcome!r}: extra['drop_off'] must be in [0, 1] (got {v})"
                )
            return v, "event study (Effect.extra['drop_off'])"
        return 1.0, "default: no persistence beyond the observed period"

    def benefit_years(ov: Any, where: str) -> tuple[np.ndarray, str]:
        """Benefit years per participant type (aligned with ``R_vals``) and their source."""
        by = ov.benefit_years
        if ov.in_school and R is not None:
            if by is None:
                return R_vals.copy(), "remaining years in school (valuation.remaining_school_years)"
            if ov.benefit_years_source:
                return np.full(R_vals.shape, float(by)), ov.benefit_years_source
            capped = R_vals < by
            if capped.any():
                warn.append(
                    f"{where}: benefit_years {by:g} capped at the remaining years in school for "
                    f"{R_p[capped].sum():.0%} of participants (average {R:.2f} years; give "
                    "benefit_years_source to justify a longer period)"
                )
                return np.minimum(R_vals, by), "capped at remaining years in school"
            return np.full(R_vals.shape, float(by)), "valuation"
        if by is None:
            m = float(getattr(ov, "observed_years", 1) or 1)
            notes.append(
                f"{where}: no benefit_years and no remaining_school_years: benefit period = "
                f"{m:g} year(s)"
            )
            return np.full(R_vals.shape, m), "default: observed period"
        return np.full(R_vals.shape, float(by)), ov.benefit_years_source or "valuation"

    def add_lines(
        grp: Group,
        outcome: str,
        ids: list[str],
        basis: str,
        unit_scalar: float,
        conversion: tuple[str, float] | None = None,
    ) -> None:
        for cid in ids:
            r = base.loc[cid]
            if r["basis"] == "per_annum" and np.isinf(r["duration_years"]) and R is None:
                raise SroiInputError(
                    f"cost {cid!r} lasts the 'remaining' school years but "
                    "valuation.remaining_school_years is not set; set it or give a number of years"
                )
            K = _pupil_kernel(
                T, r["basis"], float(r["duration_years"]), grp.W, R_p, None if R is None else R_vals
            )
            M = _cohort_matrix(K, starts)
            D = disc["health"] if r["measure"] in ("QALY", "WELLBY") else disc["standard"]
            lines.append(
                Line(
                    key=f"{outcome}/{cid}",
                    outcome=outcome,
                    group=grp.name,
                    cost_id=cid,
                    description=str(r["description"]),
                    agency=str(r["agency"]),
                    value_type=str(r["value_type"]),
                    category=str(r["category"]),
                    measure=str(r["measure"]),
                    basis=basis,
                    scalar=unit_scalar,
                    amount=float(r["amount"]),
                    price_factor=float(r["factor"]),
                    grade_reduction=(
                        float(r["grade_reduction"])
                        if V.optimism_bias.benefits_by_confidence
                        else 0.0
                    ),
                    conversion=conversion[0] if conversion else None,
                    conversion_rate=conversion[1] if conversion else 1.0,
                    M=M,
                    G=M @ D,
                    D=D,
                )
            )

    # --- observed (estimated) effects
    for ov in ov_list:
        name = col_to_name.get(ov.outcome, ov.outcome)
        where = f"valuation.outcomes[{ov.outcome}]"
        if name in assumed_names:
            continue
        e = effects.get(name) or effects.get(ov.outcome)
        if e is None:
            excluded.append({"outcome": name, "reason": "no effect supplied (not valued)"})
            warn.append(f"{where}: no effect was supplied for {name!r}; it is not valued")
            continue
        # an estimated effect with no usable sampling distribution (no SE, or SE 0, and no
        # draws) or flagged by the impact code (extra['estimable'] is False) is not valued
        no_dist = e.draws is None and not (np.isfinite(e.std_error) and e.std_error > 0)
        unest = (isinstance(e.extra, dict) and e.extra.get("estimable") is False) or (
            not e.is_assumed and no_dist
        )
        if unest:
            excluded.append(
                {
                    "outcome": name,
                    "reason": "effect could not be estimated (flagged, or no standard error "
                    "or draws); not valued as if known",
                }
            )
            why = (e.extra or {}).get("not_estimable_reason") if isinstance(e.extra, dict) else None
            why = why or "no standard error, e.g. a rare outcome"
            warn.append(
                f"{name}: the effect could not be estimated reliably ({why}); it is flagged "
                "and left out of the valuation"
            )
            continue
        otype, odir, _ = info.get(name, (None, None, None))
        direction = ov.direction or odir
        if direction is None:
            raise SroiInputError(
                f"{where}: direction unknown for outcome {name!r}; it is not in "
                "design.outcomes, so set direction: increase|decrease"
            )
        if otype is None:
            otype = "binary"
            notes.append(
                f"{name}: outcome type unknown (not in design.outcomes); treated as a count of "
                "events (per-term effects are multiplied by terms_per_year)"
            )
        period = (
            ov.effect_period or e.period or ("term" if otype in ("binary", "count") else "year")
        )
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
        per_year = V.terms_per_year if (period == "term" and otype in ("binary", "count")) else 1.0
        sign = 1.0 if direction == "increase" else -1.0
        unit = sign * per_year * ov.quantity_per_unit
        ids = cost_rows_for(name, ov.costs, where)
        if not ids:
            raise SroiInputError(
                f"{where}: no unit-cost rows for outcome {name!r}; add rows with outcome "
                f"{name!r} to {table.path} or list cost ids in {where}.costs"
            )
        dw = ov.deadweight if ov.deadweight is not None else A.deadweight
        if e.is_assumed:
            obs = 0
        else:
            obs = ov.observed_years
            if dw > 0 and obs > 0:
                warn.append(
                    f"{name}: deadweight {dw:g} set to zero for the {obs} observed year(s): the "
                    "effect was estimated against a comparison group, which already nets out "
                    "what would have happened anyway; it applies only after the observed period"
                )
        drop, drop_src = persistence(ov, e)
        by, by_src = benefit_years(ov, where)
        lag = ov.lag_years if ov.lag_years is not None else A.lag_years
        g = Group(
            name=name,
            basis="assumed" if e.is_assumed else "observed",
            effect=float(e.estimate),
            unit=unit,
            effect_se=float(e.std_error),
            effect_draws=e.draws,
            deadweight=float(dw),
            displacement=float(ov.displacement if ov.displacement is not None else A.displacement),
            attribution=float(ov.attribution if ov.attribution is not None else A.attribution),
            drop_off=drop,
            lag=int(lag),
            observed_years=int(obs),
            weights=np.ones(T),
            W=np.clip(by[:, None] - np.arange(T)[None, :], 0.0, 1.0),
            total=period == "total",
        )
        if e.is_assumed:
            # an Effect.assumed(...) is valued like an estimated effect but tagged 'assumed'
            g.basis = "assumed_effect"
        groups[name] = g
        add_lines(g, name, ids, "observed" if not e.is_assumed else "assumed", 1.0)
        src_eff = e.source or f"{e.method or 'estimate'} ({e.estimand})"
        assumptions.extend(
            [
                _assump(
                    f"effect:{name}",
                    e.estimate,
                    f"{e.period or period}",
                    src_eff,
                    "estimate",
                    f"SE {e.std_error:.4g}" if np.isfinite(e.std_error) else "",
                ),
                _assump(
                    f"events per unit effect:{name}",
                    unit,
                    "per participant per year",
                    ov.quantity_source or f"{per_year:g} x {ov.quantity_per_unit:g} x sign",
                    "conversion",
                    f"direction {direction}",
                ),
                _assump(
                    f"deadweight:{name}",
                    dw,
                    "proportion",
                    "valuation.adjustments",
                    "adjustment",
                    f"zero for the {obs} observed year(s)" if obs else "",
                ),
                _assump(
                    f"displacement:{name}",
                    g.displacement,
                    "proportion",
                    "valuation.adjustments",
                    "adjustment",
                ),
                _assump(
                    f"attribution:{name}",
                    g.attribution,
                    "proportion",
                    "valuation.adjustments",
                    "adjustment",
                    "kept with a comparison group (others' contribution)",
                ),
                _assump(f"drop_off:{name}", drop, "proportion a year", drop_src, "adjustment"),
                _assump(
                    f"benefit_years:{name}",
                    float(R_p @ by),
                    "years per participant (average)",
                    by_src,
                    "period",
                ),
                _assump(f"lag_years:{name}", lag, "years", "valuation.adjustments", "period"),
            ]
        )

    # --- assumed effects (Greater Manchester: cohort x engagement x success x (1 - deadweight))
    for a in V.assumed_effects:
        name = col_to_name.get(a.outcome, a.outcome)
        where = f"valuation.assumed_effects[{a.outcome}]"
        if a.cohort is not None and a.cohort != cohort:
            scale_cohort = a.cohort / cohort
        else:
            scale_cohort = 1.0
        # success_rate is the improvement in the desired direction (events avoided for a
        # 'decrease' outcome), as in the Greater Manchester model: no sign flip here
        ids = cost_rows_for(a.outcome, a.costs, where)
        if not ids:
            raise SroiInputError(
                f"{where}: no unit-cost rows for outcome {a.outcome!r}; list cost ids in "
                f"{where}.costs"
            )
        drop, drop_src = persistence(a, None)
        by, by_src = benefit_years(a, where)
        lag = a.lag_years if a.lag_years is not None else A.lag_years
        g = Group(
            name=name,
            basis="assumed",
            effect=a.success_rate * a.engagement_rate * (1 - a.deadweight),
            unit=scale_cohort,
            effect_se=math.nan,
            effect_draws=None,
            deadweight=0.0,
            displacement=float(a.displacement if a.displacement is not None else A.displacement),
            attribution=float(a.attribution if a.attribution is not None else A.attribution),
            drop_off=drop,
            lag=int(lag),
            observed_years=1 if a.effect_period == "year" else 0,
            weights=np.ones(T),
            W=np.clip(by[:, None] - np.arange(T)[None, :], 0.0, 1.0),
            total=a.effect_period == "total",
            engagement=a.engagement_rate,
            success=a.success_rate,
            gm_deadweight=a.deadweight,
            success_low=a.success_low,
            success_high=a.success_high,
        )
        groups[name] = g
        add_lines(g, name, ids, "assumed", 1.0)
        assumptions.extend(
            [
                _assump(f"engagement:{name}", a.engagement_rate, "proportion", a.source, "assumed"),
                _assump(
                    f"success:{name}",
                    a.success_rate,
                    f"events per engaged participant per {a.effect_period}",
                    a.source,
                    "assumed",
                ),
                _assump(f"gm_deadweight:{name}", a.deadweight, "proportion", a.source, "assumed"),
                _assump(f"drop_off:{name}", drop, "proportion a year", drop_src, "adjustment"),
                _assump(
                    f"benefit_years:{name}",
                    float(R_p @ by),
                    "years per participant (average)",
                    by_src,
                    "period",
                ),
            ]
        )
        if a.cohort is not None and a.cohort != cohort:
            notes.append(f"{name}: assumed effect applies to {a.cohort} of {cohort} participants")

    # --- conversion chains (modelled)
    conversions: dict[str, float] = {}
    conversion_ranges: dict[str, tuple[float | None, float | None]] = {}
    for c in V.conversions:
        src = col_to_name.get(c.from_outcome, c.from_outcome)
        where = f"valuation.conversions[{c.name}]"
        if src not in groups:
            excluded.append(
                {"outcome": c.name, "reason": f"conversion from {src!r}, which is not valued"}
            )
            warn.append(f"{where}: source outcome {src!r} is not valued, so the step is skipped")
            continue
        g = groups[src]
        ids = cost_rows_for(c.name, c.costs, where)
        add_lines(g, c.name, ids, "modelled", 1.0, conversion=(c.name, c.rate))
        conversions[c.name] = c.rate
        conversion_ranges[c.name] = (c.low, c.high)
        assumptions.append(
            _assump(
                f"conversion:{c.name}",
                c.rate,
                f"events per {src} event",
                c.rate_source,
                "modelled",
                "kept out of the headline",
            )
        )

    _check_double_counting(lines, base)

    # --- unit costs used
    used = sorted({ln.cost_id for ln in lines}, key=lambda x: list(base.index).index(x))
    for cid in used:
        r = base.loc[cid]
        assumptions.append(
            _assump(
                f"cost:{cid}",
                float(r["amount_base"]),
                f"GBP {V.price_year} prices, {r['unit'] or r['basis']}",
                str(r["source"]),
                f"grade {r['confidence']}",
                f"{r['description']}; {r['price_year']} prices x {r['factor']:.4f}; "
                f"confidence reduction {float(r['grade_reduction']):.0%}",
            )
        )

    # --- delivery costs
    dv_rows = []
    for i, d in enumerate(inputs.delivery_costs):
        where = f"programme.delivery_costs[{i}]"
        if d.year >= T:
            raise SroiInputError(
                f"{where}: year {d.year} is beyond the appraisal period "
                f"(valuation.appraisal_years = {T})"
            )
        factor = price_factor(d.price_year, V.price_year, defl) if d.price_year else 1.0
        ob = V.optimism_bias
        if d.spent:
            uplift = 0.0
        elif d.optimism_bias is not None:
            uplift = d.optimism_bias
        elif d.project_type is not None:
            if d.project_type not in ob.by_project_type:
                raise SroiInputError(
                    f"{where}: project_type {d.project_type!r} has no uplift in "
                    "valuation.optimism_bias.by_project_type "
                    f"(known: {sorted(ob.by_project_type)})"
                )
            uplift = ob.by_project_type[d.project_type]
        else:
            uplift = ob.costs
        dv_rows.append(
            {
                "year": d.year,
                "description": d.description,
                "agency": d.agency,
                "in_kind": d.in_kind,
                "spent": d.spent,
                "amount_base": d.amount * factor,
                "uplift": float(uplift),
                "low_base": (d.low if d.low is not None else d.amount) * factor,
                "high_base": (d.high if d.high is not None else d.amount) * factor,
                "source": d.source,
            }
        )
        assumptions.append(
            _assump(
                f"delivery:{i}",
                d.amount * factor,
                f"GBP {V.price_year} prices, year {d.year}",
                d.source,
                "spent (outturn)" if d.spent else "estimate",
                f"{d.description}; optimism bias uplift {uplift:.0%}"
                + ("; in kind" if d.in_kind else ""),
            )
        )
    delivery = pd.DataFrame(
        dv_rows,
        columns=[
            "year",
            "description",
            "agency",
            "in_kind",
            "spent",
            "amount_base",
            "uplift",
            "low_base",
            "high_base",
            "source",
        ],
    )
    if delivery.empty:
        warn.append(
            "no programme delivery costs (programme.delivery_costs): the SROI ratio is undefined"
        )
    assumptions.extend(
        [
            _assump(
                "price_year", V.price_year, "financial year", "valuation.price_year", "setting"
            ),
            _assump("appraisal_years", T, "years", "valuation", "setting"),
            _assump(
                "cohort_size",
                cohort,
                "participants",
                "spec",
                "setting",
                f"starts by year {starts[starts > 0].astype(int).tolist()}",
            ),
            _assump("remaining_school_years", R, "years", "valuation", "setting"),
            _assump(
                "discount",
                V.discount.constant_rate
                if V.discount.constant_rate is not None
                else "Green Book STPR schedule",
                "rate",
                "HM Treasury Green Book (2022)",
                "setting",
                f"convention: {V.discount.convention}",
            ),
            _assump("optimism_bias.costs", V.optimism_bias.costs, "uplift", "valuation", "setting"),
        ]
    )
    for w in warn:
        warnings.warn(w, SroiWarning, stacklevel=3)
    return CompiledModel(
        T=T,
        lines=lines,
        groups=groups,
        delivery=delivery,
        D_standard=disc["standard"],
        cost_table=base.reset_index(drop=True),
        price_year=V.price_year,
        cohort=int(cohort),
        starts=starts,
        warnings=warn,
        notes=notes,
        excluded=excluded,
        assumptions=assumptions,
        conversions=conversions,
        conversion_ranges=conversion_ranges,
        uncertainty=list(V.uncertainty),
    )


def _assump(
    name: str, value: Any, unit: str, source: str, confidence: str, note: str = ""
) -> dict[str, Any]:
    if isinstance(value, np.generic):
        value = value.item()
    return {
        "parameter": name,
        "value": value,
        "unit": unit,
        "source": source,
        "confidence": confidence,
        "note": note,
    }


def _check_double_counting(lines: list[Line], base: pd.DataFrame) -> None:
    """Reject double counting, naming the two rows (see issue 5, 'No double counting')."""

    def label(ln: Line) -> str:
        return f"{ln.outcome} x {ln.cost_id} ({ln.category})"

    # the same unit cost counted for two outcomes
    seen: dict[str, Line] = {}
    for ln in lines:
        prev = seen.get(ln.cost_id)
        if prev is not None:
            what = "for two outcomes" if prev.outcome != ln.outcome else "twice"
            raise SroiInputError(
                f"double counting: cost row {ln.cost_id!r} is valued {what}: "
                f"{label(prev)} and {label(ln)}; value it once"
            )
        seen[ln.cost_id] = ln
    # absence: attendance, persistent absence and suspensions' lost days measure the same days
    absence = [ln for ln in lines if ln.category in _ABSENCE]
    for i, a in enumerate(absence):
        for b in absence[i + 1 :]:
            if a.outcome != b.outcome:
                raise SroiInputError(
                    "double counting: absence is valued twice: "
                    f"{label(a)} and {label(b)}. Suspensions are recorded as absence and "
                    "persistent absence is a threshold on the same sessions: value attendance OR "
                    "persistent absence, and not suspensions' lost days alongside either"
                )
    # exclusion: process + AP place, never also a lifetime cost of exclusion
    life = [ln for ln in lines if ln.category == "lifetime_exclusion"]
    others = [
        ln for ln in lines if ln.category in ("youth_justice", "benefits", "alternative_provision")
    ]
    if life and others:
        raise SroiInputError(
            f"double counting: {label(life[0])} is a lifetime cost of exclusion, which already "
            f"includes {label(others[0])}; value a permanent exclusion as the exclusion process "
            "plus an alternative-provision place, or the lifetime cost alone"
        )
    # referral chain: one row per step per source; later steps only through conversions
    by_step: dict[tuple[str, str], Line] = {}
    for ln in lines:
        if ln.category not in CHAIN:
            continue
        src = ln.group
        key = (src, ln.category)
        if key in by_step:
            raise SroiInputError(
                f"double counting: the {ln.category} step of the chain from {src!r} is costed "
                f"twice: {label(by_step[key])} and {label(ln)}; cost each step once, as the "
                "extra cost of that step"
            )
        by_step[key] = ln
        if (
            ln.basis != "modelled"
            and "referral" in ln.outcome
            and CHAIN.index(ln.category) > CHAIN.index("assessment")
        ):
            raise SroiInputError(
                f"double counting: {label(ln)} costs a later step of the referral chain "
                "directly against the referral effect (as if every referral became "
                f"{ln.category}); value it through valuation.conversions with a sourced rate"
            )
