"""Benchmark: the report's charts (:mod:`sroi.report.charts`, SVG) against matplotlib.

Until December 2026 the report drew its figures with matplotlib (object API, constrained
layout, PNG at 110 dpi). This prints, for four of the report's kinds of figure on data the
size of the sample's, the median time to make the figure and render it: sroi's chart to its
SVG text, matplotlib's to PNG (what the report embedded) and to SVG, each drawn the way the
report drew it. Imports are not timed (matplotlib is imported once, before). Nothing is
asserted about time.

Run with ``nox -s bench`` or ``python -m pytest tests/benchmarks/bench_figures.py -s``.
"""

from __future__ import annotations

import io
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from sroi.report import figures

REPEATS = int(os.environ.get("SROI_BENCH_REPEATS", "3")) * 5
RNG = np.random.default_rng(2026)

BALANCE = pd.DataFrame(
    {
        "covariate": [f"covariate_{i}" for i in range(26)],
        "smd_before": RNG.uniform(-0.7, 0.7, 26),
        "smd_after": RNG.uniform(-0.15, 0.15, 26),
    }
)
EVENT = pd.DataFrame(
    {
        "event_time": np.arange(-4, 5),
        "estimate": RNG.normal(0, 1, 9),
    }
).assign(ci_low=lambda d: d.estimate - 1.5, ci_high=lambda d: d.estimate + 1.5)
TREATED, POOL = RNG.beta(2, 8, 250), RNG.beta(1, 30, 4500)
DRAWS = RNG.normal(0.05, 0.02, 10_000)


def _mpl_axes(width: float = 7.0, height: float = 4.0):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.grid(True, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _mpl_love():
    b = BALANCE.assign(a=BALANCE.smd_before.abs(), z=BALANCE.smd_after.abs()).sort_values("a")
    fig, ax = _mpl_axes(7.0, 0.28 * len(b) + 1.2)
    y = np.arange(len(b))
    ax.scatter(b.a, y, facecolors="none", edgecolors="#D55E00", label="before matching")
    ax.scatter(b.z, y, marker="s", color="#0072B2", label="after matching")
    ax.axvline(0.1, color="#6E6E6E", linestyle="--", label="threshold 0.1")
    ax.set_yticks(y, b.covariate.tolist())
    ax.set_xlabel("absolute standardised mean difference (treated SD units)")
    ax.set_title("Covariate balance before and after matching")
    ax.legend(loc="lower right")
    return fig


def _mpl_event():
    fig, ax = _mpl_axes()
    e, est = EVENT.event_time.to_numpy(), EVENT.estimate.to_numpy()
    err = [est - EVENT.ci_low.to_numpy(), EVENT.ci_high.to_numpy() - est]
    ax.errorbar(e, est, yerr=err, fmt="s", color="#0072B2", capsize=3, label="after start")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("terms since the programme started (0 = first term)")
    ax.set_ylabel("effect on attendance rate\n(percentage points per term)")
    ax.set_title("Effect on attendance rate by term since start")
    ax.legend()
    return fig


def _mpl_overlap():
    fig, ax = _mpl_axes()
    edges = np.linspace(0, 1, 31)
    ax.hist(POOL, bins=edges, density=True, alpha=0.55, color="#56B4E9", label="pool")
    ax.hist(TREATED, bins=edges, density=True, histtype="step", color="#D55E00", label="treated")
    ax.set_xlabel("propensity score (probability of taking part)")
    ax.set_ylabel("density")
    ax.set_title("Overlap of participants and comparison pool")
    ax.legend()
    return fig


def _mpl_monte_carlo():
    fig, ax = _mpl_axes()
    ax.hist(DRAWS, bins=50, color="#56B4E9", edgecolor="white", linewidth=0.3)
    ax.axvline(0.05, color="#0072B2", linewidth=2, label="central 0.05")
    ax.axvline(1.0, color="#D55E00", linestyle="--", label="break-even")
    ax.set_xlabel("SROI ratio (£ of value per £1 invested)")
    ax.set_ylabel("number of simulation draws")
    ax.set_title("Uncertainty in the result (10,000 simulation draws)")
    ax.legend(fontsize=8)
    return fig


CASES: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
    "love plot (26 covariates)": (lambda: figures.love_plot(BALANCE), _mpl_love),
    "event study (9 terms)": (
        lambda: figures.event_study_plot(EVENT, outcome_label="attendance rate", unit="pp"),
        _mpl_event,
    ),
    "overlap (250 + 4,500 scores)": (lambda: figures.overlap_plot(TREATED, POOL), _mpl_overlap),
    "Monte Carlo (10,000 draws)": (lambda: figures.monte_carlo_plot(DRAWS), _mpl_monte_carlo),
}


def _median_ms(make: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        make()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def _svg(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


def test_charts_against_matplotlib():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    print(f"\nreport figures, median of {REPEATS} (ms); ratio = matplotlib PNG / sroi SVG")
    print(f"{'figure':30s} {'sroi SVG':>9s} {'mpl PNG':>9s} {'mpl SVG':>9s} {'ratio':>7s}")
    for name, (ours, theirs) in CASES.items():
        a = _median_ms(lambda ours=ours: ours().svg("figure"))
        b = _median_ms(lambda theirs=theirs: _png(theirs()))
        c = _median_ms(lambda theirs=theirs: _svg(theirs()))
        print(f"{name:30s} {a:9.1f} {b:9.1f} {c:9.1f} {b / a:7.0f}")
