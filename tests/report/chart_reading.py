"""Read a chart's SVG back into data: the tests' independent check of what a chart shows.

The axes are read from the tick labels the chart prints (text and position), so a mark's data
value is recovered the way a reader would recover it, without the chart's own scale code.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np

from sroi.report.charts.text import text_width

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == NS + "svg"
    return root


def number(label: str) -> float:
    """The value of a tick label such as ``−£1,000``, ``2.5`` or ``1e−7``."""
    text = label.replace("\u2212", "-").replace(",", "").replace("£", "")
    return float(text)


def texts(root: ET.Element, cls: str) -> list[ET.Element]:
    return [t for t in root.iter(NS + "text") if t.get("class") == cls]


@dataclass
class Axis:
    """A linear map from pixels to data, read from two printed ticks."""

    pixels: np.ndarray
    values: np.ndarray

    def value(self, pixel: float | np.ndarray) -> np.ndarray:
        slope = (self.values[-1] - self.values[0]) / (self.pixels[-1] - self.pixels[0])
        return self.values[0] + (np.asarray(pixel, dtype=float) - self.pixels[0]) * slope

    def pixel(self, value: float | np.ndarray) -> np.ndarray:
        slope = (self.pixels[-1] - self.pixels[0]) / (self.values[-1] - self.values[0])
        return self.pixels[0] + (np.asarray(value, dtype=float) - self.values[0]) * slope

    @property
    def px_per_unit(self) -> float:
        return abs(float((self.pixels[-1] - self.pixels[0]) / (self.values[-1] - self.values[0])))


def x_axis(root: ET.Element) -> Axis:
    ticks = texts(root, "tick-x")
    assert len(ticks) >= 2, "fewer than two x ticks"
    px = np.array([float(t.get("x")) for t in ticks])
    val = np.array([number(t.text or "") for t in ticks])
    assert np.all(np.diff(px) > 0) and np.all(np.diff(val) > 0), "x ticks out of order"
    # evenly spaced ticks on a linear axis
    np.testing.assert_allclose(np.diff(px), np.diff(px)[0], atol=0.15)
    return Axis(px, val)


def y_axis(root: ET.Element) -> Axis:
    ticks = texts(root, "tick-y")
    assert len(ticks) >= 2, "fewer than two y ticks"
    px = np.array([float(t.get("y")) - 4.0 for t in ticks])  # text baseline 4 px below the tick
    val = np.array([number(t.text or "") for t in ticks])
    assert np.all(np.diff(px) < 0) and np.all(np.diff(val) > 0), "y ticks out of order"
    return Axis(px, val)


def label(t: ET.Element) -> str:
    """A text element's words, its lines (``tspan``) joined by a space."""
    return " ".join(v for v in (t.text, *(s.text for s in t)) if v)


def categories(root: ET.Element) -> dict[str, float]:
    """Category label -> the pixel y of its row (a label of n lines is centred on its row)."""
    out = {}
    for t in texts(root, "tick-y"):
        n = 1 + len(list(t))
        out[label(t)] = float(t.get("y")) - 4.0 + 7.0 * (n - 1)
    return out


def group(root: ET.Element, kind: str) -> list[ET.Element]:
    """The ``<g class=kind>`` layers, in drawing order."""
    return [g for g in root.iter(NS + "g") if g.get("class") == kind]


def marker_centres(layer: ET.Element) -> list[tuple[float, float, str]]:
    """(x, y, colour) of every marker in a points layer."""
    out = []
    for el in layer:
        tag = el.tag.removeprefix(NS)
        colour = el.get("stroke") if el.get("fill") == "#ffffff" else el.get("fill")
        if tag == "circle":
            out.append((float(el.get("cx")), float(el.get("cy")), colour))
        elif tag == "rect":
            w, h = float(el.get("width")), float(el.get("height"))
            out.append((float(el.get("x")) + w / 2, float(el.get("y")) + h / 2, colour))
        elif tag == "polygon":
            pts = np.array(
                [[float(v) for v in p.split(",")] for p in el.get("points").split()], dtype=float
            )
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            out.append(((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, colour))
    return out


def rects(layer: ET.Element) -> list[tuple[float, float, float, float]]:
    """(x, y, width, height) of every rectangle in a layer."""
    return [
        (float(r.get("x")), float(r.get("y")), float(r.get("width")), float(r.get("height")))
        for r in layer.iter(NS + "rect")
    ]


def path_numbers(layer: ET.Element) -> list[float]:
    return [
        float(v) for p in layer.iter(NS + "path") for v in re.findall(r"-?\d+\.?\d*", p.get("d"))
    ]


def line_positions(layer: ET.Element) -> list[tuple[float, float, float, float]]:
    return [
        tuple(float(el.get(k)) for k in ("x1", "y1", "x2", "y2"))  # type: ignore[misc]
        for el in layer.iter(NS + "line")
    ]


def extent(t, size: float) -> tuple[float, float]:
    """Horizontal extent of a text element from its anchor and measured width."""
    words = label(t) if len(list(t)) == 0 else max([t.text, *(s.text for s in t)], key=len)
    w = text_width(words, size)
    x = float(t.get("x"))
    anchor = t.get("text-anchor", "start")
    return {"start": (x, x + w), "middle": (x - w / 2, x + w / 2), "end": (x - w, x)}[anchor]


def inside(svg: str) -> None:
    """Every coordinate and every text's measured extent lies within the view box."""
    root = parse(svg)
    _, _, w, h = (float(v) for v in root.get("viewBox").split())
    for el in root.iter():
        for key in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "width", "height", "r"):
            if el.get(key) is not None:
                v = float(el.get(key))
                assert np.isfinite(v), (el.tag, key)
                limit = w if key in ("x", "x1", "x2", "cx", "width") else h
                if key not in ("r",):
                    assert -0.05 <= v <= limit + 0.05, (el.tag, key, v, limit)
    for t in root.iter(NS + "text"):
        if t.get("transform"):  # the rotated y-axis title: checked by its own test
            continue
        lo, hi = extent(t, float(t.get("font-size")))
        assert lo >= -0.05 and hi <= w + 0.05, (label(t), lo, hi, w)
    assert "nan" not in svg.lower() and "inf" not in svg.lower()
