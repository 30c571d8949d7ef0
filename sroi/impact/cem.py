"""Coarsened exact matching (Iacus, King & Porro 2012), as R MatchIt's ``method = "cem"``.

Each numeric covariate is coarsened into bins (default: Sturges' rule,
``ceiling(log2(n) + 1)`` equal-width bins over its range, outer edges open, intervals closed
on the left, as MatchIt); categorical covariates are kept as they are. Units are grouped
into strata by their coarsened values; strata holding both treated and controls are kept,
the rest are counted as unmatched. ATT weights: treated 1; a control in stratum ``s`` gets
``n_t(s) / n_c(s)``, then control weights are scaled to sum to the number of matched
controls. The stratum is the ``subclass``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError

__all__ = ["coarsen", "cem_weights"]


def coarsen(x: pd.Series, bins: Any = "sturges") -> np.ndarray:
    """Bin codes of a numeric column: ``"sturges"``, a number of equal-width bins, ``"qK"``
    (K quantile bins) or explicit cut points."""
    v = x.to_numpy(float)
    if isinstance(bins, str):
        if bins == "sturges":
            nb = int(np.ceil(np.log2(len(v)) + 1))
            edges = np.linspace(v.min(), v.max(), nb + 1)
        elif bins.startswith("q") and bins[1:].isdigit():
            q = int(bins[1:])
            edges = np.r_[-np.inf, np.quantile(v, np.arange(1, q) / q), np.inf]
            return np.searchsorted(edges, v, side="right")
        else:
            raise SroiInputError(
                f"cutpoints for {x.name!r}: use 'sturges', 'qK', a number of bins or cut points"
            )
    elif np.ndim(bins) == 0:
        nb = int(bins)
        if nb < 1:
            raise SroiInputError(f"cutpoints for {x.name!r}: number of bins must be >= 1")
        edges = np.linspace(v.min(), v.max(), nb + 1)
    else:
        edges = np.r_[-np.inf, np.unique(np.asarray(bins, float)), np.inf]
        return np.searchsorted(edges, v, side="right")
    edges[0], edges[-1] = -np.inf, np.inf
    return np.searchsorted(edges, v, side="right")


def cem_weights(
    sub: pd.DataFrame,
    t: np.ndarray,
    cov_spec: Any,
    bal_X: pd.DataFrame,
    *,
    method: str = "cem",
    estimand: str = "ATT",
    cutpoints: Mapping[str, Any] | str | None = None,
    **_: Any,
) -> dict[str, Any]:
    """Weights and strata for ``sroi.match(method="cem")`` (internal)."""
    if estimand != "ATT":
        raise SroiInputError("coarsened exact matching here targets the ATT")
    if isinstance(cov_spec, str):
        raise SroiInputError("method='cem' needs covariates=[...] (a list of columns)")
    cp = cutpoints if isinstance(cutpoints, Mapping) else {}
    default = cutpoints if isinstance(cutpoints, str | int) else "sturges"
    unknown = sorted(set(cp) - set(cov_spec))
    if unknown:
        raise SroiInputError(f"cutpoints given for {unknown}, which are not covariates")
    codes = []
    for c in cov_spec:
        s = sub[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            codes.append(coarsen(s, cp.get(c, default)))
        else:
            codes.append(pd.factorize(s)[0])
    key = pd.MultiIndex.from_arrays(codes).factorize()[0]
    tt = t.astype(bool)
    n_t = np.bincount(key[tt], minlength=key.max() + 1)
    n_c = np.bincount(key[~tt], minlength=key.max() + 1)
    ok = (n_t > 0) & (n_c > 0)
    matched = ok[key]
    w = np.zeros(len(t))
    w[tt & matched] = 1.0
    cm = ~tt & matched
    w[cm] = n_t[key[cm]] / n_c[key[cm]]
    if cm.any():
        w[cm] *= cm.sum() / w[cm].sum()
    if not (tt & matched).any():
        raise SroiInputError(
            "coarsened exact matching matched no treated units: coarsen further (fewer bins) "
            "or match on fewer covariates"
        )
    # subclasses numbered by first appearance of the kept strata
    sc = np.full(len(t), 0, dtype=np.int64)
    kept = np.flatnonzero(ok)
    order = pd.unique(key[matched])
    num = np.zeros(key.max() + 1, dtype=np.int64)
    num[order] = np.arange(1, len(order) + 1)
    sc[matched] = num[key[matched]]
    status = np.where(matched, "matched", "no match in coarsened stratum").astype(object)
    del kept
    return {
        "weights": w,
        "subclass": np.where(sc > 0, sc, pd.NA),
        "distance": None,
        "status": status,
        "estimand": "ATT",
        "label": f"coarsened exact matching ({default} bins unless set)",
        "info": {"n_strata": int(ok.sum())},
    }
