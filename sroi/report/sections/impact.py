"""Impact by outcome: the estimate, event study, pre-trend test and robustness checks."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.report.disclosure import small_group_rows, suppress_count
from sroi.report.figures import att_gt_plot, event_study_plot
from sroi.report.record import RARE_EVENTS, EvaluationResult, OutcomeResult
from sroi.report.sections.base import Section
from sroi.report.sections.text import (
    ci_text,
    clean_text,
    format_effect,
    html_table,
    lower_first,
    num,
    p_phrase,
    p_value,
    reader_warning,
    reads_in_points,
    unit_words,
)

__all__ = ["impact_details_section", "impact_section"]

#: Parts of an outcome shown in place (their "unavailable" note too); any other unavailable
#: part is listed after the outcome's robustness checks.
_SHOWN_IN_PLACE = ("headline", "event study", "pre-trend test")


def impact_section(result: EvaluationResult) -> Section:
    """Per outcome: estimate and interval, event study, pre-trend test, TWFE versus CS.

    Parameters
    ----------
    result
        The evaluation.

    Returns
    -------
    Section
        One block per outcome, primary first.
    """
    s = Section("Impact")
    s.add('<h2 id="impact">Impact by outcome</h2>')
    o = result.primary
    s.add(f"<h3>{html.escape(o.label)} (main outcome)</h3>")
    if o.headline is None:
        reason = o.unavailable.get("headline", "not estimated")
        s.unavailable(f"effect on {o.label}", clean_text(result, reason))
    else:
        _outcome_block(s, result, o, o.headline)
    if len(result.outcomes) > 1:
        s.add("<h3>Other outcomes</h3>")
        s.p(
            "The other outcomes' effects are in the summary table. Their full results (event "
            "studies and tests of trends before enrolment), effects by enrolment wave, "
            "comparisons with other estimators and robustness bounds for every outcome are in "
            'the <a href="#impact-details">technical appendix</a>.'
        )
    return s


def _outcome_block(s: Section, result: EvaluationResult, o: OutcomeResult, e: Effect) -> None:
    """Estimate table, event study and pre-trend test of one outcome."""
    _estimate_table(s, result, o, e)
    _event_study(s, result, o)
    _pretrend(s, result, o)


def impact_details_section(result: EvaluationResult) -> Section:
    """Per outcome, for the appendix: wave-by-term effects, TWFE versus CS, robustness bounds.

    Parameters
    ----------
    result
        The evaluation.

    Returns
    -------
    Section
        One block per estimated outcome, primary first.
    """
    s = Section("Impact details")
    s.add('<h2 id="impact-details">Impact details by outcome</h2>')
    for o in result.outcomes.values():
        if o.headline is None:
            if not o.primary:
                s.add(f"<h3>{html.escape(o.label)}</h3>")
                reason = o.unavailable.get("headline", "not estimated")
                s.unavailable(f"effect on {o.label}", clean_text(result, reason))
            continue
        s.add(f"<h3>{html.escape(o.label)}{' (main outcome)' if o.primary else ''}</h3>")
        if not o.primary:
            _outcome_block(s, result, o, o.headline)
        _att_gt(s, result, o)
        _school_trends(s, o)
        _twfe_versus_cs(s, result, o)
        _bacon(s, result, o)
        _honest(s, result, o)
        for part, why in o.unavailable.items():
            if part not in _SHOWN_IN_PLACE:
                s.unavailable(part, clean_text(result, why))
    return s


def _estimate_table(s: Section, result: EvaluationResult, o: OutcomeResult, e: Effect) -> None:
    k = result.threshold
    pp = reads_in_points(o.type)
    baseline = (
        f"{o.baseline_mean * 100:.1f}%"
        if pp and o.baseline_mean is not None
        else num(o.baseline_mean)
    )
    rows = [
        ("effect (group aggregation, headline)", format_effect(e.estimate, o.type)),
        (
            f"{int(round(e.level * 100))}% interval",
            ci_text(e, o) + (" percentage points" if pp else ""),
        ),
        ("standard error", format_effect(e.std_error, o.type, signed=False)),
        (
            "p-value" + ("" if o.primary else " (unadjusted / adjusted)"),
            p_value(e.p_value) + ("" if o.primary else f" / {p_value(o.p_adjusted)}"),
        ),
        ("interval type", e.ci_type),
        (
            "participants / comparison pupils",
            f"{suppress_count(e.n_treated, k)} / {suppress_count(e.n_control, k)}",
        ),
        ("participants' average before enrolment", baseline),
        (
            "smallest effect the study could detect (MDES)",
            format_effect(o.mdes, o.type, signed=False),
        ),
    ]
    if o.simple is not None:
        rows.append(
            (
                "simple aggregation (over-weights early waves)",
                format_effect(o.simple.estimate, o.type),
            )
        )
    if o.rare:
        rows.append(
            (
                "caution",
                f"fewer than {RARE_EVENTS} events among participants: too rare to rely on",
            )
        )
    table = pd.DataFrame(rows, columns=["measure", o.unit or "value"])
    s.add(html_table(table, k, caption=f"{o.label}: estimated effect"))


def _scale(o: OutcomeResult) -> float:
    """Factor from the outcome's scale to the reading scale (100 for percentage points)."""
    return 100.0 if reads_in_points(o.type) else 1.0


def _event_study(s: Section, result: EvaluationResult, o: OutcomeResult) -> None:
    if o.event_time is None:
        reason = o.unavailable.get("event study", "not estimated")
        s.unavailable("event study", clean_text(result, reason))
        return
    et = _without_small_groups(s, result, o.event_time, "terms since enrolment")
    if et.empty:
        return
    for c in ("estimate", "ci_low", "ci_high"):
        et[c] = et[c] * _scale(o)
    s.figure(
        event_study_plot(et, outcome_label=lower_first(o.label), unit=unit_words(o)),
        f"{o.label}: effect by term since enrolment. Terms before 0 should be near zero.",
    )


def _pretrend(s: Section, result: EvaluationResult, o: OutcomeResult) -> None:
    pre = o.pretrend
    if pre is None:
        reason = o.unavailable.get("pre-trend test", "not available")
        s.unavailable("pre-trend test", clean_text(result, reason))
        return
    alpha = result.spec.design.alpha
    pv = pre.p_value
    rejected = pv is not None and pv < alpha
    verdict = "trends differed before enrolment" if rejected else "no evidence of different trends"
    if rejected and not pre.reliable:
        verdict += (
            ", but with this few programme schools the test rejects too often: read the "
            "effects before enrolment in the chart above"
        )
    s.p(
        "Test of trends before enrolment (are all effects before enrolment zero?): "
        f"{p_phrase(pv)} (Wald statistic {num(pre.statistic, 2)} on {pre.df} "
        f"restrictions): {verdict}."
    )


def _att_gt(s: Section, result: EvaluationResult, o: OutcomeResult) -> None:
    if o.att_gt is None or o.att_gt.empty:
        return
    a = _without_small_groups(s, result, o.att_gt, "waves and terms")
    if a.empty:
        return
    for c in ("att", "ci_low", "ci_high"):
        a[c] = a[c] * _scale(o)
    s.figure(
        att_gt_plot(
            a,
            outcome_label=lower_first(o.label),
            unit=unit_words(o),
            threshold=result.threshold,
        ),
        f"{o.label}: ATT(g,t), the effect for each enrolment wave g in each term t.",
    )


def _without_small_groups(
    s: Section, result: EvaluationResult, table: pd.DataFrame, what: str
) -> pd.DataFrame:
    """The estimates resting on at least k pupils (an estimate over fewer is not published)."""
    small = small_group_rows(table, result.threshold)
    if small.any():
        s.p(
            f"Estimates for {what} with fewer than {int(result.threshold)} pupils behind them "
            "are not shown: they would describe too few children to publish."
        )
    return table.loc[~small].copy()


def _school_trends(s: Section, o: OutcomeResult) -> None:
    """Programme schools' pre-programme trend against the other schools' (issue 13)."""
    d = o.headline.extra.get("school_pretrend") if o.headline is not None else None
    if not isinstance(d, dict) or d.get("difference_per_period") is None:
        return
    diff = float(d["difference_per_period"]) * _scale(o)
    s.p(
        "Schools' trends before the programme: measured on all their pupils before the first "
        f"wave, the {d.get('n_programme_schools')} programme schools' {lower_first(o.label)} "
        f"changed by {num(diff, 2)} {unit_words(o)} more than the "
        f"{d.get('n_comparison_schools')} other schools' ({num(d.get('std_difference'), 1)} "
        "standard deviations of the other schools' trends); a check that reshuffles which "
        f"schools had the programme gives {p_phrase(d.get('p_value'))}. A clear difference "
        "means the programme schools were already moving apart from the others, which a "
        "comparison across schools can mistake for an effect."
    )


def _twfe_versus_cs(s: Section, result: EvaluationResult, o: OutcomeResult) -> None:
    comp = [
        (name, format_effect(e.estimate, o.type), ci_text(e, o))
        for name, e in (
            ("two-way fixed effects (TWFE), all pupils", o.twfe),
            ("Callaway-Sant'Anna (simple), all pupils", o.cs_unmatched),
        )
        if e is not None
    ]
    if comp:
        columns = ["estimator (unmatched sample)", "effect", "95% interval"]
        s.add(html_table(pd.DataFrame(comp, columns=columns), result.threshold))
        s.p(
            "TWFE regression can be biased when waves start at different times and effects "
            "change over time (Goodman-Bacon, 2021); Callaway-Sant'Anna avoids comparisons with "
            "already enrolled pupils."
        )
    if o.twfe_vs_cs and o.twfe is not None and o.cs_unmatched is not None:
        s.p(
            f"The two estimators disagree materially ({format_effect(o.twfe.estimate, o.type)} "
            f"against {format_effect(o.cs_unmatched.estimate, o.type)}). With enrolment "
            "staggered over time the fixed-effects regression also compares later participants "
            "with pupils already enrolled, which biases it when effects change over time "
            "(Goodman-Bacon, 2021); the report's estimate uses Callaway-Sant'Anna, which avoids "
            "those comparisons.",
            "warn",
        )
    elif o.twfe_vs_cs:
        s.p(clean_text(result, reader_warning(o.twfe_vs_cs)), "warn")


def _bacon(s: Section, result: EvaluationResult, o: OutcomeResult) -> None:
    if o.bacon is None or o.bacon.empty:
        return
    rows = []
    for kind, g in o.bacon.groupby("type", sort=False):
        w = g["weight"].sum()
        avg = np.average(g["estimate"], weights=g["weight"]) if w > 0 else np.nan
        rows.append(
            {
                "comparison": str(kind),
                "share of the estimate's weight": f"{w:.1%}",
                "average estimate": format_effect(float(avg), o.type),
            }
        )
    s.add(
        "<p>Goodman-Bacon (2021) decomposition of the fixed-effects (TWFE) estimate:</p>"
        + html_table(pd.DataFrame(rows), result.threshold)
    )


def _honest(s: Section, result: EvaluationResult, o: OutcomeResult) -> None:
    if o.honest is None:
        return
    h = o.honest[["Mbar", "lb", "ub"]].copy()
    for c in ("lb", "ub"):
        h[c] = [format_effect(v, o.type) for v in h[c]]
    h["Mbar"] = [num(v, 2) for v in h["Mbar"]]
    h.columns = ["robustness ratio (after/before difference)", "lower bound", "upper bound"]
    bd = o.honest_breakdown
    s.add(
        "<p>Robustness to different trends (Rambachan &amp; Roth, 2023, relative "
        "magnitudes; average effect after enrolment, Sun &amp; Abraham event study): "
        "95% intervals if trends after enrolment could differ by up to the robustness ratio "
        "times the largest difference before enrolment"
        + (
            f"; the conclusion holds up to a robustness ratio of {num(bd, 2)}"
            if bd is not None
            else ""
        )
        + ".</p>"
        + html_table(h, result.threshold)
    )
