"""Fast randomisation inference over programme schools for a staggered design.

:meth:`~sroi.impact.staggered.result.StaggeredResultBase.randomization_test` re-runs the
whole estimator (for the matched design: the matching too) for every reshuffle of the
programme schools, which costs a fraction of a second each. This module computes the same
kind of test on a statistic that is linear in the outcome, so a thousand reshuffles take
well under a second: the group-aggregated ATT of Callaway & Sant'Anna (2021) without
covariates,

``T = sum_g P(G = g | treated) * mean_{t >= g} [mean_{G = g}(y_t - y_b) -
mean_{comparison}(y_t - y_b)]``,

with base period ``b = g - 1 - anticipation`` and never-treated comparison units. Each
reshuffle moves the programme schools' assignment to schools drawn at random, as
:func:`~sroi.impact.staggered.randomization.permute_assignment` (whole-school cohorts move
with the school; otherwise the receiving school gets the same number of pupils per cohort,
drawn at random among its pupils). When no never-treated pupil of a programme school is in
the data (the comparison pool excludes programme schools), the comparison units of a
reshuffle are likewise the never-treated pupils of the schools without the programme.

The p-value tests the sharp null of no effect for any pupil (Fisher 1935; with few treated
clusters MacKinnon & Webb 2020). Because ``T`` is linear in ``y``, the test of a constant
effect ``tau`` (outcomes of treated pupils after enrolment reduced by ``tau``) has statistic
``A_b - tau * B_b`` for each reshuffle ``b`` (``B_b``: the statistic applied to the
observed treatment indicator), so the set of ``tau`` not rejected (a randomisation
confidence interval for a constant additive effect; Imbens & Rubin 2015, ch. 5) is cheap.

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
periods. Journal of Econometrics 225(2), 200-230.
Fisher, R. A. (1935). The Design of Experiments. Oliver & Boyd.
Imbens, G. W. and Rubin, D. B. (2015). Causal Inference for Statistics, Social, and
Biomedical Sciences. Cambridge University Press.
MacKinnon, J. G. and Webb, M. D. (2020). Randomization inference for
difference-in-differences with few treated clusters. Journal of Econometrics 218(2),
435-450.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from sroi._checks import check_int, check_probability, check_random_state, require_columns
from sroi.errors import SroiInputError
from sroi.impact.staggered.randomization import _members

__all__ = ["SchoolRandomization", "school_randomization_test"]

_CHUNK = 250


@dataclass(frozen=True)
class SchoolRandomization:
    """Randomisation test over programme schools of the unadjusted group-aggregated ATT.

    Attributes
    ----------
    estimate
        Observed statistic (group-aggregated ATT without covariates or matching).
    p_value
        ``(1 + #{|A_b| >= |estimate|}) / (1 + n_perm)``.
    n_perm
        Reshuffles drawn.
    n_programme_schools, n_schools
        Schools with programme pupils, and all schools.
    draws
        Statistic of each reshuffle (``A_b``).
    slopes
        Statistic of each reshuffle applied to the observed treatment indicator (``B_b``).
    observed_slope
        The same for the observed assignment (1 when every enrolled pupil is observed at
        its base period).
    """

    estimate: float
    p_value: float
    n_perm: int
    n_programme_schools: int
    n_schools: int
    draws: np.ndarray = field(repr=False)
    slopes: np.ndarray = field(repr=False)
    observed_slope: float = 1.0

    def p_value_at(self, tau: float | np.ndarray) -> np.ndarray:
        """P-values of the sharp nulls ``effect = tau`` for every treated pupil and period."""
        tau = np.atleast_1d(np.asarray(tau, dtype=float))
        obs = np.abs(self.estimate - tau * self.observed_slope)
        perm = np.abs(self.draws[None, :] - tau[:, None] * self.slopes[None, :])
        return (1 + np.sum(perm >= obs[:, None] - 1e-12, axis=1)) / (1 + self.n_perm)

    def interval(self, level: float = 0.95, grid: int = 801) -> tuple[float, float]:
        """Smallest and largest constant effect not rejected at ``1 - level`` (on a grid).

        The grid spans the estimate plus or minus eight times the spread of the reshuffled
        statistics; an end of the interval at the grid's edge is returned as infinite.
        """
        check_probability(level, "level", open_interval=True)
        check_int(grid, "grid", minimum=11)
        half = 8.0 * float(np.std(self.draws)) + 1e-12
        taus = np.linspace(self.estimate - half, self.estimate + half, grid)
        keep = taus[self.p_value_at(taus) > 1 - level]
        if keep.size == 0:
            return (float("nan"), float("nan"))
        lo = -np.inf if keep[0] <= taus[0] else float(keep[0])
        hi = np.inf if keep[-1] >= taus[-1] else float(keep[-1])
        return (lo, hi)

    def __str__(self) -> str:
        return (
            f"Randomisation test over schools: p = {self.p_value:.3f} ({self.n_perm} "
            f"reshuffles of {self.n_programme_schools} programme schools among "
            f"{self.n_schools})"
        )


def _wide(
    panel: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str, school: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Outcome matrix (units x periods), periods, cohort and school code of each unit."""
    require_columns(panel, [outcome, unit, time, cohort, school], where="the panel")
    per_unit = panel.groupby(unit, sort=True)[[cohort, school]].nunique()
    bad = per_unit.index[(per_unit > 1).any(axis=1)]
    if len(bad):
        raise SroiInputError(
            f"{cohort!r} and {school!r} must be constant within each {unit}; "
            f"{unit} {bad[0]!r} has several values: fix the data or the column roles"
        )
    first = panel.groupby(unit, sort=True)[[cohort, school]].first()
    u_pos = first.index.get_indexer(panel[unit])
    t_codes, times = pd.factorize(panel[time], sort=True)
    Y = np.full((len(first), len(times)), np.nan)
    y = panel[outcome].to_numpy(float)
    if pd.MultiIndex.from_arrays([u_pos, t_codes]).has_duplicates:
        raise SroiInputError(f"several rows for one {unit} and {time}: keep one row per period")
    Y[u_pos, t_codes] = y
    codes = pd.factorize(first[school], sort=True)[0]
    if np.any(codes < 0):
        raise SroiInputError(f"column {school!r} has missing values: give every unit a school")
    G = first[cohort].fillna(0).to_numpy(float)
    return Y, np.asarray(times, dtype=float), G, codes


def _cells(G: np.ndarray, times: np.ndarray, anticipation: int) -> list[tuple[float, int, int]]:
    """(cohort, post period index, base period index) of every post-treatment cell."""
    out = []
    for g in np.unique(G[G > 0]):
        base = np.flatnonzero(times + anticipation < g)
        if base.size == 0:
            continue
        for j in np.flatnonzero(times >= g):
            out.append((float(g), int(j), int(base[-1])))
    return out


def _statistic(
    Gs: np.ndarray,
    ctrl: np.ndarray,
    Y: np.ndarray,
    D: np.ndarray,
    cells: list[tuple[float, int, int]],
) -> tuple[np.ndarray, np.ndarray]:
    """Group-aggregated ATT of ``Y`` and of ``D`` for each assignment (rows of ``Gs``)."""
    out_y = np.zeros(len(Gs))
    out_d = np.zeros(len(Gs))
    n_treated = (Gs > 0).sum(axis=1)
    # few units are not comparison units: sum over those (sparse) and subtract from the total
    not_ctrl = sparse.csr_matrix(~ctrl, dtype=float)
    for g in np.unique([c[0] for c in cells]):
        post = [(j, b) for gg, j, b in cells if gg == g]
        j, b = np.array(post).T
        dy = Y[:, j] - Y[:, b]
        obs = np.isfinite(dy)
        R = np.concatenate([np.where(obs, dy, 0.0), (D[:, j] - D[:, b]) * obs, obs], axis=1)
        M = sparse.csr_matrix(Gs == g, dtype=float)
        mt = np.split(np.asarray(M @ R), 3, axis=1)
        mc = np.split(R.sum(axis=0)[None, :] - np.asarray(not_ctrl @ R), 3, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            att_y = (mt[0] / mt[2] - mc[0] / mc[2]).mean(axis=1)
            att_d = (mt[1] / mt[2] - mc[1] / mc[2]).mean(axis=1)
        share = np.asarray(M.sum(axis=1)).ravel() / np.maximum(n_treated, 1)
        out_y += np.where(share > 0, share * att_y, 0.0)
        out_d += np.where(share > 0, share * att_d, 0.0)
    return out_y, out_d


class _Shuffler:
    """Draws reshuffled assignments as :func:`~.randomization.permute_assignment` does."""

    def __init__(self, G: np.ndarray, codes: np.ndarray) -> None:
        self.G, self.codes = G, codes
        self.members = _members(codes)
        self.plans: list[tuple[int, list[tuple[float, int]] | float]] = []
        for c in np.unique(codes[G > 0]):
            g_src = G[self.members[c]]
            if np.all(g_src == g_src[0]):
                self.plans.append((int(c), float(g_src[0])))
            else:
                gs, ns = np.unique(g_src[g_src > 0], return_counts=True)
                self.plans.append(
                    (int(c), [(float(g), int(n)) for g, n in zip(gs, ns, strict=True)])
                )

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """New cohorts and the permutation of clusters."""
        perm = rng.permutation(len(self.members))
        G_new = np.zeros_like(self.G)
        for c, plan in self.plans:
            dst = self.members[perm[c]]
            if isinstance(plan, float):
                G_new[dst] = plan
                continue
            order = rng.permutation(dst)
            pos = 0
            for g, n in plan:
                k = min(n, order.size - pos)
                G_new[order[pos : pos + k]] = g
                pos += k
        return G_new, perm


def school_randomization_test(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    school: str,
    anticipation: int = 0,
    n_perm: int = 999,
    random_state: int | np.random.Generator | None = 0,
) -> SchoolRandomization:
    """Randomisation p-value over programme schools of the unadjusted group ATT.

    Parameters
    ----------
    panel
        Long panel (one row per unit and period); missing outcomes are left out cell by
        cell.
    outcome, unit, time, cohort, school
        Column names (``cohort``: first treated period, 0 = never treated; ``school``: the
        level the programme is assigned at, constant within unit).
    anticipation
        Periods of anticipation before ``cohort``.
    n_perm
        Reshuffles of the programme schools (at least 19).
    random_state
        Seed or numpy Generator of the reshuffles.

    Returns
    -------
    SchoolRandomization
        The observed statistic, its p-value and the reshuffled statistics.

    Raises
    ------
    SroiInputError
        For missing columns, a cohort or school varying within a unit, no treated or no
        comparison units, or a cohort without a base period.
    """
    check_int(n_perm, "n_perm", minimum=19)
    check_int(anticipation, "anticipation", minimum=0)
    rng = check_random_state(random_state)
    Y, times, G, codes = _wide(panel, outcome, unit, time, cohort, school)
    if not np.any(G > 0) or not np.any(G == 0):
        raise SroiInputError(
            f"randomisation test: column {cohort!r} needs both treated units (> 0) and "
            "never-treated units (0)"
        )
    cells = _cells(G, times, anticipation)
    if not cells:
        raise SroiInputError("randomisation test: no cohort has a period before it starts")
    n_cl = int(codes.max()) + 1
    prog = np.zeros(n_cl, dtype=bool)
    prog[codes[G > 0]] = True
    # comparison units only from schools without the programme when the data hold no
    # never-treated pupil of a programme school (a pool that excludes programme schools)
    by_school = not np.any(prog[codes] & (G == 0))
    D = ((G[:, None] > 0) & (times[None, :] >= G[:, None])).astype(float)
    shuffler = _Shuffler(G, codes)
    ctrl_obs = (G == 0) & ~prog[codes] if by_school else G == 0
    obs_y, obs_d = _statistic(G[None, :], ctrl_obs[None, :], Y, D, cells)
    draws, slopes = [], []
    for start in range(0, int(n_perm), _CHUNK):
        size = min(_CHUNK, int(n_perm) - start)
        Gs = np.empty((size, G.size))
        ctrl = np.empty((size, G.size), dtype=bool)
        for k in range(size):
            Gs[k], perm = shuffler.draw(rng)
            ctrl[k] = Gs[k] == 0
            if by_school:
                hit = np.zeros(n_cl, dtype=bool)
                hit[perm[prog]] = True
                ctrl[k] &= ~hit[codes]
        a, b = _statistic(Gs, ctrl, Y, D, cells)
        draws.append(a)
        slopes.append(b)
    A = np.concatenate(draws)
    B = np.concatenate(slopes)
    est = float(obs_y[0])
    if not np.isfinite(est):
        raise SroiInputError("randomisation test: the statistic could not be computed")
    ok = np.isfinite(A) & np.isfinite(B)
    A, B = A[ok], B[ok]
    p = float((1 + np.sum(np.abs(A) >= abs(est) - 1e-12)) / (1 + A.size))
    return SchoolRandomization(
        estimate=est,
        p_value=p,
        n_perm=int(A.size),
        n_programme_schools=int(prog.sum()),
        n_schools=n_cl,
        draws=A,
        slopes=B,
        observed_slope=float(obs_d[0]),
    )
