"""Difference-in-differences: the classic 2x2 and the static two-way fixed effects estimator.

``did(design="twfe")`` fits (Angrist & Pischke 2009, ch. 5)::

    y_it = a_i + l_t + b D_it + x_it' g + e_it,      D_it = 1{cohort_i > 0 and t >= cohort_i}

with unit effects ``a_i`` absorbed by (weighted) within-unit demeaning and period effects
``l_t`` as explicit dummies, estimated with ``linearmodels.PanelOLS``. Absorbing only the
unit effects keeps the estimator exact on unbalanced panels and keeps the design small, so
the few-cluster corrections in :mod:`sroi.impact.few_clusters` apply directly (unit effects
are nested within unit or school clusters).

``did(design="2x2")`` fits the pooled regression (valid for panels and repeated
cross-sections)::

    y = a + g G + p Post + b (G x Post) + x' c + e

whose ``b`` equals ``(ybar_G,post - ybar_G,pre) - (ybar_C,post - ybar_C,pre)`` without
covariates.

Under staggered adoption with effects that vary over time or across cohorts the TWFE ``b``
is a weighted average of 2x2 comparisons some of which use already-treated units as
controls (Goodman-Bacon 2021; de Chaisemartin & D'Haultfoeuille 2020): use
:func:`sroi.staggered_did` for the headline and :func:`sroi.impact.bacon_decomposition` to
see why the two differ.

Inference (``vcov``):

* ``"cluster"`` -- Liang-Zeger CR1 as R ``sandwich::vcovCL`` (``HC1``: multiplied by
  ``G/(G-1) (n-1)/(n-k)``, ``k`` the number of non-absorbed regressors, i.e. unit effects
  nested in the clusters are not counted, as fixest's ``fixef.K = "nested"``), intervals
  with Student t on ``G-1`` degrees of freedom (``min G - 1`` for two-way clustering).
* ``"CR2"`` -- Bell & McCaffrey (2002) / Pustejovsky & Tipton (2018) with Satterthwaite
  degrees of freedom (R clubSandwich).
* ``"wild"`` -- wild cluster restricted bootstrap-t (Cameron, Gelbach & Miller 2008); the
  reported standard error is CR1, the p-value and interval come from the bootstrap.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.errors import SroiInputError, SroiWarning, example_rows
from sroi.impact.inference.cr2 import vcov_cr2
from sroi.impact.inference.intervals import t_interval
from sroi.impact.inference.sandwich import vcov_cluster, wls_fit
from sroi.impact.inference.wild_bootstrap import wild_cluster_bootstrap

__all__ = ["did", "prepare_panel", "PreparedPanel", "within_demean"]

FEW_TREATED_CLUSTERS = 10


# ---------------------------------------------------------------------------------------
# shared input preparation (also used by event_study and bacon)


@dataclass
class PreparedPanel:
    """A validated long panel with integer time, cohort (0 = never treated) and the rows
    excluded on the way, each with its reason."""

    data: pd.DataFrame
    unit: str | None
    time: str
    cohort: str
    exclusions: dict[str, int] = field(default_factory=dict)

    def notes(self) -> tuple[str, ...]:
        return tuple(f"{n} rows excluded: {reason}" for reason, n in self.exclusions.items() if n)


def _require_columns(panel: pd.DataFrame, cols: dict[str, Any]) -> None:
    if not isinstance(panel, pd.DataFrame):
        raise SroiInputError(f"panel must be a pandas DataFrame, got {type(panel).__name__}")
    for arg, col in cols.items():
        if col is None:
            continue
        if not isinstance(col, str):
            raise SroiInputError(f"{arg} must be a column name (string), got {col!r}")
        if col not in panel.columns:
            raise SroiInputError(
                f"{arg}={col!r} is not a column of the panel; available columns: "
                f"{', '.join(map(str, panel.columns[:20]))}"
            )


def _as_int_time(s: pd.Series, name: str) -> pd.Series:
    if not pd.api.types.is_numeric_dtype(s):
        raise SroiInputError(
            f"column {name!r} must be numeric integer periods (e.g. term 1..9); got dtype "
            f"{s.dtype}. Convert dates to consecutive integer periods first."
        )
    vals = s.to_numpy(dtype=float)
    bad = np.isfinite(vals) & (vals != np.round(vals))
    if bad.any():
        raise SroiInputError(
            f"column {name!r} must hold whole-number periods; non-integer values in "
            f"{example_rows(s.index[bad])}"
        )
    return s


def prepare_panel(
    panel: pd.DataFrame,
    *,
    outcome: str,
    unit: str | None,
    time: str,
    cohort: str | None = None,
    treatment: str | None = None,
    covariates: list[str] | None = None,
    cluster: str | list[str] | None = None,
    weights: str | None = None,
    extra: list[str] | None = None,
    drop_first_period_treated: bool = True,
) -> PreparedPanel:
    """Validate a long panel and derive the cohort (first treated period, 0 = never).

    Either ``cohort`` (first treated period per unit, 0 never) or ``treatment`` (a 0/1
    indicator per row that must switch on once and stay on) defines treatment timing.
    Rows with missing outcome, covariates, weights or cluster are dropped and counted;
    rows with zero weight (e.g. unmatched in a matched sample) are dropped and counted;
    units treated from their first observed period have no pre-period and are dropped and
    counted when ``drop_first_period_treated``.
    """
    covariates = list(covariates or [])
    clusters = [cluster] if isinstance(cluster, str) else list(cluster or [])
    _require_columns(
        panel,
        {
            "outcome": outcome,
            "unit": unit,
            "time": time,
            "cohort": cohort,
            "treatment": treatment,
            "weights": weights,
        },
    )
    for c in covariates:
        _require_columns(panel, {"covariates": c})
    for c in clusters:
        _require_columns(panel, {"cluster": c})
    if cohort is None and treatment is None:
        raise SroiInputError(
            "give either cohort= (first treated period, 0 = never treated) "
            "or treatment= (a 0/1 column)"
        )
    cols = [
        c
        for c in dict.fromkeys(
            [
                unit,
                time,
                outcome,
                cohort,
                treatment,
                weights,
                *covariates,
                *clusters,
                *(extra or []),
            ]
        )
        if c is not None
    ]
    df = panel[cols].copy()
    excl: dict[str, int] = {}

    _as_int_time(df[time], time)
    if df[time].isna().any():
        raise SroiInputError(
            f"column {time!r} has missing values in {example_rows(df.index[df[time].isna()])}"
        )
    df[time] = df[time].astype(np.int64)
    if unit is not None:
        if df[unit].isna().any():
            raise SroiInputError(
                f"column {unit!r} has missing ids in {example_rows(df.index[df[unit].isna()])}"
            )
        dup = df.duplicated([unit, time], keep=False)
        if dup.any():
            raise SroiInputError(
                f"duplicated ({unit}, {time}) rows: {example_rows(df.index[dup])}. "
                "Keep one row per unit and period (aggregate or deduplicate first)."
            )

    if not pd.api.types.is_numeric_dtype(df[outcome]):
        raise SroiInputError(f"outcome column {outcome!r} must be numeric, got {df[outcome].dtype}")
    for c in covariates:
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise SroiInputError(
                f"covariate {c!r} must be numeric (one-hot encode categories first), got "
                f"{df[c].dtype}"
            )

    # treatment timing
    if cohort is not None:
        _as_int_time(df[cohort], cohort)
        if df[cohort].isna().any():
            raise SroiInputError(
                f"cohort column {cohort!r} has missing values in "
                f"{example_rows(df.index[df[cohort].isna()])}; use 0 for never treated"
            )
        df[cohort] = df[cohort].astype(np.int64)
        if (df[cohort] < 0).any():
            raise SroiInputError(
                f"cohort column {cohort!r} has negative values; use 0 for never treated"
            )
        if unit is not None:
            nun = df.groupby(unit)[cohort].nunique()
            if (nun > 1).any():
                raise SroiInputError(
                    f"cohort column {cohort!r} must be constant within each {unit}; it varies "
                    f"for units {list(nun.index[nun > 1][:5])}"
                )
        times = np.unique(df[time])
        treated_c = np.unique(df.loc[df[cohort] > 0, cohort])
        odd = np.setdiff1d(treated_c, times)
        odd = odd[(odd >= times.min()) & (odd <= times.max())]
        if odd.size:
            raise SroiInputError(
                f"cohort values {odd.tolist()} are not periods of {time!r} "
                f"({times.min()}..{times.max()}); cohort must be the first treated period"
            )
        coh_name = cohort
    else:
        d = df[treatment]
        if not d.dropna().isin([0, 1]).all():
            raise SroiInputError(f"treatment column {treatment!r} must be 0/1")
        if d.isna().any():
            raise SroiInputError(
                f"treatment column {treatment!r} has missing values in "
                f"{example_rows(df.index[d.isna()])}"
            )
        coh_name = "_cohort"
        if unit is None:
            raise SroiInputError("treatment= without unit= needs design='2x2'")
        first = df.loc[df[treatment] == 1].groupby(unit)[time].min()
        df[coh_name] = df[unit].map(first).fillna(0).astype(np.int64)
        switched_off = (df[coh_name] > 0) & (df[time] >= df[coh_name]) & (df[treatment] == 0)
        if switched_off.any():
            raise SroiInputError(
                f"treatment {treatment!r} switches off after starting (units "
                f"{list(df.loc[switched_off, unit].unique()[:5])}); only staggered adoption "
                "(once treated, always treated) is supported"
            )

    # missing values
    need = [outcome, *covariates, *clusters] + ([weights] if weights else [])
    miss = df[need].isna().any(axis=1)
    if miss.any():
        for c in need:
            m = df[c].isna() & miss
            if m.any():
                excl[f"missing {c}"] = int(m.sum())
                miss &= ~m
        df = df.loc[~df[need].isna().any(axis=1)]
    if weights:
        w = df[weights].to_numpy(dtype=float)
        if (w < 0).any() or not np.isfinite(w).all():
            raise SroiInputError(f"weights column {weights!r} must be finite and >= 0")
        zero = w == 0
        if zero.any():
            excl[f"zero weight in {weights}"] = int(zero.sum())
            df = df.loc[~zero]
    if drop_first_period_treated and unit is not None:
        first_obs = df.groupby(unit)[time].transform("min")
        always = (df[coh_name] > 0) & (df[coh_name] <= first_obs)
        if always.any():
            excl["treated from the first observed period (no pre-period)"] = int(always.sum())
            df = df.loc[~always]
    if df.empty:
        raise SroiInputError("no rows left after removing missing values and exclusions")
    return PreparedPanel(data=df, unit=unit, time=time, cohort=coh_name, exclusions=excl)


def within_demean(
    arrays: np.ndarray, groups: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Subtract (weighted) group means column by column: ``z - sum_g(w z)/sum_g(w)``."""
    arrays = np.asarray(arrays, dtype=float)
    codes, uniq = pd.factorize(groups)
    g = len(uniq)
    w = np.ones(arrays.shape[0]) if weights is None else np.asarray(weights, float)
    a2 = arrays if arrays.ndim == 2 else arrays[:, None]
    sums = np.zeros((g, a2.shape[1]))
    np.add.at(sums, codes, a2 * w[:, None])
    wsum = np.bincount(codes, weights=w, minlength=g)
    out = a2 - (sums / wsum[:, None])[codes]
    return out if arrays.ndim == 2 else out[:, 0]


# ---------------------------------------------------------------------------------------


def cr2_working_model(w: np.ndarray | None, units: np.ndarray) -> str:
    """CR2 working model with absorbed unit effects: ``"identity"`` (clubSandwich's default,
    exact for the dummy-variable model) when weights are constant within units, otherwise
    ``"inverse_weights"`` (exact for the dummy-variable model under ``Phi = W^{-1}``)."""
    if w is None:
        return "identity"
    s = pd.Series(w).groupby(units)
    return "identity" if bool(((s.max() - s.min()) <= 1e-12 * s.max()).all()) else "inverse_weights"


def _cluster_frame(df: pd.DataFrame, clusters: list[str]) -> pd.DataFrame:
    return df[clusters].reset_index(drop=True)


def _nested(df: pd.DataFrame, inner: str, outer: str) -> bool:
    return bool((df.groupby(inner)[outer].nunique() <= 1).all())


def _infer(
    *,
    X: np.ndarray,
    y: np.ndarray,
    beta: np.ndarray,
    bread: np.ndarray,
    w: np.ndarray | None,
    df: pd.DataFrame,
    clusters: list[str],
    coef: int,
    vcov: str,
    n_boot: int,
    random_state: Any,
    level: float,
    boot_weights: str,
    working: str = "identity",
) -> dict[str, Any]:
    resid = y - X @ beta
    n, k = X.shape
    cl = _cluster_frame(df, clusters)
    gs = [int(cl[c].nunique()) for c in clusters]
    out: dict[str, Any] = {"n_clusters": min(gs)}
    if vcov == "cluster":
        V = vcov_cluster(
            X,
            resid,
            bread,
            cl if len(clusters) > 1 else cl.iloc[:, 0].to_numpy(),
            weights=w,
            type="HC1",
        )
        se = float(np.sqrt(V[coef, coef]))
        dfree = float(min(gs) - 1)
        lo, hi, p = t_interval(float(beta[coef]), se, dfree, level)
        out.update(
            std_error=se,
            ci_low=lo,
            ci_high=hi,
            p_value=p,
            df=dfree,
            ci_type=f"cluster-robust CR1, t({int(dfree)})",
        )
        return out
    if len(clusters) > 1:
        raise SroiInputError(f"vcov={vcov!r} supports one cluster variable; got {clusters}")
    g = cl.iloc[:, 0].to_numpy()
    if vcov == "CR2":
        V, dfree = vcov_cr2(X, resid, bread, g, weights=w, contrast=coef, working=working)
        se = float(np.sqrt(V[coef, coef]))
        lo, hi, p = t_interval(float(beta[coef]), se, dfree, level)
        out.update(
            std_error=se,
            ci_low=lo,
            ci_high=hi,
            p_value=p,
            df=float(dfree),
            ci_type=f"CR2 Bell-McCaffrey, Satterthwaite t({dfree:.1f})",
        )
        return out
    if vcov == "wild":
        res = wild_cluster_bootstrap(
            X,
            y,
            g,
            coef,
            weights=w,
            n_boot=n_boot,
            level=level,
            weight_type=boot_weights,
            random_state=random_state,
        )
        out.update(
            std_error=res.std_error,
            ci_low=res.ci_low,
            ci_high=res.ci_high,
            p_value=res.p_value,
            df=None,
            n_boot=res.n_boot,
            ci_type=f"wild cluster restricted bootstrap ({boot_weights}, {res.n_boot} draws)",
        )
        return out
    raise SroiInputError(f"vcov must be 'cluster', 'CR2' or 'wild', got {vcov!r}")


AUTO_ENGINE_MAX_ROWS = 250_000
"""Above this many rows ``engine="auto"`` skips PanelOLS (identical estimate, slower)."""


def did(
    panel: pd.DataFrame,
    *,
    outcome: str,
    unit: str | None,
    time: str,
    cohort: str | None = None,
    covariates: list[str] | None = None,
    cluster: str | list[str] | None = None,
    weights: str | None = None,
    vcov: Literal["cluster", "CR2", "wild"] = "cluster",
    n_boot: int = 999,
    random_state: int | np.random.Generator | None = None,
    treatment: str | None = None,
    design: Literal["twfe", "2x2"] = "twfe",
    post: str | int | None = None,
    level: float = 0.95,
    boot_weights: Literal["rademacher", "webb"] = "rademacher",
    engine: Literal["auto", "linearmodels", "within"] = "auto",
) -> Effect:
    """Difference-in-differences effect: static two-way fixed effects or the classic 2x2.

    Parameters
    ----------
    panel
        Long data, one row per unit and period (or per observation for repeated
        cross-sections with ``design="2x2"``).
    outcome, unit, time
        Column names. ``time`` must hold integer periods. ``unit`` may be ``None`` only for
        a repeated cross-section 2x2 (then each row is its own cluster unless ``cluster``).
    cohort
        First treated period per unit, 0 for never treated.
    treatment
        Alternative to ``cohort``. TWFE: a 0/1 row indicator that switches on once and
        stays on. 2x2: the 0/1 *group* indicator (treated group, constant over time).
    covariates
        Numeric control columns. In TWFE, time-invariant covariates are absorbed by the
        unit effects; they are dropped and noted.
    cluster
        Cluster column (default ``unit``), or a list of two for two-way clustering
        (Cameron, Gelbach & Miller 2011; ``vcov="cluster"`` only).
    weights
        Column of observation weights (e.g. matching weights); zero-weight rows are dropped
        and counted.
    vcov
        ``"cluster"`` (CR1), ``"CR2"`` (Bell-McCaffrey with Satterthwaite df) or ``"wild"``
        (wild cluster restricted bootstrap; ``n_boot``, ``random_state``, ``boot_weights``).
        With weights, CR2 uses the working model ``Phi = I`` (clubSandwich's default) when
        weights are constant within units (e.g. matching weights) or for the 2x2, and
        ``Phi = W^{-1}`` otherwise (noted on the result).
    design
        ``"twfe"`` or ``"2x2"``.
    engine
        TWFE point estimate from ``linearmodels.PanelOLS`` or from sroi's own weighted
        within-unit solve (``"within"``, identical to 1e-8 and several times faster: use it
        in simulations). ``"auto"`` (default) uses PanelOLS up to 250,000 rows and the within
        solve above that, where PanelOLS is the slow step (about 15 s on 1,000,000 rows
        against 3 s). Inference always uses the within design.
    post
        2x2 only: a 0/1 column marking post-period rows, or the first post period (rows
        with ``time >= post``). Default: the single treated cohort's first period.

    Returns
    -------
    Effect
        With ``cluster``, ``n_clusters``, ``n_treated_clusters`` (clusters containing a
        treated observation), ``ci_type``, and notes on every excluded row. A
        :class:`SroiWarning` is raised when there are fewer than 10 treated clusters.
    """
    if design not in ("twfe", "2x2"):
        raise SroiInputError(f"design must be 'twfe' or '2x2', got {design!r}")
    if vcov not in ("cluster", "CR2", "wild"):
        raise SroiInputError(f"vcov must be 'cluster', 'CR2' or 'wild', got {vcov!r}")
    if vcov != "cluster" and not (cluster is None or isinstance(cluster, str) or len(cluster) == 1):
        raise SroiInputError(
            f"vcov={vcov!r} supports one cluster variable; got {cluster}. Use vcov='cluster' "
            "for two-way clustering"
        )
    if engine not in ("auto", "linearmodels", "within"):
        raise SroiInputError(f"engine must be 'auto', 'linearmodels' or 'within', got {engine!r}")
    if not 0 < level < 1:
        raise SroiInputError(f"level must be between 0 and 1, got {level}")
    covariates = list(covariates or [])
    if design == "twfe":
        if unit is None:
            raise SroiInputError(
                "design='twfe' needs unit=; use design='2x2' for repeated cross-sections"
            )
        return _did_twfe(
            panel,
            outcome=outcome,
            unit=unit,
            time=time,
            cohort=cohort,
            treatment=treatment,
            covariates=covariates,
            cluster=cluster,
            weights=weights,
            vcov=vcov,
            n_boot=n_boot,
            random_state=random_state,
            level=level,
            boot_weights=boot_weights,
            engine=engine,
        )
    return _did_2x2(
        panel,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        treatment=treatment,
        covariates=covariates,
        cluster=cluster,
        weights=weights,
        vcov=vcov,
        n_boot=n_boot,
        random_state=random_state,
        post=post,
        level=level,
        boot_weights=boot_weights,
    )


def _clusters_arg(cluster: str | list[str] | None, unit: str | None) -> list[str]:
    if cluster is None:
        return [unit] if unit is not None else []
    clusters = [cluster] if isinstance(cluster, str) else list(cluster)
    if not 1 <= len(clusters) <= 2:
        raise SroiInputError(f"cluster must be one column or a list of two, got {cluster!r}")
    return clusters


def _few_cluster_warning(n_tc: int, vcov: str, clusters: list[str]) -> str | None:
    if n_tc < FEW_TREATED_CLUSTERS:
        msg = (
            f"only {n_tc} treated clusters ({'+'.join(clusters)}): cluster-robust inference is "
            "unreliable below 10 treated clusters"
        )
        if vcov == "cluster":
            msg += "; use vcov='CR2' (Bell-McCaffrey) or vcov='wild' (wild cluster bootstrap)"
        warnings.warn(msg, SroiWarning, stacklevel=3)
        return msg
    return None


def _did_twfe(
    panel: pd.DataFrame,
    *,
    outcome,
    unit,
    time,
    cohort,
    treatment,
    covariates,
    cluster,
    weights,
    vcov,
    n_boot,
    random_state,
    level,
    boot_weights,
    engine="linearmodels",
) -> Effect:
    clusters = _clusters_arg(cluster, unit)
    prep = prepare_panel(
        panel,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        treatment=treatment,
        covariates=covariates,
        cluster=clusters,
        weights=weights,
    )
    df = prep.data.reset_index(drop=True)
    coh = df[prep.cohort].to_numpy()
    t = df[time].to_numpy()
    D = ((coh > 0) & (t >= coh)).astype(float)
    if D.sum() == 0:
        raise SroiInputError("no treated observations (cohort > 0 and time >= cohort) in the panel")
    if (D == 0).sum() == 0:
        raise SroiInputError("every observation is treated; a comparison is impossible")
    notes = list(prep.notes())
    times = np.sort(np.unique(t))
    tdum = (t[:, None] == times[None, 1:]).astype(float)
    cov = df[covariates].to_numpy(dtype=float) if covariates else np.empty((len(df), 0))
    w = df[weights].to_numpy(dtype=float) if weights else None
    y = df[outcome].to_numpy(dtype=float)
    Xfull = np.column_stack([D, tdum, cov])
    names = ["D", *[f"t{v}" for v in times[1:]], *covariates]
    # demean within unit (weighted) for the inference design
    Z = within_demean(np.column_stack([y, Xfull]), df[unit].to_numpy(), w)
    yd, Xd = Z[:, 0], Z[:, 1:]
    scale = np.sqrt((Xd**2).sum(axis=0)) / np.sqrt(np.maximum((Xfull**2).sum(axis=0), 1e-300))
    keep = scale > 1e-8
    keep[0] = True
    if scale[0] <= 1e-8:
        raise SroiInputError("the treatment indicator does not vary within units")
    absorbed = [names[j] for j in range(len(names)) if not keep[j] and names[j] in covariates]
    if absorbed:
        notes.append(f"covariates absorbed by the unit effects (time-invariant): {absorbed}")
    Xd = Xd[:, keep]
    kept_names = [names[j] for j in range(len(names)) if keep[j]]

    b2, _, bread = wls_fit(Xd, yd, w)
    if engine == "auto":
        engine = "linearmodels" if len(df) <= AUTO_ENGINE_MAX_ROWS else "within"
    if engine == "within":
        beta = b2
    else:
        # point estimate with linearmodels PanelOLS (unit effects absorbed, period dummies),
        # cross-checked against the within solve used for inference
        from linearmodels import PanelOLS

        idx = pd.MultiIndex.from_arrays([df[unit].to_numpy(), t], names=[unit, time])
        exog = pd.DataFrame(Xfull[:, keep], index=idx, columns=kept_names)
        mod = PanelOLS(
            pd.Series(y, index=idx, name=outcome),
            exog,
            entity_effects=True,
            weights=None if w is None else pd.Series(w, index=idx),
            drop_absorbed=True,
            check_rank=False,
        )
        fit = mod.fit(cov_type="unadjusted")
        beta = fit.params.reindex(kept_names).fillna(0.0).to_numpy()
        if not np.allclose(beta, b2, rtol=1e-6, atol=1e-8 * (1 + np.abs(b2).max())):
            raise RuntimeError(  # pragma: no cover
                "PanelOLS and the within solve disagree; please report this"
            )

    n_tc_by = [int(df.loc[D == 1, c].nunique()) for c in clusters]
    n_tc = min(n_tc_by)
    few_msg = _few_cluster_warning(n_tc, vcov, clusters)
    if few_msg:
        notes.append(few_msg)
    if vcov in ("CR2", "wild") and not all(_nested(df, unit, c) for c in clusters):
        raise SroiInputError(
            f"vcov={vcov!r} with unit fixed effects needs each {unit} inside one cluster; "
            f"{unit} is not nested in {'+'.join(clusters)}. Cluster by {unit} or by a "
            "grouping that contains whole units (e.g. school), or use vcov='cluster'"
        )
    working = cr2_working_model(w, df[unit].to_numpy())
    if vcov == "CR2" and working == "inverse_weights":
        notes.append(
            "CR2 with weights that vary within units: working model Phi = W^-1 "
            "(clubSandwich inverse_var=TRUE style); see sroi.impact.few_clusters.vcov_cr2"
        )
    inf = _infer(
        X=Xd,
        y=yd,
        beta=beta,
        bread=bread,
        w=w,
        df=df,
        clusters=clusters,
        coef=0,
        vcov=vcov,
        n_boot=n_boot,
        random_state=random_state,
        level=level,
        boot_weights=boot_weights,
        working=working,
    )
    ever = (coh > 0) & (coh <= t.max())  # cohorts after the panel ends act as controls
    units = df[unit].to_numpy()
    extra = {
        "design": "twfe",
        "n_obs": int(len(df)),
        "n_units": int(pd.unique(units).size),
        "n_periods": int(times.size),
        "df": inf["df"],
        "exclusions": dict(prep.exclusions),
        "coefficients": dict(zip(kept_names, map(float, beta), strict=True)),
        "balanced": bool(
            df.groupby(unit)[time].size().nunique() == 1
            and df.groupby(unit)[time].size().iloc[0] == times.size
        ),
    }
    if "n_boot" in inf:
        extra["n_boot"] = inf["n_boot"]
    return Effect(
        estimate=float(beta[0]),
        std_error=inf["std_error"],
        ci_low=inf["ci_low"],
        ci_high=inf["ci_high"],
        p_value=inf["p_value"],
        n_treated=int(pd.unique(units[ever]).size),
        n_control=int(pd.unique(units[~ever]).size),
        estimand="ATT (TWFE: variance-weighted average of 2x2 comparisons)",
        method="two-way fixed effects DiD"
        + (" (linearmodels PanelOLS)" if engine == "linearmodels" else " (within solve)"),
        outcome=outcome,
        ci_type=inf["ci_type"],
        cluster="+".join(clusters),
        n_clusters=inf["n_clusters"],
        n_treated_clusters=n_tc,
        level=level,
        notes=tuple(notes),
        extra=extra,
    )


def _did_2x2(
    panel: pd.DataFrame,
    *,
    outcome,
    unit,
    time,
    cohort,
    treatment,
    covariates,
    cluster,
    weights,
    vcov,
    n_boot,
    random_state,
    post,
    level,
    boot_weights,
) -> Effect:
    clusters = _clusters_arg(cluster, unit)
    if treatment is None and cohort is None:
        raise SroiInputError("design='2x2' needs treatment= (0/1 group column) or cohort=")
    extra_cols = [post] if isinstance(post, str) else []
    if isinstance(post, str):
        _require_columns(panel, {"post": post})
    if treatment is None:
        prep = prepare_panel(
            panel,
            outcome=outcome,
            unit=None,
            time=time,
            cohort=cohort,
            covariates=covariates,
            cluster=clusters,
            weights=weights,
            extra=[c for c in [unit, *extra_cols] if c is not None],
            drop_first_period_treated=False,
        )
    else:
        prep = _prepare_2x2_group(
            panel,
            outcome=outcome,
            unit=unit,
            time=time,
            treatment=treatment,
            covariates=covariates,
            clusters=clusters,
            weights=weights,
            extra=extra_cols,
        )
    df = prep.data.reset_index(drop=True)
    if unit is not None:
        dup = df.duplicated([unit, time], keep=False)
        if dup.any():
            raise SroiInputError(f"duplicated ({unit}, {time}) rows: {example_rows(df.index[dup])}")
    t = df[time].to_numpy()
    if treatment is not None:
        G = df[treatment].to_numpy(dtype=float)
        if unit is not None:
            nun = df.groupby(unit)[treatment].nunique()
            if (nun > 1).any():
                raise SroiInputError(
                    f"with design='2x2', treatment={treatment!r} is the treated-group indicator "
                    f"and must be constant within each unit; it varies for {list(nun.index[nun > 1][:5])}"
                )
        cohorts = None
    else:
        coh = df[prep.cohort].to_numpy()
        G = (coh > 0).astype(float)
        cohorts = np.unique(coh[coh > 0])
    if isinstance(post, str):
        P = df[post].to_numpy(dtype=float)
        if not np.isin(P, [0, 1]).all():
            raise SroiInputError(f"post column {post!r} must be 0/1")
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
    notes = list(prep.notes())
    if not clusters:
        df = df.assign(_row=np.arange(len(df)))
        clusters = ["_row"]
    treated_rows = (G * P) == 1
    n_tc = min(int(df.loc[treated_rows, c].nunique()) for c in clusters)
    few = _few_cluster_warning(n_tc, vcov, clusters) if clusters != ["_row"] else None
    if few:
        notes.append(few)
    inf = _infer(
        X=X,
        y=y,
        beta=beta,
        bread=bread,
        w=w,
        df=df,
        clusters=clusters,
        coef=0,
        vcov=vcov,
        n_boot=n_boot,
        random_state=random_state,
        level=level,
        boot_weights=boot_weights,
    )
    if unit is not None:
        units = df[unit].to_numpy()
        n_t = int(pd.unique(units[G == 1]).size)
        n_c = int(pd.unique(units[G == 0]).size)
    else:
        n_t, n_c = int((G == 1).sum()), int((G == 0).sum())
    return Effect(
        estimate=float(beta[0]),
        std_error=inf["std_error"],
        ci_low=inf["ci_low"],
        ci_high=inf["ci_high"],
        p_value=inf["p_value"],
        n_treated=n_t,
        n_control=n_c,
        estimand="ATT (2x2 difference-in-differences)",
        method="2x2 DiD regression" + (" (repeated cross-sections)" if unit is None else ""),
        outcome=outcome,
        ci_type=inf["ci_type"]
        if clusters != ["_row"]
        else inf["ci_type"].replace("cluster-robust CR1", "heteroskedasticity-robust HC1"),
        cluster=None if clusters == ["_row"] else "+".join(clusters),
        n_clusters=inf["n_clusters"],
        n_treated_clusters=n_tc,
        level=level,
        notes=tuple(notes),
        extra={
            "design": "2x2",
            "n_obs": int(len(df)),
            "df": inf["df"],
            "cell_counts": {
                f"G{int(a)}_P{int(b)}": int(cells.loc[a, b])
                for a in cells.index
                for b in cells.columns
            },
            "exclusions": dict(prep.exclusions),
        },
    )


def _prepare_2x2_group(
    panel, *, outcome, unit, time, treatment, covariates, clusters, weights, extra
) -> PreparedPanel:
    _require_columns(panel, {"treatment": treatment})
    g = panel[treatment]
    if g.isna().any() or not g.isin([0, 1]).all():
        raise SroiInputError(f"treatment column {treatment!r} must be 0/1 without missing values")
    tmp = panel.assign(_coh0=0)
    prep = prepare_panel(
        tmp,
        outcome=outcome,
        unit=None,
        time=time,
        cohort="_coh0",
        covariates=covariates,
        cluster=clusters,
        weights=weights,
        extra=[c for c in [unit, treatment, *extra] if c is not None],
        drop_first_period_treated=False,
    )
    return prep
