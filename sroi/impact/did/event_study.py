"""Event studies: relative-time effects with a reference period, TWFE or Sun & Abraham (2021).

``method="twfe"`` fits the dynamic two-way fixed effects regression::

    y_it = a_i + l_t + sum_{e in window, e != ref} b_e 1{t - cohort_i = e} + e_it

Under staggered adoption with heterogeneous effects each ``b_e`` is contaminated by effects
from other relative periods (Sun & Abraham 2021, Proposition 3), so its leads are not a valid
pre-trend test. ``method="sun_abraham"`` is the interaction-weighted estimator of Sun &
Abraham (2021) (:mod:`sroi.impact.did.sun_abraham`) using never-treated units as controls
(the last-treated cohort when there are none, keeping only periods before it is treated).
With never-treated controls, no covariates and a
balanced panel ``d_{g,e}`` equals the Callaway & Sant'Anna (2021) ATT(g, g+e) with a
universal base period ``g-1``.

End points: by default treated observations outside ``window`` are trimmed (dropped and
counted); ``bin_endpoints=True`` pools every earlier (later) relative period into the first
(last) window period instead. Unit effects are absorbed by within-unit demeaning, period
effects are dummies; standard errors are cluster-robust (CR1 as :func:`sroi.did`, t(G-1)) or
CR2.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sroi._checks import check_choice, check_number
from sroi._distributions import t_ppf
from sroi._threads import single_blas_thread
from sroi.data.panel import Panel
from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.did.clustered import (
    cluster_codes,
    cr1_from_codes,
    few_cluster_warning,
    nested,
)
from sroi.impact.did.data import did_panel
from sroi.impact.did.honest_bounds import honest_bounds
from sroi.impact.did.sun_abraham import (
    cohort_cells,
    interaction_weights,
    satterthwaite_by_contrast,
)
from sroi.impact.did.within import (
    TwoWay,
    WorkingModel,
    column_rank,
    cr2_working_model,
    panel_codes,
    unit_scale,
)
from sroi.impact.inference.cr2 import vcov_cr2
from sroi.impact.inference.sandwich import wls_fit
from sroi.impact.pretrend import PretrendTest, pretrend_wald

__all__ = ["EventStudyResult", "event_study"]

TWFE_LEADS_WARNING = (
    "pre-trend test on TWFE leads: under staggered adoption with heterogeneous "
    "effects these leads mix in effects from other periods (Sun & Abraham 2021); "
    "use event_study(method='sun_abraham') or Callaway-Sant'Anna pre-period "
    "estimates from sroi.staggered_did for the test"
)


@dataclass
class EventStudyResult:
    """Relative-time coefficients from :func:`event_study`.

    Attributes
    ----------
    coefficients
        DataFrame ``event_time, estimate, std_error, ci_low, ci_high, n_obs``; the reference
        period is a row with estimate 0 and missing standard error.
    vcov
        Covariance of the non-reference coefficients (DataFrame indexed by event time).
    method, outcome, reference, window
        The design.
    cluster, n_clusters, n_treated_clusters, level, ci_type
        Inference.
    exclusions
        Rows excluded, by reason (``{reason: n_rows}``).
    cohort_effects
        Sun-Abraham only: cohort x event-time estimates ``d_{g,e}`` and shares ``w_{g,e}``.
    notes
        Caveats, in words.
    extra
        Diagnostics (observations, regressors, degrees of freedom by event time).
    """

    coefficients: pd.DataFrame
    vcov: pd.DataFrame
    method: str
    outcome: str
    reference: int
    window: tuple[int, int]
    cluster: str
    n_clusters: int
    n_treated_clusters: int
    level: float
    ci_type: str
    exclusions: dict[str, int] = field(default_factory=dict)
    cohort_effects: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def pretrend_test(self) -> PretrendTest:
        """Joint Wald test that all leads (event time < 0, reference excluded) are zero.

        For ``method="twfe"`` this warns (:class:`SroiWarning`): TWFE leads are contaminated
        by treatment effects of other periods under heterogeneous effects (Sun & Abraham
        2021), so use ``method="sun_abraham"`` or Callaway-Sant'Anna pre-period estimates
        (:func:`sroi.staggered_did`).

        Returns
        -------
        PretrendTest
            ``W/df ~ F(df, G - 1)`` with ``G`` clusters (``p_value_chi2``: ``chi2(df)``).
        """
        est = self.coefficients.set_index("event_time")
        leads = [e for e in self.vcov.index if e < 0]
        msg = ""
        if self.method == "twfe":
            msg = TWFE_LEADS_WARNING
            warnings.warn(msg, SroiWarning, stacklevel=2)
        res = pretrend_wald(
            est.loc[leads, "estimate"].to_numpy(),
            self.vcov.loc[leads, leads].to_numpy(),
            n_clusters=self.n_clusters,
            method=self.method,
            event_times=tuple(leads),
        )
        return dataclasses.replace(res, message=msg)

    def honest_inputs(self) -> tuple[np.ndarray, np.ndarray, int, int]:
        """Coefficients (pre then post, reference left out), covariance, ``n_pre``, ``n_post``."""
        ev = list(self.vcov.index)
        pre = [e for e in ev if e < self.reference]
        post = [e for e in ev if e > self.reference]
        order = pre + post
        est = self.coefficients.set_index("event_time").loc[order, "estimate"].to_numpy()
        return est, self.vcov.loc[order, order].to_numpy(), len(pre), len(post)

    def honest_did(self, **kwargs: Any) -> pd.DataFrame:
        """Rambachan & Roth (2023) sensitivity of the post-period effects.

        See :func:`sroi.impact.did.honest_did`; keyword arguments are passed on. Warns for
        TWFE coefficients (contaminated under heterogeneous effects; prefer Sun-Abraham).

        Returns
        -------
        DataFrame
            One row per restriction value with the robust interval (``.attrs``: breakdown).
        """
        if self.method == "twfe":
            warnings.warn(
                "honest_did on TWFE event-study coefficients: under heterogeneous effects they "
                "are contaminated (Sun & Abraham 2021); prefer method='sun_abraham'",
                SroiWarning,
                stacklevel=2,
            )
        return honest_bounds(*self.honest_inputs(), **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no row-level data): coefficients, pre-trend test, metadata."""

        def clean(v: Any) -> Any:
            if isinstance(v, float | np.floating):
                return None if not np.isfinite(v) else float(v)
            if isinstance(v, np.integer):
                return int(v)
            return v

        coefs = [
            {k: clean(v) for k, v in row.items()} for row in self.coefficients.to_dict("records")
        ]
        out: dict[str, Any] = {
            "method": self.method,
            "outcome": self.outcome,
            "reference": self.reference,
            "window": list(self.window),
            "cluster": self.cluster,
            "n_clusters": self.n_clusters,
            "n_treated_clusters": self.n_treated_clusters,
            "level": self.level,
            "ci_type": self.ci_type,
            "coefficients": coefs,
            "exclusions": {k: int(v) for k, v in self.exclusions.items()},
            "notes": list(self.notes),
        }
        if any(e < 0 for e in self.vcov.index):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SroiWarning)
                pt = self.pretrend_test()
            out["pretrend_test"] = {
                **pt.to_dict(),
                "valid_under_heterogeneous_effects": self.method != "twfe",
            }
        return out

    def plot(self, ax: Any = None, title: str | None = None) -> Any:
        """Coefficient plot with confidence intervals; returns the matplotlib Figure."""
        import matplotlib

        if ax is None:
            matplotlib.use(matplotlib.get_backend())
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(7, 4))
        else:
            fig = ax.figure
        c = self.coefficients
        ok = c["std_error"].notna()
        ax.axhline(0, color="0.4", lw=0.8)
        ax.axvline(self.reference + 0.5, color="0.6", lw=0.8, ls="--")
        ax.errorbar(
            c.loc[ok, "event_time"],
            c.loc[ok, "estimate"],
            yerr=[
                c.loc[ok, "estimate"] - c.loc[ok, "ci_low"],
                c.loc[ok, "ci_high"] - c.loc[ok, "estimate"],
            ],
            fmt="o",
            color="C0",
            capsize=3,
            label=f"{int(self.level * 100)}% CI",
        )
        ax.plot(
            c.loc[~ok, "event_time"],
            c.loc[~ok, "estimate"],
            "s",
            color="0.3",
            label=f"reference ({self.reference})",
        )
        ax.set_xlabel("periods relative to first treatment")
        ax.set_ylabel(f"effect on {self.outcome}")
        label = "Sun & Abraham (2021)" if self.method == "sun_abraham" else "TWFE event study"
        ax.set_title(title or f"{label}: {self.outcome}")
        ax.legend(frameon=False)
        fig.tight_layout()
        return fig

    def summary(self) -> str:
        """Readable table of the coefficients and the pre-trend test."""
        lines = [
            f"Event study of {self.outcome} ({self.method}), reference period {self.reference}",
            f"  clustered by {self.cluster}: {self.n_clusters} clusters, "
            f"{self.n_treated_clusters} treated; {self.ci_type}",
            self.coefficients.to_string(index=False, float_format=lambda v: f"{v: .4f}"),
        ]
        if any(e < 0 for e in self.vcov.index):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SroiWarning)
                pt = self.pretrend_test()
            lines.append(
                f"  joint pre-trend test: W = {pt.statistic:.3f} on {pt.df} leads, "
                f"p = {pt.p_value:.4g} (F({pt.df}, {pt.df2:g}))"
            )
            if self.method == "twfe":
                lines.append(
                    "  (TWFE leads are contaminated under heterogeneous effects; "
                    "prefer method='sun_abraham')"
                )
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


@dataclass(frozen=True)
class _Sample:
    """Rows of the event study with their cohort (0 = control) and relative period."""

    df: pd.DataFrame
    coh: np.ndarray
    t: np.ndarray
    rel: np.ndarray
    treated: np.ndarray
    notes: list[str]


def _sample(
    p: Panel, method: str, lo: int, hi: int, reference: int, bin_endpoints: bool
) -> _Sample:
    """Control group (last-treated cohort without never-treated units), window trimming."""
    assert p.cohort is not None
    notes: list[str] = []
    coh = p.data[p.cohort].to_numpy()
    if not (coh > 0).any():
        raise SroiInputError(f"no treated units (cohort > 0) in column {p.cohort!r}")
    last = None
    if method == "sun_abraham" and not (coh == 0).any():
        last = coh.max()
        p.drop_rows(
            p.data[p.time].to_numpy() >= last,
            f"periods from {last} on (last-treated cohort used as control)",
            p.time,
        )
        notes.append(
            f"no never-treated units: cohort {last} is the control group, periods >= {last} dropped"
        )
    df = p.data.reset_index(drop=True)
    coh = df[p.cohort].to_numpy()
    if last is not None:
        coh = np.where(coh == last, 0, coh)
        if not (coh > 0).any():
            raise SroiInputError(
                "only one treated cohort and no never-treated units: "
                "no comparison group for Sun-Abraham"
            )
    t = df[p.time].to_numpy()
    treated = coh > 0
    rel = np.where(treated, t - coh, 0)
    if bin_endpoints:
        rel = np.where(treated, np.clip(rel, lo, hi), 0)
    else:
        out = treated & ((rel < lo) | (rel > hi))
        if out.any():
            p.drop_rows(out, f"treated rows outside the event window {lo}..{hi}", p.cohort)
            keep = ~out
            df, coh, t, rel, treated = (
                df.loc[keep].reset_index(drop=True),
                coh[keep],
                t[keep],
                rel[keep],
                treated[keep],
            )
    if not (treated & (rel == reference)).any():
        raise SroiInputError(
            f"no treated observations at the reference period {reference}; choose another "
            "reference or widen the data"
        )
    return _Sample(df, coh, t, rel, treated, notes)


def _dummies(
    s: _Sample, ev: list[int], reference: int, method: str
) -> tuple[list[Any], np.ndarray]:
    """Event-time indicators (TWFE) or cohort x event-time interactions (Sun-Abraham)."""
    if method == "twfe":
        D = (s.treated[:, None] & (s.rel[:, None] == np.array(ev)[None, :])).astype(float)
        return [(None, e) for e in ev], D
    cols = cohort_cells(s.coh, s.rel, s.treated, reference)
    gi = np.array([c[0] for c in cols])
    ei = np.array([c[1] for c in cols])
    D = s.treated[:, None] & (s.coh[:, None] == gi[None, :]) & (s.rel[:, None] == ei[None, :])
    return list(cols), D.astype(float)


@dataclass(frozen=True)
class _Fit:
    """Within-unit fit of the event-study regression and its clustered covariance."""

    Xd: np.ndarray
    resid: np.ndarray
    bread: np.ndarray
    beta: np.ndarray
    V: np.ndarray
    dfs: np.ndarray
    ci_type: str
    clusters: np.ndarray
    n_clusters: int
    working: WorkingModel
    nd: int
    k: int  # non-absorbed regressors (with the period dummies)


def _fit(
    s: _Sample,
    D: np.ndarray,
    cols: list[Any],
    *,
    p: Panel,
    outcome: str,
    unit: str,
    cluster: str,
    covariates: list[str],
    w: np.ndarray | None,
    vcov: str,
) -> _Fit:
    """Regress on the event-time dummies with unit and period effects; cluster the covariance.

    CR1 uses the two-way fit of the event-time dummies and covariates alone (period
    dummies projected out, :class:`~sroi.impact.did.within.TwoWay`); CR2 needs the full
    unit-demeaned design with the period dummies.
    """
    df = s.df
    ucode, tcode, _ = panel_codes(p)
    tw = TwoWay.from_codes(ucode, tcode, w)
    nd = D.shape[1]
    X = np.column_stack([D, df[covariates].to_numpy(dtype=float)]) if covariates else D
    Zd = tw.demean_units(np.column_stack([df[outcome].to_numpy(dtype=float), X]))
    keep_col = unit_scale(X, Zd[:, 1:]) > 1e-8
    if not keep_col[:nd].all():
        bad = [cols[j] for j in range(nd) if not keep_col[j]]
        raise SroiInputError(
            f"event-time indicators {bad} do not vary within units; check the window and cohorts"
        )
    if not keep_col.all():
        Zd, X = Zd[:, np.r_[True, keep_col]], X[:, keep_col]
    cl, G = cluster_codes(df, cluster, unit, ucode)
    if vcov == "cluster":
        coef = tw.project(Zd)
        _check_rank(Zd[:, 1:])
        f = tw.solve(Zd, coef)
        V, _ = cr1_from_codes(f.X, f.resid, f.bread, w, cl, f.k)
        ci_type = f"cluster-robust CR1, t({G - 1})"
        dfs = np.full(nd, G - 1.0)
        return _Fit(f.X, f.resid, f.bread, f.beta, V, dfs, ci_type, cl, G, "identity", nd, f.k)
    if not nested(df, unit, cluster):
        raise SroiInputError(
            f"vcov='CR2' needs each {unit} inside one {cluster} cluster; use "
            "vcov='cluster' or cluster by a grouping that contains whole units"
        )
    Xfull = np.column_stack([X[:, :nd], tw.period_dummies(), X[:, nd:]])
    Xd = tw.demean_units(Xfull)
    _check_rank(Xd)
    beta, resid, bread = wls_fit(Xd, Zd[:, 0], w)
    working = cr2_working_model(w, ucode)
    V, dfs_all = vcov_cr2(Xd, resid, bread, cl, weights=w, working=working)
    dfs = np.asarray(dfs_all)[:nd]
    ci_type = "CR2 Bell-McCaffrey, Satterthwaite t"
    return _Fit(Xd, resid, bread, beta, V, dfs, ci_type, cl, G, working, nd, Xd.shape[1])


def _check_rank(X: np.ndarray) -> None:
    if column_rank(X) < X.shape[1]:
        # collinear period dummies with relative-time dummies (no never-treated, TWFE)
        raise SroiInputError(
            "relative-time and period effects are collinear (typically no never-treated "
            "units): use method='sun_abraham', or bin_endpoints=True, or add never-treated units"
        )


def _check_options(
    window: tuple[int, int], reference: int, method: str, vcov: str, level: float
) -> tuple[int, int]:
    lo, hi = (int(window[0]), int(window[1])) if len(window) == 2 else (None, None)
    if lo is None or hi is None or lo >= hi:
        raise SroiInputError(f"window must be (lo, hi) with lo < hi, got {window!r}")
    if not lo <= reference <= hi:
        raise SroiInputError(f"reference {reference} must lie inside window {window}")
    check_choice(method, ("twfe", "sun_abraham"), "method")
    check_choice(vcov, ("cluster", "CR2"), "vcov")
    check_number(level, "level", minimum=0.0, maximum=1.0, exclusive=True)
    return lo, hi


@single_blas_thread
def event_study(
    panel: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    window: tuple[int, int] = (-4, 4),
    reference: int = -1,
    method: Literal["twfe", "sun_abraham"] = "twfe",
    bin_endpoints: bool = False,
    cluster: str | None = None,
    weights: str | None = None,
    covariates: list[str] | None = None,
    vcov: Literal["cluster", "CR2"] = "cluster",
    level: float = 0.95,
) -> EventStudyResult:
    """Estimate relative-time (event-study) effects.

    Parameters
    ----------
    panel
        Long panel, one row per unit and period.
    outcome, unit, time, cohort
        Columns; ``cohort`` is the first treated period, 0 for never treated.
    window
        ``(lo, hi)`` relative periods reported (``lo <= reference <= hi``).
    reference
        Omitted relative period (default -1, the last pre-period).
    method
        ``"twfe"`` or ``"sun_abraham"`` (interaction-weighted estimator).
    bin_endpoints
        Pool relative periods beyond the window into the end points instead of trimming.
    cluster
        Cluster column (default ``unit``).
    weights
        Observation weights column.
    covariates
        Time-varying numeric controls.
    vcov
        ``"cluster"`` (CR1, t(G-1)) or ``"CR2"`` (Bell-McCaffrey; coefficient intervals use
        the Satterthwaite df of each coefficient).
    level
        Confidence level.

    Returns
    -------
    EventStudyResult
        Coefficients by event time, their covariance, the pre-trend test and diagnostics.

    Raises
    ------
    SroiInputError
        For bad options or data, or a design whose event-time effects are not identified.

    References
    ----------
    Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in event studies
    with heterogeneous treatment effects. Journal of Econometrics 225(2), 175-199.
    """
    lo, hi = _check_options(window, reference, method, vcov, level)
    covariates = list(covariates or [])
    clusters = [cluster or unit]
    p = did_panel(
        panel,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        covariates=covariates,
        clusters=clusters,
        weights=weights,
    )
    s = _sample(p, method, lo, hi, reference, bin_endpoints)
    ev = [e for e in range(lo, hi + 1) if e != reference and (s.treated & (s.rel == e)).any()]
    cols, D = _dummies(s, ev, reference, method)
    w = s.df[weights].to_numpy(dtype=float) if weights else None
    f = _fit(
        s,
        D,
        cols,
        p=p,
        outcome=outcome,
        unit=unit,
        cluster=clusters[0],
        covariates=covariates,
        w=w,
        vcov=vcov,
    )
    n_tc = int(pd.unique(f.clusters[s.treated & (s.rel >= 0)]).size)
    few = few_cluster_warning(n_tc, vcov, clusters, stacklevel=3)
    notes = [*p.exclusions.notes(), *s.notes, *([few] if few else [])]
    est, Ve, dfe, cohort_effects = _aggregate(s, f, cols, ev, w, vcov, method)
    return EventStudyResult(
        coefficients=_coefficient_table(s, ev, est, Ve, dfe, reference, level),
        vcov=pd.DataFrame(Ve, index=ev, columns=ev),
        method=method,
        outcome=outcome,
        reference=reference,
        window=(lo, hi),
        cluster=clusters[0],
        n_clusters=f.n_clusters,
        n_treated_clusters=n_tc,
        level=level,
        ci_type=f.ci_type,
        exclusions=p.exclusions.counts(),
        cohort_effects=cohort_effects,
        notes=tuple(notes),
        extra={
            "n_obs": int(f.Xd.shape[0]),
            "k": f.k,
            "binned": bool(bin_endpoints),
            "df": dict(zip(ev, map(float, dfe), strict=True)),
        },
    )


def _aggregate(
    s: _Sample,
    f: _Fit,
    cols: list[Any],
    ev: list[int],
    w: np.ndarray | None,
    vcov: str,
    method: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame | None]:
    """Event-time estimates, covariance and df (Sun-Abraham: aggregated interactions)."""
    Vd = f.V[: f.nd, : f.nd]
    bd = f.beta[: f.nd]
    if method == "twfe":
        return bd, Vd, f.dfs, None
    R, share = interaction_weights(s.coh, s.rel, s.treated, w, ev, cols)
    if vcov == "CR2":
        dfe = satterthwaite_by_contrast(R, f.Xd, f.resid, f.bread, f.clusters, w, f.working)
    else:
        dfe = np.full(len(ev), f.n_clusters - 1.0)
    cohort_effects = pd.DataFrame(
        {
            "cohort": [c[0] for c in cols],
            "event_time": [c[1] for c in cols],
            "estimate": bd,
            "std_error": np.sqrt(np.diag(Vd)),
            "share": [share.loc[(c[1], c[0])] for c in cols],
        }
    )
    return R @ bd, R @ Vd @ R.T, dfe, cohort_effects


def _coefficient_table(
    s: _Sample,
    ev: list[int],
    est: np.ndarray,
    Ve: np.ndarray,
    dfe: np.ndarray,
    reference: int,
    level: float,
) -> pd.DataFrame:
    """Coefficients with t intervals, and the reference period as a row with estimate 0."""
    se = np.sqrt(np.diag(Ve))
    crit = t_ppf(0.5 + level / 2, dfe)
    coefs = pd.DataFrame(
        {
            "event_time": ev,
            "estimate": est,
            "std_error": se,
            "ci_low": est - crit * se,
            "ci_high": est + crit * se,
            "n_obs": np.array([int((s.treated & (s.rel == e)).sum()) for e in ev]),
        }
    )
    ref_row = pd.DataFrame(
        {
            "event_time": [reference],
            "estimate": [0.0],
            "std_error": [np.nan],
            "ci_low": [np.nan],
            "ci_high": [np.nan],
            "n_obs": [int((s.treated & (s.rel == reference)).sum())],
        }
    )
    return pd.concat([coefs, ref_row]).sort_values("event_time").reset_index(drop=True)
