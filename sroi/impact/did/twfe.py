"""The static two-way fixed effects DiD estimator (Angrist & Pischke 2009, ch. 5).

The regression is::

    y_it = a_i + l_t + b D_it + x_it' g + e_it,      D_it = 1{cohort_i > 0 and t >= cohort_i}

with unit effects ``a_i`` absorbed by (weighted) within-unit demeaning and period effects
``l_t`` as explicit dummies, estimated with ``linearmodels.PanelOLS`` (or sroi's own within
solve, identical to 1e-8; the default). Absorbing only the unit effects keeps the estimator exact on
unbalanced panels and keeps the design small, so the few-cluster corrections of
:mod:`sroi.impact.inference` apply directly (unit effects are nested within unit or school
clusters; with CR1, ``k`` counts only the non-absorbed regressors, as fixest's
``fixef.K = "nested"``).

Under staggered adoption with effects that vary over time or across cohorts ``b`` is a
weighted average of 2x2 comparisons some of which use already-treated units as controls
(Goodman-Bacon 2021; de Chaisemartin & D'Haultfoeuille 2020): use
:func:`sroi.staggered_did` for the headline and
:func:`sroi.impact.did.bacon_decomposition` to see why the two differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sroi._threads import single_blas_thread
from sroi.data.panel import Panel
from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.impact.did.clustered import (
    BootWeights,
    cluster_inference,
    few_cluster_warning,
    nested,
)
from sroi.impact.did.data import did_panel
from sroi.impact.did.within import (
    TwoWay,
    WithinFit,
    cr2_working_model,
    panel_codes,
    unit_scale,
)
from sroi.impact.inference.sandwich import wls_fit

__all__ = ["did_twfe"]


@dataclass(frozen=True)
class _TwfeDesign:
    """The static TWFE regression: regressors, effects and the two-way (FWL) fit."""

    df: pd.DataFrame
    D: np.ndarray
    times: np.ndarray
    y: np.ndarray
    w: np.ndarray | None
    X: np.ndarray  # non-demeaned regressors kept, without the period dummies (D, covariates)
    tw: TwoWay
    fit: WithinFit
    names: list[str]  # D, the kept period dummies, the kept covariates
    notes: list[str]

    def beta(self) -> np.ndarray:
        """All coefficients in the order of :attr:`names`."""
        return np.r_[self.fit.beta[:1], self.fit.periods, self.fit.beta[1:]]

    def dense(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Regressors with period dummies, as :attr:`names`: raw, unit-demeaned; demeaned y."""
        Xfull = np.column_stack([self.X[:, :1], self.tw.period_dummies(), self.X[:, 1:]])
        Z = self.tw.demean_units(np.column_stack([self.y, Xfull]))
        return Xfull, Z[:, 1:], Z[:, 0]


def _design(p: Panel, outcome: str, covariates: list[str]) -> _TwfeDesign:
    """Treatment indicator and covariates; unit effects absorbed, period effects projected out."""
    assert p.cohort is not None
    df = p.data.reset_index(drop=True)
    ucode, tcode, times = panel_codes(p)
    coh = df[p.cohort].to_numpy()
    t = times[tcode]
    D = ((coh > 0) & (t >= coh)).astype(float)
    if D.sum() == 0:
        raise SroiInputError("no treated observations (cohort > 0 and time >= cohort) in the panel")
    if (D == 0).sum() == 0:
        raise SroiInputError("every observation is treated; a comparison is impossible")
    w = df[p.weights].to_numpy(dtype=float) if p.weights else None
    y = df[outcome].to_numpy(dtype=float)
    X = np.column_stack([D, df[covariates].to_numpy(dtype=float)]) if covariates else D[:, None]
    tw = TwoWay.from_codes(ucode, tcode, w)
    Zd = tw.demean_units(np.column_stack([y, X]))
    keep = unit_scale(X, Zd[:, 1:]) > 1e-8
    if not keep[0]:
        raise SroiInputError("the treatment indicator does not vary within units")
    notes = list(p.exclusions.notes())
    absorbed = [c for c, k in zip(covariates, keep[1:], strict=True) if not k]
    if absorbed:
        notes.append(f"covariates absorbed by the unit effects (time-invariant): {absorbed}")
    fit = tw.fit(Zd[:, np.r_[True, keep]] if not keep.all() else Zd)
    names = ["D", *[f"t{v}" for v in times[tw.kept]], *[c for c in covariates if c not in absorbed]]
    return _TwfeDesign(df, D, times, y, w, X[:, keep], tw, fit, names, notes)


def _coefficients(
    des: _TwfeDesign, outcome: str, unit: str, time: str, engine: str
) -> tuple[np.ndarray, np.ndarray, str, np.ndarray, np.ndarray]:
    """Coefficients and bread of the dense within design, cross-checked with PanelOLS.

    Only for ``engine="linearmodels"`` or the CR2 and wild inference, which need the full
    design; ``engine="auto"`` with CR1 uses the two-way fit alone (the estimate PanelOLS
    gives, to 1e-8, without PanelOLS's unused fit statistics).
    """
    Xfull, Xd, yd = des.dense()
    b2, _, bread = wls_fit(Xd, yd, des.w)
    if engine in ("auto", "within"):
        return b2, bread, "within", Xd, yd
    from linearmodels import PanelOLS

    idx = pd.MultiIndex.from_arrays(
        [des.df[unit].to_numpy(), des.df[time].to_numpy()], names=[unit, time]
    )
    mod = PanelOLS(
        pd.Series(des.y, index=idx, name=outcome),
        pd.DataFrame(Xfull, index=idx, columns=des.names),
        entity_effects=True,
        weights=None if des.w is None else pd.Series(des.w, index=idx),
        drop_absorbed=True,
        check_rank=False,
    )
    fit = mod.fit(cov_type="unadjusted")
    beta = fit.params.reindex(des.names).fillna(0.0).to_numpy()
    if not np.allclose(beta, b2, rtol=1e-6, atol=1e-8 * (1 + np.abs(b2).max())):
        raise RuntimeError(  # pragma: no cover
            "PanelOLS and the within solve disagree; please report this"
        )
    return beta, bread, engine, Xd, yd


@single_blas_thread
def did_twfe(
    panel: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None,
    treatment: str | None,
    covariates: list[str],
    clusters: list[str],
    weights: str | None,
    vcov: str,
    n_boot: int,
    random_state: Any,
    level: float,
    boot_weights: BootWeights,
    engine: str = "linearmodels",
) -> Effect:
    """Static TWFE DiD effect (the ``design="twfe"`` branch of :func:`sroi.did`).

    Parameters are those of :func:`sroi.did` (``clusters``: the cluster columns).

    Returns
    -------
    Effect
        The coefficient of the treatment indicator with cluster-robust inference.
    """
    p = did_panel(
        panel,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        treatment=treatment,
        covariates=covariates,
        clusters=clusters,
        weights=weights,
    )
    des = _design(p, outcome, covariates)
    df, D, notes = des.df, des.D, des.notes
    codes = des.tw.ucode if clusters == [unit] else None
    if codes is not None:
        n_tc = int((np.bincount(codes[D == 1], minlength=des.tw.n_units) > 0).sum())
    else:
        n_tc = min(int(df.loc[D == 1, c].nunique()) for c in clusters)
    few_msg = few_cluster_warning(n_tc, vcov, clusters)
    if few_msg:
        notes.append(few_msg)
    if vcov in ("CR2", "wild") and not all(nested(df, unit, c) for c in clusters):
        raise SroiInputError(
            f"vcov={vcov!r} with unit fixed effects needs each {unit} inside one cluster; "
            f"{unit} is not nested in {'+'.join(clusters)}. Cluster by {unit} or by a "
            "grouping that contains whole units (e.g. school), or use vcov='cluster'"
        )
    working = cr2_working_model(des.w, des.tw.ucode)
    if vcov == "CR2" and working == "inverse_weights":
        notes.append(
            "CR2 with weights that vary within units: working model Phi = W^-1 "
            "(clubSandwich inverse_var=TRUE style); see sroi.impact.inference.cr2.vcov_cr2"
        )
    common = dict(
        w=des.w,
        clusters=df[clusters].reset_index(drop=True),
        coef=0,
        vcov=vcov,
        n_boot=n_boot,
        random_state=random_state,
        level=level,
        boot_weights=boot_weights,
        working=working,
    )
    if engine == "linearmodels" or vcov != "cluster":
        beta, bread, engine, Xd, yd = _coefficients(des, outcome, unit, time, engine)
        inf = cluster_inference(X=Xd, y=yd, beta=beta, bread=bread, **common)
    else:  # CR1 from the two-way fit: the covariance block of D and the covariates
        beta, engine, f = des.beta(), "within", des.fit
        inf = cluster_inference(
            X=f.X, y=f.y, beta=f.beta, bread=f.bread, k=f.k, codes=codes, **common
        )
    return _effect(p, des, beta, inf, n_tc, clusters, engine, outcome, unit, time, level)


def _effect(
    p: Panel,
    des: _TwfeDesign,
    beta: np.ndarray,
    inf: Any,
    n_tc: int,
    clusters: list[str],
    engine: str,
    outcome: str,
    unit: str,
    time: str,
    level: float,
) -> Effect:
    assert p.cohort is not None
    df = des.df
    coh = df[p.cohort].to_numpy()
    ever = (coh > 0) & (coh <= des.times.max())  # cohorts after the panel ends act as controls
    n_ever = int((np.bincount(des.tw.ucode[ever], minlength=des.tw.n_units) > 0).sum())
    extra: dict[str, Any] = {
        "design": "twfe",
        "n_obs": int(len(df)),
        "n_units": des.tw.n_units,
        "n_periods": int(des.times.size),
        "df": inf.df,
        "exclusions": p.exclusions.counts(),
        "coefficients": dict(zip(des.names, map(float, beta), strict=True)),
        "balanced": des.tw.balanced,
    }
    if inf.n_boot is not None:
        extra["n_boot"] = inf.n_boot
    return Effect(
        estimate=float(beta[0]),
        std_error=inf.std_error,
        ci_low=inf.ci_low,
        ci_high=inf.ci_high,
        p_value=inf.p_value,
        n_treated=n_ever,
        n_control=des.tw.n_units - n_ever,
        estimand="ATT (TWFE: variance-weighted average of 2x2 comparisons)",
        method="two-way fixed effects DiD"
        + (" (linearmodels PanelOLS)" if engine == "linearmodels" else " (within solve)"),
        outcome=outcome,
        ci_type=inf.ci_type,
        cluster="+".join(clusters),
        n_clusters=inf.n_clusters,
        n_treated_clusters=n_tc,
        level=level,
        notes=tuple(des.notes),
        extra=extra,
    )
