"""The committee summary: main outcome, other outcomes, value for money, evidence strength."""

from __future__ import annotations

import html
import math

import pandas as pd

from sroi.effect import Effect
from sroi.report.disclosure import suppress_count
from sroi.report.record import EvaluationResult, OutcomeResult
from sroi.report.sections.base import Section
from sroi.report.sections.text import (
    SCHOOL_DAYS_PER_YEAR,
    cell_text,
    ci_text,
    clean_text,
    format_effect,
    html_table,
    lower_first,
    money,
    num,
    p_phrase,
    p_value,
    percent,
    pounds,
    reads_in_points,
    school_days,
    significance,
)
from sroi.report.sections.value import nearest_break_even
from sroi.report.steps.value import (
    ValueHeadline,
    ValueReliance,
    value_headline,
    value_reliance,
)

__all__ = [
    "CONTENTS",
    "bottom_line",
    "contents",
    "headline_section",
    "value_summary_section",
    "value_transparency",
    "what_would_change",
]

#: (anchor, title) of the evaluation report's parts, in the order the notebook shows them.
CONTENTS = (
    ("summary", "Summary"),
    ("programme", "Programme and cohorts"),
    ("comparison", "Comparison group"),
    ("impact", "Impact by outcome"),
    ("value", "Value: who benefits, and when"),
    ("sensitivity", "Sensitivity"),
    ("limitations", "Limitations"),
    (
        "appendix",
        "Technical appendix: method notes, balance, impact details, value details, "
        "assumptions, notes raised while computing, provenance",
    ),
)


def contents() -> str:
    """The contents list with in-page links (HTML).

    Returns
    -------
    str
        A ``nav`` landmark with one link per part of the report.
    """
    items = "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for a, t in CONTENTS)
    return f'<nav aria-label="Contents"><h2>Contents</h2><ol>{items}</ol></nav>'


_MULTIPLICITY_WORDS = {
    "holm": "Holm (1979)",
    "bh": "Benjamini &amp; Hochberg (1995)",
    "none": "no",
}


def headline_section(result: EvaluationResult) -> Section:
    """Summary for a committee: primary outcome, secondary outcomes, value, evidence strength.

    Parameters
    ----------
    result
        The evaluation.

    Returns
    -------
    Section
        The report's first section.
    """
    s = Section("Headline")
    k = result.threshold
    prog = result.programme
    s.add(f"<h1>{html.escape(result.spec.report.title)}</h1>")
    s.p(f"<strong>Bottom line:</strong> {bottom_line(result)}", "key bottom-line")
    schools = prog.get("n_treated_clusters")
    s.p(
        f"{html.escape(prog['name'])}. Participants: {suppress_count(prog['n_treated'], k)} pupils "
        f"in {'n/a' if schools is None else int(schools)} "
        f"schools, compared with similar pupils who did not take part."
    )
    s.add('<h2 id="summary">Summary</h2>')
    _main_outcome(s, result)
    _other_outcomes(s, result)
    _value_for_money(s, result)
    _evidence(s, result)
    s.p(
        f"Counts below {k} are shown as &lt;{k} to protect the children in the data; no "
        "individual record or identifier appears in this report.",
    )
    s.add(contents())
    return s


def value_summary_section(result: EvaluationResult) -> Section:
    """Value for money on its own (the finance re-run report's headline).

    Parameters
    ----------
    result
        A value re-run (or an evaluation).

    Returns
    -------
    Section
        Title and value for money.
    """
    s = Section("Value for money")
    s.add(f"<h1>{html.escape(result.spec.report.title)}: value re-run</h1>")
    _value_for_money(s, result, level=2)
    return s


def _impact_clause(result: EvaluationResult) -> str:
    """The main effect in words, in the outcome's unit and in school days where it applies."""
    prim = result.primary
    e = prim.headline
    if e is None:
        return f"the effect on {html.escape(prim.label.lower())} could not be estimated"
    sig, p = significance(prim, result.spec.design.alpha)
    size = format_effect(abs(e.estimate), prim.type, signed=False)
    days = school_days(prim, e.estimate)
    size += f" ({days})" if days else ""
    word = "rose" if e.estimate > 0 else "fell"
    label = html.escape(prim.label.lower() if prim.label[1:2].islower() else prim.label)
    if p is not None and p < result.spec.design.alpha:
        return (
            f"{label} {word} by {size}, a difference unlikely to be due to chance ({p_phrase(p)})"
        )
    change = "a rise" if e.estimate > 0 else "a fall"
    return (
        f"there is no detectable effect on {label}: the estimate, {change} of {size}, could be due "
        f"to chance ({p_phrase(p)})"
    )


def bottom_line(result: EvaluationResult) -> str:
    """One sentence joining impact, value for money and the strength of evidence.

    Parameters
    ----------
    result
        The evaluation.

    Returns
    -------
    str
        HTML-safe text, the same numbers as the sections below it.
    """
    parts = [_impact_clause(result)]
    vh = value_headline(result)
    if vh is not None:
        ratio = vh.sroi_ratio
        pays = "so it paid for itself" if ratio >= 1 else "so it did not pay for itself"
        parts.append(f"each £1 spent returned {pounds(ratio)} in valued benefits, {pays}")
    ev = result.evidence
    if ev is not None:
        parts.append(
            f"confidence in the evidence is {ev.confidence} (Maryland Scientific Methods "
            f"Scale level {ev.sms_level} of 5)"
        )
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def _main_outcome(s: Section, result: EvaluationResult) -> None:
    prim = result.primary
    s.add("<h3>Main outcome</h3>")
    e = prim.headline
    if e is None:
        reason = prim.unavailable.get("headline", "not estimated")
        s.unavailable(f"effect on {prim.label}", clean_text(result, reason))
        return
    sig, p = significance(prim, result.spec.design.alpha)
    days = school_days(prim, e.estimate)
    size = (
        f"{format_effect(abs(e.estimate), prim.type, signed=False)} "
        f"{'higher' if e.estimate > 0 else 'lower'}"
    )
    interval = (
        f"{int(round(e.level * 100))}% confidence interval {ci_text(e, prim)}"
        f"{' percentage points' if reads_in_points(prim.type) else ''}"
    )
    if p is not None and p < result.spec.design.alpha:
        fav = {True: "an improvement", False: "a worsening", None: "no change"}[prim.favourable]
        lead = (
            f"<strong>{html.escape(prim.label)}</strong> of participants was "
            f"<strong>{size}</strong> per term than it would have been without the programme "
            f"({fav}"
            + (f"; {days}, at {SCHOOL_DAYS_PER_YEAR} school days a year" if days else "")
            + f"); {interval}. This difference is unlikely to be due to chance ({p_phrase(p)})."
        )
    else:
        lead = (
            f"<strong>No detectable effect on {html.escape(lower_first(prim.label))}</strong>: "
            f"the estimate for participants is {size} per term than without the programme"
            + (f" ({days}, at {SCHOOL_DAYS_PER_YEAR} school days a year)" if days else "")
            + f", but the {interval} includes no effect, so the difference could be due to "
            f"chance (not statistically significant, {p_phrase(p)})."
        )
    ev = result.evidence
    s.p(
        lead
        + (
            f" Confidence in this evidence: <strong>{ev.confidence}</strong> (see Strength of "
            "evidence below)."
            if ev is not None
            else ""
        ),
        "key",
    )
    s.p(
        "How to read this: the estimate compares participants' change over time with the "
        "change for matched pupils who did not take part (difference-in-differences), averaged "
        "over the enrolment waves (Callaway &amp; Sant'Anna, 2021). The interval shows the "
        "range of effects consistent with the data."
    )
    s.p(_inference_sentence(e))
    ri_line = _randomization_line(e, p, result.spec.design.alpha)
    if ri_line:
        s.p(ri_line)


def _inference_sentence(e: Effect) -> str:
    """One plain sentence on the inference behind the headline interval (issue 13).

    It says which level the standard errors are clustered at and why (the pipeline's
    ``extra["cluster_choice"]`` sentence when present) and, with few programme schools,
    that t critical values are used.
    """
    extra = e.extra if isinstance(e.extra, dict) else {}
    df, why = extra.get("df"), extra.get("cluster_choice")
    if not e.cluster:
        return (
            "Uncertainty: the interval treats pupils as independent of each other; pupils in "
            "the same school are often alike, so it may be too narrow."
        )
    where = "the same school" if "school" in str(e.cluster).lower() else "the same cluster"
    text = f"Uncertainty: the interval allows for pupils in {where} being alike (clustered standard errors)"
    if isinstance(why, str) and ", because " in why:
        text += ", because " + html.escape(why.split(", because ", 1)[1].rstrip("."))
    if isinstance(df, int | float) and not isinstance(df, bool) and df > 0:
        df = int(df)
        return (
            text + f"; with only {df + 1} programme schools it uses a t distribution with {df} "
            "degrees of freedom, which gives a wider, more honest interval than the usual normal "
            "one (Cameron, Gelbach &amp; Miller, 2008)."
        )
    return text + "."


def _randomization_line(
    e: Effect, p_headline: float | None = None, alpha: float = 0.05
) -> str | None:
    """The randomisation check beside the inference sentence (``extra["randomization"]``).

    When the check and the headline fall on different sides of ``alpha`` the line says why
    they can differ, and that the interval is the main result.
    """
    ri = e.extra.get("randomization") if isinstance(e.extra, dict) else None
    if not isinstance(ri, dict) or ri.get("p_value") is None:
        return None
    p, k = float(ri["p_value"]), ri.get("n_programme_schools")
    few = isinstance(k, int) and k < 10
    how = (
        "on an unmatched comparison adjusted for the same pupil characteristics and history"
        if "adjusted by regression" in str(ri.get("method", ""))
        else "on the simpler unmatched comparison"
    )
    text = (
        "A check that reshuffles which schools had the programme "
        f"({ri.get('n_draws')} times, {how}) gives {p_phrase(p)} ({k} programme schools of "
        f"{ri.get('n_schools')}"
    )
    head_sig = p_headline is not None and p_headline < alpha
    if p <= alpha and p_headline is not None and not head_sig:
        return (
            text + "). It tests only whether the programme made no difference to anyone, and "
            "assumes the programme schools could equally have been any of the schools; the "
            "interval above makes neither assumption and, with few programme schools, is "
            "deliberately cautious, so it remains the main result."
        )
    if p > alpha and head_sig and not few:
        return text + "). It does not confirm the result above: read that result with caution."
    if few and p > alpha:
        text += "; with so few schools this check has little power"
        if head_sig:
            text += ", so it does not call the result above into question"
    return text + ")."


def _reading(o: OutcomeResult, sig: str) -> str:
    """Plain-words reading of one outcome's result for the headline table."""
    if o.rare:
        return "too rare to estimate reliably"
    se = o.headline.std_error if o.headline is not None else None
    if not se or not math.isfinite(se):
        return "could not be estimated"
    if not sig.startswith("is unlikely"):
        return "no detectable effect (could be chance)"
    if o.favourable is None:
        return "change, unlikely to be chance"
    return ("improvement" if o.favourable else "worsening") + ", unlikely to be chance"


def _outcome_row(result: EvaluationResult, o: OutcomeResult) -> dict[str, str]:
    e = o.headline
    if e is None:
        return {
            "outcome": o.label,
            "effect": "not estimated",
            "95% interval": "",
            "p-value": "",
            "adjusted p-value": "",
            "reading": cell_text(result, o.unavailable.get("headline", "")),
        }
    sig, _ = significance(o, result.spec.design.alpha)
    return {
        "outcome": o.label + (" (too rare to rely on)" if o.rare else ""),
        "effect": format_effect(e.estimate, o.type)
        + ("" if reads_in_points(o.type) else f" {o.unit or ''}"),
        "95% interval": ci_text(e, o),
        "p-value": p_value(e.p_value),
        "adjusted p-value": p_value(o.p_adjusted),
        "reading": _reading(o, sig),
    }


def _other_outcomes(s: Section, result: EvaluationResult) -> None:
    sec = [o for o in result.outcomes.values() if not o.primary]
    if not sec:
        return
    s.add("<h3>Other outcomes</h3>")
    rows = [_outcome_row(result, o) for o in sec]
    s.add(html_table(pd.DataFrame(rows), result.threshold, caption="Effects on the other outcomes"))
    words = _MULTIPLICITY_WORDS[result.spec.design.multiplicity]
    s.p(
        f"Several outcomes were tested, so by chance alone one may look significant. The "
        f"adjusted p-values use the {words} correction over the {len(sec)} secondary outcomes; "
        "the main outcome was chosen in advance and is not adjusted."
    )


def _value_sentence(vh: ValueHeadline) -> str:
    """Every £1 returned ..., NPV, payback, chance of a positive NPV (observed values only)."""
    ratio = vh.sroi_ratio
    if ratio >= 0:
        lead = f"Every £1 invested returned <strong>£{num(ratio, 2)}</strong> of value"
    else:
        lead = (
            "The estimated effects imply a net loss of value (SROI ratio "
            f"<strong>{num(ratio, 2)}</strong>)"
        )
    if ratio < 1:
        lead = "Benefits did not cover costs. " + lead
    iv, npv_iv = vh.sroi_interval, vh.npv_interval
    txt = (
        lead
        + (f" (Monte Carlo 95% interval {pounds(iv[0])} to {pounds(iv[1])})" if iv else "")
        + f". Net present value {money(vh.npv)}"
        + (f" (interval {money(npv_iv[0])} to {money(npv_iv[1])})" if npv_iv else "")
        + "; "
        + (
            f"costs paid back after {num(vh.payback_year, 1)} years"
            if math.isfinite(vh.payback_year)
            else "no payback within the appraisal period"
        )
        + "."
    )
    if vh.prob_npv_positive is not None:
        txt += f" Chance that benefits exceed costs: {vh.prob_npv_positive:.0%}."
    return txt


def _value_for_money(s: Section, result: EvaluationResult, level: int = 3) -> None:
    """The value-for-money paragraph of the headline (observed values only)."""
    s.add(f"<h{level}>Value for money</h{level}>")
    vh = value_headline(result)
    if vh is None:
        reason = result.unavailable.get("value", "not computed")
        s.unavailable("value for money", clean_text(result, reason))
        return
    rel = value_reliance(result)
    s.p(_value_sentence(vh) + _reliance_sentence(rel), "key")
    s.p("<strong>What would change the conclusion:</strong> " + what_would_change(result, rel))
    s.add("<ul>" + "".join(f"<li>{t}</li>" for t in value_transparency(result, vh)) + "</ul>")
    s.p(
        "Only values from effects observed in this evaluation are in these figures; values "
        "that rely on modelled chains (e.g. a referral leading to a later placement) are shown "
        "separately in the value section."
    )


def _reliance_sentence(rel: ValueReliance | None) -> str:
    """How much of the headline benefit rests on illustrative or low-confidence unit costs."""
    if rel is None or rel.share_weak is None:
        return ""
    return (
        f" {percent(rel.share_weak)} of the valued benefits rest on illustrative or "
        f"low-confidence unit costs ({percent(rel.share_illustrative)} on illustrative ones)"
        + ("; the delivery costs are illustrative too." if rel.costs_illustrative else ".")
    )


def what_would_change(result: EvaluationResult, rel: ValueReliance | None = None) -> str:
    """What would make benefits equal costs, in words (HTML-safe).

    The multiple of every valued effect at which benefits equal costs (benefits are linear in
    the effects), and the nearest single input that can break even within a plausible range
    (the first row of the sensitivity section's break-even table, in its format).

    Parameters
    ----------
    result
        The evaluation (or a value re-run).
    rel
        Its :func:`~sroi.report.steps.value.value_reliance` (computed when not given).

    Returns
    -------
    str
        One or two sentences.
    """
    rel = rel if rel is not None else value_reliance(result)
    v = result.value
    if v is None or rel is None:
        return "nothing was valued."
    ratio = float(v.sroi_ratio)
    k = rel.effect_multiple
    if k is None:
        out = (
            "the valued effects together lose value or are zero, so no scaling of them makes "
            "benefits equal costs"
        )
    elif ratio < 1:
        out = f"benefits would equal costs only if every valued effect were {num(k, 1)} times its estimate"
    else:
        out = (
            f"benefits would fall to the level of costs if every valued effect were "
            f"{num(k, 2)} times its estimate ({percent(1 - k)} smaller)"
        )
    nearest = nearest_break_even(result)
    if nearest is None:
        out += "; no single input can break even within a plausible range of its value."
    else:
        name, central, value = nearest
        out += (
            f"; the nearest single input to break even is {html.escape(name)}, at "
            f"{value} against {central} now (see Sensitivity)."
        )
    return out[0].upper() + out[1:]


def _evidence(s: Section, result: EvaluationResult) -> None:
    s.add("<h3>Strength of evidence</h3>")
    ev = result.evidence
    if ev is None:
        reason = result.unavailable.get("evidence strength", "not assessed")
        s.unavailable("evidence strength", clean_text(result, reason))
        return
    s.p(
        f"<strong>Maryland Scientific Methods Scale level {ev.sms_level} of 5</strong> "
        f"({html.escape(ev.level_description)}); confidence in the comparison: "
        f"<strong>{ev.confidence}</strong>.",
        "key",
    )
    concerns = [d.name + (" (serious)" if d.status == "serious" else "") for d in ev.concerns]
    passed = [d.name for d in ev.diagnostics if d.status == "ok"]
    text = (
        "Concerns: " + html.escape("; ".join(concerns)) + ' (each explained under <a href="'
        '#limitations">Limitations</a>).'
        if concerns
        else "No concern was found in the checks of the comparison."
    )
    if passed and concerns:
        text += " Checks passed: " + html.escape("; ".join(passed)) + "."
    s.p(text)


def _reductions(assumptions: pd.DataFrame) -> list[str]:
    """Confidence-grade reductions applied to unit costs, e.g. ``"40% (grade 5)"``."""
    import re

    seen: dict[str, str] = {}
    for grade, note in zip(assumptions["confidence"], assumptions["note"], strict=True):
        m = re.search(r"confidence reduction (\d+%)", str(note))
        if m and str(grade).startswith("grade"):
            seen[str(grade)] = m.group(1)
    return [f"{cut} ({grade})" for grade, cut in sorted(seen.items(), reverse=True)]


def _illustrative_costs(assumptions: pd.DataFrame) -> bool:
    rows = assumptions[assumptions["parameter"].astype(str).str.startswith("delivery:")]
    return bool(rows["source"].astype(str).str.startswith("illustrative").any())


def _optimism_bias(assumptions: pd.DataFrame) -> float | None:
    rows = assumptions[assumptions["parameter"].astype(str) == "optimism_bias.costs"]
    return None if rows.empty else float(rows["value"].iloc[0])


def _top_driver(result: EvaluationResult) -> str | None:
    """A note when the largest sensitivity driver rests on a non-significant effect."""
    sim = result.simulation
    if sim is None or sim.tornado.empty:
        return None
    t = sim.tornado
    swing = (t["ratio_at_high"] - t["ratio_at_low"]).abs()
    name = str(t.loc[swing.idxmax(), "parameter"])
    kind, _, outcome = name.partition(":")
    o = result.outcomes.get(outcome)
    if kind != "effect" or o is None:
        return None
    _, p = significance(o, result.spec.design.alpha)
    if p is None or p < result.spec.design.alpha:
        return None
    return (
        f"The input that moves the ratio most is the effect on {html.escape(o.label)}, which "
        f"is not statistically significant ({p_phrase(p)}): the value figures lean on an "
        "effect that could be due to chance."
    )


def value_transparency(result: EvaluationResult, vh: ValueHeadline) -> list[str]:
    """What drives the value headline, in plain words (HTML-safe sentences).

    Confidence-grade reductions, optimism bias and illustrative costs, the cashable return,
    why the SROI ratio equals the financial return when only fiscal lines are valued, which
    effects are valued, and a non-significant effect driving the sensitivity.

    Parameters
    ----------
    result
        The evaluation (or a value re-run).
    vh
        Its value headline.

    Returns
    -------
    list of str
        One sentence per point.
    """
    out: list[str] = []
    v = result.value
    if v is None:
        return out
    a = v.assumptions
    cuts = _reductions(a)
    if cuts:
        out.append(
            "Benefit unit costs were reduced for low confidence in their source: "
            + ", ".join(cuts)
            + "."
        )
    ob = _optimism_bias(a)
    if _illustrative_costs(a):
        out.append(
            "The delivery costs are illustrative, not audited"
            + (f", with an optimism-bias uplift of {ob:.0%}" if ob else "")
            + "; the ratio will change with the real costs."
        )
    elif ob:
        out.append(f"Costs include an optimism-bias uplift of {ob:.0%}.")
    out.append(
        f"Cashable return (savings that reduce a budget): {pounds(v.cashable_roi)} per £1; "
        f"financial return (all savings to public budgets): {pounds(vh.financial_roi)} per £1."
    )
    if math.isclose(vh.sroi_ratio, vh.financial_roi, rel_tol=1e-9, abs_tol=1e-12):
        out.append(
            "The SROI ratio equals the financial return because only savings to public "
            "budgets are valued here; wider social value (e.g. wellbeing) is not counted."
        )
    out.append(_rule_sentence(result))
    driver = _top_driver(result)
    if driver:
        out.append(driver)
    return out


def _rule_sentence(result: EvaluationResult) -> str:
    """Which effects are valued (the spec's ``valuation.value_effects`` rule), in words."""
    rule = getattr(result.spec.valuation, "value_effects", "all")
    if rule == "all":
        return (
            "All estimated effects are valued, significant or not; the Monte Carlo interval "
            "carries their uncertainty."
        )
    rel = value_reliance(result)
    zeroed = [result.outcomes[n].label for n in (rel.zeroed if rel else ()) if n in result.outcomes]
    return (
        "Only effects whose confidence interval excludes zero are valued; an effect whose "
        "interval includes zero is valued at zero"
        + (f" (here: {html.escape(', '.join(zeroed))})" if zeroed else "")
        + "."
    )
