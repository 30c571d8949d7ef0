"""sroi.datasets: the shipped sample panel, its true effects and the sample unit costs."""

import numpy as np

import sroi


def test_impact_programmes_is_the_merged_long_panel():
    panel = sroi.datasets.impact_programmes()
    assert panel.shape[0] == 6000 * 9
    assert panel["pupil_id"].nunique() == 6000 and sorted(panel["term"].unique()) == list(
        range(1, 10)
    )
    assert panel["pupil_id"].str.match(r"^P\d{6}$").all()
    first = panel.drop_duplicates("pupil_id")
    assert int((first["cohort"] > 0).sum()) == 250
    assert set(first.loc[first["cohort"] > 0, "cohort"]) == {4, 6, 8}
    # enrolment is only ever in programme schools; every enrolled pupil has a cohort
    assert (first.loc[first["enrolled"] == 1, "programme_school"] == 1).all()
    assert ((first["enrolled"] == 1) == (first["cohort"] > 0)).all()


def test_truth_agrees_with_the_panel():
    truth = sroi.datasets.truth()
    panel = sroi.datasets.impact_programmes()
    sizes = panel.drop_duplicates("pupil_id").query("cohort > 0")["cohort"].value_counts()
    assert {int(k): v for k, v in truth["cohort_sizes"].items()} == sizes.to_dict()
    att = truth["outcomes"]["attendance_rate"]["satt"]
    by = {r["cohort"]: r["att"] for r in att["group"]["by_cohort"]}
    w = np.array([sizes[g] for g in by]) / sizes.sum()
    assert abs(att["group"]["overall"] - np.dot(w, list(by.values()))) < 1e-6


def test_unit_costs_table():
    costs = sroi.datasets.unit_costs()
    ids = list(costs.ids)
    assert len(ids) == len(set(ids)) >= 5
    assert {"ATT_DAY", "CSC_ASSESS"} <= set(ids)
    assert costs.data["source"].str.len().gt(0).all()
