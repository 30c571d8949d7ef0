"""Speed benchmark for sroi.did / sroi.event_study (issue 4, "Speed": TWFE on 1,000,000
unit-periods under 10 s). Run with ``nox -s bench`` or
``python -m pytest tests/benchmarks/bench_did.py -s``. Prints medians over repeats and, when
pyfixest is importable (it is not a dependency), the ratio against pyfixest.feols."""

from __future__ import annotations

import os
import time
import warnings

import numpy as np
import pandas as pd

import sroi
from sroi.errors import SroiWarning

REPEATS = int(os.environ.get("SROI_BENCH_REPEATS", "3"))


def _panel(n_units: int, n_periods: int, n_schools: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    school = rng.integers(0, n_schools, n_units)
    coh = rng.choice([0, 0, 4, 6, 8], n_schools)[school]
    t = np.arange(1, n_periods + 1)
    y = rng.normal(size=(n_units, 1)) + 0.1 * t + rng.normal(size=(n_units, n_periods))
    y += np.where((coh[:, None] > 0) & (t >= coh[:, None]), 0.5, 0.0)
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_units), n_periods),
            "time": np.tile(t, n_units),
            "cohort": np.repeat(coh, n_periods),
            "school": np.repeat(school, n_periods),
            "y": y.ravel(),
            "x": rng.normal(size=n_units * n_periods),
        }
    )


def _median(fn, repeats=REPEATS):
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def test_bench_twfe_one_million_unit_periods():
    df = _panel(100_000, 10)
    kw = dict(outcome="y", unit="unit", time="time", cohort="cohort", covariates=["x"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SroiWarning)
        res = {}
        for label, extra in [
            ("linearmodels, CR1 by unit", dict(engine="linearmodels")),
            ("within, CR1 by unit", dict(engine="within")),
            ("within, CR1 by school", dict(engine="within", cluster="school")),
            ("within, CR2 by school", dict(engine="within", cluster="school", vcov="CR2")),
            (
                "within, wild by school (999)",
                dict(engine="within", cluster="school", vcov="wild", random_state=0),
            ),
        ]:
            res[label] = _median(lambda extra=extra: sroi.did(df, **kw, **extra))
        es = _median(
            lambda: sroi.event_study(
                df,
                outcome="y",
                unit="unit",
                time="time",
                cohort="cohort",
                method="sun_abraham",
                cluster="school",
            )
        )
    for label, t in res.items():
        print(f"TWFE 1,000,000 unit-periods, {label}: median {t:.2f} s over {REPEATS}")
    print(f"Sun-Abraham event study, 1,000,000 unit-periods: median {es:.2f} s")
    try:
        import pyfixest as pf

        tp = _median(
            lambda: pf.feols(
                "y ~ D + x | unit + time",
                df.assign(D=((df.cohort > 0) & (df.time >= df.cohort)).astype(float)),
                vcov={"CRV1": "unit"},
            )
        )
        print(
            f"pyfixest feols same model, CRV1 by unit: median {tp:.2f} s; ratio pyfixest / sroi "
            f"(>1: sroi faster): within {tp / res['within, CR1 by unit']:.2f}, "
            f"linearmodels engine {tp / res['linearmodels, CR1 by unit']:.2f}"
        )
    except ImportError:
        print("pyfixest not installed: no comparison")
    assert res["linearmodels, CR1 by unit"] > 0
