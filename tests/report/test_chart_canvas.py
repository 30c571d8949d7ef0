"""The SVG chart: safe markup, everything inside the picture, marks where the axes say."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sroi.report.charts import Chart
from tests.report import chart_reading as R

HOSTILE = "<script>alert(\"x\")</script> & 'quote'"


def _basic() -> Chart:
    c = Chart(title="Effect by term", xlabel="term", ylabel="effect\n(points)")
    c.points([1, 2, 3], [0.1, 0.3, -0.2], colour="#0072B2", label="estimate")
    c.intervals([1, 2, 3], [0.0, 0.1, -0.4], [0.2, 0.5, 0.0], colour="#0072B2")
    c.line(y=0, colour="#000000")
    return c


def test_markup_is_one_safe_self_contained_svg():
    svg = _basic().svg('Effect "by" term <b>')
    root = R.parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == 'Effect "by" term <b>'
    assert not re.search(r"<(script|foreignObject|a|image|use|style)\b", svg)
    assert " id=" not in svg and "href" not in svg and "url(" not in svg  # several per page
    assert "on" not in {k[:2] for el in root.iter() for k in el.attrib}  # no event handlers
    assert svg == _basic().svg('Effect "by" term <b>')  # the same chart, the same bytes
    R.inside(svg)


def test_user_text_is_escaped_everywhere():
    c = Chart(title=HOSTILE, xlabel=HOSTILE, ylabel=HOSTILE)
    c.points([0, 1], [0, 1], colour="#0072B2", label=HOSTILE)
    c.categories([HOSTILE, "b"])
    c.note(0.5, 0.5, HOSTILE)
    svg = c.svg(HOSTILE)
    root = R.parse(svg)  # well-formed
    assert "<script" not in svg
    words = " ".join(R.label(t) for t in root.iter(R.NS + "text"))
    for cls in ("legend", "note", "label-x", "label-y"):
        assert " ".join(R.label(t) for t in R.texts(root, cls)) == HOSTILE
    assert HOSTILE.split()[0] in words


def test_missing_values_are_not_drawn_and_do_not_move_the_axes():
    c = Chart(title="t", xlabel="x")
    c.points([0, 1, np.nan, 2, np.inf], [0, 1, 5, np.nan, 9], colour="#0072B2")
    root = R.parse(c.svg("c"))
    (layer,) = R.group(root, "points")
    assert len(R.marker_centres(layer)) == 2
    x, y = R.x_axis(root), R.y_axis(root)
    assert x.values.max() <= 1.05 and y.values.max() <= 1.05
    R.inside(c.svg("c"))


def test_long_titles_legends_and_categories_stay_inside():
    c = Chart(title="A very long title " * 12, xlabel="x label " * 5, width=500)
    c.categories(["a category label that goes on and on " * 3, "short"])
    for i in range(9):
        c.points([i, i + 1], [0, 1], colour="#0072B2", label=f"series number {i} of many")
    svg = c.svg("c")
    R.inside(svg)
    root = R.parse(svg)
    assert len(R.texts(root, "title")) >= 3  # wrapped
    legend_rows = {t.get("y") for t in R.texts(root, "legend")}
    assert len(legend_rows) >= 2  # flowed onto rows
    (long,) = [t for t in R.texts(root, "tick-y") if R.label(t).startswith("a category")]
    assert R.label(long).endswith("…") and len(list(long)) == 1  # two lines, the second cut
    # the plot starts right of the widest category label
    plot_left = float(re.search(r'<path d="M([\d.]+) [^"]*" class="frame"', svg).group(1))
    assert max(R.extent(t, 12)[1] for t in R.texts(root, "tick-y")) <= plot_left


def test_category_rows_grow_with_two_line_labels():
    one = Chart(title="t", xlabel="x")
    one.categories([f"label {i}" for i in range(12)])
    one.points(np.zeros(12), np.arange(12), colour="#0072B2")
    two = Chart(title="t", xlabel="x")
    two.categories([f"a much longer label number {i} " * 3 for i in range(12)])
    two.points(np.zeros(12), np.arange(12), colour="#0072B2")
    h1 = float(R.parse(one.svg("c")).get("viewBox").split()[3])
    h2 = float(R.parse(two.svg("c")).get("viewBox").split()[3])
    assert h2 > h1
    rows = sorted(R.categories(R.parse(two.svg("c"))).values())
    assert np.min(np.diff(rows)) >= 2 * 14 + 6  # two lines of 14 px and a gap


def test_line_needs_exactly_one_position():
    c = Chart(title="t", xlabel="x")
    with pytest.raises(ValueError, match="exactly one"):
        c.line(colour="#000000")
    with pytest.raises(ValueError, match="exactly one"):
        c.line(x=1, y=1, colour="#000000")


def test_note_without_room_on_the_right_ends_left_of_its_point():
    c = Chart(title="t", xlabel="x")
    c.points([0, 1], [0, 1], colour="#0072B2")
    c.note(1.0, 0.5, "a note much too long to fit on the right")
    (note,) = R.texts(R.parse(c.svg("c")), "note")
    assert note.get("text-anchor") == "end"
    R.inside(c.svg("c"))


values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(values, values), min_size=2, max_size=40),
    st.floats(min_value=0.01, max_value=1e5),
)
def test_any_points_are_drawn_where_the_printed_axes_say(pairs, scale):
    xy = np.array(pairs) * np.array([1.0, scale])
    if np.ptp(xy[:, 0]) < 1e-6 * max(1, np.abs(xy[:, 0]).max()) or np.ptp(xy[:, 1]) < 1e-6 * max(
        1, np.abs(xy[:, 1]).max()
    ):
        return  # a degenerate axis: covered by the limits' own tests
    c = Chart(title="t", xlabel="x", ylabel="y")
    c.points(xy[:, 0], xy[:, 1], colour="#0072B2")
    svg = c.svg("c")
    R.inside(svg)
    root = R.parse(svg)
    x, y = R.x_axis(root), R.y_axis(root)
    marks = np.array([m[:2] for m in R.marker_centres(R.group(root, "points")[0])])
    np.testing.assert_allclose(marks[:, 0], x.pixel(xy[:, 0]), atol=0.3)
    np.testing.assert_allclose(marks[:, 1], y.pixel(xy[:, 1]), atol=0.3)


def test_reference_lines_and_bands_widen_only_their_own_axis():
    c = Chart(title="t", xlabel="x", ylabel="y")
    c.points([0, 1], [0, 1], colour="#0072B2")
    c.span(-5, 3, colour="#0072B2", opacity=0.1)
    c.line(x=4, colour="#000000")
    c.line(y=-2, colour="#000000")
    root = R.parse(c.svg("c"))
    x, y = R.x_axis(root), R.y_axis(root)
    assert x.values.min() <= -4 and x.values.max() >= 4  # the band and the vertical line
    assert y.values.min() <= -2 + 0.5 and y.values.max() <= 1.5  # not the band's x values


def test_a_chart_shows_itself_in_jupyter():
    c = _basic()
    assert c._repr_svg_() == c.svg("Effect by term")


def test_long_axis_labels_wrap_to_the_plot_and_long_legend_labels_are_cut():
    from sroi.report.charts.text import text_width

    long = "effect on persistent absence (10%+ of sessions missed) " * 3
    c = Chart(title="t", xlabel=long, ylabel=long + "\n(percentage points per term)")
    c.points([0, 1], [0, 1], colour="#0072B2", label="a legend entry that goes on " * 8)
    svg = c.svg("c")
    R.inside(svg)
    root = R.parse(svg)
    frame = re.search(r'<path d="M([\d.]+) ([\d.]+)V([\d.]+)H([\d.]+)"', svg)
    left, top, bottom, right = (float(v) for v in frame.groups())
    ylab, xlab = R.texts(root, "label-y"), R.texts(root, "label-x")
    assert len(ylab) >= 3 and len(xlab) >= 2  # wrapped, not cut at the edge
    assert all(text_width(t.text, 13) <= bottom - top + 0.1 for t in ylab)
    assert all(text_width(t.text, 13) <= right - left + 0.1 for t in xlab)
    (legend,) = R.texts(root, "legend")
    assert legend.text.endswith("…")
    # the turned y label stays beside the plot, below the legend and above the x axis
    for t in ylab:
        assert float(t.get("x")) + 8 < left
        assert (
            text_width(t.text, 13) / 2
            <= min(float(t.get("y")) - top, bottom - float(t.get("y"))) + 0.1
        )
