"""The record of one evaluation: what the report shows and ``results.json`` records.

:class:`EvaluationResult` holds everything :func:`sroi.report.evaluate` computed: the
programme, one :class:`OutcomeResult` per outcome, the comparison group
(:class:`MatchingSummary` of per-cohort :class:`CohortMatch`), the multiplicity table, the
value and its Monte Carlo, the evidence rating, and why any part is not available.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.report.disclosure import Threshold
from sroi.report.evidence import EvidenceAssessment

if TYPE_CHECKING:  # pragma: no cover
    from sroi.spec import OutcomeSpec, Spec
    from sroi.value import SimulationResult, ValueResult

__all__ = [
    "PretrendSummary",
    "CohortMatch",
    "MatchingSummary",
    "OutcomeResult",
    "EvaluationResult",
    "MDES_MULTIPLIER",
    "RARE_EVENTS",
]

#: z_{0.975} + z_{0.80}: MDES = 2.80 x SE at 5% two-sided significance and 80% power (Bloom, 1995).
MDES_MULTIPLIER = 1.959963984540054 + 0.8416212335729143

#: Fewer events than this among participants (all terms) marks a binary or count outcome as
#: too rare to estimate reliably (a reporting rule of this package, not a published standard).
RARE_EVENTS = 20


@dataclass(frozen=True)
class PretrendSummary:
    """The joint pre-trend test of one outcome, as the report shows it.

    Attributes
    ----------
    statistic, df, p_value
        Wald statistic, number of restrictions and p-value
        (:class:`sroi.impact.pretrend.PretrendTest`).
    method
        What was tested, in words.
    reliable
        False when the test is known to over-reject: a clustered test with fewer than 10
        treated clusters, or with at least as many restrictions as treated clusters.
    """

    statistic: float
    df: int
    p_value: float
    method: str
    reliable: bool


@dataclass
class CohortMatch:
    """Matching for one cohort (participants first enrolled in ``cohort``).

    Attributes
    ----------
    cohort
        First term in the programme.
    n_treated, n_treated_matched, n_controls_matched
        Participants, participants with a match, distinct comparison pupils used.
    balance
        ``covariate, smd_before, smd_after, var_ratio_before, var_ratio_after`` (variance
        ratios missing for binary covariates), or None without a balance table.
    distance_treated, distance_control
        Propensity scores of the cohort's participants and comparison pool.
    """

    cohort: int
    n_treated: int
    n_treated_matched: int
    n_controls_matched: int
    balance: pd.DataFrame | None = None
    distance_treated: np.ndarray | None = None
    distance_control: np.ndarray | None = None


@dataclass
class MatchingSummary:
    """The comparison group: per-cohort matches and pooled balance.

    Attributes
    ----------
    method
        The matching method in words.
    cohorts
        One :class:`CohortMatch` per enrolment cohort.
    source
        Where the matches come from, in words.
    """

    method: str
    cohorts: list[CohortMatch] = field(default_factory=list)
    source: str = ""

    @property
    def n_treated(self) -> int:
        """Participants over all cohorts."""
        return sum(c.n_treated for c in self.cohorts)

    @property
    def n_treated_matched(self) -> int:
        """Participants with a match over all cohorts."""
        return sum(c.n_treated_matched for c in self.cohorts)

    @property
    def share_unmatched(self) -> float:
        """Share of participants without a match (``nan`` with no participants)."""
        n = self.n_treated
        return float("nan") if n == 0 else 1.0 - self.n_treated_matched / n

    def balance(self) -> pd.DataFrame | None:
        """Balance over cohorts: per covariate, participant-weighted mean of each cohort's SMD."""
        frames = [
            c.balance.assign(_w=c.n_treated_matched) for c in self.cohorts if c.balance is not None
        ]
        if not frames:
            return None
        b = pd.concat(frames, ignore_index=True)
        num = [c for c in b.columns if c not in ("covariate", "_w") and b[c].dtype.kind in "fi"]
        w = b["_w"].astype(float).clip(lower=1e-12)
        key = b["covariate"]
        # weighted mean over the cohorts where the statistic exists (binary covariates have
        # no variance ratio: it stays missing rather than averaging to 0)
        total = b[num].mul(w, axis=0).groupby(key, sort=False).sum(min_count=1)
        weight = b[num].notna().mul(w, axis=0).groupby(key, sort=False).sum()
        return total.div(weight.where(weight > 0)).reset_index()

    def max_abs_smd(self) -> float | None:
        """Largest |SMD| after matching over covariates, pooled over cohorts.

        Pooled with participant weights (per-cohort SMDs of ~70 pairs vary by about 0.17 by
        chance alone). The propensity score row (``distance``) is left out: it is balanced
        by construction.
        """
        b = self.balance()
        if b is None or "smd_after" not in b:
            return None
        v = b.loc[b["covariate"] != "distance", "smd_after"].abs()
        return float(v.max()) if v.notna().any() else None

    def worst_variance_ratio(self) -> float | None:
        """Variance ratio after matching furthest from 1 (on the log scale).

        Pooled over cohorts like :meth:`max_abs_smd`; binary covariates have none.
        """
        b = self.balance()
        if b is None or "var_ratio_after" not in b:
            return None
        v = b.loc[b["covariate"] != "distance", "var_ratio_after"].astype(float).to_numpy()
        v = v[np.isfinite(v) & (v > 0)]
        if v.size == 0:
            return None
        return float(v[np.argmax(np.abs(np.log(v)))])


@dataclass
class OutcomeResult:
    """Everything estimated for one outcome.

    The outcome's spec fields (``name``, ``column``, ``label``, ``unit``, ``type``,
    ``direction``, ``primary``), the headline effect (Callaway-Sant'Anna group aggregation)
    and the simple aggregation, the ATT(g,t), by-cohort and event-time tables, the pre-trend
    test (:class:`PretrendSummary`), the TWFE and unmatched
    Callaway-Sant'Anna comparison with the Bacon decomposition, the honest-DiD bounds, the
    adjusted p-value, the MDES, the participants' baseline mean, the event count of rare
    binary/count outcomes, and ``unavailable``: part name -> why it is not shown (a reason
    of the data or the spec, in words).
    """

    name: str
    column: str
    label: str
    unit: str | None
    type: str
    direction: str
    primary: bool
    headline: Effect | None = None
    simple: Effect | None = None
    att_gt: pd.DataFrame | None = None
    by_cohort: pd.DataFrame | None = None
    event_time: pd.DataFrame | None = None
    pretrend: PretrendSummary | None = None
    twfe: Effect | None = None
    cs_unmatched: Effect | None = None
    twfe_vs_cs: str | None = None
    bacon: pd.DataFrame | None = None
    honest: pd.DataFrame | None = None
    honest_breakdown: float | None = None
    p_adjusted: float | None = None
    adjustment: str | None = None
    mdes: float | None = None
    baseline_mean: float | None = None
    n_events_treated: float | None = None
    rare: bool = False
    unavailable: dict[str, str] = field(default_factory=dict)
    matching: MatchingSummary | None = None
    #: True when the headline came from the matched sample
    matched: bool = True

    @classmethod
    def of(cls, outcome: OutcomeSpec) -> OutcomeResult:
        """The record of ``outcome`` with nothing estimated yet (name, column, label, ...)."""
        return cls(
            name=outcome.name,
            column=outcome.column,
            label=outcome.label or outcome.name,
            unit=outcome.unit,
            type=outcome.type,
            direction=outcome.direction,
            primary=outcome.primary,
        )

    @property
    def favourable(self) -> bool | None:
        """True when the headline estimate moves in the desired direction."""
        if self.headline is None or self.headline.estimate == 0:
            return None
        return (self.headline.estimate > 0) == (self.direction == "increase")


@dataclass
class EvaluationResult:
    """The evaluation: what the report shows and ``results.json`` records.

    ``unavailable`` maps each part that is not in the report to the reason, in words;
    ``warnings`` are the messages of the warnings raised while computing (this run only);
    ``identifiers`` are the unit and cluster identifiers, kept only to redact free text and
    to check outputs, never written anywhere.
    """

    spec: Spec
    programme: dict[str, Any]
    cohorts: pd.DataFrame
    exclusions: pd.DataFrame
    outcomes: dict[str, OutcomeResult]
    matching: MatchingSummary | None
    multiplicity: pd.DataFrame | None
    value: ValueResult | None
    simulation: SimulationResult | None
    evidence: EvidenceAssessment | None
    data_hash: str
    seed: int | None
    unavailable: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    design: str = "matched staggered difference-in-differences"
    identifiers: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def all_identifiers(self) -> frozenset[str]:
        """Every unit and cluster identifier (used to redact free text)."""
        return self._all_identifiers

    @cached_property
    def _all_identifiers(self) -> frozenset[str]:
        return frozenset().union(*self.identifiers.values())

    @property
    def primary(self) -> OutcomeResult:
        """The primary outcome's result."""
        return next(o for o in self.outcomes.values() if o.primary)

    @property
    def threshold(self) -> Threshold:
        """The disclosure threshold with its rounding base (``report.disclosure_*``)."""
        r = self.spec.report
        return Threshold(r.disclosure_threshold, r.disclosure_rounding_base)

    def effects(self) -> dict[str, Effect]:
        """Headline effect of each outcome that was estimated."""
        return {k: o.headline for k, o in self.outcomes.items() if o.headline is not None}
