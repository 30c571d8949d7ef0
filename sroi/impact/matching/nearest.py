"""Nearest-neighbour matching, ``sroi.match(method="nearest")``, as R MatchIt 4.x.

Greedy matching of each treated unit to its nearest eligible controls (Ho, Imai, King &
Stuart 2011; MatchIt 4.x ``method = "nearest"``), within exact-matching strata, with optional
common-support discard, calipers on the distance and on covariates, and ``k:1`` matching in
rounds. The greedy algorithms themselves are in :mod:`sroi.impact.matching.greedy`.

Weights (MatchIt's convention, ATT): each matched treated unit has weight 1. Each control
gets ``sum over the treated units it serves of 1 / (number of matches of that treated unit)``;
control weights are then scaled so that they sum to the number of distinct matched controls.
Without replacement, each matched treated unit and its controls form one ``subclass``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError
from sroi.impact.matching.distance import (
    Distance,
    covariate_frame,
    mahalanobis_transform,
    robust_mahalanobis_transform,
)
from sroi.impact.matching.greedy import match_multivariate, match_scalar
from sroi.impact.matching.output import MethodOutput, status_code
from sroi.impact.matching.validate import MatchSpec, Sample

__all__ = ["match_nearest", "discard_outside_support"]


@dataclass(frozen=True)
class _Calipers:
    """Caliper widths in raw units: on the distance and on covariate columns."""

    distance: float | None
    names: list[str]
    widths: list[float]
    values: np.ndarray | None

    @property
    def width_array(self) -> np.ndarray | None:
        return np.asarray(self.widths, float) if self.names else None


def discard_outside_support(d: np.ndarray, t: np.ndarray, option: str) -> np.ndarray:
    """Common-support discard on the distance, as MatchIt's ``discard``.

    Parameters
    ----------
    d, t
        Distance and 0/1 treatment of every unit.
    option
        ``"none"``, ``"both"`` (outside the overlap of the two groups' ranges),
        ``"control"`` (controls outside the treated range) or ``"treated"``.

    Returns
    -------
    numpy.ndarray
        Boolean mask of the discarded units.
    """
    if option == "none":
        return np.zeros(len(t), bool)
    d1, d0 = d[t == 1], d[t == 0]
    if option == "both":
        lo, hi = max(d0.min(), d1.min()), min(d0.max(), d1.max())
    elif option == "control":
        lo, hi = d1.min(), d1.max()
    else:  # "treated", checked by validate
        lo, hi = d0.min(), d0.max()
    return (d < lo) | (d > hi)


def _mahalanobis_space(sample: Sample, spec: MatchSpec, disc: np.ndarray) -> np.ndarray:
    """Covariates transformed so that Euclidean distance is the (robust) Mahalanobis one."""
    if spec.mahvars is not None:
        Xm = covariate_frame(sample.rows, spec.mahvars).to_numpy()
    else:
        Xm = sample.covariates.to_numpy()
    if spec.distance == "robust_mahalanobis":
        return robust_mahalanobis_transform(Xm, disc)
    return mahalanobis_transform(Xm, sample.treat, disc)


def _calipers(
    sample: Sample, spec: MatchSpec, dvec: np.ndarray | None, disc: np.ndarray
) -> _Calipers:
    """Caliper widths in raw units (SDs over the non-discarded units unless ``std_caliper``)."""
    cal_dist = None
    names: list[str] = []
    widths: list[float] = []
    for k, v in spec.caliper.items():
        if k == "distance":
            if dvec is None:
                raise SroiInputError(
                    "a caliper on the distance needs a propensity score; with Mahalanobis "
                    "distance give covariate calipers, e.g. caliper={'age': 0.5}"
                )
            cal_dist = v * (np.std(dvec[~disc], ddof=1) if spec.std_caliper[k] else 1.0)
            continue
        col = sample.rows[k]
        if col.nunique() <= 2 or not pd.api.types.is_numeric_dtype(col):
            raise SroiInputError(
                f"caliper on {k!r}: calipers need a continuous numeric column; match "
                "exactly on binary or categorical columns with exact=[...] instead"
            )
        x = col.to_numpy(dtype=float)
        names.append(k)
        widths.append(v * (np.std(x[~disc], ddof=1) if spec.std_caliper[k] else 1.0))
    values = sample.rows[names].to_numpy(dtype=float) if names else None
    return _Calipers(cal_dist, names, widths, values)


def _matching_order(order: str | None, has_score: bool) -> str:
    """MatchIt's default order: largest score first with a score, data order otherwise."""
    if order is None:
        return "largest" if has_score else "data"
    if order in ("largest", "smallest") and not has_score:
        raise SroiInputError(f"order={order!r} needs a propensity score distance")
    return order


def _treated_order(
    order: str, d_t: np.ndarray | None, n1s: int, rng: np.random.Generator
) -> np.ndarray:
    """Positions (among the stratum's treated units, distances ``d_t``) in matching order."""
    if order == "largest" and d_t is not None:
        return np.argsort(-d_t, kind="stable")
    if order == "smallest" and d_t is not None:
        return np.argsort(d_t, kind="stable")
    if order == "random":
        return rng.permutation(n1s)
    return np.arange(n1s)


def _no_distance() -> RuntimeError:
    return RuntimeError("nearest-neighbour matching needs a score or a Mahalanobis space")


def _match_strata(
    sample: Sample,
    spec: MatchSpec,
    dvec: np.ndarray | None,
    Z: np.ndarray | None,
    disc: np.ndarray,
    cal: _Calipers,
    order: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy matching within each exact stratum.

    Returns the ``(n1, ratio)`` matrix of control positions (-1 = none) and a flag per
    treated unit whose stratum has no usable control.
    """
    t = sample.treat
    n = len(t)
    if spec.exact:
        codes = sample.rows.groupby(spec.exact, sort=False, dropna=False).ngroup().to_numpy()
        n_strata = int(codes.max()) + 1
    else:
        codes = np.zeros(n, dtype=np.int64)
        n_strata = 1
    ind1 = np.flatnonzero(t == 1)
    mm = np.full((len(ind1), spec.ratio), -1, dtype=np.int64)
    pos_in_t = np.full(n, -1)
    pos_in_t[ind1] = np.arange(len(ind1))
    no_ctrl = np.zeros(len(ind1), bool)
    for s in range(n_strata):
        rows = np.flatnonzero(codes == s)
        ts = t[rows]
        if ts.sum() == 0:
            continue
        if (ts == 0).sum() == 0 or ((ts == 0) & ~disc[rows]).sum() == 0:
            no_ctrl[pos_in_t[rows[ts == 1]]] = True
            continue
        d_t = None if dvec is None else dvec[rows][ts == 1]
        o = _treated_order(order, d_t, int(ts.sum()), spec.rng)
        cov_rows = None if cal.values is None else cal.values[rows]
        if Z is not None:
            mms = match_multivariate(
                Z[rows],
                ts,
                o,
                spec.ratio,
                replace=spec.replace,
                discarded=disc[rows],
                distance=None if dvec is None else dvec[rows],
                caliper=cal.distance,
                cov_values=cov_rows,
                cov_calipers=cal.width_array,
            )
        elif dvec is not None:
            mms = match_scalar(
                dvec[rows],
                ts,
                o,
                spec.ratio,
                replace=spec.replace,
                discarded=disc[rows],
                caliper=cal.distance,
                cov_values=cov_rows,
                cov_calipers=cal.width_array,
            )
        else:
            raise _no_distance()
        mm[pos_in_t[rows[ts == 1]]] = np.where(mms >= 0, rows[np.clip(mms, 0, None)], -1)
    return mm, no_ctrl


def _weights_and_pairs(
    mm: np.ndarray,
    t: np.ndarray,
    labels: np.ndarray,
    dvec: np.ndarray | None,
    Z: np.ndarray | None,
    replace: bool,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """MatchIt's ATT weights, matched-set numbers and the (treated, control) pairs."""
    n = len(t)
    ind1 = np.flatnonzero(t == 1)
    k_i = (mm >= 0).sum(axis=1)
    matched_t = k_i > 0
    w = np.zeros(n)
    w[ind1[matched_t]] = 1.0
    ti, rr = np.nonzero(mm >= 0)
    cidx = mm[ti, rr]
    np.add.at(w, cidx, 1.0 / k_i[ti])
    cmask = (t == 0) & (w > 0)
    if cmask.any():
        w[t == 0] *= cmask.sum() / w[t == 0].sum()
    sc = np.zeros(n, dtype=np.int64)
    set_id = np.zeros(len(ind1), dtype=np.int64)
    set_id[matched_t] = np.arange(1, matched_t.sum() + 1)  # numbered in treated data order
    if not replace:
        sc[ind1[matched_t]] = set_id[matched_t]
        sc[cidx] = set_id[ti]
    if dvec is not None:
        ddiff = np.abs(dvec[ind1[ti]] - dvec[cidx])
    elif Z is not None:
        ddiff = np.sqrt(((Z[ind1[ti]] - Z[cidx]) ** 2).sum(axis=1))
    else:
        raise _no_distance()
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
    return w, sc, pairs


def _status(
    mm: np.ndarray,
    t: np.ndarray,
    w: np.ndarray,
    disc: np.ndarray,
    no_ctrl: np.ndarray,
    has_caliper: bool,
) -> np.ndarray:
    """Status code (:data:`~sroi.impact.matching.output.STATUS`) of every kept row."""
    ind1 = np.flatnonzero(t == 1)
    unmatched = (mm >= 0).sum(axis=1) == 0
    code = np.zeros(len(t), dtype=np.int8)
    t_un = ind1[unmatched]
    reason = status_code("no control within caliper" if has_caliper else "no control left to match")
    code[t_un] = np.where(
        disc[t_un],
        status_code("discarded (outside common support)"),
        np.where(no_ctrl[unmatched], status_code("no control in exact stratum"), reason),
    )
    c_un = np.flatnonzero((t == 0) & (w == 0))
    code[c_un] = np.where(
        disc[c_un],
        status_code("discarded (outside common support)"),
        status_code("not selected as a match"),
    )
    return code


def match_nearest(sample: Sample, dist: Distance, spec: MatchSpec) -> MethodOutput:
    """Nearest-neighbour matching (MatchIt ``method = "nearest"``; Ho et al. 2011).

    Parameters
    ----------
    sample
        Kept rows, treatment and covariates (:func:`~sroi.impact.matching.validate.prepare_sample`).
    dist
        The distance (:func:`~sroi.impact.matching.distance.compute_distance`).
    spec
        The checked arguments of :func:`sroi.match`.

    Returns
    -------
    MethodOutput
    """
    if spec.estimand != "ATT":
        raise SroiInputError(
            "nearest-neighbour matching estimates the ATT; use method='ipw' for the ATE"
        )
    t = sample.treat
    dvec = dist.values
    if spec.mahvars is not None and not dist.has_score:
        raise SroiInputError("mahvars= needs a propensity score distance (logit/probit/user)")
    if spec.discard != "none" and dvec is None:
        raise SroiInputError(
            f"discard={spec.discard!r} needs a propensity score; with {spec.distance} distance "
            "use discard='none'"
        )
    disc = (
        np.zeros(len(t), bool) if dvec is None else discard_outside_support(dvec, t, spec.discard)
    )
    Z = _mahalanobis_space(sample, spec, disc) if dvec is None or spec.mahvars is not None else None
    cal = _calipers(sample, spec, dvec, disc)
    order = _matching_order(spec.order, dist.has_score)
    mm, no_ctrl = _match_strata(sample, spec, dvec, Z, disc, cal, order)
    labels = sample.rows.index.to_numpy()
    w, sc, pairs = _weights_and_pairs(mm, t, labels, dvec, Z, spec.replace)
    has_caliper = cal.distance is not None or bool(cal.names)
    status = _status(mm, t, w, disc, no_ctrl, has_caliper)
    k_i = (mm >= 0).sum(axis=1)
    n_short = int(((k_i > 0) & (k_i < spec.ratio)).sum())
    label = (
        f"{spec.ratio}:1 nearest-neighbour matching "
        f"{'with' if spec.replace else 'without'} replacement on {dist.label}"
        + (f", caliper {spec.caliper_label}" if spec.caliper else "")
        + (f", exact on {spec.exact}" if spec.exact else "")
    )
    notes = (f"{n_short} treated units got fewer than {spec.ratio} matches",) if n_short else ()
    return MethodOutput(
        weights=w,
        status=status,
        label=label,
        estimand="ATT",
        subclass=None if spec.replace else sc,
        distance=dvec,
        discarded=disc,
        pairs=pairs,
        replace=spec.replace,
        ratio=spec.ratio,
        info={
            "caliper_distance": cal.distance,
            "caliper_covariates": dict(zip(cal.names, cal.widths, strict=True)),
            "order": order,
            "n_short": n_short,
            "score_scale": dist.scale,
        },
        warnings=notes,
    )
