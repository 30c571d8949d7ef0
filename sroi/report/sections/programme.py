"""The programme, its enrolment waves and who was left out of the analysis (and why)."""

from __future__ import annotations

import html

import pandas as pd

from sroi.report.cross_tables import publish_cohort_columns
from sroi.report.disclosure import secondary_suppress, suppress_count
from sroi.report.record import EvaluationResult
from sroi.report.sections.base import Section
from sroi.report.sections.text import cell_text, clean_text, html_table, label_words, reader_warning

__all__ = ["programme_section"]


def programme_section(result: EvaluationResult) -> Section:
    """The programme, its cohorts and who was left out of the analysis (and why).

    Parameters
    ----------
    result
        The evaluation.

    Returns
    -------
    Section
        Facts, enrolment waves and exclusions, counts suppressed.
    """
    s = Section("Programme and cohort")
    k = result.threshold
    prog = result.programme
    s.add('<h2 id="programme">Programme and cohorts</h2>')
    if prog.get("description"):
        s.p(html.escape(prog["description"]))
    # participants and pool add up to all pupils: suppressed together, as in results.json
    n_treated, n_pool = secondary_suppress([prog["n_treated"], prog["n_comparison_pool"]], k)
    facts = pd.DataFrame(
        [
            ("participants (pupils)", n_treated),
            ("comparison pool (pupils)", n_pool),
            # schools are institutions, not people: their number is not suppressed
            ("programme schools", prog.get("n_treated_clusters")),
            ("all schools in the analysis", prog.get("n_clusters")),
            (
                "terms of data",
                f"{prog['first_period']} to {prog['last_period']} ({prog['n_periods']} terms)",
            ),
            ("delivery", f"{prog.get('start') or 'n/a'} to {prog.get('end') or 'n/a'}"),
        ],
        columns=["fact", "value"],
    )
    if prog.get("allow_unbalanced_panel") and prog.get("n_units_partial"):
        # kept (not dropped): each comparison uses the terms in which the pupil was seen;
        # without the option these pupils are dropped and counted in the exclusions below
        facts.loc[len(facts)] = (
            "pupils seen in only some terms (kept)",
            suppress_count(prog["n_units_partial"], k),
        )
    s.add(html_table(facts, k, caption="The programme in numbers"))
    if prog.get("comparison_pool"):
        s.p("Comparison pool: " + clean_text(result, prog["comparison_pool"]))
    s.add("<h3>Enrolment waves</h3>")
    s.add(
        html_table(
            # the same waves hidden as in every other table (sroi.report.cross_tables)
            publish_cohort_columns(
                result.cohorts, result, "cohort", {"n_pupils": "treated"}
            ).rename(columns={"cohort": "first term in programme"}),
            k,
            caption="Pupils and schools by enrolment wave",
        )
    )
    s.add("<h3>Left out of the analysis</h3>")
    ex = result.exclusions
    if ex.empty:
        s.p("No rows or pupils were left out.")
    else:
        ex = ex.assign(reason=[cell_text(result, reader_warning(x)) for x in ex["reason"]])
        if "column" in ex.columns:
            ex = ex.assign(column=[label_words(x) for x in ex["column"]])
        s.add(html_table(ex, k))
    return s
