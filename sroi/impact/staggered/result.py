"""The result base shared by plain and matched staggered DiD: aggregations and pre-trend test."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.inference.few_clusters import wild_score_bootstrap
from sroi.impact.pretrend import PretrendTest, pretrend_wald
from sroi.impact.staggered.aggregation import (
    SIMPLE_NOTE,
    AggregateParts,
    Aggregation,
    CellAggregator,
)
from sroi.impact.staggered.cell_inference import SE_TINY
from sroi.impact.staggered.cells import maybe_int
from sroi.impact.staggered.randomization import (
    RandomizationTest,
    Reassignment,
    run_randomization,
)

__all__ = ["AggregationKind", "StaggeredResultBase"]

AggregationKind = Literal["group", "simple", "dynamic", "calendar"]


@dataclass(eq=False)
class StaggeredResultBase:
    """Group-time ATT(g,t) with their aggregations (Callaway & Sant'Anna 2021).

    Attributes
    ----------
    att_gt
        One row per cohort x period: ``cohort, time, att, std_error, ci_low, ci_high,
        event_time, n_treated, n_control, base_period, post`` (``ci_type`` in
        ``att_gt.attrs``).
    outcome, estimator, anticipation
        The outcome column, the 2x2 estimator and the anticipation periods.
    n_units, n_treated
        Units used and treated units among them.
    exclusions
        Units (and rows) left out, by reason: ``reason, column, n_rows, n_units``.
    notes
        Caveats, in words.
    level
        Confidence level.
    cluster, n_clusters, n_treated_clusters
        Clustering of the standard errors.
    aggregator
        The cells, cohort shares and inference behind :meth:`aggregate`.
    cluster_reason
        Why the standard errors are clustered at that level, in one sentence.
    critical_reason
        Which critical values the Wald intervals use and why, in one sentence
        (``small_sample=``).
    reassignment
        Assignment, clusters and re-estimation for :meth:`randomization_test`.
    n_units_dropped_unbalanced
        Units dropped because they were not observed in every period (the default balanced
        panel; also a row of ``exclusions``). 0 with ``allow_unbalanced_panel=True``.
    n_units_partial
        Units kept although observed in only some periods (``allow_unbalanced_panel=True``;
        their 2x2s are repeated cross-section estimators).
    """

    att_gt: pd.DataFrame
    outcome: str
    estimator: str
    anticipation: int
    n_units: int
    n_treated: int
    exclusions: pd.DataFrame
    notes: tuple[str, ...]
    level: float
    cluster: str | None
    n_clusters: int | None
    n_treated_clusters: int | None
    aggregator: CellAggregator = field(repr=False)
    cluster_reason: str = field(default="", kw_only=True)
    critical_reason: str = field(default="", kw_only=True)
    reassignment: Reassignment | None = field(default=None, repr=False, kw_only=True)
    n_units_dropped_unbalanced: int = field(default=0, kw_only=True)
    n_units_partial: int = field(default=0, kw_only=True)

    # ------------------------------------------------------------------ subclass hooks
    def _method(self) -> str:
        raise NotImplementedError

    def _effect_kwargs(self) -> dict[str, Any]:
        raise NotImplementedError

    # ------------------------------------------------------------------ public
    @property
    def ci_type(self) -> str:
        """Interval type of the tables (analytic pointwise, or bootstrap uniform band)."""
        return self.aggregator.inference.table_ci_type()

    @property
    def influence_functions(self) -> np.ndarray:
        """Influence functions, ``n_units x len(att_gt)``."""
        return self.aggregator.cells.inf

    def aggregate(
        self,
        kind: AggregationKind = "group",
        min_e: float | None = None,
        max_e: float | None = None,
        balance_e: int | None = None,
    ) -> Aggregation:
        """Aggregate the ATT(g,t) as R ``did::aggte`` does.

        Parameters
        ----------
        kind
            ``"group"`` (the headline: each cohort's mean post-treatment effect, weighted by
            cohort size), ``"dynamic"`` (by event time; overall the mean over ``e >= 0``),
            ``"calendar"`` (by period; overall the mean over periods) or ``"simple"``
            (all post-treatment cells weighted by cohort size; it over-weights early
            cohorts, prefer ``"group"``).
        min_e, max_e
            Event-time limits (``dynamic``; ``max_e`` also limits ``simple`` and
            ``group`` to ``t <= g + max_e``, as R ``did``).
        balance_e
            ``dynamic`` only: keep cohorts observed for at least ``balance_e`` periods
            after treatment, and event times ``e <= balance_e``, so the composition of
            cohorts does not change with ``e``.

        Returns
        -------
        Aggregation
            ``overall`` (an :class:`sroi.Effect`) and ``table`` (one row per cohort, event
            time or period; ``None`` for ``"simple"``).
        """
        parts = self.aggregator.aggregate(kind, min_e, max_e, balance_e)
        overall = self._effect(parts)
        if kind == "simple":
            overall = overall.with_(notes=(*overall.notes, SIMPLE_NOTE))
        return Aggregation(kind=parts.kind, overall=overall, table=parts.table)

    def aggregate_effect(
        self,
        kind: AggregationKind = "group",
        min_e: float | None = None,
        max_e: float | None = None,
        balance_e: int | None = None,
    ) -> Effect:
        """The overall effect of :meth:`aggregate` (same arguments) as an :class:`sroi.Effect`."""
        return self.aggregate(kind, min_e, max_e, balance_e).overall

    def wild_bootstrap(
        self,
        kind: AggregationKind = "group",
        n_boot: int = 9999,
        weights: str = "webb",
        random_state: int | np.random.Generator = 0,
    ) -> Effect:
        """Cluster wild bootstrap-t of an aggregated ATT (score bootstrap at cluster level).

        Draws one weight per cluster (school) on the cluster sums of the aggregation's
        influence function and studentises each draw; the interval is the symmetric
        bootstrap-t interval (see
        :func:`sroi.impact.inference.few_clusters.wild_score_bootstrap`; Cameron, Gelbach &
        Miller 2008; Kline & Santos 2012; MacKinnon & Webb 2018). Without coarser clustering
        the units are the clusters.

        Parameters
        ----------
        kind
            Aggregation (as :meth:`aggregate`).
        n_boot
            Bootstrap draws (at least 99).
        weights
            ``"webb"`` (six-point, default) or ``"rademacher"``.
        random_state
            Seed of the weights.

        Returns
        -------
        Effect
            The aggregated effect with the bootstrap-t interval and p-value
            (``ci_type="wild cluster bootstrap-t (...)"``; ``extra["critical_value"]``).
        """
        agg = self.aggregator
        inf = agg.inference
        parts = agg.aggregate(kind)
        scores = inf.S @ parts.coef
        if inf.codes is None:
            sizes = np.ones(scores.size)
        else:
            sizes = np.bincount(inf.codes, minlength=scores.size).astype(float)
        wb = wild_score_bootstrap(
            parts.estimate,
            scores,
            sizes,
            level=inf.level,
            n_boot=n_boot,
            weights=weights,
            random_state=random_state,
        )
        base = self._effect(parts)
        return base.with_(
            ci_low=wb.ci_low,
            ci_high=wb.ci_high,
            p_value=wb.p_value,
            ci_type=f"wild cluster bootstrap-t ({weights} weights, {wb.n_clusters} clusters)",
            draws=None,
            extra={**base.extra, "critical_value": wb.critical_value, "n_boot_wild": n_boot},
        )

    def randomization_test(
        self,
        kind: AggregationKind = "group",
        n_perm: int = 199,
        random_state: int | np.random.Generator | None = 0,
    ) -> RandomizationTest:
        """Randomisation p-value over the clusters' (schools') programme assignment.

        Each permutation hands every programme school's assignment to a school drawn at
        random and re-estimates the aggregation with the same design (see
        :mod:`sroi.impact.staggered.randomization`; Young 2019; MacKinnon & Webb 2020).

        Parameters
        ----------
        kind
            Aggregation tested (default the headline ``"group"``).
        n_perm
            Permutations (at least 19; each re-runs the estimator, and the matched design
            re-runs the matching).
        random_state
            Seed of the permutations.

        Returns
        -------
        RandomizationTest
            Observed estimate, p-value and permutation draws.
        """
        if self.reassignment is None:
            raise SroiInputError("this result holds no design to re-estimate")
        est = self.aggregator.aggregate(kind).estimate
        name = self.cluster or "units"
        return run_randomization(self.reassignment, est, kind, name, n_perm, random_state)

    def pretrend_test(self) -> PretrendTest:
        """Joint Wald test of parallel pre-trends on the pre-period ATT(g,t).

        Uses the cells with ``t < g - anticipation`` (universal-base reference cells, fixed
        at zero, are left out) and their analytic influence-function covariance (clustered
        when the result is clustered), as R ``did``'s ``att_gt`` does:
        ``W = a' V^{-1} a ~ chi2(q)``.

        Returns
        -------
        PretrendTest
            With the tested cells (``cohort``, ``time``, ``estimate``) in ``estimates``.
        """
        agg = self.aggregator
        c = agg.cells
        pre = np.flatnonzero((c.time < c.group - self.anticipation) & ~c.reference)
        if pre.size == 0:
            raise SroiInputError(
                "no pre-treatment ATT(g,t) to test: every cohort has a single pre-period "
                "(with base_period='universal' that period is the reference)"
            )
        coef = np.zeros((agg.n_basis, pre.size))
        coef[pre, np.arange(pre.size)] = 1.0
        V = agg.inference.vcov(coef)
        ok = np.diag(V) > SE_TINY**2
        pre = pre[ok]
        V = V[np.ix_(ok, ok)]
        if pre.size == 0:
            raise SroiInputError("the pre-treatment ATT(g,t) all have zero variance")
        if 1.0 / np.linalg.cond(V) <= np.finfo(float).eps:
            raise SroiInputError(
                "the covariance of the pre-treatment ATT(g,t) is singular; the Wald test "
                "cannot be computed"
            )
        self._warn_few_clusters(int(pre.size))
        keys = pd.DataFrame({"cohort": maybe_int(c.group[pre]), "time": maybe_int(c.time[pre])})
        return pretrend_wald(
            c.att[pre], V, method="joint Wald test of pre-period ATT(g,t)", keys=keys
        )

    # ------------------------------------------------------------------ helpers
    def _warn_few_clusters(self, q: int) -> None:
        n_tc = self.n_treated_clusters
        if self.aggregator.inference.codes is not None and n_tc is not None and n_tc <= q:
            warnings.warn(
                f"pre-trend test: {q} pre-period ATT(g,t) but only {n_tc} clusters with treated "
                "units; the clustered covariance is close to singular and the test over-rejects. "
                "Read the pre-period estimates and their intervals instead",
                SroiWarning,
                stacklevel=3,
            )

    def _effect(self, parts: AggregateParts) -> Effect:
        inference = self.aggregator.inference
        se, _, draws = inference.se(parts.coef)
        se0 = float(se[0]) if np.isfinite(se[0]) else 0.0
        eff = Effect.from_estimate(
            parts.estimate,
            se0,
            df=inference.df,
            level=inference.level,
            estimand=parts.estimand,
            outcome=self.outcome,
            ci_type=inference.scalar_ci_type(),
            n_treated=int(parts.n_treated),
            **self._effect_kwargs(),
        )
        facts = {
            "cluster_reason": self.cluster_reason,
            "critical_reason": self.critical_reason,
            "df": inference.df,
        }
        eff = eff.with_(extra={**eff.extra, **facts})
        if draws is not None:
            eff = eff.with_(draws=parts.estimate + draws[:, 0])
        return eff

    def _summary_tail(self) -> list[str]:
        """Exclusions, notes, the group aggregation and the pre-trend test, as lines."""
        lines = [
            f"  excluded: {r.n_units} units ({r.n_rows} rows): {r.reason}"
            for r in self.exclusions.itertuples()
        ]
        lines.extend(f"  note: {n}" for n in self.notes)
        eff = self.aggregate_effect("group")
        lines.append(
            f"  ATT (group aggregation) {eff.estimate:.4f} (SE {eff.std_error:.4f}, "
            f"{int(round(eff.level * 100))}% CI [{eff.ci_low:.4f}, {eff.ci_high:.4f}])"
        )
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                lines.append("  " + str(self.pretrend_test()))
            lines.extend(f"    warning: {w.message}" for w in caught)
        except SroiInputError as err:
            lines.append(f"  pre-trend test unavailable: {err}")
        return lines

    def __str__(self) -> str:  # pragma: no cover - thin wrapper
        return self.summary()

    def summary(self) -> str:
        """Readable summary (subclasses add their design lines)."""
        raise NotImplementedError
