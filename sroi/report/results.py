"""``results.json``: the machine-readable results of one evaluation.

The file follows the JSON Schema shipped at ``sroi/report/schema/results.schema.json``
(:data:`SCHEMA_PATH`) and is validated with :mod:`jsonschema` on every write, so partners can
aggregate results across evaluations. Counts below the disclosure threshold are written as
``"<k"``; free text is stripped of identifiers; the written file is searched for every
identifier in the data before it is kept.
"""

from __future__ import annotations

import json
import math
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.report.disclosure import check_no_identifiers, sanitize_text, suppress_count
from sroi.report.pipeline import EvaluationResult, OutcomeResult

__all__ = [
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "load_schema",
    "build_results",
    "validate_results",
    "write_results",
    "read_results",
    "aggregate_results",
    "ResultsSchemaError",
]

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "results.schema.json"
SCHEMA_VERSION = "1.0"

_EFFECT_COUNTS = ("n_treated", "n_control", "n_clusters", "n_treated_clusters")
_ROW_KEYS = {
    "event_time",
    "cohort",
    "time",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "n_treated",
    "n_control",
}


class ResultsSchemaError(RuntimeError):
    """The results do not follow the shipped JSON Schema (a bug in sroi, not in the input)."""


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The shipped results JSON Schema (draft 2020-12)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


#: Disclosure threshold applied to free text while a document is being built (a context
#: variable, so concurrent builds in threads do not interfere).
_K: ContextVar[int | None] = ContextVar("sroi_results_threshold", default=None)


def _clean(x: Any, ids: set[str]) -> Any:
    """JSON-safe copy: NumPy scalars to Python, NaN/inf to None, tables to records; free text
    has identifiers removed and small counts of people suppressed."""
    if isinstance(x, dict):
        return {str(k): _clean(v, ids) for k, v in x.items()}
    if isinstance(x, (list, tuple, set)):
        return [_clean(v, ids) for v in x]
    if isinstance(x, pd.DataFrame):
        return [_clean(r, ids) for r in x.to_dict(orient="records")]
    if isinstance(x, pd.Series):
        return _clean(x.to_dict(), ids)
    if isinstance(x, np.ndarray):
        return _clean(x.tolist(), ids)
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, str):
        return redact(x, ids)
    if x is None or isinstance(x, (bool, int)):
        return x
    if hasattr(x, "isoformat"):
        return x.isoformat()
    return redact(str(x), ids)


def redact(text: str, ids: set[str]) -> str:
    """Identifiers removed (when ``ids``) and small counts suppressed (while building)."""
    k = _K.get()
    if not ids and k is None:
        return text
    return sanitize_text(text, ids, k or 10)


def _effect(e: Effect | None, k: int, ids: set[str]) -> dict[str, Any] | None:
    if e is None:
        return None
    d = e.to_dict(include_draws=False)
    for c in _EFFECT_COUNTS:
        d[c] = suppress_count(d.get(c), k)
    extra = d.get("extra") or {}
    # exclusion tables inside 'extra' carry counts: suppress them like every other count
    if isinstance(extra, dict) and isinstance(extra.get("exclusions"), list):
        extra = dict(extra)
        extra["exclusions"] = [
            {
                kk: (suppress_count(vv, k) if kk.startswith("n_") and vv is not None else vv)
                for kk, vv in r.items()
            }
            for r in extra["exclusions"]
            if isinstance(r, dict)
        ]
    d["extra"] = _clean(extra, ids)
    d["notes"] = [redact(str(n), ids) for n in d.get("notes") or []]
    return _clean(d, ids)


def _rows(
    df: pd.DataFrame | None, k: int, ids: set[str], rename: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    if df is None or df.empty:
        return []
    d = df.rename(columns=rename or {})
    keep = [c for c in d.columns if c in _ROW_KEYS]
    out = []
    for r in d[keep].to_dict(orient="records"):
        row = {}
        for c, v in r.items():
            if c in ("n_treated", "n_control"):
                row[c] = suppress_count(
                    None if v is None or (isinstance(v, float) and math.isnan(v)) else v, k
                )
            elif c in ("event_time", "cohort", "time"):
                row[c] = int(v)
            else:
                row[c] = v
        out.append(row)
    return _clean(out, ids)


def _outcome(o: OutcomeResult, k: int, ids: set[str]) -> dict[str, Any]:
    pre = None
    if o.pretrend is not None:
        pre = _clean(
            {
                kk: v
                for kk, v in o.pretrend.items()
                if kk in ("statistic", "df", "p_value", "method")
            },
            ids,
        )
    return {
        "outcome": o.name,
        "column": o.column,
        "label": o.label,
        "unit": o.unit,
        "primary": bool(o.primary),
        "type": o.type,
        "direction": o.direction,
        "effect": _effect(o.headline, k, ids),
        "simple_aggregation": _effect(o.simple, k, ids),
        "p_adjusted": _clean(o.p_adjusted, ids),
        "adjustment": o.adjustment,
        "mdes": _clean(o.mdes, ids),
        "baseline_mean": _clean(o.baseline_mean, ids),
        "rare": bool(o.rare),
        "pretrend": pre,
        "twfe": _effect(o.twfe, k, ids),
        "cs_unmatched": _effect(o.cs_unmatched, k, ids),
        "twfe_vs_cs": None if o.twfe_vs_cs is None else redact(str(o.twfe_vs_cs), ids),
        "honest_breakdown": _clean(o.honest_breakdown, ids),
        "event_time": _rows(o.event_time, k, ids),
        "by_cohort": _rows(o.by_cohort, k, ids, {"att": "estimate"}),
        "att_gt": _rows(o.att_gt, k, ids, {"att": "estimate"}),
        "unavailable": {kk: redact(str(v), ids) for kk, v in o.unavailable.items()},
    }


def _value(result: EvaluationResult, ids: set[str]) -> dict[str, Any] | None:
    if result.value is None:
        return None
    from sroi.report.render import value_headline

    head = value_headline(result)
    head = {
        kk: head.get(kk)
        for kk in (
            "sroi_ratio",
            "npv",
            "pv_benefits",
            "pv_costs",
            "payback_year",
            "financial_roi",
            "public_value_roi",
            "sroi_interval",
            "npv_interval",
            "prob_npv_positive",
            "n_draws",
            "price_year",
        )
    }
    if head.get("n_draws") is not None:
        head["n_draws"] = int(head["n_draws"])
    if head.get("price_year") is not None:
        head["price_year"] = str(head["price_year"])
    for kk in ("sroi_interval", "npv_interval"):
        if head.get(kk) is not None:
            head[kk] = [float(v) for v in head[kk]]
    detail = None
    to_dict = getattr(result.value, "to_dict", None)
    if callable(to_dict):
        detail = to_dict()
    sim = None
    sd = getattr(result.simulation, "to_dict", None)
    if callable(sd):
        sim = sd()
        if isinstance(sim, dict):
            sim = {kk: v for kk, v in sim.items() if kk != "draws"}
    return _clean({"headline": head, "detail": detail, "simulation": sim}, ids)


def build_results(result: EvaluationResult, provenance: dict[str, Any]) -> dict[str, Any]:
    """The ``results.json`` document for an evaluation (not yet validated)."""
    if not isinstance(result, EvaluationResult):
        raise SroiInputError(
            f"build_results: expected an EvaluationResult, got {type(result).__name__}"
        )
    k = result.threshold
    ids = result.all_identifiers()
    token = _K.set(k)
    try:
        return _build(result, provenance, k, ids)
    finally:
        _K.reset(token)


def _build(
    result: EvaluationResult, provenance: dict[str, Any], k: int, ids: set[str]
) -> dict[str, Any]:
    spec = result.spec
    prog = result.programme
    cohorts = []
    for r in result.cohorts.to_dict(orient="records"):
        row = {"cohort": int(r["cohort"]), "n_pupils": suppress_count(r["n_pupils"], k)}
        if "n_schools" in r:
            row["n_schools"] = suppress_count(r["n_schools"], k)
        if "terms_observed_after_start" in r:
            row["terms_observed_after_start"] = int(r["terms_observed_after_start"])
        cohorts.append(row)
    exclusions = [
        {
            "reason": redact(str(r["reason"]), ids),
            "column": None
            if r.get("column") is None
            or (isinstance(r.get("column"), float) and math.isnan(r["column"]))
            else str(r["column"]),
            "n_rows": suppress_count(r["n_rows"], k),
            "n_units": suppress_count(r["n_units"], k),
        }
        for r in (
            result.exclusions.to_dict(orient="records") if result.exclusions is not None else []
        )
    ]
    m = result.matching
    bal = None if m is None else m.balance()
    ev = result.evidence
    doc = {
        "schema_version": SCHEMA_VERSION,
        "evaluation": {
            "title": spec.report.title,
            "programme": spec.programme.name,
            "description": " ".join(spec.programme.description.split()),
        },
        "provenance": provenance,
        "disclosure": {"threshold": k, "suppressed_marker": f"<{k}"},
        "design": {
            "name": result.design,
            "sms_design_level": ev.design_level if ev is not None else 3,
            "headline_estimand": "ATT, Callaway-Sant'Anna group aggregation",
            "matching": spec.design.matching.model_dump(mode="json"),
            "did": spec.design.did.model_dump(mode="json"),
            "multiplicity": spec.design.multiplicity,
            "alpha": spec.design.alpha,
        },
        "programme": {
            "n_treated": suppress_count(prog["n_treated"], k),
            "n_comparison_pool": suppress_count(prog["n_comparison_pool"], k),
            "n_units": suppress_count(prog["n_units"], k),
            "n_clusters": suppress_count(prog.get("n_clusters"), k),
            "n_treated_clusters": suppress_count(prog.get("n_treated_clusters"), k),
            "first_period": int(prog["first_period"]),
            "last_period": int(prog["last_period"]),
            "start": prog.get("start"),
            "end": prog.get("end"),
            "cohorts": cohorts,
        },
        "exclusions": exclusions,
        "effects": [
            _outcome(o, k, ids)
            for o in sorted(result.outcomes.values(), key=lambda o: not o.primary)
        ],
        "value": _value(result, ids),
        "diagnostics": {
            "evidence": None if ev is None else _clean(ev.to_dict(), ids),
            "matching": None
            if m is None
            else [
                {
                    "cohort": int(c.cohort),
                    "n_treated": suppress_count(c.n_treated, k),
                    "n_treated_matched": suppress_count(c.n_treated_matched, k),
                    "n_controls_matched": suppress_count(c.n_controls_matched, k),
                    "max_abs_smd_after": None
                    if c.balance is None or "smd_after" not in c.balance
                    else _clean(float(c.balance["smd_after"].abs().max()), ids),
                }
                for c in m.cohorts
            ],
            "balance": None if bal is None else _clean(bal.to_dict(orient="records"), ids),
            "multiplicity": None
            if result.multiplicity is None
            else _clean(result.multiplicity.to_dict(orient="records"), ids),
            "warnings": [redact(w, ids) for w in result.warnings],
            "unavailable": {
                redact(kk, ids): redact(str(v), ids) for kk, v in result.unavailable.items()
            },
        },
    }
    return _clean(doc, set())


def validate_results(doc: dict[str, Any]) -> None:
    """Validate a results document against the shipped schema; raise :class:`ResultsSchemaError`."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [
            f"{'/'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message[:200]}"
            for e in errors[:10]
        ]
        raise ResultsSchemaError(
            f"results do not follow {SCHEMA_PATH.name} ({len(errors)} problem(s)):\n  "
            + "\n  ".join(lines)
        )


def write_results(result: EvaluationResult, path: str | Path, provenance: dict[str, Any]) -> Path:
    """Build, validate, check for identifiers and write ``results.json``; returns its path."""
    doc = build_results(result, provenance)
    validate_results(doc)
    text = json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False, allow_nan=False)
    check_no_identifiers(text, result.identifiers)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def read_results(path: str | Path, validate: bool = True) -> dict[str, Any]:
    """Read a ``results.json`` and (by default) validate it against the shipped schema."""
    p = Path(path)
    if not p.exists():
        raise SroiInputError(f"{p}: results file not found")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SroiInputError(f"{p}: not valid JSON ({exc})") from None
    if validate:
        try:
            validate_results(doc)
        except ResultsSchemaError as exc:
            raise SroiInputError(f"{p}: {exc}") from None
    return doc


def aggregate_results(paths: list[str | Path]) -> pd.DataFrame:
    """One row per (evaluation, outcome) across many ``results.json`` files.

    Columns: ``programme``, ``spec_hash``, ``data_hash``, ``outcome``, ``primary``,
    ``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``p_value``, ``p_adjusted``,
    ``n_treated`` (may be ``"<k"``), ``sms_level``, ``sroi_ratio``, ``npv``. Each file is
    validated first, so partners can pool like with like (e.g. an inverse-variance meta-analysis
    of ``estimate`` / ``std_error`` per outcome).
    """
    if not paths:
        raise SroiInputError("aggregate_results: give at least one results.json")
    rows = []
    for path in paths:
        doc = read_results(path)
        ev = doc["diagnostics"]["evidence"] or {}
        head = (doc["value"] or {}).get("headline", {}) if doc["value"] else {}
        for item in doc["effects"]:
            e = item["effect"] or {}
            rows.append(
                {
                    "programme": doc["evaluation"]["programme"],
                    "spec_hash": doc["provenance"]["spec_hash"],
                    "data_hash": doc["provenance"]["data_hash"],
                    "outcome": item["outcome"],
                    "primary": item["primary"],
                    "estimate": e.get("estimate"),
                    "std_error": e.get("std_error"),
                    "ci_low": e.get("ci_low"),
                    "ci_high": e.get("ci_high"),
                    "p_value": e.get("p_value"),
                    "p_adjusted": item["p_adjusted"],
                    "n_treated": e.get("n_treated"),
                    "sms_level": ev.get("sms_level"),
                    "sroi_ratio": head.get("sroi_ratio"),
                    "npv": head.get("npv"),
                }
            )
    return pd.DataFrame(rows)
