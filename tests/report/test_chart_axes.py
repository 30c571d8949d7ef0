"""Axis limits, round ticks, tick labels and text measurement of the report's charts."""

import math
import pathlib

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sroi.report.charts import font_widths
from sroi.report.charts.text import fit, text_width, wrap
from sroi.report.charts.ticks import axis_limits, nice_ticks, tick_labels
from tests.report.chart_reading import number

finite = st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False)


@st.composite
def ranges(draw):
    low = draw(finite)
    width = draw(st.floats(min_value=1e-9, max_value=1e15))
    return low, low + max(width, abs(low) * 1e-6)


def test_ticks_by_hand():
    assert nice_ticks(0.0, 1.0, 6).tolist() == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert nice_ticks(-0.7, 3.3, 8).tolist() == pytest.approx(np.arange(-0.5, 3.01, 0.5))
    assert nice_ticks(-4.4, 4.4, 10, integer=True).tolist() == list(range(-4, 5))
    assert nice_ticks(0.012, 0.087, 8).tolist() == pytest.approx(np.arange(0.02, 0.081, 0.01))
    assert nice_ticks(-12_000, 480_000, 8).tolist() == [0, 1e5, 2e5, 3e5, 4e5]
    # no whole-number step fits inside 0.01..0.013: the limits themselves
    assert nice_ticks(0.01, 0.013, 8, integer=True).tolist() == [0.01, 0.013]
    with pytest.raises(ValueError):
        nice_ticks(1.0, 1.0)


@settings(max_examples=400, deadline=None)
@given(ranges(), st.integers(min_value=3, max_value=12), st.booleans())
def test_ticks_are_round_even_and_inside(rng, most, integer):
    low, high = rng
    t = nice_ticks(low, high, most, integer=integer)
    assert 2 <= t.size <= most
    tol = (high - low) * 1e-9 + 1e-12
    assert t[0] >= low - tol and t[-1] <= high + tol
    if t.size > 2 or not (t[0] == low and t[1] == high):
        step = t[1] - t[0]
        np.testing.assert_allclose(np.diff(t), step, rtol=1e-9, atol=np.abs(t).max() * 1e-14)
        mantissa = step / 10 ** math.floor(math.log10(step) + 1e-12)
        assert min(abs(mantissa - m) for m in (1, 2, 2.5, 5, 10)) < 1e-6
        assert np.allclose(t / step, np.round(t / step), atol=1e-6)  # multiples of the step
        if integer:
            assert step >= 1 and np.all(t == np.round(t))


@settings(max_examples=300, deadline=None)
@given(ranges(), st.sampled_from(["", "£"]))
def test_tick_labels_read_back_as_their_values(rng, prefix):
    t = nice_ticks(*rng, 8)
    labels = tick_labels(t, prefix=prefix)
    assert len(set(labels)) == len(labels)
    read = np.array([number(v) for v in labels])
    step = float(np.min(np.diff(t))) if t.size > 1 else 1.0
    np.testing.assert_allclose(read, t, atol=step * 1e-6)
    for v, x in zip(labels, t, strict=True):
        assert v.startswith("\u2212") == (x < -step * 1e-9)  # a true minus sign, no "-0"
        assert "-" not in v and v.startswith(("\u2212" + prefix, prefix))


def test_tick_labels_by_hand():
    assert tick_labels(np.array([-1e4, 0, 1e4, 2e4]), prefix="£") == [
        "\u2212£10,000",
        "£0",
        "£10,000",
        "£20,000",
    ]
    assert tick_labels(np.array([0.0, 0.25, 0.5])) == ["0.00", "0.25", "0.50"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(finite, st.just(math.nan), st.just(math.inf)), min_size=1, max_size=30))
def test_limits_show_every_finite_value(values):
    v = np.array(values)
    low, high = axis_limits(v)
    assert low < high
    f = v[np.isfinite(v)]
    if f.size:
        assert low <= f.min() and f.max() <= high


def test_limits_margin_and_sticky_zero():
    assert axis_limits(np.array([0.0, 10.0])) == pytest.approx((-0.5, 10.5))
    assert axis_limits(np.array([0.0, 10.0]), sticky=(0.0,)) == pytest.approx((0.0, 10.5))
    assert axis_limits(np.array([-10.0, 0.0]), sticky=(0.0,)) == pytest.approx((-10.5, 0.0))
    # data away from zero: the axis does not reach to it
    assert axis_limits(np.array([5.0, 10.0]), sticky=(0.0,)) == pytest.approx((4.75, 10.25))
    assert axis_limits(np.array([3.0, 3.0])) == pytest.approx((2.85, 3.15))
    assert axis_limits(np.array([np.nan])) == (0.0, 1.0)


def test_font_widths_are_the_afm_files():
    """The stored widths are those of matplotlib's Helvetica AFM files (the script's source)."""
    import importlib.util

    script = pathlib.Path(__file__).parents[1] / "fixtures" / "fonts" / "make_font_widths.py"
    spec = importlib.util.spec_from_file_location("make_font_widths", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    afm = pathlib.Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "afm"
    regular, bold = module.read_afm(afm / "phvr8a.afm"), module.read_afm(afm / "phvb8a.afm")
    assert {c: (regular[c], bold[c]) for c in regular} == font_widths.WIDTHS
    assert font_widths.WIDTHS["i"] == (222, 278) and font_widths.WIDTHS["W"] == (944, 944)


def test_text_width_by_hand():
    assert text_width("Wi", 10) == pytest.approx((944 + 222) / 100)
    assert text_width("Wi", 10, bold=True) == pytest.approx((944 + 278) / 100)
    assert text_width("≥", 10) == pytest.approx(10.0)  # outside the table: one em
    assert text_width("ab", 12) == pytest.approx(text_width("a", 12) + text_width("b", 12))


words = st.text(alphabet="abcdefghij WMil.", min_size=0, max_size=120)


@settings(max_examples=300, deadline=None)
@given(words, st.floats(min_value=20, max_value=400))
def test_wrap_keeps_every_word_within_the_width(text, width):
    lines = wrap(text, width, 12)
    assert " ".join(lines).split() == text.split()
    for line in lines:
        assert text_width(line, 12) <= width or " " not in line.strip()


@settings(max_examples=300, deadline=None)
@given(words, st.floats(min_value=20, max_value=400), st.integers(min_value=1, max_value=3))
def test_fit_is_within_width_and_lines(text, width, most):
    lines = fit(text, width, 12, most_lines=most)
    assert 1 <= len(lines) <= most
    assert all(text_width(v, 12) <= width + 1e-9 for v in lines)
    shown = " ".join(lines)
    if "…" not in shown:
        assert shown.split() == text.split()
    else:  # what is shown is the start of the text
        start = shown.replace("…", "").replace(" ", "")
        assert text.replace(" ", "").startswith(start)


def test_huge_and_tiny_ticks_in_scientific_notation():
    assert tick_labels(nice_ticks(0, 5e138, 8)) == [
        "0",
        "1e138",
        "2e138",
        "3e138",
        "4e138",
        "5e138",
    ]
    assert tick_labels(nice_ticks(-3e-7, 2e-7, 8)) == [
        "\u22123e\u22127",
        "\u22122e\u22127",
        "\u22121e\u22127",
        "0",
        "1e\u22127",
        "2e\u22127",
    ]
    assert tick_labels(np.array([1e12, 1.5e12, 2e12]), prefix="£") == [
        "£1.0e12",
        "£1.5e12",
        "£2.0e12",
    ]
