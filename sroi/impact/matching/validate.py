"""Argument and data checks for :func:`sroi.match`, done once before any method runs.

:func:`check_arguments` turns the keyword arguments into a :class:`MatchSpec` (every value
checked through :mod:`sroi._checks`); :func:`prepare_sample` checks the data against it and
returns the :class:`Sample` the methods work on: the rows kept after dropping missing values,
the treatment indicator and the covariate matrix used for balance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sroi._checks import check_choice, check_int, check_random_state
from sroi.errors import SroiInputError, example_rows
from sroi.impact.matching.distance import covariate_frame, parse_formula

__all__ = ["METHODS", "DISTANCES", "MatchSpec", "Sample", "check_arguments", "prepare_sample"]

METHODS: tuple[str, ...] = ("nearest", "cem", "exact", "ipw", "ebal")
DISTANCES: tuple[str, ...] = ("logit", "probit", "mahalanobis", "robust_mahalanobis")
_OPTIONS: dict[str, tuple[str, ...]] = {
    "nearest": (),
    "cem": ("cutpoints",),
    "exact": (),
    "ipw": (),
    "ebal": (),
}


@dataclass(frozen=True)
class MatchSpec:
    """The checked arguments of one :func:`sroi.match` call.

    ``covariates`` is a list of columns or the right-hand side of a formula; ``distance`` is
    the name of the distance (``None`` for a user-supplied score); ``caliper`` maps
    ``"distance"`` or a column to a width, with ``std_caliper`` saying whether it is in SDs.
    """

    treatment: str
    covariates: list[str] | str
    method: str
    distance: str | None
    link: str | None
    ratio: int
    replace: bool
    caliper: dict[str, float]
    std_caliper: dict[str, bool]
    caliper_label: str
    exact: list[str]
    discard: str
    order: str | None
    mahvars: list[str] | None
    estimand: str
    missing: str
    rng: np.random.Generator
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sample:
    """The data a matching method works on.

    Attributes
    ----------
    data
        The input frame (all rows).
    rows
        The rows kept (no missing value in a column the design uses).
    keep
        Boolean mask of the kept rows in ``data``.
    treat
        0/1 treatment of the kept rows; ``treat_all`` of every row.
    covariates
        Covariate matrix of the kept rows, categorical columns expanded to one indicator per
        level (the columns balance is checked on).
    user_score
        A user-supplied distance for the kept rows, or ``None``.
    """

    data: pd.DataFrame
    rows: pd.DataFrame
    keep: np.ndarray
    treat: np.ndarray
    treat_all: np.ndarray
    covariates: pd.DataFrame
    user_score: np.ndarray | None


def check_arguments(
    df: Any,
    treatment: Any,
    covariates: Any,
    *,
    formula: str | None,
    method: str,
    distance: Any,
    link: str | None,
    ratio: Any,
    replace: bool,
    caliper: Any,
    std_caliper: Any,
    exact: Sequence[str] | str | None,
    discard: str,
    order: str | None,
    mahvars: Sequence[str] | None,
    estimand: str,
    missing: str,
    random_state: Any,
    options: dict[str, Any],
) -> MatchSpec:
    """Check every argument of :func:`sroi.match` that does not need the data's values."""
    if not isinstance(df, pd.DataFrame):
        raise SroiInputError(f"match() needs a pandas DataFrame, got {type(df).__name__}")
    check_choice(method, METHODS, "method")
    treatment, cov_spec = _covariate_spec(treatment, covariates, formula)
    check_choice(missing, ("drop", "error"), "missing")
    check_choice(discard, ("none", "both", "treated", "control"), "discard")
    check_choice(order, (None, "largest", "smallest", "data", "random"), "order")
    check_choice(estimand, ("ATT", "ATE"), "estimand")
    if isinstance(distance, str):
        check_choice(distance, DISTANCES, "distance")
    unknown = sorted(set(options) - set(_OPTIONS[method]))
    if unknown:
        raise SroiInputError(f"unknown argument(s) for method={method!r}: {unknown}")
    cal, std = _caliper_dict(caliper, std_caliper)
    return MatchSpec(
        treatment=treatment,
        covariates=cov_spec,
        method=method,
        distance=distance if isinstance(distance, str) else None,
        link=link,
        ratio=check_int(ratio, "ratio", minimum=1),
        replace=bool(replace),
        caliper=cal,
        std_caliper=std,
        caliper_label=str(caliper),
        exact=[exact] if isinstance(exact, str) else list(exact or []),
        discard=discard,
        order=order,
        mahvars=None if mahvars is None else list(mahvars),
        estimand=estimand,
        missing=missing,
        rng=check_random_state(random_state),
        options=dict(options),
    )


def _covariate_spec(
    treatment: Any, covariates: Any, formula: str | None
) -> tuple[str, list[str] | str]:
    """Treatment column and covariates from ``covariates=`` or ``formula=``."""
    if formula is not None:
        lhs, rhs = parse_formula(formula)
        if lhs is not None and treatment is not None and lhs != treatment:
            raise SroiInputError(
                f"formula left-hand side {lhs!r} differs from treatment={treatment!r}"
            )
        treatment = lhs or treatment
        return treatment, rhs
    if covariates is None or (not isinstance(covariates, str) and len(covariates) == 0):
        raise SroiInputError("give the covariates to match on: covariates=[...] or formula=")
    return treatment, [covariates] if isinstance(covariates, str) else list(covariates)


def _caliper_dict(caliper: Any, std_caliper: Any) -> tuple[dict[str, float], dict[str, bool]]:
    """Calipers as ``{"distance" or column: width}`` and whether each is in SD units."""
    if caliper is None:
        return {}, {}
    if isinstance(caliper, Mapping):
        raw = {str(k): v for k, v in caliper.items()}
    else:
        raw = {"distance": caliper}
    cal: dict[str, float] = {}
    for k, v in raw.items():
        try:
            fv = float(v)
        except (TypeError, ValueError):
            raise SroiInputError(f"caliper for {k!r} must be a number, got {v!r}") from None
        if not np.isfinite(fv) or fv <= 0:
            raise SroiInputError(
                f"caliper for {k!r} must be > 0 (in SDs of {k} unless std_caliper=False), got {v!r}"
            )
        cal[k] = fv
    if isinstance(std_caliper, Mapping):
        std = {k: bool(std_caliper.get(k, True)) for k in cal}
    else:
        std = {k: bool(std_caliper) for k in cal}
    return cal, std


def check_treatment(df: pd.DataFrame, treatment: str) -> np.ndarray:
    """The treatment column as a 0/1 integer array, with both classes present."""
    if treatment not in df.columns:
        raise SroiInputError(
            f"treatment column {treatment!r} not found; available columns: {list(df.columns)[:20]}"
        )
    s = df[treatment]
    if s.isna().any():
        raise SroiInputError(
            f"treatment column {treatment!r} has missing values at "
            f"{example_rows(df.index[s.isna()])}; code every row 0 (comparison) or 1 (treated)"
        )
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(int)
    vals = pd.unique(s)
    try:
        ok = set(np.asarray(vals, dtype=float)) <= {0.0, 1.0}
    except (TypeError, ValueError):
        ok = False
    if not ok:
        bad = df.index[~s.isin([0, 1])]
        raise SroiInputError(
            f"treatment column {treatment!r} must be 0/1 (or True/False); found values "
            f"{sorted(map(str, vals))[:5]} at {example_rows(bad)}"
        )
    t = s.to_numpy().astype(int)
    if t.min() == t.max():
        raise SroiInputError(
            f"treatment column {treatment!r} has only one class ({t[0]}): matching needs both "
            "treated (1) and comparison (0) units"
        )
    return t


def _used_columns(df: pd.DataFrame, spec: MatchSpec) -> list[str]:
    """Every column the design reads (covariates, exact, mahvars, covariate calipers)."""
    if isinstance(spec.covariates, str):
        formula = spec.covariates
        used = [c for c in df.columns if re.search(rf"\b{re.escape(str(c))}\b", formula)]
    else:
        used = list(spec.covariates)
    extra = spec.exact + list(spec.mahvars or []) + [k for k in spec.caliper if k != "distance"]
    need = list(dict.fromkeys(used + extra))
    absent = [c for c in need if c not in df.columns]
    if absent:
        raise SroiInputError(
            f"column(s) {absent} not found in the data; available: {list(df.columns)[:20]}"
        )
    return need


def _user_score(df: pd.DataFrame, distance: Any) -> np.ndarray:
    """A user-supplied distance (array or Series aligned with ``df``) as a float array."""
    if isinstance(distance, pd.Series) and not distance.index.equals(df.index):
        if not distance.index.isin(df.index).all() or len(distance) != len(df):
            raise SroiInputError(
                "a user-supplied distance Series must have the same index as the data"
            )
        distance = distance.reindex(df.index)
    score = np.asarray(distance, dtype=float).reshape(-1).copy()
    if len(score) != len(df):
        raise SroiInputError(
            f"a user-supplied distance must have one value per row ({len(df)}), got {len(score)}"
        )
    return score


def prepare_sample(df: pd.DataFrame, spec: MatchSpec, distance: Any) -> Sample:
    """Check the data against ``spec``, drop rows with missing values, build the covariates.

    Parameters
    ----------
    df
        The input data.
    spec
        Checked arguments from :func:`check_arguments`.
    distance
        The ``distance`` argument as given (a name, or a user-supplied score).

    Returns
    -------
    Sample
    """
    if df.index.has_duplicates:
        dup = df.index[df.index.duplicated()]
        raise SroiInputError(
            f"the data frame index has duplicate labels ({example_rows(dup)}); "
            "call df.reset_index(drop=True) first"
        )
    t_all = check_treatment(df, spec.treatment)
    need = _used_columns(df, spec)
    na = df[need].isna().any(axis=1).to_numpy().copy() if need else np.zeros(len(df), bool)
    score = None if isinstance(distance, str) else _user_score(df, distance)
    if score is not None:
        na |= ~np.isfinite(score)
    if na.any() and spec.missing == "error":
        raise SroiInputError(
            f"missing covariate values at {example_rows(df.index[na])}; impute them, or "
            "set missing='drop' (the spec's data.missing) to exclude and count these rows"
        )
    keep = ~na
    rows = df.loc[keep] if na.any() else df  # nothing dropped: no copy (rows is only read)
    t = t_all[keep]
    if t.min() == t.max():
        raise SroiInputError(
            f"after dropping {int(na.sum())} rows with missing values only one treatment class is left"
        )
    bal_X = covariate_frame(rows, spec.covariates, drop_first=False)
    const = bal_X.columns[(bal_X.max() - bal_X.min()) == 0]
    if len(const) == len(bal_X.columns):
        raise SroiInputError(f"all covariates are constant: {list(const)}")
    if len(const) and spec.method in ("nearest", "ipw", "ebal"):
        raise SroiInputError(
            f"covariate(s) {list(const)} are constant in the data; remove them from the model"
        )
    return Sample(
        data=df,
        rows=rows,
        keep=keep,
        treat=t,
        treat_all=t_all,
        covariates=bal_X,
        user_score=None if score is None else score[keep],
    )
