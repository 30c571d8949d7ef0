"""Each report figure shows its data: marks read back through the printed axes, labels, legend.

Data values are recovered from the SVG the way a reader would (a mark's position against the
printed tick labels, :mod:`tests.report.chart_reading`), to half a pixel.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sroi.errors import SroiInputError
from sroi.report import figures as F
from sroi.report.charts import Chart
from tests.report import chart_reading as R

OKABE_ITO = {v.lower() for v in F.PALETTE.values()}
PX = 0.5  # tolerance, pixels


def _svg(chart: Chart) -> R.ET.Element:
    assert isinstance(chart, Chart)
    return R.parse(chart.svg("caption"))


def _legend(root) -> list[str]:
    return [t.text for t in R.texts(root, "legend")]


def _one(root, cls: str) -> str:
    return " ".join(t.text for t in R.texts(root, cls))


def test_love_plot_points_and_threshold():
    bal = pd.DataFrame(
        {
            "covariate": ["fsm", "idaci_decile", "prior_attainment"],
            "smd_before": [0.4, -0.25, 0.05],
            "smd_after": [0.03, -0.02, 0.01],
        }
    )
    root = _svg(F.love_plot(bal))
    x = R.x_axis(root)
    rows = R.categories(root)
    # sorted by imbalance before matching, largest on top (smallest pixel y)
    assert sorted(rows, key=rows.get) == ["fsm", "idaci_decile", "prior_attainment"]
    before, after = R.group(root, "points")
    for layer, values, colour in (
        (before, {"fsm": 0.4, "idaci_decile": 0.25, "prior_attainment": 0.05}, "#D55E00"),
        (after, {"fsm": 0.03, "idaci_decile": 0.02, "prior_attainment": 0.01}, "#0072B2"),
    ):
        marks = R.marker_centres(layer)
        assert len(marks) == 3 and {c for _, _, c in marks} == {colour}
        for name, v in values.items():
            (mx,) = [m[0] for m in marks if abs(m[1] - rows[name]) < PX]
            assert mx == pytest.approx(float(x.pixel(v)), abs=PX)
    (threshold,) = R.line_positions(R.group(root, "line")[0])
    assert threshold[0] == pytest.approx(float(x.pixel(0.1)), abs=PX)
    assert "standardised mean difference" in _one(root, "label-x")
    assert _legend(root) == ["threshold 0.1", "before matching", "after matching"]


def test_overlap_plot_densities_and_suppressed_group_size():
    rng = np.random.default_rng(0)
    t, c = rng.uniform(0.2, 0.8, 7), rng.uniform(0, 0.6, 400)
    root = _svg(F.overlap_plot(t, c, bins=10))
    assert _legend(root) == ["comparison pool (n = 400 pupils)", "participants (n = <10 pupils)"]
    assert _one(root, "label-y") == "density" and "propensity" in _one(root, "label-x")
    x, y = R.x_axis(root), R.y_axis(root)
    pool, participants = R.group(root, "bars")
    edges = np.linspace(min(t.min(), c.min()), max(t.max(), c.max()), 11)
    dens = np.histogram(c, bins=edges, density=True)[0]
    boxes = sorted(R.rects(pool))
    assert len(boxes) == 10
    for (bx, by, bw, bh), lo, hi, d in zip(boxes, edges[:-1], edges[1:], dens, strict=True):
        assert float(x.value(bx)) == pytest.approx(lo, abs=PX / x.px_per_unit)
        assert float(x.value(bx + bw)) == pytest.approx(hi, abs=PX / x.px_per_unit)
        assert float(y.value(by)) == pytest.approx(d, abs=PX / y.px_per_unit)
        assert float(y.value(by + bh)) == pytest.approx(0.0, abs=PX / y.px_per_unit)
    # the participants' outline reaches each bin's density
    tops = np.histogram(t, bins=edges, density=True)[0]
    ys = {round(float(y.value(v)), 6) for v in R.path_numbers(participants)}
    for d in tops:
        assert any(abs(d - v) <= PX / y.px_per_unit for v in ys)
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
    root = _svg(
        F.event_study_plot(co, outcome_label="attendance rate", unit="percentage points per term")
    )
    assert _legend(root) == ["before start", "after start"]
    assert "terms since" in _one(root, "label-x")
    assert "percentage points per term" in _one(root, "label-y")
    x, y = R.x_axis(root), R.y_axis(root)
    assert all(float(v).is_integer() for v in x.values)  # terms: whole-number ticks
    marks = [m for g in R.group(root, "points") for m in R.marker_centres(g)]
    got = sorted((round(float(x.value(a)), 2), round(float(y.value(b)), 2)) for a, b, _ in marks)
    assert got == [(-3, 0.1), (-2, -0.1), (-1, 0), (0, 2), (1, 2.5), (2, 3)]
    # the intervals' ends: every ci_low and ci_high is an end of a vertical stroke
    ends = [float(y.value(v)) for g in R.group(root, "intervals") for v in R.path_numbers(g)]
    for v in (*co["ci_low"], *co["ci_high"]):
        assert min(abs(v - e) for e in ends) <= PX / y.px_per_unit
    with pytest.raises(SroiInputError, match="ci_high"):
        F.event_study_plot(co.drop(columns="ci_high"))


def test_att_gt_plot_one_series_per_cohort_with_suppressed_n():
    rows = [(g, t, 0.01 * t, 0.0, 0.02 * t, n) for g, n in ((4, 120), (7, 5)) for t in range(g, 10)]
    a = pd.DataFrame(rows, columns=["cohort", "time", "att", "ci_low", "ci_high", "n_treated"])
    root = _svg(F.att_gt_plot(a, outcome_label="attendance"))
    assert _legend(root) == ["cohort starting term 4, n = 120", "cohort starting term 7, n = <10"]
    assert _one(root, "label-x") == "term (calendar time)"
    x, y = R.x_axis(root), R.y_axis(root)
    first, second = (R.marker_centres(g) for g in R.group(root, "points"))
    assert len(first) == 6 and len(second) == 3
    assert first[0][2] != second[0][2]  # a colour per cohort
    # dodged by a fifth of a term each way around the term
    assert [round(float(x.value(m[0])), 2) for m in second] == [7.15, 8.15, 9.15]
    assert [round(float(y.value(m[1])), 3) for m in first] == [0.04, 0.05, 0.06, 0.07, 0.08, 0.09]


def test_value_by_agency_plot_stacks_agencies():
    t = pd.DataFrame(
        {
            "agency": ["school", "nhs", "school", "nhs", "nhs"],
            "year": [0, 0, 1, 1, 2],
            "value": [100.0, 50.0, 80.0, 20.0, -30.0],
        }
    )
    root = _svg(F.value_by_agency_plot(t, price_year="2024-25"))
    assert "2024-25 prices" in _one(root, "label-y")
    assert set(_legend(root)) == {"school", "nhs"}
    assert all(v.startswith(("£", "\u2212£")) for v in (e.text for e in R.texts(root, "tick-y")))
    y = R.y_axis(root)
    spans = sorted(
        (round(float(y.value(b + h)), 1), round(float(y.value(b)), 1))
        for g in R.group(root, "bars")
        for _, b, _, h in R.rects(g)
        if h > 0  # school's value in year 2 is zero: a bar of no height
    )
    # nhs from 0, school stacked on it; the loss hangs below zero
    assert spans == [(-30, 0), (0, 20), (0, 50), (20, 100), (50, 150)]


def test_tornado_plot_sorted_by_swing_and_bars_from_the_centre():
    t = pd.DataFrame(
        {"parameter": ["a", "b", "c"], "low": [1.9, 1.0, 1.95], "high": [2.1, 3.5, 2.0]}
    )
    root = _svg(F.tornado_plot(t, base=2.0))
    rows = R.categories(root)
    assert sorted(rows, key=rows.get) == ["b", "a", "c"]  # widest on top
    assert "SROI ratio" in _one(root, "label-x")
    x = R.x_axis(root)
    low, high = R.group(root, "bars")
    got = {
        (round(float(x.value(bx)), 2), round(float(x.value(bx + bw)), 2))
        for g in (low, high)
        for bx, _, bw, _ in R.rects(g)
    }
    assert got == {(1.9, 2.0), (1.0, 2.0), (1.95, 2.0), (2.0, 2.1), (2.0, 3.5), (2.0, 2.0)}
    assert "central 2.00" in _legend(root)


def test_monte_carlo_plot_marks_break_even_share():
    draws = np.r_[np.full(25, 0.5), np.full(75, 2.0)]
    root = _svg(F.monte_carlo_plot(draws, point=1.6, interval=(0.5, 2.0), bins=3))
    assert "break-even (75% of draws above)" in _legend(root)
    assert _one(root, "label-y") == "number of simulation draws"
    x, y = R.x_axis(root), R.y_axis(root)
    heights = sorted(
        round(float(y.value(b))) for b in (r[1] for r in R.rects(R.group(root, "bars")[0]))
    )
    assert heights == [0, 25, 75]
    xs = sorted(
        round(float(x.value(ln[0])), 2) for g in R.group(root, "line") for ln in R.line_positions(g)
    )
    assert xs == [1.0, 1.6]
    (band,) = R.rects(R.group(root, "span")[0])
    assert float(x.value(band[0])) == pytest.approx(0.5, abs=0.01)
    assert float(x.value(band[0] + band[2])) == pytest.approx(2.0, abs=0.01)
    with pytest.raises(SroiInputError):
        F.monte_carlo_plot([1.0])


def test_break_even_plot_relative_values():
    t = pd.DataFrame(
        {
            "parameter": ["effect", "unit cost", "never"],
            "central": [0.02, 300.0, 0.0],
            "break_even": [0.01, 0.0, 5.0],
        }
    )
    root = _svg(F.break_even_plot(t))
    x = R.x_axis(root)
    rows = R.categories(root)
    central, be = (R.marker_centres(g) for g in R.group(root, "points"))
    assert [round(float(x.value(m[0])), 3) for m in central] == [1.0, 1.0, 1.0]
    got = {min(rows, key=lambda k: abs(rows[k] - m[1])): round(float(x.value(m[0])), 3) for m in be}
    assert got == {"effect": 0.5, "unit cost": 0.0}
    notes = R.texts(root, "note")
    assert [n.text for n in notes] == ["no break-even in range"]
    assert abs(float(notes[0].get("y")) - 4.0 - rows["never"]) < PX
    assert "multiple of its central" in _one(root, "label-x")


def test_forest_plot_places_pooled_diamond_and_prediction_bar():
    places = pd.DataFrame(
        {
            "place": ["Area A", "Area B"],
            "estimate": [-0.1, 0.05],
            "ci_low": [-0.2, -0.05],
            "ci_high": [0.0, 0.15],
            "weight_pct": [75.0, 25.0],
        }
    )
    root = _svg(F.forest_plot(places, pooled=(-0.06, -0.12, 0.0), prediction=(-0.3, 0.2)))
    rows = R.categories(root)
    assert sorted(rows, key=rows.get) == ["Area A", "Area B", "Pooled"]
    x = R.x_axis(root)
    squares = R.marker_centres(R.group(root, "points")[0])
    assert [round(float(x.value(m[0])), 3) for m in squares] == [-0.1, 0.05]
    sizes = [float(r[2]) for r in R.rects(R.group(root, "points")[0])]
    assert sizes[0] > sizes[1]  # the heavier place has the larger square
    (diamond,) = R.group(root, "polygon")[0]
    pts = [tuple(map(float, p.split(","))) for p in diamond.get("points").split()]
    assert [round(float(x.value(p[0])), 3) for p in pts] == [-0.12, -0.06, 0.0, -0.06]
    (bar,) = R.rects(R.group(root, "bars")[0])
    assert (round(float(x.value(bar[0])), 3), round(float(x.value(bar[0] + bar[2])), 3)) == (
        -0.3,
        0.2,
    )


def test_figure_colours_are_the_palette():
    bal = pd.DataFrame({"covariate": ["x"], "smd_before": [0.2], "smd_after": [0.0]})
    svg = F.love_plot(bal).svg("c")
    colours = set(pd.Series(R.re.findall(r'(?:fill|stroke)="(#[0-9A-Fa-f]{6})"', svg)).str.lower())
    chrome = {"#ffffff", "#222222", "#444444", "#e3e3e3"}
    assert colours - chrome <= OKABE_ITO


_num = st.one_of(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.just(float("nan")),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_num, _num, _num), min_size=1, max_size=12))
def test_figures_from_any_numbers_are_valid_and_inside(rows):
    """Missing, equal, reversed or huge values: each figure still draws inside its frame."""
    a, b, c = (np.array(v, dtype=float) for v in zip(*rows, strict=True))
    n = len(rows)
    names = [f"input {i}" for i in range(n)]
    charts = [
        F.love_plot(pd.DataFrame({"covariate": names, "smd_before": a, "smd_after": b})),
        F.event_study_plot(
            pd.DataFrame({"event_time": np.arange(n) - 2, "estimate": a, "ci_low": b, "ci_high": c})
        ),
        F.tornado_plot(pd.DataFrame({"parameter": names, "low": a, "high": b}), base=1.0),
        F.break_even_plot(pd.DataFrame({"parameter": names, "central": a, "break_even": b})),
        F.value_by_agency_plot(
            pd.DataFrame(
                {"agency": ["school"] * n, "year": np.arange(n), "value": np.nan_to_num(a)}
            )
        ),
    ]
    if np.isfinite(a).sum() >= 2:
        charts.append(F.monte_carlo_plot(a, point=float(np.nanmean(a))))
    for chart in charts:
        R.inside(chart.svg("caption"))
