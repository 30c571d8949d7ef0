"""Size and power of the report's randomisation check with within-school selection (fast).

The design is :mod:`tests.simulation.randomization_size` (enrolment on a pre-period dip in
attendance and on a characteristic that steepens the trend). The longer run and its
numbers: ``python -m tests.simulation.randomization_size --reps 500`` (docs/simulation.md).
"""

from __future__ import annotations

import numpy as np

from tests.simulation.randomization_size import rejection_rate


def test_adjusted_check_holds_its_size_where_the_unadjusted_one_did_not():
    # 300 replications, 99 reshuffles each: rejection at 5% within 3 Monte Carlo SE
    # (0.0126 at 0.05) of 0.05 or below
    rate, _ = rejection_rate(300, 99, 0.0, adjusted=True, seed=1)
    assert rate <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 300)
    assert rate > 0.0  # a test that never rejects is not a test of size
    # the statistic before the fix rejected with no effect (mean reversion of the dip)
    unadjusted, _ = rejection_rate(20, 99, 0.0, adjusted=False, seed=1)
    assert unadjusted >= 0.5


def test_adjusted_check_has_power_against_a_real_effect():
    rate, _ = rejection_rate(40, 99, 0.01, adjusted=True, seed=2)
    assert rate >= 0.5
