"""Distributions of the value model's uncertain parameters and joint draws of the effects.

HM Treasury Green Book (2022) on risk and uncertainty: quantify uncertain inputs (here PERT
ranges on unit costs, delivery costs, conversion rates and assumed success rates, or the
spec's ``valuation.uncertainty`` entries) and propagate them with Monte Carlo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sroi._checks import check_random_state
from sroi.errors import SroiInputError
from sroi.value.config import UncertainParameter
from sroi.value.model import CompiledModel, Group

__all__ = ["Distribution", "effect_draws", "parameter_distributions", "unused_uncertainty"]


def _num(x: float | None, what: str, parameter: str) -> float:
    if x is None:
        raise SroiInputError(f"{parameter}: the distribution needs {what}")
    return float(x)


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
        """Draw ``n`` values.

        Parameters
        ----------
        n
            Number of draws.
        rng
            A numpy Generator (validated with :func:`sroi._checks.check_random_state`).

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)``.

        Raises
        ------
        SroiInputError
            For an unknown kind, a missing parameter of the kind, or a bad ``rng``.
        """
        rng = check_random_state(rng, "rng")
        k, p = self.kind, self.parameter
        if k == "fixed":
            return np.full(n, _num(self.mode, "mode", p))
        if k == "normal":
            return rng.normal(_num(self.mean, "mean", p), _num(self.sd, "sd", p), n)
        if k == "lognormal":
            mean, sd = _num(self.mean, "mean", p), _num(self.sd, "sd", p)
            s2 = math.log1p((sd / mean) ** 2)
            return rng.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2), n)
        if k == "uniform":
            return rng.uniform(_num(self.low, "low", p), _num(self.high, "high", p), n)
        if k == "draws":
            if self.values is None:
                raise SroiInputError(f"{p}: a 'draws' distribution needs values")
            return rng.choice(self.values, n, replace=True)
        if k not in ("triangular", "pert"):
            raise SroiInputError(f"{p}: unknown distribution {k!r}")
        low, mode, high = (
            _num(self.low, "low", p),
            _num(self.mode, "mode", p),
            _num(self.high, "high", p),
        )
        if high == low:
            return np.full(n, mode)
        if k == "triangular":
            return rng.triangular(low, mode, high, n)
        w = high - low
        return low + w * rng.beta(1 + 4 * (mode - low) / w, 1 + 4 * (high - mode) / w, n)


def _pert(
    name: str, low: float | None, mode: float, high: float | None, src: str
) -> Distribution | None:
    if low is None or high is None or low == high:
        return None
    return Distribution(
        name, "pert", low=float(low), mode=float(mode), high=float(high), source=src
    )


def _default_ranges(model: CompiledModel) -> list[Distribution | None]:
    """PERT ranges from the inputs' own low/high columns."""
    out: list[Distribution | None] = []
    tab = model.cost_table.set_index("id")
    for cid in {ln.cost_id for ln in model.lines}:
        r = tab.loc[cid]
        out.append(_pert(f"cost:{cid}", r["low"], r["amount"], r["high"], "cost table low/high"))
    dv = model.delivery
    for i in range(len(dv)):
        out.append(
            _pert(
                f"delivery:{i}",
                dv["low_base"].iloc[i],
                dv["amount_base"].iloc[i],
                dv["high_base"].iloc[i],
                "programme.delivery_costs low/high",
            )
        )
    for name, (lo, hi) in model.conversion_ranges.items():
        out.append(
            _pert(f"conversion:{name}", lo, model.conversions[name], hi, "conversion low/high")
        )
    for g in model.groups.values():
        if g.basis == "assumed" and g.success_low is not None and g.success_high is not None:
            out.append(
                _pert(
                    f"success:{g.name}",
                    g.success_low,
                    g.success,
                    g.success_high,
                    "assumed_effects success_low/high",
                )
            )
    return out


def parameter_distributions(model: CompiledModel) -> dict[str, Distribution]:
    """Distributions of the model's uncertain parameters (other than the effects).

    Defaults: PERT(low, central, high) from a unit cost's ``low``/``high`` columns, a delivery
    cost's ``low``/``high``, a conversion's ``low``/``high`` and an assumed effect's
    ``success_low``/``success_high``; entries in ``valuation.uncertainty`` replace or add to
    them.

    Parameters
    ----------
    model
        A compiled value model.

    Returns
    -------
    dict of str to Distribution

    Raises
    ------
    SroiInputError
        For a ``valuation.uncertainty`` entry naming a parameter the model does not have.
    """
    central = model.central()
    out = {d.parameter: d for d in _default_ranges(model) if d is not None}
    skipped = {u.parameter for u in unused_uncertainty(model)}
    for u in model.uncertainty:
        if u.parameter in skipped:
            continue
        kind, _, name = u.parameter.partition(":")
        if kind == "deadweight" and name in model.groups and u.parameter not in central:
            raise SroiInputError(
                f"valuation.uncertainty: {u.parameter!r} is not a parameter: the effect for "
                f"{name!r} was estimated against a comparison group, so it is already net of "
                "deadweight in every year; remove the entry"
            )
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


def unused_uncertainty(model: CompiledModel) -> list[UncertainParameter]:
    """``valuation.uncertainty`` entries about an outcome the valuation left out.

    An outcome with no effect supplied (or one that could not be estimated) is not valued, so a
    distribution for one of its parameters has nothing to vary; it is skipped (and said so in
    the simulation's notes) rather than taken for a misspelt parameter.
    """
    excluded = {e["outcome"] for e in model.excluded}
    central = model.central()
    return [
        u
        for u in model.uncertainty
        if u.parameter not in central and u.parameter.partition(":")[2] in excluded
    ]


def _normal_cov(normal: list[Group], effect_cov: pd.DataFrame | None) -> np.ndarray:
    se = np.array([g.effect_se for g in normal])
    if effect_cov is None:
        return np.diag(se**2)
    names = [g.name for g in normal]
    missing = [x for x in names if x not in effect_cov.index or x not in effect_cov.columns]
    if missing:
        raise SroiInputError(
            f"effect_cov has no rows/columns for outcome(s) {missing}; give the full "
            "outcome x outcome covariance of the estimates"
        )
    cov = effect_cov.loc[names, names].to_numpy(dtype=float)
    if not np.allclose(cov, cov.T) or np.linalg.eigvalsh(cov).min() < -1e-12:
        raise SroiInputError("effect_cov must be a symmetric positive semi-definite matrix")
    return cov


def effect_draws(
    model: CompiledModel,
    n: int,
    rng: np.random.Generator,
    effect_cov: pd.DataFrame | None = None,
) -> tuple[dict[str, np.ndarray], list[dict[str, Any]]]:
    """Joint draws of the estimated effects.

    Effects with ``draws`` of the same length are resampled with the *same* indices, keeping
    their joint distribution (they come from the same bootstrap resamples of the same pupils);
    the others are drawn from a multivariate normal with ``effect_cov`` (outcome x outcome,
    when given) or independent normals with their standard errors; effects without either
    stay fixed.

    Parameters
    ----------
    model
        A compiled value model.
    n
        Number of draws.
    rng
        A numpy Generator.
    effect_cov
        Optional outcome x outcome covariance of the estimates.

    Returns
    -------
    dict of str to numpy.ndarray, list of dict
        ``{"effect:<outcome>": draws}`` and one record per effect (``parameter``,
        ``distribution``, ``source``).

    Raises
    ------
    SroiInputError
        For an ``effect_cov`` missing an outcome, or not symmetric positive semi-definite.
    """
    rng = check_random_state(rng, "rng")
    out: dict[str, np.ndarray] = {}
    info: list[dict[str, Any]] = []
    by_len: dict[int, list[Group]] = {}
    normal: list[Group] = []
    for g in (g for g in model.groups.values() if g.basis != "assumed"):
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
        mu = np.array([g.effect for g in normal])
        z = rng.multivariate_normal(mu, _normal_cov(normal, effect_cov), size=n, method="eigh")
        joint = " (joint covariance)" if effect_cov is not None else ""
        for j, g in enumerate(normal):
            out[f"effect:{g.name}"] = z[:, j]
            info.append(
                {
                    "parameter": f"effect:{g.name}",
                    "distribution": "normal",
                    "source": "estimate and standard error" + joint,
                }
            )
    return out, info
