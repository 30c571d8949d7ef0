"""The :class:`Effect` record: one estimated (or assumed) programme effect.

``Effect`` is the hand-over point between impact estimation and valuation. It is a plain
record so that ``sroi.value`` can value an effect without importing any impact code, and
a finance officer can build one by hand for an assumed effect.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from sroi.errors import SroiInputError

__all__ = ["Effect"]


@dataclass(frozen=True)
class Effect:
    """An estimated or assumed effect of the programme on one outcome.

    Parameters
    ----------
    estimate
        Point estimate on the outcome's scale (e.g. change in attendance rate, or change
        in the probability of a referral per pupil per term).
    std_error
        Standard error of ``estimate``; ``nan`` for an assumed effect with no uncertainty.
    ci_low, ci_high
        Confidence interval bounds at ``level``.
    p_value
        Two-sided p-value for the null of no effect.
    n_treated, n_control
        Units contributing to the estimate in each group.
    estimand
        What is estimated, in words: ``"ATT"``, ``"ATT in the matched treated"``,
        ``"ATT (group aggregation)"``, ``"assumed"``...
    method
        How it was estimated, e.g. ``"nearest-neighbour matching"``,
        ``"Callaway-Sant'Anna (dr)"``, ``"assumed"``.
    outcome
        Name of the outcome the effect is on.
    ci_type
        Interval type: ``"analytic pointwise"``, ``"CR2 Bell-McCaffrey"``,
        ``"wild cluster bootstrap"``, ``"multiplier bootstrap uniform"``...
    cluster, n_clusters, n_treated_clusters
        The clustering variable used for inference and its cluster counts.
    level
        Confidence level of the interval (default 0.95).
    scale
        Scale of the estimate: ``"difference"`` (default), ``"risk ratio"``,
        ``"odds ratio"``, ``"rate ratio"``.
    period
        Time unit the effect refers to (e.g. ``"term"``, ``"year"``, ``"total"``).
    draws
        Optional bootstrap or posterior draws of the estimate, used by Monte Carlo valuation.
    source
        Where an assumed effect comes from (citation or ``"illustrative"``).
    notes
        Free-text caveats, e.g. counted exclusions.
    extra
        Other diagnostics (dictionary of JSON-serialisable values).
    """

    estimate: float
    std_error: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    n_treated: int | None = None
    n_control: int | None = None
    estimand: str = "ATT"
    method: str = ""
    outcome: str = ""
    ci_type: str = "analytic pointwise"
    cluster: str | None = None
    n_clusters: int | None = None
    n_treated_clusters: int | None = None
    level: float = 0.95
    scale: str = "difference"
    period: str | None = None
    draws: np.ndarray | None = field(default=None, repr=False, compare=False)
    source: str | None = None
    notes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not np.isfinite(self.estimate):
            raise SroiInputError(f"Effect.estimate must be a finite number, got {self.estimate!r}")
        if not 0 < self.level < 1:
            raise SroiInputError(f"Effect.level must be between 0 and 1, got {self.level!r}")
        if not (math.isnan(self.std_error) or self.std_error >= 0):
            raise SroiInputError(f"Effect.std_error must be >= 0, got {self.std_error!r}")
        if self.draws is not None:
            object.__setattr__(self, "draws", np.asarray(self.draws, dtype=float))

    @classmethod
    def from_estimate(
        cls,
        estimate: float,
        std_error: float,
        *,
        df: float | None = None,
        level: float = 0.95,
        **kwargs: Any,
    ) -> Effect:
        """Build an effect with a Wald interval and p-value from an estimate and its SE.

        Uses the normal distribution, or Student's t with ``df`` degrees of freedom.
        """
        # imported here: scipy.special takes a while to import, and `import sroi` needs none
        from sroi._distributions import z_or_t_ppf, z_or_t_sf

        crit = float(z_or_t_ppf(0.5 + level / 2, df))
        if std_error > 0:
            p = float(2 * z_or_t_sf(abs(estimate) / std_error, df))
        else:
            p = math.nan
        return cls(
            estimate=float(estimate),
            std_error=float(std_error),
            ci_low=float(estimate - crit * std_error),
            ci_high=float(estimate + crit * std_error),
            p_value=p,
            level=level,
            **kwargs,
        )

    @classmethod
    def assumed(cls, estimate: float, *, outcome: str, source: str, **kwargs: Any) -> Effect:
        """An effect taken from elsewhere (evidence review, logic model), not estimated here.

        ``source`` is required: say where the number comes from, or ``"illustrative"``.
        """
        if not source or not str(source).strip():
            raise SroiInputError(
                "Effect.assumed needs a source: cite where the effect size comes from, "
                "or write 'illustrative'"
            )
        kwargs.setdefault("estimand", "assumed")
        kwargs.setdefault("method", "assumed")
        return cls(estimate=float(estimate), outcome=outcome, source=source, **kwargs)

    @property
    def is_assumed(self) -> bool:
        """True when the effect was assumed rather than estimated from a comparison."""
        return self.method == "assumed" or self.estimand == "assumed"

    def with_(self, **changes: Any) -> Effect:
        """Return a copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self, include_draws: bool = False) -> dict[str, Any]:
        """JSON-friendly dictionary (NaN becomes ``None``)."""
        d = asdict(self)
        d["notes"] = list(self.notes)
        if include_draws and self.draws is not None:
            d["draws"] = [float(x) for x in self.draws]
        else:
            d.pop("draws")
        for k, v in list(d.items()):
            if isinstance(v, float) and math.isnan(v):
                d[k] = None
            elif isinstance(v, np.generic):
                d[k] = v.item()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Effect:
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise SroiInputError(f"Unknown Effect field(s): {', '.join(unknown)}")
        kw: dict[str, Any] = {
            k: (math.nan if v is None and k in _FLOAT_FIELDS else v) for k, v in d.items()
        }
        if "notes" in kw and kw["notes"] is not None:
            kw["notes"] = tuple(kw["notes"])
        return cls(**kw)

    def summary(self) -> str:
        """One readable paragraph: estimate, interval, p-value, sample sizes and method."""
        pct = int(round(self.level * 100))
        lines = [
            f"Effect on {self.outcome or 'outcome'} ({self.estimand}, {self.method or 'method n/a'})",
            f"  estimate  {self.estimate: .4f}   SE {self.std_error:.4f}",
            f"  {pct}% CI    [{self.ci_low:.4f}, {self.ci_high:.4f}]  ({self.ci_type})",
            f"  p-value   {self.p_value:.4g}",
            f"  n treated {self.n_treated}   n control {self.n_control}",
        ]
        if self.cluster:
            lines.append(
                f"  clustered by {self.cluster}: {self.n_clusters} clusters, "
                f"{self.n_treated_clusters} treated"
            )
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - thin wrapper
        return self.summary()


_FLOAT_FIELDS = {"std_error", "ci_low", "ci_high", "p_value"}
