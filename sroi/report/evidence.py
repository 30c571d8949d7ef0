"""Evidence strength: the Maryland Scientific Methods Scale level and the diagnostics behind it.

The Maryland Scientific Methods Scale (SMS; Sherman et al., 1997, *Preventing Crime: What
Works, What Doesn't, What's Promising*) rates how well a design rules out other explanations:

====  ==================================================================================
1     correlation at one point in time, no comparison
2     before-after without a comparison group, or a comparison without a before period
3     before and after, with a comparison group (difference-in-differences)
4     quasi-random variation (e.g. a discontinuity, an instrument, a natural experiment)
5     random assignment
====  ==================================================================================

A design's level is a ceiling. This module states the level of the design *actually used*
and lists, in plain words, the diagnostics that lower confidence in it. Our rule (a choice,
documented here, not part of the scale itself): a *serious* concern (the comparison group
was still unbalanced after matching, or the trends before the programme differed) means the
comparison cannot be relied on to show what would have happened without the programme, so
the report rates the evidence one level lower than the design; other concerns are listed
without changing the level. Confidence in the comparison is "higher" with no concern,
"moderate" with one or two, and "low" with three or more or any serious concern.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sroi.errors import SroiInputError

__all__ = [
    "Diagnostic",
    "EvidenceAssessment",
    "assess_evidence",
    "p_phrase",
    "SMS_LEVELS",
    "DESIGN_LEVELS",
]

SMS_LEVELS: dict[int, str] = {
    1: "a correlation at one point in time, with no comparison group",
    2: "a before-and-after comparison without a comparison group, or a comparison group "
    "without a before period",
    3: "outcomes before and after the programme, compared with a comparison group "
    "(difference-in-differences)",
    4: "a comparison where who took part was as good as random (quasi-random variation)",
    5: "a randomised controlled trial",
}

#: Level of each design this package can report.
DESIGN_LEVELS: dict[str, int] = {
    "matched staggered difference-in-differences": 3,
    "staggered difference-in-differences": 3,
    "difference-in-differences": 3,
    "matched comparison (after only)": 2,
    "before-after": 2,
    "assumed effects": 1,
}


@dataclass(frozen=True)
class Diagnostic:
    """One check that can lower confidence.

    ``status`` is ``"ok"``, ``"concern"``, ``"serious"`` or ``"not assessed"``; ``message`` is
    a sentence a committee member understands without statistics training.
    """

    name: str
    status: Literal["ok", "concern", "serious", "not assessed"]
    message: str

    def to_dict(self) -> dict[str, str]:
        """The diagnostic as a plain dict (``name``, ``status``, ``message``)."""
        return asdict(self)


@dataclass(frozen=True)
class EvidenceAssessment:
    """The evidence rating shown in the headline."""

    design: str
    design_level: int
    sms_level: int
    level_description: str
    confidence: Literal["higher", "moderate", "low"]
    diagnostics: tuple[Diagnostic, ...] = field(default_factory=tuple)

    @property
    def concerns(self) -> list[Diagnostic]:
        """The diagnostics that raised a concern (serious or not)."""
        return [d for d in self.diagnostics if d.status in ("concern", "serious")]

    def summary(self) -> str:
        """Plain-words paragraph: level, what it means, and what lowers confidence."""
        head = (
            f"Evidence strength: Maryland Scientific Methods Scale level {self.sms_level} of 5 "
            f"({self.level_description})."
        )
        if self.sms_level < self.design_level:
            head += (
                f" The design ({self.design}) could reach level {self.design_level}, but the "
                "checks below mean its comparison group cannot be fully relied on."
            )
        if not self.concerns:
            return head + " No diagnostic check raised a concern."
        return head + " What lowers confidence: " + " ".join(d.message for d in self.concerns)

    def to_dict(self) -> dict[str, Any]:
        """The assessment as plain JSON-ready data (as ``results.json`` records it)."""
        return {
            "design": self.design,
            "design_level": self.design_level,
            "sms_level": self.sms_level,
            "level_description": self.level_description,
            "confidence": self.confidence,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


def _finite(x: float | None) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def p_phrase(p: float | None) -> str:
    """A p-value as the report writes it in a sentence: ``p = 0.018`` or ``p < 0.001``.

    The one p-value format of the report (tables show the same text without the ``p``).

    Parameters
    ----------
    p
        The p-value, or None.

    Returns
    -------
    str
        ``"p = 0.018"``, ``"p < 0.001"`` or ``"p not available"``.
    """
    if p is None or not _finite(p):
        return "p not available"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def assess_evidence(
    design: str,
    *,
    max_abs_smd: float | None = None,
    worst_variance_ratio: float | None = None,
    pretrend_p: float | None = None,
    pretrend_reliable: bool = True,
    alpha: float = 0.05,
    honest_breakdown: float | None = None,
    share_treated_unmatched: float | None = None,
    n_treated_clusters: int | None = None,
    primary_estimate: float | None = None,
    primary_mdes: float | None = None,
    primary_p: float | None = None,
    rare_outcomes: list[str] | None = None,
    smd_threshold: float = 0.1,
    min_treated_clusters: int = 10,
    effect_format: Callable[[float], str] | None = None,
) -> EvidenceAssessment:
    """Rate the evidence and explain the rating in plain words.

    Parameters
    ----------
    design
        One of :data:`DESIGN_LEVELS` (the design actually used).
    max_abs_smd, worst_variance_ratio
        Largest absolute standardised mean difference after matching (difference in means
        over the treated SD; balanced when below ``smd_threshold``, usually 0.1) and the
        variance ratio furthest from 1 (acceptable within 0.5-2).
    pretrend_p
        P-value of the joint test that effects before the programme are all zero
        (primary outcome). Below ``alpha`` is a serious concern.
    pretrend_reliable
        False when the test is known to over-reject (e.g. a clustered Wald test with at
        least as many pre-period cells as treated clusters); a rejection is then a concern,
        not a serious one, and the report points to the pre-period estimates instead.
    honest_breakdown
        Breakdown value of the Rambachan & Roth (2023) relative-magnitudes bounds: how large
        a post-programme violation of parallel trends, relative to the largest pre-programme
        one, would overturn the conclusion. Below 1 means fragile.
    share_treated_unmatched
        Share of programme participants without a comparison match (outside common
        support or beyond the caliper). Above 10% is a concern (the estimate then describes
        only the matched participants).
    n_treated_clusters
        Number of clusters (schools) with participants; below ``min_treated_clusters``
        makes standard errors less reliable (Cameron, Gelbach & Miller, 2008).
    primary_estimate, primary_mdes
        Primary outcome effect and minimum detectable effect size (80% power, 5% level:
        MDES ~= 2.8 x SE, Bloom, 1995).
    primary_p
        P-value of the primary outcome's effect: the one source of "is this distinguishable
        from zero" for the study-size message (it never contradicts the headline).
    rare_outcomes
        Outcomes with too few events to estimate reliably.
    effect_format
        Formats an effect size for the messages (e.g. as percentage points); default
        3 significant digits.
    """
    fmt = effect_format or (lambda v: f"{v:.3g}")
    if design not in DESIGN_LEVELS:
        raise SroiInputError(
            f"assess_evidence: unknown design {design!r}; use one of {sorted(DESIGN_LEVELS)}"
        )
    candidates = [
        _balance(max_abs_smd, smd_threshold),
        _spread(worst_variance_ratio),
        _pretrend(pretrend_p, pretrend_reliable, alpha),
        _robustness(
            honest_breakdown,
            None if primary_p is None or not _finite(primary_p) else primary_p < alpha,
        ),
        _overlap(share_treated_unmatched),
        _clusters(n_treated_clusters, min_treated_clusters),
        _study_size(primary_estimate, primary_mdes, fmt, primary_p, alpha),
        _rare(rare_outcomes),
    ]
    return _rating(design, tuple(d for d in candidates if d is not None))


def _rating(design: str, diags: tuple[Diagnostic, ...]) -> EvidenceAssessment:
    """The SMS level and confidence from the design's level and the diagnostics."""
    level = DESIGN_LEVELS[design]
    serious = any(d.status == "serious" for d in diags)
    n_concern = sum(d.status == "concern" for d in diags)
    sms = max(1, level - 1) if serious else level
    # confidence in the comparison (our reporting rule, stated in the module docstring)
    confidence: Literal["higher", "moderate", "low"]
    if serious or sms <= 2 or n_concern >= 3:
        confidence = "low"
    elif n_concern >= 1:
        confidence = "moderate"
    else:
        confidence = "higher"
    return EvidenceAssessment(
        design=design,
        design_level=level,
        sms_level=sms,
        level_description=SMS_LEVELS[sms],
        confidence=confidence,
        diagnostics=diags,
    )


def _balance(max_abs_smd: float | None, smd_threshold: float) -> Diagnostic:
    name = "balance after matching"
    if max_abs_smd is None or not _finite(max_abs_smd):
        return Diagnostic(name, "not assessed", "Balance after matching could not be checked.")
    if max_abs_smd > 2 * smd_threshold:
        return Diagnostic(
            name,
            "serious",
            f"After matching, the comparison group still differed clearly from participants "
            f"on at least one characteristic (largest standardised difference "
            f"{max_abs_smd:.2f}; below {smd_threshold:g} is the usual standard).",
        )
    if max_abs_smd > smd_threshold:
        return Diagnostic(
            name,
            "concern",
            f"After matching, the comparison group differed slightly from participants on at "
            f"least one characteristic (largest standardised difference {max_abs_smd:.2f}; "
            f"below {smd_threshold:g} is the usual standard).",
        )
    return Diagnostic(
        name,
        "ok",
        "After matching, participants and the comparison group were similar on every "
        "characteristic checked.",
    )


def _spread(worst_variance_ratio: float | None) -> Diagnostic | None:
    if worst_variance_ratio is None or not _finite(worst_variance_ratio):
        return None
    if 0.5 <= worst_variance_ratio <= 2:
        return None
    return Diagnostic(
        "spread after matching",
        "concern",
        f"The spread of at least one characteristic differed between the groups (variance "
        f"ratio {worst_variance_ratio:.2f}; 0.5 to 2 is acceptable).",
    )


def _pretrend(p: float | None, reliable: bool, alpha: float) -> Diagnostic:
    name = "trends before the programme"
    if p is None or not _finite(p):
        return Diagnostic(name, "not assessed", "Trends before the programme could not be tested.")
    if p < alpha and not reliable:
        return Diagnostic(
            name,
            "concern",
            f"The test of trends before the programme found a difference ({p_phrase(p)}), but with "
            "so few programme schools this test rejects too often; read the effects before "
            "enrolment in the event-study chart instead (they should be close to zero).",
        )
    if p < alpha:
        return Diagnostic(
            name,
            "serious",
            f"Before the programme started, participants' outcomes were already moving "
            f"differently from the comparison group's (test {p_phrase(p)}), so the "
            "comparison group may not show what would have happened without the programme.",
        )
    return Diagnostic(
        name,
        "ok",
        f"Before the programme, participants' and the comparison group's outcomes moved "
        f"in step (no significant difference, {p_phrase(p)}). This supports, but "
        "cannot prove, the assumption that they would have kept doing so.",
    )


def _robustness(breakdown: float | None, significant: bool | None = None) -> Diagnostic | None:
    name = "robustness to different trends"
    if breakdown is None or not _finite(breakdown):
        return None
    if significant is False:
        return Diagnostic(
            name,
            "concern" if breakdown < 1 else "ok",
            "The main estimate cannot be told apart from zero, so there is no positive "
            "finding for different trends to overturn. The event-study version of the effect "
            f"would stay clear of zero only while trends after the start differed by less "
            f"than {breakdown:.2f} times the largest difference seen before the start "
            f"(robustness ratio {breakdown:.2f}; Rambachan & Roth, 2023).",
        )
    if breakdown < 1:
        return Diagnostic(
            name,
            "concern",
            f"The conclusion would change if trends after the start differed by "
            f"{breakdown:.2f} times the largest difference seen before the start (robustness "
            f"ratio {breakdown:.2f}; 1 or more is reassuring), so it is fragile "
            "(Rambachan & Roth, 2023).",
        )
    return Diagnostic(
        name,
        "ok",
        f"The conclusion holds unless trends after the start differed by more than "
        f"{breakdown:.2f} times the largest difference seen before the start (robustness "
        f"ratio {breakdown:.2f}; Rambachan & Roth, 2023).",
    )


def _overlap(share_unmatched: float | None) -> Diagnostic | None:
    if share_unmatched is None or not _finite(share_unmatched):
        return None
    if share_unmatched > 0.10:
        return Diagnostic(
            "overlap",
            "concern",
            f"{share_unmatched:.0%} of participants had no similar pupil in the comparison "
            "pool and are not in the estimate; the result describes the participants who could "
            "be matched.",
        )
    return Diagnostic(
        "overlap", "ok", "Almost every participant had a similar pupil in the comparison pool."
    )


def _clusters(n_treated_clusters: int | None, minimum: int) -> Diagnostic | None:
    if n_treated_clusters is None or n_treated_clusters >= minimum:
        return None
    return Diagnostic(
        "number of programme schools",
        "concern",
        f"The programme ran in fewer than {minimum} schools, so a "
        "difference specific to those schools is hard to tell apart from the programme's "
        "effect, and the margins of error are less reliable.",
    )


def _study_size(
    estimate: float | None,
    mdes: float | None,
    fmt: Callable[[float], str],
    p: float | None = None,
    alpha: float = 0.05,
) -> Diagnostic | None:
    if estimate is None or mdes is None or not (_finite(estimate) and _finite(mdes)):
        return None
    if abs(estimate) >= mdes:
        return Diagnostic(
            "size of study",
            "ok",
            f"The study was large enough to detect an effect of the size found "
            f"(smallest reliably detectable effect {fmt(mdes)}).",
        )
    if p is not None and _finite(p) and p < alpha:
        return Diagnostic(
            "size of study",
            "concern",
            f"The effect on the main outcome ({fmt(estimate)}) is distinguishable from zero "
            f"({p_phrase(p)}), but it is smaller than the effect this study was large enough "
            f"to detect reliably ({fmt(mdes)}); effects found in studies of this size tend to "
            "overstate the true effect, so its size is uncertain.",
        )
    return Diagnostic(
        "size of study",
        "concern",
        f"The estimated effect on the main outcome ({fmt(estimate)}) is smaller "
        f"than the smallest effect this study could reliably detect ({fmt(mdes)}), "
        "so a real but small effect cannot be told apart from none.",
    )


def _rare(rare_outcomes: list[str] | None) -> Diagnostic | None:
    if not rare_outcomes:
        return None
    return Diagnostic(
        "rare outcomes",
        "concern",
        "Some outcomes were too rare to estimate reliably: "
        + ", ".join(rare_outcomes)
        + ". Their results are shown for completeness but should not be relied on.",
    )
