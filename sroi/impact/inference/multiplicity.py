"""Multiple outcomes: adjusted p-values for secondary outcomes.

An evaluation declares one primary outcome, tested at the nominal level without
adjustment; the secondary outcomes form a family whose p-values are adjusted:

* Holm (1979) step-down, controlling the family-wise error rate (the default):
  with ordered p-values ``p_(1) <= ... <= p_(m)``,
  ``p~_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))``.
* Benjamini & Hochberg (1995) step-up, controlling the false discovery rate:
  ``p~_(i) = min_{j >= i} min(1, m p_(j) / j)``.

Both agree with R's ``p.adjust(method = "holm")`` and ``p.adjust(method = "BH")``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.errors import SroiInputError

__all__ = ["adjust_pvalues", "adjust_secondary"]

_Method = Literal["holm", "bh", "none"]
_METHODS: dict[str, _Method] = {"holm": "holm", "bh": "bh", "fdr": "bh", "none": "none"}


def adjust_pvalues(
    pvalues: Sequence[float] | np.ndarray | pd.Series,
    method: Literal["holm", "bh", "none"] = "holm",
) -> np.ndarray | pd.Series:
    """Adjust a family of p-values for multiple testing.

    Parameters
    ----------
    pvalues
        P-values in [0, 1]. ``nan`` entries are left as ``nan`` and do not count in the
        family size (as R's ``p.adjust`` with ``n = sum(!is.na(p))``).
    method
        ``"holm"`` (Holm 1979, family-wise error rate), ``"bh"`` (Benjamini & Hochberg
        1995, false discovery rate) or ``"none"``.

    Returns
    -------
    numpy.ndarray or pandas.Series
        Adjusted p-values in the input order (a Series keeps its index).
    """
    key = _METHODS.get(str(method).lower())
    if key is None:
        raise SroiInputError(
            f"adjust_pvalues: method must be 'holm', 'bh' or 'none'; got {method!r}"
        )
    index = pvalues.index if isinstance(pvalues, pd.Series) else None
    try:
        p = np.asarray(pvalues, dtype=float).ravel()
    except (TypeError, ValueError) as err:
        raise SroiInputError("adjust_pvalues: p-values must be numbers") from err
    ok = ~np.isnan(p)
    bad = ok & ((p < 0) | (p > 1))
    if bad.any():
        raise SroiInputError(
            f"adjust_pvalues: p-values must lie in [0, 1]; positions {np.flatnonzero(bad).tolist()} "
            "do not"
        )
    out = np.full(p.shape, np.nan)
    q = p[ok]
    m = len(q)
    if m:
        if key == "none":
            adj = q
        elif key == "holm":
            order = np.argsort(q, kind="mergesort")
            stepped = (m - np.arange(m)) * q[order]
            adj_sorted = np.minimum(1.0, np.maximum.accumulate(stepped))
            adj = np.empty(m)
            adj[order] = adj_sorted
        else:
            order = np.argsort(q, kind="mergesort")[::-1]  # largest first
            stepped = m / np.arange(m, 0, -1) * q[order]
            adj_sorted = np.minimum(1.0, np.minimum.accumulate(stepped))
            adj = np.empty(m)
            adj[order] = adj_sorted
        out[ok] = adj
    if index is not None:
        return pd.Series(out, index=index, name="p_adjusted")
    return out


def adjust_secondary(
    effects: Mapping[str, Effect],
    primary: str,
    method: Literal["holm", "bh", "none"] = "holm",
) -> pd.DataFrame:
    """Adjusted p-values for the secondary outcomes of an evaluation.

    The primary outcome keeps its unadjusted p-value; the other outcomes are adjusted as
    one family with :func:`adjust_pvalues`.

    Parameters
    ----------
    effects
        Mapping outcome name -> :class:`sroi.Effect`.
    primary
        Name of the declared primary outcome (a key of ``effects``).
    method
        ``"holm"`` (default), ``"bh"`` or ``"none"``.

    Returns
    -------
    pandas.DataFrame
        One row per outcome (primary first): ``outcome, role, estimate, std_error,
        p_value, p_adjusted, adjustment``.
    """
    if not isinstance(effects, Mapping) or not effects:
        raise SroiInputError("adjust_secondary: effects must be a non-empty dict outcome -> Effect")
    if primary not in effects:
        raise SroiInputError(
            f"adjust_secondary: primary outcome {primary!r} is not among the effects "
            f"({', '.join(map(str, effects))}); name one of them as primary"
        )
    for name, eff in effects.items():
        if not isinstance(eff, Effect):
            raise SroiInputError(
                f"adjust_secondary: effects[{name!r}] is a {type(eff).__name__}, not an sroi.Effect"
            )
    key = _METHODS.get(str(method).lower())
    if key is None:
        raise SroiInputError(
            f"adjust_secondary: method must be 'holm', 'bh' or 'none'; got {method!r}"
        )
    secondary = [k for k in effects if k != primary]
    p_sec = np.array([effects[k].p_value for k in secondary], dtype=float)
    adj = adjust_pvalues(p_sec, key) if secondary else np.array([])
    label = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "none"}[key]
    rows = [
        {
            "outcome": primary,
            "role": "primary",
            "estimate": effects[primary].estimate,
            "std_error": effects[primary].std_error,
            "p_value": effects[primary].p_value,
            "p_adjusted": effects[primary].p_value,
            "adjustment": "none (primary)",
        }
    ]
    for k, pa in zip(secondary, adj, strict=True):
        rows.append(
            {
                "outcome": k,
                "role": "secondary",
                "estimate": effects[k].estimate,
                "std_error": effects[k].std_error,
                "p_value": effects[k].p_value,
                "p_adjusted": float(pa),
                "adjustment": f"{label} over {len(secondary)} secondary outcomes",
            }
        )
    return pd.DataFrame(rows)
