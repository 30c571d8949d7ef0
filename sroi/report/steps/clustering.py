"""The level the report's standard errors are clustered at, and why, in plain words.

Rule (Abadie, Athey, Imbens & Wooldridge 2023: cluster at the level treatment is assigned):

1. ``design.did.cluster`` set in the spec: that column.
2. otherwise, when the data name a cluster column (``data.columns.cluster``, e.g. the
   school) that is constant within each pupil, that column: when only some schools have
   programme pupils the programme was assigned by school, so the school is the assignment
   level; when every school has programme pupils, pupils of one school still share its
   circumstances, and clustering on the school is the cautious choice.
3. otherwise no clustering (pupils treated as independent), said to be possibly too narrow.

The sentence is stored with the headline effect (``extra["cluster_choice"]``) and shown
in the report beside the interval.

References
----------
Abadie, A., Athey, S., Imbens, G. W. and Wooldridge, J. M. (2023). When should you adjust
standard errors for clustering? Quarterly Journal of Economics 138(1), 1-35.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sroi.data.loading import EvaluationData
from sroi.spec import Spec

__all__ = ["ClusterChoice", "choose_cluster", "level_word"]


@dataclass(frozen=True)
class ClusterChoice:
    """The clustering of the report's standard errors.

    Attributes
    ----------
    column
        Cluster column (``None``: pupils are independent units).
    reason
        One plain sentence (no column names) on the level used and why.
    by_cluster
        The programme was assigned by cluster (some clusters have no programme pupils).
    n_clusters, n_programme_clusters
        Clusters in the data, and those with programme pupils (0 without clustering).
    pretrend
        Programme schools' pre-period trend of the primary outcome against the other
        schools' (set by :func:`~sroi.report.steps.school_design.prepare_design`).
    whole_schools
        Every pupil of every school in the data files (the comparison pool not applied),
        with the school-level columns of ``design.matching.history_within_school``; read
        once by :func:`~sroi.report.steps.school_design.prepare_design` when the programme
        was assigned by school, for the schools' pre-trend and the randomisation check.
    """

    column: str | None
    reason: str
    by_cluster: bool = False
    n_clusters: int = 0
    n_programme_clusters: int = 0
    pretrend: dict[str, Any] | None = None
    whole_schools: pd.DataFrame | None = field(default=None, repr=False, compare=False)


def level_word(column: str | None) -> str:
    """Plain word for a cluster column: ``"school"`` when its name says so, else ``"cluster"``."""
    return "school" if column is not None and "school" in column.lower() else "cluster"


def choose_cluster(data: EvaluationData, spec: Spec) -> ClusterChoice:
    """Apply the module's rule to the data and the spec.

    Parameters
    ----------
    data
        The validated data.
    spec
        The spec.

    Returns
    -------
    ClusterChoice
        The column and the sentence for the report.
    """
    r = data.roles
    column = spec.design.did.cluster or r.cluster
    if column is None or column == r.unit:
        return ClusterChoice(
            None,
            "The interval treats pupils as independent of each other, because the data name "
            "no school for each pupil; pupils in the same school are often alike, so it may be "
            "too narrow.",
        )
    panel = data.panel
    per_cluster = panel.assign(_t=panel[r.cohort].fillna(0) > 0).groupby(column)["_t"].any()
    n_cl, n_prog = int(per_cluster.size), int(per_cluster.sum())
    word = level_word(column)
    by_cluster = 0 < n_prog < n_cl
    if by_cluster:
        why = (
            # "n among m", not "n of m": the count of institutions must not read as a count
            # of people to the text suppression (sroi.report.disclosure.suppress_text_counts)
            f"because the programme was given to whole {word}s ({n_prog} programme {word}s "
            f"among {n_cl}), "
            f"so the {word} is the level at which it was assigned"
        )
    else:
        why = (
            f"because pupils in the same {word} share its circumstances (every {word} had "
            "programme pupils, so this is the cautious choice)"
        )
    asked = " as the evaluation's settings ask," if spec.design.did.cluster else ""
    return ClusterChoice(
        column,
        f"The interval allows for pupils in the same {word} being alike,{asked} {why}.",
        by_cluster=by_cluster,
        n_clusters=n_cl,
        n_programme_clusters=n_prog,
    )
