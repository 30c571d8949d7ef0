"""Builders for the value tests: small specs, cost tables and effects (no impact code)."""

from __future__ import annotations

import copy
import csv
import math
import os
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import sroi.value as value
from sroi import Effect, resources
from sroi.spec import Spec
from sroi.value.costs import COLUMNS

#: Monte Carlo settings of the pinned sample simulation (tests/fixtures/value).
N_DRAWS = 2000
RANDOM_STATE = 11
#: Delivery costs of a cheap variant of the sample programme (it pays back).
CHEAP_DELIVERY = [
    {"year": 0, "amount": 30000, "description": "link workers", "spent": True},
    {"year": 1, "amount": 20000, "description": "link workers", "price_year": "2023-24"},
]
#: Fixture files of the value tests.
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "value"
#: The shipped sample unit-cost table, sample spec, sample data and cost template.
SAMPLE_COSTS = resources.bundled("data_samples", "unit_costs.csv")
SAMPLE_SPEC = resources.sample_spec()
SAMPLE_DATA = resources.sample_data_dir()
COST_TEMPLATE = resources.template("unit_costs.xlsx")

OUTCOMES = [
    {
        "name": "attendance",
        "column": "attendance_rate",
        "type": "rate",
        "direction": "increase",
        "primary": True,
    },
    {
        "name": "persistent_absence",
        "column": "persistent_absence",
        "type": "binary",
        "direction": "decrease",
    },
    {"name": "suspensions", "column": "suspensions", "type": "count", "direction": "decrease"},
    {
        "name": "permanent_exclusion",
        "column": "permanent_exclusion",
        "type": "binary",
        "direction": "decrease",
    },
    {
        "name": "camhs_referral",
        "column": "camhs_referral",
        "type": "binary",
        "direction": "decrease",
    },
    {"name": "csc_referral", "column": "csc_referral", "type": "binary", "direction": "decrease"},
]

#: The sample evaluation's valuation section (as in evaluations/impact_programmes), without its
#: uncertainty entries.
SAMPLE_VALUATION: dict[str, Any] = {
    "cost_file": str(SAMPLE_COSTS),
    "price_year": "2024",
    "appraisal_years": 10,
    "terms_per_year": 3,
    "starts_by_year": [0, 180, 70],
    # {school years left at enrolment: pupils}, from pupils.csv (to the end of Year 11)
    "remaining_school_years": {1: 23, 2: 52, 3: 61, 4: 42, 6: 2, 7: 19, 8: 24, 9: 21, 10: 6},
    "adjustments": {"deadweight": 0.0, "displacement": 0.0, "attribution": 0.1, "drop_off": 0.5},
    "outcomes": [
        {"outcome": "persistent_absence", "costs": ["PA_TRUANCY"], "effect_period": "year"},
        {"outcome": "suspensions", "costs": ["SUSP_PROCESS"]},
        {"outcome": "permanent_exclusion"},
        {"outcome": "camhs_referral"},
        {"outcome": "csc_referral"},
    ],
    "conversions": [
        {
            "name": "csc_assessment",
            "from_outcome": "csc_referral",
            "rate": 0.9,
            "rate_source": "illustrative: share of referrals assessed",
            "costs": ["CSC_ASSESS"],
        },
        {
            "name": "child_in_need",
            "from_outcome": "csc_referral",
            "rate": 0.3,
            "rate_source": "illustrative: share of referrals leading to a child-in-need plan",
            "costs": ["SS5.0"],
        },
        {
            "name": "looked_after",
            "from_outcome": "csc_referral",
            "rate": 0.05,
            "rate_source": "illustrative: years in care per referral",
            "costs": ["SS1.0"],
        },
        {
            "name": "camhs_case",
            "from_outcome": "camhs_referral",
            "rate": 0.7,
            "rate_source": "illustrative: share of referrals accepted for treatment",
            "costs": ["HE12.3"],
        },
    ],
    "optimism_bias": {"costs": 0.1, "benefits_by_confidence": True},
}

SAMPLE_DELIVERY = [
    {
        "year": 0,
        "amount": 150000,
        "description": "link workers",
        "price_year": "2022-23",
        "spent": True,
        "source": "illustrative",
    },
    {
        "year": 1,
        "amount": 155000,
        "description": "link workers",
        "price_year": "2023-24",
        "spent": True,
        "source": "illustrative",
    },
    {
        "year": 2,
        "amount": 160000,
        "description": "link workers",
        "price_year": "2024",
        "low": 150000,
        "high": 190000,
        "source": "illustrative",
    },
    {
        "year": 0,
        "amount": 20000,
        "description": "school staff time (in kind)",
        "in_kind": True,
        "agency": "school",
        "source": "illustrative",
    },
]


def make_spec(
    valuation: dict[str, Any] | None = None, *, delivery=None, cohort_size=250, outcomes=None
) -> Spec:
    raw = {
        "programme": {
            "name": "test programme",
            "cohort_size": cohort_size,
            "delivery_costs": copy.deepcopy(SAMPLE_DELIVERY if delivery is None else delivery),
        },
        "data": {
            "path": "panel.csv",
            "columns": {"unit": "pupil_id", "time": "term", "cohort": "cohort"},
        },
        "design": {"outcomes": copy.deepcopy(outcomes or OUTCOMES)},
        "valuation": copy.deepcopy(SAMPLE_VALUATION if valuation is None else valuation),
    }
    return Spec.from_dict(raw)


def sample_effects() -> dict[str, Effect]:
    """Plausible per-pupil per-term effects for the sample programme (illustrative)."""
    mk = Effect.from_estimate
    return {
        "attendance": mk(0.02, 0.006, outcome="attendance", period="term"),
        "persistent_absence": mk(-0.05, 0.02, outcome="persistent_absence", period="term"),
        "suspensions": mk(-0.03, 0.012, outcome="suspensions", period="term"),
        "permanent_exclusion": mk(-0.002, 0.0015, outcome="permanent_exclusion", period="term"),
        "camhs_referral": mk(-0.01, 0.006, outcome="camhs_referral", period="term"),
        "csc_referral": mk(-0.008, 0.005, outcome="csc_referral", period="term"),
    }


def sample_costs() -> value.UnitCostTable:
    """The shipped sample unit-cost table."""
    return value.load_unit_costs(SAMPLE_COSTS)


COST_COLUMNS = list(COLUMNS)  # the cost-table columns, in order


def cost_row(**kw: Any) -> dict[str, Any]:
    row = {
        "id": "X",
        "description": "one event",
        "outcome": "o",
        "agency": "school",
        "value_type": "fiscal_non_cashable",
        "category": "other",
        "basis": "one_off",
        "duration_years": "",
        "amount": 100,
        "unit": "per event",
        "price_year": "2024",
        "source": "illustrative",
        "confidence": "1",
        "low": "",
        "high": "",
        "measure": "money",
        "notes": "",
    }
    row.update(kw)
    return row


def write_costs(path: Path, rows: list[dict[str, Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COST_COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow(r)
    return path


def tiny_outcome(**kw: Any) -> dict[str, Any]:
    """The tiny spec's outcome valuation (3 observed benefit years of a per-year effect)."""
    out = {
        "outcome": "o",
        "effect_period": "year",
        "observed_years": 3,
        "benefit_years": 3,
        "in_school": False,
    }
    out.update(kw)
    return out


def tiny_spec(
    tmp_path: Path,
    rows: list[dict[str, Any]] | None = None,
    *,
    valuation: dict[str, Any] | None = None,
    outcome: dict[str, Any] | None = None,
    delivery: list[dict[str, Any]] | None = None,
    cohort: int = 10,
    extra_outcomes: list[dict[str, Any]] | None = None,
) -> Spec:
    """Spec with one binary 'decrease' outcome ``o`` valued at 100 per event (grade 1)."""
    cost_file = write_costs(tmp_path / "costs.csv", rows or [cost_row()])
    val = {
        "cost_file": str(cost_file),
        "price_year": "2024",
        "appraisal_years": 3,
        "adjustments": {"drop_off": 0.0},
        "outcomes": [tiny_outcome()],
    }
    val.update(valuation or {})
    outs = [
        outcome
        or {"name": "o", "column": "o", "type": "binary", "direction": "decrease", "primary": True}
    ]
    outs += extra_outcomes or []
    raw = {
        "programme": {
            "name": "tiny",
            "cohort_size": cohort,
            "delivery_costs": delivery
            if delivery is not None
            else [{"year": 0, "amount": 200, "description": "delivery", "spent": True}],
        },
        "data": {"path": "p.csv", "columns": {"unit": "id", "time": "t", "cohort": "c"}},
        "design": {"outcomes": outs},
        "valuation": val,
    }
    return Spec.from_dict(raw)


def _num(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


def sample_headline() -> dict[str, Any]:
    """Headline figures of the sample spec valued with ``sample_effects()``."""
    spec = Spec.load(resources.sample_spec())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = value.run(spec, sample_effects())
        s = value.simulate(r, n_draws=N_DRAWS, random_state=RANDOM_STATE)
        # the sample never pays back; a cheap variant does, inside year 3
        cheap = spec.with_overrides({"programme.delivery_costs": CHEAP_DELIVERY})
        rc = value.run(cheap, sample_effects())
    by_year = r.by_year()
    sv = r.switching_values()
    return {
        "headline": {
            k: _num(getattr(r, k))
            for k in (
                "pv_benefits",
                "pv_costs",
                "npv",
                "sroi_ratio",
                "financial_roi",
                "cashable_roi",
                "payback_years",
                "pv_transfers",
                "pv_modelled",
            )
        },
        "cheap_variant": {k: _num(getattr(rc, k)) for k in ("npv", "sroi_ratio", "payback_years")},
        "pv_by_value_type": r.pv_by_value_type,
        "by_agency": {
            rec["agency"]: {k: float(v) for k, v in rec.items() if k != "agency"}
            for rec in r.by_agency().to_dict(orient="records")
        },
        "by_year": {c: by_year[c].tolist() for c in ("pv_benefits", "pv_costs", "benefits")},
        "switching_values": {
            p: _num(v) for p, v in zip(sv["parameter"], sv["switching_value"], strict=True)
        },
        "assumption_parameters": list(r.assumptions["parameter"]),
        "excluded": r.excluded,
        "simulation": {
            "n_draws": N_DRAWS,
            "random_state": RANDOM_STATE,
            "mean_npv": float(s.draws["npv"].mean()),
            "mean_sroi_ratio": float(s.draws["sroi_ratio"].mean()),
            "sroi_ratio_90": list(s.interval("sroi_ratio", 0.9)),
            "prob_npv_positive": s.prob_npv_positive,
            "tornado_parameters": list(s.tornado["parameter"]),
            "scenario_npv": s.scenarios["npv"].tolist(),
        },
    }


#: LibreOffice (headless) for recalculating written workbooks; None where it is not installed.
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def recalculate(paths: list[Path], outdir: Path) -> list[Path]:
    """Recalculate workbooks with headless LibreOffice (an .xlsx -> .xlsx round trip).

    LibreOffice computes every formula cell that has no saved value when it opens the file;
    the copies it writes hold the computed values (read them with ``data_only=True``). A
    private profile folder keeps the run independent of any other LibreOffice.
    """
    assert SOFFICE is not None
    profile = outdir / "lo-profile"
    env = dict(os.environ, HOME=str(outdir / "home"))
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(outdir),
            *map(str, paths),
        ],
        check=True,
        capture_output=True,
        timeout=600,
        env=env,
    )
    out = [outdir / p.name for p in paths]
    missing = [p for p in out if not p.exists()]
    assert not missing, f"LibreOffice wrote no {missing}"
    return out
