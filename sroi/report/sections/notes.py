"""The closing sections: method notes with references, limitations, provenance."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from sroi.report.record import EvaluationResult
from sroi.report.sections.base import Section
from sroi.report.sections.text import clean_text, html_table, label_words, reader_warning

__all__ = [
    "METHOD_NOTES",
    "appendix_section",
    "computing_notes_section",
    "methods_section",
    "limitations_section",
    "provenance_section",
]

#: (topic, note with its references) shown in the method notes.
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


def appendix_section() -> Section:
    """The start of the technical appendix (method notes, assumptions register, provenance).

    Returns
    -------
    Section
        A heading and a sentence saying who the appendix is for.
    """
    s = Section("Technical appendix")
    s.add('<h2 id="appendix">Technical appendix</h2>')
    s.p(
        "The parts below are for analysts and auditors: how the estimates were made, the "
        "balance of the comparison group, every outcome's full results, value by year and "
        "type, every assumption behind the value figures with its source, the technical notes "
        "raised while computing, and what is needed to reproduce the report. The summary and "
        "sections above do not depend on reading them."
    )
    return s


def methods_section(result: EvaluationResult) -> Section:
    """Method notes with references.

    Parameters
    ----------
    result
        The evaluation.

    Returns
    -------
    Section
        The design used with its options, and :data:`METHOD_NOTES`.
    """
    s = Section("Method notes")
    s.add('<h2 id="methods">Method notes</h2>')
    d = result.spec.design
    s.p(
        f"Design used: {html.escape(result.design)}. Estimator: {html.escape(d.did.estimator)}; "
        f"comparison: {html.escape(d.did.control_group.replace('_', ' '))} pupils; base period "
        f"{html.escape(d.did.base_period)}; anticipation {d.did.anticipation} terms; "
        f"standard errors clustered by "
        f"{html.escape(label_words(d.did.cluster or result.spec.data.columns.cluster))}; "
        f"bootstrap draws {d.did.n_boot}."
    )
    s.add(
        "<ul>" + "".join(f"<li><strong>{a}</strong>: {b}</li>" for a, b in METHOD_NOTES) + "</ul>"
    )
    return s


def limitations_section(result: EvaluationResult, *, notes: bool = True) -> Section:
    """Limitations: evidence concerns, unavailable parts, warnings raised while computing.

    Parameters
    ----------
    result
        The evaluation (or a value re-run).
    notes
        Include the notes raised while computing; the evaluation report shows them in its
        appendix instead (``notes=False`` and :func:`computing_notes_section`).

    Returns
    -------
    Section
        Every free text sanitised (identifiers removed, small counts suppressed).
    """
    s = Section("Limitations")
    s.add('<h2 id="limitations">Limitations</h2>')
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
                f"<li>{clean_text(result, kk)}: {clean_text(result, v)}</li>"
                for kk, v in result.unavailable.items()
            )
            + "</ul>"
        )
    if result.warnings and notes:
        s.add("<h3>Notes raised while computing</h3>")
        s.add(_notes_list(result))
    elif result.warnings:
        s.p(
            f"{len(_notes(result))} technical notes raised while computing are listed in the "
            '<a href="#computing-notes">technical appendix</a>.'
        )
    return s


def _notes(result: EvaluationResult) -> list[str]:
    """The warnings raised while computing, for readers (sanitised, escaped, deduplicated)."""
    labels = {name: o.label for name, o in result.outcomes.items()}
    return list(
        dict.fromkeys(clean_text(result, reader_warning(w, labels)) for w in result.warnings)
    )


def _notes_list(result: EvaluationResult) -> str:
    return "<ul>" + "".join(f"<li>{w}</li>" for w in _notes(result)) + "</ul>"


def computing_notes_section(result: EvaluationResult) -> Section:
    """For the appendix: the notes raised while computing, rewritten for readers.

    Parameters
    ----------
    result
        The evaluation (or a value re-run).

    Returns
    -------
    Section
        The notes (identifiers removed, small counts suppressed), or a sentence saying there
        were none.
    """
    s = Section("Notes raised while computing")
    s.add('<h2 id="computing-notes">Notes raised while computing</h2>')
    if result.warnings:
        s.add(_notes_list(result))
    else:
        s.p("No warning was raised while computing.")
    return s


def provenance_section(result: EvaluationResult, provenance: dict[str, Any]) -> Section:
    """Package version, spec hash, data hash, seed, time.

    Parameters
    ----------
    result
        The evaluation (or a value re-run).
    provenance
        Its provenance record (:func:`sroi.report.provenance.provenance`).

    Returns
    -------
    Section
        The provenance table.
    """
    s = Section("Provenance")
    s.add('<h2 id="provenance">Provenance</h2>')
    rows = [(k.replace("_", " "), v) for k, v in provenance.items() if k != "libraries"]
    rows += [(f"library {k}", v) for k, v in provenance.get("libraries", {}).items()]
    table = pd.DataFrame(rows, columns=["item", "value"]).astype(str)
    s.add(html_table(table, result.threshold, caption="Provenance of this report"))
    s.p("Re-running with the same spec, data and seed gives the same numbers.")
    return s
