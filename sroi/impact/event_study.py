"""Event studies: relative-time effects with a reference period, TWFE or Sun & Abraham (2021).

``method="twfe"`` fits the dynamic two-way fixed effects regression::

    y_it = a_i + l_t + sum_{e in window, e != ref} b_e 1{t - cohort_i = e} + e_it

Under staggered adoption with heterogeneous effects each ``b_e`` is contaminated by effects
from other relative periods (Sun & Abraham 2021, Proposition 3), so its leads are not a valid
pre-trend test. ``method="sun_abraham"`` is the interaction-weighted estimator of Sun &
Abraham (2021): a regression with unit and period effects and a full set of cohort x
relative-period interactions ``d_{g,e}`` (reference ``e = ref`` excluded) using never-treated
units as controls (the last-treated cohort when there are none, keeping only periods before
it is treated), then::

    b_e = sum_g w_{g,e} d_{g,e},   w_{g,e} = share of cohort g among the treated observations at e

with standard errors by the delta method holding the shares fixed (as fixest's ``sunab`` and
pyfixest's saturated event study do). With never-treated controls, no covariates and a
balanced panel ``d_{g,e}`` equals the Callaway & Sant'Anna (2021) ATT(g, g+e) with a
universal base period ``g-1``.

End points: by default treated observations outside ``window`` are trimmed (dropped and
counted); ``bin_endpoints=True`` pools every earlier (later) relative period into the first
(last) window period instead. Unit effects are absorbed by within-unit demeaning, period
effects are dummies; standard errors are cluster-robust (CR1 as :func:`sroi.did`, t(G-1)) or
CR2.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.did import _few_cluster_warning, cr2_working_model, prepare_panel, within_demean
from sroi.impact.inference.cr2 import vcov_cr2
from sroi.impact.inference.sandwich import vcov_cluster, wls_fit

__all__ = ["event_study", "EventStudyResult", "PretrendTest", "pretrend_wald"]


@dataclass(frozen=True)
class PretrendTest:
    """Joint Wald test that all pre-period (lead) coefficients are zero.

    ``statistic`` is ``W = b' V^{-1} b`` over the ``df1`` leads; ``p_value`` uses
    ``W/df1 ~ F(df1, df2)`` with ``df2 = G - 1`` clusters (``p_value_chi2`` uses
    ``W ~ chi2(df1)``, the large-sample version). A large p-value is not evidence of parallel
    trends (Roth 2022, low power); pair it with :func:`sroi.impact.honest_did`.
    """

    statistic: float
    df1: int
    df2: float
    p_value: float
    p_value_chi2: float
    method: str
    event_times: tuple[int, ...]
    message: str = ""


def pretrend_wald(
    estimates: np.ndarray | pd.Series,
    vcov: np.ndarray,
    *,
    n_clusters: int | None = None,
    method: str = "",
    event_times: tuple[int, ...] = (),
) -> PretrendTest:
    """Joint Wald test of ``H0: b_pre = 0`` from lead estimates and their covariance.

    Works for any pre-period estimates: Sun-Abraham leads, or Callaway-Sant'Anna dynamic
    (event-time) pre-period estimates with their covariance (from the influence function or
    the bootstrap). ``W = b' V^{-1} b``; p-value from ``F(q, n_clusters - 1)`` when
    ``n_clusters`` is given, else ``chi2(q)``.
    """
    b = np.asarray(estimates, dtype=float).ravel()
    V = np.asarray(vcov, dtype=float)
    q = b.size
    if q == 0:
        raise SroiInputError("no pre-period estimates to test: widen the window to include leads")
    if V.shape != (q, q):
        raise SroiInputError(f"vcov must be {q} x {q} for {q} estimates, got {V.shape}")
    if not (np.isfinite(b).all() and np.isfinite(V).all()):
        raise SroiInputError("pre-period estimates or their covariance contain NaN")
    W = float(b @ np.linalg.pinv(V) @ b)
    rank = int(np.linalg.matrix_rank(V))
    p_chi = float(stats.chi2.sf(W, rank))
    if n_clusters is not None and n_clusters > 1:
        df2 = float(n_clusters - 1)
        p = float(stats.f.sf(W / rank, rank, df2))
    else:
        df2 = np.inf
        p = p_chi
    return PretrendTest(
        statistic=W,
        df1=rank,
        df2=df2,
        p_value=p,
        p_value_chi2=p_chi,
        method=method,
        event_times=tuple(int(e) for e in event_times),
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
    cohort_effects
        Sun-Abraham only: cohort x event-time estimates ``d_{g,e}`` and shares ``w_{g,e}``.
    exclusions
        Rows excluded, by reason.
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
        """
        est = self.coefficients.set_index("event_time")
        leads = [e for e in self.vcov.index if e < 0]
        msg = ""
        if self.method == "twfe":
            msg = (
                "pre-trend test on TWFE leads: under staggered adoption with heterogeneous "
                "effects these leads mix in effects from other periods (Sun & Abraham 2021); "
                "use event_study(method='sun_abraham') or Callaway-Sant'Anna pre-period "
                "estimates from sroi.staggered_did for the test"
            )
            warnings.warn(msg, SroiWarning, stacklevel=2)
        res = pretrend_wald(
            est.loc[leads, "estimate"].to_numpy(),
            self.vcov.loc[leads, leads].to_numpy(),
            n_clusters=self.n_clusters,
            method=self.method,
            event_times=tuple(leads),
        )
        return PretrendTest(**{**res.__dict__, "message": msg})

    def honest_did(self, **kwargs: Any) -> pd.DataFrame:
        """Rambachan & Roth (2023) sensitivity of the post-period effects; see
        :func:`sroi.impact.honest_did` (keyword arguments are passed on)."""
        from sroi.impact.honest_did import honest_did

        return honest_did(self, **kwargs)

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
                "statistic": clean(pt.statistic),
                "df1": pt.df1,
                "df2": clean(pt.df2),
                "p_value": clean(pt.p_value),
                "event_times": list(pt.event_times),
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
                f"  joint pre-trend test: W = {pt.statistic:.3f} on {pt.df1} leads, "
                f"p = {pt.p_value:.4g} (F({pt.df1}, {pt.df2:g}))"
            )
            if self.method == "twfe":
                lines.append(
                    "  (TWFE leads are contaminated under heterogeneous effects; "
                    "prefer method='sun_abraham')"
                )
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


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
        ``(lo, hi)`` relative periods reported (``lo < reference <= hi`` not required, but
        ``lo <= reference <= hi``).
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

    Returns
    -------
    EventStudyResult
    """
    lo, hi = (int(window[0]), int(window[1])) if len(window) == 2 else (None, None)
    if lo is None or lo >= hi:
        raise SroiInputError(f"window must be (lo, hi) with lo < hi, got {window!r}")
    if not lo <= reference <= hi:
        raise SroiInputError(f"reference {reference} must lie inside window {window}")
    if method not in ("twfe", "sun_abraham"):
        raise SroiInputError(f"method must be 'twfe' or 'sun_abraham', got {method!r}")
    if vcov not in ("cluster", "CR2"):
        raise SroiInputError(f"vcov must be 'cluster' or 'CR2', got {vcov!r}")
    covariates = list(covariates or [])
    clusters = [cluster or unit]
    prep = prepare_panel(
        panel,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        covariates=covariates,
        cluster=clusters,
        weights=weights,
    )
    df = prep.data.reset_index(drop=True)
    excl = dict(prep.exclusions)
    coh = df[prep.cohort].to_numpy()
    t = df[time].to_numpy()
    notes: list[str] = []
    if not (coh > 0).any():
        raise SroiInputError(f"no treated units (cohort > 0) in column {cohort!r}")

    if method == "sun_abraham" and not (coh == 0).any():
        last = coh.max()
        drop = t >= last
        excl[f"periods from {last} on (last-treated cohort used as control)"] = int(drop.sum())
        notes.append(
            f"no never-treated units: cohort {last} is the control group, periods >= {last} dropped"
        )
        df = df.loc[~drop].reset_index(drop=True)
        coh = df[prep.cohort].to_numpy()
        coh = np.where(coh == last, 0, coh)
        t = df[time].to_numpy()
        if not (coh > 0).any():
            raise SroiInputError(
                "only one treated cohort and no never-treated units: "
                "no comparison group for Sun-Abraham"
            )

    treated = coh > 0
    rel = np.where(treated, t - coh, 0)
    if bin_endpoints:
        rel = np.where(treated, np.clip(rel, lo, hi), 0)
    else:
        out = treated & ((rel < lo) | (rel > hi))
        if out.any():
            excl[f"treated rows outside the event window {lo}..{hi}"] = int(out.sum())
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
    w = df[weights].to_numpy(dtype=float) if weights else None
    y = df[outcome].to_numpy(dtype=float)
    times = np.sort(np.unique(t))
    tdum = (t[:, None] == times[None, 1:]).astype(float)
    cov = df[covariates].to_numpy(dtype=float) if covariates else np.empty((len(df), 0))
    ev = [e for e in range(lo, hi + 1) if e != reference and (treated & (rel == e)).any()]

    if method == "twfe":
        cols = [(None, e) for e in ev]
        D = (treated[:, None] & (rel[:, None] == np.array(ev)[None, :])).astype(float)
    else:
        cohorts = np.sort(np.unique(coh[treated]))
        cells = pd.DataFrame({"g": coh[treated], "e": rel[treated]}).drop_duplicates()
        cells = cells[cells.e != reference].sort_values(["g", "e"])
        cols = list(zip(cells.g.to_numpy(), cells.e.to_numpy(), strict=True))
        gi = np.array([c[0] for c in cols])
        ei = np.array([c[1] for c in cols])
        D = (
            treated[:, None] & (coh[:, None] == gi[None, :]) & (rel[:, None] == ei[None, :])
        ).astype(float)
        del cohorts
    nd = D.shape[1]
    Xfull = np.column_stack([D, tdum, cov])
    Z = within_demean(np.column_stack([y, Xfull]), df[unit].to_numpy(), w)
    yd, Xd = Z[:, 0], Z[:, 1:]
    norms = np.sqrt((Xd**2).sum(axis=0))
    keep_col = norms > 1e-8 * np.maximum(np.sqrt((Xfull**2).sum(axis=0)), 1e-300)
    if not keep_col[:nd].all():
        bad = [cols[j] for j in range(nd) if not keep_col[j]]
        raise SroiInputError(
            f"event-time indicators {bad} do not vary within units; check the window and cohorts"
        )
    Xd = Xd[:, keep_col]
    if np.linalg.matrix_rank(Xd) < Xd.shape[1]:
        # collinear period dummies with relative-time dummies (no never-treated, TWFE)
        raise SroiInputError(
            "relative-time and period effects are collinear (typically no never-treated "
            "units): use method='sun_abraham', or bin_endpoints=True, or add never-treated units"
        )
    beta, resid, bread = wls_fit(Xd, yd, w)
    cl = df[clusters[0]].to_numpy()
    G = int(pd.unique(cl).size)
    n, k = Xd.shape
    if vcov == "cluster":
        V = vcov_cluster(Xd, resid, bread, cl, weights=w, type="HC1")
        dfs = np.full(nd, G - 1.0)
        ci_type = f"cluster-robust CR1, t({G - 1})"
    else:
        if not bool((df.groupby(unit)[clusters[0]].nunique() <= 1).all()):
            raise SroiInputError(
                f"vcov='CR2' needs each {unit} inside one {clusters[0]} cluster; use "
                "vcov='cluster' or cluster by a grouping that contains whole units"
            )
        working = cr2_working_model(w, df[unit].to_numpy())
        V, dfs_all = vcov_cr2(Xd, resid, bread, cl, weights=w, working=working)
        dfs = np.asarray(dfs_all)[:nd]
        ci_type = "CR2 Bell-McCaffrey, Satterthwaite t"
    Vd = V[:nd, :nd]
    bd = beta[:nd]
    n_tc = int(pd.unique(cl[treated & (rel >= 0)]).size)
    few = _few_cluster_warning(n_tc, vcov, clusters)
    if few:
        notes.append(few)

    cohort_effects = None
    if method == "twfe":
        est, Ve = bd, Vd
        dfe = dfs
    else:
        ww = np.ones(len(df)) if w is None else w
        share = pd.DataFrame({"g": coh[treated], "e": rel[treated], "w": ww[treated]})
        share = share.groupby(["e", "g"])["w"].sum()
        share = share / share.groupby(level="e").transform("sum")
        R = np.zeros((len(ev), nd))
        for i, e in enumerate(ev):
            for j, (g, ee) in enumerate(cols):
                if ee == e:
                    R[i, j] = share.loc[(e, g)]
        est = R @ bd
        Ve = R @ Vd @ R.T
        if vcov == "CR2":
            # Satterthwaite df of each aggregated contrast
            dfe = np.empty(len(ev))
            for i in range(len(ev)):
                c = np.zeros(k)
                c[:nd] = R[i]
                dfe[i] = vcov_cr2(Xd, resid, bread, cl, weights=w, contrast=c, working=working)[1]
        else:
            dfe = np.full(len(ev), G - 1.0)
        se_d = np.sqrt(np.diag(Vd))
        cohort_effects = pd.DataFrame(
            {
                "cohort": [c[0] for c in cols],
                "event_time": [c[1] for c in cols],
                "estimate": bd,
                "std_error": se_d,
                "share": [share.loc[(c[1], c[0])] for c in cols],
            }
        )
    se = np.sqrt(np.diag(Ve))
    crit = stats.t.ppf(0.5 + level / 2, dfe)
    n_obs = np.array([int((treated & (rel == e)).sum()) for e in ev])
    coefs = pd.DataFrame(
        {
            "event_time": ev,
            "estimate": est,
            "std_error": se,
            "ci_low": est - crit * se,
            "ci_high": est + crit * se,
            "n_obs": n_obs,
        }
    )
    ref_row = pd.DataFrame(
        {
            "event_time": [reference],
            "estimate": [0.0],
            "std_error": [np.nan],
            "ci_low": [np.nan],
            "ci_high": [np.nan],
            "n_obs": [int((treated & (rel == reference)).sum())],
        }
    )
    coefs = pd.concat([coefs, ref_row]).sort_values("event_time").reset_index(drop=True)
    vdf = pd.DataFrame(Ve, index=ev, columns=ev)
    notes = [*(f"{m} rows excluded: {r}" for r, m in excl.items() if m), *notes]
    return EventStudyResult(
        coefficients=coefs,
        vcov=vdf,
        method=method,
        outcome=outcome,
        reference=reference,
        window=(lo, hi),
        cluster=clusters[0],
        n_clusters=G,
        n_treated_clusters=n_tc,
        level=level,
        ci_type=ci_type,
        exclusions=excl,
        cohort_effects=cohort_effects,
        notes=tuple(notes),
        extra={
            "n_obs": int(n),
            "k": int(k),
            "binned": bool(bin_endpoints),
            "df": dict(zip(ev, map(float, dfe), strict=True)),
        },
    )
