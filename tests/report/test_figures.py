"""Each report figure returns a Figure with the expected content, labels and palette."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from sroi.errors import SroiInputError
from sroi.report import figures as F

OKABE_ITO = {v.lower() for v in F.PALETTE.values()}


def _ax(fig):
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    return fig.axes[0]


def _legend(ax):
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg else []


def test_love_plot_points_and_threshold():
    bal = pd.DataFrame(
        {
            "covariate": ["fsm", "idaci_decile", "prior_attainment"],
            "smd_before": [0.4, -0.25, 0.05],
            "smd_after": [0.03, -0.02, 0.01],
        }
    )
    ax = _ax(F.love_plot(bal))
    before, after = ax.collections[:2]
    assert sorted(before.get_offsets()[:, 0]) == pytest.approx([0.05, 0.25, 0.4])
    assert sorted(after.get_offsets()[:, 0]) == pytest.approx([0.01, 0.02, 0.03])
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "prior_attainment",
        "idaci_decile",
        "fsm",
    ]
    assert "standardised mean difference" in ax.get_xlabel()
    assert any(line.get_xdata()[0] == 0.1 for line in ax.get_lines())
    assert to_hex(after.get_facecolor()[0]) in OKABE_ITO


def test_overlap_plot_suppresses_small_group_size():
    rng = np.random.default_rng(0)
    ax = _ax(F.overlap_plot(rng.uniform(0.2, 0.8, 7), rng.uniform(0, 0.6, 400)))
    legend = _legend(ax)
    assert (
        "participants (n = <10 pupils)" in legend and "comparison pool (n = 400 pupils)" in legend
    )
    assert ax.get_ylabel() == "density" and "propensity" in ax.get_xlabel()
    with pytest.raises(SroiInputError):
        F.overlap_plot([], [0.1])


def test_event_study_plot_pre_and_post_series():
    co = pd.DataFrame(
        {
            "event_time": [-3, -2, -1, 0, 1, 2],
            "estimate": [0.1, -0.1, 0, 2, 2.5, 3],
            "ci_low": [-0.5, -0.6, 0, 1, 1.5, 2],
            "ci_high": [0.7, 0.4, 0, 3, 3.5, 4],
        }
    )
    ax = _ax(
        F.event_study_plot(co, outcome_label="attendance rate", unit="percentage points per term")
    )
    assert _legend(ax) == ["before start", "after start"]
    assert "terms since" in ax.get_xlabel()
    assert "percentage points per term" in ax.get_ylabel()
    with pytest.raises(SroiInputError, match="ci_high"):
        F.event_study_plot(co.drop(columns="ci_high"))


def test_att_gt_plot_one_series_per_cohort_with_suppressed_n():
    rows = [(g, t, 0.01, 0.0, 0.02, n) for g, n in ((4, 120), (7, 5)) for t in range(g, 10)]
    a = pd.DataFrame(rows, columns=["cohort", "time", "att", "ci_low", "ci_high", "n_treated"])
    ax = _ax(F.att_gt_plot(a, outcome_label="attendance"))
    assert _legend(ax) == ["cohort starting term 4, n = 120", "cohort starting term 7, n = <10"]
    assert ax.get_xlabel() == "term (calendar time)"


def test_value_by_agency_plot_stacks_agencies():
    t = pd.DataFrame(
        {
            "agency": ["school", "nhs", "school", "nhs"],
            "year": [0, 0, 1, 1],
            "value": [100.0, 50.0, 80.0, 20.0],
        }
    )
    ax = _ax(F.value_by_agency_plot(t, price_year="2024-25"))
    heights = sorted(round(p.get_height()) for p in ax.patches)
    assert heights == [20, 50, 80, 100]
    assert "2024-25 prices" in ax.get_ylabel()
    assert set(_legend(ax)) == {"school", "nhs"}


def test_tornado_plot_sorted_by_swing():
    t = pd.DataFrame(
        {"parameter": ["a", "b", "c"], "low": [1.9, 1.0, 1.95], "high": [2.1, 3.5, 2.0]}
    )
    ax = _ax(F.tornado_plot(t, base=2.0))
    assert [x.get_text() for x in ax.get_yticklabels()] == ["c", "a", "b"]  # widest on top
    assert "SROI ratio" in ax.get_xlabel()


def test_monte_carlo_plot_marks_break_even_share():
    draws = np.r_[np.full(25, 0.5), np.full(75, 2.0)]
    ax = _ax(F.monte_carlo_plot(draws, point=1.6, interval=(0.5, 2.0)))
    assert "break-even (75% of draws above)" in _legend(ax)
    assert ax.get_ylabel() == "number of simulation draws"
    with pytest.raises(SroiInputError):
        F.monte_carlo_plot([1.0])


def test_break_even_plot_relative_values():
    t = pd.DataFrame(
        {"parameter": ["effect", "unit cost"], "central": [0.02, 300.0], "break_even": [0.01, 0.0]}
    )
    ax = _ax(F.break_even_plot(t))
    xs = sorted(ax.collections[2].get_offsets()[:, 0])
    assert xs == pytest.approx([0.0, 0.5])
    assert "multiple of its central" in ax.get_xlabel()


def test_to_png_is_png():
    fig = F.love_plot(pd.DataFrame({"covariate": ["x"], "smd_before": [0.2], "smd_after": [0.0]}))
    assert F.to_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(SroiInputError):
        F.to_png("not a figure")


def test_figures_do_not_touch_pyplot_state():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    F.love_plot(pd.DataFrame({"covariate": ["x"], "smd_before": [0.2], "smd_after": [0.0]}))
    assert plt.get_fignums() == before
    assert matplotlib.get_backend()
