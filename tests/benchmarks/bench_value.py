"""Speed of the value Monte Carlo (issue 5: 100,000 draws for 10 outcomes x 10 years in
under 2 s and under 1 GB; 10,000 draws well under a second).

Run: ``python -m pytest tests/benchmarks/bench_value.py -q -s`` (or ``nox -s bench``).
Prints medians over repeats; asserts nothing about time (benchmarks are not timed tests).
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np

import sroi.value as value
from sroi import Effect
from sroi.spec import Spec


def _spec(tmp: Path, n_outcomes: int = 10, years: int = 10) -> tuple[Spec, dict[str, Effect]]:
    rows = [
        "id,description,outcome,agency,value_type,basis,amount,price_year,source,"
        "confidence,low,high"
    ]
    outs, vals, effects = [], [], {}
    for i in range(n_outcomes):
        o = f"y{i}"
        rows.append(
            f"C{i},cost {i},{o},school,fiscal_non_cashable,one_off,{100 + i},2023-24,"
            f"illustrative,3,{50 + i},{200 + i}"
        )
        outs.append(
            {"name": o, "column": o, "type": "binary", "direction": "decrease", "primary": i == 0}
        )
        vals.append({"outcome": o})
        effects[o] = Effect.from_estimate(-0.01 * (1 + i % 3), 0.005, outcome=o, period="term")
    (tmp / "c.csv").write_text("\n".join(rows) + "\n")
    raw = {
        "programme": {
            "name": "bench",
            "cohort_size": 250,
            "delivery_costs": [
                {"year": t, "amount": 50000, "description": "d", "low": 45000, "high": 65000}
                for t in range(3)
            ],
        },
        "data": {"path": "p.csv", "columns": {"unit": "u", "time": "t", "cohort": "c"}},
        "design": {"outcomes": outs},
        "valuation": {
            "cost_file": str(tmp / "c.csv"),
            "price_year": "2024",
            "appraisal_years": years,
            "starts_by_year": [80, 85, 85],
            "remaining_school_years": 5,
            "adjustments": {"drop_off": 0.3, "attribution": 0.1},
            "outcomes": vals,
            "uncertainty": [
                {
                    "parameter": "attribution:y0",
                    "distribution": "pert",
                    "low": 0,
                    "mode": 0.1,
                    "high": 0.3,
                }
            ],
        },
    }
    return Spec.from_dict(raw), effects


def _median_time(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def test_bench_simulate(tmp_path):
    spec, effects = _spec(tmp_path)
    res = value.run(spec, effects)
    t_run = _median_time(lambda: value.run(spec, effects))
    t10k = _median_time(lambda: value.simulate(res, n_draws=10_000, random_state=0))
    t100k = _median_time(lambda: value.simulate(res, n_draws=100_000, random_state=0), 3)
    tracemalloc.start()
    s = value.simulate(res, n_draws=100_000, random_state=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"\nvalue.run (10 outcomes x 10 years): median {t_run * 1e3:.1f} ms"
        f"\nvalue.simulate 10,000 draws: median {t10k * 1e3:.1f} ms"
        f"\nvalue.simulate 100,000 draws: median {t100k * 1e3:.1f} ms, "
        f"peak traced memory {peak / 2**20:.0f} MiB"
    )
    assert len(s.draws) == 100_000 and np.isfinite(s.draws["npv"]).all()


def test_bench_simulate_all_parameters_uncertain(tmp_path):
    """Worst case: drop-off, attribution and displacement uncertain for every outcome
    (deadweight is not a parameter of a comparison-group effect: it is already netted out)."""
    spec, effects = _spec(tmp_path)
    unc = []
    for o in effects:
        unc += [
            {
                "parameter": f"drop_off:{o}",
                "distribution": "pert",
                "low": 0.1,
                "mode": 0.3,
                "high": 0.6,
            },
            {"parameter": f"attribution:{o}", "distribution": "uniform", "low": 0.0, "high": 0.2},
            {
                "parameter": f"displacement:{o}",
                "distribution": "triangular",
                "low": 0.0,
                "mode": 0.1,
                "high": 0.3,
            },
        ]
    spec = spec.with_overrides({"valuation.uncertainty": unc})
    res = value.run(spec, effects)
    t100k = _median_time(lambda: value.simulate(res, n_draws=100_000, random_state=0), 3)
    tracemalloc.start()
    value.simulate(res, n_draws=100_000, random_state=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"\nvalue.simulate 100,000 draws, 30 extra uncertain parameters: median "
        f"{t100k * 1e3:.1f} ms, peak traced memory {peak / 2**20:.0f} MiB"
    )


def test_bench_live_workbook(tmp_path):
    """Writing value_model.xlsx (issue 14) for 10 outcomes x 10 years."""
    from sroi.value.workbook import write_value_model

    spec, effects = _spec(tmp_path)
    res = value.run(spec, effects)
    t = _median_time(lambda: write_value_model(res, tmp_path / "value_model.xlsx"), 3)
    cells = write_value_model(res, tmp_path / "value_model.xlsx")
    print(
        f"\nwrite_value_model (10 outcomes x 10 years, {len(cells)} result cells): median {t:.2f} s"
    )
    assert len(cells) > 300


def test_bench_sroi_value_steps(tmp_path):
    """The steps of ``sroi value`` on the sample valuation, in CPU seconds (the machine may be
    shared): re-value, 10,000 Monte Carlo draws, the JSON, the results workbook and the live
    workbook (imports and reading results.json not included)."""
    import json
    import warnings

    from sroi import resources
    from sroi.value.workbook import write_value_model
    from tests.value.helpers import sample_effects

    spec = Spec.load(resources.sample_spec())
    effects = sample_effects()
    warnings.simplefilter("ignore")
    res = value.run(spec, effects)
    sim = value.simulate(res, n_draws=10_000, random_state=spec.seed)
    steps = {
        "value.run": lambda: value.run(spec, effects),
        "value.simulate (10,000 draws)": lambda: value.simulate(
            res, n_draws=10_000, random_state=spec.seed
        ),
        "summary and JSON": lambda: json.dumps(
            {**res.to_dict(), "monte_carlo": sim.to_dict(), "text": res.summary()}, default=str
        ),
        "results workbook": lambda: res.to_excel(tmp_path / "value_results.xlsx"),
        "live workbook": lambda: write_value_model(res, tmp_path / "value_model.xlsx"),
    }
    total = 0.0
    print()
    for name, fn in steps.items():
        cpu = []
        for _ in range(3):
            t0 = time.process_time()
            fn()
            cpu.append(time.process_time() - t0)
        total += statistics.median(cpu)
        print(f"sroi value step {name}: median CPU {statistics.median(cpu):.3f} s")
    print(f"sroi value steps in all: {total:.2f} s CPU")
    assert (tmp_path / "value_model.xlsx").is_file()
