"""Few treated clusters: t(G_treated - 1) default, wild score bootstrap, randomisation test."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from sroi.errors import SroiInputError
from sroi.impact.inference.few_clusters import small_sample_df, wild_score_bootstrap
from sroi.impact.staggered import matched_staggered_did, staggered_did
from sroi.impact.staggered.randomization import permute_assignment
from tests.simulation.dgp import Scenario, simulate

SC = Scenario("test", persistent=False, varying=False, pupils_per_school=25)
KW = dict(outcome="attendance", unit="pupil_id", time="term", cohort="cohort")


@pytest.fixture(scope="module")
def panel():
    return simulate(SC, np.random.default_rng(3))[0]


def _fit(panel, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return staggered_did(panel, estimator="reg", covariates=["x", "flag"], **KW, **kw)


def test_rule():
    assert small_sample_df("auto", True, 7)[0] == 6
    assert small_sample_df("auto", True, 10)[0] is None
    assert small_sample_df("auto", False, None)[0] is None
    assert small_sample_df("t", True, 25)[0] == 24
    assert small_sample_df("normal", True, 7)[0] is None
    with pytest.raises(SroiInputError, match="small_sample"):
        small_sample_df("student", True, 7)


def test_default_t_with_seven_schools(panel):
    res = _fit(panel, cluster="school_id")
    eff = res.aggregate_effect("group")
    assert eff.n_treated_clusters == 7
    crit = stats.t.ppf(0.975, 6)
    assert eff.ci_high - eff.estimate == pytest.approx(crit * eff.std_error, rel=1e-10)
    assert eff.p_value == pytest.approx(2 * stats.t.sf(abs(eff.estimate / eff.std_error), 6))
    assert eff.ci_type == "analytic pointwise, t(6)"
    assert eff.extra["df"] == 6
    assert "7 clusters contain treated units" in eff.extra["critical_reason"]
    assert "school_id, the level at which the programme is assigned" in eff.extra["cluster_reason"]
    tab = res.aggregate("dynamic").table
    assert tab.attrs["critical_value"] == pytest.approx(crit)
    normal = _fit(panel, cluster="school_id", small_sample="normal").aggregate_effect("group")
    assert normal.std_error == eff.std_error and normal.estimate == eff.estimate
    assert normal.ci_high - normal.estimate == pytest.approx(1.959964 * eff.std_error, rel=1e-6)


def test_pupil_clustering_stays_normal(panel):
    eff = _fit(panel).aggregate_effect("group")
    assert eff.ci_type == "analytic pointwise" and eff.extra["df"] is None
    assert "no coarser cluster" in eff.extra["cluster_reason"]


def test_wild_bootstrap_effect(panel):
    res = _fit(panel, cluster="school_id")
    wb = res.wild_bootstrap("group", n_boot=999, random_state=1)
    eff = res.aggregate_effect("group")
    assert wb.estimate == eff.estimate and wb.std_error == eff.std_error
    assert wb.ci_low < wb.estimate < wb.ci_high
    assert wb.ci_type.startswith("wild cluster bootstrap-t (webb weights, 40 clusters")
    assert 0 < wb.p_value <= 1
    again = res.wild_bootstrap("group", n_boot=999, random_state=1)
    assert again.ci_low == wb.ci_low


def test_wild_score_bootstrap_symmetric_and_seeded():
    rng = np.random.default_rng(0)
    S = rng.normal(size=30)
    S -= S.mean()
    a = wild_score_bootstrap(0.1, S, np.full(30, 10.0), n_boot=999, random_state=4)
    assert a.std_error == pytest.approx(np.sqrt(np.sum(S**2)) / 300)
    assert a.ci_high - 0.1 == pytest.approx(0.1 - a.ci_low)
    assert 1.5 < a.critical_value < 3.0


def test_permutation_moves_whole_schools():
    codes = np.repeat(np.arange(5), 4)
    G = np.zeros(20)
    G[0:4] = 3  # cluster 0 adopts whole
    G[4] = 5  # one unit of cluster 1 enrolled
    G_new, perm = permute_assignment(G, codes, np.random.default_rng(2))
    assert np.all(G_new[codes == perm[0]] == 3)
    assert np.sum(G_new[codes == perm[1]] == 5) == 1
    assert np.sum(G_new > 0) == 5


def test_randomization_test(panel):
    res = _fit(panel, cluster="school_id")
    ri = res.randomization_test("group", n_perm=19, random_state=0)
    assert ri.n_perm + ri.n_failed == 19
    assert ri.p_value >= 1 / 20 and ri.estimate == res.aggregate_effect("group").estimate
    assert "school_id" in str(ri)


def test_matched_few_clusters(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = matched_staggered_did(
            panel, covariates=["x", "flag"], pool="pool", cluster="school_id", **KW
        )
    eff = res.aggregate_effect("group")
    assert eff.extra["df"] == 6 and eff.ci_type.endswith("t(6)")
    ri = res.randomization_test("group", n_perm=19, random_state=0)
    assert ri.n_perm >= 15
    wb = res.wild_bootstrap("group", n_boot=199)
    assert wb.ci_low < eff.estimate < wb.ci_high
