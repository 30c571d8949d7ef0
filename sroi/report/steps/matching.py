"""The comparison group: per-cohort matches behind the matched DiD, summarised for the report.

The matched staggered DiD matches each enrolment cohort to the comparison pool on the
cohort's characteristics and pre-enrolment history (:func:`sroi.match`). The matching data do
not depend on the outcome unless the history does, so :class:`CachedMatcher` computes each
distinct match once per run and shares it across outcomes (same data, options and seed give
the same matches), with the cross-sections the matches are made on
(:class:`~sroi.impact.staggered.sample_cache.SampleCache`). :func:`matching_summary` turns the matches into the report's
:class:`~sroi.report.record.MatchingSummary`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import pandas as pd

from sroi.data.loading import EvaluationData
from sroi.errors import SroiInputError
from sroi.impact.matching import MatchResult, match
from sroi.impact.staggered.sample_cache import SampleCache
from sroi.report.record import CohortMatch, MatchingSummary
from sroi.spec import Spec

__all__ = [
    "CachedMatcher",
    "check_comparison_left",
    "match_options",
    "matching_covariates",
    "matching_summary",
    "within_school_options",
]

_BALANCE_COLUMNS = ["smd_before", "smd_after", "var_ratio_before", "var_ratio_after"]


class CachedMatcher:
    """:func:`sroi.match` with the results of one run kept and reused for identical input.

    Parameters
    ----------
    cache
        Key -> match result; one dict per run (shared by that run's outcomes).
    samples
        The run's matching data (``sample_cache`` of
        :func:`~sroi.impact.staggered.matched_staggered_did`); default a new one.
    """

    def __init__(
        self, cache: dict[str, MatchResult] | None = None, samples: SampleCache | None = None
    ) -> None:
        self.cache: dict[str, MatchResult] = {} if cache is None else cache
        self.samples = SampleCache() if samples is None else samples
        #: per-cohort summaries of the cached matches (see :func:`matching_summary`)
        self.summaries: dict[tuple[int, int], tuple[MatchResult, CohortMatch]] = {}

    @classmethod
    def of_run(cls, data: EvaluationData) -> CachedMatcher:
        """The run's matcher, its caches kept with the run's data (``data.memo``).

        The pre-checks' matches are then reused by the estimates instead of computed again.
        """
        return cls(
            data.memo.setdefault("matches", {}),
            data.memo.setdefault("matching data", SampleCache()),
        )

    def copy(self) -> CachedMatcher:
        """A matcher starting from this one's matches and matching data (e.g. for a worker)."""
        return CachedMatcher(dict(self.cache), self.samples.copy())

    @staticmethod
    def _key(df: pd.DataFrame, kwargs: Mapping[str, Any]) -> str:
        h = hashlib.sha256()
        h.update(repr(list(df.columns)).encode())
        h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
        h.update(repr(sorted((k, repr(v)) for k, v in kwargs.items())).encode())
        return h.hexdigest()

    def __call__(self, df: pd.DataFrame, **kwargs: Any) -> MatchResult:
        """Match ``df`` with ``kwargs`` (:func:`sroi.match`), or return the earlier result."""
        key = self._key(df, kwargs)
        if key not in self.cache:
            result = match(df, **kwargs)
            check_comparison_left(result, kwargs)
            self.cache[key] = result
        return self.cache[key]


def check_comparison_left(result: MatchResult, options: Mapping[str, Any]) -> None:
    """Refuse a match that leaves no treated or no comparison unit, naming the spec field.

    A caliper narrower than every treated-comparison distance (or a common-support discard)
    can leave a cohort with no comparison group; the matched DiD then has nothing to compare
    with. The message names ``design.matching.caliper`` (or ``discard``) and the fix.

    Raises
    ------
    SroiInputError
        When no treated unit or no comparison unit keeps a positive matching weight.
    """
    data = result.all_data
    used = data["weights"].to_numpy(dtype=float) > 0
    treated = data[result.treatment].astype(bool).to_numpy()
    if (used & treated).any() and (used & ~treated).any():
        return
    caliper, discard = options.get("caliper"), options.get("discard", "none")
    if caliper is not None:
        sd = " standard deviations" if options.get("std_caliper", True) else ""
        raise SroiInputError(
            f"design.matching.caliper: no comparison unit lies within the caliper "
            f"({caliper:g}{sd} of the matching distance) of any treated unit, so this cohort "
            "has no comparison group. Widen design.matching.caliper (0.2 standard deviations "
            "of the logit of the propensity score is the usual choice) or remove it."
        )
    if discard != "none":
        raise SroiInputError(
            f"design.matching.discard: {discard!r} discarded every treated or every comparison "
            "unit of this cohort (no common support). Set design.matching.discard: none, or "
            "check the matching covariates."
        )
    raise SroiInputError(
        "design.matching: matching left no treated or no comparison unit in this cohort. "
        "Check design.matching (method, exact, covariates) and the comparison pool."
    )


def matching_covariates(spec: Spec) -> list[str]:
    """Matching covariates (exact-matching columns are passed separately via ``exact``)."""
    m = spec.design.matching
    return list(m.covariates) if m.covariates is not None else list(spec.data.columns.covariates)


def match_options(spec: Spec) -> dict[str, Any]:
    """The spec's matching options as keyword arguments of :func:`sroi.match`."""
    m = spec.design.matching
    kw: dict[str, Any] = {
        "method": m.method,
        "distance": m.distance,
        "ratio": m.ratio,
        "replace": m.replace,
        "caliper": m.caliper,
        "std_caliper": m.std_caliper,
        "discard": m.discard,
    }
    if m.exact:
        kw["exact"] = list(m.exact)
    if m.order is not None:
        kw["order"] = m.order
    if m.link is not None:
        kw["link"] = m.link
    return kw


def within_school_options(spec: Spec, school_panel: pd.DataFrame | None) -> dict[str, Any]:
    """``history_within_school`` and ``school_panel`` for the matched estimator ({} if unset).

    Raises
    ------
    ValueError
        When the spec asks for school-relative history and no whole-school panel was read
        (a bug: :func:`~sroi.report.steps.school_design.prepare_design` reads it).
    """
    columns = list(spec.design.matching.history_within_school)
    if not columns:
        return {}
    if school_panel is None:
        raise ValueError("history_within_school needs the whole schools from prepare_design")
    return {"history_within_school": columns, "school_panel": school_panel}


def cohort_match(cohort: int, m: MatchResult) -> CohortMatch:
    """Counts, balance and propensity scores of one cohort's match."""
    data = m.all_data
    t = data[m.treatment].astype(bool).to_numpy()
    used = data["weights"].to_numpy(dtype=float) > 0
    dist_t = dist_c = None
    if m.info["has_score"]:
        dist = data["distance"].to_numpy(dtype=float)
        dist_t, dist_c = dist[t], dist[~t]
    bal = m.balance().rename_axis("covariate").reset_index()[["covariate", *_BALANCE_COLUMNS]]
    bal["covariate"] = bal["covariate"].astype(str)
    return CohortMatch(
        cohort=int(cohort),
        n_treated=int(t.sum()),
        n_treated_matched=int((t & used).sum()),
        n_controls_matched=int((~t & used).sum()),
        balance=bal,
        distance_treated=dist_t,
        distance_control=dist_c,
    )


def matching_summary(
    matches: Mapping[Any, MatchResult],
    memo: dict[tuple[int, int], tuple[MatchResult, CohortMatch]] | None = None,
) -> MatchingSummary:
    """The comparison group from the matched DiD's per-cohort matches (cohort -> match).

    ``memo`` keeps each cohort's summary for later outcomes matched identically (the same
    match objects, from the run's :class:`CachedMatcher`).
    """
    memo = {} if memo is None else memo
    cohorts = []
    for g, m in sorted(matches.items()):
        key = (int(g), id(m))
        if key not in memo:
            memo[key] = (m, cohort_match(int(g), m))  # m kept: its id stays unique
        cohorts.append(memo[key][1])
    labels = sorted({m.method_label for m in matches.values()})
    return MatchingSummary(
        method="; ".join(labels),
        cohorts=cohorts,
        source="per-cohort matches used by the matched staggered DiD",
    )
