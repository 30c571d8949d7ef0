"""Step 1 and 2: the spec with its overrides, the validated data, the programme's facts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sroi._checks import check_seed
from sroi.data.loading import EvaluationData
from sroi.report.prechecks import check_inputs
from sroi.spec import Spec

__all__ = ["load_spec", "load_data", "describe_programme", "identifiers"]


def load_spec(
    spec_path: Spec | str | Path,
    overrides: dict[str, Any] | None = None,
    seed: int | None = None,
) -> Spec:
    """Load the spec, apply ``-p key=value`` overrides and an optional seed override.

    Parameters
    ----------
    spec_path
        ``evaluation.yaml`` or an already loaded :class:`sroi.Spec`.
    overrides
        Dotted spec paths and their new values (``{"design.matching.caliper": 0.1}``).
    seed
        Random seed replacing the spec's (also accepted as ``overrides["seed"]``).

    Returns
    -------
    Spec
        The validated spec.

    Raises
    ------
    SroiInputError
        For a missing or invalid spec, an unknown override or a bad seed.
    """
    spec = spec_path if isinstance(spec_path, Spec) else Spec.load(spec_path)
    over = dict(overrides or {})
    if seed is not None:
        over["seed"] = seed
    if "seed" in over:
        over["seed"] = check_seed(over["seed"], "seed")
    return spec.with_overrides(over) if over else spec


def load_data(
    spec: Spec, *, before_matching: Callable[[EvaluationData], None] | None = None
) -> EvaluationData:
    """Read and validate the evaluation data with every pre-estimation check.

    The same checks as ``sroi validate`` (:func:`sroi.report.prechecks.check_inputs`, which
    calls ``before_matching``).
    """
    data, _ = check_inputs(spec, before_matching=before_matching)
    return data


def describe_programme(data: EvaluationData, spec: Spec) -> tuple[dict[str, Any], pd.DataFrame]:
    """Programme facts and the cohort table (participants and schools per enrolment term).

    Parameters
    ----------
    data
        The validated data.
    spec
        The spec.

    Returns
    -------
    tuple of (dict, DataFrame)
        ``(programme, cohorts)``; counts are raw here and suppressed when shown.
    """
    r = data.roles
    cohorts = data.units[data.units[r.cohort] > 0]
    tab = cohorts.groupby(r.cohort).agg(n_pupils=(r.unit, "size"))
    if r.cluster:
        tab["n_schools"] = cohorts.groupby(r.cohort)[r.cluster].nunique()
    tab = tab.reset_index().rename(columns={r.cohort: "cohort"})
    times = data.panel[r.time]
    observed = data.panel.groupby(r.unit)[r.time].nunique()
    last = int(times.max())
    tab["terms_observed_after_start"] = last - tab["cohort"].astype(int) + 1
    prog = spec.programme
    pool = spec.design.comparison_pool
    facts = {
        "name": prog.name,
        "description": " ".join(prog.description.split()),
        "cohort_size": prog.cohort_size,
        "start": None if prog.start is None else prog.start.isoformat(),
        "end": None if prog.end is None else prog.end.isoformat(),
        "n_units": data.n_units,
        "n_treated": data.n_treated,
        "n_comparison_pool": data.n_comparison,
        "n_rows": int(data.panel.shape[0]),
        "first_period": int(times.min()),
        "last_period": last,
        "n_periods": int(times.nunique()),
        # pupils observed in only some periods: dropped by the estimators (counted in the
        # exclusions) unless design.did.allow_unbalanced_panel keeps them
        "n_units_partial": int((observed < times.nunique()).sum()),
        "allow_unbalanced_panel": spec.design.did.allow_unbalanced_panel,
        "cluster": r.cluster,
        "n_clusters": int(data.panel[r.cluster].nunique()) if r.cluster else None,
        "n_treated_clusters": int(cohorts[r.cluster].nunique()) if r.cluster else None,
        "comparison_pool": None
        if pool is None
        else " ".join(pool.description.split()) or f"{pool.column} == {pool.value!r}",
    }
    return facts, tab


def identifiers(data: EvaluationData) -> dict[str, frozenset[str]]:
    """Unit and cluster identifiers in the data (to redact free text and check outputs)."""
    r = data.roles
    out = {r.unit: frozenset(data.units[r.unit].astype(str))}
    if r.cluster:
        out[r.cluster] = frozenset(data.units[r.cluster].astype(str))
    return out
