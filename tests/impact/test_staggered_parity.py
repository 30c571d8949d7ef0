"""Parity of sroi.staggered_did with the csdid reference numbers (ATT 1e-6, SE 1e-4 relative).

Fixtures: tests/fixtures/staggered/make_fixtures.py (csdid / drdid versions recorded in
csdid_reference.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sroi

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "staggered"
REF = json.loads((FIX / "csdid_reference.json").read_text())
PANEL = pd.read_csv(FIX / "panel.csv")


def _covs(xformla):
    if xformla is None:
        return None
    return [c.strip() for c in xformla.split("~")[1].split("+")]


def _case_id(c):
    case = c["case"]
    bits = [
        case["control_group"],
        case["est_method"],
        "x" if case["xformla"] else "nox",
        case["base_period"],
    ]
    for k in ("anticipation", "weights_name", "clustervar", "subset"):
        if k in case:
            bits.append(f"{k}={case[k]}")
    return "-".join(bits)


def _fit(case):
    data = PANEL[PANEL["g"] > 0] if case.get("subset") == "treated_only" else PANEL
    return sroi.staggered_did(
        data,
        outcome="y",
        unit="id",
        time="t",
        cohort="g",
        control_group="never_treated"
        if case["control_group"] == "nevertreated"
        else "not_yet_treated",
        estimator=case["est_method"],
        covariates=_covs(case["xformla"]),
        anticipation=case.get("anticipation", 0),
        base_period=case["base_period"],
        weights=case.get("weights_name"),
        cluster=case.get("clustervar"),
    )


def _close_se(ours, ref):
    ours = np.asarray(ours, dtype=float)
    ref = np.array([np.nan if r is None else r for r in ref], dtype=float)
    assert np.array_equal(np.isnan(ours), np.isnan(ref))
    ok = ~np.isnan(ref)
    np.testing.assert_allclose(ours[ok], ref[ok], rtol=1e-4)


@pytest.mark.parametrize("entry", REF["cases"], ids=[_case_id(c) for c in REF["cases"]])
def test_att_gt_and_aggregations_match_csdid(entry):
    case, ref = entry["case"], entry["result"]
    res = _fit(case)
    a = res.att_gt
    np.testing.assert_array_equal(a["cohort"].to_numpy(float), ref["att_gt"]["group"])
    np.testing.assert_array_equal(a["time"].to_numpy(float), ref["att_gt"]["time"])
    np.testing.assert_allclose(a["att"], ref["att_gt"]["att"], rtol=0, atol=1e-6)
    _close_se(a["std_error"], ref["att_gt"]["se"])
    for kind in ("simple", "group", "dynamic", "calendar"):
        r = ref["aggregations"][kind]
        eff = res.aggregate_effect(kind)
        assert eff.estimate == pytest.approx(r["overall_att"], abs=1e-6)
        assert eff.std_error == pytest.approx(r["overall_se"], rel=1e-4)
        if kind != "simple":
            tab = res.aggregate(kind).table
            np.testing.assert_array_equal(tab.iloc[:, 0].to_numpy(float), r["egt"])
            np.testing.assert_allclose(tab["att"], r["att"], atol=1e-6)
            _close_se(tab["std_error"], r["se"])
    r = ref["aggregations"]["dynamic_balanced"]
    tab = res.aggregate(
        "dynamic", min_e=r["min_e"], max_e=r["max_e"], balance_e=r["balance_e"]
    ).table
    np.testing.assert_array_equal(tab["event_time"].to_numpy(float), r["egt"])
    np.testing.assert_allclose(tab["att"], r["att"], atol=1e-6)
    _close_se(tab["std_error"], r["se"])
    eff = res.aggregate_effect(
        "dynamic", min_e=r["min_e"], max_e=r["max_e"], balance_e=r["balance_e"]
    )
    assert eff.estimate == pytest.approx(r["overall_att"], abs=1e-6)
    assert eff.std_error == pytest.approx(r["overall_se"], rel=1e-4)
    if ref["W"] is not None:
        assert res.pretrend_test().statistic == pytest.approx(ref["W"], rel=1e-6)


def test_fixture_records_reference_versions():
    assert set(REF["versions"]) >= {"csdid", "drdid"}
    assert len(REF["cases"]) >= 24
