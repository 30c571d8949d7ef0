"""Distance measures for matching: propensity scores and Mahalanobis-type transforms.

* Propensity score by logistic or probit regression (Rosenbaum & Rubin 1983), fitted by
  maximum likelihood with statsmodels to a tight tolerance so that scores agree with R's
  ``glm`` to about 1e-8. Categorical covariates are expanded to indicator columns.
* Mahalanobis distance with the pooled within-group covariance matrix (Rubin 1980), as
  MatchIt 4.x computes it: covariates are first scaled, then transformed by the Cholesky
  factor of the inverse covariance so that Euclidean distance in the transformed space is the
  Mahalanobis distance.
* Robust (rank-based) Mahalanobis distance (Rosenbaum 2010, section 8.3): ranks replace
  values and the covariance of the ranks is rescaled so every column has the variance of the
  untied ranks 1..n, which limits the influence of outliers and ties.

:func:`compute_distance` is the step of :func:`sroi.match` that turns the ``distance`` and
``link`` arguments into a :class:`Distance` (the score the methods match or weight on).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError, SroiWarning

__all__ = [
    "Distance",
    "compute_distance",
    "parse_formula",
    "covariate_frame",
    "propensity_score",
    "mahalanobis_transform",
    "robust_mahalanobis_transform",
]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def parse_formula(formula: str) -> tuple[str | None, str]:
    """Split ``"treat ~ a + b"`` into ``("treat", "a + b")``; ``"~ a + b"`` gives ``(None, ...)``."""
    if not isinstance(formula, str) or "~" not in formula:
        raise SroiInputError(
            f"formula must be a string like 'treated ~ age + sex', got {formula!r}"
        )
    left, right = formula.split("~", 1)
    rhs = right.strip()
    if not rhs:
        raise SroiInputError(f"formula {formula!r} has no covariates on the right of '~'")
    return left.strip() or None, rhs


def _is_categorical(s: pd.Series) -> bool:
    return (
        isinstance(s.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(s)
        or pd.api.types.is_string_dtype(s)
    )


def covariate_frame(
    df: pd.DataFrame,
    covariates: Sequence[str] | str,
    *,
    drop_first: bool = False,
) -> pd.DataFrame:
    """Numeric covariate matrix with categorical columns expanded to indicators.

    Parameters
    ----------
    df
        Data.
    covariates
        Column names, or the right-hand side of a formula (``"age + C(sen) + I(age**2)"``),
        which is expanded with patsy.
    drop_first
        Drop the first level of each categorical column (full-rank coding for a regression
        with an intercept). ``False`` keeps every level, as balance tables do.

    Returns
    -------
    DataFrame indexed like ``df``; indicator columns are named ``"<column>_<level>"``.
    """
    if isinstance(covariates, str):
        terms = [t.strip() for t in covariates.split("+")]
        if all(_NAME.match(t) for t in terms):
            covariates = terms
        else:
            import patsy

            try:
                mat = patsy.dmatrix(
                    covariates + " - 1", df, return_type="dataframe", NA_action="raise"
                )
            except Exception as exc:  # patsy raises several error types
                raise SroiInputError(
                    f"could not expand covariate formula {covariates!r}: {exc}"
                ) from exc
            return mat.set_axis(df.index)
    missing = [c for c in covariates if c not in df.columns]
    if missing:
        raise SroiInputError(
            f"covariate column(s) {missing} not found in the data; available columns: "
            f"{list(df.columns)[:20]}"
        )
    parts = []
    for c in covariates:
        s = df[c]
        if _is_categorical(s):
            present = pd.unique(s.dropna())
            levels = (
                [lev for lev in s.cat.categories if lev in set(present)]
                if isinstance(s.dtype, pd.CategoricalDtype)
                else sorted(present, key=str)
            )
            use = levels[1:] if drop_first else levels
            for lev in use:
                parts.append(
                    pd.Series(
                        (s == lev).astype(float).to_numpy(), index=df.index, name=f"{c}_{lev}"
                    )
                )
        else:
            try:  # a float column is taken as it is (to_numeric would copy it)
                num = s if s.dtype == np.float64 else pd.to_numeric(s, errors="raise")
                parts.append(num.astype(float).rename(c))
            except (TypeError, ValueError):
                raise SroiInputError(
                    f"covariate {c!r} is neither numeric nor categorical; convert it"
                ) from None
    if not parts:
        raise SroiInputError("no covariates given: pass covariates=[...] or a formula")
    return pd.concat(parts, axis=1)


def propensity_score(
    X: pd.DataFrame,
    treat: np.ndarray,
    *,
    link: str = "logit",
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Fit a propensity score model ``P(T=1 | X)`` by maximum likelihood.

    Logistic regression ``p = 1 / (1 + exp(-x'b))`` or probit ``p = Phi(x'b)``, with an
    intercept, by Newton-Raphson (statsmodels) to a gradient tolerance of 1e-10, matching R's
    ``glm(family = binomial)`` (Rosenbaum & Rubin 1983).

    Perfect or quasi-complete separation (a covariate that predicts treatment exactly, so the
    maximum-likelihood estimate does not exist) raises :class:`SroiInputError` naming the
    covariate(s) whose coefficients diverge.

    Parameters
    ----------
    X
        Covariates (numeric, categories expanded; see :func:`covariate_frame`).
    treat
        0/1 treatment.
    link
        ``"logit"`` or ``"probit"``.
    weights
        Prior weights of the likelihood.

    Returns
    -------
    (score, eta, coef)
        Propensity score, linear predictor and the named coefficients.
    """
    from scipy import special

    from sroi._distributions import norm_cdf

    if link not in ("logit", "probit"):
        raise SroiInputError(f"link must be 'logit' or 'probit', got {link!r}")
    t = np.asarray(treat, dtype=float)
    names = list(X.columns)
    A = _with_intercept(X)
    Xv = A[:, 1:]
    const = Xv.max(axis=0) == Xv.min(axis=0)
    if const.any():
        raise SroiInputError(
            f"covariate(s) {[names[j] for j in np.flatnonzero(const)]} are constant in the "
            "data; remove them from the propensity score model"
        )
    # Separation check on indicator columns: a value that occurs in only one group.
    is01 = np.all((Xv == 0) | (Xv == 1), axis=0)
    if is01.any():
        B = Xv[:, is01]
        n1, n0 = t.sum(), (1 - t).sum()
        in_t = t @ B
        in_c = (1 - t) @ B
        sep = ((in_t == 0) != (in_c == 0)) | ((in_t == n1) != (in_c == n0))
        if sep.any():
            bad = [str(n) for n, s_ in zip(np.asarray(names)[is01], sep, strict=True) if s_]
            raise SroiInputError(
                f"covariate(s) {bad} separate treated from controls (a value occurs in only "
                "one group), so the propensity score model has no finite estimate; coarsen "
                "or drop them, or match exactly on them instead"
            )
    w = np.ones(len(t)) if weights is None else np.asarray(weights, float)
    beta, converged = _irls(A, t, w, link)
    eta = A @ beta
    p = special.expit(eta) if link == "logit" else norm_cdf(eta)
    extreme = np.any((p < 1e-12) | (p > 1 - 1e-12))
    scaled = np.abs(beta[1:]) * Xv.std(axis=0) if extreme or not converged else None
    if scaled is not None and (not converged or np.any(scaled > 15)):
        big = scaled >= 0.5 * scaled.max()
        bad = [str(names[j]) for j in np.flatnonzero(big)]
        raise SroiInputError(
            f"the propensity score model shows (quasi-)separation: coefficient(s) for {bad} "
            "diverge, so some units have a score of 0 or 1; drop or coarsen these covariates, "
            "or match exactly on them"
        )
    n_extreme = int(np.sum((p < 1e-8) | (p > 1 - 1e-8)))
    if n_extreme:
        warnings.warn(
            f"{n_extreme} unit(s) have propensity scores within 1e-8 of 0 or 1: check overlap",
            SroiWarning,
            stacklevel=2,
        )
    return p, eta, pd.Series(beta, index=["(Intercept)", *names])


def _with_intercept(X: pd.DataFrame) -> np.ndarray:
    """``[1, X]`` as one Fortran-ordered float array, filled column by column."""
    A = np.empty((len(X), X.shape[1] + 1), order="F")
    A[:, 0] = 1.0
    for j in range(X.shape[1]):
        A[:, j + 1] = X.iloc[:, j].to_numpy(dtype=float)
    return A


def _irls(
    A: np.ndarray, y: np.ndarray, w: np.ndarray, link: str, start: np.ndarray | None = None
) -> tuple[np.ndarray, bool]:
    """Maximum likelihood for a binomial GLM by Fisher scoring (IRLS), as R's ``glm.fit``.

    Each step solves ``(X'WX) delta = X' w (y - mu) dmu / var`` (for the logit link
    ``W = mu (1 - mu)`` and the score is ``X' w (y - mu)``). Iteration stops when the largest
    coefficient change is below ``1e-10 (1 + |beta|)`` (tighter than glm's deviance
    criterion of 1e-8). For more than 200,000 rows the iterations start from the fit on
    every k-th row (about 50,000 rows, no randomness) and then continue on all rows to the
    same criterion, so the result is the full-data maximum-likelihood estimate.
    """
    from sroi._distributions import norm_pdf, norm_ppf

    n = len(y)
    if start is None and n > 200_000:
        step = n // 50_000
        b0, ok = _irls(A[::step], y[::step], w[::step], link)
        if ok:
            return _irls(A, y, w, link, start=b0)
    if start is None:
        mu0 = (w * y + 0.5) / (w + 1)  # glm's starting values for binomial
        eta0 = np.log(mu0 / (1 - mu0)) if link == "logit" else norm_ppf(mu0)
        # one weighted least-squares step on the working response gives the start
        dmu = mu0 * (1 - mu0) if link == "logit" else norm_pdf(eta0)
        ww = w * dmu**2 / (mu0 * (1 - mu0))
        z = eta0 + (y - mu0) / dmu
        try:
            beta = np.linalg.solve(A.T @ (A * ww[:, None]), A.T @ (ww * z))
        except np.linalg.LinAlgError:
            return np.zeros(A.shape[1]), False
    else:
        beta = np.asarray(start, float)
    for _ in range(100):
        try:
            delta = np.linalg.solve(*_scoring_system(A, y, w, beta, link))
        except np.linalg.LinAlgError:
            return beta, False
        beta = beta + delta
        if not np.all(np.isfinite(beta)):
            return beta, False
        if np.max(np.abs(delta) / (1 + np.abs(beta))) < 1e-10:
            return beta, True
    return beta, False


_BLOCK_ROWS = 65_536  # rows per block of the scoring sums (about 2.5 MB for 4 columns)


def _scoring_system(
    A: np.ndarray, y: np.ndarray, w: np.ndarray, beta: np.ndarray, link: str
) -> tuple[np.ndarray, np.ndarray]:
    """Fisher information ``X'WX`` and score ``X' w (y - mu) dmu / var`` at ``beta``.

    Summed over blocks of :data:`_BLOCK_ROWS` rows, so a large sample never holds an
    ``n x p`` temporary (``A * W`` would be a fresh 32 MB for a million rows and four
    columns); a sample of one block is computed exactly as in one piece.
    """
    from scipy import special

    from sroi._distributions import norm_cdf, norm_pdf

    p = A.shape[1]
    info = np.zeros((p, p))
    score = np.zeros(p)
    for lo in range(0, len(y), _BLOCK_ROWS):
        Ab = A[lo : lo + _BLOCK_ROWS]
        yb, wb = y[lo : lo + _BLOCK_ROWS], w[lo : lo + _BLOCK_ROWS]
        eta = Ab @ beta
        if link == "logit":
            mu = special.expit(eta)
            ww = wb * (mu * (1 - mu))
            score_w = wb * (yb - mu)
        else:
            mu = np.clip(norm_cdf(eta), 1e-300, 1 - 1e-16)
            dmu = norm_pdf(eta)
            var = mu * (1 - mu)
            ww = wb * dmu**2 / var
            score_w = wb * (yb - mu) * dmu / var
        info += Ab.T @ (Ab * ww[:, None])
        score += Ab.T @ score_w
    return info, score


def _pooled_cov(X: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Pooled within-group covariance: ``sum_g sum_i (x_i - xbar_g)(x_i - xbar_g)' / (n - G)``."""
    Xd = X.copy()
    groups = np.unique(t)
    for g in groups:
        m = t == g
        Xd[m] -= Xd[m].mean(axis=0)
    n = len(Xd)
    return Xd.T @ Xd / (n - len(groups))


def _inverse_sqrt_factor(var: np.ndarray) -> np.ndarray:
    """Matrix ``L`` with ``L L' = var^{-1}`` (pseudo-inverse when singular)."""
    if np.linalg.det(var) > 1e-8:
        inv = np.linalg.inv(var)
    else:
        inv = np.linalg.pinv(var)
    vals, vecs = np.linalg.eigh((inv + inv.T) / 2)
    vals = np.clip(vals, 0, None)
    return vecs * np.sqrt(vals)


def mahalanobis_transform(
    X: np.ndarray, treat: np.ndarray, discarded: np.ndarray | None = None
) -> np.ndarray:
    """Transform covariates so that Euclidean distance equals Mahalanobis distance.

    Columns are scaled by their SD, then the pooled within-group covariance ``S`` of the
    non-discarded units is computed (Rubin 1980; MatchIt 4.x) and ``Z = X L`` with
    ``L L' = S^{-1}``, so ``||z_i - z_j||^2 = (x_i - x_j)' S^{-1} (x_i - x_j)``.
    Constant columns are dropped.

    Parameters
    ----------
    X
        Covariates (n x p).
    treat
        0/1 treatment (for the pooled within-group covariance).
    discarded
        Units left out of the covariance.

    Returns
    -------
    numpy.ndarray
        The transformed covariates ``Z``.
    """
    X = np.asarray(X, dtype=float)
    keep = (X.max(axis=0) - X.min(axis=0)) >= np.sqrt(np.finfo(float).eps)
    if not keep.any():
        return X[:, :1].copy()
    X = X[:, keep]
    X = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    d = np.zeros(len(X), bool) if discarded is None else np.asarray(discarded, bool)
    var = _pooled_cov(X[~d], np.asarray(treat)[~d])
    return X @ _inverse_sqrt_factor(var)


def robust_mahalanobis_transform(X: np.ndarray, discarded: np.ndarray | None = None) -> np.ndarray:
    """Rank-based Mahalanobis transform (Rosenbaum 2010, section 8.3).

    Each column is replaced by its ranks (average ranks for ties); the covariance of the
    ranks is rescaled so that each diagonal entry equals the variance of ``1..n``
    (``S_r <- D S_r D`` with ``D = diag(sd(1..n) / sd(rank_j))``); then ``Z = R L`` with
    ``L L' = S_r^{-1}``.

    Parameters
    ----------
    X
        Covariates (n x p).
    discarded
        Units left out of the ranking and the covariance (their rows are 0).

    Returns
    -------
    numpy.ndarray
        The transformed ranks ``Z``.
    """
    from scipy.stats import rankdata

    X = np.asarray(X, dtype=float)
    keep = (X.max(axis=0) - X.min(axis=0)) >= np.sqrt(np.finfo(float).eps)
    X = X[:, keep] if keep.any() else X[:, :1]
    d = np.zeros(len(X), bool) if discarded is None else np.asarray(discarded, bool)
    R = np.zeros_like(X)
    R[~d] = rankdata(X[~d], axis=0)
    var = np.cov(R[~d], rowvar=False).reshape(X.shape[1], X.shape[1])
    mult = np.std(np.arange(1, (~d).sum() + 1), ddof=1) / np.sqrt(np.diag(var))
    var = var * np.outer(mult, mult)
    return R @ _inverse_sqrt_factor(var)


_LINKS = ("logit", "probit", "linear.logit", "linear.probit")


@dataclass(frozen=True)
class Distance:
    """The distance of one :func:`sroi.match` call, for the kept rows.

    Attributes
    ----------
    values
        What nearest-neighbour matching compares and what the result reports as
        ``distance``: the propensity score, its linear predictor (``link="linear.*"``) or the
        user's score; ``None`` for a Mahalanobis distance.
    score
        The propensity score itself (or the user's score), as inverse probability weights
        need it; ``None`` for a Mahalanobis distance.
    label
        Description, e.g. ``"propensity score (logit)"``.
    scale
        The link the values are on (``"logit"``, ``"linear.logit"``, ...), ``None`` if not a
        fitted score.
    coef
        Coefficients of the propensity score model, if one was fitted.
    """

    values: np.ndarray | None
    score: np.ndarray | None
    label: str
    scale: str | None = None
    coef: pd.Series | None = None

    @property
    def has_score(self) -> bool:
        """Whether there is a scalar score (propensity or user-supplied)."""
        return self.values is not None


def compute_distance(
    rows: pd.DataFrame,
    treat: np.ndarray,
    covariates: Sequence[str] | str,
    *,
    distance: str | None,
    link: str | None = None,
    user_score: np.ndarray | None = None,
) -> Distance:
    """Fit the propensity score, or take the user's score, or name the Mahalanobis distance.

    Parameters
    ----------
    rows, treat
        The rows kept for matching and their 0/1 treatment.
    covariates
        Columns (or right-hand side of a formula) of the propensity score model.
    distance
        ``"logit"``, ``"probit"``, ``"mahalanobis"``, ``"robust_mahalanobis"``, or ``None``
        with ``user_score``.
    link
        ``None`` (the score), or ``"linear.logit"`` / ``"linear.probit"`` to match on the
        linear predictor.
    user_score
        A user-supplied score for ``rows``.

    Returns
    -------
    Distance
    """
    if user_score is not None:
        return Distance(user_score, user_score, "user-supplied distance")
    if distance not in ("logit", "probit"):
        label = str(distance).replace("_", " ") + " distance"
        return Distance(None, None, label)
    lk = link or distance
    if lk not in _LINKS:
        raise SroiInputError(
            f"link must be 'logit', 'probit', 'linear.logit' or 'linear.probit', got {link!r}"
        )
    if lk.replace("linear.", "") != distance:
        raise SroiInputError(f"link={link!r} does not fit distance={distance!r}")
    Xps = covariate_frame(rows, covariates, drop_first=True)
    p, eta, coef = propensity_score(Xps, treat, link=distance)
    linear = lk.startswith("linear.")
    label = f"propensity score ({distance}{', linear predictor' if linear else ''})"
    return Distance(eta if linear else p, p, label, scale=lk, coef=coef)
