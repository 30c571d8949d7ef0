"""A caliper that leaves a cohort without comparison units is refused in words, at run time too.

``sroi validate`` matches the cohorts once when the spec sets a caliper (battery case
``caliper-leaves-no-comparison``); ``sroi run`` refuses the same way from the match cache the
estimation uses (:class:`sroi.report.steps.matching.CachedMatcher`), so the message names the
spec field whichever step meets the problem first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sroi.errors import SroiInputError
from sroi.report.steps.matching import CachedMatcher


def _cross_section() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 60
    x = rng.normal(size=n)
    treated = (x + rng.normal(scale=0.5, size=n) > 0.5).astype(int)
    return pd.DataFrame({"treated": treated, "x": x, "z": rng.normal(size=n)})


def test_a_caliper_leaving_no_comparison_names_the_spec_field() -> None:
    with pytest.warns(UserWarning), pytest.raises(SroiInputError) as info:
        CachedMatcher()(_cross_section(), treatment="treated", covariates=["x", "z"], caliper=1e-9)
    msg = str(info.value)
    assert msg.startswith("design.matching.caliper:") and "1e-09" in msg and "Widen" in msg


def test_a_usual_caliper_matches() -> None:
    with pytest.warns(UserWarning):  # some treated units are left without a match
        m = CachedMatcher()(
            _cross_section(), treatment="treated", covariates=["x", "z"], caliper=0.2
        )
    assert (m.all_data["weights"] > 0).any()
