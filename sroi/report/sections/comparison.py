"""The comparison group actually used: matches per wave, balance, love plot, overlap."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd

from sroi.report.cross_tables import publish_cohort_columns
from sroi.report.figures import love_plot, overlap_plot
from sroi.report.record import EvaluationResult
from sroi.report.sections.base import Section
from sroi.report.sections.text import clean_text, html_table, label_words, num

__all__ = ["balance_section", "comparison_section", "method_words"]


def comparison_section(result: EvaluationResult) -> Section:
    """Balance table, love plot and overlap for the comparison group used.

    Parameters
    ----------
    result
        The evaluation.

    Returns
    -------
    Section
        The comparison group, or why there is none (no matching in the design).
    """
    s = Section("Comparison group")
    k = result.threshold
    s.add('<h2 id="comparison">Comparison group</h2>')
    m = result.matching
    if m is None:
        why = next((v for kk, v in result.unavailable.items() if kk.endswith("headline")), None)
        reason = why or "matching was not run (design.did.matched is false)"
        s.unavailable("comparison group", clean_text(result, reason))
        return s
    rows = [
        {
            "first term in programme (wave)": c.cohort,
            "participants": c.n_treated,
            "participants matched": c.n_treated_matched,
            "comparison pupils": c.n_controls_matched,
        }
        for c in m.cohorts
    ]
    s.p(
        "For each enrolment wave, each participant was matched to similar pupils from the "
        f"comparison pool ({html.escape(method_words(m.method))}) on their characteristics and their recent "
        "history before enrolment. Participants without a close enough match are left out of "
        "the estimate."
    )
    mo = result.spec.design.matching
    if mo.history_within_school:
        names = ", ".join(label_words(c) for c in mo.history_within_school)
        s.p(
            f"Among pupils close enough on that score, each participant's match was the pupil "
            f"nearest in {html.escape(names)} both as recorded and relative to their own "
            "school in the same terms, so that participants are compared with pupils in a "
            "similar position in a school at a similar level."
            + (
                " The effects were then adjusted for any difference in that history that "
                "matching left."
                if mo.adjust_for_history
                else ""
            )
        )
    # the same cohorts are hidden here as in every other table of the outputs (cross_tables)
    shown = publish_cohort_columns(
        pd.DataFrame(rows),
        result,
        "first term in programme (wave)",
        {
            "participants": "treated",
            "participants matched": "matched",
            "comparison pupils": "controls",
        },
    )
    s.add(html_table(shown, k, caption="Participants matched, by enrolment wave"))
    bal = m.balance()
    if bal is None:
        s.unavailable("balance table", "no cohort had participants to check balance on")
    else:
        s.p(_balance_sentence(bal))
        s.figure(
            love_plot(bal),
            "Balance before and after matching (participant-weighted over waves).",
        )
    dt = [c.distance_treated for c in m.cohorts if c.distance_treated is not None]
    dc = [c.distance_control for c in m.cohorts if c.distance_control is not None]
    if dt and dc:
        s.figure(
            overlap_plot(
                np.concatenate(dt),
                np.concatenate(dc),
                threshold=k,
                counts=_group_sizes(result),
            ),
            "Overlap: propensity scores of participants and of the comparison pool (all waves; "
            "a pupil in the pool has one score per wave).",
        )
    else:
        s.unavailable(
            "overlap plot",
            f"the matching method ({html.escape(method_words(m.method))}) does not estimate a propensity score",
        )
    return s


def method_words(method: str) -> str:
    """The matching method's description without Python list syntax.

    ``"exact on ['phase', 'sex']"`` reads ``"exact on phase, sex"``.

    Parameters
    ----------
    method
        The description the matching step gives.

    Returns
    -------
    str
        Plain text (not escaped).
    """
    return re.sub(
        r"\[([^\[\]]*)\]",
        lambda m: ", ".join(label_words(x.strip(" '\"")) for x in m.group(1).split(",")),
        method,
    )


def _balance_sentence(bal: pd.DataFrame) -> str:
    """The largest standardised difference after matching, in words (HTML-safe)."""
    after = bal["smd_after"].astype(float).abs()
    if not np.isfinite(after).any():
        return "Balance after matching could not be measured."
    i = after.idxmax()
    name = html.escape(label_words(bal.loc[i, bal.columns[0]]))
    good = "within" if after[i] < 0.1 else "above"
    return (
        f"After matching, the largest standardised difference between the groups is "
        f"{after[i]:.2f} ({name}), {good} the usual 0.1 standard for good balance; the full "
        'balance table is in the <a href="#balance">technical appendix</a>.'
    )


def balance_section(result: EvaluationResult) -> Section:
    """For the appendix: the balance table of the comparison group, with how to read it.

    Parameters
    ----------
    result
        The evaluation.

    Returns
    -------
    Section
        The balance table, or why there is none.
    """
    s = Section("Balance")
    s.add('<h2 id="balance">Balance: how similar the groups are</h2>')
    m = result.matching
    bal = None if m is None else m.balance()
    if bal is None:
        s.unavailable("balance table", "no matched comparison group to check balance on")
        return s
    s.add(
        html_table(
            _readable_balance(bal),
            result.threshold,
            caption="Balance of characteristics before and after matching",
        )
    )
    s.p(
        "Standardised mean difference: difference in means over the participants' standard "
        "deviation; below 0.1 (absolute) is the usual standard for good balance. Variance "
        "ratio: 0.5 to 2 is acceptable."
    )
    return s


def _readable_balance(bal: pd.DataFrame) -> pd.DataFrame:
    """The balance table with readable characteristic names and fixed 3-decimal numbers."""
    t = bal.reset_index(drop=True).copy()
    first = t.columns[0]
    t[first] = [label_words(v) for v in t[first]]
    for c in t.columns[1:]:
        if t[c].dtype.kind == "f":
            t[c] = [f"{v:.3f}" if np.isfinite(v) and abs(v) < 1e3 else num(v) for v in t[c]]
    t.columns = [
        {
            "covariate": "characteristic",
            "smd_before": "standardised difference before",
            "smd_after": "standardised difference after",
            "var_ratio_before": "variance ratio before",
            "var_ratio_after": "variance ratio after",
        }.get(str(c), str(c).replace("_", " "))
        for c in t.columns
    ]
    return t


def _group_sizes(result: EvaluationResult) -> tuple[int, int] | None:
    """Participants and comparison-pool pupils as the programme table counts them."""
    n_t, n_c = result.programme.get("n_treated"), result.programme.get("n_comparison_pool")
    if n_t is None or n_c is None:
        return None
    return int(n_t), int(n_c)
