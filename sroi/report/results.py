"""``results.json``: the machine-readable results of one evaluation.

The file follows the JSON Schema shipped with the package (``schema/results.schema.json``,
:func:`load_schema`) and is validated with :mod:`jsonschema` on every write and every read,
so partners can aggregate results across evaluations. Counts below the disclosure threshold
are written as ``"<k"``; free text is stripped of identifiers; the written file is searched
for every identifier in the data before it is kept.

:func:`read_results` is the one reader of the file: ``sroi value``, the value notebook and
:func:`aggregate_results` all go through it (and :func:`saved_effects` for the effects).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.report.cross_tables import (
    TOTALS,
    cohort_group,
    effect_cohort_rows,
    hidden_cohorts,
    small_gap,
)
from sroi.report.disclosure import (
    SECONDARY_MARKER,
    check_no_identifiers,
    publish_linked,
    rounding_base,
    sanitize_text,
    secondary_suppress,
    suppress_count,
    suppress_group_statistics,
    suppress_people_counts,
    suppress_rows_with_units,
    suppress_text_counts,
)
from sroi.report.record import EvaluationResult, OutcomeResult
from sroi.report.steps.value import value_headline

__all__ = [
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "load_schema",
    "json_safe",
    "build_results",
    "validate_results",
    "write_results",
    "read_results",
    "saved_effects",
    "aggregate_results",
    "ResultsSchemaError",
]

SCHEMA_NAME = "results.schema.json"
SCHEMA_VERSION = "1.0"

_EFFECT_COUNTS = ("n_treated", "n_control", "n_clusters", "n_treated_clusters")
#: Counts of people in an effect (schools are not suppressed: they are institutions).
_PEOPLE_COUNTS = ("n_treated", "n_control")
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
    """The shipped results JSON Schema (draft 2020-12).

    Returns
    -------
    dict
        The parsed schema.
    """
    text = resources.files("sroi.report").joinpath("schema", SCHEMA_NAME).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def json_safe(x: Any, text: Callable[[str], str] | None = None) -> Any:
    """JSON-safe copy of ``x``: NumPy scalars to Python, NaN/inf to None, tables to records.

    Parameters
    ----------
    x
        Nested dicts, lists, tables, arrays and scalars.
    text
        Applied to every string (e.g. to remove identifiers); default: strings unchanged.

    Returns
    -------
    Any
        Built from dicts, lists, str, int, float, bool and None only.
    """
    if isinstance(x, dict):
        return {str(k): json_safe(v, text) for k, v in x.items()}
    if isinstance(x, (list, tuple, set)):
        return [json_safe(v, text) for v in x]
    if isinstance(x, pd.DataFrame):
        return [json_safe(r, text) for r in x.to_dict(orient="records")]
    if isinstance(x, pd.Series):
        return json_safe(x.to_dict(), text)
    if isinstance(x, np.ndarray):
        return json_safe(x.tolist(), text)
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if x is None or isinstance(x, (bool, int)):
        return x
    if isinstance(x, (dt.date, dt.time)):
        return x.isoformat()
    if not isinstance(x, str):
        x = str(x)
    return x if text is None else text(x)


@dataclass(frozen=True)
class _Publish:
    """How one document is made publishable: the disclosure threshold and the identifiers."""

    threshold: int
    ids: frozenset[str]
    #: per group of per-cohort counts, the cohorts hidden in every table (cross_tables)
    hidden: Mapping[str, frozenset[Any]] = field(default_factory=dict)
    #: the evaluation, for the totals an effect's counts are compared with
    result: EvaluationResult | None = None

    def text(self, s: str) -> str:
        """Free text: identifiers removed, small counts of people suppressed."""
        return sanitize_text(s, self.ids, self.threshold)

    def counts_in_text(self, s: str) -> str:
        """Any other string: small counts of people suppressed."""
        return suppress_text_counts(s, self.threshold)

    def count(self, n: Any) -> int | str | None:
        """A count of people: ``"<k"`` below the threshold."""
        return suppress_count(n, self.threshold)

    def linked(self, n: Any, column: str, cohort: Any, table: str = "") -> int | str | None:
        """A per-cohort count, hidden wherever its cohort is hidden for its group."""
        group = cohort_group(column, table)
        hidden = (
            group is not None
            and cohort is not None
            and int(cohort) in self.hidden.get(group, frozenset())
        )
        return publish_linked(n, hidden, self.threshold)

    def cohort_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The matched DiD's per-cohort summary: linked counts, the rest suppressed."""
        out = []
        for r in rows:
            row = suppress_people_counts(dict(r), self.threshold)
            for c in r:
                if cohort_group(str(c), "") is not None and not isinstance(r[c], str):
                    row[c] = self.linked(r[c], str(c), r["cohort"])
            if "n_unmatched_treated" in r and int(r["cohort"]) in self.hidden.get(
                "matched", frozenset()
            ):
                # matched + unmatched + missing = enrolled: hide the unmatched with the matched
                shown = publish_linked(r["n_unmatched_treated"], True, self.threshold)
                row["n_unmatched_treated"] = SECONDARY_MARKER if shown == 0 else shown
            out.append(row)
        return out

    def clean(self, x: Any) -> Any:
        """JSON-safe copy with every string treated as free text."""
        return json_safe(x, self.text)

    def effect(self, e: Effect | None) -> dict[str, Any] | None:
        """An effect record with its counts suppressed and its notes cleaned."""
        if e is None:
            return None
        d = e.to_dict(include_draws=False)
        for c in _PEOPLE_COUNTS:
            d[c] = self.count(d.get(c))
            if c in TOTALS and self.result is not None and small_gap(self.result, e, c):
                d[c] = publish_linked(d[c], True, self.threshold)
        extra = d.get("extra") or {}
        # exclusion tables inside 'extra' carry counts: rows and units suppressed together
        if isinstance(extra, dict) and isinstance(extra.get("exclusions"), list):
            extra = dict(extra)
            extra["exclusions"] = [
                self.exclusion_counts(r) for r in extra["exclusions"] if isinstance(r, dict)
            ]
        rows = effect_cohort_rows(extra)
        # every other count of people in 'extra' (n_unmatched_treated, n_pool_off_support...)
        extra = suppress_people_counts(json_safe(extra), self.threshold)
        if rows:
            extra["cohorts"] = self.cohort_rows(json_safe(rows))
        d["extra"] = self.clean(extra)
        d["notes"] = [self.text(str(n)) for n in d.get("notes") or []]
        out: dict[str, Any] = self.clean(d)
        return out

    def exclusion_counts(self, r: dict[str, Any]) -> dict[str, Any]:
        """An exclusions row: rows suppressed with the units (rows / terms = units)."""
        out = {
            kk: (self.count(vv) if kk.startswith("n_") and vv is not None else vv)
            for kk, vv in r.items()
        }
        if "n_rows" in r and "n_units" in r:
            out["n_rows"], out["n_units"] = suppress_rows_with_units(
                r["n_rows"], r["n_units"], self.threshold
            )
        return out

    def rows(
        self, df: pd.DataFrame | None, rename: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Estimate rows (event time, cohort, ATT(g,t)) with counts suppressed."""
        if df is None or df.empty:
            return []
        d = df.rename(columns=rename or {})
        keep = [c for c in d.columns if c in _ROW_KEYS]
        out = []
        by_cohort = "cohort" in keep
        # counts by event time are sums of cohort counts: hidden when a cohort's count is
        hide = {
            "n_treated": bool(self.hidden.get("matched")),
            "n_control": bool(self.hidden.get("controls")),
        }
        for r in d[keep].to_dict(orient="records"):
            row: dict[str, Any] = {}
            sizes = []
            for c, v in r.items():
                if c in ("n_treated", "n_control"):
                    missing = v is None or (isinstance(v, float) and math.isnan(v))
                    sizes.append(None if missing else v)
                    row[str(c)] = (
                        self.linked(None if missing else v, str(c), r["cohort"], "estimates")
                        if by_cohort
                        else publish_linked(None if missing else v, hide[c], self.threshold)
                    )
                elif c in ("event_time", "cohort", "time"):
                    row[str(c)] = int(v)
                else:
                    row[str(c)] = v
            # an estimate over fewer than k pupils describes those few pupils: not shown
            out.append(suppress_group_statistics(row, sizes, self.threshold))
        cleaned: list[dict[str, Any]] = self.clean(out)
        return cleaned


def _outcome(o: OutcomeResult, pub: _Publish) -> dict[str, Any]:
    pre = o.pretrend
    pretrend = None
    if pre is not None:
        pretrend = pub.clean(
            {"statistic": pre.statistic, "df": pre.df, "p_value": pre.p_value, "method": pre.method}
        )
    return {
        "outcome": o.name,
        "column": o.column,
        "label": o.label,
        "unit": o.unit,
        "primary": bool(o.primary),
        "type": o.type,
        "direction": o.direction,
        "effect": pub.effect(o.headline),
        "simple_aggregation": pub.effect(o.simple),
        "p_adjusted": pub.clean(o.p_adjusted),
        "adjustment": o.adjustment,
        "mdes": pub.clean(o.mdes),
        "baseline_mean": pub.clean(o.baseline_mean),
        "rare": bool(o.rare),
        "pretrend": pretrend,
        "twfe": pub.effect(o.twfe),
        "cs_unmatched": pub.effect(o.cs_unmatched),
        "twfe_vs_cs": None if o.twfe_vs_cs is None else pub.text(str(o.twfe_vs_cs)),
        "honest_breakdown": pub.clean(o.honest_breakdown),
        "event_time": pub.rows(o.event_time),
        "by_cohort": pub.rows(o.by_cohort, {"att": "estimate"}),
        "att_gt": pub.rows(o.att_gt, {"att": "estimate"}),
        "unavailable": {kk: pub.text(str(v)) for kk, v in o.unavailable.items()},
    }


def _value(result: EvaluationResult, pub: _Publish) -> dict[str, Any] | None:
    head = value_headline(result)
    if result.value is None or head is None:
        return None
    sim = None
    if result.simulation is not None:
        sim = {kk: v for kk, v in result.simulation.to_dict().items() if kk != "draws"}
    return {
        "headline": pub.clean(head.to_dict()),
        "detail": pub.clean(result.value.to_dict()),
        "simulation": pub.clean(sim),
    }


def build_results(result: EvaluationResult, provenance: dict[str, Any]) -> dict[str, Any]:
    """The ``results.json`` document for an evaluation (not yet validated).

    Parameters
    ----------
    result
        The evaluation.
    provenance
        Its provenance record (:func:`sroi.report.provenance.provenance`).

    Returns
    -------
    dict
        The document, JSON-safe, counts suppressed and free text cleaned.
    """
    if not isinstance(result, EvaluationResult):
        raise SroiInputError(
            f"build_results: expected an EvaluationResult, got {type(result).__name__}"
        )
    pub = _Publish(result.threshold, result.all_identifiers(), hidden_cohorts(result), result)
    doc: dict[str, Any] = json_safe(_build(result, provenance, pub), pub.counts_in_text)
    return doc


def _programme(result: EvaluationResult, pub: _Publish) -> dict[str, Any]:
    prog = result.programme
    cohorts = []
    records = result.cohorts.to_dict(orient="records")
    # the cohorts add up to n_treated, which is shown, and appear in other tables of the
    # output: hidden wherever their cohort is hidden (cross_tables)
    for r in records:
        row = {
            "cohort": int(r["cohort"]),
            "n_pupils": pub.linked(r["n_pupils"], "n_pupils", r["cohort"]),
        }
        if "n_schools" in r:
            row["n_schools"] = _whole(r["n_schools"])
        if "terms_observed_after_start" in r:
            row["terms_observed_after_start"] = int(r["terms_observed_after_start"])
        cohorts.append(row)
    # participants and the comparison pool add up to all pupils, which is shown
    n_treated, n_pool = secondary_suppress(
        [prog["n_treated"], prog["n_comparison_pool"]], pub.threshold
    )
    return {
        "n_treated": n_treated,
        "n_comparison_pool": n_pool,
        "n_units": pub.count(prog["n_units"]),
        "n_clusters": _whole(prog.get("n_clusters")),
        "n_treated_clusters": _whole(prog.get("n_treated_clusters")),
        "first_period": int(prog["first_period"]),
        "last_period": int(prog["last_period"]),
        "start": prog.get("start"),
        "end": prog.get("end"),
        "cohorts": cohorts,
    }


def _exclusions(result: EvaluationResult, pub: _Publish) -> list[dict[str, Any]]:
    out = []
    for r in result.exclusions.to_dict(orient="records"):
        column = r.get("column")
        missing = column is None or (isinstance(column, float) and math.isnan(column))
        n_rows, n_units = suppress_rows_with_units(r["n_rows"], r["n_units"], pub.threshold)
        out.append(
            {
                "reason": pub.text(str(r["reason"])),
                "column": None if missing else str(column),
                "n_rows": n_rows,
                "n_units": n_units,
            }
        )
    return out


def _whole(n: Any) -> int | None:
    """A count of schools (not of people: shown as it is), or None when unavailable."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return None
    return int(n)


def _diagnostics(result: EvaluationResult, pub: _Publish) -> dict[str, Any]:
    m, ev = result.matching, result.evidence
    bal = None if m is None else m.balance()
    matching = None
    if m is not None:
        # per-cohort columns add up to totals shown elsewhere and appear in other tables:
        # hidden wherever their cohort is hidden (cross_tables); the balance of a cohort
        # matched on fewer than k pupils describes those pupils, so it is not shown
        names = ("n_treated", "n_treated_matched", "n_controls_matched")
        matching = [
            suppress_group_statistics(
                {
                    "cohort": int(c.cohort),
                    **{name: pub.linked(getattr(c, name), name, c.cohort) for name in names},
                    "max_abs_smd_after": None
                    if c.balance is None
                    else pub.clean(float(c.balance["smd_after"].abs().max())),
                },
                [c.n_treated_matched, c.n_controls_matched],
                pub.threshold,
                ("max_abs_smd_after",),
            )
            for c in m.cohorts
        ]
    return {
        "evidence": None if ev is None else pub.clean(ev.to_dict()),
        "matching": matching,
        "balance": None if bal is None else pub.clean(bal.to_dict(orient="records")),
        "multiplicity": None
        if result.multiplicity is None
        else pub.clean(result.multiplicity.to_dict(orient="records")),
        "warnings": [pub.text(w) for w in result.warnings],
        "unavailable": {pub.text(kk): pub.text(str(v)) for kk, v in result.unavailable.items()},
    }


def _build(result: EvaluationResult, provenance: dict[str, Any], pub: _Publish) -> dict[str, Any]:
    spec = result.spec
    ev = result.evidence
    return {
        "schema_version": SCHEMA_VERSION,
        "evaluation": {
            "title": spec.report.title,
            "programme": spec.programme.name,
            "description": " ".join(spec.programme.description.split()),
        },
        "provenance": provenance,
        "disclosure": {
            "threshold": int(pub.threshold),
            "suppressed_marker": f"<{int(pub.threshold)}",
            "secondary_marker": SECONDARY_MARKER,
            "rounding_base": rounding_base(pub.threshold),
        },
        "design": {
            "name": result.design,
            "sms_design_level": ev.design_level if ev is not None else 3,
            "headline_estimand": "ATT, Callaway-Sant'Anna group aggregation",
            "matching": spec.design.matching.model_dump(mode="json"),
            "did": spec.design.did.model_dump(mode="json"),
            "multiplicity": spec.design.multiplicity,
            "alpha": spec.design.alpha,
        },
        "programme": _programme(result, pub),
        "exclusions": _exclusions(result, pub),
        "effects": [
            _outcome(o, pub) for o in sorted(result.outcomes.values(), key=lambda o: not o.primary)
        ],
        "value": _value(result, pub),
        "diagnostics": _diagnostics(result, pub),
    }


def _schema_problems(doc: Any) -> list[str]:
    """Schema violations of ``doc``, each as ``"field/path: message"`` (empty when valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message[:200]}"
        for e in errors
    ]


def validate_results(doc: dict[str, Any]) -> None:
    """Validate a results document against the shipped schema.

    Parameters
    ----------
    doc
        A document built by :func:`build_results`.

    Raises
    ------
    ResultsSchemaError
        If the document does not follow the schema (a bug in sroi: sroi built it).
    """
    problems = _schema_problems(doc)
    if problems:
        raise ResultsSchemaError(
            f"results do not follow {SCHEMA_NAME} ({len(problems)} problem(s)):\n  "
            + "\n  ".join(problems[:10])
        )


def write_results(result: EvaluationResult, path: str | Path, provenance: dict[str, Any]) -> Path:
    """Build, validate, check for identifiers and write ``results.json``.

    Parameters
    ----------
    result
        The evaluation.
    path
        Where to write (folders are created).
    provenance
        Its provenance record.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    doc = build_results(result, provenance)
    validate_results(doc)
    text = json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False, allow_nan=False)
    check_no_identifiers(text, result.identifiers)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def read_results(path: str | Path) -> dict[str, Any]:
    """Read a ``results.json`` written by ``sroi run``, validated against the shipped schema.

    This is the one reader of the file (``sroi value``, the value notebook and
    :func:`aggregate_results` use it).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    dict
        The document.

    Raises
    ------
    SroiInputError
        If the file is missing, not JSON, or does not follow the schema; the message names
        the file and the first field that is wrong.
    """
    p = Path(path)
    if p.is_dir():
        raise SroiInputError(f"{p}: is a folder; give the results.json file inside it")
    if not p.is_file():
        raise SroiInputError(f"{p}: results file not found; run `sroi run` first")
    raw = p.read_bytes()
    if not raw.strip():
        raise SroiInputError(f"{p}: the file is empty; give a results.json written by `sroi run`")
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SroiInputError(
            f"{p}: not valid JSON (not UTF-8 text: byte 0x{raw[exc.start]:02x} at byte "
            f"{exc.start}); give a results.json written by `sroi run`"
        ) from None
    except json.JSONDecodeError as exc:
        raise SroiInputError(f"{p}: not valid JSON ({exc})") from None
    _check_major_version(p, doc)
    problems = _schema_problems(doc)
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise SroiInputError(
            f"{p}: not a results.json written by `sroi run` (schema {SCHEMA_NAME}): "
            f"{problems[0]}{more}"
        )
    out: dict[str, Any] = doc
    return out


def _check_major_version(path: Path, doc: Any) -> None:
    """A document of another schema major version is named as such, not as a shape problem."""
    if not isinstance(doc, dict) or "schema_version" not in doc:
        return
    version = doc["schema_version"]
    major = SCHEMA_VERSION.split(".")[0]
    if isinstance(version, str) and version.split(".")[0] != major:
        raise SroiInputError(
            f"{path}: schema_version {version!r}: this sroi reads results.json of schema major "
            f"version {major} ({SCHEMA_VERSION}); re-run that evaluation with this version of "
            "sroi, or use the sroi version that wrote it"
        )


def saved_effects(path: str | Path) -> dict[str, Effect]:
    """The headline effects saved in a ``results.json``, keyed by the spec's outcome name.

    Outcomes whose effect could not be estimated (``effect: null``) are left out; effects
    flagged as not estimable keep their flag (valuation leaves them out and says so). Counts
    written as ``"<k"`` (suppressed) are read as unknown (``None``).

    Parameters
    ----------
    path
        A ``results.json`` (read with :func:`read_results`).

    Returns
    -------
    dict of str to Effect
        Outcome name -> headline effect, in the file's order (primary first).

    Raises
    ------
    SroiInputError
        If the file cannot be read (see :func:`read_results`) or holds no estimated effect.
    """
    doc = read_results(path)
    effects: dict[str, Effect] = {}
    for item in doc["effects"]:
        raw = item["effect"]
        if raw is None:
            continue
        raw = {
            k: (None if k in _EFFECT_COUNTS and isinstance(v, str) else v) for k, v in raw.items()
        }
        effects[item["outcome"]] = Effect.from_dict(raw).with_(outcome=item["outcome"])
    if not effects:
        raise SroiInputError(f"{path}: no estimated effects to value")
    return effects


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
