"""Coarsened exact matching: parity with R MatchIt 4.5.1 method = "cem" on lalonde."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sroi
from sroi.errors import SroiInputError

F = Path(__file__).resolve().parents[1] / "fixtures" / "matchit"
COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
CUTS = {"cem": None, "cem_cuts": {"age": 4, "educ": [8.5, 11.5], "re74": "q4", "re75": 3}}


@pytest.mark.parametrize("name", list(CUTS))
def test_cem_matches_matchit(name):
    d = pd.read_csv(F / "lalonde.csv").set_index("id")
    ref = pd.read_csv(F / f"{name}_data.csv").set_index("id")
    est = pd.read_csv(F / "cem_estimates.csv").set_index("spec").loc[name]
    with pytest.warns(sroi.SroiWarning):
        m = sroi.match(d, "treat", COVS, method="cem", cutpoints=CUTS[name])
    np.testing.assert_allclose(m.weights.to_numpy(), ref["weights"].to_numpy(), atol=1e-10)
    both = pd.DataFrame({"a": m.all_data["subclass"].astype(float), "b": ref["subclass"]}).dropna()
    assert both.groupby("a")["b"].nunique().max() == 1
    assert both.groupby("b")["a"].nunique().max() == 1
    assert m.n_treated == est["n_treated"] and m.n_control == est["n_control"]
    e = m.effect("re78", vcov="subclass")
    assert e.estimate == pytest.approx(est["estimate"], abs=1e-6)
    assert e.std_error == pytest.approx(est["se_subclass"], rel=1e-4)
    assert m.effect("re78", vcov="HC3").std_error == pytest.approx(est["se_hc3"], rel=1e-4)
    assert m.estimand == "ATT in the matched treated"
    ex = m.exclusions.set_index(["group", "reason"])["n"]
    assert ex[("treated", "no match in coarsened stratum")] == 185 - est["n_treated"]


def test_cem_bad_cutpoints():
    d = pd.read_csv(F / "lalonde.csv")
    with pytest.raises(SroiInputError, match="cutpoints"):
        sroi.match(d, "treat", ["age", "educ"], method="cem", cutpoints={"age": "weird"})
    with pytest.raises(SroiInputError, match="not covariates"):
        sroi.match(d, "treat", ["age"], method="cem", cutpoints={"re74": 3})
