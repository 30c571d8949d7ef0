"""Read-only result of a meta-analysis, with a readable summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MetaResult"]


@dataclass(frozen=True)
class MetaResult:
    """A pooled effect across places, with heterogeneity and a prediction interval.

    Attributes
    ----------
    method
        tau^2 estimator: ``"REML"``, ``"DL"``, ``"PM"`` or ``"FE"`` (fixed effect).
    test
        ``"z"`` (normal), ``"knha"`` (Hartung-Knapp-Sidik-Jonkman: t with k - 1 degrees
        of freedom and the variance scaled by the weighted residual variance) or ``"adhoc"``
        (the same with the scale factor truncated below at 1).
    k
        Number of places pooled.
    estimate, std_error, statistic, p_value, ci_low, ci_high
        The pooled effect, its standard error, z or t statistic, two-sided p-value and
        confidence interval at ``level``.
    df
        Degrees of freedom of the t reference distribution (``None`` for z).
    tau2, tau
        Estimated between-place variance and standard deviation.
    i2, h2
        I^2 (percent of total variability due to between-place variance) and H^2, from
        tau^2 and the typical within-place variance (Higgins & Thompson 2002), as metafor.
    q, q_df, q_p
        Cochran's Q test of homogeneity (fixed-effect weights), its degrees of freedom
        (k - 1) and p-value.
    pi_low, pi_high
        Prediction interval for the effect in a new place like these:
        ``estimate +/- crit * sqrt(std_error^2 + tau^2)``, crit from the same reference
        distribution as the confidence interval (as metafor's ``predict``).
    labels, estimates, std_errors, weights
        The places pooled, their estimates and standard errors, and their weights in percent.
    fixed_effect
        The fixed-effect (common-effect) result on the same places, for comparison;
        ``None`` when this result is itself the fixed-effect one.
    """

    method: str
    test: str
    level: float
    k: int
    estimate: float
    std_error: float
    statistic: float
    p_value: float
    ci_low: float
    ci_high: float
    df: int | None
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    pi_low: float
    pi_high: float
    labels: tuple[str, ...]
    estimates: tuple[float, ...]
    std_errors: tuple[float, ...]
    weights: tuple[float, ...]
    fixed_effect: MetaResult | None = field(default=None, repr=False)

    @property
    def tau(self) -> float:
        """Between-place standard deviation, ``sqrt(tau2)``."""
        return float(np.sqrt(self.tau2))

    def places(self) -> pd.DataFrame:
        """One row per place: estimate, standard error, interval at ``level`` and weight (%)."""
        from sroi._distributions import norm_ppf

        z = float(norm_ppf(0.5 + self.level / 2))
        y = np.asarray(self.estimates)
        se = np.asarray(self.std_errors)
        return pd.DataFrame(
            {
                "place": list(self.labels),
                "estimate": y,
                "std_error": se,
                "ci_low": y - z * se,
                "ci_high": y + z * se,
                "weight_pct": np.asarray(self.weights),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible data (lists for tuples, the fixed-effect result nested)."""
        d = asdict(self)
        d["tau"] = self.tau
        d["fixed_effect"] = None if self.fixed_effect is None else self.fixed_effect.to_dict()
        for key in ("labels", "estimates", "std_errors", "weights"):
            d[key] = list(d[key])
        return d

    def summary(self) -> str:
        """A readable block: pooled effect, interval, heterogeneity, prediction interval."""
        pct = round(self.level * 100)
        model = "fixed-effect" if self.method == "FE" else f"random-effects ({self.method})"
        ref = f"t({self.df})" if self.df is not None else "z"
        lines = [
            f"Meta-analysis of {self.k} places, {model} model, {ref} inference",
            f"  pooled effect {self.estimate:.4g} (SE {self.std_error:.4g}), "
            f"{pct}% CI {self.ci_low:.4g} to {self.ci_high:.4g}, p = {self.p_value:.3g}",
        ]
        if self.method != "FE":
            lines.append(
                f"  between-place SD tau = {self.tau:.4g} (tau^2 = {self.tau2:.4g}), "
                f"I^2 = {self.i2:.1f}%, H^2 = {self.h2:.3g}"
            )
            lines.append(
                f"  {pct}% prediction interval for a new place: "
                f"{self.pi_low:.4g} to {self.pi_high:.4g}"
            )
        lines.append(f"  homogeneity: Q({self.q_df}) = {self.q:.4g}, p = {self.q_p:.3g}")
        if self.fixed_effect is not None:
            fe = self.fixed_effect
            lines.append(
                f"  fixed-effect comparison: {fe.estimate:.4g} "
                f"({pct}% CI {fe.ci_low:.4g} to {fe.ci_high:.4g})"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
