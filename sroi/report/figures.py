"""Report figures: one style, a colour-blind-safe palette, labelled axes with units.

Every function returns a :class:`sroi.report.charts.Chart`, drawn as SVG by
:meth:`~sroi.report.charts.Chart.svg` (embedded in the report's HTML; no global state, so
figures can be tested headless). Colours come from the Okabe & Ito (2008) palette, which stays
distinguishable under the common forms of colour blindness; series also differ by marker or
line style so figures survive greyscale printing. Counts in labels pass through
:func:`sroi.report.disclosure.suppress_count`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError
from sroi.report.charts import Chart
from sroi.report.disclosure import suppress_count

__all__ = [
    "PALETTE",
    "love_plot",
    "overlap_plot",
    "event_study_plot",
    "att_gt_plot",
    "value_by_agency_plot",
    "tornado_plot",
    "monte_carlo_plot",
    "break_even_plot",
    "forest_plot",
]

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#6E6E6E",
}
_CYCLE = ["blue", "orange", "green", "vermillion", "sky", "purple", "yellow", "black"]
_MARKERS = "os^Dv"


def _colour(i: int) -> str:
    return PALETTE[_CYCLE[i % len(_CYCLE)]]


def _need(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise SroiInputError(f"{what}: expected a DataFrame, got {type(df).__name__}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SroiInputError(
            f"{what}: column(s) {missing} missing; the table needs {list(cols)} "
            f"(has {list(df.columns)})"
        )
    if df.empty:
        raise SroiInputError(f"{what}: the table is empty, nothing to plot")


def _effect_by_term(title: str, xlabel: str, outcome_label: str, unit: str | None) -> Chart:
    """A chart of effects by term: whole-number terms on x, the effect (and unit) on y, zero."""
    chart = Chart(
        title=title,
        xlabel=xlabel,
        ylabel=f"effect on {outcome_label}" + (f"\n({unit})" if unit else ""),
    )
    chart.number_format("x", integer=True)
    chart.line(y=0, colour=PALETTE["black"], width=0.8)
    return chart


def love_plot(balance: pd.DataFrame, threshold: float = 0.1, title: str | None = None) -> Chart:
    """Absolute standardised mean differences before and after matching (a "love plot").

    ``balance`` has columns ``covariate``, ``smd_before``, ``smd_after``. SMD = difference
    in means over the treated group's standard deviation (ATT); the dashed line marks the
    usual balance threshold |SMD| = 0.1.
    """
    _need(balance, ["covariate", "smd_before", "smd_after"], "love_plot")
    b = balance.copy()
    b["abs_before"] = b["smd_before"].astype(float).abs()
    b["abs_after"] = b["smd_after"].astype(float).abs()
    b = b.sort_values("abs_before", kind="stable").reset_index(drop=True)
    chart = Chart(
        title=title or "Covariate balance before and after matching",
        xlabel="absolute standardised mean difference (treated SD units)",
    )
    y = np.arange(len(b), dtype=float)
    chart.categories(b["covariate"].astype(str).tolist())
    chart.line(x=threshold, colour=PALETTE["grey"], dash="dashed", label=f"threshold {threshold:g}")
    chart.points(
        b["abs_before"], y, colour=PALETTE["vermillion"], filled=False, label="before matching"
    )
    chart.points(b["abs_after"], y, colour=PALETTE["blue"], marker="s", label="after matching")
    return chart


def overlap_plot(
    treated: Sequence[float] | np.ndarray,
    control: Sequence[float] | np.ndarray,
    *,
    label: str = "propensity score (probability of taking part)",
    title: str | None = None,
    threshold: int = 10,
    bins: int = 30,
    counts: tuple[int, int] | None = None,
) -> Chart:
    """Distribution of the matching distance (propensity score) in the two groups.

    Densities, so groups of different size are comparable; group sizes in the legend are
    suppressed below ``threshold``. Where one group has mass and the other none, there is no
    common support. ``counts`` (participants, comparison pupils) are the legend's group sizes
    when the scores repeat a pupil (e.g. one score per enrolment wave), so the legend matches
    the report's tables; by default the number of scores.
    """
    t = np.asarray(treated, dtype=float)
    c = np.asarray(control, dtype=float)
    t, c = t[np.isfinite(t)], c[np.isfinite(c)]
    if t.size == 0 or c.size == 0:
        raise SroiInputError("overlap_plot: both groups need at least one finite score")
    lo, hi = float(min(t.min(), c.min())), float(max(t.max(), c.max()))
    if hi <= lo:
        hi = lo + 1e-9
    edges = np.linspace(lo, hi, bins + 1)
    n_t, n_c = counts if counts is not None else (t.size, c.size)
    chart = Chart(
        title=title or "Overlap of participants and comparison pool",
        xlabel=label,
        ylabel="density",
    )
    mid, width = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    zero = np.zeros(bins)
    chart.bars(
        mid,
        zero,
        np.histogram(c, bins=edges, density=True)[0],
        thickness=width,
        colour=PALETTE["sky"],
        opacity=0.55,
        label=f"comparison pool (n = {suppress_count(n_c, threshold)} pupils)",
    )
    chart.bars(
        mid,
        zero,
        np.histogram(t, bins=edges, density=True)[0],
        thickness=width,
        colour=PALETTE["vermillion"],
        outline=True,
        label=f"participants (n = {suppress_count(n_t, threshold)} pupils)",
    )
    return chart


def event_study_plot(
    coefficients: pd.DataFrame,
    *,
    outcome_label: str = "outcome",
    unit: str | None = None,
    reference: int = -1,
    title: str | None = None,
) -> Chart:
    """Effects by time relative to the start of the programme, with confidence intervals.

    ``coefficients`` has columns ``event_time``, ``estimate``, ``ci_low``, ``ci_high``.
    Periods before 0 test for different trends before the programme (they should be near 0);
    period ``reference`` is the baseline (0 by construction).
    """
    _need(coefficients, ["event_time", "estimate", "ci_low", "ci_high"], "event_study_plot")
    d = coefficients.sort_values("event_time")
    e = d["event_time"].to_numpy(dtype=float)
    est = d["estimate"].to_numpy(dtype=float)
    lo = d["ci_low"].to_numpy(dtype=float)
    hi = d["ci_high"].to_numpy(dtype=float)
    chart = _effect_by_term(
        title or f"Effect on {outcome_label} by term since start",
        "terms since the programme started (0 = first term)",
        outcome_label,
        unit,
    )
    chart.line(x=-0.5, colour=PALETTE["grey"], dash="dotted")
    pre = e < 0
    for mask, colour, name, marker in (
        (pre, PALETTE["grey"], "before start", "o"),
        (~pre, PALETTE["blue"], "after start", "s"),
    ):
        if mask.any():
            chart.intervals(e[mask], lo[mask], hi[mask], colour=colour)
            chart.points(e[mask], est[mask], colour=colour, marker=marker, label=name)
    return chart


def att_gt_plot(
    att_gt: pd.DataFrame,
    *,
    outcome_label: str = "outcome",
    unit: str | None = None,
    title: str | None = None,
    threshold: int = 10,
) -> Chart:
    """Group-time average treatment effects ATT(g, t) of Callaway & Sant'Anna (2021).

    One series per cohort ``g`` (first term in the programme) over calendar time ``t``;
    ``att_gt`` has columns ``cohort``, ``time``, ``att``, ``ci_low``, ``ci_high`` and,
    optionally, ``n_treated`` (shown, suppressed below ``threshold``, in the legend). A dotted
    line in the cohort's colour marks the term before it started.
    """
    _need(att_gt, ["cohort", "time", "att", "ci_low", "ci_high"], "att_gt_plot")
    chart = _effect_by_term(
        title or f"Effect on {outcome_label} by cohort and term, ATT(g,t)",
        "term (calendar time)",
        outcome_label,
        unit,
    )
    cohorts = sorted(att_gt["cohort"].unique())
    width = 0.6 / max(1, len(cohorts))
    for i, g in enumerate(cohorts):
        d = att_gt[att_gt["cohort"] == g].sort_values("time")
        x = d["time"].to_numpy(dtype=float) + (i - (len(cohorts) - 1) / 2) * width
        n = ""
        if "n_treated" in d.columns and d["n_treated"].notna().any():
            n = f", n = {suppress_count(int(d['n_treated'].max()), threshold)}"
        chart.line(x=float(g) - 0.5, colour=_colour(i), dash="dotted")
        chart.intervals(
            x,
            d["ci_low"].to_numpy(dtype=float),
            d["ci_high"].to_numpy(dtype=float),
            colour=_colour(i),
            cap=2.5,
        )
        chart.points(
            x,
            d["att"].to_numpy(dtype=float),
            colour=_colour(i),
            marker=_MARKERS[i % len(_MARKERS)],
            size=7.0,
            label=f"cohort starting term {int(g)}{n}",
        )
    return chart


def value_by_agency_plot(
    table: pd.DataFrame,
    *,
    agency: str = "agency",
    year: str = "year",
    value: str = "value",
    currency: str = "£",
    price_year: str | None = None,
    title: str | None = None,
) -> Chart:
    """Present value of benefits by year, stacked by the agency that gains.

    ``table`` is long: one row per (agency, year) with the value in pounds. Gains stack up
    from zero and losses down from it.
    """
    _need(table, [agency, year, value], "value_by_agency_plot")
    wide = table.pivot_table(index=year, columns=agency, values=value, aggfunc="sum").fillna(0.0)
    prices = f", {price_year} prices" if price_year else ""
    chart = Chart(
        title=title or "Value by year and by the agency that benefits",
        xlabel="appraisal year (0 = first year of delivery)",
        ylabel=f"present value ({currency}{prices})",
    )
    chart.number_format("x", integer=True)
    chart.number_format("y", prefix=currency)
    x = wide.index.to_numpy(dtype=float)
    pos = np.zeros(len(x))
    neg = np.zeros(len(x))
    for i, col in enumerate(wide.columns):
        v = wide[col].to_numpy(dtype=float)
        base = np.where(v >= 0, pos, neg)
        chart.bars(x, base, base + v, colour=_colour(i), label=str(col).replace("_", " "))
        pos = pos + np.clip(v, 0, None)
        neg = neg + np.clip(v, None, 0)
    chart.line(y=0, colour=PALETTE["black"], width=0.8)
    return chart


def tornado_plot(
    table: pd.DataFrame,
    *,
    parameter: str = "parameter",
    low: str = "low",
    high: str = "high",
    base: float | None = None,
    metric_label: str = "SROI ratio (£ of value per £1 invested)",
    title: str | None = None,
    max_rows: int = 12,
) -> Chart:
    """One-way sensitivity ("tornado"): the result when each input is set to its low and high value.

    ``table`` has the metric at each input's low and high value; rows are sorted by the
    width of the swing, widest on top. ``base`` draws the central result.
    """
    _need(table, [parameter, low, high], "tornado_plot")
    t = table.copy()
    t["_swing"] = (t[high].astype(float) - t[low].astype(float)).abs()
    t = t.sort_values("_swing", kind="stable").tail(max_rows).reset_index(drop=True)
    y = np.arange(len(t), dtype=float)
    centre = float(base) if base is not None else float(np.nanmedian(t[[low, high]].to_numpy()))
    chart = Chart(
        title=title or "Which assumptions matter most (one at a time)", xlabel=metric_label
    )
    chart.categories([str(p).replace("_", " ") for p in t[parameter]])
    full = np.full(len(t), centre)
    for end, colour, name in ((low, "vermillion", "low"), (high, "blue", "high")):
        chart.bars(
            y,
            full,
            t[end].to_numpy(dtype=float),
            horizontal=True,
            colour=PALETTE[colour],
            label=f"input at {name} value",
        )
    chart.line(x=centre, colour=PALETTE["black"], label=f"central {centre:.2f}")
    return chart


def monte_carlo_plot(
    draws: Sequence[float] | np.ndarray,
    *,
    point: float | None = None,
    interval: tuple[float, float] | None = None,
    label: str = "SROI ratio (£ of value per £1 invested)",
    break_even: float | None = 1.0,
    title: str | None = None,
    bins: int = 50,
) -> Chart:
    """Histogram of Monte Carlo draws of a result, with its central value and interval.

    ``break_even`` marks the value where benefits equal costs (1 for a ratio, 0 for NPV).
    """
    x = np.asarray(draws, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        raise SroiInputError("monte_carlo_plot: needs at least two finite draws")
    chart = Chart(
        title=title or f"Uncertainty in the result ({x.size:,} simulation draws)",
        xlabel=label,
        ylabel="number of simulation draws",
    )
    if interval is not None:
        chart.span(
            interval[0],
            interval[1],
            colour=PALETTE["blue"],
            opacity=0.12,
            label=f"interval {interval[0]:,.2f} to {interval[1]:,.2f}",
        )
    heights, edges = np.histogram(x, bins=bins)
    chart.bars(
        (edges[:-1] + edges[1:]) / 2,
        np.zeros(bins),
        heights.astype(float),
        thickness=np.diff(edges),
        colour=PALETTE["sky"],
    )
    if point is not None:
        chart.line(x=point, colour=PALETTE["blue"], width=2.0, label=f"central {point:,.2f}")
    if break_even is not None:
        share = float(np.mean(x > break_even))
        chart.line(
            x=break_even,
            colour=PALETTE["vermillion"],
            dash="dashed",
            width=1.5,
            label=f"break-even ({share:.0%} of draws above)",
        )
    return chart


def break_even_plot(
    table: pd.DataFrame,
    *,
    parameter: str = "parameter",
    central: str = "central",
    break_even: str = "break_even",
    title: str | None = None,
) -> Chart:
    """How far each input could move before benefits no longer cover costs.

    For each input, the central value and the break-even value (where NPV = 0) are shown as
    a share of the central value, so inputs in different units share one axis.
    """
    _need(table, [parameter, central, break_even], "break_even_plot")
    t = table.copy()
    c = t[central].astype(float).to_numpy()
    b = t[break_even].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rel = np.where(c != 0, b / c, np.nan)
    t["_rel"] = rel
    t = t.sort_values("_rel", na_position="first", kind="stable").reset_index(drop=True)
    chart = Chart(
        title=title or "Break-even: how far each input can move before NPV = 0",
        xlabel="value as a multiple of its central assumption (1 = central)",
    )
    chart.categories([str(p).replace("_", " ") for p in t[parameter]])
    y = np.arange(len(t), dtype=float)
    r = t["_rel"].to_numpy(dtype=float)
    ok = np.isfinite(r)
    chart.intervals(
        y[ok],
        np.minimum(r[ok], 1.0),
        np.maximum(r[ok], 1.0),
        colour=PALETTE["grey"],
        horizontal=True,
        cap=0.0,
    )
    chart.points(np.ones(len(t)), y, colour=PALETTE["blue"], label="central value")
    chart.points(r[ok], y[ok], colour=PALETTE["vermillion"], marker="D", label="break-even value")
    for yi in y[~ok]:
        chart.note(1.0, float(yi), "no break-even in range")
    return chart


def forest_plot(
    places: pd.DataFrame,
    *,
    pooled: tuple[float, float, float],
    prediction: tuple[float, float] | None = None,
    outcome_label: str = "outcome",
    title: str | None = None,
) -> Chart:
    """Forest plot: each place's effect and interval, the pooled effect, the prediction range.

    ``places`` has columns ``place``, ``estimate``, ``ci_low``, ``ci_high`` and ``weight_pct``
    (the square's size grows with the place's weight in the pooled estimate). ``pooled`` is
    (estimate, low, high), drawn as a diamond; ``prediction`` (low, high) is the range of
    effects expected in a new place, drawn as a pale bar (Borenstein et al. 2009, ch. 17).
    """
    _need(places, ["place", "estimate", "ci_low", "ci_high", "weight_pct"], "forest_plot")
    k = len(places)
    chart = Chart(
        title=title or f"Effect on {outcome_label} in each place",
        xlabel=f"effect on {outcome_label}",
    )
    chart.categories(["Pooled", *[str(p) for p in places["place"]][::-1]])
    y = np.arange(k, 0, -1, dtype=float)
    chart.line(x=0.0, colour=PALETTE["black"], width=0.8)
    chart.intervals(
        y,
        places["ci_low"].to_numpy(dtype=float),
        places["ci_high"].to_numpy(dtype=float),
        colour=PALETTE["grey"],
        horizontal=True,
        cap=3.0,
    )
    weight = places["weight_pct"].to_numpy(dtype=float)
    chart.points(
        places["estimate"].to_numpy(dtype=float),
        y,
        colour=PALETTE["blue"],
        marker="s",
        size=6.0 + 14.0 * np.sqrt(np.clip(weight, 0, 100) / 100.0),
        label="place (size: weight)",
    )
    if prediction is not None and np.all(np.isfinite(prediction)):
        chart.bars(
            [0.0],
            [prediction[0]],
            [prediction[1]],
            horizontal=True,
            thickness=0.22,
            colour=PALETTE["sky"],
            opacity=0.6,
            label="prediction interval (a new place)",
        )
    est, lo, hi = pooled
    chart.polygon(
        [lo, est, hi, est],
        [0.0, 0.25, 0.0, -0.25],
        colour=PALETTE["vermillion"],
        label="pooled effect and confidence interval",
    )
    return chart
