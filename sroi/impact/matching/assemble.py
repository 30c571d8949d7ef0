"""Build the :class:`~sroi.impact.matching.result.MatchResult` from a method's output.

The same for every method: weights, matched sets, distance and status are written back to
every input row (rows dropped for missing values get weight 0 and their status), exclusions
are counted by group and reason, and the estimand becomes "ATT in the matched treated" when
treated units end up without weight.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sroi.impact.matching.distance import Distance
from sroi.impact.matching.output import STATUS, MethodOutput, status_code
from sroi.impact.matching.result import MatchResult
from sroi.impact.matching.validate import MatchSpec, Sample

__all__ = ["assemble_result"]


def _copy_on_write() -> bool:
    """Whether pandas copies shared data on write (always from pandas 3; an option in 2.x)."""
    return int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True


def _all_rows(sample: Sample, out: MethodOutput) -> tuple[pd.DataFrame, np.ndarray]:
    """The input frame with ``weights``, ``subclass``, ``distance``, ``discarded``, ``status``."""
    df, keep = sample.data, sample.keep
    n = len(df)
    all_data = df.copy(deep=not _copy_on_write())  # with copy-on-write, a lazy copy
    weights = np.zeros(n)
    weights[keep] = out.weights
    all_data["weights"] = weights
    sc = np.zeros(n, dtype=np.int64)
    if out.subclass is not None:
        sc[np.flatnonzero(keep)] = out.subclass
    all_data["subclass"] = pd.arrays.IntegerArray(sc, sc <= 0)
    dist = np.full(n, np.nan)
    if out.distance is not None:
        dist[keep] = out.distance
    all_data["distance"] = dist
    disc = np.zeros(n, bool)
    if out.discarded is not None:
        disc[keep] = out.discarded
    all_data["discarded"] = disc
    code = np.full(n, status_code("missing covariate values"), dtype=np.int8)
    code[keep] = out.status
    all_data["status"] = pd.Categorical.from_codes(code, categories=list(STATUS))
    return all_data, code


def _exclusions(t_all: np.ndarray, codes: np.ndarray) -> pd.DataFrame:
    """Counts of rows without weight by group (treated first) and reason."""
    rows = []
    for g, lab in ((1, "treated"), (0, "control")):
        cnt = np.bincount(codes[t_all == g], minlength=len(STATUS))
        for j in range(1, len(STATUS)):
            if cnt[j]:
                rows.append({"group": lab, "reason": STATUS[j], "n": int(cnt[j])})
    return pd.DataFrame(rows, columns=["group", "reason", "n"])


def assemble_result(
    sample: Sample, spec: MatchSpec, out: MethodOutput, dist: Distance | None
) -> tuple[MatchResult, list[str]]:
    """Write a method's output back to every input row and count the exclusions.

    Parameters
    ----------
    sample
        The validated data.
    spec
        The checked arguments.
    out
        The method's weights, matched sets and status for the kept rows.
    dist
        The distance used, if any (its model coefficients go into ``info["ps_coef"]``).

    Returns
    -------
    (MatchResult, list of str)
        The result and the warnings to issue (the estimand changed; the method's own).
    """
    all_data, code = _all_rows(sample, out)
    t_all = sample.treat_all
    ex = _exclusions(t_all, code)
    n_drop_t = int(((t_all == 1) & (all_data["weights"].to_numpy() == 0)).sum())
    estimand = out.estimand
    messages = []
    if n_drop_t and estimand == "ATT":
        estimand = "ATT in the matched treated"
        reasons = "; ".join(
            f"{r}: {c}"
            for r, c in ex.loc[ex.group == "treated", ["reason", "n"]].itertuples(index=False)
        )
        messages.append(
            f"{n_drop_t} of {int((t_all == 1).sum())} treated units were not matched "
            f"({reasons}); the estimand is now the ATT in the matched treated"
        )
    messages.extend(out.warnings)
    info: dict[str, Any] = {"has_score": out.distance is not None}
    if dist is not None and dist.coef is not None:
        info["ps_coef"] = dist.coef
    if spec.mahvars:
        info["mahvars"] = list(spec.mahvars)
    info.update(out.info)
    result = MatchResult(
        treatment=spec.treatment,
        covariates=tuple(sample.covariates.columns),
        method=spec.method,
        method_label=out.label,
        estimand=estimand,
        replace=out.replace,
        ratio=out.ratio,
        _all_data=all_data,
        _exclusions=ex,
        _covariate_matrix=sample.covariates,
        _info=info,
        _pairs=out.pairs,
    )
    return result, messages
