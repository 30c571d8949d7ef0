"""Step 7: the Maryland Scientific Methods Scale rating of the evaluation, in plain words."""

from __future__ import annotations

from collections.abc import Callable

from sroi.report.evidence import EvidenceAssessment, assess_evidence
from sroi.report.record import EvaluationResult

__all__ = ["assess"]


def assess(result: EvaluationResult) -> EvidenceAssessment:
    """Maryland SMS level of the design used, with plain-words diagnostics.

    Parameters
    ----------
    result
        The evaluation, with the primary outcome's headline estimated.

    Returns
    -------
    EvidenceAssessment
        From the primary outcome's diagnostics and the comparison group's balance.
    """
    prim = result.primary
    if prim.headline is None:
        design = "assumed effects" if result.value is not None else "difference-in-differences"
    else:
        design = result.design
    m = result.matching
    pre = prim.pretrend
    rare = [o.label for o in result.outcomes.values() if o.rare]
    return assess_evidence(
        design,
        max_abs_smd=None if m is None else m.max_abs_smd(),
        worst_variance_ratio=None if m is None else m.worst_variance_ratio(),
        pretrend_p=None if pre is None else pre.p_value,
        pretrend_reliable=True if pre is None else pre.reliable,
        alpha=result.spec.design.alpha,
        honest_breakdown=prim.honest_breakdown,
        share_treated_unmatched=None if m is None else m.share_unmatched,
        n_treated_clusters=result.programme.get("n_treated_clusters"),
        primary_estimate=None if prim.headline is None else prim.headline.estimate,
        primary_mdes=prim.mdes,
        primary_p=None if prim.headline is None else prim.headline.p_value,
        rare_outcomes=rare or None,
        effect_format=_effect_formatter(prim.type),
    )


def _effect_formatter(outcome_type: str) -> Callable[[float], str]:
    def fmt(v: float) -> str:
        if outcome_type in ("rate", "binary"):
            return f"{v * 100:.2f} percentage points"
        return f"{v:.3g}"

    return fmt
