"""Shared helpers for the MatchIt parity tests: fixture folder, covariates, the specifications
run against R MatchIt 4.5.1 (fixtures made by tests/fixtures/matchit/make_fixtures.R)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

import sroi
from sroi.impact.matching import MatchResult

__all__ = ["COVS", "F", "MCOVS", "SPECS", "load_lalonde", "run_spec"]

F = Path(__file__).resolve().parents[1] / "fixtures" / "matchit"
COVS = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
MCOVS = ["age", "educ", "re74", "re75"]

SPECS = {
    "nn1": {},
    "caliper": {"caliper": 0.1},
    "caliper_discard": {"caliper": 0.05, "discard": "both"},
    "linear_caliper": {"link": "linear.logit", "caliper": 0.2},
    "ratio2": {"ratio": 2},
    "ratio3_caliper": {"ratio": 3, "caliper": 0.25},
    "replace": {"replace": True},
    "replace2": {"replace": True, "ratio": 2},
    "exact": {"exact": ["married", "race"]},
    "smallest": {"order": "smallest"},
    "covcaliper": {
        "caliper": {"distance": 0.25, "age": 5},
        "std_caliper": {"distance": True, "age": False},
    },
    "mahal": {"distance": "mahalanobis"},
    "mahal_replace": {"distance": "mahalanobis", "replace": True},
}


def load_lalonde() -> pd.DataFrame:
    """The lalonde data as used by the fixtures, indexed by ``id``."""
    return pd.read_csv(F / "lalonde.csv").set_index("id")


def run_spec(
    lalonde: pd.DataFrame, name: str, use_r_distance: bool
) -> tuple[MatchResult, pd.DataFrame]:
    """Run the specification ``name`` and read MatchIt's matched data for it.

    With ``use_r_distance`` the propensity score is MatchIt's (so matched sets can be
    compared exactly); otherwise ours is fitted.
    """
    kw = dict(SPECS[name])
    covs = MCOVS if name.startswith("mahal") else COVS
    ref = pd.read_csv(F / f"{name}_data.csv").set_index("id")
    if use_r_distance and not name.startswith("mahal"):
        kw["distance"] = ref["distance"]
        kw.pop("link", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sroi.SroiWarning)
        m = sroi.match(lalonde, "treat", covs, **kw)
    return m, ref
