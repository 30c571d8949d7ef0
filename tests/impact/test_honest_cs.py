"""honest_did on Callaway & Sant'Anna results: event-time effects of the dynamic aggregation,
their influence-function covariance, a re-based reference period and the base-period warning."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sroi
from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.did import honest_did
from sroi.impact.did.honest import staggered_event_study

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "did"


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return pd.read_csv(FIX / "panel.csv")


def _cs(panel, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        return sroi.staggered_did(
            panel, outcome="y", unit="unit", time="time", cohort="cohort", estimator="reg", **kw
        )


def test_event_times_and_covariance_match_the_dynamic_aggregation(panel):
    res = _cs(panel, base_period="universal")
    tab = res.aggregate("dynamic").table.set_index("event_time")
    et = staggered_event_study(res)
    assert et.reference == -1 and -1 not in et.event_times
    assert list(et.event_times) == [e for e in tab.index if e != -1]
    assert et.n_pre == sum(e < -1 for e in et.event_times)
    assert et.n_post == sum(e > -1 for e in et.event_times)
    assert et.betahat == pytest.approx(tab.loc[list(et.event_times), "att"].to_numpy(), abs=1e-12)
    # analytic standard errors of the table are the square roots of the covariance diagonal
    se = tab.loc[list(et.event_times), "std_error"].to_numpy()
    assert np.sqrt(np.diag(et.sigma)) == pytest.approx(se, rel=1e-10)
    assert np.min(np.linalg.eigvalsh(et.sigma)) > -1e-14
    # honest_did takes the result itself (reference -1) and the re-based estimates
    r = honest_did(res, Mbar=[0, 1], n_sim=2000)
    assert r.attrs["reference"] == -1 and r.attrs["event_times"] == et.event_times
    assert r.attrs["theta_hat"] == pytest.approx(tab.loc[0, "att"])


def test_custom_reference_rebases_the_estimates(panel):
    res = _cs(panel, base_period="universal")
    et1, et2 = staggered_event_study(res), staggered_event_study(res, reference=-2)
    b1 = dict(zip(et1.event_times, et1.betahat, strict=True))
    b1[-1] = 0.0
    assert et2.reference == -2 and -1 in et2.event_times and -2 not in et2.event_times
    expected = [b1[e] - b1[-2] for e in et2.event_times]
    assert et2.betahat == pytest.approx(expected, abs=1e-12)
    # var(b_e - b_-2) = var(b_e) + var(b_-2) - 2 cov
    i, j = et1.event_times.index(0), et1.event_times.index(-2)
    v = et1.sigma[i, i] + et1.sigma[j, j] - 2 * et1.sigma[i, j]
    k = et2.event_times.index(0)
    assert et2.sigma[k, k] == pytest.approx(v, rel=1e-10)
    r = honest_did(et2, method="smoothness", n_sim=2000)
    assert r.attrs["reference"] == -2 and np.isfinite(r.lb).all()
    with pytest.raises(SroiInputError, match="reference event time 7"):
        staggered_event_study(res, reference=7)


def test_varying_base_period_warns(panel):
    res = _cs(panel)
    with pytest.warns(SroiWarning, match="universal"):
        staggered_event_study(res)
