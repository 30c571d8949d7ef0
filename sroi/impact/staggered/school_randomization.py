"""Fast randomisation inference over programme schools for a staggered design.

:meth:`~sroi.impact.staggered.result.StaggeredResultBase.randomization_test` re-runs the
whole estimator (for the matched design: the matching too) for every reshuffle of the
programme schools, which costs a fraction of a second each. This module computes the same
kind of test on a statistic that is linear in the outcome, so a thousand reshuffles take
about a second: the group-aggregated ATT of Callaway & Sant'Anna (2021) with the outcome
regression adjustment of Sant'Anna & Zhao (2020, their ``reg`` estimator) on the design's
covariates and pre-period history,

``T = sum_g P(G = g | treated) * mean_{t >= g} mean_{G = g}[dy_t - z' beta_gt]``,

``dy_t = y_t - y_b`` with base period ``b = g - 1 - anticipation``, ``z`` the covariates read
at ``b`` and the history columns at ``b, b - 1, ...`` (with a constant), and ``beta_gt`` the
least-squares fit of ``dy_t`` on ``z`` among the comparison units (never treated). Each
reshuffle moves the programme schools' assignment to schools drawn at random, as
:func:`~sroi.impact.staggered.randomization.permute_assignment` (whole-school cohorts move
with the school; otherwise the receiving school gets the same number of pupils per cohort,
drawn at random among its pupils), and the regression is fitted again on that reshuffle's
comparison units (exactly, from per-school or per-pupil sums), so the statistic is one fixed
function of the assignment and the outcomes.

Why the adjustment: programmes select pupils within their schools (on recorded
characteristics and pre-period outcomes) while a reshuffle draws pupils at random. Without
adjustment the observed assignment's statistic carries the selection (for example the
mean reversion of a low pre-period outcome) and the reshuffles' do not, so the test
rejects with no effect. After the adjustment, a pupil's residual change has the same mean
whether the pupil was selected on ``z`` or drawn at random, when the change is linear in
``z`` given the school (the assumption the headline's regression adjustment makes too).
The panel should hold every pupil of every school (not only the comparison pool): the
reshuffles draw pupils among a school's pupils; ``programme_school_controls=False`` keeps
the never-treated pupils of the (reshuffled) programme schools out of the comparison, as a
comparison pool of schools without the programme does.

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
Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences
estimators. Journal of Econometrics 219(1), 101-122.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    """Randomisation test over programme schools of the regression-adjusted group ATT.

    Attributes
    ----------
    estimate
        Observed statistic (group-aggregated ATT, regression-adjusted on the covariates and
        history given; unadjusted without them).
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
    adjusted_for
        Regression columns (after indicator coding), empty when unadjusted.
    """

    estimate: float
    p_value: float
    n_perm: int
    n_programme_schools: int
    n_schools: int
    draws: np.ndarray = field(repr=False)
    slopes: np.ndarray = field(repr=False)
    observed_slope: float = 1.0
    adjusted_for: tuple[str, ...] = ()

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


@dataclass(frozen=True)
class _Wide:
    """The panel as unit x period arrays."""

    Y: np.ndarray
    times: np.ndarray
    G: np.ndarray
    codes: np.ndarray
    columns: dict[str, list[tuple[str, np.ndarray]]]


def _wide(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    school: str,
    extra: Sequence[str],
) -> _Wide:
    """Outcome and ``extra`` columns as units x periods arrays (categories as 0/1 columns)."""
    require_columns(panel, [outcome, unit, time, cohort, school, *extra], where="the panel")
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
    if pd.MultiIndex.from_arrays([u_pos, t_codes]).has_duplicates:
        raise SroiInputError(f"several rows for one {unit} and {time}: keep one row per period")

    def spread(values: np.ndarray) -> np.ndarray:
        out = np.full((len(first), len(times)), np.nan)
        out[u_pos, t_codes] = values
        return out

    columns: dict[str, list[tuple[str, np.ndarray]]] = {}
    for c in dict.fromkeys(extra):
        col = panel[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            columns[c] = [(c, spread(col.to_numpy(float)))]
            continue
        dummies = pd.get_dummies(col.astype("category"), prefix=c, drop_first=True, dtype=float)
        columns[c] = [
            (str(name), spread(np.where(col.isna(), np.nan, dummies[name])))
            for name in dummies.columns
        ]
    codes = pd.factorize(first[school], sort=True)[0]
    if np.any(codes < 0):
        raise SroiInputError(f"column {school!r} has missing values: give every unit a school")
    G = first[cohort].fillna(0).to_numpy(float)
    return _Wide(
        spread(panel[outcome].to_numpy(float)), np.asarray(times, float), G, codes, columns
    )


@dataclass(frozen=True)
class _Cohort:
    """What the statistic needs of one cohort: its regression design and outcome changes.

    ``Z`` (units x k: a constant and the standardised covariates, zero for units left out),
    ``R`` (units x 2J: the outcome changes and the treatment-indicator changes of the J
    post periods, zero for units left out), ``valid`` (units with every value observed),
    ``total`` (sums of ``z z'`` and ``z r'`` over valid units) and ``parts`` (the same sums
    per school when the comparison units come from schools without the programme only,
    otherwise per unit).
    """

    g: float
    Z: np.ndarray
    R: np.ndarray
    valid: np.ndarray
    names: tuple[str, ...]
    total: np.ndarray
    parts: np.ndarray


def _sums(Z: np.ndarray, R: np.ndarray) -> np.ndarray:
    """``Z'Z`` and ``Z'R`` flattened side by side."""
    return np.concatenate([(Z.T @ Z).ravel(), (Z.T @ R).ravel()])


def _products(Z: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Per unit: ``z z'`` and ``z r'`` flattened side by side."""
    n = len(Z)
    return np.concatenate(
        [
            (Z[:, :, None] * Z[:, None, :]).reshape(n, -1),
            (Z[:, :, None] * R[:, None, :]).reshape(n, -1),
        ],
        axis=1,
    )


def _regressors(
    w: _Wide, b: int, covariates: Sequence[str], history: Sequence[str], history_periods: int
) -> tuple[list[str], np.ndarray]:
    """Covariates at base period ``b`` and history at ``b, b - 1, ...`` (units x columns)."""
    names: list[str] = []
    cols: list[np.ndarray] = []
    for c in covariates:
        for name, arr in w.columns[c]:
            names.append(name)
            cols.append(arr[:, b])
    for c in history:
        for k in range(1, history_periods + 1):
            if b - k + 1 < 0:
                continue
            for name, arr in w.columns[c]:
                names.append(f"{name}_lag{k}")
                cols.append(arr[:, b - k + 1])
    X = np.column_stack(cols) if cols else np.empty((len(w.G), 0))
    return names, X


def _cohort(
    w: _Wide,
    D: np.ndarray,
    g: float,
    cells: list[tuple[int, int]],
    regressors: tuple[list[str], np.ndarray],
    members: list[np.ndarray] | None,
) -> _Cohort:
    """The regression design of cohort ``g`` (see :class:`_Cohort`)."""
    j, b = np.array(cells).T
    dY = w.Y[:, j] - w.Y[:, b]
    dD = D[:, j] - D[:, b]
    names, X = regressors
    valid = np.all(np.isfinite(dY), axis=1) & np.all(np.isfinite(X), axis=1)
    if X.shape[1]:
        mu = X[valid].mean(axis=0)
        sd = X[valid].std(axis=0)
        keep = sd > 1e-12 * np.maximum(1.0, np.abs(mu))
        X = (X[:, keep] - mu[keep]) / sd[keep]
        names = [n for n, k in zip(names, keep, strict=True) if k]
    Z = np.where(valid[:, None], np.column_stack([np.ones(len(X)), X]), 0.0)
    R = np.where(valid[:, None], np.concatenate([dY, dD], axis=1), 0.0)
    if members is None:
        parts = _products(Z, R)
    else:
        parts = np.stack([_sums(Z[m], R[m]) for m in members])
    return _Cohort(g, Z, R, valid, tuple(names), _sums(Z, R), parts)


def _adjusted_att(
    c: _Cohort, Gs: np.ndarray, excluded: sparse.csr_matrix
) -> tuple[np.ndarray, np.ndarray]:
    """Cohort ``c.g``'s regression-adjusted ATT of ``y`` and of ``D`` for each assignment.

    ``excluded`` (assignments x units, or x schools when ``c.parts`` are per school) marks
    what is not a comparison unit; the regression is fitted on the rest of the valid units.
    """
    k, J2 = c.Z.shape[1], c.R.shape[1]
    comp = c.total[None, :] - np.asarray(excluded @ c.parts)
    gram = comp[:, : k * k].reshape(-1, k, k)
    rhs = comp[:, k * k :].reshape(-1, k, J2)
    # a ridge of 1e-10 of the mean diagonal: a singular fit (a category no comparison pupil
    # of this reshuffle has) takes the minimum-norm limit; otherwise nothing measurable
    ridge = 1e-10 * np.trace(gram, axis1=1, axis2=2) / k
    beta = np.linalg.solve(gram + ridge[:, None, None] * np.eye(k), rhs)
    M = sparse.csr_matrix((Gs == c.g) & c.valid[None, :], dtype=float)
    n_t = np.asarray(M.sum(axis=1)).ravel()
    z_t = np.asarray(M @ c.Z) / np.maximum(n_t, 1)[:, None]
    r_t = np.asarray(M @ c.R) / np.maximum(n_t, 1)[:, None]
    att = r_t - np.einsum("pk,pkj->pj", z_t, beta)
    att[n_t == 0] = np.nan
    half = J2 // 2
    return att[:, :half].mean(axis=1), att[:, half:].mean(axis=1)


def _cells(
    G: np.ndarray, times: np.ndarray, anticipation: int
) -> dict[float, list[tuple[int, int]]]:
    """Per cohort: (post period index, base period index) of its post-treatment cells."""
    out: dict[float, list[tuple[int, int]]] = {}
    for g in np.unique(G[G > 0]):
        base = np.flatnonzero(times + anticipation < g)
        post = np.flatnonzero(times >= g)
        if base.size and post.size:
            out[float(g)] = [(int(j), int(base[-1])) for j in post]
    return out


def _statistic(
    cohorts: list[_Cohort], Gs: np.ndarray, excluded: sparse.csr_matrix
) -> tuple[np.ndarray, np.ndarray]:
    """Group-aggregated adjusted ATT of ``Y`` and of ``D`` for each assignment (rows of ``Gs``)."""
    out_y = np.zeros(len(Gs))
    out_d = np.zeros(len(Gs))
    n_treated = (Gs > 0).sum(axis=1)
    for c in cohorts:
        att_y, att_d = _adjusted_att(c, Gs, excluded)
        share = (Gs == c.g).sum(axis=1) / np.maximum(n_treated, 1)
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
    *,
    covariates: Sequence[str] = (),
    history: Sequence[str] = (),
    history_periods: int = 2,
    programme_school_controls: bool | None = None,
) -> SchoolRandomization:
    """Randomisation p-value over programme schools of the regression-adjusted group ATT.

    Parameters
    ----------
    panel
        Long panel (one row per unit and period) with every pupil of every school. A pupil
        enters a cohort's statistic when its outcome at the cohort's base and post periods
        and its regressors are all observed.
    outcome, unit, time, cohort, school
        Column names (``cohort``: first treated period, 0 = never treated; ``school``: the
        level the programme is assigned at, constant within unit).
    anticipation
        Periods of anticipation before ``cohort``.
    n_perm
        Reshuffles of the programme schools (at least 19).
    random_state
        Seed or numpy Generator of the reshuffles.
    covariates
        Columns adjusted for, read at each cohort's base period (categories as 0/1
        indicators); as the matching of
        :func:`~sroi.impact.staggered.matched_staggered_did` reads its covariates.
    history
        Columns adjusted for in the ``history_periods`` periods up to the base period (the
        matched design's outcome history, e.g. the outcome and its school-relative level).
    history_periods
        Periods of history.
    programme_school_controls
        Whether never-treated pupils of (reshuffled) programme schools are comparison units;
        ``False`` for a comparison pool of schools without the programme. Default: ``True``
        when the panel holds never-treated pupils of programme schools.

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
    check_int(history_periods, "history_periods", minimum=0)
    rng = check_random_state(random_state)
    w = _wide(panel, outcome, unit, time, cohort, school, [*covariates, *history])
    G, codes = w.G, w.codes
    if not np.any(G > 0) or not np.any(G == 0):
        raise SroiInputError(
            f"randomisation test: column {cohort!r} needs both treated units (> 0) and "
            "never-treated units (0)"
        )
    cells = _cells(G, w.times, anticipation)
    if not cells:
        raise SroiInputError("randomisation test: no cohort has a period before it starts")
    n_cl = int(codes.max()) + 1
    prog = np.zeros(n_cl, dtype=bool)
    prog[codes[G > 0]] = True
    by_school = (
        not np.any(prog[codes] & (G == 0))
        if programme_school_controls is None
        else not programme_school_controls
    )
    D = ((G[:, None] > 0) & (w.times[None, :] >= G[:, None])).astype(float)
    shuffler = _Shuffler(G, codes)
    cohorts = [
        _cohort(
            w,
            D,
            g,
            cc,
            _regressors(w, cc[0][1], covariates, history, history_periods),
            shuffler.members if by_school else None,
        )
        for g, cc in cells.items()
    ]

    def excluded(Gs: np.ndarray, hit: np.ndarray) -> sparse.csr_matrix:
        return sparse.csr_matrix(hit if by_school else Gs > 0, dtype=float)

    obs_y, obs_d = _statistic(cohorts, G[None, :], excluded(G[None, :], prog[None, :]))
    draws, slopes = [], []
    for start in range(0, int(n_perm), _CHUNK):
        size = min(_CHUNK, int(n_perm) - start)
        Gs = np.empty((size, G.size))
        hit = np.zeros((size, n_cl), dtype=bool)
        for k in range(size):
            Gs[k], perm = shuffler.draw(rng)
            hit[k, perm[prog]] = True
        a, b = _statistic(cohorts, Gs, excluded(Gs, hit))
        draws.append(a)
        slopes.append(b)
    A, B = np.concatenate(draws), np.concatenate(slopes)
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
        adjusted_for=tuple(dict.fromkeys(n for c in cohorts for n in c.names)),
    )
