"""The matched sample: :class:`MatchedData`, read-only, as MatchIt's ``match.data()``.

It holds what an estimator needs from a match (every input row with its weight, matched
set and status; the pairs; the covariates) and nothing else, so that effect estimation
(:mod:`sroi.impact.matching.effects`) depends on it without depending on the diagnostics of
:class:`~sroi.impact.matching.result.MatchResult`, which extends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pandas as pd

from sroi.errors import SroiInputError

__all__ = ["MatchedData"]


@dataclass(frozen=True, eq=False, repr=False)
class MatchedData:
    """Matched (or weighted) sample built by :func:`sroi.match`; read-only.

    Attributes
    ----------
    treatment
        Name of the 0/1 treatment column.
    covariates
        Names of the covariate columns balance is checked on (categories expanded).
    method
        ``"nearest"``, ``"cem"``, ``"exact"``, ``"ipw"`` or ``"ebal"``.
    method_label
        Description of the design.
    estimand
        ``"ATT"``, ``"ATE"``, or ``"ATT in the matched treated"`` when treated units were
        dropped.
    replace, ratio
        Matching with replacement; controls per treated unit.

    The frames are returned as copies, so the result cannot be changed through them.
    """

    treatment: str
    covariates: tuple[str, ...]
    method: str
    method_label: str
    estimand: str
    replace: bool
    ratio: int
    _all_data: pd.DataFrame
    _exclusions: pd.DataFrame
    _covariate_matrix: pd.DataFrame
    _info: Mapping[str, Any]
    _pairs: pd.DataFrame | None = None

    @property
    def all_data(self) -> pd.DataFrame:
        """Every input row with its weight, matched set, distance and status.

        Columns added to the input: ``weights`` (0 when unused), ``subclass``, ``distance``,
        ``discarded`` and ``status`` (why a row has no weight).
        """
        return self._all_data.copy()

    @property
    def data(self) -> pd.DataFrame:
        """Matched rows (weight > 0) with ``weights``, ``subclass`` and ``distance``.

        As MatchIt's ``match.data()``: the input columns plus ``weights``, ``subclass``
        (without replacement; ``<NA>`` otherwise) and ``distance``.
        """
        d = self._all_data
        return d.loc[d["weights"] > 0].drop(columns=["discarded", "status"])

    @property
    def weights(self) -> pd.Series:
        """Matching weights for every input row (0 for unused rows)."""
        return self._all_data["weights"].copy()

    @property
    def exclusions(self) -> pd.DataFrame:
        """Counted exclusions: one row per (group, reason) with ``n``."""
        return self._exclusions.copy()

    @property
    def covariate_matrix(self) -> pd.DataFrame:
        """Covariates of the rows used (categories expanded to indicators)."""
        return self._covariate_matrix.copy()

    @property
    def info(self) -> Mapping[str, Any]:
        """Method details (read-only): ``has_score``, ``ps_coef``, caliper widths, ..."""
        return MappingProxyType(dict(self._info))

    @property
    def n_treated(self) -> int:
        """Matched (weighted) treated units."""
        d = self._all_data
        return int(((d[self.treatment] == 1) & (d["weights"] > 0)).sum())

    @property
    def n_control(self) -> int:
        """Distinct controls with positive weight."""
        d = self._all_data
        return int(((d[self.treatment] == 0) & (d["weights"] > 0)).sum())

    def _require_pairs(self, what: str) -> pd.DataFrame:
        if self._pairs is None:
            raise SroiInputError(
                f"{what} is only defined for nearest-neighbour matching, not method={self.method!r}"
            )
        return self._pairs

    def pairs(self) -> pd.DataFrame:
        """One row per (treated, control) match.

        Columns ``treated``, ``control`` (row labels), ``subclass`` (matched-set id),
        ``round`` (1 = first match), ``weight`` (``1 / matches of that treated unit``) and
        ``distance_diff``.
        """
        return self._require_pairs("pairs()").copy()

    def matches(self, id: str = "id") -> pd.DataFrame:
        """Matched sets in long form, as MatchIt's ``get_matches()``.

        One row per unit per matched set: for each matched treated unit its own row (weight 1)
        followed by its controls (weight ``1 / k`` for a treated unit with ``k`` matches).
        With replacement a control appears once for every treated unit it serves. Columns: the
        input columns, ``id`` (the input row label), ``subclass`` (matched-set id),
        ``weights`` and ``distance``.
        """
        p = self._require_pairs("matches()")
        src = self._all_data.drop(columns=["weights", "subclass", "discarded", "status"])
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
