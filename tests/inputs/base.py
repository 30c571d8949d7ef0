"""A small valid evaluation folder (spec, panel, pupils, costs) that the battery corrupts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

N_PUPILS = 60
N_TERMS = 6
N_SCHOOLS = 6

COSTS = textwrap.dedent(
    """\
    id,description,outcome,agency,value_type,category,basis,amount,unit,price_year,source,confidence,low,high
    SUSP,suspension process,suspensions,school,fiscal_non_cashable,exclusion_process,one_off,250,per suspension,2023-24,illustrative,5,100,500
    """
)

SPEC = textwrap.dedent(
    """\
    programme:
      name: Battery programme
      cohort_size: 20
      delivery_costs:
        - {year: 0, amount: 10000, description: staff}
    data:
      path: panel.csv
      units: pupils.csv
      columns:
        unit: pupil_id
        time: term
        cohort: cohort
        treatment: enrolled
        cluster: school_id
        covariates: [fsm, prior]
      missing: drop
    design:
      matching:
        method: nearest
        ratio: 1
      did:
        estimator: reg
        n_boot: 99
        cluster: school_id
        window: [-2, 2]
      outcomes:
        - name: attendance
          column: attendance_rate
          type: rate
          direction: increase
          primary: true
        - name: suspensions
          column: suspensions
          type: count
          direction: decrease
        - name: persistent_absence
          column: persistent_absence
          type: binary
          direction: decrease
      alpha: 0.05
    valuation:
      cost_file: costs.csv
      price_year: "2024"
      appraisal_years: 5
      terms_per_year: 3
      adjustments:
        attribution: 0.1
      outcomes:
        - outcome: suspensions
          costs: [SUSP]
      uncertainty:
        - {parameter: "attribution:suspensions", distribution: pert, low: 0.0, mode: 0.1, high: 0.3}
    report:
      disclosure_threshold: 10
    seed: 7
    """
)


def pupils() -> pd.DataFrame:
    """One row per pupil: school, cohort (0, 3 or 4), enrolment flag, covariates."""
    rng = np.random.default_rng(1)
    ids = [f"P{i:03d}" for i in range(N_PUPILS)]
    school = [f"S{i % N_SCHOOLS}" for i in range(N_PUPILS)]
    cohort = [0 if i < 40 else (3 if i < 50 else 4) for i in range(N_PUPILS)]
    return pd.DataFrame(
        {
            "pupil_id": ids,
            "school_id": school,
            "cohort": cohort,
            "enrolled": [int(g > 0) for g in cohort],
            "fsm": rng.integers(0, 2, N_PUPILS),
            "prior": np.round(rng.normal(0, 1, N_PUPILS), 3),
        }
    )


def panel() -> pd.DataFrame:
    """Pupil x term outcomes (terms 1..6)."""
    rng = np.random.default_rng(2)
    rows = []
    for i in range(N_PUPILS):
        for t in range(1, N_TERMS + 1):
            rate = float(np.clip(rng.normal(0.93, 0.04), 0, 1))
            rows.append(
                {
                    "pupil_id": f"P{i:03d}",
                    "term": t,
                    "attendance_rate": round(rate, 4),
                    "suspensions": int(rng.poisson(0.2)),
                    "persistent_absence": int(rate < 0.9),
                }
            )
    return pd.DataFrame(rows)


def write_evaluation(folder: Path) -> Path:
    """Write the valid evaluation into ``folder``; return the spec path."""
    folder.mkdir(parents=True, exist_ok=True)
    panel().to_csv(folder / "panel.csv", index=False)
    pupils().to_csv(folder / "pupils.csv", index=False)
    (folder / "costs.csv").write_text(COSTS, encoding="utf-8")
    spec = folder / "evaluation.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    return spec


def write_places(folder: Path) -> list[Path]:
    """Two valid ``results.json`` files (places A and B) that ``sroi pool`` accepts."""
    import json

    from sroi import Effect
    from tests.report.helpers import results_document

    paths = []
    for name, est in (("A", 0.01), ("B", 0.02)):
        effect = Effect(
            estimate=est,
            std_error=0.005,
            ci_low=est - 0.0098,
            ci_high=est + 0.0098,
            p_value=0.05,
            n_treated=250,
            n_control=240,
            estimand="ATT (group aggregation)",
            method="matched staggered DiD",
            outcome="attendance",
        )
        doc = results_document([effect])
        doc["evaluation"]["programme"] = f"place {name}"
        doc["provenance"]["spec_hash"] = doc["provenance"]["data_hash"] = name.lower() * 64
        path = folder / f"place_{name}.json"
        path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        paths.append(path)
    return paths
