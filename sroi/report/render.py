"""HTML for each report section, built from an :class:`~sroi.report.pipeline.EvaluationResult`.

Each ``*_section`` function returns a :class:`Section` (HTML with figures embedded as PNG data
URIs, displayed by Jupyter through ``_repr_html_``), so the notebook cells are one call each.
Every count goes through :func:`~sroi.report.disclosure.suppress_count` and every free text
(notes, warnings, error messages) through :func:`~sroi.report.disclosure.redact`.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.report import figures as F
from sroi.report.disclosure import redact, sanitize_text, suppress_count, suppress_counts
from sroi.report.pipeline import EvaluationResult, OutcomeResult

__all__ = [
    "Section",
    "headline_section",
    "programme_section",
    "comparison_section",
    "impact_section",
    "value_section",
    "value_summary_section",
    "sensitivity_section",
    "assumptions_section",
    "methods_section",
    "limitations_section",
    "provenance_section",
    "format_effect",
    "STYLE",
]

STYLE = """<style>
.sroi-report { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
  max-width: 60rem; line-height: 1.45; color: #1a1a1a; }
.sroi-report table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
.sroi-report th, .sroi-report td { border-bottom: 1px solid #ccc; padding: 0.25rem 0.6rem;
  text-align: left; vertical-align: top; }
.sroi-report th { background: #f2f2f2; }
.sroi-report .key { font-size: 1.05rem; background: #eef5fb; border-left: 4px solid #0072B2;
  padding: 0.6rem 0.9rem; margin: 0.6rem 0; }
.sroi-report .warn { background: #fff6e5; border-left: 4px solid #E69F00; padding: 0.5rem 0.9rem; }
.sroi-report .unavailable { background: #f4f4f4; border-left: 4px solid #6E6E6E;
  padding: 0.4rem 0.9rem; color: #333; }
.sroi-report figure { margin: 0.6rem 0 1.2rem; }
.sroi-report figcaption { font-size: 0.88rem; color: #333; }
.sroi-report img { max-width: 100%; height: auto; }
</style>"""


@dataclass
class Section:
    """A rendered report section (HTML); Jupyter displays it via ``_repr_html_``."""

    title: str
    parts: list[str] = field(default_factory=list)
    n_figures: int = 0

    def add(self, html_text: str) -> Section:
        self.parts.append(html_text)
        return self

    def p(self, text: str, cls: str | None = None) -> Section:
        c = f' class="{cls}"' if cls else ""
        return self.add(f"<p{c}>{text}</p>")

    def figure(self, fig: Any, caption: str) -> Section:
        png = F.to_png(fig)
        b64 = base64.b64encode(png).decode("ascii")
        alt = html.escape(caption, quote=True)
        self.n_figures += 1
        fig.clear()  # release the figure's memory; it is embedded now
        return self.add(
            f'<figure class="sroi-figure"><img src="data:image/png;base64,{b64}" alt="{alt}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def unavailable(self, what: str, reason: str) -> Section:
        return self.p(
            f"<strong>Section unavailable: {html.escape(what)}</strong>: {html.escape(reason)}",
            "unavailable",
        )

    @property
    def html(self) -> str:
        return f'<div class="sroi-report">{STYLE}' + "".join(self.parts) + "</div>"

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


# ------------------------------------------------------------------------- formatting
def _num(x: Any, digits: int = 3) -> str:
    if x is None:
        return "n/a"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return html.escape(str(x))
    if not math.isfinite(v):
        return "n/a"
    if v != 0 and (abs(v) < 10**-(digits) or abs(v) >= 1e6):
        return f"{v:.{digits}g}"
    return f"{v:,.{digits}f}"


def _p(p: Any) -> str:
    if p is None:
        return "n/a"
    try:
        v = float(p)
    except (TypeError, ValueError):
        return "n/a"
    if not math.isfinite(v):
        return "n/a"
    return "<0.001" if v < 0.001 else f"{v:.3f}"


def _ph(p: Any) -> str:
    """:func:`_p` for HTML text."""
    return html.escape(_p(p))


def _money(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "n/a"
    if not math.isfinite(v):
        return "n/a"
    sign = "-" if v < 0 else ""
    return f"{sign}£{abs(v):,.0f}"


def _pounds(x: Any) -> str:
    """Pounds and pence per £1 (e.g. an SROI ratio): ``£1.25``, ``-£0.09``."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "n/a"
    if not math.isfinite(v):
        return "n/a"
    return f"-£{-v:,.2f}" if v < 0 else f"£{v:,.2f}"


def _lower(label: str) -> str:
    """Sentence-case a label for use mid-sentence, keeping acronyms (``CAMHS referral``)."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def _pp(outcome_type: str) -> bool:
    return outcome_type in ("rate", "binary")


def format_effect(value: float | None, outcome_type: str, *, signed: bool = True) -> str:
    """An effect in the words a committee reads: percentage points for rates and probabilities."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    v = float(value)
    if _pp(outcome_type):
        s = f"{v * 100:+.2f}" if signed else f"{v * 100:.2f}"
        return f"{s} percentage points"
    return f"{v:+.3f}" if signed else f"{v:.3f}"


def _unit_words(o: OutcomeResult) -> str:
    if _pp(o.type):
        return "percentage points per term"
    return o.unit or "per pupil per term"


def _ci(e: Effect, o: OutcomeResult) -> str:
    """Interval bounds on the reading scale (percentage points to 2 dp for rates)."""

    def one(v: float) -> str:
        if v is None or not math.isfinite(v):
            return "n/a"
        return f"{v * 100:.2f}" if _pp(o.type) else f"{v:.3f}"

    return f"{one(e.ci_low)} to {one(e.ci_high)}"


def _table(df: pd.DataFrame, threshold: int, *, floats: int = 3) -> str:
    """HTML table with counts suppressed and numbers formatted."""
    t = suppress_counts(df.reset_index(drop=True), threshold)
    t = t.copy()
    for c in t.columns:
        if t[c].dtype.kind == "f":
            t[c] = [_num(v, floats) for v in t[c]]
    t.columns = [str(c).replace("_", " ") for c in t.columns]
    return t.to_html(index=False, escape=True, border=0, na_rep="n/a")


def _text(result: EvaluationResult, text: str) -> str:
    """Free text for the report: identifiers removed, small counts suppressed, HTML-escaped."""
    return html.escape(sanitize_text(str(text), result.all_identifiers(), result.threshold))


def _plain_direction(o: OutcomeResult, e: Effect) -> str:
    up = e.estimate > 0
    return "higher" if up else "lower"


def _reading(o: OutcomeResult, sig: str) -> str:
    """Plain-words reading of one outcome's result for the headline table."""
    if o.rare or o.headline is None or not math.isfinite(o.headline.std_error or math.nan):
        return "too rare to estimate reliably" if o.rare else "could not be estimated"
    if o.favourable is None:
        return "no change; " + sig.replace("is unlikely", "unlikely")
    return ("improvement; " if o.favourable else "worsening; ") + sig.replace(
        "is unlikely", "unlikely"
    )


def _significance(o: OutcomeResult, alpha: float) -> tuple[str, float | None]:
    p = (
        o.p_adjusted
        if (o.p_adjusted is not None and not o.primary)
        else (o.headline.p_value if o.headline is not None else None)
    )
    if p is None or not math.isfinite(p):
        return "could not be tested", None
    if p < alpha:
        return "is unlikely to be due to chance", p
    return "could be due to chance (it is not statistically significant)", p


# ----------------------------------------------------------------------- value adapters
def _get(obj: Any, *names: str) -> Any:
    for n in names:
        if obj is None:
            return None
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            v = getattr(obj, n)
            return v() if callable(v) and not isinstance(v, (pd.DataFrame, pd.Series)) else v
    return None


def value_headline(result: EvaluationResult, level: float = 0.95) -> dict[str, Any]:
    """Headline value figures (observed and assumed values only; modelled chains excluded).

    ``sroi_interval`` / ``npv_interval`` are equal-tailed Monte Carlo percentile intervals at
    ``level``.
    """
    v, s = result.value, result.simulation
    out: dict[str, Any] = {}
    if v is None:
        return out
    out["sroi_ratio"] = _get(v, "sroi_ratio", "ratio")
    out["npv"] = _get(v, "npv", "net_present_value")
    out["pv_benefits"] = _get(v, "pv_benefits", "present_value_benefits")
    out["pv_costs"] = _get(v, "pv_costs", "present_value_costs")
    out["payback_year"] = _get(v, "payback_years", "payback_year", "payback")
    out["financial_roi"] = _get(v, "financial_roi")
    out["public_value_roi"] = _get(v, "public_value_roi")
    out["price_year"] = _get(v, "price_year")
    out["sroi_interval"] = out["npv_interval"] = None
    if s is not None:
        iv = getattr(s, "interval", None)
        if callable(iv):
            out["sroi_interval"] = tuple(float(x) for x in iv("sroi_ratio", level))
            out["npv_interval"] = tuple(float(x) for x in iv("npv", level))
        out["prob_npv_positive"] = _get(s, "prob_npv_positive", "p_npv_positive")
        out["n_draws"] = _get(s, "n_draws")
    return {
        k: (float(x) if isinstance(x, (np.floating, np.integer)) else x) for k, x in out.items()
    }


def _value_by_agency_year(v: Any) -> pd.DataFrame | None:
    """Present value of headline (non-modelled) public value by agency and year."""
    streams = _get(v, "streams")
    if not isinstance(streams, pd.DataFrame) or streams.empty:
        return None
    need = {"agency", "year", "pv"}
    if not need <= set(streams.columns):
        return None
    s = streams
    if "basis" in s.columns:
        s = s.loc[s["basis"] != "modelled"]
    if "value_type" in s.columns:
        s = s.loc[s["value_type"] != "transfer"]
    return s.groupby(["agency", "year"], as_index=False)["pv"].sum()


# --------------------------------------------------------------------------- sections
def _value_for_money(s: Section, result: EvaluationResult) -> None:
    """The value-for-money paragraph of the headline (observed values only)."""
    s.add("<h2>Value for money</h2>")
    vh = value_headline(result)
    if not vh:
        s.unavailable("value for money", result.unavailable.get("value", "not computed"))
    else:
        iv = vh.get("sroi_interval")
        ratio = vh.get("sroi_ratio")
        lead = (
            f"Every £1 invested returned <strong>£{_num(ratio, 2)}</strong> of value"
            if ratio is not None and ratio >= 0
            else f"The estimated effects imply a net loss of value (SROI ratio <strong>{_num(ratio, 2)}</strong>)"
        )
        if ratio is not None and ratio < 1:
            lead = "Benefits did not cover costs. " + lead
        txt = (
            lead
            + (f" (Monte Carlo 95% interval {_pounds(iv[0])} to {_pounds(iv[1])})" if iv else "")
            + f". Net present value {_money(vh.get('npv'))}"
            + (
                f" (interval {_money(vh['npv_interval'][0])} to {_money(vh['npv_interval'][1])})"
                if vh.get("npv_interval")
                else ""
            )
            + "; "
            + (
                f"costs paid back after {_num(vh.get('payback_year'), 1)} years"
                if vh.get("payback_year") is not None and _num(vh.get("payback_year")) != "n/a"
                else "no payback within the appraisal period"
            )
            + "."
        )
        if vh.get("prob_npv_positive") is not None:
            txt += f" Chance that benefits exceed costs: {float(vh['prob_npv_positive']):.0%}."
        s.p(txt, "key")
        s.p(
            "Only values from effects observed in this evaluation are in these figures; values "
            "that rely on modelled chains (e.g. a referral leading to a later placement) are shown "
            "separately in the value section."
        )


def value_summary_section(result: EvaluationResult) -> Section:
    """Value for money on its own (the finance re-run report's headline)."""
    s = Section("Value for money")
    s.add(f"<h1>{html.escape(result.spec.report.title)}: value re-run</h1>")
    _value_for_money(s, result)
    return s


def headline_section(result: EvaluationResult) -> Section:
    """Summary for a committee: primary outcome, secondary outcomes, value, evidence strength."""
    s = Section("Headline")
    spec = result.spec
    alpha = spec.design.alpha
    k = result.threshold
    s.add(f"<h1>{html.escape(spec.report.title)}</h1>")
    prog = result.programme
    s.p(
        f"{html.escape(prog['name'])}. Participants: {suppress_count(prog['n_treated'], k)} pupils "
        f"in {suppress_count(prog.get('n_treated_clusters'), k) if prog.get('n_treated_clusters') is not None else 'n/a'} "
        f"schools, compared with similar pupils who did not take part."
    )
    prim = result.primary
    s.add("<h2>Main outcome</h2>")
    if prim.headline is None:
        s.unavailable(f"effect on {prim.label}", prim.unavailable.get("headline", "not estimated"))
    else:
        e = prim.headline
        sig, p = _significance(prim, alpha)
        fav = {True: "an improvement", False: "a worsening", None: "no change"}[prim.favourable]
        s.p(
            f"<strong>{html.escape(prim.label)}</strong> of participants was "
            f"<strong>{format_effect(abs(e.estimate), prim.type, signed=False)} "
            f"{_plain_direction(prim, e)}</strong> per term than it would have been without the "
            f"programme ({fav}); {int(round(e.level * 100))}% confidence interval "
            f"{_ci(e, prim)}{' percentage points' if _pp(prim.type) else ''}. "
            f"This difference {sig} (p = {_ph(p)}).",
            "key",
        )
        s.p(
            "How to read this: the estimate compares participants' change over time with the "
            "change for matched pupils who did not take part (difference-in-differences), averaged "
            "over the enrolment waves (Callaway &amp; Sant'Anna, 2021, group aggregation). The "
            "interval shows the range of effects consistent with the data."
        )
    sec = [o for o in result.outcomes.values() if not o.primary]
    if sec:
        s.add("<h2>Other outcomes</h2>")
        rows = []
        for o in sec:
            e = o.headline
            if e is None:
                rows.append(
                    {
                        "outcome": o.label,
                        "effect": "not estimated",
                        "95% interval": "",
                        "p-value": "",
                        "adjusted p-value": "",
                        "reading": o.unavailable.get("headline", ""),
                    }
                )
                continue
            sig, _ = _significance(o, alpha)
            rows.append(
                {
                    "outcome": o.label + (" (too rare to rely on)" if o.rare else ""),
                    "effect": format_effect(e.estimate, o.type)
                    + ("" if _pp(o.type) else f" {o.unit or ''}"),
                    "95% interval": _ci(e, o),
                    "p-value": _p(e.p_value),
                    "adjusted p-value": _p(o.p_adjusted),
                    "reading": _reading(o, sig),
                }
            )
        s.add(pd.DataFrame(rows).to_html(index=False, escape=True, border=0))
        method = spec.design.multiplicity
        words = {"holm": "Holm (1979)", "bh": "Benjamini &amp; Hochberg (1995)", "none": "no"}[
            method
        ]
        s.p(
            f"Several outcomes were tested, so by chance alone one may look significant. The "
            f"adjusted p-values use the {words} correction over the {len(sec)} secondary outcomes; "
            "the main outcome was chosen in advance and is not adjusted."
        )
    _value_for_money(s, result)
    s.add("<h2>Strength of evidence</h2>")
    ev = result.evidence
    if ev is None:
        s.unavailable("evidence strength", "not assessed")
    else:
        s.p(
            f"<strong>Maryland Scientific Methods Scale level {ev.sms_level} of 5</strong> "
            f"({html.escape(ev.level_description)}); confidence in the comparison: "
            f"<strong>{ev.confidence}</strong>.",
            "key",
        )
        items = "".join(
            f"<li><strong>{html.escape(d.name)}</strong> ({d.status}): {html.escape(d.message)}</li>"
            for d in ev.diagnostics
        )
        s.add(f"<ul>{items}</ul>")
    s.p(
        f"Counts below {k} are shown as &lt;{k} to protect the children in the data; no "
        "individual record or identifier appears in this report.",
    )
    return s


def programme_section(result: EvaluationResult) -> Section:
    """The programme, its cohorts and who was left out of the analysis (and why)."""
    s = Section("Programme and cohort")
    k = result.threshold
    prog = result.programme
    s.add("<h2>Programme and cohorts</h2>")
    if prog.get("description"):
        s.p(html.escape(prog["description"]))
    facts = pd.DataFrame(
        [
            ("participants (pupils)", suppress_count(prog["n_treated"], k)),
            ("comparison pool (pupils)", suppress_count(prog["n_comparison_pool"], k)),
            ("programme schools", suppress_count(prog.get("n_treated_clusters"), k)),
            ("all schools in the analysis", suppress_count(prog.get("n_clusters"), k)),
            (
                "terms of data",
                f"{prog['first_period']} to {prog['last_period']} ({prog['n_periods']} terms)",
            ),
            ("delivery", f"{prog.get('start') or 'n/a'} to {prog.get('end') or 'n/a'}"),
        ],
        columns=["", "value"],
    )
    s.add(facts.to_html(index=False, escape=True, border=0))
    if prog.get("comparison_pool"):
        s.p("Comparison pool: " + _text(result, prog["comparison_pool"]))
    s.add("<h3>Enrolment waves</h3>")
    coh = result.cohorts.rename(columns={"cohort": "first term in programme"})
    s.add(_table(coh, k))
    s.add("<h3>Left out of the analysis</h3>")
    ex = result.exclusions
    if ex is None or ex.empty:
        s.p("No rows or pupils were left out.")
    else:
        ex2 = ex.copy()
        ex2["reason"] = [redact(str(x), result.all_identifiers()) for x in ex2["reason"]]
        s.add(_table(ex2, k))
    return s


def comparison_section(result: EvaluationResult) -> Section:
    """Balance table, love plot and overlap for the comparison group used."""
    s = Section("Comparison group")
    k = result.threshold
    s.add("<h2>Comparison group</h2>")
    m = result.matching
    if m is None:
        why = next((v for kk, v in result.unavailable.items() if kk.endswith("headline")), None)
        s.unavailable(
            "comparison group", why or "matching was not run (design.did.matched is false)"
        )
        return s
    rows = [
        {
            "cohort": c.cohort,
            "n_participants": c.n_treated,
            "n_participants_matched": c.n_treated_matched,
            "n_comparison_pupils": c.n_controls_matched,
        }
        for c in m.cohorts
    ]
    s.p(
        f"For each enrolment wave, each participant was matched to similar pupils from the comparison "
        f"pool ({html.escape(m.method)}) on their characteristics and their recent history before "
        "enrolment. Participants without a close enough match are left out of the estimate."
    )
    s.add(_table(pd.DataFrame(rows), k))
    bal = m.balance()
    if bal is None:
        s.unavailable("balance table", "the matching result gave no balance table")
    else:
        s.add("<h3>Balance: how similar the groups are</h3>")
        s.add(_table(bal, k))
        s.p(
            "Standardised mean difference: difference in means over the participants' standard "
            "deviation; below 0.1 (absolute) is the usual standard for good balance. Variance "
            "ratio: 0.5 to 2 is acceptable."
        )
        if {"smd_before", "smd_after"} <= set(bal.columns):
            s.figure(
                F.love_plot(bal),
                "Balance before and after matching (participant-weighted over waves).",
            )
    dt = [c.distance_treated for c in m.cohorts if c.distance_treated is not None]
    dc = [c.distance_control for c in m.cohorts if c.distance_control is not None]
    if dt and dc:
        s.figure(
            F.overlap_plot(np.concatenate(dt), np.concatenate(dc), threshold=k),
            "Overlap: propensity scores of participants and of the comparison pool (all waves).",
        )
    else:
        s.unavailable(
            "overlap plot", "the matching result has no distance (propensity score) column"
        )
    return s


def impact_section(result: EvaluationResult) -> Section:
    """Per outcome: estimate and interval, event study, pre-trend test, TWFE versus CS."""
    s = Section("Impact")
    k = result.threshold
    s.add("<h2>Impact by outcome</h2>")
    for o in result.outcomes.values():
        s.add(f"<h3>{html.escape(o.label)}{' (main outcome)' if o.primary else ''}</h3>")
        if o.headline is None:
            s.unavailable(f"effect on {o.label}", o.unavailable.get("headline", "not estimated"))
            continue
        e = o.headline
        rows = [
            ("effect (group aggregation, headline)", format_effect(e.estimate, o.type)),
            (
                f"{int(round(e.level * 100))}% interval",
                _ci(e, o) + (" percentage points" if _pp(o.type) else ""),
            ),
            ("standard error", format_effect(e.std_error, o.type, signed=False)),
            (
                "p-value" + ("" if o.primary else " (unadjusted / adjusted)"),
                _p(e.p_value) + ("" if o.primary else f" / {_p(o.p_adjusted)}"),
            ),
            ("interval type", e.ci_type),
            (
                "participants / comparison pupils",
                f"{suppress_count(e.n_treated, k)} / {suppress_count(e.n_control, k)}",
            ),
            (
                "participants' average before enrolment",
                f"{o.baseline_mean * 100:.1f}%"
                if _pp(o.type) and o.baseline_mean is not None
                else _num(o.baseline_mean),
            ),
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
                ("caution", f"fewer than {20} events among participants: too rare to rely on")
            )
        s.add(
            pd.DataFrame(rows, columns=["", o.unit or ""]).to_html(
                index=False, escape=True, border=0
            )
        )
        unit = _unit_words(o)
        f = 100.0 if _pp(o.type) else 1.0
        if o.event_time is not None:
            et = o.event_time.copy()
            for c in ("estimate", "ci_low", "ci_high"):
                et[c] = et[c] * f
            s.figure(
                F.event_study_plot(et, outcome_label=_lower(o.label), unit=unit),
                f"{o.label}: effect by term since enrolment. Terms before 0 should be near zero.",
            )
        else:
            s.unavailable("event study", o.unavailable.get("event study", "not estimated"))
        if o.pretrend is not None:
            pv = o.pretrend.get("p_value")
            verdict = (
                "no evidence of different trends"
                if pv is not None and pv >= result.spec.design.alpha
                else "trends differed before enrolment"
            )
            if (
                o.pretrend.get("reliable") is False
                and pv is not None
                and pv < result.spec.design.alpha
            ):
                verdict += (
                    ", but with this few programme schools the test rejects too often: read the "
                    "effects before enrolment in the chart above"
                )
            s.p(
                f"Pre-trend test ({html.escape(str(o.pretrend.get('method', 'joint Wald test')))}: "
                f"all effects before enrolment are zero): Wald statistic "
                f"{_num(o.pretrend.get('statistic'), 2)} on {o.pretrend.get('df', 'n/a')} "
                f"restrictions, p = {_ph(pv)}: {verdict}."
            )
        else:
            s.unavailable(
                "pre-trend test",
                _text(result, o.unavailable.get("pre-trend test", "not available")),
            )
        if (
            o.att_gt is not None
            and not o.att_gt.empty
            and {"cohort", "time", "att", "ci_low", "ci_high"} <= set(o.att_gt.columns)
        ):
            a = o.att_gt.copy()
            for c in ("att", "ci_low", "ci_high"):
                a[c] = a[c] * f
            s.figure(
                F.att_gt_plot(a, outcome_label=_lower(o.label), unit=unit, threshold=k),
                f"{o.label}: ATT(g,t), the effect for each enrolment wave g in each term t.",
            )
        comp = []
        if o.twfe is not None:
            comp.append(
                (
                    "two-way fixed effects (TWFE), all pupils",
                    format_effect(o.twfe.estimate, o.type),
                    _ci(o.twfe, o),
                )
            )
        if o.cs_unmatched is not None:
            comp.append(
                (
                    "Callaway-Sant'Anna (simple), all pupils",
                    format_effect(o.cs_unmatched.estimate, o.type),
                    _ci(o.cs_unmatched, o),
                )
            )
        if comp:
            s.add(
                pd.DataFrame(
                    comp, columns=["estimator (unmatched sample)", "effect", "95% interval"]
                ).to_html(index=False, escape=True, border=0)
            )
            s.p(
                "TWFE regression can be biased when waves start at different times and effects change "
                "over time (Goodman-Bacon, 2021); Callaway-Sant'Anna avoids comparisons with already "
                "enrolled pupils."
            )
        if o.twfe_vs_cs:
            s.p(_text(result, o.twfe_vs_cs), "warn")
        if o.bacon is not None and not o.bacon.empty:
            b = o.bacon.copy()
            if "type" in b.columns and "weight" in b.columns:
                agg = (
                    b.groupby("type", sort=False)
                    .apply(
                        lambda g: pd.Series(
                            {
                                "weight": g["weight"].sum(),
                                "average estimate": np.average(g["estimate"], weights=g["weight"])
                                if g["weight"].sum() > 0
                                else np.nan,
                            }
                        ),
                        include_groups=False,
                    )
                    .reset_index()
                )
                s.add(
                    "<p>Goodman-Bacon (2021) decomposition of the TWFE estimate:</p>"
                    + _table(agg, k)
                )
        if o.honest is not None and {"Mbar", "lb", "ub"} <= set(o.honest.columns):
            h = o.honest[["Mbar", "lb", "ub"]].copy()
            for c in ("lb", "ub"):
                h[c] = [format_effect(v, o.type) for v in h[c]]
            h.columns = ["Mbar (post/pre violation ratio)", "lower bound", "upper bound"]
            bd = o.honest_breakdown
            s.add(
                "<p>Robustness to different trends (Rambachan &amp; Roth, 2023, relative "
                "magnitudes; average effect after enrolment, Sun &amp; Abraham event study): "
                "robust 95% intervals if trends after enrolment could differ by up to Mbar times "
                "the largest difference before enrolment"
                + (f"; the conclusion holds up to Mbar = {_num(bd, 2)}" if bd is not None else "")
                + ".</p>"
                + h.to_html(index=False, escape=True, border=0)
            )
        for part in ("TWFE", "Bacon decomposition", "honest DiD"):
            if part in o.unavailable:
                s.unavailable(part, _text(result, o.unavailable[part]))
    return s


def _frame(v: Any, *names: str) -> pd.DataFrame | None:
    for n in names:
        x = _get(v, n)
        if isinstance(x, pd.DataFrame) and not x.empty:
            return x
    return None


def value_section(result: EvaluationResult) -> Section:
    """Value by agency, year and value type; modelled values shown apart from the headline."""
    s = Section("Value")
    s.add("<h2>Value: who benefits, and when</h2>")
    v = result.value
    if v is None:
        s.unavailable("value", result.unavailable.get("value", "not computed"))
        return s
    vh = value_headline(result)
    k = result.threshold
    price = vh.get("price_year") or "base-year"
    rows = [
        ("present value of benefits", _money(vh.get("pv_benefits"))),
        ("present value of costs", _money(vh.get("pv_costs"))),
        ("net present value", _money(vh.get("npv"))),
        ("SROI ratio (public value per £1)", _num(vh.get("sroi_ratio"), 2)),
        ("financial ROI (fiscal benefits per £1)", _num(vh.get("financial_roi"), 2)),
        ("payback (years)", _num(vh.get("payback_year"), 1)),
    ]
    s.add(
        pd.DataFrame(rows, columns=["", f"{price} prices"]).to_html(
            index=False, escape=True, border=0
        )
    )
    ay = _value_by_agency_year(v)
    if ay is not None and not ay.empty:
        s.figure(
            F.value_by_agency_plot(ay, value="pv", price_year=vh.get("price_year")),
            "Present value of benefits by appraisal year and the agency that gains "
            "(modelled values and transfers excluded).",
        )
    for title, names in (
        ("By agency", ("by_agency",)),
        ("By year", ("by_year",)),
        ("By type of value", ("by_value_type",)),
    ):
        t = _frame(v, *names)
        if t is not None:
            s.add(f"<h3>{title}</h3>" + _table(t, k, floats=0))
    modelled = _get(v, "modelled")
    if modelled:
        s.p(
            "Modelled values (kept out of the headline figures): "
            + html.escape(", ".join(map(str, modelled)))
            + f"; present value {_money(_get(v, 'pv_modelled'))}."
        )
    for w in _get(v, "warnings") or []:
        s.p(_text(result, w), "warn")
    return s


def sensitivity_section(result: EvaluationResult) -> Section:
    """Tornado, Monte Carlo distribution, break-even."""
    s = Section("Sensitivity")
    s.add("<h2>Sensitivity: how sure are the value figures?</h2>")
    sim = result.simulation
    if sim is None:
        s.unavailable(
            "sensitivity", result.unavailable.get("value", "no Monte Carlo simulation was run")
        )
        return s
    vh = value_headline(result)
    draws = _get(sim, "draws")
    if isinstance(draws, pd.DataFrame) and "sroi_ratio" in draws:
        s.figure(
            F.monte_carlo_plot(
                draws["sroi_ratio"].to_numpy(float),
                point=vh.get("sroi_ratio"),
                interval=vh.get("sroi_interval"),
            ),
            f"Monte Carlo distribution of the SROI ratio ({_num(vh.get('n_draws'), 0)} draws; "
            "the shaded band is the 95% interval).",
        )
    tor = _frame(sim, "tornado")
    if tor is not None and {"parameter", "ratio_at_low", "ratio_at_high"} <= set(tor.columns):
        s.figure(
            F.tornado_plot(
                tor, low="ratio_at_low", high="ratio_at_high", base=vh.get("sroi_ratio")
            ),
            "One-way sensitivity: the SROI ratio with each input at the low and high end of its range.",
        )
    be = _frame(sim, "switching_values")
    if be is None and result.value is not None:
        be = _frame(result.value, "switching_values")
    if be is not None and {"parameter", "central", "switching_value"} <= set(be.columns):
        s.figure(
            F.break_even_plot(be, break_even="switching_value"),
            "Break-even: the value of each input at which benefits equal costs (others central).",
        )
        s.add(_table(be, result.threshold))
    return s


def assumptions_section(result: EvaluationResult) -> Section:
    """Assumptions register: every assumption with its value, source and confidence."""
    s = Section("Assumptions register")
    s.add("<h2>Assumptions register</h2>")
    reg = (
        _frame(result.value, "assumptions", "assumptions_register")
        if result.value is not None
        else None
    )
    if reg is None:
        s.unavailable(
            "assumptions register", result.unavailable.get("value", "no valuation was run")
        )
    else:
        s.add(_table(reg, result.threshold))
    return s


METHOD_NOTES = [
    (
        "Matching",
        "Nearest-neighbour matching on the propensity score within each enrolment wave, "
        "following R MatchIt's conventions (Ho, Imai, King &amp; Stuart, 2011); balance by standardised "
        "mean differences (Austin, 2009).",
    ),
    (
        "Staggered difference-in-differences",
        "Group-time effects ATT(g,t) and their group aggregation "
        "(Callaway &amp; Sant'Anna, 2021), outcome-regression / doubly robust estimators (Sant'Anna &amp; "
        "Zhao, 2020), influence-function standard errors and multiplier bootstrap.",
    ),
    (
        "Two-way fixed effects",
        "Shown for comparison only; it can be biased with staggered adoption and "
        "changing effects (Goodman-Bacon, 2021).",
    ),
    (
        "Parallel trends",
        "Joint Wald test that all pre-enrolment ATT(g,t) are zero (influence-function "
        "covariance, clustered). With fewer than 10 programme schools, or at least as many "
        "pre-enrolment cells as programme schools, the clustered test over-rejects (Cameron, "
        "Gelbach &amp; Miller, 2008): the report then calls it unreliable and points to the "
        "event-study chart. Robustness: Rambachan &amp; Roth (2023) relative-magnitude bounds "
        "for the average post-enrolment effect from a Sun &amp; Abraham (2021) event study.",
    ),
    (
        "Multiple outcomes",
        "Holm (1979) step-down or Benjamini &amp; Hochberg (1995) adjusted p-values "
        "for the secondary outcomes; the primary outcome is pre-specified and unadjusted.",
    ),
    (
        "Minimum detectable effect",
        "MDES = 2.8 x standard error (5% two-sided, 80% power; Bloom, 1995).",
    ),
    (
        "Valuation",
        "Social value: quantity x financial proxy, with deadweight, displacement, attribution "
        "and drop-off (Social Value UK guide); discounting per HM Treasury Green Book; fiscal, economic "
        "and social value by agency after the Greater Manchester CBA model (2014).",
    ),
    ("Evidence strength", "Maryland Scientific Methods Scale (Sherman et al., 1997)."),
    ("Disclosure control", "Counts below the threshold suppressed; no identifiers in any output."),
]


def methods_section(result: EvaluationResult) -> Section:
    """Method notes with references."""
    s = Section("Method notes")
    s.add("<h2>Method notes</h2>")
    d = result.spec.design
    s.p(
        f"Design used: {html.escape(result.design)}. Estimator: {html.escape(d.did.estimator)}; "
        f"comparison: {html.escape(d.did.control_group.replace('_', ' '))} pupils; base period "
        f"{html.escape(d.did.base_period)}; anticipation {d.did.anticipation} terms; "
        f"standard errors clustered by {html.escape(str(d.did.cluster or result.spec.data.columns.cluster))}; "
        f"bootstrap draws {d.did.n_boot}."
    )
    s.add(
        "<ul>" + "".join(f"<li><strong>{a}</strong>: {b}</li>" for a, b in METHOD_NOTES) + "</ul>"
    )
    return s


def limitations_section(result: EvaluationResult) -> Section:
    """Limitations: evidence concerns, unavailable parts, warnings raised while computing."""
    s = Section("Limitations")
    s.add("<h2>Limitations</h2>")
    items = []
    if result.evidence is not None:
        items += [html.escape(d.message) for d in result.evidence.concerns]
    items.append(
        "Matching and difference-in-differences remove differences in observed "
        "characteristics and in stable unobserved ones; a change that coincided with "
        "enrolment and affected only participants would still bias the estimate."
    )
    s.add("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
    if result.unavailable:
        s.add("<h3>Parts not available in this report</h3>")
        s.add(
            "<ul>"
            + "".join(
                f"<li>{_text(result, kk)}: {_text(result, v)}</li>"
                for kk, v in result.unavailable.items()
            )
            + "</ul>"
        )
    if result.warnings:
        s.add("<h3>Warnings raised while computing</h3>")
        s.add("<ul>" + "".join(f"<li>{_text(result, w)}</li>" for w in result.warnings) + "</ul>")
    return s


def provenance_section(result: EvaluationResult, provenance: dict[str, Any]) -> Section:
    """Package version, spec hash, data hash, seed, time."""
    s = Section("Provenance")
    s.add("<h2>Provenance</h2>")
    rows = [(k, v) for k, v in provenance.items() if k != "libraries"]
    rows += [(f"library {k}", v) for k, v in provenance.get("libraries", {}).items()]
    s.add(pd.DataFrame(rows, columns=["", "value"]).to_html(index=False, escape=True, border=0))
    s.p("Re-running with the same spec, data and seed gives the same numbers.")
    return s
