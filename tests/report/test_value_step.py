"""The report's valuation step (sroi.report.steps.value.value_effects)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import sroi.value
import sroi.value.api
from sroi.errors import SroiWarning
from sroi.report.capture import WarningLog
from sroi.report.steps.value import effects_to_value, value_effects


def test_the_monte_carlo_reuses_the_valued_model(small_result, monkeypatch):
    """One valuation per run: the simulation draws from the model just valued.

    Its draws are those of simulating from the spec (which values the effects again), and a
    warning of the valuation is logged once, under "valuation", not again under "Monte Carlo".
    """
    spec = small_result.spec
    if spec.valuation is None:
        pytest.skip("no valuation in the small evaluation")
    effects = {n: o.headline for n, o in small_result.outcomes.items() if o.headline}
    again = sroi.value.simulate(spec, effects_to_value(spec, effects), 500, random_state=7)
    real_run = sroi.value.api.run
    calls = []

    def run(*args, **kwargs):
        calls.append(1)
        warnings.warn("cost line x: price year assumed", SroiWarning, stacklevel=2)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(sroi.value, "run", run)
    monkeypatch.setattr(sroi.value.api, "run", run)
    log = WarningLog()
    value, sim, reason = value_effects(spec, effects, 7, n_draws=500, log=log)
    assert reason is None and len(calls) == 1
    pd.testing.assert_frame_equal(sim.draws, again.draws, check_exact=True)
    assert sim.central == again.central
    assert [m for m in log.messages if "price year assumed" in m] == [
        "valuation: cost line x: price year assumed"
    ]
