"""Greedy nearest-neighbour matching with the semantics of R MatchIt 4.x.

The algorithms reproduce MatchIt's ``method = "nearest"`` (Ho, Imai, King & Stuart 2011;
MatchIt 4.x) so that the same distance gives the same matched sets:

* treated units are matched one at a time in ``order`` (the position of each treated unit in
  the ordered list); with ``ratio = k`` matching proceeds in rounds, every treated unit
  getting its first match before any gets its second;
* the eligible control nearest to the treated unit is taken (``|d_t - d_c|`` for a scalar
  distance such as the propensity score, Euclidean distance in the transformed space for
  Mahalanobis); ties go to the control that comes first in the data, as in MatchIt's general
  routine ``nn_matchC``;
* a control is eligible when it is not discarded, in the same exact-matching stratum, within
  the distance caliper (``|d_t - d_c| <= caliper``) and within every covariate caliper; without
  replacement it must also be unused; with replacement it must not already be matched to the
  same treated unit.

Deliberate difference: MatchIt 4.5.1's specialised routine for a scalar distance
(``nn_matchC_vec``) computes ``|d_t - d_c|`` with an integer ``abs()`` in the build tested
here, so it takes the next control below each treated unit and ignores calipers on the score
scale; we implement the documented rule instead (see tests/fixtures/matchit/make_fixtures.R).

Speed: memory is never O(treated x controls). For a scalar distance the candidates are found
through the sorted order (binary search plus "next available" pointers with path
compression); for Mahalanobis a k-d tree proposes candidates that are then checked exactly
(distances equal within a relative 1e-10 count as ties).
The greedy sequence is inherently sequential, so there is one Python step per treated unit
and round; each step is O(log n) amortised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sroi._sorting import stable_argsort

__all__ = ["match_scalar", "match_multivariate"]


def match_scalar(
    distance: np.ndarray,
    treat: np.ndarray,
    order: np.ndarray,
    ratio: int,
    *,
    replace: bool = False,
    discarded: np.ndarray | None = None,
    caliper: float | None = None,
    cov_values: np.ndarray | None = None,
    cov_calipers: np.ndarray | None = None,
) -> np.ndarray:
    """Nearest-neighbour matching on a scalar distance within one stratum.

    The nearest eligible control minimises ``|d_t - d_c|``; among equally near controls the
    one first in the data wins. Controls are visited through two sorted traversals from the
    treated unit's score: upwards (``d_c >= d_t``, by value then data order) and downwards
    (``d_c < d_t``, by decreasing value then data order), each with "next available" pointers
    (union-find with path compression), so each match costs O(log n) amortised.

    Parameters
    ----------
    distance
        Distance measure for every unit (e.g. propensity score), shape ``(n,)``.
    treat
        0/1 indicator, shape ``(n,)``.
    order
        Positions (0..n1-1, among the treated in data order) giving the matching order.
    ratio
        Matches per treated unit.
    replace
        Match with replacement (then ``order`` does not matter).
    discarded
        Units excluded from matching (treated are not matched; controls are not used).
    caliper
        Maximum ``|d_t - d_c|`` on the distance scale, or ``None``.
    cov_values, cov_calipers
        Covariate values ``(n, p)`` and caliper widths ``(p,)`` (raw units).

    Returns
    -------
    ``(n1, ratio)`` integer array of control row positions (0..n-1), ``-1`` where unmatched.
    """
    d = np.asarray(distance, dtype=float)
    t = np.asarray(treat).astype(bool)
    n = len(d)
    disc = np.zeros(n, bool) if discarded is None else np.asarray(discarded, bool)
    ind1 = np.flatnonzero(t)
    mm = np.full((len(ind1), ratio), -1, dtype=np.int64)
    ctrl = np.flatnonzero(~t & ~disc)
    if len(ctrl) == 0 or len(ind1) == 0:
        return mm
    tr = _Traversals.build(d, ctrl, d[ind1])
    cal = np.inf if caliper is None else float(caliper)
    use_cov = cov_values is not None and cov_calipers is not None and len(cov_calipers) > 0
    cv = np.asarray(cov_values, dtype=float) if use_cov else None
    cw = np.asarray(cov_calipers, dtype=float) if use_cov else None
    skip = disc[ind1]
    if replace:
        return _match_scalar_replace(
            d[ind1], ind1, tr.up, tr.down, tr.up0, tr.down0, d, ratio, skip, cal, cv, cw
        )
    return _match_scalar_greedy(tr, d[ind1], ind1, n, order, ratio, skip, cal, cv, cw)


@dataclass(frozen=True)
class _Traversals:
    """Controls sorted upwards and downwards by distance (ties in data order).

    ``up0[i]`` is the first position with ``d_c >= d_t`` in the upward order and
    ``down0[i]`` the first with ``d_c < d_t`` in the downward order, for treated unit ``i``.
    ``mirrored``: no distances tie, so the downward order is the upward one reversed.
    """

    up: np.ndarray
    down: np.ndarray
    d_up: np.ndarray
    d_down: np.ndarray
    up0: np.ndarray
    down0: np.ndarray
    mirrored: bool

    @classmethod
    def build(cls, d: np.ndarray, ctrl: np.ndarray, dt: np.ndarray) -> _Traversals:
        """Sort the controls ``ctrl`` (in data order) by ``d`` and locate each treated ``dt``."""
        nc = len(ctrl)
        dc = d[ctrl]
        # ctrl is in data order, so stable sorts keep data order within equal values
        up = ctrl[stable_argsort(dc)]  # ascending value, then data order
        d_up = d[up]
        mirrored = not np.any(d_up[1:] == d_up[:-1])
        if not mirrored:
            down = ctrl[stable_argsort(-dc)]  # descending value, then data order
            d_down = d[down]
        else:  # no ties: simply the reverse (views, no copy)
            down, d_down = up[::-1], d_up[::-1]
        up0 = np.searchsorted(d_up, dt, side="left")  # first control with d_c >= d_t
        return cls(up, down, d_up, d_down, up0, nc - up0, mirrored)


def _next_eligible(
    par: np.ndarray,
    start: int,
    seq: np.ndarray,
    dseq: np.ndarray,
    dti: float,
    upward: bool,
    cal: float,
    cv: np.ndarray | None,
    cw: np.ndarray | None,
    ti_cov: np.ndarray | None,
) -> int:
    """First available position from ``start`` within the calipers (``len(seq)`` if none).

    ``seq``/``dseq`` are the controls and their distances in traversal order (upwards or
    downwards from the treated unit's ``dti``); the gap ``|d_c - d_t|`` grows along the
    traversal, so the search stops at the first control beyond ``cal``.
    """
    nc = len(seq)
    k = _find(par, start)
    while k < nc:
        gap = float(dseq[k]) - dti if upward else dti - float(dseq[k])
        if gap > cal:
            return nc
        if cv is not None and np.any(np.abs(cv[seq[k]] - ti_cov) > cw):
            k = _find(par, k + 1)
            continue
        return k
    return nc


def _match_scalar_greedy(
    tr: _Traversals,
    dt: np.ndarray,
    ind1: np.ndarray,
    n: int,
    order: np.ndarray,
    ratio: int,
    skip: np.ndarray,
    cal: float,
    cv: np.ndarray | None,
    cw: np.ndarray | None,
) -> np.ndarray:
    """Without replacement: greedy in ``order``, in rounds for ``ratio > 1``."""
    up, down, d_up, d_down = tr.up, tr.down, tr.d_up, tr.d_down
    nc = len(up)
    mm = np.full((len(ind1), ratio), -1, dtype=np.int64)
    pos_up = np.empty(n, dtype=np.int64)
    pos_up[up] = np.arange(nc)
    pos_down = None
    if not tr.mirrored:
        pos_down = np.empty(n, dtype=np.int64)
        pos_down[down] = np.arange(nc)
    par_up = np.arange(nc + 1)  # next available position >= j; nc = none
    par_down = np.arange(nc + 1)
    remaining = nc
    order_l = np.asarray(order, dtype=np.int64).tolist()
    for r in range(ratio):
        for i in order_l:
            if skip[i]:
                continue
            dti = float(dt[i])
            ti_cov = cv[ind1[i]] if cv is not None else None
            ku = _next_eligible(par_up, int(tr.up0[i]), up, d_up, dti, True, cal, cv, cw, ti_cov)
            kd = _next_eligible(
                par_down, int(tr.down0[i]), down, d_down, dti, False, cal, cv, cw, ti_cov
            )
            if ku < nc and kd < nc:
                du, dd = float(d_up[ku]) - dti, dti - float(d_down[kd])
                c = int(up[ku]) if du < dd or (du == dd and up[ku] < down[kd]) else int(down[kd])
            elif ku < nc:
                c = int(up[ku])
            elif kd < nc:
                c = int(down[kd])
            else:
                continue
            mm[i, r] = c
            pu_ = int(pos_up[c])
            pd_ = nc - 1 - pu_ if pos_down is None else int(pos_down[c])
            par_up[pu_] = pu_ + 1
            par_down[pd_] = pd_ + 1
            remaining -= 1
            if remaining == 0:
                return mm
    return mm


def _find(parent: np.ndarray, j: int) -> int:
    """Union-find root (the next available position >= j) with path compression."""
    root = j
    nxt = int(parent[root])
    while nxt != root:
        root = nxt
        nxt = int(parent[root])
    while j != root:
        nxt = int(parent[j])
        parent[j] = root
        j = nxt
    return root


def _match_scalar_replace(
    dt: np.ndarray,
    ind1: np.ndarray,
    up: np.ndarray,
    down: np.ndarray,
    up0: np.ndarray,
    down0: np.ndarray,
    d: np.ndarray,
    ratio: int,
    skip: np.ndarray,
    cal: float,
    cv: np.ndarray | None,
    cw: np.ndarray | None,
) -> np.ndarray:
    """With replacement: each treated unit takes its ``ratio`` nearest eligible controls.

    The upward and downward traversals are merged (ties to the control first in the data),
    vectorised over treated units.
    """
    n1 = len(dt)
    nc = len(up)
    mm = np.full((n1, ratio), -1, dtype=np.int64)
    pu = up0.copy()
    pd_ = down0.copy()
    active = np.flatnonzero(~skip)

    def advance(p: np.ndarray, seq: np.ndarray, sign: float) -> None:
        if cv is None:
            return
        todo = active
        while len(todo):
            pp = p[todo]
            inside = pp < nc
            todo, pp = todo[inside], pp[inside]
            if not len(todo):
                break
            c = seq[pp]
            ok = np.all(np.abs(cv[c] - cv[ind1[todo]]) <= cw, axis=1)
            far = sign * (d[c] - dt[todo]) > cal
            todo = todo[~ok & ~far]
            p[todo] += 1

    for r in range(ratio):
        advance(pu, up, 1.0)
        advance(pd_, down, -1.0)
        uok = np.zeros(n1, bool)
        dok = np.zeros(n1, bool)
        uok[active] = pu[active] < nc
        dok[active] = pd_[active] < nc
        cu = np.where(uok, up[np.minimum(pu, nc - 1)], -1)
        cd = np.where(dok, down[np.minimum(pd_, nc - 1)], -1)
        du = np.where(uok, d[cu] - dt, np.inf)
        dd = np.where(dok, dt - d[cd], np.inf)
        uok &= du <= cal
        dok &= dd <= cal
        take_u = uok & (~dok | (du < dd) | ((du == dd) & (cu < cd)))
        take_d = dok & ~take_u
        mm[take_u, r] = cu[take_u]
        mm[take_d, r] = cd[take_d]
        pu[take_u] += 1
        pd_[take_d] += 1
    return mm


_TIE_RTOL = 1e-10


def _pick(cand: np.ndarray, dist: np.ndarray, need: int) -> np.ndarray:
    """Return the ``need`` nearest candidates, ties to the candidate first in the data.

    Distances equal within a relative 1e-10 (rounding noise) count as ties.
    """
    out = []
    cand = cand.copy()
    dist = dist.copy()
    for _ in range(min(need, len(cand))):
        dmin = dist.min()
        tie = dist <= dmin * (1 + _TIE_RTOL) + 1e-300
        j = np.flatnonzero(tie)[np.argmin(cand[tie])]
        out.append(cand[j])
        cand = np.delete(cand, j)
        dist = np.delete(dist, j)
    return np.asarray(out, dtype=np.int64)


def match_multivariate(
    Z: np.ndarray,
    treat: np.ndarray,
    order: np.ndarray,
    ratio: int,
    *,
    replace: bool = False,
    discarded: np.ndarray | None = None,
    distance: np.ndarray | None = None,
    caliper: float | None = None,
    cov_values: np.ndarray | None = None,
    cov_calipers: np.ndarray | None = None,
    k_start: int = 8,
) -> np.ndarray:
    """Nearest-neighbour matching on Euclidean distance in a transformed space, in one stratum.

    ``Z`` is e.g. the Mahalanobis space of
    :func:`sroi.impact.matching.distance.mahalanobis_transform` (MatchIt 4.x ``nn_matchC``
    semantics: greedy in ``order``, rounds for ``ratio > 1``, ties to the control first in
    the data). Candidates come from a k-d tree (scipy ``cKDTree``) and are checked exactly:
    the distance is recomputed as ``sqrt(sum((z_t - z_c)^2))``, eligible candidates are
    ordered by (distance, data position) and the search is widened whenever the nearest
    eligible candidate could be tied with one not yet returned. Optional
    ``distance``/``caliper`` (e.g. a propensity-score caliper) and covariate calipers restrict
    eligibility.

    Parameters
    ----------
    Z
        Transformed covariates, shape ``(n, p)``.
    treat, order, ratio, replace, discarded
        As for :func:`match_scalar`.
    distance, caliper
        A scalar distance (e.g. the propensity score) and the maximum ``|d_t - d_c|``.
    cov_values, cov_calipers
        Covariate values ``(n, p)`` and caliper widths ``(p,)`` (raw units).
    k_start
        Neighbours asked from the tree first (the search widens as needed).

    Returns
    -------
    numpy.ndarray
        ``(n1, ratio)`` control row positions, ``-1`` where unmatched.
    """
    Z = np.asarray(Z, dtype=float)
    if Z.ndim == 1:
        Z = Z[:, None]
    t = np.asarray(treat).astype(bool)
    disc = np.zeros(len(t), bool) if discarded is None else np.asarray(discarded, bool)
    ind1 = np.flatnonzero(t)
    mm = np.full((len(ind1), ratio), -1, dtype=np.int64)
    ctrl = np.flatnonzero(~t & ~disc)
    if len(ctrl) == 0 or len(ind1) == 0:
        return mm
    use_cov = cov_values is not None and cov_calipers is not None and len(cov_calipers) > 0
    search = _TreeSearch(
        Z=Z,
        ind1=ind1,
        ctrl=ctrl,
        replace=replace,
        cal=np.inf if caliper is None else float(caliper),
        dvec=None if distance is None else np.asarray(distance, float),
        cv=np.asarray(cov_values, float) if use_cov else None,
        cw=np.asarray(cov_calipers, float) if use_cov else None,
    )
    if replace:
        for i in range(len(ind1)):
            if disc[ind1[i]]:
                continue
            sel = search.best(i, ratio, np.empty(0, np.int64), k_start)
            mm[i, : len(sel)] = ctrl[sel]
        return mm
    return _greedy_multivariate(search, mm, np.asarray(order, dtype=np.int64), disc, k_start)


class _TreeSearch:
    """Exact nearest eligible controls of a treated unit, proposed by a k-d tree."""

    def __init__(
        self,
        *,
        Z: np.ndarray,
        ind1: np.ndarray,
        ctrl: np.ndarray,
        replace: bool,
        cal: float,
        dvec: np.ndarray | None,
        cv: np.ndarray | None,
        cw: np.ndarray | None,
    ) -> None:
        from scipy.spatial import cKDTree

        self.Z, self.ind1, self.ctrl = Z, ind1, ctrl
        self.Zc = Z[ctrl]
        self.tree = cKDTree(self.Zc)
        self.used = np.zeros(len(ctrl), bool)  # controls taken (without replacement)
        self.replace, self.cal, self.dvec, self.cv, self.cw = replace, cal, dvec, cv, cw

    def eligible(self, i: int, cand: np.ndarray, exclude: np.ndarray) -> np.ndarray:
        """Which candidates (indices into ``ctrl``) treated unit ``i`` may take."""
        ok = np.ones(len(cand), bool)
        if not self.replace:
            ok &= ~self.used[cand]
        if len(exclude):
            ok &= ~np.isin(cand, exclude)
        ti = self.ind1[i]
        if self.dvec is not None and np.isfinite(self.cal):
            ok &= np.abs(self.dvec[self.ctrl[cand]] - self.dvec[ti]) <= self.cal
        if self.cv is not None:
            ok &= np.all(np.abs(self.cv[self.ctrl[cand]] - self.cv[ti]) <= self.cw, axis=1)
        return ok

    def best(self, i: int, need: int, exclude: np.ndarray, k0: int) -> np.ndarray:
        """Up to ``need`` nearest eligible controls (indices into ctrl), exact tie order."""
        nc = len(self.ctrl)
        zt = self.Z[self.ind1[i]]
        k = max(k0, need + 1)
        while True:
            kk = min(k, nc)
            dist, cand = self.tree.query(zt, k=kk)
            cand = np.atleast_1d(cand)
            dist = np.atleast_1d(dist)
            exact = np.sqrt(np.sum((self.Zc[cand] - zt) ** 2, axis=1))
            ok = self.eligible(i, cand, exclude)
            ce, de = cand[ok], exact[ok]
            if kk == nc:
                break
            # enough eligible, and the need-th one is strictly closer than anything unseen
            if len(ce) >= need:
                o = np.lexsort((ce, de))
                thr = de[o[need - 1]]
                if dist.max() > thr * (1 + 1e-8) + 1e-12:
                    break
            k *= 4
            if k >= nc // 2:
                k = nc
        return _pick(ce, de, need)


def _greedy_multivariate(
    search: _TreeSearch, mm: np.ndarray, order: np.ndarray, disc: np.ndarray, k_start: int
) -> np.ndarray:
    """Without replacement: greedy in ``order``, in rounds, filling ``mm``.

    Batch step: the K nearest controls of every treated unit in one vectorised query, with
    exact distances; the greedy loop uses them while they provably contain the answer and
    falls back to a fresh search otherwise.
    """
    ind1, ctrl, used = search.ind1, search.ctrl, search.used
    n1, ratio = mm.shape
    nc = len(ctrl)
    k_batch = min(max(16, 2 * ratio), nc)
    batch = None
    if search.dvec is None and search.cv is None and k_batch < nc:
        batch = _NearestBatch.query(search, k_batch)
    n_free = nc - int(used.sum())
    for r in range(ratio):
        for i in order.tolist():
            if disc[ind1[i]]:
                continue
            if n_free == 0:
                return mm
            chosen = -1 if batch is None else batch.nearest_free(i, used)
            if chosen < 0:
                sel = search.best(i, 1, np.empty(0, np.int64), k_start + r)
                if not len(sel):
                    continue
                chosen = int(sel[0])
            mm[i, r] = ctrl[chosen]
            used[chosen] = True
            n_free -= 1
    return mm


@dataclass(frozen=True)
class _NearestBatch:
    """The ``k`` nearest controls of every treated unit, by exact distance then position.

    ``cand[i]`` and ``dist[i]`` are Python lists (indices into the controls and their exact
    Euclidean distances, sorted by distance and then index); ``edge[i]`` is the tree's
    distance to the k-th neighbour, beyond which unseen controls may lie.
    """

    cand: list[list[int]]
    dist: list[list[float]]
    edge: list[float]

    @classmethod
    def query(cls, search: _TreeSearch, k: int) -> _NearestBatch:
        """One vectorised tree query for all treated units, distances recomputed exactly."""
        n1 = len(search.ind1)
        Zt = search.Z[search.ind1]
        kd_dist, kd_idx = search.tree.query(Zt, k=k)
        kd_dist = kd_dist.reshape(n1, k)
        kd_idx = kd_idx.reshape(n1, k)
        exact = np.sqrt(np.sum((search.Zc[kd_idx] - Zt[:, None, :]) ** 2, axis=2))
        rank = np.lexsort((kd_idx, exact))  # each row by distance, then index
        return cls(
            np.take_along_axis(kd_idx, rank, axis=1).tolist(),
            np.take_along_axis(exact, rank, axis=1).tolist(),
            kd_dist[:, -1].tolist(),
        )

    def nearest_free(self, i: int, used: np.ndarray) -> int:
        """The nearest control not yet used (ties to the first in the data), or -1.

        -1 when every candidate is used or the nearest free one might be tied with a
        control beyond the k-th neighbour (then the caller searches afresh).
        """
        cand, dist = self.cand[i], self.dist[i]
        pos = next((q for q, c in enumerate(cand) if not used[c]), -1)
        if pos < 0:
            return -1
        dmin = dist[pos]
        if not self.edge[i] > dmin * (1 + 1e-8) + 1e-12:
            return -1
        chosen, tie = cand[pos], dmin * (1 + _TIE_RTOL) + 1e-300
        for q in range(pos + 1, len(cand)):
            if dist[q] > tie:
                break
            if cand[q] < chosen and not used[cand[q]]:
                chosen = cand[q]
        return chosen
