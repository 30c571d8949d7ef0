"""Axis limits, "nice" tick values and tick labels for the report's charts.

Ticks are multiples of 1, 2, 2.5 or 5 times a power of ten (Heckbert 1990, "Nice numbers for
graph labels", Graphics Gems), as many as fit between 3 and ``most``; the axis is the data's
range widened by a margin (5% each side, as matplotlib's default) and kept at zero when the
data start there (bars and histograms grow from zero).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["axis_limits", "nice_ticks", "tick_labels"]

_STEPS = (1.0, 2.0, 2.5, 5.0)


def axis_limits(
    values: np.ndarray, *, margin: float = 0.05, sticky: tuple[float, ...] = ()
) -> tuple[float, float]:
    """The axis range that shows every finite value in ``values`` with a margin.

    Parameters
    ----------
    values
        Data values along the axis (NaN and infinity ignored).
    margin
        Share of the data's range added on each side.
    sticky
        Values the axis does not extend past when the data reach them exactly (0 for bars).

    Returns
    -------
    (low, high)
        ``low < high``; ``(0, 1)`` when there is no finite value.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    pad = (hi - lo) * margin
    if not pad > 0:  # one value (or a range too small to widen, as 0 to 5e-324)
        pad = max(abs(lo), abs(hi)) * 0.05 or 0.5
        if not (lo - pad < lo and hi + pad > hi):
            pad = 0.5
        return lo - pad, hi + pad
    low, high = lo - pad, hi + pad
    for s in sticky:
        if lo >= s > low:
            low = s
        if hi <= s < high:
            high = s
    return low, high


def nice_ticks(low: float, high: float, most: int = 8, *, integer: bool = False) -> np.ndarray:
    """Evenly spaced round tick values inside ``[low, high]``.

    Parameters
    ----------
    low, high
        The axis limits (``low < high``).
    most
        Most ticks wanted; the step is the smallest nice step giving at most this many.
    integer
        Whole-number steps only (terms, years).

    Returns
    -------
    numpy.ndarray
        At least two ticks (the limits themselves when no nice step fits two).
    """
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        raise ValueError(f"nice_ticks: need finite low < high, got {low!r}, {high!r}")
    raw = (high - low) / max(most - 1, 1)
    if not raw > 0:  # a range too small for a step (subnormal numbers)
        return np.array([low, high])
    power = 10.0 ** math.floor(math.log10(raw))
    first = last = 0
    step = power
    for k in range(4):  # a step of 1, 2, 2.5 or 5 times 10**j, smallest first
        for m in _STEPS:
            step = m * power * 10.0**k
            if integer and (step < 1 or step != round(step)):
                continue
            first = math.ceil(low / step - 1e-9)
            last = math.floor(high / step + 1e-9)
            if last - first + 1 <= most:
                break
        else:
            continue
        break
    ticks = np.arange(first, last + 1) * step
    if ticks.size < 2:
        return np.array([low, high])
    return ticks


def tick_labels(ticks: np.ndarray, *, prefix: str = "") -> list[str]:
    """Labels for ``ticks``, with as many decimals as their step needs.

    Thousands are separated by commas from 10,000; values of a trillion or more, and steps
    below a millionth, are written in scientific notation (``2.5e12``) with as many digits as
    tell the ticks apart. Negative values take a true minus sign (U+2212). ``prefix`` goes
    after the sign (``−£1,000``).

    Parameters
    ----------
    ticks
        Evenly spaced values (from :func:`nice_ticks`).
    prefix
        Text before each number, e.g. a currency sign.

    Returns
    -------
    list of str
    """
    t = np.asarray(ticks, dtype=float)
    step = float(np.min(np.diff(t))) if t.size > 1 else abs(float(t[0])) or 1.0
    top = float(np.max(np.abs(t)))
    values = [0.0 if abs(x) < step * 1e-9 else float(x) for x in t]
    if top >= 1e12 or step < 1e-6:
        bodies = _scientific([abs(x) for x in values], step)
    else:
        decimals = 0
        while decimals < 10 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6 * max(
            1.0, step * 10**decimals
        ):
            decimals += 1
        bodies = [
            f"{abs(x):,.{decimals}f}" if top >= 10_000 else f"{abs(x):.{decimals}f}" for x in values
        ]
    return [
        f"{chr(0x2212) if x < 0 else ''}{prefix}{body}"
        for x, body in zip(values, bodies, strict=True)
    ]


def _scientific(values: list[float], step: float) -> list[str]:
    """``values`` as ``m.mmme±x`` with the fewest digits that read back within 0.1% of a step."""
    for digits in range(13):
        bodies = [f"{v:.{digits}e}" for v in values]
        if all(abs(float(b) - v) <= step * 1e-3 for b, v in zip(bodies, values, strict=True)):
            break
    # "1.5e+12" -> "1.5e12", "5e-07" -> "5e−7": no ASCII hyphen, no padding zero
    return [
        "0"
        if v == 0
        else b.replace("e+", "e")
        .replace("e-", "e\u2212")
        .replace("e0", "e")
        .replace("e\u22120", "e\u2212")
        for b, v in zip(bodies, values, strict=True)
    ]
