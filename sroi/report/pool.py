"""Pool one outcome's effect across evaluations (places): ``sroi pool`` and ``sroi.report.pool``.

Each place's ``results.json`` is read with the one validated reader
(:func:`sroi.report.results.read_results`), checked for compatibility with the first (same
schema major version, outcome, unit and scale, estimand, headline aggregation), and the
effects are pooled with :func:`sroi.meta.meta_analysis`. Value for money is shown side by
side: each place's SROI ratio with its Monte Carlo interval, and a pooled ratio (total
present value of benefits over total present value of costs) only where every place used the
same valuation assumptions; otherwise the assumptions that differ are listed.

Disclosure control: counts of people are taken from the files as written (already
suppressed there, ``"<k"``), never summed across places, and no row-level record is read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError
from sroi.meta import MetaResult, meta_analysis
from sroi.meta.model import leave_one_out
from sroi.report.results import read_results

__all__ = ["PooledResults", "pool", "write_pool"]

#: Assumptions that are properties of a place (its own estimate, costs of delivery, cohort),
#: not valuation assumptions: they may differ between places without blocking a pooled ratio.
PLACE_SPECIFIC = (
    "effect:",
    "delivery:",
    "uprating:delivery",
    "benefit_years:",
    "cohort_size",
    "remaining_school_years",
)


@dataclass(frozen=True)
class PooledResults:
    """Pooled effect of one outcome across places, with each place's value for money.

    Attributes
    ----------
    outcome
        The outcome pooled (its name in the specs).
    meta
        The meta-analysis (random effects by default; the fixed-effect result inside).
    places
        One row per place: estimate, standard error, interval, weight, evidence (SMS
        level, confidence), schools, participants (as published), SROI ratio and interval.
    leave_one_out
        Refits leaving out each place (``None`` with fewer than 3 places).
    pooled_sroi_ratio
        Total PV benefits / total PV costs across places, or ``None`` when the valuation
        assumptions differ (see ``differing_assumptions``) or a place has no valuation.
    differing_assumptions
        Valuation assumptions that differ between places, with each place's value.
    notes
        Plain-words notes on what was and was not pooled.
    """

    outcome: str
    meta: MetaResult
    places: pd.DataFrame
    leave_one_out: pd.DataFrame | None
    pooled_sroi_ratio: float | None
    differing_assumptions: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    def heterogeneity_in_words(self) -> str:
        """One or two sentences on how much the effect varies between places."""
        m = self.meta
        if m.method == "FE":
            return "A fixed-effect model was used: it assumes one true effect for every place."
        if m.tau2 == 0.0:
            spread = "The places' results differ no more than chance alone would explain"
        elif m.i2 < 25:
            spread = "The true effect seems to vary little between places"
        elif m.i2 < 75:
            spread = "The true effect seems to vary moderately between places"
        else:
            spread = "The true effect seems to vary a lot between places"
        pct = round(m.level * 100)
        return (
            f"{spread} (I\u00b2 = {m.i2:.0f}%, between-place SD {m.tau:.3g}). In a new place "
            f"like these, the effect would be expected to lie between {m.pi_low:.3g} and "
            f"{m.pi_high:.3g} ({pct}% prediction interval)."
        )

    def summary(self) -> str:
        """Readable summary: the meta-analysis, heterogeneity in words, value for money."""
        lines = [
            f"Pooled effect on {self.outcome} across {self.meta.k} places",
            self.meta.summary(),
        ]
        lines.append(self.heterogeneity_in_words())
        if self.pooled_sroi_ratio is not None:
            lines.append(
                f"Pooled SROI ratio (total benefits / total costs): {self.pooled_sroi_ratio:.3g}"
            )
        lines.extend(self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible record (``pool_results.json``)."""
        return {
            "outcome": self.outcome,
            "meta": self.meta.to_dict(),
            "heterogeneity": self.heterogeneity_in_words(),
            "places": _records(self.places),
            "leave_one_out": None if self.leave_one_out is None else _records(self.leave_one_out),
            "pooled_sroi_ratio": self.pooled_sroi_ratio,
            "differing_assumptions": _records(self.differing_assumptions),
            "notes": list(self.notes),
        }

    def forest_plot(self, ax: Any = None) -> Any:
        """Forest plot of the places and the pooled effect.

        Each place's estimate and interval (marker size = weight), the pooled effect with its
        confidence interval, and the prediction interval for a new place.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        p = self.places
        k = len(p)
        if ax is None:
            _, ax = plt.subplots(figsize=(7.5, 1.2 + 0.42 * (k + 2)))
        y = np.arange(k, 0, -1) + 1.0
        ax.errorbar(
            p["estimate"],
            y,
            xerr=[p["estimate"] - p["ci_low"], p["ci_high"] - p["estimate"]],
            fmt="none",
            ecolor="#444444",
            capsize=3,
        )
        ax.scatter(
            p["estimate"], y, s=30 + 4 * p["weight_pct"], marker="s", color="#1f4e79", zorder=3
        )
        m = self.meta
        ax.plot(
            [m.pi_low, m.pi_high],
            [0.6, 0.6],
            color="#9dc3e6",
            lw=6,
            solid_capstyle="butt",
            label="prediction interval (a new place)",
        )
        ax.fill(
            [m.ci_low, m.estimate, m.ci_high, m.estimate],
            [0.6, 0.85, 0.6, 0.35],
            color="#c00000",
            label="pooled effect and confidence interval",
        )
        ax.axvline(0.0, color="black", lw=0.8)
        ax.set_yticks([*y, 0.6], [*p["place"], "Pooled"])
        ax.set_xlabel(f"effect on {self.outcome}")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False, fontsize=8)
        return ax


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))
    return out


def _effect_item(doc: dict[str, Any], outcome: str, path: Path) -> dict[str, Any]:
    for i, item in enumerate(doc["effects"]):
        if item["outcome"] == outcome:
            if item["effect"] is None or item["effect"].get("std_error") is None:
                raise SroiInputError(
                    f"{path}: the effect on {outcome!r} has no estimate with a standard error "
                    "(not estimable in that evaluation); leave the file out of the pool"
                )
            est, se = item["effect"].get("estimate"), item["effect"]["std_error"]
            if est is None or not math.isfinite(est) or not (math.isfinite(se) and se > 0):
                raise SroiInputError(
                    f"{path}: effects/{i}/effect: estimate {est!r} with std_error {se!r}; "
                    "pooling needs a finite estimate and a positive finite standard error "
                    "(is the file edited by hand?); re-run that evaluation or leave it out"
                )
            return dict(item)
    have = ", ".join(repr(i["outcome"]) for i in doc["effects"])
    raise SroiInputError(f"{path}: has no outcome {outcome!r} (it has {have}); pool one outcome")


def _signature(doc: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """What must be the same for two places' effects to be pooled."""
    return {
        "schema_version (major)": str(doc["schema_version"]).split(".")[0],
        "outcome unit": item.get("unit"),
        "outcome type": item.get("type"),
        "effect scale": item["effect"].get("scale"),
        "estimand": item["effect"].get("estimand"),
        "headline aggregation": doc["design"]["headline_estimand"],
    }


def _check_compatible(docs: list[tuple[Path, dict[str, Any], dict[str, Any]]]) -> None:
    seen: dict[tuple[str, str], Path] = {}
    for path, doc, _ in docs:
        hashes = (doc["provenance"]["spec_hash"], doc["provenance"]["data_hash"])
        if hashes in seen:
            raise SroiInputError(
                f"{path}: is the same evaluation (same spec and data) as {seen[hashes]}; "
                "each place may be pooled once"
            )
        seen[hashes] = path
    first_path, first_doc, first_item = docs[0]
    ref = _signature(first_doc, first_item)
    for path, doc, item in docs[1:]:
        sig = _signature(doc, item)
        for key, value in sig.items():
            if value != ref[key]:
                raise SroiInputError(
                    f"{path}: {key} is {value!r} but {first_path} has {ref[key]!r}; "
                    "pool only results with the same outcome definition, estimand and "
                    "aggregation (re-run that evaluation with the same design)"
                )


def _assumption_map(doc: dict[str, Any]) -> dict[str, Any] | None:
    value = doc.get("value")
    if not value or not value.get("detail"):
        return None
    out = {
        str(a["parameter"]): a["value"]
        for a in value["detail"]["assumptions"]
        if not str(a["parameter"]).startswith(PLACE_SPECIFIC)
    }
    out["price_year"] = value["detail"]["price_year"]
    return out


def _differing(labels: list[str], maps: list[dict[str, Any] | None]) -> pd.DataFrame:
    present = [m for m in maps if m is not None]
    keys = sorted(set().union(*present)) if present else []
    rows = []
    for key in keys:
        values = [None if m is None else m.get(key) for m in maps]
        if len({json.dumps(v, sort_keys=True) for v in values}) > 1:
            rows.append({"assumption": key, **dict(zip(labels, values, strict=True))})
    return pd.DataFrame(rows, columns=["assumption", *labels])


def _place_row(label: str, doc: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    e = item["effect"]
    evidence = doc["diagnostics"].get("evidence") or {}
    head = (doc.get("value") or {}).get("headline") or {}
    interval = head.get("sroi_interval") or [None, None]
    return {
        "place": label,
        "estimate": e["estimate"],
        "std_error": e["std_error"],
        "sms_level": evidence.get("sms_level"),
        "confidence": evidence.get("confidence"),
        "schools": doc["programme"].get("n_treated_clusters"),
        "participants": doc["programme"].get("n_treated"),
        "sroi_ratio": head.get("sroi_ratio"),
        "sroi_low": interval[0],
        "sroi_high": interval[1],
        "pv_benefits": head.get("pv_benefits"),
        "pv_costs": head.get("pv_costs"),
    }


def _labels(
    paths: list[Path], docs: list[dict[str, Any]], labels: Sequence[str] | None
) -> list[str]:
    if labels is not None:
        if len(labels) != len(paths):
            raise SroiInputError(
                f"labels: give one per results file ({len(paths)}); got {len(labels)}"
            )
        out = [str(x) for x in labels]
    else:
        out = [d["evaluation"]["programme"] for d in docs]
        if len(set(out)) < len(out):  # same programme name in several places: add the folder
            out = [
                f"{name} ({p.parent.name or p.stem})" for name, p in zip(out, paths, strict=True)
            ]
    if len(set(out)) < len(out):
        raise SroiInputError("labels: each place needs a different name; pass labels=[...]")
    return out


def pool(
    paths: Sequence[str | Path],
    outcome: str | None = None,
    *,
    method: str = "REML",
    test: str = "auto",
    level: float = 0.95,
    labels: Sequence[str] | None = None,
) -> PooledResults:
    """Pool one outcome's effect across evaluations (random-effects meta-analysis).

    Parameters
    ----------
    paths
        ``results.json`` files written by ``sroi run``, one per place (at least 2).
    outcome
        The outcome to pool (default: the primary outcome of the first file, which must be
        present in every file).
    method, test, level
        As :func:`sroi.meta.meta_analysis`: REML by default; Hartung-Knapp-Sidik-Jonkman
        intervals below 10 places (``test="auto"``).
    labels
        Place names (default: each file's programme name).

    Returns
    -------
    PooledResults

    Raises
    ------
    SroiInputError
        A file that is missing, invalid, lacks the outcome, or differs from the first in
        outcome definition, estimand, aggregation or schema version (the message names it).
    """
    files = [Path(p) for p in paths]
    if len(files) < 2:
        raise SroiInputError(f"pool: give at least 2 results.json files; got {len(files)}")
    docs = [read_results(p) for p in files]
    name = outcome or next(i["outcome"] for i in docs[0]["effects"] if i["primary"])
    items = [_effect_item(d, name, p) for d, p in zip(docs, files, strict=True)]
    _check_compatible(list(zip(files, docs, items, strict=True)))
    names = _labels(files, docs, labels)
    meta = meta_analysis(
        [i["effect"]["estimate"] for i in items],
        [i["effect"]["std_error"] for i in items],
        names,
        method=method,
        test=test,
        level=level,
    )
    places = pd.DataFrame([_place_row(n, d, i) for n, d, i in zip(names, docs, items, strict=True)])
    forest = meta.places()
    places.insert(3, "ci_low", forest["ci_low"])
    places.insert(4, "ci_high", forest["ci_high"])
    places.insert(5, "weight_pct", forest["weight_pct"])
    maps = [_assumption_map(d) for d in docs]
    differing = _differing(names, maps)
    notes: list[str] = []
    pooled_ratio: float | None = None
    if any(m is None for m in maps):
        missing = [n for n, m in zip(names, maps, strict=True) if m is None]
        notes.append(f"No pooled SROI ratio: no valuation in {', '.join(missing)}.")
    elif len(differing):
        notes.append(
            "No pooled SROI ratio: the places valued their effects with different assumptions "
            f"({', '.join(differing['assumption'][:8])}{' ...' if len(differing) > 8 else ''})."
        )
    else:
        pooled_ratio = float(places["pv_benefits"].sum() / places["pv_costs"].sum())
        notes.append("Pooled SROI ratio: total present value of benefits over total costs.")
    loo = leave_one_out(meta) if meta.k >= 3 else None
    return PooledResults(name, meta, places, loo, pooled_ratio, differing, tuple(notes))


def write_pool(result: PooledResults, out_dir: str | Path) -> dict[str, Path]:
    """Write ``pool_results.json`` and ``forest.png`` into ``out_dir``.

    Returns
    -------
    dict
        ``{"results": path, "forest": path}``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise SroiInputError(f"{out}: is a file; give a folder for the pooled results")
    out.mkdir(parents=True, exist_ok=True)
    res = out / "pool_results.json"
    res.write_text(json.dumps(result.to_dict(), indent=2, sort_keys=True), encoding="utf-8")
    ax = result.forest_plot()
    fig = ax.figure
    fig.tight_layout()
    png = out / "forest.png"
    fig.savefig(png, dpi=150, metadata={"Software": None})
    plt.close(fig)
    return {"results": res, "forest": png}
