"""Sections of the pooled report (``sroi pool``): the pooled effect, places, value for money."""

from __future__ import annotations

import html

import pandas as pd

from sroi.report.figures import forest_plot
from sroi.report.pool import PooledResults
from sroi.report.sections.base import Section
from sroi.report.sections.text import html_table, num

__all__ = [
    "pooled_headline_section",
    "pooled_methods_section",
    "pooled_places_section",
    "pooled_value_section",
]

_TESTS = {
    "knha": "Hartung-Knapp-Sidik-Jonkman (t with k - 1 degrees of freedom)",
    "adhoc": "Hartung-Knapp-Sidik-Jonkman with the scale truncated at 1",
    "z": "normal (z)",
}
_METHODS = {
    "REML": "restricted maximum likelihood",
    "DL": "DerSimonian-Laird",
    "PM": "Paule-Mandel",
    "FE": "fixed effect (one common effect)",
}


#: Disclosure threshold of the pooled tables: the spec's default ``report.disclosure_threshold``.
_THRESHOLD = 10


def _table(frame: pd.DataFrame, columns: dict[str, str], digits: int = 3) -> str:
    """The chosen columns under their labels (:func:`html_table`; numbers to ``digits``).

    Counts of participants are shown as each place published them (already suppressed
    there), so the default disclosure threshold only guards a count column left raw.
    """
    t = frame[list(columns)].rename(columns=columns)
    return html_table(t, _THRESHOLD, floats=digits)


def pooled_headline_section(res: PooledResults) -> Section:
    """The pooled effect in one box, heterogeneity in words, and the forest plot."""
    m = res.meta
    pct = round(m.level * 100)
    s = Section("Pooled effect")
    s.add(f"<h2>Pooled effect on {html.escape(res.outcome)} across {m.k} places</h2>")
    s.p(
        f"Across the {m.k} places the average effect is <strong>{num(m.estimate, 4)}</strong> "
        f"({pct}% confidence interval {num(m.ci_low, 4)} to {num(m.ci_high, 4)}, "
        f"p = {num(m.p_value, 3)}).",
        "key",
    )
    s.p(html.escape(res.heterogeneity_in_words()))
    if m.fixed_effect is not None:
        fe = m.fixed_effect
        s.p(
            f"For comparison, a fixed-effect model (one common effect) gives {num(fe.estimate, 4)} "
            f"({pct}% CI {num(fe.ci_low, 4)} to {num(fe.ci_high, 4)}); it ignores the variation "
            "between places, so its interval is too narrow when places differ."
        )
    chart = forest_plot(
        res.places,
        pooled=(m.estimate, m.ci_low, m.ci_high),
        prediction=(m.pi_low, m.pi_high),
        outcome_label=res.outcome,
    )
    s.figure(
        chart,
        f"Each place's effect on {res.outcome} with its {pct}% interval (square size shows the "
        "place's weight); the diamond is the pooled effect and the bar below it the range "
        "expected in a new place.",
    )
    return s


def pooled_places_section(res: PooledResults) -> Section:
    """One row per place: effect, weight, evidence strength, schools and participants."""
    s = Section("Places")
    s.add("<h2>Each place's result and the strength of its evidence</h2>")
    s.add(
        _table(
            res.places,
            {
                "place": "place",
                "estimate": "effect",
                "ci_low": "interval from",
                "ci_high": "to",
                "weight_pct": "weight (%)",
                "sms_level": "Maryland SMS level",
                "confidence": "confidence",
                "schools": "programme schools",
                "participants": "participants",
            },
            digits=4,
        )
    )
    s.p(
        "Counts of participants are shown as each place published them (small numbers "
        "suppressed there); they are never added up across places."
    )
    if res.leave_one_out is not None:
        s.add("<h3>Leaving out one place at a time</h3>")
        s.add(
            _table(
                res.leave_one_out,
                {
                    "left_out": "place left out",
                    "estimate": "pooled effect",
                    "ci_low": "interval from",
                    "ci_high": "to",
                    "i2": "I\u00b2 (%)",
                },
                digits=4,
            )
        )
    return s


def pooled_value_section(res: PooledResults) -> Section:
    """Value for money side by side, and a pooled ratio only with the same assumptions."""
    s = Section("Value for money")
    s.add("<h2>Value for money in each place</h2>")
    s.add(
        _table(
            res.places,
            {
                "place": "place",
                "sroi_ratio": "SROI ratio",
                "sroi_low": "Monte Carlo interval from",
                "sroi_high": "to",
                "pv_benefits": "PV benefits (£)",
                "pv_costs": "PV costs (£)",
            },
        )
    )
    if res.pooled_sroi_ratio is not None:
        s.p(
            "All places valued their effects with the same assumptions, so the ratios can be "
            f"combined: total benefits over total costs give <strong>"
            f"{num(res.pooled_sroi_ratio, 3)}</strong>.",
            "key",
        )
    else:
        for note in res.notes:
            s.p(html.escape(note), "warn")
        if len(res.differing_assumptions):
            s.add("<h3>Assumptions that differ between places</h3>")
            cols = {c: c for c in res.differing_assumptions.columns}
            s.add(_table(res.differing_assumptions.head(40), cols, digits=4))
    return s


def pooled_methods_section(res: PooledResults) -> Section:
    """How the places were pooled, with references."""
    m = res.meta
    s = Section("Method")
    s.add("<h2>How the places were pooled</h2>")
    s.p(
        f"Random-effects meta-analysis: between-place variance by {_METHODS[m.method]}, "
        f"intervals by {_TESTS[m.test]} inference. Each place's effect and standard error are "
        "taken from its own results.json; places must share the outcome definition, estimand "
        "and aggregation, which sroi checks before pooling. References: DerSimonian &amp; Laird "
        "(1986); Viechtbauer (2005, 2010); Hartung &amp; Knapp (2001); Sidik &amp; Jonkman (2002); "
        "Higgins &amp; Thompson (2002); Higgins, Thompson &amp; Spiegelhalter (2009)."
    )
    s.p(
        f"Homogeneity test: Q = {num(m.q, 3)} on {m.q_df} degrees of freedom, "
        f"p = {num(m.q_p, 3)}. With few places this test has little power: read the "
        "prediction interval rather than the p-value."
    )
    return s
