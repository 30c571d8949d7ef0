"""Covariate balance diagnostics, kept apart from matching (as R cobalt is).

Works on any weights (matching, CEM, inverse probability, entropy balancing), so the same
table is comparable across designs.

* Standardised mean difference (Rosenbaum & Rubin 1985; Austin 2009):
  ``SMD = (mean_t^w - mean_c^w) / s``, where ``s`` is the SD of the *unweighted* sample:
  treated-group SD for the ATT (default, as MatchIt's ``summary``), ``sqrt((s_t^2 + s_c^2)/2)``
  for ``s_d="pooled"``, or the control SD. Binary covariates are standardised by
  ``sqrt(p (1 - p))`` (MatchIt's default); ``binary="raw"`` reports the raw difference in
  proportions instead (cobalt's default). |SMD| < 0.1 is the usual threshold.
* Variance ratio ``var_t^w / var_c^w`` for continuous covariates (within 0.5-2 is usually
  acceptable), with the weighted variance ``sum w (x - m)^2 / (1 - sum w^2)`` for weights
  normalised to sum to one (reliability weights; equal to the usual ``n - 1`` variance when
  unweighted).
* Empirical CDF statistics: mean and maximum over the observed values of
  ``|F_t^w(x) - F_c^w(x)|`` (the max is the weighted Kolmogorov-Smirnov statistic).
* Effective sample size (Kish 1965): ``(sum w)^2 / sum w^2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["balance_table", "effective_sample_size", "love_plot", "overlap_plot"]


def effective_sample_size(weights: np.ndarray | pd.Series) -> float:
    """Kish (1965) effective sample size ``(sum w)^2 / sum w^2`` (0 when all weights are 0).

    Parameters
    ----------
    weights
        Non-negative weights of one group.

    Returns
    -------
    float
    """
    w = np.asarray(weights, dtype=float)
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise SroiInputError("weights must be finite and non-negative")
    s2 = float(np.sum(w**2))
    return float(np.sum(w) ** 2 / s2) if s2 > 0 else 0.0


def _is_binary(x: np.ndarray) -> bool:
    u = np.unique(x[np.isfinite(x)])
    return len(u) <= 2 and set(u.tolist()) <= {0.0, 1.0}


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    sw = w.sum()
    return float(np.sum(w * x) / sw) if sw > 0 else np.nan


def _wvar(x: np.ndarray, w: np.ndarray, binary: bool) -> float:
    sw = w.sum()
    if sw <= 0:
        return np.nan
    wn = w / sw
    m = np.sum(wn * x)
    if binary:
        return float(m * (1 - m))
    den = 1 - np.sum(wn**2)
    return float(np.sum(wn * (x - m) ** 2) / den) if den > 0 else np.nan


def _ecdf_stats(
    x: np.ndarray, t: np.ndarray, w: np.ndarray, binary: bool = False
) -> tuple[float, float]:
    """Mean and max of ``|F_t^w(x) - F_c^w(x)|`` over the distinct observed values.

    The values are those of all units, as MatchIt; for a binary covariate both statistics
    equal ``|p_t - p_c|``.
    """
    if not (w[t].sum() > 0 and w[~t].sum() > 0):
        return np.nan, np.nan
    if binary:
        v = abs(_wmean(x[t], w[t]) - _wmean(x[~t], w[~t]))
        return float(v), float(v)
    o = np.argsort(x, kind="stable")
    xs, ts, ws = x[o], t[o], w[o]
    f1 = np.cumsum(np.where(ts, ws, 0.0)) / ws[ts].sum()
    f0 = np.cumsum(np.where(~ts, ws, 0.0)) / ws[~ts].sum()
    last = np.r_[xs[1:] != xs[:-1], True]  # last occurrence of each distinct value
    diff = np.abs(f1[last] - f0[last])
    return float(diff.mean()), float(diff.max())


def _expand(X: pd.DataFrame, squares: bool, interactions: bool) -> pd.DataFrame:
    cols = [X]
    if squares:
        cont = [c for c in X.columns if not _is_binary(X[c].to_numpy(float))]
        if cont:
            cols.append(pd.DataFrame({f"{c}^2": X[c] ** 2 for c in cont}, index=X.index))
    if interactions:
        inter = {}
        for a, b in combinations(X.columns, 2):
            prod = X[a] * X[b]
            if prod.nunique() > 1:
                inter[f"{a} * {b}"] = prod
        if inter:
            cols.append(pd.DataFrame(inter, index=X.index))
    return pd.concat(cols, axis=1)


def balance_table(
    X: pd.DataFrame,
    treat: np.ndarray | pd.Series,
    weights: np.ndarray | pd.Series | None = None,
    *,
    s_d: str = "treated",
    binary: str = "std",
    squares: bool = False,
    interactions: bool = False,
) -> pd.DataFrame:
    """Balance of each covariate before and after weighting.

    Parameters
    ----------
    X
        Numeric covariates (expand categoricals first, e.g. with
        :func:`sroi.impact.matching.distance.covariate_frame`).
    treat
        0/1 treatment indicator.
    weights
        Weights after matching/weighting (``None``: only the "before" columns are filled).
    s_d
        Denominator of the SMD: ``"treated"`` (ATT), ``"pooled"`` or ``"control"``.
    binary
        ``"std"`` standardises binary covariates by ``sqrt(p (1 - p))``; ``"raw"`` reports
        the raw difference in proportions.
    squares, interactions
        Also report squares of continuous covariates and pairwise products.

    Returns
    -------
    DataFrame indexed by term with ``type`` and, for ``before`` and ``after``:
    ``mean_t``, ``mean_c``, ``smd``, ``var_ratio``, ``ecdf_mean``, ``ecdf_max``; plus
    ``ess_t_after``/``ess_c_after`` attributes in ``df.attrs``.
    """
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(X)
    t = np.asarray(treat)
    if len(t) != len(X):
        raise SroiInputError(f"treat has {len(t)} values but X has {len(X)} rows")
    if not set(np.unique(t).tolist()) <= {0, 1}:
        raise SroiInputError("treat must be 0/1")
    t = t.astype(bool)
    if s_d not in ("treated", "pooled", "control"):
        raise SroiInputError(f"s_d must be 'treated', 'pooled' or 'control', got {s_d!r}")
    if binary not in ("std", "raw"):
        raise SroiInputError(f"binary must be 'std' or 'raw', got {binary!r}")
    if X.isna().any().any():
        bad = X.columns[X.isna().any()].tolist()
        raise SroiInputError(f"covariates {bad} have missing values; drop or impute those rows")
    Xe = _expand(X.astype(float), squares, interactions)
    w_after = None if weights is None else np.asarray(weights, dtype=float)
    if w_after is not None and (len(w_after) != len(t) or np.any(w_after < 0)):
        raise SroiInputError("weights must be non-negative with one value per row")
    ones = np.ones(len(t))
    rows = []
    for c in Xe.columns:
        x = Xe[c].to_numpy(float)
        isbin = _is_binary(x)
        v1 = _wvar(x[t], ones[t], isbin)
        v0 = _wvar(x[~t], ones[~t], isbin)
        sd = {
            "treated": np.sqrt(v1),
            "control": np.sqrt(v0),
            "pooled": np.sqrt((v1 + v0) / 2),
        }[s_d]
        rec = {"term": c, "type": "binary" if isbin else "continuous"}
        for tag, w in (("before", ones), ("after", w_after)):
            if w is None:
                for k in ("mean_t", "mean_c", "smd", "var_ratio", "ecdf_mean", "ecdf_max"):
                    rec[f"{k}_{tag}"] = np.nan
                continue
            m1, m0 = _wmean(x[t], w[t]), _wmean(x[~t], w[~t])
            diff = m1 - m0
            if isbin and binary == "raw":
                smd = diff
            else:
                smd = diff / sd if sd > 0 else np.nan
            vr = np.nan
            if not isbin:
                a, b = _wvar(x[t], w[t], False), _wvar(x[~t], w[~t], False)
                vr = a / b if b > 0 else np.nan
            em, ex = _ecdf_stats(x, t, w, isbin)
            rec.update(
                {
                    f"mean_t_{tag}": m1,
                    f"mean_c_{tag}": m0,
                    f"smd_{tag}": smd,
                    f"var_ratio_{tag}": vr,
                    f"ecdf_mean_{tag}": em,
                    f"ecdf_max_{tag}": ex,
                }
            )
        rows.append(rec)
    out = pd.DataFrame(rows).set_index("term")
    if w_after is not None:
        out.attrs["ess_treated"] = effective_sample_size(w_after[t])
        out.attrs["ess_control"] = effective_sample_size(w_after[~t])
    return out


def _root_figure(ax: Axes) -> Figure:
    """The figure an axes belongs to (the top-level one for an axes in a subfigure)."""
    fig = ax.get_figure(root=True)
    if fig is None:
        raise SroiInputError("ax must belong to a matplotlib figure")
    return fig


def love_plot(
    balance: pd.DataFrame,
    *,
    threshold: float = 0.1,
    absolute: bool = True,
    terms: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Love plot (Ahmed et al. 2006; cobalt): SMD of each term before and after adjustment.

    Parameters
    ----------
    balance
        A table from :func:`balance_table` (``smd_before``/``smd_after`` columns).
    threshold
        Reference line, usually 0.1.
    absolute
        Plot ``|SMD|``.
    terms
        Terms to show (default all).
    ax
        Axes to draw on (default a new figure).

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot, so no global state changes.
    """
    from matplotlib.figure import Figure

    if "smd_before" not in balance.columns:
        raise SroiInputError("love_plot needs a balance table with smd_before/smd_after columns")
    b = balance if terms is None else balance.loc[list(terms)]
    before = b["smd_before"].abs() if absolute else b["smd_before"]
    after = b["smd_after"].abs() if absolute else b["smd_after"]
    order = np.argsort(before.to_numpy())
    y = np.arange(len(b))
    if ax is None:
        fig = Figure(figsize=(6, 0.3 * len(b) + 1.5))
        ax = fig.subplots()
    else:
        fig = _root_figure(ax)
    ax.scatter(
        before.to_numpy()[order], y, marker="o", facecolors="none", edgecolors="C3", label="before"
    )
    ax.scatter(after.to_numpy()[order], y, marker="o", color="C0", label="after")
    ax.set_yticks(y)
    ax.set_yticklabels(b.index.to_numpy()[order])
    for v in (threshold, -threshold) if not absolute else (threshold,):
        ax.axvline(v, ls="--", color="grey", lw=0.8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("|standardised mean difference|" if absolute else "standardised mean difference")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def overlap_plot(
    score: np.ndarray | pd.Series,
    treat: np.ndarray | pd.Series,
    weights: np.ndarray | pd.Series | None = None,
    *,
    bins: int = 30,
    ax: Axes | None = None,
) -> Figure:
    """Mirrored histograms of the propensity score by group, to judge common support.

    Before, and after weighting when ``weights`` are given (as cobalt's ``bal.plot`` for the
    distance).

    Parameters
    ----------
    score
        Propensity score of every unit.
    treat
        0/1 treatment.
    weights
        Weights after matching or weighting (``None``: only the raw histograms).
    bins
        Number of histogram bins.
    ax
        Axes to draw on (default a new figure).

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot.
    """
    from matplotlib.figure import Figure

    s = np.asarray(score, float)
    t = np.asarray(treat).astype(bool)
    if len(s) != len(t):
        raise SroiInputError("score and treat must have the same length")
    edges = np.histogram_bin_edges(s[np.isfinite(s)], bins=bins)
    if ax is None:
        fig = Figure(figsize=(6, 4))
        ax = fig.subplots()
    else:
        fig = _root_figure(ax)
    h1, _ = np.histogram(s[t], edges)
    h0, _ = np.histogram(s[~t], edges)
    width = np.diff(edges)
    ax.bar(edges[:-1], h1, width, align="edge", color="C0", alpha=0.4, label="treated")
    ax.bar(edges[:-1], -h0, width, align="edge", color="C3", alpha=0.4, label="control")
    if weights is not None:
        w = np.asarray(weights, float)
        g1, _ = np.histogram(s[t], edges, weights=w[t])
        g0, _ = np.histogram(s[~t], edges, weights=w[~t])
        ax.step(edges[:-1], g1, where="post", color="C0", label="treated (weighted)")
        ax.step(edges[:-1], -g0, where="post", color="C3", label="control (weighted)")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("propensity score")
    ax.set_ylabel("count (controls below the axis)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
