"""Report figures: one style, a colour-blind-safe palette, labelled axes with units.

Every function returns a :class:`matplotlib.figure.Figure` (built with the object API, so
nothing is drawn to a global state and figures can be tested headless). Colours come from
the Okabe & Ito (2008) palette, which stays distinguishable under the common forms of colour
blindness; lines also differ by marker or style so figures survive greyscale printing.
Counts in labels pass through :func:`sroi.report.disclosure.suppress_count`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError
from sroi.report.disclosure import suppress_count

if TYPE_CHECKING:  # imported where a figure is made: a report kernel whose figures are drawn
    # by worker processes (sroi.report.workers) never loads matplotlib
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "PALETTE",
    "to_png",
    "draw_png",
    "love_plot",
    "overlap_plot",
    "event_study_plot",
    "att_gt_plot",
    "value_by_agency_plot",
    "tornado_plot",
    "monte_carlo_plot",
    "break_even_plot",
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

#: matplotlib settings the axes are created with (typed Any: matplotlib's stubs spell out
#: every rc key as a literal).
_RC: Any = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}


def _colour(i: int) -> str:
    return PALETTE[_CYCLE[i % len(_CYCLE)]]


def _figure(width: float = 7.0, height: float = 4.0) -> tuple[Figure, Axes]:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
        ax = fig.add_subplot()
    ax.grid(True, alpha=0.3)
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    return fig, ax


def _yerr(est: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Error-bar lengths; an interval not containing its estimate is drawn from the estimate."""
    err = np.vstack([est - lo, hi - est])
    return np.nan_to_num(np.clip(err, 0.0, None), nan=0.0)


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


def love_plot(balance: pd.DataFrame, threshold: float = 0.1, title: str | None = None) -> Figure:
    """Absolute standardised mean differences before and after matching (a "love plot").

    ``balance`` has columns ``covariate``, ``smd_before``, ``smd_after``. SMD = difference
    in means over the treated group's standard deviation (ATT); the dashed line marks the
    usual balance threshold |SMD| = 0.1.
    """
    _need(balance, ["covariate", "smd_before", "smd_after"], "love_plot")
    b = balance.copy()
    b["abs_before"] = b["smd_before"].astype(float).abs()
    b["abs_after"] = b["smd_after"].astype(float).abs()
    b = b.sort_values("abs_before").reset_index(drop=True)
    fig, ax = _figure(7.0, max(2.5, 0.28 * len(b) + 1.2))
    y = np.arange(len(b))
    ax.scatter(
        b["abs_before"],
        y,
        marker="o",
        facecolors="none",
        edgecolors=PALETTE["vermillion"],
        label="before matching",
        zorder=3,
    )
    ax.scatter(
        b["abs_after"], y, marker="s", color=PALETTE["blue"], label="after matching", zorder=3
    )
    ax.axvline(
        threshold,
        color=PALETTE["grey"],
        linestyle="--",
        linewidth=1,
        label=f"threshold {threshold:g}",
    )
    ax.set_yticks(y, b["covariate"].astype(str).tolist())
    ax.set_xlabel("absolute standardised mean difference (treated SD units)")
    ax.set_title(title or "Covariate balance before and after matching")
    ax.legend(loc="lower right")
    return fig


def overlap_plot(
    treated: Sequence[float] | np.ndarray,
    control: Sequence[float] | np.ndarray,
    *,
    label: str = "propensity score (probability of taking part)",
    title: str | None = None,
    threshold: int = 10,
    bins: int = 30,
    counts: tuple[int, int] | None = None,
) -> Figure:
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
    fig, ax = _figure()
    ax.hist(
        c,
        bins=edges.tolist(),
        density=True,
        alpha=0.55,
        color=PALETTE["sky"],
        label=f"comparison pool (n = {suppress_count(n_c, threshold)} pupils)",
    )
    ax.hist(
        t,
        bins=edges.tolist(),
        density=True,
        histtype="step",
        linewidth=2,
        color=PALETTE["vermillion"],
        label=f"participants (n = {suppress_count(n_t, threshold)} pupils)",
    )
    ax.set_xlabel(label)
    ax.set_ylabel("density")
    ax.set_title(title or "Overlap of participants and comparison pool")
    ax.legend()
    return fig


def event_study_plot(
    coefficients: pd.DataFrame,
    *,
    outcome_label: str = "outcome",
    unit: str | None = None,
    reference: int = -1,
    title: str | None = None,
) -> Figure:
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
    fig, ax = _figure()
    pre = e < 0
    for mask, colour, name, marker in (
        (pre, PALETTE["grey"], "before start", "o"),
        (~pre, PALETTE["blue"], "after start", "s"),
    ):
        if mask.any():
            ax.errorbar(
                e[mask],
                est[mask],
                yerr=[est[mask] - lo[mask], hi[mask] - est[mask]],
                fmt=marker,
                color=colour,
                capsize=3,
                label=name,
            )
    ax.axhline(0, color=PALETTE["black"], linewidth=0.8)
    ax.axvline(-0.5, color=PALETTE["grey"], linestyle=":", linewidth=1)
    ax.set_xlabel("terms since the programme started (0 = first term)")
    ax.set_ylabel(f"effect on {outcome_label}" + (f"\n({unit})" if unit else ""))
    ax.set_title(title or f"Effect on {outcome_label} by term since start")
    ax.legend()
    return fig


def att_gt_plot(
    att_gt: pd.DataFrame,
    *,
    outcome_label: str = "outcome",
    unit: str | None = None,
    title: str | None = None,
    threshold: int = 10,
) -> Figure:
    """Group-time average treatment effects ATT(g, t) of Callaway & Sant'Anna (2021).

    One panel line per cohort ``g`` (first term in the programme) over calendar time ``t``;
    ``att_gt`` has columns ``cohort``, ``time``, ``att``, ``ci_low``, ``ci_high`` and,
    optionally, ``n_treated`` (shown, suppressed below ``threshold``, in the legend).
    """
    _need(att_gt, ["cohort", "time", "att", "ci_low", "ci_high"], "att_gt_plot")
    fig, ax = _figure()
    cohorts = sorted(att_gt["cohort"].unique())
    width = 0.6 / max(1, len(cohorts))
    for i, g in enumerate(cohorts):
        d = att_gt[att_gt["cohort"] == g].sort_values("time")
        x = d["time"].to_numpy(dtype=float) + (i - (len(cohorts) - 1) / 2) * width
        y = d["att"].to_numpy(dtype=float)
        yerr = _yerr(y, d["ci_low"].to_numpy(dtype=float), d["ci_high"].to_numpy(dtype=float))
        n = ""
        if "n_treated" in d.columns and d["n_treated"].notna().any():
            n = f", n = {suppress_count(int(d['n_treated'].max()), threshold)}"
        ax.errorbar(
            x,
            y,
            yerr=yerr,
            fmt="os^Dv<>p"[i % 8],
            color=_colour(i),
            capsize=2,
            label=f"cohort starting term {int(g)}{n}",
        )
        ax.axvline(float(g) - 0.5, color=_colour(i), linestyle=":", linewidth=1)
    ax.axhline(0, color=PALETTE["black"], linewidth=0.8)
    ax.set_xlabel("term (calendar time)")
    ax.set_ylabel(f"effect on {outcome_label}" + (f"\n({unit})" if unit else ""))
    ax.set_title(title or f"Effect on {outcome_label} by cohort and term, ATT(g,t)")
    ax.legend(fontsize=8)
    return fig


def value_by_agency_plot(
    table: pd.DataFrame,
    *,
    agency: str = "agency",
    year: str = "year",
    value: str = "value",
    currency: str = "£",
    price_year: str | None = None,
    title: str | None = None,
) -> Figure:
    """Present value of benefits by year, stacked by the agency that gains.

    ``table`` is long: one row per (agency, year) with the value in pounds.
    """
    _need(table, [agency, year, value], "value_by_agency_plot")
    wide = table.pivot_table(index=year, columns=agency, values=value, aggfunc="sum").fillna(0.0)
    fig, ax = _figure()
    x = wide.index.to_numpy()
    pos = np.zeros(len(x))
    neg = np.zeros(len(x))
    for i, col in enumerate(wide.columns):
        v = wide[col].to_numpy(dtype=float)
        base = np.where(v >= 0, pos, neg)
        ax.bar(
            x,
            v,
            bottom=base,
            color=_colour(i),
            label=str(col).replace("_", " "),
            edgecolor="white",
            linewidth=0.5,
        )
        pos = pos + np.clip(v, 0, None)
        neg = neg + np.clip(v, None, 0)
    ax.axhline(0, color=PALETTE["black"], linewidth=0.8)
    ax.set_xlabel("appraisal year (0 = first year of delivery)")
    prices = f", {price_year} prices" if price_year else ""
    ax.set_ylabel(f"present value ({currency}{prices})")
    import matplotlib.ticker

    ax.yaxis.set_major_formatter(
        # a format string, not a function: the figure can be pickled to a worker process
        matplotlib.ticker.StrMethodFormatter(
            currency.replace("{", "{{").replace("}", "}}") + "{x:,.0f}"
        )
    )
    ax.set_title(title or "Value by year and by the agency that benefits")
    ax.legend(fontsize=8)
    return fig


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
) -> Figure:
    """One-way sensitivity ("tornado"): the result when each input is set to its low and high value.

    ``table`` has the metric at each input's low and high value; rows are sorted by the
    width of the swing, widest on top. ``base`` draws the central result.
    """
    _need(table, [parameter, low, high], "tornado_plot")
    t = table.copy()
    t["_swing"] = (t[high].astype(float) - t[low].astype(float)).abs()
    t = t.sort_values("_swing").tail(max_rows).reset_index(drop=True)
    fig, ax = _figure(7.0, max(2.5, 0.35 * len(t) + 1.2))
    y = np.arange(len(t))
    centre = float(base) if base is not None else float(np.nanmedian(t[[low, high]].to_numpy()))
    lo = t[low].to_numpy(dtype=float)
    hi = t[high].to_numpy(dtype=float)
    ax.barh(y, lo - centre, left=centre, color=PALETTE["vermillion"], label="input at low value")
    ax.barh(y, hi - centre, left=centre, color=PALETTE["blue"], label="input at high value")
    ax.axvline(centre, color=PALETTE["black"], linewidth=1, label=f"central {centre:.2f}")
    ax.set_yticks(y, [str(p).replace("_", " ") for p in t[parameter]])
    ax.set_xlabel(metric_label)
    ax.set_title(title or "Which assumptions matter most (one at a time)")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def monte_carlo_plot(
    draws: Sequence[float] | np.ndarray,
    *,
    point: float | None = None,
    interval: tuple[float, float] | None = None,
    label: str = "SROI ratio (£ of value per £1 invested)",
    break_even: float | None = 1.0,
    title: str | None = None,
    bins: int = 50,
) -> Figure:
    """Histogram of Monte Carlo draws of a result, with its central value and interval.

    ``break_even`` marks the value where benefits equal costs (1 for a ratio, 0 for NPV).
    """
    x = np.asarray(draws, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        raise SroiInputError("monte_carlo_plot: needs at least two finite draws")
    fig, ax = _figure()
    ax.hist(x, bins=bins, color=PALETTE["sky"], edgecolor="white", linewidth=0.3)
    if interval is not None:
        ax.axvspan(
            interval[0],
            interval[1],
            color=PALETTE["blue"],
            alpha=0.12,
            label=f"interval {interval[0]:,.2f} to {interval[1]:,.2f}",
        )
    if point is not None:
        ax.axvline(point, color=PALETTE["blue"], linewidth=2, label=f"central {point:,.2f}")
    if break_even is not None:
        share = float(np.mean(x > break_even))
        ax.axvline(
            break_even,
            color=PALETTE["vermillion"],
            linestyle="--",
            linewidth=1.5,
            label=f"break-even ({share:.0%} of draws above)",
        )
    ax.set_xlabel(label)
    ax.set_ylabel("number of simulation draws")
    ax.set_title(title or f"Uncertainty in the result ({x.size:,} simulation draws)")
    ax.legend(fontsize=8)
    return fig


def break_even_plot(
    table: pd.DataFrame,
    *,
    parameter: str = "parameter",
    central: str = "central",
    break_even: str = "break_even",
    title: str | None = None,
) -> Figure:
    """How far each input could move before benefits no longer cover costs.

    For each input, the central value and the break-even value (where NPV = 0) are shown as
    a share of the central value, so inputs in different units share one axis.
    """
    _need(table, [parameter, central, break_even], "break_even_plot")
    t = table.copy()
    c = t[central].astype(float).to_numpy()
    b = t[break_even].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(c != 0, b / c, np.nan)
    t["_rel"] = rel
    t = t.sort_values("_rel", na_position="first").reset_index(drop=True)
    fig, ax = _figure(7.0, max(2.5, 0.35 * len(t) + 1.2))
    y = np.arange(len(t))
    r = t["_rel"].to_numpy(dtype=float)
    ok = np.isfinite(r)
    ax.hlines(y[ok], np.minimum(r[ok], 1.0), np.maximum(r[ok], 1.0), color=PALETTE["grey"])
    ax.scatter(
        np.ones(len(t)), y, color=PALETTE["blue"], marker="o", label="central value", zorder=3
    )
    ax.scatter(
        r[ok], y[ok], color=PALETTE["vermillion"], marker="D", label="break-even value", zorder=3
    )
    for yi in y[~ok]:
        ax.annotate(
            "no break-even in range",
            (1.0, yi),
            xytext=(6, -3),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_yticks(y, [str(p).replace("_", " ") for p in t[parameter]])
    ax.set_xlabel("value as a multiple of its central assumption (1 = central)")
    ax.set_title(title or "Break-even: how far each input can move before NPV = 0")
    ax.legend(fontsize=8)
    return fig


def to_png(fig: Figure, dpi: int = 110) -> bytes:
    """Render a figure to PNG bytes (what the report embeds)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise SroiInputError(f"to_png: expected a matplotlib Figure, got {type(fig).__name__}")
    FigureCanvasAgg(fig)
    fit_titles(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def draw_png(draw: Callable[[], Figure], dpi: int = 110) -> bytes:
    """Make a figure with ``draw`` and render it to PNG bytes (a worker process's task).

    Parameters
    ----------
    draw
        A function returning the figure, e.g. ``functools.partial(love_plot, table)``.
    dpi
        Resolution, as :func:`to_png`.
    """
    fig = draw()
    png = to_png(fig, dpi)
    fig.clear()
    return png


def fit_titles(fig: Figure, width: int = 60) -> None:
    """Wrap each axes title at ``width`` characters so no title is cut at the figure's edge.

    Parameters
    ----------
    fig
        The figure (changed in place).
    width
        Characters per title line.
    """
    import textwrap

    for ax in fig.axes:
        title = ax.get_title()
        if title and len(title) > width and "\n" not in title:
            ax.set_title("\n".join(textwrap.wrap(title, width)))
