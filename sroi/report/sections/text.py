"""Numbers and free text as the report shows them.

Effects of rates and probabilities are read in percentage points, money in whole pounds,
ratios in pounds and pence per £1; missing or non-finite numbers are ``n/a``. Free text goes
through :func:`clean_text` (identifiers removed, small counts suppressed, HTML-escaped).
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from sroi.effect import Effect
from sroi.report.disclosure import sanitize_text, suppress_counts
from sroi.report.evidence import p_phrase
from sroi.report.record import EvaluationResult, OutcomeResult

__all__ = [
    "cell_text",
    "ci_text",
    "clean_text",
    "format_effect",
    "html_table",
    "lower_first",
    "money",
    "label_words",
    "num",
    "p_phrase",
    "p_value",
    "percent",
    "reader_warning",
    "school_days",
    "SCHOOL_DAYS_PER_YEAR",
    "pounds",
    "reads_in_points",
    "significance",
    "unit_words",
]


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def num(x: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals (significant digits when very small or large).

    Text that is not a number is shown as it is (escaped); a missing or non-finite number as
    ``n/a``.
    """
    if isinstance(x, str):
        try:
            float(x)
        except ValueError:
            return html.escape(x)
    v = _finite(x)
    if v is None:
        return "n/a"
    if v != 0 and (abs(v) < 10**-(digits) or abs(v) >= 1e6):
        return f"{v:.{digits}g}"
    return f"{v:,.{digits}f}"


def p_value(p: Any) -> str:
    """A p-value for a table cell: three decimals, ``< 0.001`` below that.

    The same text as :func:`p_phrase` (sentences) without the leading ``p``.
    """
    v = _finite(p)
    if v is None:
        return "n/a"
    return p_phrase(v).removeprefix("p").removeprefix(" = ").strip()


def percent(x: Any) -> str:
    """A proportion as a whole percentage: ``0.983`` reads ``98%``; below 1% ``<1%``."""
    v = _finite(x)
    if v is None:
        return "n/a"
    if 0 < abs(v) < 0.005:
        return "<1%" if v > 0 else "-<1%"
    return f"{v:.0%}"


def money(x: Any) -> str:
    """Whole pounds: ``£1,234``, ``-£56``."""
    v = _finite(x)
    if v is None:
        return "n/a"
    sign = "-" if v < 0 else ""
    return f"{sign}£{abs(v):,.0f}"


def pounds(x: Any) -> str:
    """Pounds and pence per £1 (e.g. an SROI ratio): ``£1.25``, ``-£0.09``."""
    v = _finite(x)
    if v is None:
        return "n/a"
    return f"-£{-v:,.2f}" if v < 0 else f"£{v:,.2f}"


def lower_first(label: str) -> str:
    """Sentence-case a label for use mid-sentence, keeping acronyms (``CAMHS referral``)."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def reads_in_points(outcome_type: str) -> bool:
    """True for rates and probabilities, whose effects read in percentage points."""
    return outcome_type in ("rate", "binary")


def format_effect(value: float | None, outcome_type: str, *, signed: bool = True) -> str:
    """An effect in the words a committee reads: percentage points for rates and probabilities.

    Parameters
    ----------
    value
        The effect on the outcome's own scale (a proportion for rates).
    outcome_type
        The outcome's type in the spec.
    signed
        Show ``+`` for positive values.

    Returns
    -------
    str
        E.g. ``"+1.23 percentage points"``, ``"-0.012"`` or ``"n/a"``.
    """
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    v = float(value)
    if reads_in_points(outcome_type):
        s = f"{v * 100:+.2f}" if signed else f"{v * 100:.2f}"
        return f"{s} percentage points"
    return f"{v:+.3f}" if signed else f"{v:.3f}"


def unit_words(o: OutcomeResult) -> str:
    """The unit an outcome's effect is read in."""
    if reads_in_points(o.type):
        return "percentage points per term"
    return o.unit or "per pupil per term"


def ci_text(e: Effect, o: OutcomeResult) -> str:
    """Interval bounds on the reading scale (percentage points to 2 dp for rates)."""

    def one(v: float) -> str:
        if v is None or not math.isfinite(v):
            return "n/a"
        return f"{v * 100:.2f}" if reads_in_points(o.type) else f"{v:.3f}"

    return f"{one(e.ci_low)} to {one(e.ci_high)}"


def html_table(
    df: pd.DataFrame, threshold: int, *, floats: int = 3, caption: str | None = None
) -> str:
    """An HTML table for the report: counts suppressed, numbers formatted, header cells.

    Parameters
    ----------
    df
        The table (its columns become header cells, ``_`` read as spaces).
    threshold
        Smallest count of people shown (:func:`~sroi.report.disclosure.suppress_counts`).
    floats
        Decimals of float cells (:func:`num`).
    caption
        Optional caption (plain text, escaped), read out by screen readers.

    Returns
    -------
    str
        ``<table>`` HTML, cells escaped, missing values ``n/a``.
    """
    t = suppress_counts(df.reset_index(drop=True), threshold).copy()
    for c in t.columns:
        if t[c].dtype.kind == "f":
            t[c] = [num(v, floats) for v in t[c]]
    t.columns = [str(c).replace("_", " ") for c in t.columns]
    out = str(t.to_html(index=False, escape=True, border=0, na_rep="n/a"))
    if caption:
        head, sep, rest = out.partition(">")
        out = f"{head}{sep}<caption>{html.escape(caption)}</caption>{rest}"
    return out


def clean_text(result: EvaluationResult, text: Any) -> str:
    """Free text for the report: identifiers removed, small counts suppressed, HTML-escaped."""
    return html.escape(sanitize_text(str(text), result.all_identifiers(), result.threshold))


def cell_text(result: EvaluationResult, text: Any) -> str:
    """Free text for a table cell (the table escapes it): identifiers and small counts out."""
    return sanitize_text(str(text), result.all_identifiers(), result.threshold)


def significance(o: OutcomeResult, alpha: float) -> tuple[str, float | None]:
    """Plain words for an outcome's test (adjusted p-value for secondary outcomes) and its p."""
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


#: School days in an English school year (190 days, three terms): converts an attendance
#: effect into days a committee knows.
SCHOOL_DAYS_PER_YEAR = 190


def school_days(o: OutcomeResult, value: float | None) -> str | None:
    """An attendance-rate effect in school days per pupil per year, or None for other outcomes.

    Parameters
    ----------
    o
        The outcome (an attendance rate: a ``rate`` whose name or label says attendance).
    value
        The effect on the outcome's scale (a proportion of sessions).

    Returns
    -------
    str or None
        E.g. ``"about 2.6 more school days per pupil per year"``.
    """
    if o.type != "rate" or "attendance" not in (o.name + " " + o.label).lower():
        return None
    v = _finite(value)
    if v is None:
        return None
    days = v * SCHOOL_DAYS_PER_YEAR
    more = "more" if days >= 0 else "fewer"
    return f"about {abs(days):.1f} {more} school days per pupil per year"


_LABEL_WORDS = {
    "distance": "propensity score",
    "fsm": "free school meals",
    "sen": "special educational needs",
    "sen_ehcp": "special educational needs: EHC plan",
    "sen_none": "special educational needs: none",
    "sen_sen_support": "special educational needs: SEN support",
    "idaci_decile": "area deprivation (IDACI decile)",
    "year_group": "year group",
    "prior_attainment": "prior attainment",
    "child_in_need": "child in need",
    "child_protection": "child protection plan",
    "looked_after": "looked after",
    "nhs": "NHS",
    "nhs_mental_health": "NHS mental health",
    "children_social_care": "children's social care",
    "education_la": "local authority education",
    "local_authority": "local authority",
    "school": "school",
    "school_id": "school",
    "police": "police",
    "fiscal_cashable": "fiscal, cashable",
    "fiscal_non_cashable": "fiscal, non-cashable",
    "camhs_case": "CAMHS case",
    "camhs_referral": "CAMHS referral",
    "csc_referral": "children's social care referral",
    "csc_assessment": "children's social care assessment",
    "truancy_later_costs": "later costs of persistent truancy",
    "effect_share": "share of the effect kept",
    "delivery_costs": "delivery costs (multiplier)",
}


def label_words(name: Any, labels: dict[str, str] | None = None) -> str:
    """A readable label for a variable, covariate, agency or parameter name.

    ``labels`` (e.g. the outcomes' labels) take precedence; known names are spelled out;
    ``x_lag1`` reads "x, last term"; ``x_vs_school`` reads "x relative to the school";
    ``kind:name`` reads "kind: label"; otherwise
    underscores become spaces.
    """
    text = str(name)
    labels = labels or {}
    if text in labels:
        return labels[text]
    if ":" in text:
        kind, _, rest = text.partition(":")
        return f"{label_words(kind, labels)}: {label_words(rest, labels)}"
    for suffix, words in (("_lag1", ", last term"), ("_lag2", ", two terms before")):
        if text.endswith(suffix):
            return label_words(text.removesuffix(suffix), labels) + words
    if text.endswith("_vs_school"):  # school-relative history (history_within_school)
        return label_words(text.removesuffix("_vs_school"), labels) + " relative to the school"
    if text in _LABEL_WORDS:
        return _LABEL_WORDS[text]
    for prefix in ("sex_", "ethnicity_", "phase_"):
        if text.startswith(prefix):
            return f"{prefix[:-1]}: {text[len(prefix) :]}"
    return text.replace("_", " ")


#: (pattern, replacement) applied in order by :func:`reader_warning`.
_WARNING_REWRITES: tuple[tuple[str, str], ...] = (
    (r";?\s*use vcov=.*$", ""),
    (r";?\s*see sroi\.[\w.]+(\(\))?", ""),
    (r";?\s*(report the [^;]*? and )?inspect sroi\.[\w.]+\(\)", ""),
    (r"\bsroi\.[\w.]+(\(\))?", "the package"),
    (r"(pre-trend test: )+", "pre-trend test: "),
    (r"\s*\(school_id\)|of 'school_id' ", ""),
    (r"treated clusters", "programme schools"),
    (r"clusters (with|contain) treated units", "programme schools"),
    (
        r"invalid value encountered in \w+|divide by zero encountered in \w+",
        "a numerical problem (e.g. a negative variance) meant some margins of error could not be "
        "computed; they are shown as missing",
    ),
    (r"ATT\(g,t\)", "wave-by-term effects"),
    (r"\bATT\b", "effect on participants"),
    (r"\btreated units\b", "participants"),
    (r"\bCS\b", "Callaway-Sant'Anna"),
)


def reader_warning(text: str, labels: dict[str, str] | None = None) -> str:
    """A computing warning rewritten for a reader: no code, argument syntax or raw names.

    Parameters
    ----------
    text
        The warning as raised (``"outcome: step: message"``).
    labels
        Outcome names to labels (the ``outcome:`` prefix is replaced by its label).

    Returns
    -------
    str
        Plain text (not yet escaped or sanitised).
    """
    import re

    out = str(text)
    head, sep, rest = out.partition(": ")
    if sep and labels and head in labels:
        out = f"{labels[head]}: {rest}"
    for pattern, repl in _WARNING_REWRITES:
        out = re.sub(pattern, repl, out)
    out = re.sub(r"(\w+) != 0\b", r"\1 is not 0", out)
    out = re.sub(
        r"(?<![\w.'])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w.'])",
        lambda m: label_words(m.group(0), labels),
        out,
    )
    out = re.sub(r"(?<![\w.])(-?\d+\.\d{4,})", lambda m: f"{float(m.group(1)):.3g}", out)
    return re.sub(r"\s{2,}", " ", out).strip()
