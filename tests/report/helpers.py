"""Small synthetic evaluation for the report tests (fast; follows the sample data contract).

Built here rather than from ``sroi.data.synthetic`` so the report tests stay small and do not
depend on the shipped sample's size: 600 pupils, 12 schools (3 run the programme), 9 terms,
three enrolment waves, a known attendance effect of +0.03 from the start term.

Import as ``from tests.report.helpers import ...``; the pytest fixtures built on these live in
``tests/report/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sroi import resources

SAMPLE_SPEC = resources.sample_spec()
SAMPLE_DATA = resources.sample_data_dir()
UNIT_COSTS = resources.bundled("data_samples", "unit_costs.csv")
EFFECT = 0.03


def make_small_data(
    n_pupils: int = 600, n_terms: int = 9, seed: int = 7
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    school_num = rng.integers(1, 13, n_pupils)
    school = np.array([f"S{k:02d}" for k in school_num])
    programme_school = (school_num <= 3).astype(int)
    phase = np.where(school_num % 2 == 0, "primary", "secondary")
    fsm = rng.binomial(1, 0.25, n_pupils)
    idaci = rng.integers(1, 11, n_pupils)
    prior = rng.normal(0, 1, n_pupils)
    p_enrol = programme_school * (0.12 + 0.15 * fsm + 0.02 * (10 - idaci))
    enrolled = rng.binomial(1, np.clip(p_enrol, 0, 0.9))
    wave = {1: 4, 2: 5, 3: 7}
    cohort = np.where(enrolled == 1, np.vectorize(lambda s: wave.get(s, 0))(school_num), 0)
    pupils = pd.DataFrame(
        {
            "pupil_id": [f"P{i:06d}" for i in range(1, n_pupils + 1)],
            "school_id": school,
            "phase": phase,
            "programme_school": programme_school,
            "year_group": np.where(
                phase == "primary", rng.integers(1, 7, n_pupils), rng.integers(7, 12, n_pupils)
            ),
            "sex": rng.choice(["F", "M"], n_pupils),
            "fsm": fsm,
            "sen": rng.choice(["none", "sen_support", "ehcp"], n_pupils, p=[0.84, 0.13, 0.03]),
            "idaci_decile": idaci,
            "ethnicity": rng.choice(["White", "Asian", "Black", "Mixed", "Other"], n_pupils),
            "prior_attainment": np.round(prior, 4),
            "child_in_need": rng.binomial(1, 0.05, n_pupils),
            "child_protection": rng.binomial(1, 0.02, n_pupils),
            "looked_after": rng.binomial(1, 0.01, n_pupils),
            "enrolled": enrolled,
            "cohort": cohort,
        }
    )
    n = n_pupils * n_terms
    pid = np.repeat(pupils["pupil_id"].to_numpy(), n_terms)
    term = np.tile(np.arange(1, n_terms + 1), n_pupils)
    g = np.repeat(cohort, n_terms)
    unit_fe = np.repeat(rng.normal(0, 0.03, n_pupils) - 0.02 * np.repeat(fsm, 1), n_terms)
    post = (g > 0) & (term >= g)
    att = 0.90 + unit_fe + 0.002 * term + rng.normal(0, 0.02, n) + EFFECT * post
    att = np.clip(att, 0, 1)
    stress = rng.binomial(1, 0.1, n)
    panel = pd.DataFrame(
        {
            "pupil_id": pid,
            "term": term,
            "attendance_rate": np.round(att, 4),
            "persistent_absence": (att < 0.9).astype(int),
            "suspensions": rng.poisson(0.05, n),
            "permanent_exclusion": rng.binomial(1, 0.001, n),
            "camhs_referral": rng.binomial(1, 0.02, n),
            "csc_referral": rng.binomial(1, np.where(post, 0.02, 0.03)),
            "family_stress": stress,
        }
    )
    return pupils, panel


def small_valuation() -> dict[str, Any]:
    """An illustrative valuation section for the small evaluation (costs from the sample table)."""
    return {
        "cost_file": str(UNIT_COSTS.resolve()),
        "price_year": "2024",
        "appraisal_years": 6,
        "terms_per_year": 3,
        "remaining_school_years": 4.0,
        "adjustments": {"attribution": 0.1, "drop_off": 0.5},
        "outcomes": [
            {
                "outcome": "attendance",
                "costs": ["ATT_DAY"],
                "quantity_per_unit": 190,
                "quantity_source": "DfE: 190 school days a year",
            },
            {"outcome": "suspensions", "costs": ["SUSP_PROCESS"]},
            {"outcome": "camhs_referral"},
            {"outcome": "csc_referral"},
        ],
        "optimism_bias": {"costs": 0.1, "benefits_by_confidence": True},
    }


SMALL_DELIVERY = [
    {
        "year": 0,
        "amount": 30000,
        "description": "link workers (illustrative)",
        "price_year": "2024",
        "spent": True,
        "source": "illustrative",
    },
    {
        "year": 1,
        "amount": 30000,
        "description": "link workers (illustrative)",
        "price_year": "2024",
        "low": 25000,
        "high": 40000,
        "source": "illustrative",
    },
]


def write_small_evaluation(
    folder: Path,
    *,
    matched: bool = False,
    n_boot: int = 0,
    valuation: bool = True,
    **overrides: Any,
) -> Path:
    """Write the small data and a spec (a copy of the sample spec pointing at them)."""
    folder.mkdir(parents=True, exist_ok=True)
    pupils, panel = make_small_data()
    pupils.to_csv(folder / "pupils.csv", index=False)
    panel.to_csv(folder / "panel.csv", index=False)
    raw = yaml.safe_load(SAMPLE_SPEC.read_text(encoding="utf-8"))
    raw["data"]["path"] = "panel.csv"
    raw["data"]["units"] = "pupils.csv"
    raw["design"]["did"]["matched"] = matched
    raw["design"]["did"]["n_boot"] = n_boot
    raw["programme"]["cohort_size"] = int((pupils["cohort"] > 0).sum())
    if valuation:
        raw["valuation"] = small_valuation()
        raw["programme"]["delivery_costs"] = SMALL_DELIVERY
    else:
        raw.pop("valuation", None)
        raw["programme"].pop("delivery_costs", None)
    for dotted, value in overrides.items():
        node = raw
        parts = dotted.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    path = folder / "evaluation.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def sample_ids() -> dict[str, list[str]]:
    """Pupil and school identifiers of the shipped sample evaluation."""
    pupils = pd.read_csv(SAMPLE_DATA / "pupils.csv", usecols=["pupil_id", "school_id"], dtype=str)
    return {"pupil_id": pupils["pupil_id"].tolist(), "school_id": sorted(set(pupils["school_id"]))}


def results_document(effects: list[Any], *, threshold: int = 10) -> dict[str, Any]:
    """A minimal ``results.json`` document (schema-valid) holding ``effects``.

    ``effects`` are :class:`sroi.Effect` records, or ``(outcome, None)`` for an outcome whose
    effect could not be estimated. Validated before it is returned, so a schema change that
    this helper does not follow fails here, by name.
    """
    from sroi.report.provenance import provenance
    from sroi.report.results import validate_results

    items = []
    for i, e in enumerate(effects):
        name, eff = e if isinstance(e, tuple) else (e.outcome, e)
        d = None if eff is None else eff.to_dict(include_draws=False)
        if d is not None:
            for c in ("n_treated", "n_control", "n_clusters", "n_treated_clusters"):
                if isinstance(d.get(c), int) and 0 < d[c] < threshold:
                    d[c] = f"<{threshold}"
        items.append(
            {
                "outcome": name,
                "label": name,
                "primary": i == 0,
                "type": "rate",
                "direction": "increase",
                "effect": d,
                "p_adjusted": None,
                "mdes": None,
                "rare": False,
                "pretrend": None,
            }
        )
    doc = {
        "schema_version": "1.0",
        "evaluation": {"title": "test", "programme": "test"},
        "provenance": provenance(spec_hash="a" * 64, data_hash="b" * 64, seed=1),
        "disclosure": {"threshold": threshold, "suppressed_marker": f"<{threshold}"},
        "design": {
            "name": "matched staggered difference-in-differences",
            "sms_design_level": 3,
            "headline_estimand": "ATT",
            "matching": {},
            "did": {},
            "multiplicity": "holm",
            "alpha": 0.05,
        },
        "programme": {
            "n_treated": 250,
            "n_comparison_pool": 1000,
            "n_clusters": 20,
            "n_treated_clusters": 10,
            "first_period": 1,
            "last_period": 9,
            "cohorts": [],
        },
        "exclusions": [],
        "effects": items,
        "value": None,
        "diagnostics": {"evidence": None, "balance": None, "warnings": [], "unavailable": {}},
    }
    validate_results(doc)
    return doc
