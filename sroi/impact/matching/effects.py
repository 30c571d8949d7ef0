"""Effect estimates after matching or weighting: :meth:`MatchResult.effect`.

The estimate follows MatchIt's documented workflow (Greifer 2023, "Estimating effects after
matching"): a weighted regression of the outcome on treatment in the matched sample, with
sandwich standard errors computed as R's ``sandwich`` does (Zeileis 2004, 2006; Zeileis,
Koell & Graham 2020), so the numbers agree with ``lm(y ~ treat, weights = weights)`` plus
``vcovCL``/``vcovHC``.

* Without covariates the estimate is the weighted difference in means
  ``sum_t w y / sum_t w - sum_c w y / sum_c w``.
* With ``covariates=`` it is g-computation: a weighted regression
  ``y ~ treat * (covariates)`` (treatment interacted with each centred-or-not covariate),
  predictions for every matched treated unit under treatment and under control, averaged with
  the treated weights: ``ATT = sum_t w (x1'b - x0'b) / sum_t w``; its variance is ``g'Vg``
  with ``g = sum_t w (x1 - x0) / sum_t w``.
* ``scale="risk ratio" | "odds ratio" | "rate ratio"``: ratio of the marginal means
  ``mu1 / mu0`` (odds ``mu/(1-mu)`` for the odds ratio), with a delta-method interval on the
  log scale: ``Var(log RR) = a' V a`` with ``a = grad(log mu1 - log mu0)``.

Standard errors (``vcov``):

* ``"subclass"`` (default without replacement): cluster-robust by matched set
  (Abadie & Spiess 2022), ``vcovCL(type = "HC1", cadjust = TRUE)``;
* ``"HC3"`` (default with replacement or for weighting): ``vcovHC(type = "HC3")``;
* ``"subclass+unit"``: two-way cluster-robust by matched set and unit on the
  :meth:`MatchResult.matches` rows (Cameron, Gelbach & Miller 2011), for matching with
  replacement;
* ``"cluster"`` with ``cluster="school_id"``: one-way cluster-robust by that column (CR1,
  ``vcovCL``), with a warning below 10 treated clusters; with few clusters prefer
  ``"CR2"`` (Bell & McCaffrey 2002 small-sample correction and Satterthwaite degrees of
  freedom for the contrast, Pustejovsky & Tipton 2018), ``"wild"`` (wild cluster restricted
  bootstrap-t, Cameron, Gelbach & Miller 2008; interval by test inversion) or
  ``"randomization"`` (permutation of treatment across clusters, Fisher's sharp null; gives
  the p-value, the interval stays CR1), all from :mod:`sroi.impact.inference`;
* ``"abadie_imbens"``: the Abadie & Imbens (2006) variance of the matching estimator
  (conditional variances estimated by matching controls to controls). The Abadie & Imbens
  (2016) adjustment for an *estimated* propensity score is not implemented; for the ATT that
  adjustment can go either way, so the effect carries a note saying so.

Intervals use the normal distribution (as ``marginaleffects``), Student's t with the
Bell-McCaffrey degrees of freedom for CR2.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from sroi._checks import check_random_state
from sroi._distributions import norm_ppf, norm_sf
from sroi.effect import Effect
from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.inference.cr2 import vcov_cr2
from sroi.impact.inference.randomization import randomization_inference
from sroi.impact.inference.sandwich import vcov_cluster, vcov_hc, wls_fit
from sroi.impact.inference.wild_bootstrap import wild_cluster_bootstrap
from sroi.impact.matching.distance import covariate_frame
from sroi.impact.matching.matched_data import MatchedData

__all__ = ["match_effect", "weighted_effect", "abadie_imbens_se"]

_VCOVS = (
    "subclass",
    "HC0",
    "HC1",
    "HC2",
    "HC3",
    "subclass+unit",
    "cluster",
    "CR2",
    "wild",
    "randomization",
    "abadie_imbens",
)
_HCType = Literal["HC0", "HC1", "HC2", "HC3"]
_SCALES = {
    "difference": "difference",
    "rr": "risk ratio",
    "risk ratio": "risk ratio",
    "or": "odds ratio",
    "odds ratio": "odds ratio",
    "rate ratio": "rate ratio",
    "irr": "rate ratio",
}


def _design(df: pd.DataFrame, treat: np.ndarray, covariates: Sequence[str] | None):
    """Regression design ``[1, t]`` or ``[1, t, X, t*X]`` and the counterfactual rows."""
    n = len(df)
    if not covariates:
        X = np.column_stack([np.ones(n), treat])
        X1 = np.column_stack([np.ones(n), np.ones(n)])
        X0 = np.column_stack([np.ones(n), np.zeros(n)])
        return X, X1, X0, ["(Intercept)", "treat"]
    C = covariate_frame(df, list(covariates), drop_first=True).to_numpy(float)
    names = covariate_frame(df.iloc[:1], list(covariates), drop_first=True).columns.tolist()

    def build(tv):
        return np.column_stack([np.ones(n), tv, C, C * tv[:, None]])

    return (
        build(treat.astype(float)),
        build(np.ones(n)),
        build(np.zeros(n)),
        ["(Intercept)", "treat", *names, *[f"treat:{c}" for c in names]],
    )


def _fit(X: np.ndarray, y: np.ndarray, w: np.ndarray):
    try:
        return wls_fit(X, y, w)
    except np.linalg.LinAlgError:
        raise SroiInputError(
            "the outcome model is singular in the matched sample (a covariate is constant "
            "within a treatment group); drop it from covariates="
        ) from None


def _vcov(
    kind: str,
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    w: np.ndarray,
    clusters: Any,
) -> np.ndarray:
    """Sandwich covariance: ``vcovHC(type=kind)`` or ``vcovCL(type="HC1")`` for ``"cluster"``."""
    if kind in ("HC0", "HC1", "HC2", "HC3"):
        return vcov_hc(X, resid, bread, w, type=cast(_HCType, kind))
    return vcov_cluster(X, resid, bread, clusters, w, type="HC1")


def weighted_effect(
    df: pd.DataFrame,
    outcome: str,
    treatment: str,
    weights: np.ndarray,
    *,
    vcov: str = "HC3",
    clusters: Any = None,
    covariates: Sequence[str] | None = None,
    scale: str = "difference",
    level: float = 0.95,
) -> dict[str, Any]:
    """Weighted outcome regression with sandwich SE, g-computation and ratio scales.

    The core estimator behind :func:`match_effect` (Greifer 2023's workflow; standard errors
    as R ``sandwich``, Zeileis 2006).

    Parameters
    ----------
    df
        Rows of the regression.
    outcome, treatment
        Outcome and 0/1 treatment columns.
    weights
        Matching or weighting weights of the rows.
    vcov
        ``"HC0"``-``"HC3"`` or ``"cluster"`` (with ``clusters``).
    clusters
        One cluster variable, or a DataFrame of several for multiway clustering.
    covariates
        Covariates for g-computation.
    scale
        ``"difference"`` or a ratio scale.
    level
        Confidence level (ratio scales).

    Returns
    -------
    dict
        ``estimate``, ``std_error``, the marginal means ``mu1``/``mu0``; for the difference
        also the regression pieces (``V``, ``g``, ``beta``, ``X``, ``resid``, ``bread``); for
        ratios ``ci_low``, ``ci_high``, ``p_value`` and ``log_se``.
    """
    y = df[outcome].to_numpy(float)
    t = df[treatment].to_numpy(float)
    w = np.asarray(weights, float)
    X, X1, X0, _ = _design(df, t, covariates)
    beta, resid, bread = _fit(X, y, w)
    V = _vcov(vcov, X, resid, bread, w, clusters)
    wt = w * (t == 1)
    g1 = (X1 * wt[:, None]).sum(axis=0) / wt.sum()
    g0 = (X0 * wt[:, None]).sum(axis=0) / wt.sum()
    if not covariates:
        # observed marginal means: mu1 = b0 + b1, mu0 = b0
        g1 = np.array([1.0, 1.0])
        g0 = np.array([1.0, 0.0])
    mu1, mu0 = float(g1 @ beta), float(g0 @ beta)
    scale = _SCALES.get(scale, scale)
    z = float(norm_ppf(0.5 + level / 2))
    if scale == "difference":
        g = g1 - g0
        est = mu1 - mu0
        se = float(np.sqrt(max(g @ V @ g, 0.0)))
        return {
            "estimate": est,
            "std_error": se,
            "mu1": mu1,
            "mu0": mu0,
            "V": V,
            "g": g,
            "beta": beta,
            "X": X,
            "resid": resid,
            "bread": bread,
        }
    if mu1 <= 0 or mu0 <= 0 or (scale == "odds ratio" and (mu1 >= 1 or mu0 >= 1)):
        raise SroiInputError(
            f"{scale} needs marginal means in (0, 1) for odds ratios or > 0 for risk/rate "
            f"ratios; got treated {mu1:.4g}, control {mu0:.4g}"
        )
    if scale == "odds ratio":
        a = g1 / (mu1 * (1 - mu1)) - g0 / (mu0 * (1 - mu0))
        log_est = np.log(mu1 / (1 - mu1)) - np.log(mu0 / (1 - mu0))
    else:
        a = g1 / mu1 - g0 / mu0
        log_est = np.log(mu1) - np.log(mu0)
    log_se = float(np.sqrt(max(a @ V @ a, 0.0)))
    est = float(np.exp(log_est))
    p = float(2 * norm_sf(abs(log_est) / log_se)) if log_se > 0 else np.nan
    return {
        "estimate": est,
        "std_error": est * log_se,
        "ci_low": float(np.exp(log_est - z * log_se)),
        "ci_high": float(np.exp(log_est + z * log_se)),
        "p_value": p,
        "log_se": log_se,
        "mu1": mu1,
        "mu0": mu0,
    }


def _default_vcov(m: MatchedData, vcov: str | None, cluster: str | None) -> str:
    """``"subclass"`` for matched sets, ``"HC3"`` otherwise, ``"cluster"`` with a cluster."""
    if vcov is not None:
        return vcov
    if cluster is not None:
        return "cluster"
    return "subclass" if (m.method == "nearest" and not m.replace) else "HC3"


def _check_outcome(
    d: pd.DataFrame,
    outcome: str,
    scale: str,
    vcov: str,
    cluster: str | None,
    covariates: Sequence[str] | None,
) -> str:
    """Check the effect's arguments against the matched data; return the scale's name."""
    if outcome not in d.columns:
        raise SroiInputError(f"outcome column {outcome!r} not found in the matched data")
    if scale not in _SCALES:
        raise SroiInputError(f"scale must be one of {sorted(set(_SCALES))}, got {scale!r}")
    if vcov not in _VCOVS:
        raise SroiInputError(f"vcov must be one of {_VCOVS}, got {vcov!r}")
    if cluster is not None and cluster not in d.columns:
        raise SroiInputError(f"cluster column {cluster!r} not found in the data")
    if covariates:
        miss = [c for c in covariates if c not in d.columns]
        if miss:
            raise SroiInputError(f"covariate column(s) {miss} not found in the data")
    ynan = d[outcome].isna()
    if ynan.any():
        raise SroiInputError(
            f"outcome {outcome!r} is missing for {int(ynan.sum())} matched rows; impute or "
            "drop these units before matching so the matched sets stay intact"
        )
    if not pd.api.types.is_numeric_dtype(d[outcome]):
        raise SroiInputError(f"outcome {outcome!r} must be numeric")
    sc = _SCALES[scale]
    yv = d[outcome].to_numpy(float)
    if sc in ("risk ratio", "odds ratio") and not np.isin(yv, [0, 1]).all():
        raise SroiInputError(f"{sc} needs a 0/1 outcome; {outcome!r} has other values")
    if sc == "rate ratio" and (yv < 0).any():
        raise SroiInputError(
            f"rate ratio needs a non-negative count outcome; {outcome!r} has negatives"
        )
    return sc


@dataclass(frozen=True)
class _Design:
    """Rows, weights and clusters of the outcome regression for one ``vcov``."""

    data: pd.DataFrame
    weights: np.ndarray
    clusters: Any
    cluster_name: str | None = None
    n_clusters: int | None = None
    n_treated_clusters: int | None = None


def _regression_design(m: MatchedData, d: pd.DataFrame, vcov: str, cluster: str | None) -> _Design:
    """The rows and clusters the standard error ``vcov`` is computed on."""
    w = d["weights"].to_numpy(float)
    if vcov == "subclass":
        if d["subclass"].isna().any():
            raise SroiInputError(
                "vcov='subclass' needs matched sets (matching without replacement); use "
                "vcov='HC3' or 'subclass+unit' after matching with replacement"
            )
        clusters = d["subclass"].to_numpy()
        return _Design(d, w, clusters, "subclass", int(pd.Series(clusters).nunique()))
    if vcov == "subclass+unit":
        mt = m.matches(id="__unit__")
        two_way = pd.DataFrame(
            {"subclass": mt["subclass"].to_numpy(), "unit": mt["__unit__"].astype(str).to_numpy()}
        )
        n_sets = int(mt["subclass"].nunique())
        return _Design(mt, mt["weights"].to_numpy(float), two_way, "subclass+unit", n_sets)
    if vcov not in ("cluster", "CR2", "wild", "randomization"):
        return _Design(d, w, None)
    if cluster is None:
        raise SroiInputError(f"vcov={vcov!r} needs cluster='<column>' (e.g. the school)")
    clusters = d[cluster].to_numpy()
    n_tcl = int(pd.Series(clusters[d[m.treatment].to_numpy() == 1]).nunique())
    if n_tcl < 10:
        advice = (
            "prefer vcov='CR2', 'wild' or 'randomization'"
            if vcov == "cluster"
            else f"using the small-sample method vcov={vcov!r}"
        )
        warnings.warn(
            f"only {n_tcl} treated clusters of {cluster!r}: conventional cluster-robust "
            f"standard errors are unreliable below about 10 treated clusters; {advice}",
            SroiWarning,
            stacklevel=5,
        )
    return _Design(d, w, clusters, cluster, int(pd.Series(clusters).nunique()), n_tcl)


def match_effect(
    m: MatchedData,
    outcome: str,
    vcov: str | None = None,
    *,
    covariates: Sequence[str] | None = None,
    scale: str = "difference",
    cluster: str | None = None,
    level: float = 0.95,
    n_boot: int = 999,
    random_state: int | np.random.Generator | None = 0,
) -> Effect:
    """Estimate the effect on ``outcome`` from a matched sample (:meth:`MatchResult.effect`).

    The estimators and the ``vcov`` options are described in the module docstring
    (MatchIt's workflow, Greifer 2023; sandwich standard errors, Zeileis 2006).

    Parameters
    ----------
    m
        The result of :func:`sroi.match`.
    outcome
        Numeric outcome column (0/1 for risk and odds ratios, counts for rate ratios).
    vcov
        Standard error; default ``"subclass"`` for matched sets, ``"HC3"`` otherwise,
        ``"cluster"`` when ``cluster`` is given.
    covariates
        Covariates for g-computation (regression adjustment).
    scale
        ``"difference"``, ``"risk ratio"``, ``"odds ratio"`` or ``"rate ratio"``.
    cluster
        Cluster column for ``vcov="cluster"``, ``"CR2"``, ``"wild"`` or ``"randomization"``.
    level
        Confidence level.
    n_boot
        Bootstrap draws (``"wild"``) or permutations (``"randomization"``).
    random_state
        Seed (whole number >= 0) or ``numpy.random.Generator`` for those draws.

    Returns
    -------
    Effect
    """
    rng = check_random_state(random_state)
    vcov = _default_vcov(m, vcov, cluster)
    d = m.data
    sc = _check_outcome(d, outcome, scale, vcov, cluster, covariates)
    if vcov == "abadie_imbens":
        return _abadie_imbens_effect(m, outcome, level)
    design = _regression_design(m, d, vcov, cluster)
    kind = vcov if vcov in ("HC0", "HC1", "HC2", "HC3") else "cluster"
    res = weighted_effect(
        design.data,
        outcome,
        m.treatment,
        design.weights,
        vcov=kind,
        clusters=design.clusters,
        covariates=covariates,
        scale=scale,
        level=level,
    )
    df_t = None
    if vcov in ("CR2", "wild", "randomization"):
        res, ci_type, df_t = _few_clusters(
            vcov, res, design, outcome, m.treatment, covariates, level, n_boot, rng
        )
    elif vcov in ("HC0", "HC1", "HC2", "HC3"):
        ci_type = f"analytic pointwise ({vcov})"
    else:
        ci_type = f"analytic pointwise (cluster-robust by {design.cluster_name})"
    return _effect(m, res, outcome, sc, vcov, design, covariates, ci_type, df_t, level)


def _effect(
    m: MatchedData,
    res: dict[str, Any],
    outcome: str,
    sc: str,
    vcov: str,
    design: _Design,
    covariates: Sequence[str] | None,
    ci_type: str,
    df_t: float | None,
    level: float,
) -> Effect:
    """The :class:`~sroi.Effect` with sample sizes, exclusions as notes and the marginal means."""
    method = m.method_label
    if covariates:
        method += f"; g-computation with {list(covariates)}"
    notes = [f"{r['group']} excluded ({r['reason']}): {r['n']}" for _, r in m.exclusions.iterrows()]
    common: dict[str, Any] = dict(
        n_treated=m.n_treated,
        n_control=m.n_control,
        estimand=m.estimand,
        method=method,
        outcome=outcome,
        ci_type=ci_type,
        cluster=design.cluster_name,
        n_clusters=design.n_clusters,
        n_treated_clusters=design.n_treated_clusters,
        scale=sc,
        notes=tuple(notes),
        extra={
            "vcov": vcov,
            "mu_treated": res["mu1"],
            "mu_control": res["mu0"],
            **({"log_se": res["log_se"]} if "log_se" in res else {}),
        },
    )
    if sc == "difference" and "ci_low" not in res:
        eff = Effect.from_estimate(
            res["estimate"], res["std_error"], df=df_t, level=level, **common
        )
        if "p_value" in res:  # randomisation-inference p-value replaces the Wald one
            eff = eff.with_(p_value=res["p_value"])
        return eff
    return Effect(
        estimate=res["estimate"],
        std_error=res["std_error"],
        ci_low=res["ci_low"],
        ci_high=res["ci_high"],
        p_value=res["p_value"],
        level=level,
        **common,
    )


def _few_clusters(
    vcov: str,
    res: dict[str, Any],
    design: _Design,
    outcome: str,
    treat: str,
    covariates: Sequence[str] | None,
    level: float,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[dict[str, Any], str, float | None]:
    """CR2, wild cluster bootstrap or randomisation inference for the difference in means.

    Returns the updated estimate dictionary, the interval type and the t degrees of freedom.
    """
    if "g" not in res:
        raise SroiInputError(f"vcov={vcov!r} is only available for scale='difference'")
    g = res["g"]
    w, clusters = design.weights, design.clusters
    if vcov == "CR2":
        V, dfv = vcov_cr2(res["X"], res["resid"], res["bread"], clusters, weights=w, contrast=g)
        se = float(np.sqrt(g @ V @ g))
        return {**res, "std_error": se}, "CR2 Bell-McCaffrey", float(dfv)
    if covariates:
        raise SroiInputError(f"vcov={vcov!r} is available without covariates= only")
    y = design.data[outcome].to_numpy(float)
    if vcov == "wild":
        wb = wild_cluster_bootstrap(
            res["X"], y, clusters, 1, weights=w, n_boot=n_boot, level=level, random_state=rng
        )
        out = {
            **res,
            "std_error": wb.std_error,
            "ci_low": wb.ci_low,
            "ci_high": wb.ci_high,
            "p_value": wb.p_value,
        }
        return out, "wild cluster restricted bootstrap", None
    # randomisation inference over clusters: treatment must be constant within clusters
    tv = design.data[treat].to_numpy()
    per = pd.Series(tv).groupby(pd.Series(clusters)).nunique()
    if (per > 1).any():
        raise SroiInputError(
            "vcov='randomization' permutes treatment across clusters, so every cluster must be "
            f"all treated or all comparison; {int((per > 1).sum())} clusters are mixed"
        )
    ri = randomization_inference(
        res["X"], y, clusters, 1, tv, weights=w, n_perm=n_boot, random_state=rng
    )
    out = {**res, "p_value": float(ri.p_value)}
    return out, "randomization inference over clusters (p-value); CR1 interval", None


def abadie_imbens_se(
    y: np.ndarray,
    t: np.ndarray,
    pairs_t: np.ndarray,
    pairs_c: np.ndarray,
    k: np.ndarray,
    X: np.ndarray,
    n_var_matches: int = 1,
) -> float:
    """Abadie & Imbens (2006) standard error of the ATT matching estimator.

    ``V = (1/N1^2) [ sum_t (y_i - mean_{j in M(i)} y_j - tau)^2
    + sum_c (K_j^2 - K'_j) sigma^2(x_j) ]`` — here in the common form
    ``V = (1/N1^2) sum_i [ (Y_i(1) - Yhat_i(0) - tau)^2 ] + (1/N1^2) sum_c (K_c^2 - K'_c) s_c^2``
    where ``K_c`` is the sum over treated units of ``1/M_i`` for control ``c``, ``K'_c`` the
    sum of ``1/M_i^2``, and ``s_c^2`` the conditional variance estimated by matching each
    control to its nearest other control on ``X`` (``n_var_matches`` neighbours):
    ``s^2 = J/(J+1) (y_c - mean of its J neighbours)^2``.

    The adjustment for an estimated propensity score (Abadie & Imbens 2016) is not applied.
    """
    from scipy.spatial import cKDTree

    y = np.asarray(y, float)
    pairs_t = np.asarray(pairs_t)
    pairs_c = np.asarray(pairs_c)
    kk = np.asarray(k, float)
    n = len(y)
    tt = np.unique(pairs_t)
    n1 = len(tt)
    # imputed Y(0) for each treated
    yhat0 = pd.Series(y[pairs_c] / kk).groupby(pairs_t).sum()
    tau = float((y[yhat0.index.to_numpy()] - yhat0.to_numpy()).mean())
    Kc = np.zeros(n)
    Kc2 = np.zeros(n)
    np.add.at(Kc, pairs_c, 1 / kk)
    np.add.at(Kc2, pairs_c, 1 / kk**2)
    ctrl = np.flatnonzero(Kc > 0)
    all_c = np.flatnonzero(np.asarray(t) == 0)
    Xc = np.asarray(X, float)[all_c]
    tree = cKDTree(Xc)
    J = n_var_matches
    _, nb = tree.query(np.asarray(X, float)[ctrl], k=J + 1)
    nb = np.atleast_2d(nb)
    # drop the unit itself (first neighbour at distance 0 when it is its own nearest)
    own = all_c[nb]
    others = np.where(own[:, :1] == ctrl[:, None], own[:, 1:], own[:, :J])
    s2 = J / (J + 1) * (y[ctrl] - y[others].mean(axis=1)) ** 2
    resid_t = y[yhat0.index.to_numpy()] - yhat0.to_numpy() - tau
    v = (np.sum(resid_t**2) + np.sum((Kc[ctrl] ** 2 - Kc2[ctrl]) * s2)) / n1**2
    return float(np.sqrt(v))


def _abadie_imbens_effect(m: MatchedData, outcome: str, level: float) -> Effect:
    """Matching estimator with the Abadie & Imbens (2006) standard error (nearest neighbour)."""
    if m.method != "nearest":
        raise SroiInputError("vcov='abadie_imbens' is for nearest-neighbour matching only")
    p = m.pairs()
    ad = m.all_data
    info = m.info
    lab = {v: i for i, v in enumerate(ad.index)}
    pt = p["treated"].map(lab).to_numpy()
    pc = p["control"].map(lab).to_numpy()
    k = p.groupby("treated")["control"].transform("size").to_numpy()
    y = ad[outcome].to_numpy(float)
    X = m.covariate_matrix.reindex(ad.index).to_numpy(float)
    Xs = (X - np.nanmean(X, 0)) / np.where(np.nanstd(X, 0) > 0, np.nanstd(X, 0), 1)
    tt = ad[m.treatment].to_numpy().astype(int).copy()
    tt[~np.isfinite(X).all(axis=1)] = 2  # rows dropped for missing values take no part
    se = abadie_imbens_se(y, tt, pt, pc, k, np.nan_to_num(Xs))
    yhat0 = pd.Series(y[pc] / k).groupby(pt).sum()
    est = float((y[yhat0.index.to_numpy()] - yhat0.to_numpy()).mean())
    notes = []
    if info.get("has_score") and info.get("ps_coef") is not None:
        notes.append(
            "Abadie-Imbens (2006) SE treats the estimated propensity score as known; the "
            "Abadie-Imbens (2016) adjustment is not applied"
        )
    return Effect.from_estimate(
        est,
        se,
        level=level,
        n_treated=m.n_treated,
        n_control=m.n_control,
        estimand=m.estimand,
        method=m.method_label + " (matching estimator)",
        outcome=outcome,
        ci_type="analytic pointwise (Abadie-Imbens)",
        notes=tuple(notes),
        extra={"vcov": "abadie_imbens"},
    )
