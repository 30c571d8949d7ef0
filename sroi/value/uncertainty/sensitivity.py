"""Uncertainty for the value model: switching values, one-way sensitivity, scenarios, Monte Carlo.

All functions re-evaluate a :class:`sroi.value.model.CompiledModel` for many parameter sets at
once (arrays of shape ``(n,)`` per parameter), so 10,000 Monte Carlo draws take milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.value.model import CompiledModel

if TYPE_CHECKING:  # pragma: no cover
    from sroi.spec import Spec
    from sroi.value.valuation import ValueResult

__all__ = [
    "switching_values",
    "simulate",
    "SimulationResult",
    "Distribution",
    "parameter_distributions",
    "tornado",
    "scenarios",
]

_BOUNDS = {
    "deadweight": (0.0, 1.0),
    "displacement": (0.0, 1.0),
    "attribution": (0.0, 1.0),
    "drop_off": (0.0, 1.0),
    "engagement": (0.0, 1.0),
}


def _bounds(name: str) -> tuple[float, float]:
    kind = name.split(":", 1)[0]
    if kind in _BOUNDS:
        return _BOUNDS[kind]
    if kind in ("cost", "delivery", "conversion", "delivery_costs", "effect_share"):
        return (0.0, math.inf)
    return (-math.inf, math.inf)


def _npv(model: CompiledModel, params: dict[str, np.ndarray]) -> np.ndarray:
    from sroi.value.valuation import headline

    ev = model.evaluate(params)
    return headline(ev["pv_lines"], ev["pv_costs"], model)["npv"]


def switching_values(model: CompiledModel) -> pd.DataFrame:
    """Value of each parameter at which the SROI ratio is 1 (NPV = 0), others at central values.

    HM Treasury Green Book (2022), switching values. The NPV is linear in every parameter except
    drop-off, so the switching value is solved exactly from two evaluations
    ``x* = x0 - NPV(x0) / slope``; drop-off is solved on a grid over [0, 1] with linear
    interpolation. ``effect_share`` is the break-even share of the estimated effects.
    ``feasible`` says whether the switching value lies in the parameter's allowed range.
    """
    central = model.central()
    names = [k for k in central if not k.startswith("drop_off:")]
    x0 = np.array([central[k] for k in names])
    # two evaluations per parameter, in one vectorised call: x0 and x0 + h
    h = np.where(np.abs(x0) > 0, np.abs(x0) * 0.5, 1.0)
    n = len(names)
    params = {k: np.full(2 * n, central[k]) for k in central}
    for i, k in enumerate(names):
        params[k][2 * i + 1] = x0[i] + h[i]
    npv = _npv(model, params) if n else np.zeros(0)
    base = float(npv[0]) if n else float(_npv(model, {})[0])
    rows = []
    for i, k in enumerate(names):
        slope = (npv[2 * i + 1] - npv[2 * i]) / h[i]
        if abs(slope) < 1e-12 * max(1.0, abs(base)):
            sv = math.nan
        else:
            sv = float(x0[i] - npv[2 * i] / slope)
        rows.append((k, float(x0[i]), sv))
    for k in [k for k in central if k.startswith("drop_off:")]:
        grid = np.linspace(0.0, 1.0, 1001)
        y = _npv(model, {k: grid})
        s = np.sign(y)
        idx = np.flatnonzero(s[:-1] * s[1:] < 0)
        if len(idx):
            j = idx[0]
            sv = float(grid[j] - y[j] * (grid[j + 1] - grid[j]) / (y[j + 1] - y[j]))
        else:
            sv = math.nan
        rows.append((k, float(central[k]), sv))
    out = pd.DataFrame(rows, columns=["parameter", "central", "switching_value"])
    lo = np.array([_bounds(k)[0] for k in out["parameter"]])
    hi = np.array([_bounds(k)[1] for k in out["parameter"]])
    sv = out["switching_value"].to_numpy()
    out["feasible"] = np.isfinite(sv) & (sv >= lo) & (sv <= hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change_needed"] = np.where(out["central"] != 0, sv / out["central"] - 1.0, np.nan)
    return out


# ---------------------------------------------------------------------------- distributions
@dataclass(frozen=True)
class Distribution:
    """A distribution for one model parameter.

    ``kind``: ``normal`` (mean, sd), ``lognormal`` (mean, sd on the natural scale),
    ``triangular`` / ``pert`` (low, mode, high), ``uniform`` (low, high), ``fixed`` (mode),
    ``draws`` (empirical draws, e.g. bootstrap draws of an effect). PERT is the Beta-PERT
    (Malcolm et al., 1959): ``low + (high - low) * Beta(1 + 4 (mode - low)/(high - low),
    1 + 4 (high - mode)/(high - low))``.
    """

    parameter: str
    kind: str
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    source: str = ""
    values: np.ndarray | None = field(default=None, repr=False, compare=False)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        k = self.kind
        if k == "fixed":
            return np.full(n, float(self.mode))
        if k == "normal":
            return rng.normal(self.mean, self.sd, n)
        if k == "lognormal":
            s2 = math.log1p((self.sd / self.mean) ** 2)
            return rng.lognormal(math.log(self.mean) - s2 / 2, math.sqrt(s2), n)
        if k == "uniform":
            return rng.uniform(self.low, self.high, n)
        if k in ("triangular", "pert") and self.high == self.low:
            return np.full(n, float(self.mode))
        if k == "triangular":
            return rng.triangular(self.low, self.mode, self.high, n)
        if k == "pert":
            w = self.high - self.low
            a = 1 + 4 * (self.mode - self.low) / w
            b = 1 + 4 * (self.high - self.mode) / w
            return self.low + w * rng.beta(a, b, n)
        if k == "draws":
            return rng.choice(self.values, n, replace=True)
        raise SroiInputError(f"{self.parameter}: unknown distribution {k!r}")  # pragma: no cover


def _pert(name: str, low: float | None, mode: float, high: float | None, src: str):
    if low is None or high is None or low == high:
        return None
    return Distribution(
        name, "pert", low=float(low), mode=float(mode), high=float(high), source=src
    )


def parameter_distributions(
    model: CompiledModel,
) -> dict[str, Distribution]:
    """Distributions of the model's uncertain parameters (other than the effects).

    Defaults: PERT(low, central, high) from a unit cost's ``low``/``high`` columns, a delivery
    cost's ``low``/``high``, a conversion's ``low``/``high`` and an assumed effect's
    ``success_low``/``success_high``; entries in ``valuation.uncertainty`` replace or add to
    them (the parameter must exist in the model).
    """
    central = model.central()
    out: dict[str, Distribution] = {}
    tab = model.cost_table.set_index("id")
    for cid in {ln.cost_id for ln in model.lines}:
        r = tab.loc[cid]
        d = _pert(f"cost:{cid}", r["low"], r["amount"], r["high"], "cost table low/high")
        if d:
            out[d.parameter] = d
    dv = model.delivery
    for i in range(len(dv)):
        d = _pert(
            f"delivery:{i}",
            dv["low_base"].iloc[i],
            dv["amount_base"].iloc[i],
            dv["high_base"].iloc[i],
            "programme.delivery_costs low/high",
        )
        if d:
            out[d.parameter] = d
    for name, (lo, hi) in model.conversion_ranges.items():
        d = _pert(f"conversion:{name}", lo, model.conversions[name], hi, "conversion low/high")
        if d:
            out[d.parameter] = d
    for g in model.groups.values():
        if g.basis == "assumed" and g.success_low is not None and g.success_high is not None:
            d = _pert(
                f"success:{g.name}",
                g.success_low,
                g.success,
                g.success_high,
                "assumed_effects success_low/high",
            )
            if d:
                out[d.parameter] = d
    for u in model.uncertainty:
        if u.parameter not in central:
            raise SroiInputError(
                f"valuation.uncertainty: parameter {u.parameter!r} is not in the model; known "
                f"parameters: {', '.join(sorted(central))}"
            )
        out[u.parameter] = Distribution(
            u.parameter,
            u.distribution,
            low=u.low,
            mode=u.mode,
            high=u.high,
            mean=u.mean,
            sd=u.sd,
            source=u.source,
        )
    return out


def _effect_draws(
    model: CompiledModel,
    n: int,
    rng: np.random.Generator,
    effect_cov: pd.DataFrame | None,
) -> tuple[dict[str, np.ndarray], list[dict[str, Any]]]:
    """Joint draws of the estimated effects.

    Effects with ``draws`` of the same length are resampled with the *same* indices, keeping
    their joint distribution (they come from the same bootstrap resamples of the same pupils);
    the others are drawn from a multivariate normal with ``effect_cov`` (outcome x outcome,
    when given) or independent normals with their standard errors.
    """
    out: dict[str, np.ndarray] = {}
    info: list[dict[str, Any]] = []
    groups = [g for g in model.groups.values() if g.basis != "assumed"]
    by_len: dict[int, list[Any]] = {}
    normal = []
    for g in groups:
        if g.effect_draws is not None and len(g.effect_draws) >= 2:
            by_len.setdefault(len(g.effect_draws), []).append(g)
        elif np.isfinite(g.effect_se) and g.effect_se > 0:
            normal.append(g)
        else:
            info.append(
                {
                    "parameter": f"effect:{g.name}",
                    "distribution": "fixed",
                    "source": "no standard error (assumed effect)",
                }
            )
    for m, gs in by_len.items():
        idx = np.arange(n) if m == n else rng.integers(0, m, n)
        for g in gs:
            out[f"effect:{g.name}"] = np.asarray(g.effect_draws, dtype=float)[idx]
            info.append(
                {
                    "parameter": f"effect:{g.name}",
                    "distribution": "draws",
                    "source": f"Effect.draws ({m}), resampled jointly",
                }
            )
    if normal:
        names = [g.name for g in normal]
        mu = np.array([g.effect for g in normal])
        se = np.array([g.effect_se for g in normal])
        cov = np.diag(se**2)
        if effect_cov is not None:
            missing = [x for x in names if x not in effect_cov.index or x not in effect_cov.columns]
            if missing:
                raise SroiInputError(
                    f"effect_cov has no rows/columns for outcome(s) {missing}; give the full "
                    "outcome x outcome covariance of the estimates"
                )
            cov = effect_cov.loc[names, names].to_numpy(dtype=float)
            if not np.allclose(cov, cov.T) or np.linalg.eigvalsh(cov).min() < -1e-12:
                raise SroiInputError("effect_cov must be a symmetric positive semi-definite matrix")
        z = rng.multivariate_normal(mu, cov, size=n, method="eigh")
        for j, g in enumerate(normal):
            out[f"effect:{g.name}"] = z[:, j]
            info.append(
                {
                    "parameter": f"effect:{g.name}",
                    "distribution": "normal",
                    "source": "estimate and standard error"
                    + (" (joint covariance)" if effect_cov is not None else ""),
                }
            )
    return out, info


# ---------------------------------------------------------------------------- results
@dataclass
class SimulationResult:
    """Monte Carlo, one-way sensitivity and scenario results.

    ``draws`` holds one row per draw (``pv_benefits``, ``pv_costs``, ``npv``, ``sroi_ratio``,
    ``financial_roi``, ``cashable_roi``).
    """

    n_draws: int
    random_state: int | None
    draws: pd.DataFrame
    parameters: pd.DataFrame
    tornado: pd.DataFrame
    scenarios: pd.DataFrame
    switching_values: pd.DataFrame
    central: dict[str, float]
    notes: list[str] = field(default_factory=list)

    @property
    def prob_npv_positive(self) -> float:
        """Share of draws with NPV > 0 (same as P(SROI ratio > 1) when costs are positive)."""
        return float((self.draws["npv"] > 0).mean())

    @property
    def prob_ratio_above_1(self) -> float:
        return float((self.draws["sroi_ratio"] > 1).mean())

    def interval(self, metric: str = "sroi_ratio", level: float = 0.9) -> tuple[float, float]:
        """Equal-tailed percentile interval of a metric over the draws."""
        if metric not in self.draws:
            raise SroiInputError(f"unknown metric {metric!r}; one of {list(self.draws.columns)}")
        if not 0 < level < 1:
            raise SroiInputError(f"level must be in (0, 1), got {level}")
        x = self.draws[metric].to_numpy()
        x = x[np.isfinite(x)]
        a = (1 - level) / 2
        lo, hi = np.quantile(x, [a, 1 - a])
        return float(lo), float(hi)

    def percentiles(self, q: Sequence[float] = (5, 25, 50, 75, 95)) -> pd.DataFrame:
        """Percentiles, mean and SD of each metric over the draws."""
        d = self.draws
        out = pd.DataFrame(
            {f"p{int(x) if float(x).is_integer() else x}": d.quantile(x / 100) for x in q}
        )
        out.insert(0, "sd", d.std())
        out.insert(0, "mean", d.mean())
        out.insert(0, "central", pd.Series(self.central))
        return out

    def summary(self) -> str:
        lo, hi = self.interval("sroi_ratio", 0.9)
        nlo, nhi = self.interval("npv", 0.9)
        lines = [
            f"Monte Carlo: {self.n_draws:,} draws (random_state={self.random_state})",
            f"  SROI ratio  headline {self.central['sroi_ratio']:.2f}   median "
            f"{self.draws['sroi_ratio'].median():.2f}   90% interval [{lo:.2f}, {hi:.2f}]",
            f"  NPV         headline £{self.central['npv']:,.0f}   90% interval "
            f"[£{nlo:,.0f}, £{nhi:,.0f}]",
            f"  P(NPV > 0) = {self.prob_npv_positive:.3f}   "
            f"P(SROI ratio > 1) = {self.prob_ratio_above_1:.3f}",
            "  Largest one-way sensitivities (SROI ratio at the 5th / 95th percentile):",
        ]
        for _, r in self.tornado.head(5).iterrows():
            lines.append(
                f"    {r['parameter']:<34} {r['ratio_at_low']:.2f} / {r['ratio_at_high']:.2f}"
            )
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        from sroi.value.valuation import _f, _frame_records

        lo, hi = self.interval("sroi_ratio", 0.9)
        nlo, nhi = self.interval("npv", 0.9)
        return {
            "n_draws": self.n_draws,
            "random_state": self.random_state,
            "central": {k: _f(v) for k, v in self.central.items()},
            "prob_npv_positive": self.prob_npv_positive,
            "prob_ratio_above_1": self.prob_ratio_above_1,
            "sroi_ratio_90": [_f(lo), _f(hi)],
            "npv_90": [_f(nlo), _f(nhi)],
            "percentiles": _frame_records(self.percentiles().reset_index(names="metric")),
            "parameters": _frame_records(self.parameters),
            "tornado": _frame_records(self.tornado),
            "scenarios": _frame_records(self.scenarios),
            "switching_values": _frame_records(self.switching_values),
            "notes": list(self.notes),
        }

    def plot_tornado(self, ax: Any = None, top: int = 10) -> Any:
        """Horizontal bar chart of the one-way sensitivity of the SROI ratio."""
        import matplotlib.pyplot as plt

        t = self.tornado.head(top).iloc[::-1]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.4 * len(t) + 1.5))
        c = self.central["sroi_ratio"]
        lo = np.minimum(t["ratio_at_low"], t["ratio_at_high"])
        hi = np.maximum(t["ratio_at_low"], t["ratio_at_high"])
        ax.barh(t["parameter"], hi - lo, left=lo, color="#4472c4")
        ax.axvline(c, color="black", lw=1)
        ax.axvline(1.0, color="grey", lw=1, ls="--")
        ax.set_xlabel("SROI ratio (parameter at its 5th and 95th percentile)")
        return ax


# ---------------------------------------------------------------------------- analyses
def _metrics(model: CompiledModel, params: Mapping[str, np.ndarray], **kw: Any) -> dict:
    from sroi.value.valuation import headline

    ev = model.evaluate(params, **kw)
    return headline(ev["pv_lines"], ev["pv_costs"], model)


def tornado(model: CompiledModel, ranges: Mapping[str, tuple[float, float]]) -> pd.DataFrame:
    """One-way sensitivity: the SROI ratio and NPV with one parameter at each end of its range.

    All other parameters stay at their central values (with the optimism-bias adjustments of
    the headline). Sorted by the swing in NPV, largest first.
    """
    central = model.central()
    names = list(ranges)
    m = len(names)
    if m == 0:
        return pd.DataFrame(
            columns=[
                "parameter",
                "central",
                "low",
                "high",
                "ratio_at_low",
                "ratio_at_high",
                "npv_at_low",
                "npv_at_high",
                "swing",
            ]
        )
    params = {k: np.full(2 * m, v) for k, v in central.items()}
    for i, k in enumerate(names):
        params[k][2 * i] = ranges[k][0]
        params[k][2 * i + 1] = ranges[k][1]
    h = _metrics(model, params)
    out = pd.DataFrame(
        {
            "parameter": names,
            "central": [central[k] for k in names],
            "low": [ranges[k][0] for k in names],
            "high": [ranges[k][1] for k in names],
            "ratio_at_low": h["sroi_ratio"][0::2],
            "ratio_at_high": h["sroi_ratio"][1::2],
            "npv_at_low": h["npv"][0::2],
            "npv_at_high": h["npv"][1::2],
        }
    )
    out["swing"] = (out["npv_at_high"] - out["npv_at_low"]).abs()
    return out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def scenarios(model: CompiledModel, tor: pd.DataFrame) -> pd.DataFrame:
    """Low / central / high scenarios: every uncertain parameter at the end of its range that
    lowers (raises) the NPV, all at once."""
    central = model.central()
    lowp = {k: central[k] for k in central}
    highp = dict(lowp)
    for _, r in tor.iterrows():
        worse_low = r["npv_at_low"] <= r["npv_at_high"]
        lowp[r["parameter"]] = r["low"] if worse_low else r["high"]
        highp[r["parameter"]] = r["high"] if worse_low else r["low"]
    params = {k: np.array([lowp[k], central[k], highp[k]]) for k in central}
    h = _metrics(model, params)
    return pd.DataFrame(
        {
            "scenario": ["low", "central", "high"],
            "pv_benefits": h["pv_benefits"],
            "pv_costs": h["pv_costs"],
            "npv": h["npv"],
            "sroi_ratio": h["sroi_ratio"],
            "financial_roi": h["financial_roi"],
        }
    )


def simulate(
    spec: Spec | ValueResult | CompiledModel,
    effects: Mapping[str, Effect] | Sequence[Effect] | None = None,
    n_draws: int = 10_000,
    random_state: int | None = 0,
    *,
    effect_cov: pd.DataFrame | None = None,
    optimism_bias: str = "replace",
) -> SimulationResult:
    """Monte Carlo over effect, cost and assumption uncertainty; tornado; scenarios.

    Parameters
    ----------
    spec
        An :class:`sroi.Spec` with a ``valuation`` section (then ``effects`` are valued as in
        :func:`sroi.value.run`), or a :class:`ValueResult` / compiled model to re-use.
    effects
        ``{outcome: Effect}`` or a list; ignored when ``spec`` is a result or model.
    n_draws
        Number of draws (vectorised: 10,000 draws take milliseconds).
    random_state
        Seed; the same seed gives identical results.
    effect_cov
        Optional outcome x outcome covariance of the effect estimates (they come from the same
        pupils); effects are then drawn from a multivariate normal. Effects with ``draws`` are
        resampled jointly by draw index.
    optimism_bias
        ``"replace"`` (default): a unit cost or delivery cost that has its own distribution is
        drawn *without* its confidence-grade reduction or optimism-bias uplift, because the
        distribution now quantifies that uncertainty (HM Treasury Green Book, 2022: optimism
        bias is reduced as risks are quantified), so the same uncertainty is not penalised
        twice; rows without a distribution keep their adjustment. ``"keep"`` keeps every
        adjustment (conservative, double-counts the uncertainty).

    Returns
    -------
    SimulationResult
        Draws of PV benefits/costs, NPV and ratios; percentile intervals; P(NPV > 0) and
        P(SROI ratio > 1); tornado (each parameter at its 5th/95th percentile, others central);
        low/central/high scenarios; switching values.
    """
    from sroi.value.valuation import ValueResult, run

    if optimism_bias not in ("replace", "keep"):
        raise SroiInputError(f"optimism_bias must be 'replace' or 'keep' (got {optimism_bias!r})")
    if not isinstance(n_draws, int | np.integer) or n_draws < 2:
        raise SroiInputError(f"n_draws must be an integer >= 2 (got {n_draws!r})")
    if isinstance(spec, CompiledModel):
        model = spec
    elif isinstance(spec, ValueResult):
        model = spec.model
    else:
        model = run(spec, effects).model
    if model is None:  # pragma: no cover
        raise SroiInputError("the ValueResult carries no model to simulate")
    rng = np.random.default_rng(random_state)
    n = int(n_draws)
    dists = parameter_distributions(model)
    eff_draws, info = _effect_draws(model, n, rng, effect_cov)
    params: dict[str, np.ndarray] = dict(eff_draws)
    for name in sorted(dists):  # sorted: the same seed gives the same draws
        if name in params:  # an uncertainty entry for an effect replaces its sampling dist.
            info = [r for r in info if r["parameter"] != name]
        params[name] = dists[name].sample(n, rng)
        d = dists[name]
        info.append({"parameter": name, "distribution": d.kind, "source": d.source})
    grade = None
    uplift = None
    notes = []
    if optimism_bias == "replace":
        grade = np.array(
            [
                1.0 if f"cost:{ln.cost_id}" in dists else 1.0 - ln.grade_reduction
                for ln in model.lines
            ]
        )
        uplift = np.array(
            [
                0.0 if f"delivery:{i}" in dists else float(model.delivery["uplift"].iloc[i])
                for i in range(len(model.delivery))
            ]
        )
        if any(f"cost:{ln.cost_id}" in dists for ln in model.lines) or len(uplift):
            notes.append(
                "costs with their own distribution are drawn without their confidence-grade "
                "reduction or optimism-bias uplift (the distribution replaces it)"
            )
    h = _metrics(model, params, grade=grade, uplift=uplift)
    draws = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in h.items()})
    c = _metrics(model, {})
    central = {k: float(v[0]) for k, v in c.items()}
    ranges = {
        k: (float(np.quantile(v, 0.05)), float(np.quantile(v, 0.95))) for k, v in params.items()
    }
    tor = tornado(model, ranges)
    return SimulationResult(
        n_draws=n,
        random_state=random_state,
        draws=draws,
        parameters=pd.DataFrame(info, columns=["parameter", "distribution", "source"]),
        tornado=tor,
        scenarios=scenarios(model, tor),
        switching_values=switching_values(model),
        central=central,
        notes=notes,
    )
