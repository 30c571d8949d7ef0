"""Goodman-Bacon (2021) decomposition of the TWFE DiD estimate, and a TWFE-vs-CS warning.

With staggered adoption, a balanced panel and no covariates, the static TWFE coefficient is
a weighted average of every 2x2 DiD between timing groups (Goodman-Bacon 2021, Theorem 1)::

    b_TWFE = sum_k s_kU b_kU + sum_{k<l} (s^k_kl b^k_kl + s^l_kl b^l_kl)

* ``treated vs never``: cohort ``k`` against never-treated units ``U``, all periods:
  ``b_kU = (ybar_k,post - ybar_k,pre) - (ybar_U,post - ybar_U,pre)`` with post ``t >= k``.
* ``earlier vs later treated``: earlier cohort ``k`` against the later cohort ``l`` while
  ``l`` is still untreated (periods ``t < l``; ``k``'s pre is ``t < k``, post ``k <= t < l``).
* ``later vs earlier treated``: later cohort ``l`` against the *already treated* ``k``
  (periods ``t >= k``; ``l``'s pre is ``k <= t < l``, post ``t >= l``). These are the
  "forbidden" comparisons that bias TWFE when effects change over time.

The weights (Goodman-Bacon 2021, eq. 10) are, with sample shares ``n``, treated shares of
periods ``Dbar`` and ``n_kl = n_k / (n_k + n_l)``::

    s_kU   ∝ (n_k + n_U)^2 n_kU (1 - n_kU) Dbar_k (1 - Dbar_k)
    s^k_kl ∝ ((n_k + n_l)(1 - Dbar_l))^2 n_kl (1 - n_kl) (Dbar_k - Dbar_l)/(1 - Dbar_l)
             * (1 - Dbar_k)/(1 - Dbar_l)
    s^l_kl ∝ ((n_k + n_l) Dbar_k)^2 n_kl (1 - n_kl) (Dbar_l / Dbar_k)
             * (Dbar_k - Dbar_l)/Dbar_k

all divided by the variance of the two-way-demeaned treatment, so that they sum to one.
"""

from __future__ import annotations

import warnings
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.did.data import did_panel
from sroi.impact.did.within import TwoWay, panel_codes

__all__ = ["bacon_decomposition", "twfe_vs_cs_warning"]


def bacon_decomposition(
    panel: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
) -> pd.DataFrame:
    """Decompose the static TWFE estimate into its 2x2 comparisons (Goodman-Bacon 2021).

    Parameters
    ----------
    panel
        Balanced long panel (every unit observed in every period), no covariates.
    outcome, unit, time, cohort
        Columns; ``cohort`` is the first treated period, 0 never treated. Units treated
        from the first period (no pre-period) are dropped and counted; cohorts after the
        last period are never treated within the panel and are pooled with ``U``.

    Returns
    -------
    DataFrame
        One row per comparison: ``type`` (``"treated vs never"``,
        ``"earlier vs later treated"``, ``"later vs earlier treated"``), ``treated``,
        ``control`` (cohort labels, 0 = never), ``estimate``, ``weight``. Weights sum to 1
        and ``(weight * estimate).sum()`` equals the TWFE estimate, stored with the
        exclusions in ``.attrs["twfe"]`` and ``.attrs["exclusions"]``.

    Raises
    ------
    SroiInputError
        For an unbalanced panel, non-consecutive periods or no treated cohort.

    References
    ----------
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
    Journal of Econometrics 225(2), 254-277.
    """
    p = did_panel(panel, outcome=outcome, unit=unit, time=time, cohort=cohort)
    assert p.cohort is not None
    df = p.data
    excl = p.exclusions.counts()
    if excl:
        warnings.warn(
            "Bacon decomposition: " + "; ".join(p.exclusions.notes()), SroiWarning, stacklevel=2
        )
    times = np.sort(df[time].unique())
    short = p.unbalanced_units()
    if len(short):
        raise SroiInputError(
            f"the Bacon decomposition needs a balanced panel: {len(short)} units miss some of "
            f"the {times.size} periods (units {short[:5].tolist()}). Drop them or use "
            "sroi.staggered_did, which handles unbalanced data."
        )
    if np.any(np.diff(times) != 1):
        raise SroiInputError(
            f"periods in {time!r} must be consecutive integers, got {times.tolist()}"
        )
    coh = df.groupby(unit)[p.cohort].first()
    coh = coh.where(coh <= times.max(), 0)  # treated after the panel: untreated throughout
    groups = np.sort(coh.unique())
    if not (groups > 0).any():
        raise SroiInputError(f"no treated cohorts in {cohort!r}")
    ucoh = df[unit].map(coh).to_numpy()
    out = _comparisons(df, ucoh, coh, times, outcome, time)
    # the TWFE fit (shared two-way demeaning, closed form on the balanced panel) for the
    # check; weights normalised by the variance of the two-way demeaned treatment
    t = df[time].to_numpy()
    D = ((ucoh > 0) & (t >= ucoh)).astype(float)
    ucode, tcode, _ = panel_codes(p)
    tw = TwoWay.from_codes(ucode, tcode)
    fit = tw.fit(tw.demean_units(np.column_stack([df[outcome].to_numpy(float), D])))
    out["weight"] = out.pop("raw") / float(np.mean(fit.X[:, 0] ** 2))
    out.attrs["twfe"] = float(fit.beta[0])
    out.attrs["exclusions"] = excl
    out.attrs["weight_sum"] = float(out.weight.sum())
    if abs(out.weight.sum() - 1) > 1e-6:  # pragma: no cover - a failed identity is a bug
        raise RuntimeError(f"Bacon weights sum to {out.weight.sum()}, not 1; please report")
    return out


def _comparisons(
    df: pd.DataFrame,
    ucoh: np.ndarray,
    coh: pd.Series,
    times: np.ndarray,
    outcome: str,
    time: str,
) -> pd.DataFrame:
    """Every 2x2 comparison with its estimate and unnormalised weight (eq. 10)."""
    groups = np.sort(coh.unique())
    timing = groups[groups > 0]
    has_never = bool((groups == 0).any())
    ybar = (
        pd.DataFrame({"g": ucoh, "t": df[time].to_numpy(), "y": df[outcome].to_numpy(float)})
        .groupby(["g", "t"])["y"]
        .mean()
        .unstack()
        .reindex(columns=times)
    )
    nshare = coh.value_counts(normalize=True)
    dbar = {g: float(np.mean(times >= g)) for g in timing}

    def did2(a: int, b: int, pre: np.ndarray, post: np.ndarray) -> float:
        ya, yb = ybar.loc[a].to_numpy(), ybar.loc[b].to_numpy()
        return float((ya[post].mean() - ya[pre].mean()) - (yb[post].mean() - yb[pre].mean()))

    rows: list[dict[str, Any]] = []
    for k in timing:
        nk, dk = nshare[k], dbar[k]
        if has_never:
            nu = nshare[0]
            nku = nk / (nk + nu)
            s = (nk + nu) ** 2 * nku * (1 - nku) * dk * (1 - dk)
            est = did2(k, 0, times < k, times >= k)
            rows.append(dict(type="treated vs never", treated=k, control=0, estimate=est, raw=s))
        for ell in timing[timing > k]:
            nl, dl = nshare[ell], dbar[ell]
            nkl = nk / (nk + nl)
            s_k = (
                ((nk + nl) * (1 - dl)) ** 2
                * nkl
                * (1 - nkl)
                * ((dk - dl) / (1 - dl))
                * ((1 - dk) / (1 - dl))
            )
            win = times < ell
            est_k = did2(k, ell, win & (times < k), win & (times >= k))
            rows.append(
                dict(
                    type="earlier vs later treated", treated=k, control=ell, estimate=est_k, raw=s_k
                )
            )
            s_l = ((nk + nl) * dk) ** 2 * nkl * (1 - nkl) * (dl / dk) * ((dk - dl) / dk)
            win = times >= k
            est_l = did2(ell, k, win & (times < ell), win & (times >= ell))
            rows.append(
                dict(
                    type="later vs earlier treated", treated=ell, control=k, estimate=est_l, raw=s_l
                )
            )
    return pd.DataFrame(rows)


@runtime_checkable
class _GroupAggregation(Protocol):
    """What :func:`twfe_vs_cs_warning` needs of a staggered-DiD result."""

    def aggregate_effect(self, kind: Any = ...) -> Effect: ...


def _as_estimate(x: Any, what: str) -> tuple[float, float]:
    """(estimate, std_error) from an Effect, a number, or a result with ``aggregate_effect``."""
    if isinstance(x, Effect):
        return x.estimate, x.std_error
    if isinstance(x, int | float | np.floating) and not isinstance(x, bool):
        return float(x), float("nan")
    if isinstance(x, _GroupAggregation):
        res = x.aggregate_effect("group")
        return res.estimate, res.std_error
    raise SroiInputError(
        f"{what} must be an Effect, a number, or a staggered_did result; got {type(x).__name__}"
    )


def twfe_vs_cs_warning(
    twfe_effect: Effect | float,
    cs_effect: Any,
    *,
    rel_tol: float = 0.25,
    z: float = 1.96,
    warn: bool = True,
) -> str | None:
    """Message when the TWFE and Callaway-Sant'Anna overall effects disagree materially.

    "Materially" means the signs differ (and both are non-zero), or
    ``|b_TWFE - b_CS| > rel_tol * max(|b_TWFE|, |b_CS|)`` **and**, when both standard
    errors are known, the gap exceeds ``z`` times ``sqrt(se_TWFE^2 + se_CS^2)`` (a
    conservative yardstick: the two estimates are positively correlated). The message
    explains the likely cause (already-treated units used as controls under effects that
    change over time; Goodman-Bacon 2021) and points to :func:`bacon_decomposition`.
    Returns ``None`` when they agree. With ``warn`` a :class:`SroiWarning` is also raised.

    Parameters
    ----------
    twfe_effect
        The TWFE effect (an :class:`~sroi.Effect` or a number).
    cs_effect
        An :class:`~sroi.Effect` (e.g. ``cs.aggregate("group").overall``), a number, or a
        ``staggered_did`` result (its group aggregation is used).
    rel_tol
        Relative gap counted as material.
    z
        Multiple of the combined standard error the gap must exceed.
    warn
        Also raise a :class:`SroiWarning`.

    Returns
    -------
    str or None
        The message, or ``None`` when the two agree.

    References
    ----------
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
    Journal of Econometrics 225(2), 254-277.
    """
    if not 0 < rel_tol:
        raise SroiInputError(f"rel_tol must be positive, got {rel_tol}")
    bt, st = _as_estimate(twfe_effect, "twfe_effect")
    bc, sc = _as_estimate(cs_effect, "cs_effect")
    gap = bt - bc
    sign_flip = bt * bc < 0
    big = abs(gap) > rel_tol * max(abs(bt), abs(bc))
    if np.isfinite(st) and np.isfinite(sc):
        big = big and abs(gap) > z * np.sqrt(st**2 + sc**2)
        sign_flip = sign_flip and abs(gap) > z * np.sqrt(st**2 + sc**2)
    if not (big or sign_flip):
        return None
    msg = (
        f"TWFE ({bt:.4g}) and Callaway-Sant'Anna ({bc:.4g}) disagree materially "
        f"(difference {gap:+.4g}"
        + (", opposite signs" if sign_flip else "")
        + "). Under staggered adoption TWFE also compares later-treated units with "
        "already-treated ones, which biases it when effects change over time "
        "(Goodman-Bacon 2021); report the Callaway-Sant'Anna estimate and inspect "
        "sroi.impact.did.bacon_decomposition()."
    )
    if warn:
        warnings.warn(msg, SroiWarning, stacklevel=2)
    return msg
