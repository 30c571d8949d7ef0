"""Matched comparison groups: ``sroi.match`` and :class:`MatchResult`.

``match`` builds a comparison group for the treated units (the children who took part) from
the untreated pool and returns a :class:`MatchResult` with the matched data and its weights,
the matched sets, a balance table and effect estimates. Nearest-neighbour matching follows
R MatchIt 4.x (Ho, Imai, King & Stuart 2011) exactly, so that the same distance gives the
same matched sets; see :mod:`sroi.impact.nearest`. Every unit that ends up without weight is
counted with its reason in :attr:`MatchResult.exclusions`.

Weights (MatchIt's convention, ATT): each matched treated unit has weight 1. Each control
gets ``sum over the treated units it serves of 1 / (number of matches of that treated unit)``;
control weights are then scaled so that they sum to the number of distinct matched controls.
Without replacement, each matched treated unit and its controls form one ``subclass``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.errors import SroiInputError, SroiWarning, example_rows
from sroi.impact import distance as _dist
from sroi.impact.nearest import match_multivariate, match_scalar

__all__ = ["match", "MatchResult"]

_METHODS = ("nearest", "cem", "ipw", "ebal")
_DISTANCES = ("logit", "probit", "mahalanobis", "robust_mahalanobis")


class MatchResult:
    """Result of :func:`match`: matched data, weights, matched sets, counts and diagnostics.

    Attributes
    ----------
    data
        The matched rows (weight > 0), as MatchIt's ``match.data()``: the input columns plus
        ``weights``, ``subclass`` (without replacement; ``<NA>`` otherwise) and ``distance``.
    all_data
        Every input row with ``weights`` (0 when unused), ``subclass``, ``distance``,
        ``discarded`` and ``status`` (why a row has no weight).
    exclusions
        Counted exclusions: one row per (group, reason) with ``n``.
    estimand
        ``"ATT"``, or ``"ATT in the matched treated"`` when treated units were dropped.
    """

    def __init__(
        self,
        all_data: pd.DataFrame,
        *,
        treatment: str,
        covariates: list[str],
        method: str,
        method_label: str,
        estimand: str,
        exclusions: pd.DataFrame,
        pairs: pd.DataFrame | None,
        replace: bool,
        ratio: int,
        info: dict[str, Any],
        balance_covariates: pd.DataFrame,
    ) -> None:
        self.all_data = all_data
        self.treatment = treatment
        self.covariates = covariates
        self.method = method
        self.method_label = method_label
        self.estimand = estimand
        self.exclusions = exclusions
        self._pairs = pairs
        self.replace = replace
        self.ratio = ratio
        self.info = info
        self._bal_X = balance_covariates

    # ------------------------------------------------------------------ data access
    @property
    def data(self) -> pd.DataFrame:
        """Matched rows (weight > 0) with ``weights``, ``subclass`` and ``distance``."""
        d = self.all_data
        out = d.loc[d["weights"] > 0].drop(columns=["discarded", "status"])
        return out

    @property
    def weights(self) -> pd.Series:
        """Matching weights for every input row (0 for unused rows)."""
        return self.all_data["weights"]

    @property
    def n_treated(self) -> int:
        """Matched (weighted) treated units."""
        d = self.all_data
        return int(((d[self.treatment] == 1) & (d["weights"] > 0)).sum())

    @property
    def n_control(self) -> int:
        """Distinct controls with positive weight."""
        d = self.all_data
        return int(((d[self.treatment] == 0) & (d["weights"] > 0)).sum())

    def pairs(self) -> pd.DataFrame:
        """One row per (treated, control) match: ``treated``, ``control`` (row labels),
        ``subclass`` (matched-set id), ``round`` (1 = first match), ``weight``
        (``1 / matches of that treated unit``) and ``distance_diff``."""
        if self._pairs is None:
            raise SroiInputError(
                f"pairs() is only defined for nearest-neighbour matching, not method={self.method!r}"
            )
        return self._pairs.copy()

    def matches(self, id: str = "id") -> pd.DataFrame:
        """Matched sets in long form, as MatchIt's ``get_matches()``.

        One row per unit per matched set: for each matched treated unit its own row (weight 1)
        followed by its controls (weight ``1 / k`` for a treated unit with ``k`` matches).
        With replacement a control appears once for every treated unit it serves. Columns: the
        input columns, ``id`` (the input row label), ``subclass`` (matched-set id),
        ``weights`` and ``distance``.
        """
        if self._pairs is None:
            raise SroiInputError(
                f"matches() is only defined for nearest-neighbour matching, not method={self.method!r}"
            )
        p = self._pairs
        src = self.all_data.drop(columns=["weights", "subclass", "discarded", "status"])
        tr = p.drop_duplicates("subclass")[["subclass", "treated"]]
        t_rows = src.loc[tr["treated"].to_numpy()].copy()
        t_rows.insert(0, id, tr["treated"].to_numpy())
        t_rows["subclass"] = tr["subclass"].to_numpy()
        t_rows["weights"] = 1.0
        t_rows["_o"] = 0
        c_rows = src.loc[p["control"].to_numpy()].copy()
        c_rows.insert(0, id, p["control"].to_numpy())
        c_rows["subclass"] = p["subclass"].to_numpy()
        c_rows["weights"] = p["weight"].to_numpy()
        c_rows["_o"] = p["round"].to_numpy()
        out = pd.concat([t_rows, c_rows], ignore_index=True)
        out = out.sort_values(["subclass", "_o"], kind="stable").drop(columns="_o")
        return out.reset_index(drop=True)

    # ------------------------------------------------------------------ diagnostics
    def balance(
        self,
        *,
        s_d: str = "treated",
        binary: str = "std",
        squares: bool = False,
        interactions: bool = False,
        include_distance: bool = True,
    ) -> pd.DataFrame:
        """Covariate balance before and after matching (see :func:`sroi.impact.balance_table`).

        Columns per term: ``type``, ``mean_t``/``mean_c``/``smd``/``var_ratio``/``ecdf_mean``/
        ``ecdf_max`` with suffixes ``_before`` and ``_after``. SMDs use the treated-group SD
        of the unmatched sample (ATT convention, as MatchIt's ``summary``); binary covariates
        are standardised by ``sqrt(p (1 - p))`` unless ``binary="raw"`` (cobalt's default).
        """
        from sroi.impact.balance import balance_table

        X = self._bal_X
        d = self.all_data.loc[X.index]
        if include_distance and d["distance"].notna().all() and self.info.get("has_score"):
            X = pd.concat([d["distance"].rename("distance"), X], axis=1)
        return balance_table(
            X,
            d[self.treatment].to_numpy(),
            weights=d["weights"].to_numpy(),
            s_d=s_d,
            binary=binary,
            squares=squares,
            interactions=interactions,
        )

    def rosenbaum_bounds(self, outcome: str, **kwargs: Any) -> pd.DataFrame:
        """Rosenbaum bounds on the matched pairs (1:1 matching without replacement only);
        see :func:`sroi.impact.sensitivity.rosenbaum_bounds`."""
        from sroi.impact.sensitivity import rosenbaum_bounds

        if self.method != "nearest" or self.ratio != 1 or self.replace:
            raise SroiInputError(
                "Rosenbaum bounds here need 1:1 matched pairs (ratio=1, replace=False); use "
                "the E-value (sroi.impact.e_value) for other designs"
            )
        if outcome not in self.all_data.columns:
            raise SroiInputError(f"outcome column {outcome!r} not found")
        p = self._pairs
        y = self.all_data[outcome]
        return rosenbaum_bounds(
            y.loc[p["treated"]].to_numpy(float), y.loc[p["control"]].to_numpy(float), **kwargs
        )

    def love_plot(self, **kwargs: Any):
        """Love plot of :meth:`balance` (returns a matplotlib Figure)."""
        from sroi.impact.balance import love_plot

        return love_plot(self.balance(), **kwargs)

    def overlap_plot(self, **kwargs: Any):
        """Propensity-score overlap plot before and after weighting (matplotlib Figure)."""
        from sroi.impact.balance import overlap_plot

        d = self.all_data
        if d["distance"].isna().all():
            raise SroiInputError("overlap_plot needs a propensity score (not Mahalanobis/CEM)")
        ok = d["distance"].notna()
        return overlap_plot(
            d.loc[ok, "distance"], d.loc[ok, self.treatment], d.loc[ok, "weights"], **kwargs
        )

    def effective_sample_size(self) -> dict[str, float]:
        """Kish effective sample size ``(sum w)^2 / sum w^2`` of each group after matching."""
        from sroi.impact.balance import effective_sample_size

        d = self.all_data
        t = d[self.treatment].to_numpy() == 1
        w = d["weights"].to_numpy()
        return {
            "treated": effective_sample_size(w[t]),
            "control": effective_sample_size(w[~t]),
        }

    def effect(
        self,
        outcome: str,
        vcov: str | None = None,
        *,
        covariates: Sequence[str] | None = None,
        scale: str = "difference",
        cluster: str | None = None,
        level: float = 0.95,
        **kwargs: Any,
    ) -> Effect:
        """Effect of treatment on ``outcome`` in the matched (weighted) sample.

        See :func:`sroi.impact.match_effects.match_effect` for the estimators and the
        standard errors (``vcov="subclass"``, ``"HC3"``, ``"subclass+unit"``, ``"cluster"``,
        ``"CR2"``, ``"wild"``, ``"randomization"``, ``"abadie_imbens"``).
        """
        from sroi.impact.match_effects import match_effect

        return match_effect(
            self,
            outcome,
            vcov=vcov,
            covariates=covariates,
            scale=scale,
            cluster=cluster,
            level=level,
            **kwargs,
        )

    def summary(self) -> str:
        """Readable summary: method, sample sizes, counted exclusions and balance."""
        d = self.all_data
        t = d[self.treatment] == 1
        lines = [
            f"Matching: {self.method_label}",
            f"  estimand: {self.estimand}",
            f"  treated: {int(t.sum())} in data, {self.n_treated} matched",
            f"  controls: {int((~t).sum())} in data, {self.n_control} matched",
        ]
        ess = self.effective_sample_size()
        lines.append(
            f"  effective sample size: treated {ess['treated']:.1f}, control {ess['control']:.1f}"
        )
        if len(self.exclusions):
            lines.append("  excluded (no weight):")
            for _, r in self.exclusions.iterrows():
                lines.append(f"    {r['group']:<8} {r['reason']}: {r['n']}")
        bal = self.balance()
        worst = bal["smd_after"].abs().max()
        lines.append(f"  max |SMD| after matching: {worst:.3f}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<MatchResult {self.method_label}: {self.n_treated} treated, "
            f"{self.n_control} controls, estimand {self.estimand!r}>"
        )


# ---------------------------------------------------------------------- validation
def _check_treatment(df: pd.DataFrame, treatment: str) -> np.ndarray:
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


def _caliper_dict(caliper: Any, std_caliper: Any) -> tuple[dict[str, float], dict[str, bool]]:
    if caliper is None:
        return {}, {}
    if isinstance(caliper, Mapping):
        cal = {str(k): v for k, v in caliper.items()}
    else:
        cal = {"distance": caliper}
    for k, v in cal.items():
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


def _discard(d: np.ndarray, t: np.ndarray, option: str) -> np.ndarray:
    """Common-support discard on the distance, as MatchIt's ``discard``."""
    if option == "none":
        return np.zeros(len(t), bool)
    d1, d0 = d[t == 1], d[t == 0]
    if option == "both":
        lo, hi = max(d0.min(), d1.min()), min(d0.max(), d1.max())
    elif option == "control":
        lo, hi = d1.min(), d1.max()
    elif option == "treated":
        lo, hi = d0.min(), d0.max()
    else:
        raise SroiInputError(
            f"discard must be 'none', 'both', 'treated' or 'control', got {option!r}"
        )
    return (d < lo) | (d > hi)


# ---------------------------------------------------------------------- match()
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
        (coarsened exact matching, Iacus, King & Porro 2012), ``"ipw"`` (inverse probability
        weights) or ``"ebal"`` (entropy balancing, Hainmueller 2012).
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
        Seed for ``order="random"``.

    Returns
    -------
    MatchResult
    """
    if not isinstance(df, pd.DataFrame):
        raise SroiInputError(f"match() needs a pandas DataFrame, got {type(df).__name__}")
    if method not in _METHODS:
        raise SroiInputError(f"method must be one of {_METHODS}, got {method!r}")
    if formula is not None:
        lhs, rhs = _dist.parse_formula(formula)
        if lhs is not None and treatment is not None and lhs != treatment:
            raise SroiInputError(
                f"formula left-hand side {lhs!r} differs from treatment={treatment!r}"
            )
        treatment = lhs or treatment
        cov_spec: Sequence[str] | str = rhs
    else:
        if covariates is None or (not isinstance(covariates, str) and len(covariates) == 0):
            raise SroiInputError("give the covariates to match on: covariates=[...] or formula=")
        cov_spec = [covariates] if isinstance(covariates, str) else list(covariates)
    if df.index.has_duplicates:
        dup = df.index[df.index.duplicated()]
        raise SroiInputError(
            f"the data frame index has duplicate labels ({example_rows(dup)}); "
            "call df.reset_index(drop=True) first"
        )
    t_all = _check_treatment(df, treatment)
    if missing not in ("drop", "error"):
        raise SroiInputError(f"missing must be 'drop' or 'error', got {missing!r}")
    if not isinstance(ratio, int | np.integer) or isinstance(ratio, bool) or ratio < 1:
        raise SroiInputError(f"ratio must be a whole number >= 1, got {ratio!r}")
    ratio = int(ratio)
    exact_cols = [exact] if isinstance(exact, str) else list(exact or [])
    cal, std = _caliper_dict(caliper, std_caliper)

    # ---- columns used, missing values
    if isinstance(cov_spec, str):
        import re as _re

        used_cols = [c for c in df.columns if _re.search(rf"\b{_re.escape(str(c))}\b", cov_spec)]
    else:
        used_cols = list(cov_spec)
    need = list(
        dict.fromkeys(
            used_cols + exact_cols + list(mahvars or []) + [k for k in cal if k != "distance"]
        )
    )
    absent = [c for c in need if c not in df.columns]
    if absent:
        raise SroiInputError(
            f"column(s) {absent} not found in the data; available: {list(df.columns)[:20]}"
        )
    na = df[need].isna().any(axis=1).to_numpy().copy() if need else np.zeros(len(df), bool)
    user_score = None
    if not isinstance(distance, str):
        if isinstance(distance, pd.Series):
            if not distance.index.equals(df.index):
                if not distance.index.isin(df.index).all() or len(distance) != len(df):
                    raise SroiInputError(
                        "a user-supplied distance Series must have the same index as the data"
                    )
                distance = distance.reindex(df.index)
        user_score = np.asarray(distance, dtype=float).reshape(-1).copy()
        if len(user_score) != len(df):
            raise SroiInputError(
                f"a user-supplied distance must have one value per row ({len(df)}), got "
                f"{len(user_score)}"
            )
        na |= ~np.isfinite(user_score)
    elif distance not in _DISTANCES:
        raise SroiInputError(
            f"distance must be one of {_DISTANCES} or an array of scores, got {distance!r}"
        )
    if na.any() and missing == "error":
        raise SroiInputError(
            f"missing covariate values at {example_rows(df.index[na])}; impute them, or "
            "set missing='drop' (the spec's data.missing) to exclude and count these rows"
        )
    keep = ~na
    sub = df.loc[keep]
    t = t_all[keep]
    if t.min() == t.max():
        raise SroiInputError(
            f"after dropping {int(na.sum())} rows with missing values only one treatment class is left"
        )

    # ---- covariate matrices
    bal_X = _dist.covariate_frame(sub, cov_spec, drop_first=False)
    const = bal_X.columns[(bal_X.max() - bal_X.min()) == 0]
    if len(const) == len(bal_X.columns):
        raise SroiInputError(f"all covariates are constant: {list(const)}")
    if len(const) and method in ("nearest", "ipw", "ebal"):
        raise SroiInputError(
            f"covariate(s) {list(const)} are constant in the data; remove them from the model"
        )

    if method != "nearest":
        return _other_method(
            method,
            df,
            sub,
            keep,
            t,
            t_all,
            treatment,
            cov_spec,
            bal_X,
            estimand,
            na,
            distance=distance,
            link=link,
            user_score=user_score,
            random_state=random_state,
            **method_options,
        )
    if method_options:
        raise SroiInputError(f"unknown argument(s) for nearest matching: {sorted(method_options)}")
    if estimand != "ATT":
        raise SroiInputError(
            "nearest-neighbour matching estimates the ATT; use method='ipw' for the ATE"
        )

    # ---- distance
    n = len(sub)
    has_score = True
    info: dict[str, Any] = {}
    score_scale = None
    Z = None
    if user_score is not None:
        score = user_score[keep]
        dvec = score
        dist_label = "user-supplied distance"
    elif distance in ("logit", "probit"):
        Xps = _dist.covariate_frame(sub, cov_spec, drop_first=True)
        lk = link or distance
        if lk not in ("logit", "probit", "linear.logit", "linear.probit"):
            raise SroiInputError(
                f"link must be 'logit', 'probit', 'linear.logit' or 'linear.probit', got {link!r}"
            )
        base = lk.replace("linear.", "")
        if base != distance:
            raise SroiInputError(f"link={link!r} does not fit distance={distance!r}")
        p, eta, coef = _dist.propensity_score(Xps, t, link=distance)
        info["ps_coef"] = coef
        dvec = eta if lk.startswith("linear.") else p
        score_scale = lk
        dist_label = f"propensity score ({distance}{', linear predictor' if lk.startswith('linear.') else ''})"
    else:
        has_score = False
        dvec = None
        dist_label = distance.replace("_", " ") + " distance"
    if mahvars is not None and not has_score:
        raise SroiInputError("mahvars= needs a propensity score distance (logit/probit/user)")
    if discard != "none" and not has_score:
        raise SroiInputError(
            f"discard={discard!r} needs a propensity score; with {distance} distance use "
            "discard='none'"
        )
    disc = _discard(dvec, t, discard) if has_score else np.zeros(n, bool)
    if not has_score or mahvars is not None:
        mcols = list(mahvars) if mahvars is not None else None
        Xm = (_dist.covariate_frame(sub, mcols) if mcols is not None else bal_X).to_numpy()
        if distance == "robust_mahalanobis":
            Z = _dist.robust_mahalanobis_transform(Xm, disc)
        else:
            Z = _dist.mahalanobis_transform(Xm, t, disc)

    # ---- calipers
    cal_dist = None
    cov_names: list[str] = []
    cov_w: list[float] = []
    for k, v in cal.items():
        if k == "distance":
            if not has_score:
                raise SroiInputError(
                    "a caliper on the distance needs a propensity score; with Mahalanobis "
                    "distance give covariate calipers, e.g. caliper={'age': 0.5}"
                )
            cal_dist = v * (np.std(dvec[~disc], ddof=1) if std[k] else 1.0)
        else:
            col = sub[k]
            if col.nunique() <= 2 or not pd.api.types.is_numeric_dtype(col):
                raise SroiInputError(
                    f"caliper on {k!r}: calipers need a continuous numeric column; match "
                    "exactly on binary or categorical columns with exact=[...] instead"
                )
            x = col.to_numpy(dtype=float)
            cov_names.append(k)
            cov_w.append(v * (np.std(x[~disc], ddof=1) if std[k] else 1.0))
    cov_vals = sub[cov_names].to_numpy(dtype=float) if cov_names else None
    cov_w_arr = np.asarray(cov_w, float) if cov_names else None

    # ---- order
    rng = np.random.default_rng(random_state)
    if order is None:
        order = "largest" if has_score else "data"
    if order not in ("largest", "smallest", "data", "random"):
        raise SroiInputError(
            f"order must be 'largest', 'smallest', 'data', 'random' or None, got {order!r}"
        )
    if order in ("largest", "smallest") and not has_score:
        raise SroiInputError(f"order={order!r} needs a propensity score distance")

    # ---- strata
    if exact_cols:
        codes = sub.groupby(exact_cols, sort=False, dropna=False).ngroup().to_numpy()
        levels = np.arange(codes.max() + 1)
    else:
        codes = np.zeros(n, dtype=np.int64)
        levels = np.array(["all"])
    ind1 = np.flatnonzero(t == 1)
    n1 = len(ind1)
    mm = np.full((n1, ratio), -1, dtype=np.int64)
    pos_in_t = np.full(n, -1)
    pos_in_t[ind1] = np.arange(n1)
    no_ctrl_stratum = np.zeros(n1, bool)
    for s in range(len(levels)):
        rows = np.flatnonzero(codes == s)
        ts = t[rows]
        if ts.sum() == 0:
            continue
        if (ts == 0).sum() == 0 or ((ts == 0) & ~disc[rows]).sum() == 0:
            no_ctrl_stratum[pos_in_t[rows[ts == 1]]] = True
            continue
        n1s = int(ts.sum())
        if order == "largest":
            o = np.argsort(-dvec[rows][ts == 1], kind="stable")
        elif order == "smallest":
            o = np.argsort(dvec[rows][ts == 1], kind="stable")
        elif order == "random":
            o = rng.permutation(n1s)
        else:
            o = np.arange(n1s)
        if Z is None:
            mms = match_scalar(
                dvec[rows],
                ts,
                o,
                ratio,
                replace=replace,
                discarded=disc[rows],
                caliper=cal_dist,
                cov_values=None if cov_vals is None else cov_vals[rows],
                cov_calipers=cov_w_arr,
            )
        else:
            mms = match_multivariate(
                Z[rows],
                ts,
                o,
                ratio,
                replace=replace,
                discarded=disc[rows],
                distance=None if dvec is None else dvec[rows],
                caliper=cal_dist,
                cov_values=None if cov_vals is None else cov_vals[rows],
                cov_calipers=cov_w_arr,
            )
        glob = np.where(mms >= 0, rows[np.clip(mms, 0, None)], -1)
        mm[pos_in_t[rows[ts == 1]]] = glob

    # ---- weights, subclasses, pairs
    k_i = (mm >= 0).sum(axis=1)
    w = np.zeros(n)
    matched_t = k_i > 0
    w[ind1[matched_t]] = 1.0
    ti, rr = np.nonzero(mm >= 0)
    cidx = mm[ti, rr]
    np.add.at(w, cidx, 1.0 / k_i[ti])
    cmask = (t == 0) & (w > 0)
    if cmask.any():
        w[t == 0] *= cmask.sum() / w[t == 0].sum()
    sc = np.zeros(n, dtype=np.int64)
    set_id = np.zeros(n1, dtype=np.int64)
    set_id[matched_t] = np.arange(1, matched_t.sum() + 1)  # numbered in treated data order
    if not replace:
        sc[ind1[matched_t]] = set_id[matched_t]
        sc[cidx] = set_id[ti]
    labels = sub.index.to_numpy()
    ddiff = (
        np.abs(dvec[ind1[ti]] - dvec[cidx])
        if dvec is not None
        else np.sqrt(((Z[ind1[ti]] - Z[cidx]) ** 2).sum(axis=1))
    )
    pairs = (
        pd.DataFrame(
            {
                "treated": labels[ind1[ti]],
                "control": labels[cidx],
                "subclass": set_id[ti],
                "round": rr + 1,
                "weight": 1.0 / k_i[ti],
                "distance_diff": ddiff,
            }
        )
        .sort_values(["subclass", "round"], kind="stable")
        .reset_index(drop=True)
    )

    # ---- status and exclusions (categorical codes: cheap for a million rows)
    cats = [
        "matched",
        "missing covariate values",
        "discarded (outside common support)",
        "no control in exact stratum",
        "no control within caliper",
        "no control left to match",
        "not selected as a match",
    ]
    code = np.zeros(n, dtype=np.int8)
    t_un = ind1[~matched_t]
    cal_code = 4 if (cal_dist is not None or cov_names) else 5
    code[t_un] = np.where(disc[t_un], 2, np.where(no_ctrl_stratum[~matched_t], 3, cal_code))
    c_un = np.flatnonzero((t == 0) & (w == 0))
    code[c_un] = np.where(disc[c_un], 2, 6)
    full_code = np.ones(len(df), dtype=np.int8)
    full_code[keep] = code
    full_status = pd.Categorical.from_codes(full_code, categories=cats)
    all_data = df.copy()
    all_w = np.zeros(len(df))
    all_w[keep] = w
    all_data["weights"] = all_w
    sc_np = np.zeros(len(df), dtype=np.int64)
    if not replace:
        sc_np[np.flatnonzero(keep)] = sc
    all_data["subclass"] = pd.arrays.IntegerArray(sc_np, sc_np <= 0)
    dist_full = np.full(len(df), np.nan)
    if dvec is not None:
        dist_full[keep] = dvec
    all_data["distance"] = dist_full
    disc_full = np.zeros(len(df), bool)
    disc_full[keep] = disc
    all_data["discarded"] = disc_full
    all_data["status"] = full_status
    ex = _exclusions(t_all, np.asarray(full_status.codes), cats)
    n_drop_t = int((~matched_t).sum() + ((t_all == 1) & ~keep).sum())
    est = "ATT" if n_drop_t == 0 else "ATT in the matched treated"
    if n_drop_t:
        warnings.warn(
            f"{n_drop_t} of {int((t_all == 1).sum())} treated units were not matched "
            f"({'; '.join(f'{r}: {c}' for r, c in ex.loc[ex.group == 'treated', ['reason', 'n']].itertuples(index=False))}); "
            "the estimand is now the ATT in the matched treated",
            SroiWarning,
            stacklevel=2,
        )
    n_short = int(((k_i > 0) & (k_i < ratio)).sum())
    if n_short:
        warnings.warn(
            f"{n_short} treated units got fewer than {ratio} matches", SroiWarning, stacklevel=2
        )
    label = (
        f"{ratio}:1 nearest-neighbour matching {'with' if replace else 'without'} replacement "
        f"on {dist_label}"
        + (f", caliper {caliper}" if cal else "")
        + (f", exact on {exact_cols}" if exact_cols else "")
    )
    info.update(
        has_score=has_score,
        caliper_distance=cal_dist,
        caliper_covariates=dict(zip(cov_names, cov_w, strict=True)),
        order=order,
        n_short=n_short,
        score_scale=score_scale,
    )
    return MatchResult(
        all_data,
        treatment=treatment,
        covariates=list(bal_X.columns),
        method="nearest",
        method_label=label,
        estimand=est,
        exclusions=ex,
        pairs=pairs,
        replace=replace,
        ratio=ratio,
        info=info,
        balance_covariates=bal_X,
    )


def _exclusions(t_all: np.ndarray, codes: np.ndarray, cats: list[str]) -> pd.DataFrame:
    """Counts of rows without weight by group and reason."""
    rows = []
    for g, lab in ((1, "treated"), (0, "control")):
        cnt = np.bincount(codes[t_all == g], minlength=len(cats))
        for j in range(1, len(cats)):
            if cnt[j]:
                rows.append({"group": lab, "reason": cats[j], "n": int(cnt[j])})
    return pd.DataFrame(rows, columns=["group", "reason", "n"])


def _other_method(
    method: str, df, sub, keep, t, t_all, treatment, cov_spec, bal_X, estimand, na, **kw: Any
) -> MatchResult:
    if method == "cem":
        from sroi.impact.cem import cem_weights as fn
    else:
        from sroi.impact.weighting import weighting_weights as fn
    res = fn(sub, t, cov_spec, bal_X, method=method, estimand=estimand, **kw)
    w = res.pop("weights")
    subclass = res.pop("subclass", None)
    dvec = res.pop("distance", None)
    status = res.pop("status")
    all_data = df.copy()
    all_w = np.zeros(len(df))
    all_w[keep] = w
    all_data["weights"] = all_w
    sc_full = pd.array(np.full(len(df), pd.NA), dtype="Int64")
    if subclass is not None:
        sc_full[np.flatnonzero(keep)] = pd.array(subclass, dtype="Int64")
    all_data["subclass"] = sc_full
    dist_full = np.full(len(df), np.nan)
    if dvec is not None:
        dist_full[keep] = dvec
    all_data["distance"] = dist_full
    all_data["discarded"] = False
    full_status = np.full(len(df), "missing covariate values", dtype=object)
    full_status[keep] = status
    all_data["status"] = full_status
    grp = np.where(t_all == 1, "treated", "control")
    ex = (
        pd.DataFrame({"group": grp, "reason": full_status})
        .loc[lambda x: x["reason"] != "matched"]
        .value_counts()
        .rename("n")
        .reset_index()
        .sort_values(["group", "reason"], ascending=[False, True])
        .reset_index(drop=True)
    )
    n_drop_t = int(((t_all == 1) & (all_w == 0)).sum())
    est = res.pop("estimand", estimand)
    if n_drop_t and est == "ATT":
        est = "ATT in the matched treated"
        warnings.warn(
            f"{n_drop_t} treated units have no weight; the estimand is now the ATT in the "
            "matched treated",
            SroiWarning,
            stacklevel=3,
        )
    info = {"has_score": dvec is not None, **res.pop("info", {})}
    return MatchResult(
        all_data,
        treatment=treatment,
        covariates=list(bal_X.columns),
        method=method,
        method_label=res.pop("label"),
        estimand=est,
        exclusions=ex,
        pairs=None,
        replace=True,
        ratio=1,
        info=info,
        balance_covariates=bal_X,
    )
