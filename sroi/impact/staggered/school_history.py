"""School-level pre-period history: a matching covariate and a pre-trend diagnostic.

When school shocks persist (a random walk), pupils' attendance in a programme school drifts
with their school, and matching pupils on their own attendance levels across schools does
not remove the drift. The school's own pre-period history — its mean outcome and its linear
trend over the periods before the first cohort starts — can be matched on (or used as a
covariate) alongside the pupils' characteristics, and compared between programme and
comparison schools.

Only periods before the earliest cohort's start (minus anticipation) are used, so no cohort's
history contains post-treatment outcomes of any programme pupil.

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
periods. Journal of Econometrics 225(2), 200-230 (conditioning on pre-treatment
covariates).
Young, A. (2019). Channeling Fisher: randomization tests and the statistical
insignificance of seemingly significant experimental results. Quarterly Journal of
Economics 134(2), 557-598 (the permutation p-value of the diagnostic).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sroi._checks import check_int, check_random_state, require_columns
from sroi.errors import SroiInputError
from sroi.impact.staggered.sample_cache import SampleCache, content_key

__all__ = [
    "SchoolPretrend",
    "add_school_history",
    "add_school_level",
    "school_history",
    "school_pretrend",
    "with_school_relative_history",
]


def school_history(
    panel: pd.DataFrame,
    outcome: str,
    time: str,
    cohort: str,
    school: str,
    anticipation: int = 0,
) -> pd.DataFrame:
    """Each school's mean outcome and linear trend before the earliest cohort starts.

    Parameters
    ----------
    panel
        Long panel (one row per unit and period).
    outcome, time, cohort, school
        Column names (``cohort``: first treated period, 0 = never treated).
    anticipation
        Periods of anticipation: the window ends at ``min(cohort) - 1 - anticipation``.

    Returns
    -------
    pandas.DataFrame
        Indexed by school: ``<outcome>_school_level`` (mean over the window),
        ``<outcome>_school_trend`` (OLS slope of the school's period means on the period;
        0 with a single period) and ``programme`` (the school has treated units).

    Raises
    ------
    SroiInputError
        For missing columns, no treated units or no period before the first cohort.
    """
    means = _pre_window_means(panel, outcome, time, cohort, school, anticipation)
    g = panel[cohort].fillna(0)

    def _slope(d: pd.DataFrame) -> float:
        t = d[time].to_numpy(float)
        if t.size < 2:
            return 0.0
        return float(np.polyfit(t, d["y"].to_numpy(float), 1)[0])

    out = pd.DataFrame(
        {
            f"{outcome}_school_level": means.groupby(school)["y"].mean(),
            f"{outcome}_school_trend": means.groupby(school)[[time, "y"]].apply(_slope),
        }
    )
    out["programme"] = panel.assign(_t=g > 0).groupby(school)["_t"].any()
    return out


def _pre_window_means(
    panel: pd.DataFrame, outcome: str, time: str, cohort: str, school: str, anticipation: int
) -> pd.DataFrame:
    """Each school's mean outcome in each period before the earliest cohort (``school, time, y``)."""
    require_columns(panel, [outcome, time, cohort, school], where="the panel")
    check_int(anticipation, "anticipation", minimum=0)
    g = panel[cohort].fillna(0)
    if not (g > 0).any():
        raise SroiInputError(f"no treated units: cohort column {cohort!r} is 0 everywhere")
    last = float(g[g > 0].min()) - 1 - anticipation
    pre = panel[panel[time] <= last]
    if pre.empty:
        raise SroiInputError(
            f"no period before the first cohort starts ({cohort} = {g[g > 0].min()}): "
            "school history cannot be measured"
        )
    return pre.groupby([school, time])[outcome].mean().rename("y").reset_index()


def add_school_history(
    panel: pd.DataFrame,
    outcome: str,
    time: str,
    cohort: str,
    school: str,
    anticipation: int = 0,
) -> pd.DataFrame:
    """The panel with the columns of :func:`school_history` added to every row.

    The new columns (``<outcome>_school_level``, ``<outcome>_school_trend``) are constant
    within school, so they can be passed to ``covariates=`` of
    :func:`~sroi.impact.staggered.matched_staggered_did` or
    :func:`~sroi.impact.staggered.staggered_did`.

    Parameters
    ----------
    panel, outcome, time, cohort, school, anticipation
        As :func:`school_history`.

    Returns
    -------
    pandas.DataFrame
        A copy of ``panel`` with the two columns.
    """
    hist = school_history(panel, outcome, time, cohort, school, anticipation)
    cols = hist.drop(columns=["programme"])
    return panel.join(cols, on=school)


def add_school_level(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    school: str,
    anticipation: int = 0,
) -> pd.DataFrame:
    """Add the school's outcome level in every period and each pupil's position against it.

    The level of school ``s`` in period ``t`` is measured only on its pupils not yet in the
    programme at ``t`` (never treated, or ``t < cohort - anticipation``), so it contains no
    treated outcome, and corrected for who those pupils are: it is the school's mean over
    the pre-window (the periods before the earliest cohort starts, as :func:`school_history`)
    plus the mean change of the not-yet-treated pupils since their own pre-window mean,

    ``level_st = mean_{i in s, pre} y_i + mean_{i in s, not yet treated at t}
    (y_it - mean_pre y_i)``.

    With persistent (random-walk) school shocks the level follows the school's shock at
    each cohort's reference period, which :func:`~sroi.impact.staggered.matched_staggered_did`
    reads for ``covariates`` (and lags of for ``history``). Matching on the pupil's position
    against the level (``<outcome>_vs_school``) as well as on the raw outcome compares
    pupils of the same level in schools of the same level, as within-school enrolment ranks
    them, and keeps the pupils' period-to-period noise from being selected on through the
    school shock (docs/simulation.md: with raw levels alone the standard error is a third too
    small when school shocks persist).

    Parameters
    ----------
    panel
        Long panel (one row per unit and period).
    outcome, unit, time, cohort, school
        Column names (``cohort``: first treated period, 0 = never treated).
    anticipation
        Periods of anticipation (as the estimator's).

    Returns
    -------
    pandas.DataFrame
        A copy of ``panel`` with ``<outcome>_school`` (the level; missing where a school
        has no not-yet-treated pupil with pre-window data in that period) and
        ``<outcome>_vs_school`` (outcome minus level).

    Raises
    ------
    SroiInputError
        As :func:`school_history`.
    """
    require_columns(panel, [outcome, unit, time, cohort, school], where="the panel")
    school_level = (
        _pre_window_means(panel, outcome, time, cohort, school, anticipation)
        .groupby(school)["y"]
        .mean()
    )
    g = panel[cohort].fillna(0).to_numpy(float)
    t = panel[time].to_numpy(float)
    y = panel[outcome].to_numpy(float)
    last = float(g[g > 0].min()) - 1 - anticipation
    in_pre = t <= last
    pre_mean = pd.Series(np.where(in_pre, y, np.nan)).groupby(panel[unit].to_numpy()).mean()
    ybar = pre_mean.reindex(panel[unit].to_numpy()).to_numpy(float)
    untreated = (g == 0) | (t < g - anticipation)
    change = pd.Series(np.where(untreated, y - ybar, np.nan))
    keys = [panel[school].to_numpy(), t]
    mean_change = change.groupby(keys).transform("mean").to_numpy(float)
    base = school_level.reindex(panel[school].to_numpy()).to_numpy(float)
    level = base + mean_change
    return panel.assign(
        **{f"{outcome}_school": level, f"{outcome}_vs_school": y - level},
    )


@dataclass(frozen=True)
class SchoolPretrend:
    """Programme schools' pre-period trends against the comparison schools'.

    Attributes
    ----------
    difference
        Mean trend of programme schools minus mean trend of comparison schools (outcome
        units per period).
    std_difference
        ``difference`` over the SD of the trend among comparison schools.
    p_value
        Permutation p-value of ``|difference|`` over random choices of programme schools.
    n_programme, n_comparison
        Schools in each group.
    table
        The per-school history (:func:`school_history`).
    """

    difference: float
    std_difference: float
    p_value: float
    n_programme: int
    n_comparison: int
    table: pd.DataFrame

    def __str__(self) -> str:
        return (
            f"School pre-trends: programme schools' trend differs from the comparison "
            f"schools' by {self.difference:.4f} per period ({self.std_difference:.2f} SD of "
            f"the comparison schools' trends), permutation p = {self.p_value:.3f} "
            f"({self.n_programme} vs {self.n_comparison} schools)"
        )


def school_pretrend(
    panel: pd.DataFrame,
    outcome: str,
    time: str,
    cohort: str,
    school: str,
    anticipation: int = 0,
    n_perm: int = 1999,
    random_state: int | np.random.Generator | None = 0,
) -> SchoolPretrend:
    """Compare programme schools' pre-period trends with the comparison schools'.

    Parameters
    ----------
    panel, outcome, time, cohort, school, anticipation
        As :func:`school_history`.
    n_perm
        Permutations of the programme label across schools.
    random_state
        Seed of the permutations.

    Returns
    -------
    SchoolPretrend
        The difference in mean trends, standardised, with a permutation p-value.
    """
    check_int(n_perm, "n_perm", minimum=19)
    rng = check_random_state(random_state)
    hist = school_history(panel, outcome, time, cohort, school, anticipation)
    trend = hist[f"{outcome}_school_trend"].to_numpy(float)
    prog = hist["programme"].to_numpy(bool)
    if prog.all():
        raise SroiInputError("every school has treated units: no comparison schools")
    diff = float(trend[prog].mean() - trend[~prog].mean())
    k = int(prog.sum())
    perm = np.empty(n_perm)
    for b in range(n_perm):
        pick = np.zeros(trend.size, dtype=bool)
        pick[rng.choice(trend.size, k, replace=False)] = True
        perm[b] = trend[pick].mean() - trend[~pick].mean()
    p = float((1 + np.sum(np.abs(perm) >= abs(diff) - 1e-15)) / (1 + n_perm))
    sd = float(np.std(trend[~prog], ddof=1)) if (~prog).sum() > 1 else np.nan
    return SchoolPretrend(
        difference=diff,
        std_difference=diff / sd if sd and np.isfinite(sd) and sd > 0 else np.nan,
        p_value=p,
        n_programme=k,
        n_comparison=int((~prog).sum()),
        table=hist,
    )


def with_school_relative_history(
    panel: pd.DataFrame,
    columns: list[str],
    *,
    history: list[str],
    unit: str,
    time: str,
    cohort: str,
    school: str | None,
    anticipation: int,
    match_kwargs: Mapping[str, Any] | None,
    school_panel: pd.DataFrame | None,
    cache: SampleCache | None = None,
) -> pd.DataFrame:
    """``panel`` with ``<c>_vs_school`` for each ``c`` in ``columns`` (matched designs).

    With ``cache`` (:class:`~sroi.impact.staggered.sample_cache.SampleCache`) the school
    levels are kept there, under the content of the columns they are computed from, and
    reused by a later call with the same content.

    Checks the options of ``history_within_school`` of
    :func:`~sroi.impact.staggered.matched_staggered_did` and measures the school levels with
    :func:`add_school_level` on ``school_panel`` (default ``panel``).

    Raises
    ------
    SroiInputError
        When a column is not in ``history``, there is no school (``school`` unset), the
        matching is not nearest-neighbour on a propensity score or already sets
        ``mahvars``, or the panel already has a ``<c>_vs_school`` column.
    """
    unknown = [c for c in columns if c not in history]
    if unknown:
        raise SroiInputError(
            f"history_within_school: {unknown[0]!r} is not in history {history}; list only "
            "history columns"
        )
    if school is None or school == unit:
        raise SroiInputError(
            "history_within_school needs the school of each pupil: pass cluster= the school "
            "column (e.g. 'school_id')"
        )
    kw = dict(match_kwargs or {})
    if kw.get("method", "nearest") != "nearest" or kw.get("distance", "logit") not in (
        "logit",
        "probit",
    ):
        raise SroiInputError(
            "history_within_school matches on the school-relative history within the "
            "propensity score's caliper: it needs method='nearest' with distance 'logit' or "
            f"'probit' (got method={kw.get('method')!r}, distance={kw.get('distance')!r})"
        )
    if kw.get("mahvars"):
        raise SroiInputError(
            "history_within_school sets the Mahalanobis variables itself; remove 'mahvars' "
            "from match_kwargs"
        )
    taken = [f"{c}_vs_school" for c in columns if f"{c}_vs_school" in panel.columns]
    if taken:
        raise SroiInputError(
            f"history_within_school: the panel already has a column {taken[0]!r}; rename it "
            "(it is added from the school levels)"
        )
    source = panel if school_panel is None else school_panel
    if not isinstance(source, pd.DataFrame):
        raise SroiInputError(
            f"school_panel must be a pandas DataFrame; got {type(source).__name__}"
        )
    read = list(dict.fromkeys([unit, time, cohort, school, *columns]))
    if cache is None or not set(read) <= set(source.columns):
        levels = _relative_levels(source, columns, unit, time, cohort, school, anticipation)
    else:
        # keyed by the columns the levels are computed from, not the rest of the panel
        levels = cache.get(
            content_key("school-relative levels", source[read], columns, read, anticipation),
            lambda: _relative_levels(source, columns, unit, time, cohort, school, anticipation),
        )
    keys = [unit, time]
    require_columns(panel, keys, where="the panel")
    out = panel.merge(levels, on=keys, how="left", validate="many_to_one")
    out.index = panel.index
    return out


def _relative_levels(
    source: pd.DataFrame,
    columns: list[str],
    unit: str,
    time: str,
    cohort: str,
    school: str,
    anticipation: int,
) -> pd.DataFrame:
    """``<c>_vs_school`` of every unit and period of ``source`` (columns unit, time, ...)."""
    added = []
    for c in columns:
        source = add_school_level(source, c, unit, time, cohort, school, anticipation)
        added.append(f"{c}_vs_school")
    return source[[unit, time, *added]].drop_duplicates([unit, time])
