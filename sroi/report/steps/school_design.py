"""School-level design steps: the clustering, school-relative history, schools' pre-trends.

:func:`prepare_design` gives the data and spec the estimators see:

* ``design.did.cluster`` set to :func:`~sroi.report.steps.clustering.choose_cluster`'s
  column (the school when the data name one);
* for every history column ``c`` listed in ``design.matching.history_within_school``,
  ``c_school`` and ``c_vs_school`` (the school's level and the pupil's value relative to it
  in the same period, :func:`~sroi.impact.staggered.school_history.add_school_level`)
  measured on the whole schools kept on the returned
  :class:`~sroi.report.steps.clustering.ClusterChoice` (``whole_schools``): the matched
  estimator is given that panel (``school_panel``) and the randomisation check adjusts for
  the relative history; only for the matched design;
* for a programme assigned by school, the comparison of programme schools' pre-period trend
  of the primary outcome with the other schools'
  (:func:`~sroi.impact.staggered.school_history.school_pretrend`), kept on the returned
  :class:`~sroi.report.steps.clustering.ClusterChoice` for the report's appendix.

School levels and trends are measured on all pupils in the data files: when the comparison
pool leaves out the programme schools' other pupils, the files are read again without it, so
a programme school is not described by its enrolled pupils alone.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from sroi.data.loading import EvaluationData, load_evaluation_data
from sroi.errors import SroiInputError
from sroi.impact.staggered.school_history import add_school_level, school_pretrend
from sroi.report.steps.clustering import ClusterChoice, choose_cluster
from sroi.report.steps.headline import is_matched
from sroi.spec import Spec

__all__ = ["clustered_spec", "prepare_design"]


def prepare_design(data: EvaluationData, spec: Spec) -> tuple[EvaluationData, Spec, ClusterChoice]:
    """The data and spec the estimators see, and the clustering (see the module notes).

    Parameters
    ----------
    data
        The validated data.
    spec
        The spec (not changed: a changed copy is returned).

    Returns
    -------
    (data, spec, choice)
        The data, the spec with the cluster the estimators use, and the clustering with
        the schools' pre-trend and the whole schools (with any school-relative history).
        Computed once per data and spec (kept in ``data.memo``).

    Raises
    ------
    SroiInputError
        When ``history_within_school`` is used without a cluster column, or would add a
        column the data already have.
    """
    key = ("design", spec.model_dump_json())
    if key not in data.memo:  # once per run: the pre-checks and the estimates both need it
        data.memo[key] = _prepare(data, spec)
    return data.memo[key]


def clustered_spec(data: EvaluationData, spec: Spec) -> tuple[Spec, ClusterChoice]:
    """The spec the estimators see and the clustering, without the whole schools.

    The first, quick, part of :func:`prepare_design` (which returns the same spec): what the
    checks on the unmatched sample need, so the report can hand them to its workers before
    the whole schools are read.

    Raises
    ------
    SroiInputError
        When ``history_within_school`` is used without a cluster column.
    """
    choice = choose_cluster(data, spec)
    if spec.design.matching.history_within_school and choice.column is None:
        raise SroiInputError(
            "design.matching.history_within_school needs the school of each pupil: set "
            "data.columns.cluster (e.g. school_id), or remove history_within_school"
        )
    if choice.column is not None and spec.design.did.cluster != choice.column:
        spec = spec.model_copy(deep=True)
        spec.design.did.cluster = choice.column
    return spec, choice


def _prepare(data: EvaluationData, spec: Spec) -> tuple[EvaluationData, Spec, ClusterChoice]:
    spec, choice = clustered_spec(data, spec)
    m = spec.design.matching
    school = choice.column
    within_school = bool(m.history_within_school) and is_matched(spec)
    if school is None or not (choice.by_cluster or within_school):
        return data, spec, choice
    full = _whole_schools(data, spec)
    choice = replace(choice, pretrend=_pretrend(full, data, spec, school))
    if not within_school:
        return data, spec, replace(choice, whole_schools=full)
    full = _with_school_levels(full, data, spec, school)
    return data, spec, replace(choice, whole_schools=full)


def _whole_schools(data: EvaluationData, spec: Spec) -> pd.DataFrame:
    """Every pupil of every school in the data files (the comparison pool not applied)."""
    if spec.design.comparison_pool is None:
        return data.panel
    whole = spec.model_copy(deep=True)
    whole.design.comparison_pool = None
    return load_evaluation_data(whole).panel


def _with_school_levels(
    full: pd.DataFrame, data: EvaluationData, spec: Spec, school: str
) -> pd.DataFrame:
    """``full`` with ``c_school`` and ``c_vs_school`` for each school-relative ``c``."""
    r = data.roles
    for c in spec.design.matching.history_within_school:
        taken = [n for n in (f"{c}_school", f"{c}_vs_school") if n in full.columns]
        if taken:
            raise SroiInputError(
                f"design.matching.history_within_school: the data already have a column "
                f"{taken[0]!r}; rename it (it is added from {c!r})"
            )
        full = add_school_level(
            full, c, r.unit, r.time, r.cohort, school, spec.design.did.anticipation
        )
    return full


def _pretrend(
    full: pd.DataFrame, data: EvaluationData, spec: Spec, school: str
) -> dict[str, Any] | None:
    """Programme schools' pre-period trend of the primary outcome against the other schools'."""
    prim = [o for o in spec.design.outcomes if o.primary]
    if not prim:
        return None
    r = data.roles
    try:
        d = school_pretrend(
            full,
            prim[0].column,
            r.time,
            r.cohort,
            school,
            anticipation=spec.design.did.anticipation,
            random_state=spec.seed,
        )
    except SroiInputError:
        return None
    return {
        "outcome": prim[0].name,
        "difference_per_period": d.difference,
        "std_difference": d.std_difference,
        "p_value": d.p_value,
        "n_programme_schools": d.n_programme,
        "n_comparison_schools": d.n_comparison,
    }
