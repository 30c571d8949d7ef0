"""Switching values, one-way sensitivity (tornado) and low/central/high scenarios.

HM Treasury Green Book (2022): sensitivity analysis varies one input at a time; a switching
value is the value an input would need to take for the NPV to be zero (the SROI ratio to be 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sroi.value.model import CompiledModel

__all__ = ["TORNADO_COLUMNS", "parameter_bounds", "scenarios", "switching_values", "tornado"]

#: Columns of :func:`tornado`.
TORNADO_COLUMNS = [
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

_UNIT_INTERVAL = ("deadweight", "displacement", "attribution", "drop_off", "engagement")
_NON_NEGATIVE = ("cost", "delivery", "conversion", "delivery_costs", "effect_share")


def parameter_bounds(name: str) -> tuple[float, float]:
    """Allowed range of a model parameter (e.g. ``attribution:o`` lies in [0, 1])."""
    kind = name.split(":", 1)[0]
    if kind in _UNIT_INTERVAL:
        return (0.0, 1.0)
    if kind in _NON_NEGATIVE:
        return (0.0, math.inf)
    return (-math.inf, math.inf)


def _npv(model: CompiledModel, params: Mapping[str, np.ndarray]) -> np.ndarray:
    return model.headline(params)["npv"]


def _linear_switching(model: CompiledModel, names: list[str]) -> list[tuple[str, float, float]]:
    """Switching values of parameters the NPV is linear in, from two evaluations each.

    ``x* = x0 - NPV(x0) / slope``, all parameters in one vectorised call (x0 and x0 + h).
    """
    central = model.central()
    x0 = np.array([central[k] for k in names])
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
    return rows


def _grid_switching(model: CompiledModel, name: str) -> float:
    """Switching value of a drop-off rate, on a grid over [0, 1] with linear interpolation."""
    grid = np.linspace(0.0, 1.0, 1001)
    y = _npv(model, {name: grid})
    s = np.sign(y)
    idx = np.flatnonzero(s[:-1] * s[1:] < 0)
    if not len(idx):
        return math.nan
    j = idx[0]
    return float(grid[j] - y[j] * (grid[j + 1] - grid[j]) / (y[j + 1] - y[j]))


def switching_values(model: CompiledModel) -> pd.DataFrame:
    """Value of each parameter at which the SROI ratio is 1 (NPV = 0), others at central values.

    The NPV is linear in every parameter except drop-off, so the switching value is solved
    exactly from two evaluations ``x* = x0 - NPV(x0) / slope``; drop-off is solved on a grid
    over [0, 1] with linear interpolation. ``effect_share`` is the break-even share of the
    estimated effects.

    Parameters
    ----------
    model
        A compiled value model.

    Returns
    -------
    pandas.DataFrame
        ``parameter``, ``central``, ``switching_value`` (``nan`` if there is none),
        ``feasible`` (the switching value lies in the parameter's allowed range) and
        ``change_needed`` (switching value / central - 1).

    References
    ----------
    HM Treasury (2022), *The Green Book*, switching values.
    """
    central = model.central()
    rows = _linear_switching(model, [k for k in central if not k.startswith("drop_off:")])
    rows += [
        (k, float(central[k]), _grid_switching(model, k))
        for k in central
        if k.startswith("drop_off:")
    ]
    out = pd.DataFrame(rows, columns=["parameter", "central", "switching_value"])
    lo = np.array([parameter_bounds(k)[0] for k in out["parameter"]])
    hi = np.array([parameter_bounds(k)[1] for k in out["parameter"]])
    sv = out["switching_value"].to_numpy()
    out["feasible"] = np.isfinite(sv) & (sv >= lo) & (sv <= hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change_needed"] = np.where(out["central"] != 0, sv / out["central"] - 1.0, np.nan)
    return out


def tornado(model: CompiledModel, ranges: Mapping[str, tuple[float, float]]) -> pd.DataFrame:
    """One-way sensitivity: SROI ratio and NPV with one parameter at each end of its range.

    Parameters
    ----------
    model
        A compiled value model.
    ranges
        ``{parameter: (low, high)}``; all other parameters stay at their central values (with
        the optimism-bias adjustments of the headline).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TORNADO_COLUMNS`, sorted by the swing in NPV, largest first.

    References
    ----------
    HM Treasury (2022), *The Green Book*, sensitivity analysis.
    """
    central = model.central()
    names = list(ranges)
    m = len(names)
    if m == 0:
        return pd.DataFrame(columns=TORNADO_COLUMNS)
    params = {k: np.full(2 * m, v) for k, v in central.items()}
    for i, k in enumerate(names):
        params[k][2 * i] = ranges[k][0]
        params[k][2 * i + 1] = ranges[k][1]
    h = model.headline(params)
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
    """Low / central / high scenarios from a tornado table.

    Every parameter of ``tor`` is set, all at once, to the end of its range that lowers (low
    scenario) or raises (high scenario) the NPV.

    Returns
    -------
    pandas.DataFrame
        One row per scenario: ``scenario``, ``pv_benefits``, ``pv_costs``, ``npv``,
        ``sroi_ratio``, ``financial_roi``.
    """
    central = model.central()
    lowp = {k: central[k] for k in central}
    highp = dict(lowp)
    for _, r in tor.iterrows():
        worse_low = r["npv_at_low"] <= r["npv_at_high"]
        lowp[r["parameter"]] = r["low"] if worse_low else r["high"]
        highp[r["parameter"]] = r["high"] if worse_low else r["low"]
    params = {k: np.array([lowp[k], central[k], highp[k]]) for k in central}
    h = model.headline(params)
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
