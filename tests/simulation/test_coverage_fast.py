"""Fast version of the coverage study (CI): few replications, loose but meaningful checks.

The full study (>= 500 replications per scenario) is ``python -m tests.simulation.study``;
see :mod:`tests.simulation.study`.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tests.simulation.dgp import SCENARIOS
from tests.simulation.study import one_rep, run, summarise

REPS = 30


@pytest.fixture(scope="module")
def table():
    return run(REPS, "staggered", [SCENARIOS[0], SCENARIOS[3]], seed=11)


def test_t_intervals_cover_and_are_wider(table):
    for _, sc in table.groupby("scenario"):
        row = sc.set_index("option")
        # 30 replications: the Monte Carlo SE of a 0.95 coverage is 0.04; 0.8 is ~4 SE below
        assert row.loc["t(G1-1)", "coverage"] >= 0.8
        ratio = row.loc["t(G1-1)", "length"] / row.loc["normal", "length"]
        assert ratio == pytest.approx(stats.t.ppf(0.975, 6) / stats.norm.ppf(0.975), rel=1e-6)
        assert row.loc["wild boot", "coverage"] >= 0.7
        assert row.loc["mult. boot", "length"] > 0


def test_bias_small_relative_to_sd(table):
    for _, sc in table.groupby("scenario"):
        row = sc.set_index("option").loc["normal"]
        assert abs(row["bias"]) < 0.5 * row["sd"] + 3 * row["bias_mcse"]
        # the clustered SE is of the order of the true SD
        assert 0.5 < row["mean_se"] / row["sd"] < 2.0


def test_randomization_p_values_under_the_sharp_null():
    draws = [one_rep(SCENARIOS[0], 500 + r, "staggered", ri_perms=19) for r in range(2)]
    p = np.array([d.ri_p for d in draws])
    assert np.all((p >= 1 / 20) & (p <= 1))
    out = summarise(draws, "ri")
    assert "RI (size at 5%)" in set(out["option"])


@pytest.fixture(scope="module")
def matched_table():
    # the sample report's design (school-relative attendance history), persistent shocks
    return run(8, "matched_school", [SCENARIOS[2]], ri_reps=8, ri_perms=39, seed=13, pupil=False)


def test_matched_school_design_covers_and_reports_every_option(matched_table):
    row = matched_table.set_index("option")
    expected = {"normal", "t(G1-1)", "mult. boot", "mult. boot t", "wild boot", "RI (inverted)"}
    assert expected | {"RI (size at 5%)"} == set(row.index)
    # 8 replications: loose bounds (the full study's 500 give 0.93-0.97, docs/simulation.md)
    assert row.loc["mult. boot t", "coverage"] >= 0.6
    assert row.loc["RI (inverted)", "coverage"] >= 0.6
    normal = row.loc["normal"]
    assert abs(normal["bias"]) < 0.5 * normal["sd"] + 3 * normal["bias_mcse"]
    assert 0.4 < normal["mean_se"] / normal["sd"] < 2.5
    ratio = row.loc["t(G1-1)", "length"] / row.loc["normal", "length"]
    assert ratio == pytest.approx(stats.t.ppf(0.975, 6) / stats.norm.ppf(0.975), rel=1e-6)
    assert (
        np.isfinite(row.loc["RI (inverted)", "length"]) and row.loc["RI (inverted)", "length"] > 0
    )


def test_history_adjustment_removes_the_conservative_standard_error():
    """Independent school shocks: without the history adjustment the matched design's
    clustered SE counts the matched terms' noise twice (about 35% too large over 500
    replications, docs/simulation.md table 2); with it the mean SE is near the SD. Same
    replications (same seeds, same matching) for both, so the ratio of mean SEs is stable."""
    kw = dict(seed=17, pupil=False)
    adj = run(30, "matched_school", [SCENARIOS[0]], **kw).set_index("option")
    raw = run(30, "matched_school_unadjusted", [SCENARIOS[0]], **kw).set_index("option")
    assert adj.loc["normal", "mean_se"] < 0.85 * raw.loc["normal", "mean_se"]
    # 30 replications: the SD is known to about 13%
    assert 0.7 < adj.loc["normal", "sd"] / adj.loc["normal", "mean_se"] < 1.5
    assert adj.loc["mult. boot t", "coverage"] >= 0.8
