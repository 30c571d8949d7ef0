"""The public entry point :func:`sroi.match`, in the shape of R MatchIt's ``matchit()``.

``match`` checks its arguments once (:mod:`~sroi.impact.matching.validate`), computes the
distance (:mod:`~sroi.impact.matching.distance`), hands the data to one module per method
(:mod:`~sroi.impact.matching.nearest`, :mod:`~sroi.impact.matching.cem`,
:mod:`~sroi.impact.matching.exact`, :mod:`~sroi.impact.matching.weighting`) and builds the
:class:`~sroi.impact.matching.result.MatchResult` (:mod:`~sroi.impact.matching.assemble`).
Nearest-neighbour matching follows R MatchIt 4.x (Ho, Imai, King & Stuart 2011) exactly, so
that the same distance gives the same matched sets. Every unit that ends up without weight
is counted with its reason in :attr:`MatchResult.exclusions`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sroi.errors import SroiWarning
from sroi.impact.matching.assemble import assemble_result
from sroi.impact.matching.cem import match_cem
from sroi.impact.matching.distance import Distance, compute_distance
from sroi.impact.matching.exact import match_exact
from sroi.impact.matching.nearest import match_nearest
from sroi.impact.matching.output import MethodOutput
from sroi.impact.matching.result import MatchResult
from sroi.impact.matching.validate import MatchSpec, Sample, check_arguments, prepare_sample
from sroi.impact.matching.weighting import match_ebal, match_ipw

__all__ = ["match"]


def _run_method(sample: Sample, spec: MatchSpec) -> tuple[MethodOutput, Distance | None]:
    """Compute the distance if the method uses one, then run the method's module.

    As MatchIt's ``matchit2<method>``: one module per method, each returning a
    :class:`~sroi.impact.matching.output.MethodOutput`.
    """
    if spec.method in ("nearest", "ipw"):
        dist = compute_distance(
            sample.rows,
            sample.treat,
            spec.covariates,
            distance=spec.distance,
            link=spec.link,
            user_score=sample.user_score,
        )
        if spec.method == "nearest":
            return match_nearest(sample, dist, spec), dist
        return match_ipw(sample, dist, spec), dist
    if spec.method == "cem":
        return match_cem(sample, spec), None
    if spec.method == "exact":
        return match_exact(sample, spec), None
    return match_ebal(sample, spec), None


def match(
    df: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str] | None = None,
    *,
    formula: str | None = None,
    method: str = "nearest",
    distance: str | np.ndarray | pd.Series = "logit",
    link: str | None = None,
    ratio: int = 1,
    replace: bool = False,
    caliper: float | Mapping[str, float] | None = None,
    std_caliper: bool | Mapping[str, bool] = True,
    exact: Sequence[str] | str | None = None,
    discard: str = "none",
    order: str | None = None,
    mahvars: Sequence[str] | None = None,
    estimand: str = "ATT",
    missing: str = "drop",
    random_state: int | np.random.Generator | None = 0,
    **method_options: Any,
) -> MatchResult:
    """Build a matched (or weighted) comparison group for the treated units.

    Parameters
    ----------
    df
        One row per unit (pupil).
    treatment
        0/1 column: 1 = took part in the programme, 0 = comparison pool.
    covariates
        Pre-treatment columns to balance. Categorical columns (strings, categories, booleans)
        are expanded to indicators. Alternatively give ``formula="treated ~ age + sen"``.
    method
        ``"nearest"`` (nearest-neighbour matching, MatchIt 4.x semantics), ``"cem"``
        (coarsened exact matching, Iacus, King & Porro 2012; option ``cutpoints=``),
        ``"exact"`` (exact matching on the covariates' values), ``"ipw"`` (inverse
        probability weights) or ``"ebal"`` (entropy balancing, Hainmueller 2012).
    distance
        ``"logit"`` / ``"probit"``: propensity score from a logistic / probit regression on
        the covariates (MatchIt ``distance = "glm"``); ``"mahalanobis"`` (pooled
        within-group covariance, Rubin 1980) or ``"robust_mahalanobis"`` (rank-based,
        Rosenbaum 2010); or a user-supplied score (array or Series aligned with ``df``).
    link
        ``None``/``"logit"``/``"probit"`` match on the score; ``"linear.logit"`` or
        ``"linear.probit"`` match on the linear predictor (then the caliper is in SDs of it).
    ratio
        Number of controls per treated unit (``k:1`` matching, in rounds).
    replace
        Match with replacement.
    caliper
        Maximum distance between matched units, in SDs of the distance over the
        non-discarded units of both groups (raw units if ``std_caliper=False``). A mapping
        gives per-covariate calipers, e.g. ``{"distance": 0.2, "age": 1.0}``.
    std_caliper
        Whether calipers are in SD units (bool, or a mapping per caliper).
    exact
        Columns to match exactly on (matching is done within their strata).
    discard
        Common-support discard on the propensity score: ``"none"``, ``"both"``,
        ``"treated"`` or ``"control"``.
    order
        Matching order of the treated units: ``None`` (``"largest"`` for a propensity score,
        ``"data"`` otherwise, as MatchIt), ``"largest"``, ``"smallest"``, ``"data"`` or
        ``"random"`` (uses ``random_state``).
    mahvars
        With a propensity score distance, match on the Mahalanobis distance of these columns
        instead, keeping the score for the caliper and common support (MatchIt ``mahvars``).
    estimand
        ``"ATT"`` (``"ATE"`` also for ``method="ipw"``).
    missing
        ``"drop"``: rows with a missing treatment-model covariate are excluded and counted;
        ``"error"``: raise.
    random_state
        Seed (whole number >= 0) or ``numpy.random.Generator`` for ``order="random"``.
    **method_options
        Options of one method: ``cutpoints`` for ``method="cem"`` (see
        :func:`sroi.impact.matching.cem.match_cem`).

    Returns
    -------
    MatchResult

    References
    ----------
    Ho, D. E., Imai, K., King, G. & Stuart, E. A. (2011). MatchIt: nonparametric
    preprocessing for parametric causal inference. Journal of Statistical Software 42(8).
    """
    spec = check_arguments(
        df,
        treatment,
        covariates,
        formula=formula,
        method=method,
        distance=distance,
        link=link,
        ratio=ratio,
        replace=replace,
        caliper=caliper,
        std_caliper=std_caliper,
        exact=exact,
        discard=discard,
        order=order,
        mahvars=mahvars,
        estimand=estimand,
        missing=missing,
        random_state=random_state,
        options=method_options,
    )
    sample = prepare_sample(df, spec, distance)
    out, dist = _run_method(sample, spec)
    result, messages = assemble_result(sample, spec, out, dist)
    for msg in messages:
        warnings.warn(msg, SroiWarning, stacklevel=2)
    return result
