"""Aggregations of group-time ATT(g,t) (Callaway & Sant'Anna 2021, Section 3; R ``did::aggte``).

* ``simple``: ``sum_{g,t>=g} P(G=g) ATT(g,t) / sum P(G=g)``. It averages over all
  post-treatment cells, so cohorts treated early (observed for more post periods) get more
  weight: it **over-weights early cohorts**. The report's headline uses ``group``.
* ``group``: ``theta(g) = mean_{t>=g} ATT(g,t)``, overall ``sum_g P(G=g|treated) theta(g)``.
* ``dynamic``: ``theta(e) = sum_g P(G=g | G+e observed) ATT(g, g+e)``, overall mean of
  ``theta(e)`` over ``e >= 0``.
* ``calendar``: ``theta(t) = sum_{g<=t} P(G=g | G<=t) ATT(g,t)``, overall mean over t.

An aggregation's influence function is a coefficient vector over the basis
(:func:`sroi.impact.staggered.cells.make_basis`). For weights ``p_k / sum_j p_j`` on cells
``k`` with estimated cohort shares ``p_k = mean(w 1{G = g_k})``, the weight-estimation term of
R ``did`` (``wif``) adds ``sum_k att_k [ (C_{g_k} - p_k)/s - sum_j (C_{g_j} - p_j) p_k / s^2 ]``
with ``s = sum_j p_j`` and ``C_g = w 1{G = g}``; the constant terms cancel, leaving
coefficients on the indicator columns only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.impact.staggered.cell_inference import CellInference
from sroi.impact.staggered.cells import GroupTimeCells, maybe_int

__all__ = ["KINDS", "SIMPLE_NOTE", "Aggregation", "AggregateParts", "CellAggregator"]

KINDS = ("group", "simple", "dynamic", "calendar")

SIMPLE_NOTE = (
    "'simple' averages all post-treatment ATT(g,t) cells weighted by cohort size, so "
    "cohorts treated early (with more post-treatment periods) get more weight; the "
    "report's headline uses the 'group' aggregation"
)

_KEY = {"group": "cohort", "dynamic": "event time", "calendar": "period"}


@dataclass(frozen=True)
class Aggregation:
    """One aggregation of the ATT(g,t): the overall effect and, but for ``simple``, a table.

    Attributes
    ----------
    kind
        ``"group"``, ``"simple"``, ``"dynamic"`` or ``"calendar"``.
    overall
        The overall effect of the aggregation.
    table
        One row per cohort (``group``), event time (``dynamic``) or period (``calendar``):
        the key column (``cohort``, ``event_time`` or ``time``), ``att, std_error, ci_low,
        ci_high, p_value`` and ``n_treated`` (``group``) or ``n_cohorts``; the interval type
        and critical value are in ``table.attrs``. ``None`` for ``simple``.
    """

    kind: str
    overall: Effect
    table: pd.DataFrame | None

    def summary(self) -> str:
        """Readable summary: the overall effect, then the table."""
        e = self.overall
        lines = [
            f"{e.estimand} on {e.outcome or 'the outcome'}: {e.estimate:.4f} "
            f"(SE {e.std_error:.4f}, {int(round(e.level * 100))}% CI "
            f"[{e.ci_low:.4f}, {e.ci_high:.4f}]; {e.ci_type})"
        ]
        if self.table is not None:
            ci_type = self.table.attrs.get("ci_type", "")
            lines.append(f"  by {_KEY[self.kind]} ({ci_type}):")
            text = self.table.to_string(index=False, float_format=lambda v: f"{v: .4f}")
            lines.extend("  " + line for line in text.splitlines())
        lines.extend(f"  note: {n}" for n in e.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class AggregateParts:
    """An aggregation before it becomes an :class:`Aggregation` (estimate and basis coefficients)."""

    kind: str
    estimate: float
    coef: np.ndarray
    estimand: str
    n_treated: int
    table: pd.DataFrame | None = None


class CellAggregator:
    """Aggregates ATT(g,t) cells with weights estimated from cohort shares.

    Parameters
    ----------
    cells
        The group-time cells.
    G
        Cohort of each unit (0 = comparison).
    w
        Unit weights for the cohort shares.
    groups
        Cohorts of the basis indicator columns (sorted).
    inference
        Standard errors for combinations of the basis.
    tmin, tmax
        First and last period of the panel (``balance_e`` of the dynamic aggregation).
    """

    def __init__(
        self,
        cells: GroupTimeCells,
        G: np.ndarray,
        w: np.ndarray,
        groups: np.ndarray,
        inference: CellInference,
        tmin: float,
        tmax: float,
    ) -> None:
        self.cells = cells
        self.G = G
        self.w = w
        self.groups = groups
        self.inference = inference
        self.tmin = tmin
        self.tmax = tmax

    # ------------------------------------------------------------------ helpers
    @property
    def n_basis(self) -> int:
        """Columns of the basis: the cells, then one indicator per cohort."""
        return len(self.cells.att) + len(self.groups)

    def share(self, g: float) -> float:
        """Estimated cohort share ``mean(w 1{G = g})``."""
        return float(np.mean(self.w * (self.G == g)))

    def cell_shares(self) -> np.ndarray:
        """Cohort share of each cell's cohort."""
        pg = {g: self.share(g) for g in np.unique(self.cells.group)}
        return np.array([pg[g] for g in self.cells.group])

    def wif_coef(self, groups: np.ndarray, pk: np.ndarray, att: np.ndarray) -> np.ndarray:
        """Basis coefficients of ``wif @ att`` for weights ``pk / sum(pk)`` on ``groups``."""
        coef = np.zeros(self.n_basis)
        s = np.sum(pk)
        a = np.sum(att * pk) / s**2
        col = len(self.cells.att) + np.searchsorted(self.groups, groups)
        np.add.at(coef, col, att / s - a)
        return coef

    def combine(
        self, keep: np.ndarray, weights: np.ndarray, with_wif: bool
    ) -> tuple[float, np.ndarray]:
        """Weighted sum of the cells ``keep`` and its basis coefficients."""
        c = self.cells
        est = float(np.sum(weights * c.att[keep]))
        coef = np.zeros(self.n_basis)
        coef[keep] = weights
        if with_wif:
            pg = self.cell_shares()
            coef += self.wif_coef(c.group[keep], pg[keep], c.att[keep])
        return est, coef

    def table(
        self,
        key_name: str,
        keys: list[Any],
        ests: list[float],
        coefs: list[np.ndarray],
        extra: dict,
    ) -> pd.DataFrame:
        """Table of aggregated estimates with standard errors, intervals and p-values."""
        if not keys:
            raise SroiInputError(
                f"no ATT(g,t) cells fall in the requested {key_name} range; widen min_e/max_e"
            )
        est = np.asarray(ests, dtype=float)
        se, crit, _ = self.inference.se(np.column_stack(coefs))
        out = pd.DataFrame(
            {key_name: maybe_int(np.asarray(keys, dtype=float)), "att": est, "std_error": se}
        )
        out["ci_low"] = est - crit * se
        out["ci_high"] = est + crit * se
        with np.errstate(invalid="ignore", divide="ignore"):
            out["p_value"] = self.inference.p_values(est / se)
        for k, v in extra.items():
            out[k] = v
        out.attrs["ci_type"] = self.inference.table_ci_type()
        out.attrs["critical_value"] = crit
        return out

    def post_mask(self, max_e: float | None) -> np.ndarray:
        """Post-treatment cells, up to ``max_e`` periods after treatment."""
        c = self.cells
        me = np.inf if max_e is None else max_e
        return (c.group <= c.time) & (c.time <= c.group + me)

    def n_treated_in(self, groups: np.ndarray) -> int:
        """Treated units in the cohorts ``groups``."""
        return int(np.sum(np.isin(self.G, groups) & (self.G > 0)))

    # ------------------------------------------------------------------ aggregations
    def aggregate(
        self,
        kind: str,
        min_e: float | None = None,
        max_e: float | None = None,
        balance_e: int | None = None,
    ) -> AggregateParts:
        """The aggregation ``kind`` (see the module notes)."""
        if kind == "simple":
            return self.simple(max_e)
        if kind == "group":
            return self.group(max_e)
        if kind == "dynamic":
            return self.dynamic(min_e, max_e, balance_e)
        if kind == "calendar":
            return self.calendar()
        raise SroiInputError(
            f"aggregate: kind must be 'simple', 'group', 'calendar' or 'dynamic'; got {kind!r}"
        )

    def simple(self, max_e: float | None) -> AggregateParts:
        """All post-treatment cells weighted by cohort share."""
        c = self.cells
        keep = np.flatnonzero(self.post_mask(max_e))
        if keep.size == 0:
            raise SroiInputError("no post-treatment ATT(g,t) cells to aggregate")
        pg = self.cell_shares()
        est, coef = self.combine(keep, pg[keep] / np.sum(pg[keep]), with_wif=True)
        n_t = self.n_treated_in(np.unique(c.group[keep]))
        return AggregateParts("simple", est, coef, "ATT (simple aggregation)", n_t)

    def group(self, max_e: float | None) -> AggregateParts:
        """Each cohort's mean post-treatment effect, then their share-weighted mean."""
        c = self.cells
        post = self.post_mask(max_e)
        groups = np.array([g for g in np.unique(c.group) if np.any(post & (c.group == g))])
        if groups.size == 0:
            raise SroiInputError("no post-treatment ATT(g,t) cells to aggregate by cohort")
        ests, coefs, sizes = [], [], []
        for g in groups:
            keep = np.flatnonzero(post & (c.group == g))
            e, f = self.combine(keep, np.full(keep.size, 1.0 / keep.size), with_wif=False)
            ests.append(e)
            coefs.append(f)
            sizes.append(int(np.sum(self.G == g)))
        table = self.table("cohort", list(groups), ests, coefs, {"n_treated": sizes})
        pgg = np.array([self.share(g) for g in groups])
        att_g = np.asarray(ests)
        wts = pgg / np.sum(pgg)
        coef = np.column_stack(coefs) @ wts + self.wif_coef(groups, pgg, att_g)
        overall = float(np.sum(wts * att_g))
        return AggregateParts(
            "group", overall, coef, "ATT (group aggregation)", int(np.sum(sizes)), table
        )

    def _event_times(
        self, min_e: float | None, max_e: float | None, balance_e: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Event times to report and the cells that may enter them."""
        c = self.cells
        e_all = c.time - c.group
        include = np.ones(len(e_all), dtype=bool)
        eseq = np.unique(e_all)
        if balance_e is not None:
            include = (self.tmax - c.group) >= balance_e
            eseq = np.unique(e_all[include])
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - self.tmax + self.tmin)]
        lo = -np.inf if min_e is None else min_e
        hi = np.inf if max_e is None else max_e
        return eseq[(eseq >= lo) & (eseq <= hi)], include

    def dynamic(
        self, min_e: float | None, max_e: float | None, balance_e: int | None
    ) -> AggregateParts:
        """Effects by event time ``e = t - g``; overall the mean over ``e >= 0``."""
        c = self.cells
        e_all = c.time - c.group
        eseq, include = self._event_times(min_e, max_e, balance_e)
        pg = self.cell_shares()
        ests, coefs, ncoh = [], [], []
        for e in eseq:
            keep = np.flatnonzero((e_all == e) & include)
            est, coef = self.combine(keep, pg[keep] / np.sum(pg[keep]), with_wif=True)
            ests.append(est)
            coefs.append(coef)
            ncoh.append(int(keep.size))
        table = self.table("event_time", list(eseq), ests, coefs, {"n_cohorts": ncoh})
        epos = eseq >= 0
        if not epos.any():
            raise SroiInputError(
                "no event times e >= 0 in range: the overall dynamic effect needs some"
            )
        att_e = np.asarray(ests)[epos]
        coef = np.column_stack(coefs)[:, epos] @ np.full(att_e.size, 1.0 / att_e.size)
        groups = np.unique(c.group[np.isin(e_all, eseq[epos]) & include])
        return AggregateParts(
            "dynamic",
            float(np.mean(att_e)),
            coef,
            "ATT (dynamic aggregation, mean over e >= 0)",
            self.n_treated_in(groups),
            table,
        )

    def calendar(self) -> AggregateParts:
        """Effects by calendar period; overall their mean."""
        c = self.cells
        pg = self.cell_shares()
        ests, coefs, ncoh, keep_t = [], [], [], []
        for t in np.unique(c.time[c.time >= c.group.min()]):
            keep = np.flatnonzero((c.time == t) & (c.group <= t))
            if keep.size == 0:
                continue
            est, coef = self.combine(keep, pg[keep] / np.sum(pg[keep]), with_wif=True)
            ests.append(est)
            coefs.append(coef)
            ncoh.append(int(keep.size))
            keep_t.append(t)
        table = self.table("time", keep_t, ests, coefs, {"n_cohorts": ncoh})
        att_t = np.asarray(ests)
        coef = np.column_stack(coefs) @ np.full(att_t.size, 1.0 / att_t.size)
        return AggregateParts(
            "calendar",
            float(np.mean(att_t)),
            coef,
            "ATT (calendar aggregation)",
            self.n_treated_in(np.unique(c.group)),
            table,
        )
