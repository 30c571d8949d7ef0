"""Time-varying covariates in staggered DiD (issue 13 part 6): covariate_timing.

``"base"`` conditions each 2x2 on the covariates of its earlier period (R did), ``"change"``
on the change of time-varying covariates over the 2x2, ``"both"`` on both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sroi.errors import SroiInputError
from sroi.impact.staggered import staggered_did


def _exact_case() -> pd.DataFrame:
    """Two periods; y = 2 x + 3 (treated, post): the trend is exactly twice the change of x."""
    x1 = np.array([0.0, 1.0, 2.0, 0.5, 1.5, 2.5, 1.0])
    dx = np.array([1.0, 3.0, 2.0, 0.0, 0.5, 1.0, 0.2])
    g = np.array([2, 2, 2, 0, 0, 0, 0])
    rows = []
    for i in range(7):
        for t, x in ((1, x1[i]), (2, x1[i] + dx[i])):
            rows.append((i, t, g[i], x, 2 * x + 3.0 * (g[i] > 0 and t == 2)))
    return pd.DataFrame(rows, columns=["id", "t", "g", "x", "y"])


@pytest.mark.parametrize("timing", ["change", "both"])
def test_hand_case_change_recovers_the_effect_exactly(timing: str) -> None:
    df = _exact_case()
    res = staggered_did(
        df, "y", "id", "t", "g", estimator="reg", covariates=["x"], covariate_timing=timing
    )
    assert res.att_gt["att"].iloc[0] == pytest.approx(3.0, abs=1e-10)
    assert res.aggregate_effect("group").extra["covariate_timing"] == timing


def test_hand_case_base_is_off_by_the_change_gap() -> None:
    """With the base level only, reg fits dy on x_1 among controls: hand-computed value."""
    df = _exact_case()
    res = staggered_did(df, "y", "id", "t", "g", estimator="reg", covariates=["x"])
    w = df.pivot(index="id", columns="t", values="x")
    yv = df.pivot(index="id", columns="t", values="y")
    dy = (yv[2] - yv[1]).to_numpy()
    x1 = w[1].to_numpy()
    ctrl = np.arange(7) >= 3
    b = np.polyfit(x1[ctrl], dy[ctrl], 1)
    expected = np.mean(dy[~ctrl] - np.polyval(b, x1[~ctrl]))
    assert res.att_gt["att"].iloc[0] == pytest.approx(expected, abs=1e-10)
    assert abs(expected - 3.0) > 0.5


def _draw(rng: np.random.Generator, n: int = 400) -> pd.DataFrame:
    """Cohort 3 of 4 periods; x drifts faster for treated units (selection), not caused by
    the programme; the outcome's trend is 1.0 times the change of x; effect 1.0."""
    T = 4
    d = rng.random(n) < 0.4
    x0 = rng.normal(size=n)
    drift = 0.5 * d + 0.5 * rng.normal(size=n)
    ids = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(1, T + 1), n)
    x = x0[ids] + drift[ids] * t + 0.3 * rng.normal(size=n * T)
    g = np.where(d, 3, 0)[ids]
    y = x0[ids] + 1.0 * x + 1.0 * ((g > 0) & (t >= 3)) + rng.normal(size=n * T)
    return pd.DataFrame({"id": ids, "t": t, "g": g, "x": x, "y": y})


def test_simulation_change_unbiased_base_biased() -> None:
    """100 draws: mean of the group ATT with 'change' within 3 MC SE of 1.0; 'base' off by
    more than 10 MC SE (its bias is about 0.5, the treated units' faster drift)."""
    rng = np.random.default_rng(6)
    est: dict[str, list[float]] = {"base": [], "change": []}
    for _ in range(100):
        df = _draw(rng)
        for timing in est:
            r = staggered_did(
                df, "y", "id", "t", "g", estimator="reg", covariates=["x"],
                covariate_timing=timing,
            )  # fmt: skip
            est[timing].append(r.aggregate_effect("group").estimate)
    change = np.asarray(est["change"])
    base = np.asarray(est["base"])
    se_change = change.std(ddof=1) / np.sqrt(change.size)
    se_base = base.std(ddof=1) / np.sqrt(base.size)
    assert abs(change.mean() - 1.0) < 3 * se_change, (change.mean(), se_change)
    assert abs(base.mean() - 1.0) > 10 * se_base, (base.mean(), se_base)


def test_base_is_the_default_and_unchanged() -> None:
    df = _draw(np.random.default_rng(1), n=120)
    a = staggered_did(df, "y", "id", "t", "g", covariates=["x"])
    b = staggered_did(df, "y", "id", "t", "g", covariates=["x"], covariate_timing="base")
    pd.testing.assert_frame_equal(a.att_gt, b.att_gt)
    c = staggered_did(df, "y", "id", "t", "g", covariates=["x"], covariate_timing="both")
    assert not np.allclose(a.att_gt["att"], c.att_gt["att"])


def test_time_invariant_covariates_enter_by_level_with_change() -> None:
    """'change' keeps a constant covariate by its level: equal to 'base' plus the change."""
    df = _draw(np.random.default_rng(2), n=150)
    df["z"] = df.groupby("id")["x"].transform("mean")
    both = staggered_did(
        df, "y", "id", "t", "g", estimator="reg", covariates=["z", "x"], covariate_timing="both"
    )
    change = staggered_did(
        df, "y", "id", "t", "g", estimator="reg", covariates=["z", "x"], covariate_timing="change"
    )
    assert np.all(np.isfinite(change.att_gt["att"]))
    assert not np.allclose(both.att_gt["att"], change.att_gt["att"])


def test_bad_covariate_timing() -> None:
    df = _draw(np.random.default_rng(3), n=60)
    with pytest.raises(SroiInputError, match="covariate_timing"):
        staggered_did(df, "y", "id", "t", "g", covariates=["x"], covariate_timing="level")
    with pytest.raises(SroiInputError, match="no covariates were given"):
        staggered_did(df, "y", "id", "t", "g", covariate_timing="change")
    df["z"] = df.groupby("id")["x"].transform("first")
    with pytest.raises(SroiInputError, match="no covariate changes over time"):
        staggered_did(df, "y", "id", "t", "g", covariates=["z"], covariate_timing="change")


@pytest.mark.parametrize("estimator", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("timing", ["change", "both"])
def test_two_periods_equal_the_2x2_on_hand_built_covariates(estimator: str, timing: str) -> None:
    """Two periods: the cell is the panel 2x2 with covariates [x_1 (both), x_2 - x_1]."""
    from sroi.impact.staggered.drdid import panel_did

    rng = np.random.default_rng(11)
    n = 300
    d = rng.random(n) < 0.4
    x1 = rng.normal(size=n)
    x2 = x1 + 0.5 * d + rng.normal(size=n)
    y1 = x1 + rng.normal(size=n)
    y2 = y1 + x2 - x1 + d + rng.normal(size=n)
    df = pd.DataFrame(
        {
            "id": np.repeat(np.arange(n), 2),
            "t": np.tile([1, 2], n),
            "g": np.repeat(np.where(d, 2, 0), 2),
            "x": np.column_stack([x1, x2]).ravel(),
            "y": np.column_stack([y1, y2]).ravel(),
        }
    )
    res = staggered_did(
        df, "y", "id", "t", "g", estimator=estimator, covariates=["x"], covariate_timing=timing
    )
    X = (x2 - x1)[:, None] if timing == "change" else np.column_stack([x1, x2 - x1])
    ref = panel_did(y2, y1, d.astype(float), X, method=estimator)
    assert res.att_gt["att"].iloc[0] == pytest.approx(ref.att, abs=1e-10)
    assert res.att_gt["std_error"].iloc[0] == pytest.approx(ref.std_error, rel=1e-9)
