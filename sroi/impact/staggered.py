"""Staggered difference-in-differences: Callaway & Sant'Anna (2021) group-time ATTs.

With staggered adoption, units start treatment in different periods ("cohorts" ``g``).
Two-way fixed effects then compares late with early adopters and is biased when effects
change over time (Goodman-Bacon 2021). Callaway & Sant'Anna (2021) instead estimate one
2x2 difference-in-differences per cohort ``g`` and period ``t``:

``ATT(g,t) = E[Y_t - Y_b | G = g] - E[Y_t - Y_b | C]``  (no covariates),

where ``b`` is the base period (``g - 1 - anticipation`` for post-treatment periods) and
``C`` the comparison units: never treated, or not yet treated by ``max(t, b) +
anticipation``. With covariates each 2x2 uses the outcome-regression, inverse-probability
weighting or doubly robust panel estimators of Sant'Anna & Zhao (2020)
(:mod:`sroi.impact.drdid`), with covariates taken from the earlier of the two periods.

Every ATT(g,t) carries its influence function, so standard errors, the pre-trend Wald
test, the aggregations and the multiplier bootstrap follow R ``did`` (Callaway &
Sant'Anna 2021, Section 4):

* ``simple``: ``sum_{g,t>=g} P(G=g) ATT(g,t) / sum P(G=g)``. It averages over all
  post-treatment cells, so cohorts treated early (observed for more post periods)
  get more weight: it **over-weights early cohorts**. The report's headline uses
  ``group``.
* ``group``: ``theta(g) = mean_{t>=g} ATT(g,t)``, overall ``sum_g P(G=g|treated) theta(g)``.
* ``dynamic``: ``theta(e) = sum_g P(G=g | G+e observed) ATT(g, g+e)``, overall
  mean of ``theta(e)`` over ``e >= 0``.
* ``calendar``: ``theta(t) = sum_{g<=t} P(G=g | G<=t) ATT(g,t)``, overall mean over t.

The aggregation influence functions include the term for estimating the cohort shares
``P(G=g)`` (R ``did``'s ``wif``).

Standard errors: analytic ``sqrt(sum_i psi_i^2) / n`` (``n`` units; with ``cluster=``,
``sqrt(sum_c (sum_{i in c} psi_i)^2) / n``), with pointwise normal intervals, labelled
``"analytic pointwise"``. R ``did`` defaults to the multiplier bootstrap with uniform
bands; here ``n_boot > 0`` gives that (Rademacher multipliers, SE from the interquartile
range, sup-t critical value for uniform bands over the estimates of one table).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from sroi.effect import Effect
from sroi.errors import SroiInputError, SroiWarning, example_rows
from sroi.impact.drdid import ESTIMATORS, fit_pscore, panel_did
from sroi.impact.inference.multiplier_bootstrap import cluster_sums, rademacher_draws, summarise_draws

__all__ = ["staggered_did", "StaggeredResult", "PretrendTest"]

_CONTROL_ALIASES = {
    "never_treated": "never_treated",
    "nevertreated": "never_treated",
    "never": "never_treated",
    "not_yet_treated": "not_yet_treated",
    "notyettreated": "not_yet_treated",
    "not_yet": "not_yet_treated",
}
_SE_TINY = math.sqrt(np.finfo(float).eps) * 10

SIMPLE_NOTE = (
    "'simple' averages all post-treatment ATT(g,t) cells weighted by cohort size, so "
    "cohorts treated early (with more post-treatment periods) get more weight; the "
    "report's headline uses the 'group' aggregation"
)


# ---------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PretrendTest:
    """Joint Wald test that all pre-treatment ATT(g,t) are zero.

    ``statistic = a' V^{-1} a`` with ``a`` the pre-period ATT(g,t) (``t < g -
    anticipation``, universal-base reference cells left out) and ``V`` their covariance
    from the influence functions; ``chi2(df)`` p-value.
    """

    statistic: float
    df: int
    p_value: float
    cells: pd.DataFrame

    def __str__(self) -> str:
        return (
            f"Pre-trend Wald test: chi2({self.df}) = {self.statistic:.3f}, p = {self.p_value:.4g}"
        )


class _Inference:
    """Standard errors and critical values for linear combinations of a basis of
    influence functions.

    Every estimate here (ATT(g,t), aggregations with their weight-estimation terms) has
    an influence function ``basis @ coef`` where ``basis`` holds the ATT(g,t) influence
    functions and the cohort indicator columns ``w_i 1{G_i = g}``. Analytic variances use
    the unit (or cluster) sums of the basis; the multiplier bootstrap draws the basis once
    and combines the draws, so every aggregation uses the same multipliers.
    """

    def __init__(
        self,
        basis: np.ndarray,
        codes: np.ndarray | None,
        n_clusters: int | None,
        n_boot: int,
        seed: int | None,
        level: float,
    ) -> None:
        self.n = basis.shape[0]
        self.codes = codes
        self.n_clusters = n_clusters
        self.n_boot = n_boot
        self.seed = seed
        self.level = level
        self.z = float(stats.norm.ppf(0.5 + level / 2))
        self.S = cluster_sums(basis, codes, n_clusters)
        self.gram = self.S.T @ self.S
        self._draws: np.ndarray | None = None

    @property
    def bootstrap(self) -> bool:
        return self.n_boot > 0

    def basis_draws(self) -> np.ndarray:
        if self._draws is None:
            self._draws = rademacher_draws(self.S, self.n_boot, int(self.seed), self.n)
        return self._draws

    def vcov(self, coef: np.ndarray) -> np.ndarray:
        """Analytic covariance ``(S c)'(S c) / n^2`` (S: unit or cluster sums)."""
        return coef.T @ self.gram @ coef / self.n**2

    def se(self, coef: np.ndarray) -> tuple[np.ndarray, float, np.ndarray | None]:
        """Standard errors, uniform critical value (``z`` when analytic) and draws."""
        coef = np.asarray(coef, dtype=float)
        if coef.ndim == 1:
            coef = coef[:, None]
        if not self.bootstrap:
            var = np.einsum("ij,ik,kj->j", coef, self.gram, coef)
            se = np.sqrt(np.maximum(var, 0.0)) / self.n
            se = np.where(se <= _SE_TINY, np.nan, se)
            return se, self.z, None
        draws = self.basis_draws() @ coef
        se, crit = summarise_draws(draws, self.level, self.n)
        crit = crit if np.isfinite(crit) else self.z
        return se, crit, draws

    def table_ci_type(self) -> str:
        return (
            "multiplier bootstrap, uniform (sup-t) band" if self.bootstrap else "analytic pointwise"
        )

    def scalar_ci_type(self) -> str:
        return "multiplier bootstrap SE, pointwise" if self.bootstrap else "analytic pointwise"


@dataclass
class _Cells:
    """Group-time cells with their influence functions (n units x K cells)."""

    group: np.ndarray
    time: np.ndarray
    att: np.ndarray
    inf: np.ndarray
    n_treated: np.ndarray
    n_control: np.ndarray
    base: np.ndarray
    reference: np.ndarray  # universal-base reference cell (att fixed at 0)


def make_basis(cells: _Cells, G: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Basis of influence functions: the ATT(g,t) columns, then ``w_i 1{G_i = g}`` for
    each cohort ``g`` of the cells (in the order of the returned cohort array)."""
    groups = np.unique(cells.group)
    n, K = cells.inf.shape
    basis = np.empty((n, K + len(groups)), order="F")
    basis[:, :K] = cells.inf
    for j, g in enumerate(groups):
        basis[:, K + j] = (G == g) * w
    cells.inf = basis[:, :K]  # share memory with the basis
    return basis, groups


class _AggregationMixin:
    """Aggregations of ATT(g,t) shared by staggered and matched staggered DiD.

    Subclasses provide ``_cells``, ``_G`` (cohort per unit, 0 = comparison), ``_w``
    (unit weights for the cohort shares), ``_groups`` (cohorts of the basis indicator
    columns), ``_inference``, ``_tmax``, ``_tmin``, ``anticipation``, ``outcome`` and
    ``_effect_kwargs()``.

    An aggregation's influence function is a coefficient vector over the basis
    (:func:`make_basis`). For weights ``p_k / sum_j p_j`` on cells ``k`` with estimated
    cohort shares ``p_k = mean(w 1{G = g_k})``, the weight-estimation term of R ``did``
    (``wif``) adds ``sum_k att_k [ (C_{g_k} - p_k)/s - sum_j (C_{g_j} - p_j) p_k / s^2 ]``
    with ``s = sum_j p_j`` and ``C_g = w 1{G = g}``; the constant terms cancel, leaving
    coefficients on the indicator columns only.
    """

    _cells: _Cells
    _G: np.ndarray
    _w: np.ndarray
    _groups: np.ndarray
    _inference: _Inference
    _tmax: float
    _tmin: float
    anticipation: int
    outcome: str

    # -- helpers -----------------------------------------------------------------------
    @property
    def _K(self) -> int:
        return len(self._cells.att)

    def _share(self, g: float) -> float:
        return float(np.mean(self._w * (self._G == g)))

    def _pg_cells(self) -> np.ndarray:
        pg = {g: self._share(g) for g in np.unique(self._cells.group)}
        return np.array([pg[g] for g in self._cells.group])

    def _wif_coef(self, groups: np.ndarray, pk: np.ndarray, att: np.ndarray) -> np.ndarray:
        """Basis coefficients of ``wif @ att`` for weights ``pk / sum(pk)`` on ``groups``."""
        coef = np.zeros(self._K + len(self._groups))
        s = np.sum(pk)
        a = np.sum(att * pk) / s**2
        col = self._K + np.searchsorted(self._groups, groups)
        np.add.at(coef, col, att / s - a)
        return coef

    def _combine(
        self, keep: np.ndarray, weights: np.ndarray, with_wif: bool
    ) -> tuple[float, np.ndarray]:
        c = self._cells
        est = float(np.sum(weights * c.att[keep]))
        coef = np.zeros(self._K + len(self._groups))
        coef[keep] = weights
        if with_wif:
            pg = self._pg_cells()
            coef += self._wif_coef(c.group[keep], pg[keep], c.att[keep])
        return est, coef

    def _table(
        self, key_name: str, keys: list, ests: list, coefs: list, extra: dict
    ) -> pd.DataFrame:
        if not keys:
            raise SroiInputError(
                f"no ATT(g,t) cells fall in the requested {key_name} range; widen min_e/max_e"
            )
        est = np.asarray(ests, dtype=float)
        se, crit, _ = self._inference.se(np.column_stack(coefs))
        out = pd.DataFrame(
            {key_name: _maybe_int(np.asarray(keys, dtype=float)), "att": est, "std_error": se}
        )
        out["ci_low"] = est - crit * se
        out["ci_high"] = est + crit * se
        with np.errstate(invalid="ignore", divide="ignore"):
            out["p_value"] = 2 * stats.norm.sf(np.abs(est) / se)
        for k, v in extra.items():
            out[k] = v
        out.attrs["ci_type"] = self._inference.table_ci_type()
        out.attrs["critical_value"] = crit
        return out

    def _effect(self, est: float, coef: np.ndarray, estimand: str, n_treated: int) -> Effect:
        se, _, draws = self._inference.se(coef)
        se0 = float(se[0]) if np.isfinite(se[0]) else 0.0
        kw = self._effect_kwargs()
        eff = Effect.from_estimate(
            est,
            se0,
            level=self._inference.level,
            estimand=estimand,
            outcome=self.outcome,
            ci_type=self._inference.scalar_ci_type(),
            n_treated=int(n_treated),
            **kw,
        )
        if draws is not None:
            eff = eff.with_(draws=est + draws[:, 0])
        return eff

    def _post_mask(self, max_e: float | None) -> np.ndarray:
        c = self._cells
        me = np.inf if max_e is None else max_e
        return (c.group <= c.time) & (c.time <= c.group + me)

    def _n_treated_in(self, groups: np.ndarray) -> int:
        return int(np.sum(np.isin(self._G, groups) & (self._G > 0)))

    # -- public ------------------------------------------------------------------------
    def aggregate(
        self,
        kind: Literal["simple", "group", "calendar", "dynamic"] = "group",
        min_e: float | None = None,
        max_e: float | None = None,
        balance_e: int | None = None,
    ) -> Effect | pd.DataFrame:
        """Aggregate the ATT(g,t) as R ``did::aggte`` does.

        Parameters
        ----------
        kind
            ``"simple"`` returns an :class:`sroi.Effect` (note: it over-weights early
            cohorts; prefer ``"group"``). ``"group"``, ``"calendar"`` and ``"dynamic"``
            return a DataFrame with one row per cohort, period or event time
            (``att, std_error, ci_low, ci_high, p_value``); the overall effect is in
            ``df.attrs["overall"]`` and from :meth:`aggregate_effect`.
        min_e, max_e
            Event-time limits (``dynamic``; ``max_e`` also limits ``simple`` and
            ``group`` to ``t <= g + max_e``, as R ``did``).
        balance_e
            ``dynamic`` only: keep cohorts observed for at least ``balance_e`` periods
            after treatment, and event times ``e <= balance_e``, so the composition of
            cohorts does not change with ``e``.
        """
        if kind == "simple":
            return self._aggregate_simple(max_e)
        if kind == "group":
            return self._aggregate_group(max_e)[0]
        if kind == "dynamic":
            return self._aggregate_dynamic(min_e, max_e, balance_e)[0]
        if kind == "calendar":
            return self._aggregate_calendar()[0]
        raise SroiInputError(
            f"aggregate: kind must be 'simple', 'group', 'calendar' or 'dynamic'; got {kind!r}"
        )

    def aggregate_effect(
        self,
        kind: Literal["simple", "group", "calendar", "dynamic"] = "group",
        min_e: float | None = None,
        max_e: float | None = None,
        balance_e: int | None = None,
    ) -> Effect:
        """The overall effect of an aggregation as an :class:`sroi.Effect`.

        ``"group"`` (the headline: mean over cohorts of each cohort's average
        post-treatment effect, weighted by cohort size); ``"dynamic"`` (mean over event
        times ``e >= 0``); ``"calendar"`` (mean over periods); ``"simple"``.
        """
        if kind == "simple":
            return self._aggregate_simple(max_e)
        if kind == "group":
            return self._aggregate_group(max_e)[1]
        if kind == "dynamic":
            return self._aggregate_dynamic(min_e, max_e, balance_e)[1]
        if kind == "calendar":
            return self._aggregate_calendar()[1]
        raise SroiInputError(
            f"aggregate_effect: kind must be 'simple', 'group', 'calendar' or 'dynamic'; got {kind!r}"
        )

    def _aggregate_simple(self, max_e: float | None) -> Effect:
        c = self._cells
        keep = np.flatnonzero(self._post_mask(max_e))
        if keep.size == 0:
            raise SroiInputError("no post-treatment ATT(g,t) cells to aggregate")
        pg = self._pg_cells()
        wts = pg[keep] / np.sum(pg[keep])
        est, coef = self._combine(keep, wts, with_wif=True)
        eff = self._effect(
            est, coef, "ATT (simple aggregation)", self._n_treated_in(np.unique(c.group[keep]))
        )
        return eff.with_(notes=(*eff.notes, SIMPLE_NOTE))

    def _aggregate_group(self, max_e: float | None) -> tuple[pd.DataFrame, Effect]:
        c = self._cells
        post = self._post_mask(max_e)
        groups = np.array([g for g in np.unique(c.group) if np.any(post & (c.group == g))])
        if groups.size == 0:
            raise SroiInputError("no post-treatment ATT(g,t) cells to aggregate by cohort")
        ests, coefs, sizes = [], [], []
        for g in groups:
            keep = np.flatnonzero(post & (c.group == g))
            e, f = self._combine(keep, np.full(keep.size, 1.0 / keep.size), with_wif=False)
            ests.append(e)
            coefs.append(f)
            sizes.append(int(np.sum(self._G == g)))
        table = self._table("cohort", list(groups), ests, coefs, {"n_treated": sizes})
        pgg = np.array([self._share(g) for g in groups])
        att_g = np.asarray(ests)
        wts = pgg / np.sum(pgg)
        overall = float(np.sum(wts * att_g))
        coef = np.column_stack(coefs) @ wts + self._wif_coef(groups, pgg, att_g)
        eff = self._effect(overall, coef, "ATT (group aggregation)", int(np.sum(sizes)))
        table.attrs["overall"] = eff
        return table, eff

    def _aggregate_dynamic(
        self, min_e: float | None, max_e: float | None, balance_e: int | None
    ) -> tuple[pd.DataFrame, Effect]:
        c = self._cells
        e_all = c.time - c.group
        include = np.ones(len(e_all), dtype=bool)
        eseq = np.unique(e_all)
        if balance_e is not None:
            include = (self._tmax - c.group) >= balance_e
            eseq = np.unique(e_all[include])
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - self._tmax + self._tmin)]
        lo = -np.inf if min_e is None else min_e
        hi = np.inf if max_e is None else max_e
        eseq = eseq[(eseq >= lo) & (eseq <= hi)]
        pg = self._pg_cells()
        ests, coefs, ncoh = [], [], []
        for e in eseq:
            keep = np.flatnonzero((e_all == e) & include)
            est, coef = self._combine(keep, pg[keep] / np.sum(pg[keep]), with_wif=True)
            ests.append(est)
            coefs.append(coef)
            ncoh.append(int(keep.size))
        table = self._table("event_time", list(eseq), ests, coefs, {"n_cohorts": ncoh})
        epos = eseq >= 0
        if not epos.any():
            raise SroiInputError(
                "no event times e >= 0 in range: the overall dynamic effect needs some"
            )
        att_e = np.asarray(ests)[epos]
        overall = float(np.mean(att_e))
        coef = np.column_stack(coefs)[:, epos] @ np.full(att_e.size, 1.0 / att_e.size)
        groups = np.unique(c.group[np.isin(e_all, eseq[epos]) & include])
        eff = self._effect(
            overall, coef, "ATT (dynamic aggregation, mean over e >= 0)", self._n_treated_in(groups)
        )
        table.attrs["overall"] = eff
        return table, eff

    def _aggregate_calendar(self) -> tuple[pd.DataFrame, Effect]:
        c = self._cells
        pg = self._pg_cells()
        times = np.unique(c.time[c.time >= c.group.min()])
        ests, coefs, ncoh, keep_t = [], [], [], []
        for t in times:
            keep = np.flatnonzero((c.time == t) & (c.group <= t))
            if keep.size == 0:
                continue
            est, coef = self._combine(keep, pg[keep] / np.sum(pg[keep]), with_wif=True)
            ests.append(est)
            coefs.append(coef)
            ncoh.append(int(keep.size))
            keep_t.append(t)
        table = self._table("time", keep_t, ests, coefs, {"n_cohorts": ncoh})
        att_t = np.asarray(ests)
        overall = float(np.mean(att_t))
        coef = np.column_stack(coefs) @ np.full(att_t.size, 1.0 / att_t.size)
        eff = self._effect(
            overall, coef, "ATT (calendar aggregation)", self._n_treated_in(np.unique(c.group))
        )
        table.attrs["overall"] = eff
        return table, eff

    def pretrend_test(self) -> PretrendTest:
        """Joint Wald test of parallel pre-trends on the pre-period ATT(g,t).

        Uses the cells with ``t < g - anticipation`` (universal-base reference cells,
        fixed at zero, are left out) and their analytic influence-function covariance
        (clustered when the result is clustered), as R ``did``'s ``att_gt`` does:
        ``W = a' V^{-1} a ~ chi2(q)``.
        """
        c = self._cells
        pre = np.flatnonzero((c.time < c.group - self.anticipation) & ~c.reference)
        if pre.size == 0:
            raise SroiInputError(
                "no pre-treatment ATT(g,t) to test: every cohort has a single pre-period "
                "(with base_period='universal' that period is the reference)"
            )
        coef = np.zeros((self._K + len(self._groups), pre.size))
        coef[pre, np.arange(pre.size)] = 1.0
        V = self._inference.vcov(coef)
        ok = np.diag(V) > _SE_TINY**2
        pre = pre[ok]
        V = V[np.ix_(ok, ok)]
        if pre.size == 0:
            raise SroiInputError("the pre-treatment ATT(g,t) all have zero variance")
        a = c.att[pre]
        if 1.0 / np.linalg.cond(V) <= np.finfo(float).eps:
            raise SroiInputError(
                "the covariance of the pre-treatment ATT(g,t) is singular; the Wald test "
                "cannot be computed"
            )
        W = float(a @ np.linalg.solve(V, a))
        q = int(pre.size)
        n_tc = getattr(self, "n_treated_clusters", None)
        if self._inference.codes is not None and n_tc is not None and n_tc <= q:
            warnings.warn(
                f"pre-trend test: {q} pre-period ATT(g,t) but only {n_tc} clusters with treated "
                "units; the clustered covariance is close to singular and the test over-rejects. "
                "Read the pre-period estimates and their intervals instead",
                SroiWarning,
                stacklevel=2,
            )
        cells = pd.DataFrame(
            {"cohort": _maybe_int(c.group[pre]), "time": _maybe_int(c.time[pre]), "att": a}
        )
        return PretrendTest(W, q, float(stats.chi2.sf(W, q)), cells)


@dataclass(eq=False)
class StaggeredResult(_AggregationMixin):
    """Result of :func:`staggered_did`.

    Attributes
    ----------
    att_gt
        One row per cohort x period: ``cohort, time, att, std_error, ci_low, ci_high,
        event_time, n_treated, n_control, base_period, post`` (``ci_type`` in
        ``att_gt.attrs``).
    exclusions
        Units (and rows) left out, by reason.
    cohort_sizes
        Treated units per cohort used.
    """

    att_gt: pd.DataFrame
    outcome: str
    estimator: str
    control_group: str
    base_period: str
    anticipation: int
    n_units: int
    n_treated: int
    n_never_treated: int
    cohort_sizes: pd.Series
    exclusions: pd.DataFrame
    notes: tuple[str, ...]
    level: float
    n_boot: int
    cluster: str | None
    n_clusters: int | None
    n_treated_clusters: int | None
    seed: int | None
    _cells: _Cells = field(repr=False)
    _G: np.ndarray = field(repr=False)
    _w: np.ndarray = field(repr=False)
    _groups: np.ndarray = field(repr=False)
    _inference: _Inference = field(repr=False)
    _tmax: float = field(repr=False)
    _tmin: float = field(repr=False)

    @property
    def ci_type(self) -> str:
        return self._inference.table_ci_type()

    @property
    def influence_functions(self) -> np.ndarray:
        """Influence functions, ``n_units x len(att_gt)``."""
        return self._cells.inf

    def _method(self) -> str:
        ctrl = "never-treated" if self.control_group == "never_treated" else "not-yet-treated"
        return f"Callaway-Sant'Anna ({self.estimator}, {ctrl} comparison)"

    def _effect_kwargs(self) -> dict[str, Any]:
        notes = self.notes
        if self.control_group == "not_yet_treated":
            notes = (
                *notes,
                f"n_control counts the {self.n_never_treated} never-treated units; units of "
                "later cohorts also serve as comparisons before they are treated",
            )
        return {
            "n_control": self.n_never_treated,
            "method": self._method(),
            "cluster": self.cluster,
            "n_clusters": self.n_clusters,
            "n_treated_clusters": self.n_treated_clusters,
            "notes": notes,
            "extra": {
                "anticipation": self.anticipation,
                "base_period": self.base_period,
                "control_group": self.control_group,
                "n_boot": self.n_boot,
                "exclusions": self.exclusions.to_dict(orient="records"),
            },
        }

    def summary(self) -> str:
        """Readable summary: design, exclusions, the group aggregation and the pre-trend test."""
        lines = [
            f"Staggered DiD on {self.outcome}: {self._method()}",
            f"  units {self.n_units} (treated {self.n_treated}, never treated "
            f"{self.n_never_treated}); cohorts "
            + ", ".join(f"{g}: {n}" for g, n in self.cohort_sizes.items()),
            f"  base period {self.base_period}; anticipation {self.anticipation}; "
            f"intervals {self.ci_type}",
        ]
        if self.cluster:
            lines.append(
                f"  clustered by {self.cluster}: {self.n_clusters} clusters "
                f"({self.n_treated_clusters} with treated units)"
            )
        for r in self.exclusions.itertuples():
            lines.append(f"  excluded: {r.units} units ({r.rows} rows): {r.reason}")
        lines.extend(f"  note: {n}" for n in self.notes)
        try:
            eff = self.aggregate_effect("group")
            lines.append(
                f"  ATT (group aggregation) {eff.estimate:.4f} (SE {eff.std_error:.4f}, "
                f"{int(round(eff.level * 100))}% CI [{eff.ci_low:.4f}, {eff.ci_high:.4f}])"
            )
        except SroiInputError as err:  # pragma: no cover - defensive
            lines.append(f"  group aggregation unavailable: {err}")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                lines.append("  " + str(self.pretrend_test()))
            lines.extend(f"    warning: {w.message}" for w in caught)
        except SroiInputError as err:
            lines.append(f"  pre-trend test unavailable: {err}")
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - thin wrapper
        return self.summary()

    def __repr__(self) -> str:
        return (
            f"StaggeredResult(outcome={self.outcome!r}, estimator={self.estimator!r}, "
            f"control_group={self.control_group!r}, cells={len(self.att_gt)}, "
            f"units={self.n_units}, ci_type={self.ci_type!r})"
        )


# ---------------------------------------------------------------------------------------
# preparation
# ---------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    units: np.ndarray
    times: np.ndarray
    Y: np.ndarray  # n x T
    G: np.ndarray  # n (0 = never treated)
    X: np.ndarray | None  # n x T x k
    x_time_invariant: bool
    w: np.ndarray  # n
    cluster_values: np.ndarray | None
    exclusions: pd.DataFrame
    notes: list[str]


def _as_number_column(df: pd.DataFrame, col: str, what: str) -> pd.Series:
    s = df[col]
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    if not pd.api.types.is_numeric_dtype(s):
        conv = pd.to_numeric(s, errors="coerce")
        bad = conv.isna() & s.notna()
        if bad.any():
            raise SroiInputError(
                f"column {col!r} ({what}) must be numeric; non-numeric values in "
                f"{example_rows(df.index[bad.to_numpy()])}, e.g. {s[bad].iloc[0]!r}. "
                "Recode it as numbers (0/1 dummies for categories)."
            )
        return conv.astype(float)
    return s.astype(float)


def _require_columns(panel: pd.DataFrame, cols: dict[str, str]) -> None:
    for role, col in cols.items():
        if not isinstance(col, str):
            raise SroiInputError(f"{role} must be a column name (string); got {col!r}")
        if col not in panel.columns:
            raise SroiInputError(
                f"{role} column {col!r} is not in the panel; columns are: "
                f"{', '.join(map(str, panel.columns[:30]))}"
            )


def prepare_panel(
    panel: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: list[str] | None,
    cluster: str | None,
    weights: str | None,
    anticipation: int,
) -> _Prepared:
    """Validate a long panel and reshape it to unit x period arrays (balanced panel).

    Units are excluded (and counted, by reason) when their cohort or any outcome,
    covariate, weight or cluster value is missing, when they are treated in or before
    the first period plus anticipation (no untreated pre-period), or when they are not
    observed in every period.
    """
    if not isinstance(panel, pd.DataFrame):
        raise SroiInputError(f"panel must be a pandas DataFrame; got {type(panel).__name__}")
    if len(panel) == 0:
        raise SroiInputError("panel is empty")
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates or [])
    cols = {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort}
    for c in covariates:
        cols[f"covariate {c!r}"] = c
    if cluster is not None:
        cols["cluster"] = cluster
    if weights is not None:
        cols["weights"] = weights
    _require_columns(panel, cols)
    if len({outcome, unit, time, cohort}) < 4:
        raise SroiInputError("outcome, unit, time and cohort must be four different columns")

    df = panel.reset_index(drop=True)
    # time: integer-valued numbers, no missing values
    if df[time].isna().any():
        raise SroiInputError(
            f"time column {time!r} has missing values in "
            f"{example_rows(df.index[df[time].isna().to_numpy()])}; every row needs a period"
        )
    t = _as_number_column(df, time, "time period")
    nonint = ~np.isclose(t, np.round(t))
    if nonint.any():
        raise SroiInputError(
            f"time column {time!r} must hold integer periods (e.g. term 1..9); non-integer "
            f"values in {example_rows(df.index[nonint])}, e.g. {t[nonint].iloc[0]!r}"
        )
    t = np.round(t.to_numpy()).astype(np.int64)
    g_raw = _as_number_column(df, cohort, "first treated period, 0 = never treated")
    g_nonint = g_raw.notna() & ~np.isclose(g_raw.fillna(0), np.round(g_raw.fillna(0)))
    if g_nonint.any():
        raise SroiInputError(
            f"cohort column {cohort!r} must hold the first treated period (an integer time "
            f"period) or 0 for never treated; non-integer values in "
            f"{example_rows(df.index[g_nonint.to_numpy()])}"
        )
    if (g_raw < 0).any():
        raise SroiInputError(
            f"cohort column {cohort!r} has negative values in "
            f"{example_rows(df.index[(g_raw < 0).to_numpy()])}; use the first treated period "
            "or 0 for never treated"
        )
    uid_codes, uniq_units = pd.factorize(df[unit], sort=True)
    if (uid_codes < 0).any():
        raise SroiInputError(
            f"unit column {unit!r} has missing ids in "
            f"{example_rows(df.index[uid_codes < 0])}; every row needs a unit id"
        )
    n_all = len(uniq_units)
    # duplicated unit-time rows
    t_codes = np.searchsorted(np.unique(t), t)
    key = uid_codes.astype(np.int64) * (int(t_codes.max()) + 1) + t_codes
    dup = np.bincount(key)[key] > 1
    if dup.any():
        raise SroiInputError(
            f"duplicated {unit} x {time} rows: {example_rows(df.index[dup])}; the panel must "
            "have one row per unit and period (aggregate or de-duplicate first)"
        )
    # cohort constant within unit
    g_vals = g_raw.to_numpy(dtype=float)
    # first non-missing cohort value of each unit; any other value means it changes
    fin = np.isfinite(g_vals)
    g_unit = np.full(n_all, np.nan)
    order = np.flatnonzero(fin)[::-1]
    g_unit[uid_codes[order]] = g_vals[order]  # the first occurrence is written last
    changes = fin & (g_vals != g_unit[uid_codes])
    if changes.any():
        bad_units = uniq_units[np.unique(uid_codes[changes])]
        raise SroiInputError(
            f"cohort column {cohort!r} changes within units {example_rows(bad_units)}: the "
            "cohort (first treated period) must be constant for a unit. Treatment that "
            "switches off or restarts is not supported by staggered DiD"
        )

    times = np.unique(t)
    T = len(times)
    if T < 2:
        raise SroiInputError(f"time column {time!r} has a single period; DiD needs at least two")
    notes: list[str] = []
    # cohort values must be 0 or periods; after the last period = never treated (R did)
    finite_g = g_unit[np.isfinite(g_unit)]
    late = finite_g > times.max()
    if late.any():
        notes.append(
            f"{int(late.sum())} units first treated after the last period ({times.max()}) "
            "are treated as never treated, as R did does"
        )
        g_unit = np.where(np.isfinite(g_unit) & (g_unit > times.max()), 0.0, g_unit)
    inside = np.isfinite(g_unit) & (g_unit > 0) & (g_unit >= times.min())
    not_period = inside & ~np.isin(g_unit, times)
    if not_period.any():
        bad = np.unique(g_unit[not_period])
        raise SroiInputError(
            f"cohort column {cohort!r} has values that are not time periods: "
            f"{', '.join(str(int(b)) for b in bad[:5])}; periods are "
            f"{', '.join(str(x) for x in times[:12])}. The cohort is the first treated period "
            "(0 = never treated)"
        )

    # unit-level exclusion reasons (first applicable reason wins)
    reason = np.full(n_all, "", dtype=object)
    row_unit = uid_codes

    def flag(mask_units: np.ndarray, why: str) -> None:
        m = mask_units & (reason == "")
        reason[m] = why

    flag(~np.isfinite(g_unit), f"missing cohort ({cohort})")
    flag(
        np.isfinite(g_unit) & (g_unit > 0) & (g_unit <= times.min() + anticipation),
        "treated in the first period (plus anticipation): no untreated pre-period",
    )

    def rows_missing(col: str, numeric: bool = True) -> np.ndarray:
        if numeric:
            v = _as_number_column(df, col, col).to_numpy()
            miss = ~np.isfinite(v)
        else:
            miss = df[col].isna().to_numpy()
        return np.bincount(row_unit[miss], minlength=n_all) > 0

    y_all = _as_number_column(df, outcome, "outcome").to_numpy()
    flag(
        np.bincount(row_unit[~np.isfinite(y_all)], minlength=n_all) > 0,
        f"missing outcome ({outcome})",
    )
    X_cols = []
    for c in covariates:
        v = _as_number_column(df, c, "covariate").to_numpy()
        X_cols.append(v)
        flag(
            np.bincount(row_unit[~np.isfinite(v)], minlength=n_all) > 0, f"missing covariate ({c})"
        )
    w_unit = np.ones(n_all)
    if weights is not None:
        wv = _as_number_column(df, weights, "weights").to_numpy()
        flag(
            np.bincount(row_unit[~np.isfinite(wv)], minlength=n_all) > 0,
            f"missing weight ({weights})",
        )
        if (wv[np.isfinite(wv)] < 0).any():
            raise SroiInputError(f"weights column {weights!r} has negative values")
        wser = pd.Series(wv).groupby(row_unit)
        if (wser.nunique() > 1).any():
            raise SroiInputError(f"weights column {weights!r} must be constant within each {unit}")
        w_unit = wser.first().reindex(range(n_all)).to_numpy(dtype=float)
    cl_unit = None
    if cluster is not None:
        flag(rows_missing(cluster, numeric=False), f"missing cluster ({cluster})")
        cser = df[cluster].groupby(row_unit)
        if (cser.nunique(dropna=True) > 1).any():
            raise SroiInputError(
                f"cluster column {cluster!r} must be constant within each {unit} (units "
                "nested in clusters)"
            )
        cl_unit = cser.first().reindex(range(n_all)).to_numpy()
    counts = np.bincount(row_unit, minlength=n_all)
    flag(counts < T, f"not observed in every period (gaps; balanced panel of {T} periods required)")
    if weights is not None:
        flag(np.isfinite(w_unit) & (w_unit == 0), "zero weight")

    excl_rows = np.bincount(row_unit, minlength=n_all)
    ex = pd.DataFrame({"reason": reason, "rows": excl_rows})
    ex = ex[ex["reason"] != ""]
    exclusions = (
        ex.groupby("reason", sort=False)
        .agg(units=("rows", "size"), rows=("rows", "sum"))
        .reset_index()[["reason", "units", "rows"]]
    )
    keep_unit = reason == ""
    if not keep_unit.any():
        raise SroiInputError(
            "every unit was excluded: "
            + "; ".join(f"{r.reason}: {r.units}" for r in exclusions.itertuples())
        )
    new_code = np.cumsum(keep_unit) - 1
    rows_keep = keep_unit[row_unit]
    n = int(keep_unit.sum())
    ui = new_code[row_unit[rows_keep]]
    ti = np.searchsorted(times, t[rows_keep])
    Y = np.empty((n, T))
    Y[ui, ti] = y_all[rows_keep]
    X = None
    x_inv = True
    if covariates:
        X = np.empty((n, T, len(covariates)))
        for j, v in enumerate(X_cols):
            X[ui, ti, j] = v[rows_keep]
        x_inv = bool(np.all(X == X[:, :1, :]))
    return _Prepared(
        units=np.asarray(uniq_units)[keep_unit],
        times=times,
        Y=Y,
        G=g_unit[keep_unit],
        X=X,
        x_time_invariant=x_inv,
        w=w_unit[keep_unit],
        cluster_values=None if cl_unit is None else cl_unit[keep_unit],
        exclusions=exclusions,
        notes=notes,
    )


# ---------------------------------------------------------------------------------------
# group-time cells
# ---------------------------------------------------------------------------------------


def _last_pre_index(g: float, times: np.ndarray, anticipation: int) -> int | None:
    idx = np.flatnonzero(times + anticipation < g)
    return int(idx[-1]) if idx.size else None


def compute_cells(
    Y: np.ndarray,
    G: np.ndarray,
    times: np.ndarray,
    glist: np.ndarray,
    *,
    X: np.ndarray | None,
    x_time_invariant: bool,
    w: np.ndarray | None,
    estimator: str,
    control_group: str,
    anticipation: int,
    base_period: str,
    n_scale: int | None = None,
    unit_index: np.ndarray | None = None,
) -> _Cells:
    """ATT(g,t) and influence functions for every cohort in ``glist`` and period.

    ``unit_index`` maps the rows of ``Y`` to positions in an influence-function matrix
    of ``n_scale`` rows (used by the stacked matched design); by default rows map to
    themselves and ``n_scale = len(Y)``.
    """
    n_rows, T = Y.shape
    n_scale = n_rows if n_scale is None else n_scale
    pos = np.arange(n_rows) if unit_index is None else unit_index
    tfac = 0 if base_period == "universal" else 1
    method = estimator if X is not None else "unconditional"
    rows_g, rows_t, att, infs, n_t, n_c, base, ref = [], [], [], [], [], [], [], []
    design_cache: dict[int, np.ndarray] = {}

    def design(early: int) -> np.ndarray:
        key = 0 if x_time_invariant else early
        if key not in design_cache:
            design_cache[key] = np.column_stack([np.ones(n_rows), X[:, key, :]])  # type: ignore[index]
        return design_cache[key]

    for g in glist:
        pre_g = _last_pre_index(g, times, anticipation)
        if pre_g is None:  # pragma: no cover - such units are excluded upstream
            continue
        is_g = G == g
        ps_cache: dict[Any, np.ndarray | None] = {}
        idx_cache: dict[Any, np.ndarray] = {}
        sub_cache: dict[Any, tuple] = {}
        for t_i in range(T - tfac):
            tn = t_i + tfac
            pret = pre_g if base_period == "universal" else t_i
            if g - anticipation <= times[tn]:
                pret = pre_g
            if base_period == "universal" and pret == tn:
                rows_g.append(g)
                rows_t.append(times[tn])
                att.append(0.0)
                infs.append(np.zeros(n_scale))
                n_t.append(int(np.sum(is_g)))
                n_c.append(0)
                base.append(times[pret])
                ref.append(True)
                continue
            if control_group == "never_treated":
                ckey: Any = "never"
            else:
                ckey = max(times[tn], times[pret]) + anticipation
            if ckey not in idx_cache:
                ctrl = (G == 0) if ckey == "never" else (G == 0) | ((G > ckey) & ~is_g)
                if not ctrl.any():
                    gt = _maybe_int(np.array([g, times[tn]], dtype=float))
                    raise SroiInputError(
                        f"no comparison units for cohort {gt[0]} in period {gt[1]} "
                        f"(control_group={control_group!r})"
                    )
                idx_cache[ckey] = np.flatnonzero(is_g | ctrl)
            idx = idx_cache[ckey]
            early = min(tn, pret)
            pkey = (ckey, -1 if x_time_invariant else early)
            if pkey not in sub_cache:
                sub_cache.clear()
                sub_cache[pkey] = (
                    is_g[idx].astype(float),
                    None if X is None else design(early)[idx],
                    None if w is None else w[idx],
                )
            d, Zc, wc = sub_cache[pkey]
            if method in ("ipw", "dr", "dr_imp"):
                if pkey not in ps_cache:
                    ps_cache[pkey] = fit_pscore(d, Zc, wc, method)  # type: ignore[arg-type]
                pscore = ps_cache[pkey]
            else:
                pscore = None
            try:
                res = panel_did(
                    Y[idx, tn],
                    Y[idx, pret],
                    d,
                    Zc,
                    wc,
                    method=method,  # type: ignore[arg-type]
                    pscore=pscore,
                )
            except SroiInputError as err:
                gt = _maybe_int(np.array([g, times[tn]], dtype=float))
                raise SroiInputError(f"ATT(g={gt[0]}, t={gt[1]}): {err}") from err
            n1 = len(idx)
            full = np.zeros(n_scale)
            full[pos[idx]] = (n_scale / n1) * res.inf_func
            rows_g.append(g)
            rows_t.append(times[tn])
            att.append(res.att)
            infs.append(full)
            n_t.append(res.n_treated)
            n_c.append(res.n_control)
            base.append(times[pret])
            ref.append(False)
    if not att:
        raise SroiInputError("no ATT(g,t) could be computed: no cohort has a pre-treatment period")
    return _Cells(
        group=np.asarray(rows_g, dtype=float),
        time=np.asarray(rows_t, dtype=float),
        att=np.asarray(att, dtype=float),
        inf=np.column_stack(infs),
        n_treated=np.asarray(n_t),
        n_control=np.asarray(n_c),
        base=np.asarray(base, dtype=float),
        reference=np.asarray(ref, dtype=bool),
    )


def _cells_frame(cells: _Cells, inference: _Inference, n_basis: int) -> pd.DataFrame:
    K = len(cells.att)
    coef = np.zeros((n_basis, K))
    coef[np.arange(K), np.arange(K)] = 1.0
    se, crit, _ = inference.se(coef)
    se = np.where(cells.reference, np.nan, se)
    out = pd.DataFrame(
        {
            "cohort": _maybe_int(cells.group),
            "time": _maybe_int(cells.time),
            "att": cells.att,
            "std_error": se,
            "ci_low": cells.att - crit * se,
            "ci_high": cells.att + crit * se,
            "event_time": _maybe_int(cells.time - cells.group),
            "n_treated": cells.n_treated,
            "n_control": cells.n_control,
            "base_period": _maybe_int(cells.base),
            "post": cells.time >= cells.group,
        }
    )
    out.attrs["ci_type"] = inference.table_ci_type()
    out.attrs["critical_value"] = crit
    return out


def _maybe_int(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        return a.astype(np.int64)
    return a


def _check_options(
    control_group: str, estimator: str, base_period: str, anticipation: Any, n_boot: Any, level: Any
) -> str:
    cg = _CONTROL_ALIASES.get(str(control_group).lower())
    if cg is None:
        raise SroiInputError(
            f"control_group must be 'never_treated' or 'not_yet_treated'; got {control_group!r}"
        )
    if estimator not in ESTIMATORS:
        raise SroiInputError(
            f"estimator must be one of {', '.join(repr(e) for e in ESTIMATORS)}; got {estimator!r}"
        )
    if base_period not in ("varying", "universal"):
        raise SroiInputError(f"base_period must be 'varying' or 'universal'; got {base_period!r}")
    if (
        isinstance(anticipation, bool)
        or not isinstance(anticipation, (int, np.integer))
        or anticipation < 0
    ):
        raise SroiInputError(
            f"anticipation must be a whole number of periods >= 0; got {anticipation!r}"
        )
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise SroiInputError(f"n_boot must be a whole number >= 0; got {n_boot!r}")
    if not isinstance(level, (int, float)) or not 0 < level < 1:
        raise SroiInputError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")
    return cg


def _resolve_seed(random_state: Any) -> int:
    if random_state is None:
        return int(np.random.default_rng().integers(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    raise SroiInputError(
        f"random_state must be an int, a numpy Generator or None; got {random_state!r}"
    )


def staggered_did(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control_group: Literal["never_treated", "not_yet_treated"] = "never_treated",
    estimator: Literal["dr", "ipw", "reg", "unconditional", "dr_imp"] = "dr",
    covariates: list[str] | None = None,
    anticipation: int = 0,
    base_period: Literal["varying", "universal"] = "varying",
    n_boot: int = 0,
    random_state: int | np.random.Generator | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    level: float = 0.95,
) -> StaggeredResult:
    """Callaway & Sant'Anna (2021) group-time average treatment effects.

    Parameters
    ----------
    panel
        Long panel, one row per unit and period.
    outcome, unit, time, cohort
        Column names. ``time`` holds integer periods; ``cohort`` the first treated
        period (0 = never treated; values after the last period count as never treated,
        as in R ``did``). The cohort must be constant within a unit (treatment does not
        switch off).
    control_group
        ``"never_treated"`` (default) or ``"not_yet_treated"`` (never treated plus units
        first treated after ``max(t, base) + anticipation``). With no never-treated units
        and ``"not_yet_treated"``, the periods from the last cohort's start (minus
        anticipation) are dropped and the last cohort serves only as comparison, as R
        ``did`` does.
    estimator
        ``"dr"`` (default; Sant'Anna & Zhao 2020 doubly robust, as R ``did``),
        ``"ipw"`` (normalised IPW, Abadie 2005), ``"reg"`` (outcome regression, Heckman,
        Ichimura & Todd 1997), ``"dr_imp"`` (improved, locally efficient DR) or
        ``"unconditional"``. Without covariates all reduce to the difference of mean
        changes. Propensity scores are trimmed at 0.995 as in R ``DRDID``.
    covariates
        Numeric columns; values are taken from the earlier period of each 2x2.
    anticipation
        Periods before ``g`` in which units may already react; the base period becomes
        ``g - 1 - anticipation``.
    base_period
        ``"varying"`` (pre-period cells compare consecutive periods; R's default) or
        ``"universal"`` (all cells against ``g - 1 - anticipation``; that reference cell
        is reported as 0 with no SE).
    n_boot
        0 (default): analytic influence-function SEs with pointwise intervals
        (``ci_type="analytic pointwise"``). ``> 0``: multiplier bootstrap with that many
        Rademacher draws, SE = IQR / (qnorm(.75) - qnorm(.25)), uniform sup-t bands for
        the tables (R ``did``'s default inference).
    random_state
        Seed of the bootstrap multipliers.
    cluster
        Column constant within units (e.g. ``school_id``) for clustered SEs / multipliers.
    weights
        Column of unit weights (constant within unit).
    level
        Confidence level.

    Returns
    -------
    StaggeredResult
        ``att_gt`` table, :meth:`~StaggeredResult.aggregate`,
        :meth:`~StaggeredResult.aggregate_effect`, :meth:`~StaggeredResult.pretrend_test`,
        :meth:`~StaggeredResult.summary` and the counted ``exclusions``.

    Notes
    -----
    Differences from R ``did`` on purpose: the default inference is analytic (pass
    ``n_boot=999`` for R's bootstrap with uniform bands); with ``cluster`` the analytic
    SE sums influence functions within clusters (R forces the bootstrap); the clustered
    bootstrap draws one multiplier per cluster applied to cluster sums (R uses cluster
    means); a covariate that makes one 2x2 singular raises an error naming the cell
    rather than returning ``NA``.
    """
    cg = _check_options(control_group, estimator, base_period, anticipation, n_boot, level)
    prep = prepare_panel(
        panel,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        covariates=covariates,
        cluster=cluster,
        weights=weights,
        anticipation=int(anticipation),
    )
    times, G, Y, X = prep.times, prep.G, prep.Y, prep.X
    notes = list(prep.notes)
    glist = np.unique(G[G > 0])
    if glist.size == 0:
        raise SroiInputError(
            f"no treated units remain (cohort column {cohort!r} is 0 for every unit kept); "
            "see the exclusions"
        )
    n_never = int(np.sum(G == 0))
    if n_never == 0:
        if cg == "never_treated":
            raise SroiInputError(
                "control_group='never_treated' but no unit is never treated (cohort 0); use "
                "control_group='not_yet_treated' or add never-treated units"
            )
        gmax = glist.max()
        keep_t = times < gmax - anticipation
        notes.append(
            f"no never-treated units: periods from {gmax - anticipation} on are dropped and "
            f"cohort {int(gmax)} serves only as a not-yet-treated comparison (as R did)"
        )
        times = times[keep_t]
        Y = Y[:, keep_t]
        if X is not None:
            X = X[:, keep_t, :]
        glist = glist[glist < gmax]
        if glist.size == 0 or times.size < 2:
            raise SroiInputError(
                "with no never-treated units there is nothing left to estimate: need at least "
                "two cohorts and two periods before the last cohort starts"
            )
    sizes = pd.Series(
        {_maybe_int(np.array([g]))[0]: int(np.sum(G == g)) for g in glist}, name="n_treated"
    )
    sizes.index.name = "cohort"
    single = sizes[sizes == 1]
    if len(single):
        warnings.warn(
            f"cohort(s) {', '.join(map(str, single.index))} have a single treated unit; "
            "their ATT(g,t) rest on one unit and their standard errors are unreliable",
            SroiWarning,
            stacklevel=2,
        )
    wts = None if weights is None else prep.w
    cells = compute_cells(
        Y,
        G,
        times,
        glist,
        X=X,
        x_time_invariant=prep.x_time_invariant,
        w=wts,
        estimator=estimator,
        control_group=cg,
        anticipation=int(anticipation),
        base_period=base_period,
    )
    n = len(G)
    codes = n_cl = None
    n_treated_cl = None
    if cluster is not None and cluster != unit:
        codes, uniq = pd.factorize(pd.Series(prep.cluster_values), sort=True)
        n_cl = len(uniq)
        n_treated_cl = int(np.unique(codes[np.isin(G, glist)]).size)
        if n_cl < 2:
            raise SroiInputError(f"cluster column {cluster!r} has a single cluster")
        if n_treated_cl < 10:
            warnings.warn(
                f"only {n_treated_cl} clusters of {cluster!r} contain treated units: clustered "
                "standard errors (analytic or multiplier bootstrap) are unreliable with fewer "
                "than 10 treated clusters; see sroi.impact.few_clusters",
                SroiWarning,
                stacklevel=2,
            )
    seed = _resolve_seed(random_state) if n_boot > 0 else None
    w_share = prep.w / np.mean(prep.w)
    basis, groups = make_basis(cells, G, w_share)
    inference = _Inference(basis, codes, n_cl, int(n_boot), seed, float(level))
    att_gt = _cells_frame(cells, inference, basis.shape[1])
    return StaggeredResult(
        att_gt=att_gt,
        outcome=outcome,
        estimator=estimator,
        control_group=cg,
        base_period=base_period,
        anticipation=int(anticipation),
        n_units=n,
        n_treated=int(np.sum(np.isin(G, glist))),
        n_never_treated=n_never,
        cohort_sizes=sizes,
        exclusions=prep.exclusions,
        notes=tuple(notes),
        level=float(level),
        n_boot=int(n_boot),
        cluster=cluster if codes is not None else None,
        n_clusters=n_cl,
        n_treated_clusters=n_treated_cl,
        seed=seed,
        _cells=cells,
        _G=G,
        _w=w_share,
        _groups=groups,
        _inference=inference,
        _tmax=float(times.max()),
        _tmin=float(times.min()),
    )
