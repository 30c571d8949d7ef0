"""Fast randomisation test over programme schools, and the school level of add_school_level."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sroi.errors import SroiInputError
from sroi.impact.staggered import staggered_did
from sroi.impact.staggered.randomization import permute_assignment
from sroi.impact.staggered.school_history import add_school_level
from sroi.impact.staggered.school_randomization import school_randomization_test
from tests.simulation.dgp import SCENARIOS, simulate

COLS = ("attendance", "pupil_id", "term", "cohort", "school_id")


@pytest.fixture(scope="module")
def panel():
    p, _ = simulate(SCENARIOS[0], np.random.default_rng(3))
    return p


def test_statistic_is_the_unadjusted_group_att(panel):
    ri = school_randomization_test(panel, *COLS, n_perm=99, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = staggered_did(
            panel, "attendance", "pupil_id", "term", "cohort", estimator="unconditional"
        ).aggregate_effect("group")
    assert ri.estimate == pytest.approx(ref.estimate, abs=1e-12)
    assert ri.observed_slope == pytest.approx(1.0)
    assert (ri.n_programme_schools, ri.n_schools, ri.n_perm) == (7, 40, 99)
    # the same seed gives the same reshuffles
    again = school_randomization_test(panel, *COLS, n_perm=99, random_state=1)
    np.testing.assert_array_equal(ri.draws, again.draws)


def test_pool_without_programme_schools_and_hand_p_value(panel):
    pool = panel[(panel["cohort"] > 0) | (panel["pool"] == 1)]
    ri = school_randomization_test(pool, *COLS, n_perm=199, random_state=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = staggered_did(
            pool, "attendance", "pupil_id", "term", "cohort", estimator="unconditional"
        ).aggregate_effect("group")
    assert ri.estimate == pytest.approx(ref.estimate, abs=1e-12)
    by_hand = (1 + np.sum(np.abs(ri.draws) >= abs(ri.estimate) - 1e-12)) / (1 + ri.n_perm)
    assert ri.p_value == pytest.approx(by_hand)
    # the reshuffles are those of permute_assignment (same stream of random numbers)
    assert "199 reshuffles of 7 programme schools among 40" in str(ri)


def test_inverted_interval_is_the_set_of_constant_effects_not_rejected(panel):
    ri = school_randomization_test(panel, *COLS, n_perm=199, random_state=4)
    lo, hi = ri.interval(0.95)
    assert lo < ri.estimate < hi
    assert ri.p_value_at(lo)[0] > 0.05 and ri.p_value_at(hi)[0] > 0.05
    step = (hi - lo) / 20
    assert ri.p_value_at(lo - step)[0] <= 0.05 + 1e-12
    assert ri.p_value_at(hi + step)[0] <= 0.05 + 1e-12
    # testing "effect = tau" equals the test on the outcome with tau removed after enrolment
    tau = 0.01
    post = (panel["cohort"] > 0) & (panel["term"] >= panel["cohort"])
    shifted = panel.assign(attendance=panel["attendance"] - tau * post)
    direct = school_randomization_test(shifted, *COLS, n_perm=199, random_state=4)
    assert direct.p_value == pytest.approx(ri.p_value_at(tau)[0])


def _reg_att(panel, covariates):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (
            staggered_did(
                panel,
                "attendance",
                "pupil_id",
                "term",
                "cohort",
                estimator="reg",
                covariates=covariates,
            )
            .aggregate_effect("group")
            .estimate
        )


@pytest.mark.parametrize("own_controls", [True, False])
def test_adjusted_statistic_is_the_reg_estimator_for_the_data_and_a_reshuffle(panel, own_controls):
    # Sant'Anna-Zhao outcome regression on the comparison units, observed and reshuffled
    ri = school_randomization_test(
        panel,
        *COLS,
        n_perm=19,
        random_state=5,
        covariates=["x", "flag"],
        programme_school_controls=own_controls,
    )
    assert ri.adjusted_for == ("x", "flag")
    units = panel.groupby("pupil_id", sort=True)[["cohort", "school_id"]].first()
    G, codes = units["cohort"].to_numpy(float), units["school_id"].to_numpy()
    prog = np.unique(codes[G > 0])
    kept = panel if own_controls else panel[(panel["cohort"] > 0) | ~panel["school_id"].isin(prog)]
    assert ri.estimate == pytest.approx(_reg_att(kept, ["x", "flag"]), abs=1e-10)
    # the first reshuffle, drawn again, and the regression fitted on its comparison units
    G_new, perm = permute_assignment(G, codes, np.random.default_rng(5))
    moved = panel.assign(cohort=panel["pupil_id"].map(pd.Series(G_new, index=units.index)))
    if not own_controls:
        hit = perm[prog]
        moved = moved[(moved["cohort"] > 0) | ~moved["school_id"].isin(hit)]
    assert ri.draws[0] == pytest.approx(_reg_att(moved, ["x", "flag"]), abs=1e-10)


def test_adjustment_removes_the_selection_on_a_pre_period_dip():
    from tests.simulation.randomization_size import COLUMNS, simulate

    dipped = simulate(np.random.default_rng(0))  # no effect; enrolment on last term's dip
    kw = dict(n_perm=199, random_state=0, programme_school_controls=False)
    raw = school_randomization_test(dipped, *COLUMNS, **kw)
    adj = school_randomization_test(
        dipped, *COLUMNS, covariates=["x"], history=["y"], history_periods=2, **kw
    )
    assert raw.p_value <= 0.01 and raw.estimate > 0  # the dip regresses to the mean
    assert adj.p_value > 0.1
    assert set(adj.adjusted_for) == {"x", "y_lag1", "y_lag2"}
    # still linear in y: testing effect = tau equals the test on y with tau removed
    post = (dipped["cohort"] > 0) & (dipped["term"] >= dipped["cohort"])
    shifted = dipped.assign(y=dipped["y"] - 0.01 * post)
    direct = school_randomization_test(
        shifted, *COLUMNS, covariates=["x"], history=["y"], history_periods=2, **kw
    )
    assert direct.p_value == pytest.approx(adj.p_value_at(0.01)[0])
    assert direct.estimate == pytest.approx(adj.estimate - 0.01 * adj.observed_slope)


def test_categorical_covariate_is_coded_as_indicators(panel):
    coded = panel.assign(
        band=np.where(panel["x"] > 0.5, "high", np.where(panel["x"] < -0.5, "low", "mid"))
    )
    ri = school_randomization_test(coded, *COLS, n_perm=19, covariates=["band"])
    assert set(ri.adjusted_for) == {"band_low", "band_mid"}
    dummies = pd.get_dummies(coded["band"], prefix="band", drop_first=True, dtype=float)
    ref = _reg_att(pd.concat([coded, dummies], axis=1), ["band_low", "band_mid"])
    assert ri.estimate == pytest.approx(ref, abs=1e-10)


def test_permute_assignment_moves_whole_schools():
    G = np.array([4.0, 4.0, 0.0, 0.0, 6.0, 6.0])
    codes = np.array([0, 0, 1, 1, 2, 2])
    G_new, perm = permute_assignment(G, codes, np.random.default_rng(0))
    for c in range(3):
        assert np.all(G_new[codes == perm[c]] == G[codes == c][0])


def test_bad_input(panel):
    with pytest.raises(SroiInputError, match="n_perm"):
        school_randomization_test(panel, *COLS, n_perm=5)
    moved = panel.copy()
    moved.loc[moved.index[0], "school_id"] = 99
    with pytest.raises(SroiInputError, match="constant within each pupil_id"):
        school_randomization_test(moved, *COLS, n_perm=19)
    with pytest.raises(SroiInputError, match="never-treated"):
        school_randomization_test(panel.assign(cohort=4), *COLS, n_perm=19)


def test_school_level_by_hand():
    # school 0: two pupils, one enrolled at term 3; school 1: two never-treated pupils
    rows = [
        ("a", 1, 0.90, 3, 0),
        ("a", 2, 0.92, 3, 0),
        ("a", 3, 0.99, 3, 0),
        ("b", 1, 0.80, 0, 0),
        ("b", 2, 0.84, 0, 0),
        ("b", 3, 0.86, 0, 0),
        ("c", 1, 0.70, 0, 1),
        ("c", 2, 0.70, 0, 1),
        ("c", 3, 0.75, 0, 1),
        ("d", 1, 0.60, 0, 1),
        ("d", 2, 0.62, 0, 1),
        ("d", 3, 0.61, 0, 1),
    ]
    df = pd.DataFrame(rows, columns=["id", "t", "y", "g", "s"])
    out = add_school_level(df, "y", "id", "t", "g", "s").set_index(["id", "t"])
    # pre-window: terms 1-2 (first cohort 3); school 0 level there = mean of 0.90, 0.92, 0.80, 0.84
    base0 = (0.90 + 0.92 + 0.80 + 0.84) / 4
    # term 3: only b is not yet treated; its change since its own pre-window mean is 0.04
    assert out.loc[("a", 3), "y_school"] == pytest.approx(base0 + (0.86 - 0.82))
    assert out.loc[("a", 3), "y_vs_school"] == pytest.approx(0.99 - base0 - 0.04)
    # term 1: both pupils, change = (0.90 - 0.91 + 0.80 - 0.82) / 2
    assert out.loc[("b", 1), "y_school"] == pytest.approx(base0 - 0.015)
    base1 = (0.70 + 0.70 + 0.60 + 0.62) / 4
    assert out.loc[("d", 3), "y_school"] == pytest.approx(base1 + (0.75 - 0.70 + 0.61 - 0.61) / 2)
