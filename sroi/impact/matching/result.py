"""Result of :func:`sroi.match`: :class:`MatchResult`, the matched sample plus diagnostics.

Diagnostics are consumers of the matched sample, as R cobalt is of MatchIt: balance tables
and plots come from :mod:`sroi.impact.balance`, sensitivity analysis from
:mod:`sroi.impact.sensitivity` and effect estimates from
:mod:`sroi.impact.matching.effects`; none of them imports this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.impact.balance import balance_table, effective_sample_size, love_plot, overlap_plot
from sroi.impact.matching.effects import match_effect
from sroi.impact.matching.matched_data import MatchedData
from sroi.impact.sensitivity import rosenbaum_bounds

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MatchResult"]


class MatchResult(MatchedData):
    """Result of :func:`sroi.match`: matched data, weights, matched sets, counts and diagnostics.

    Read-only. The data access (``data``, ``all_data``, ``weights``, ``pairs()``,
    ``matches()``, ``exclusions``, ``estimand``) is described in
    :class:`~sroi.impact.matching.matched_data.MatchedData`; this class adds balance
    (:meth:`balance`, :meth:`love_plot`, :meth:`overlap_plot`,
    :meth:`effective_sample_size`), sensitivity (:meth:`rosenbaum_bounds`), the effect
    (:meth:`effect`) and a readable :meth:`summary` (also ``str(result)``).
    """

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
        Variables matched on by Mahalanobis distance (``mahvars``) that are not covariates of
        the score model are shown after them.
        """
        X = self._covariate_matrix
        d = self._all_data.loc[X.index]
        extra = [c for c in self._info.get("mahvars", []) if c not in X.columns]
        if extra:
            X = pd.concat([X, d[extra].astype(float)], axis=1)
        if include_distance and d["distance"].notna().all() and self._info.get("has_score"):
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
        """Rosenbaum bounds on the matched pairs (1:1 matching without replacement only).

        See :func:`sroi.impact.sensitivity.rosenbaum_bounds` (Rosenbaum 2002).
        """
        if self.method != "nearest" or self.ratio != 1 or self.replace:
            raise SroiInputError(
                "Rosenbaum bounds here need 1:1 matched pairs (ratio=1, replace=False); use "
                "the E-value (sroi.impact.e_value) for other designs"
            )
        if outcome not in self._all_data.columns:
            raise SroiInputError(f"outcome column {outcome!r} not found")
        p = self.pairs()
        y = self._all_data[outcome]
        return rosenbaum_bounds(
            y.loc[p["treated"]].to_numpy(float), y.loc[p["control"]].to_numpy(float), **kwargs
        )

    def love_plot(self, **kwargs: Any) -> Figure:
        """Love plot of :meth:`balance` (returns a matplotlib Figure)."""
        return love_plot(self.balance(), **kwargs)

    def overlap_plot(self, **kwargs: Any) -> Figure:
        """Propensity-score overlap plot before and after weighting (matplotlib Figure)."""
        d = self._all_data
        if d["distance"].isna().all():
            raise SroiInputError("overlap_plot needs a propensity score (not Mahalanobis/CEM)")
        ok = d["distance"].notna()
        return overlap_plot(
            d.loc[ok, "distance"], d.loc[ok, self.treatment], d.loc[ok, "weights"], **kwargs
        )

    def effective_sample_size(self) -> dict[str, float]:
        """Kish effective sample size ``(sum w)^2 / sum w^2`` of each group after matching."""
        d = self._all_data
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
        n_boot: int = 999,
        random_state: int | np.random.Generator | None = 0,
    ) -> Effect:
        """Effect of treatment on ``outcome`` in the matched (weighted) sample.

        See :func:`sroi.impact.matching.effects.match_effect` for the estimators and the
        standard errors (``vcov="subclass"``, ``"HC3"``, ``"subclass+unit"``, ``"cluster"``,
        ``"CR2"``, ``"wild"``, ``"randomization"``, ``"abadie_imbens"``).
        """
        return match_effect(
            self,
            outcome,
            vcov=vcov,
            covariates=covariates,
            scale=scale,
            cluster=cluster,
            level=level,
            n_boot=n_boot,
            random_state=random_state,
        )

    def summary(self) -> str:
        """Readable summary: method, sample sizes, counted exclusions and balance."""
        d = self._all_data
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
        if len(self._exclusions):
            lines.append("  excluded (no weight):")
            for _, r in self._exclusions.iterrows():
                lines.append(f"    {r['group']:<8} {r['reason']}: {r['n']}")
        bal = self.balance()
        worst = bal["smd_after"].abs().max()
        lines.append(f"  max |SMD| after matching: {worst:.3f}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return (
            f"<MatchResult {self.method_label}: {self.n_treated} treated, "
            f"{self.n_control} controls, estimand {self.estimand!r}>"
        )
