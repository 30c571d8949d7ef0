"""The classic 2x2 difference-in-differences regression (panels or repeated cross-sections).

The regression is::

    y = a + g G + p Post + b (G x Post) + x' c + e

whose ``b`` equals ``(ybar_G,post - ybar_G,pre) - (ybar_C,post - ybar_C,pre)`` without
covariates (Angrist & Pischke 2009, ch. 5; Card & Krueger 1994).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sroi.data.panel import Panel
from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.impact.did.clustered import (
    BootWeights,
    ClusterInference,
    cluster_inference,
    few_cluster_warning,
)
from sroi.impact.did.data import did_panel
from sroi.impact.inference.sandwich import wls_fit

__all__ = ["did_2x2"]


def _indicators(
    p: Panel, df: pd.DataFrame, treatment: str | None, post: str | int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Treated-group and post-period indicators ``G`` and ``P``."""
    t = df[p.time].to_numpy()
    cohorts = None
    if treatment is not None:
        G = df[treatment].to_numpy(dtype=float)
        p.check_constant(
            treatment,
            f"with design='2x2', treatment={treatment!r} is the treated-group indicator and "
            "must be constant within each unit",
        )
    else:
        assert p.cohort is not None
        coh = df[p.cohort].to_numpy()
        G = (coh > 0).astype(float)
        cohorts = np.unique(coh[coh > 0])
    if isinstance(post, str):
        p.check_binary(post, "the post-period indicator")
        P = df[post].to_numpy(dtype=float)
    elif post is not None:
        P = (t >= int(post)).astype(float)
    else:
        if cohorts is None or cohorts.size != 1:
            raise SroiInputError(
                "design='2x2' needs post= (a 0/1 column or the first post period) unless "
                "all treated units share one cohort"
            )
        P = (t >= cohorts[0]).astype(float)
    for arr, name in ((G, "treated group"), (P, "post period")):
        if arr.min() == arr.max():
            raise SroiInputError(f"the {name} indicator does not vary: the 2x2 needs both values")
    return G, P


def did_2x2(
    panel: pd.DataFrame,
    *,
    outcome: str,
    unit: str | None,
    time: str,
    cohort: str | None,
    treatment: str | None,
    covariates: list[str],
    clusters: list[str],
    weights: str | None,
    vcov: str,
    n_boot: int,
    random_state: Any,
    post: str | int | None,
    level: float,
    boot_weights: BootWeights,
) -> Effect:
    """2x2 DiD effect (the ``design="2x2"`` branch of :func:`sroi.did`).

    Parameters are those of :func:`sroi.did` (``clusters``: the cluster columns, empty for
    heteroskedasticity-robust errors of a repeated cross-section).

    Returns
    -------
    Effect
        The interaction coefficient with cluster-robust (or HC1) inference.
    """
    if treatment is None and cohort is None:
        raise SroiInputError("design='2x2' needs treatment= (0/1 group column) or cohort=")
    p = did_panel(
        panel,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort if treatment is None else None,
        treatment=treatment,
        covariates=covariates,
        clusters=clusters,
        weights=weights,
        extra=[post] if isinstance(post, str) else [],
        panel_design=False,
    )
    df = p.data.reset_index(drop=True)
    G, P = _indicators(p, df, treatment, post)
    cells = pd.crosstab(G, P)
    if cells.shape != (2, 2) or (cells.to_numpy() == 0).any():
        raise SroiInputError(
            f"the 2x2 needs observations in all four group x period cells; got\n{cells}"
        )
    cov = df[covariates].to_numpy(dtype=float) if covariates else np.empty((len(df), 0))
    X = np.column_stack([G * P, np.ones(len(df)), G, P, cov])
    y = df[outcome].to_numpy(dtype=float)
    w = df[weights].to_numpy(dtype=float) if weights else None
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise SroiInputError(
            "the 2x2 design with these covariates is rank deficient "
            "(a covariate is collinear with group or period)"
        )
    beta, _, bread = wls_fit(X, y, w)
    notes = list(p.exclusions.notes())
    by_row = not clusters
    if by_row:
        df = df.assign(_row=np.arange(len(df)))
        clusters = ["_row"]
    n_tc = min(int(df.loc[(G * P) == 1, c].nunique()) for c in clusters)
    few = None if by_row else few_cluster_warning(n_tc, vcov, clusters)
    if few:
        notes.append(few)
    inf = cluster_inference(
        X=X,
        y=y,
        beta=beta,
        bread=bread,
        w=w,
        clusters=df[clusters].reset_index(drop=True),
        coef=0,
        vcov=vcov,
        n_boot=n_boot,
        random_state=random_state,
        level=level,
        boot_weights=boot_weights,
    )
    return _effect(p, df, G, beta, inf, cells, by_row, clusters, n_tc, notes, outcome, level)


def _effect(
    p: Panel,
    df: pd.DataFrame,
    G: np.ndarray,
    beta: np.ndarray,
    inf: ClusterInference,
    cells: pd.DataFrame,
    by_row: bool,
    clusters: list[str],
    n_tc: int,
    notes: list[str],
    outcome: str,
    level: float,
) -> Effect:
    if p.unit is not None:
        units = df[p.unit].to_numpy()
        n_t = int(pd.unique(units[G == 1]).size)
        n_c = int(pd.unique(units[G == 0]).size)
    else:
        n_t, n_c = int((G == 1).sum()), int((G == 0).sum())
    return Effect(
        estimate=float(beta[0]),
        std_error=inf.std_error,
        ci_low=inf.ci_low,
        ci_high=inf.ci_high,
        p_value=inf.p_value,
        n_treated=n_t,
        n_control=n_c,
        estimand="ATT (2x2 difference-in-differences)",
        method="2x2 DiD regression" + (" (repeated cross-sections)" if p.unit is None else ""),
        outcome=outcome,
        ci_type=inf.ci_type.replace("cluster-robust CR1", "heteroskedasticity-robust HC1")
        if by_row
        else inf.ci_type,
        cluster=None if by_row else "+".join(clusters),
        n_clusters=inf.n_clusters,
        n_treated_clusters=n_tc,
        level=level,
        notes=tuple(notes),
        extra={
            "design": "2x2",
            "n_obs": int(len(df)),
            "df": inf.df,
            "cell_counts": {
                f"G{int(a)}_P{int(b)}": int(cells.loc[a, b])
                for a in cells.index
                for b in cells.columns
            },
            "exclusions": p.exclusions.counts(),
        },
    )
