"""Value for money in detail: who benefits and when, sensitivity, the assumptions register."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

import pandas as pd

from sroi.report.figures import (
    break_even_plot,
    monte_carlo_plot,
    tornado_plot,
    value_by_agency_plot,
)
from sroi.report.record import EvaluationResult
from sroi.report.sections.base import Section
from sroi.report.sections.text import (
    clean_text,
    html_table,
    label_words,
    money,
    num,
    pounds,
    reader_warning,
)
from sroi.report.steps.value import value_headline

if TYPE_CHECKING:  # pragma: no cover
    from sroi.value import ValueResult

__all__ = [
    "assumptions_section",
    "nearest_break_even",
    "parameter_labels",
    "readable",
    "register_text",
    "sensitivity_section",
    "value_details_section",
    "value_section",
]


def _value_by_agency_year(v: ValueResult) -> pd.DataFrame:
    """Present value of headline public value by agency and year.

    Modelled values and transfers are left out, as in the headline.
    """
    s = v.streams
    s = s.loc[(s["basis"] != "modelled") & (s["value_type"] != "transfer")]
    return s.groupby(["agency", "year"], as_index=False)["pv"].sum()


def value_section(result: EvaluationResult) -> Section:
    """Value by agency, year and value type; modelled values shown apart from the headline.

    Parameters
    ----------
    result
        The evaluation (or a value re-run).

    Returns
    -------
    Section
        The value tables and the by-agency figure, or why nothing was valued.
    """
    s = Section("Value")
    s.add('<h2 id="value">Value: who benefits, and when</h2>')
    v, vh = result.value, value_headline(result)
    if v is None or vh is None:
        reason = result.unavailable.get("value", "not computed")
        s.unavailable("value", clean_text(result, reason))
        return s
    k = result.threshold
    rows = [
        ("present value of benefits", money(vh.pv_benefits)),
        ("present value of costs", money(vh.pv_costs)),
        ("net present value", money(vh.npv)),
        ("SROI ratio (public value per £1)", pounds(vh.sroi_ratio)),
        ("financial return (savings to public budgets per £1)", pounds(vh.financial_roi)),
        ("cashable return (savings that reduce a budget, per £1)", pounds(v.cashable_roi)),
        (
            "payback (years)",
            num(vh.payback_year, 1) if vh.payback_year == vh.payback_year else "none",
        ),
    ]
    price = vh.price_year or "base-year"
    table = pd.DataFrame(rows, columns=["figure", f"{price} prices"])
    s.add(html_table(table, k, caption="Value for money: headline figures"))
    ay = _value_by_agency_year(v)
    if not ay.empty:
        s.figure(
            value_by_agency_plot(ay, value="pv", price_year=vh.price_year),
            "Present value of benefits by appraisal year and the agency that gains "
            "(modelled values and transfers excluded).",
        )
    labels = parameter_labels(result)
    t = v.by_agency()
    if not t.empty:
        s.add(
            "<h3>By agency</h3>"
            + html_table(readable(t, labels, money_cols=True), k, caption="Present value by agency")
        )
    s.p(
        'Value by year and by type of value is in the <a href="#value-details">technical '
        "appendix</a>."
    )
    if v.modelled:
        s.p(
            "Modelled values (kept out of the headline figures): "
            + html.escape(", ".join(label_words(m, labels) for m in v.modelled))
            + f"; present value {money(v.pv_modelled)}."
        )
    for w in v.warnings:
        s.p(clean_text(result, reader_warning(w, _outcome_labels(result))), "warn")
    return s


def value_details_section(result: EvaluationResult) -> Section:
    """For the appendix: value by year and by type of value (money in whole pounds).

    Parameters
    ----------
    result
        The evaluation (or a value re-run).

    Returns
    -------
    Section
        The two tables, or why there are none.
    """
    s = Section("Value details")
    s.add('<h2 id="value-details">Value by year and by type of value</h2>')
    v = result.value
    if v is None:
        reason = result.unavailable.get("value", "no valuation was run")
        s.unavailable("value details", clean_text(result, reason))
        return s
    labels = parameter_labels(result)
    for title, t in (("By year", v.by_year()), ("By type of value", v.by_value_type())):
        if not t.empty:
            s.add(
                f"<h3>{title}</h3>"
                + html_table(readable(t, labels, money_cols=True), result.threshold, caption=title)
            )
    return s


def sensitivity_section(result: EvaluationResult) -> Section:
    """Tornado, Monte Carlo distribution, break-even.

    Parameters
    ----------
    result
        The evaluation (or a value re-run).

    Returns
    -------
    Section
        The three sensitivity figures and the break-even table, or why there are none.
    """
    s = Section("Sensitivity")
    s.add('<h2 id="sensitivity">Sensitivity: how sure are the value figures?</h2>')
    sim, vh = result.simulation, value_headline(result)
    if sim is None or vh is None:
        reason = result.unavailable.get("value", "no Monte Carlo simulation was run")
        s.unavailable("sensitivity", clean_text(result, reason))
        return s
    s.figure(
        monte_carlo_plot(
            sim.draws["sroi_ratio"].to_numpy(float),
            point=vh.sroi_ratio,
            interval=vh.sroi_interval,
        ),
        f"Monte Carlo distribution of the SROI ratio ({num(vh.n_draws, 0)} draws; "
        "the shaded band is the 95% interval).",
    )
    labels = parameter_labels(result)
    if not sim.tornado.empty:
        tor = sim.tornado.assign(
            parameter=[label_words(p, labels) for p in sim.tornado["parameter"]]
        )
        s.figure(
            tornado_plot(tor, low="ratio_at_low", high="ratio_at_high", base=vh.sroi_ratio),
            "One-way sensitivity: the SROI ratio with each input at the low and high end of its "
            "range.",
        )
    be, far = _feasible_break_even(sim.switching_values)
    if far:
        s.p(
            "Inputs that would have to move more than "
            f"{_MAX_MOVE:g} times their central value, or change sign, to break even (not "
            "plotted): " + html.escape(", ".join(label_words(p, labels) for p in far)) + "."
        )
    if not be.empty:
        be = be.assign(parameter=[label_words(p, labels) for p in be["parameter"]])
        s.figure(
            break_even_plot(be, break_even="switching_value"),
            "Break-even: the value of each input at which benefits equal costs (others central), "
            "for inputs whose break-even value is feasible, nearest first.",
        )
        s.add(html_table(readable(be, labels), result.threshold))
    else:
        s.p("No single input can move far enough, within its feasible range, to break even.")
    return s


#: Largest multiple of its central value an input may move to for its break-even to be shown.
_MAX_MOVE = 10.0


def _feasible_break_even(be: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Plausible break-even values, nearest first, and the inputs left out.

    Kept: feasible, same sign as the central value and within :data:`_MAX_MOVE` times it.
    """
    if be.empty or "feasible" not in be.columns:
        return be, []
    ratio = be["switching_value"].astype(float) / be["central"].astype(float).where(
        be["central"].astype(float) != 0
    )
    ok = be["feasible"].astype(bool) & (ratio > 0) & (ratio <= _MAX_MOVE)
    far = [str(p) for p in be.loc[be["feasible"].astype(bool) & ~ok, "parameter"]]
    t = be.loc[ok].assign(_dist=(ratio[ok] - 1).abs()).sort_values("_dist")
    return t.drop(columns=["feasible", "_dist"]).reset_index(drop=True), far


def nearest_break_even(result: EvaluationResult) -> tuple[str, str, str] | None:
    """The nearest plausible break-even input: ``(label, central, break-even value)``.

    The first row of the sensitivity section's break-even table, formatted as that table
    formats it; None when no input can break even within a plausible range.

    Parameters
    ----------
    result
        The evaluation (or a value re-run).

    Returns
    -------
    tuple of str, or None
    """
    sim = result.simulation
    if sim is None:
        return None
    be, _ = _feasible_break_even(sim.switching_values)
    if be.empty:
        return None
    row = be.iloc[0]
    name = label_words(row["parameter"], parameter_labels(result))
    return name, _short(row["central"]), _short(row["switching_value"])


def _outcome_labels(result: EvaluationResult) -> dict[str, str]:
    return {name: o.label for name, o in result.outcomes.items()}


def parameter_labels(result: EvaluationResult) -> dict[str, str]:
    """Readable labels for value-model names: outcomes, cost lines and delivery lines.

    Outcome names take the spec's labels; ``cost:CODE`` and ``delivery:N`` take the first
    clause of the cost library's or the spec's description (from the assumptions register).

    Parameters
    ----------
    result
        The evaluation (or a value re-run).

    Returns
    -------
    dict
        Name to label.
    """
    out = _outcome_labels(result)
    v = result.value
    if v is None:
        return out
    a = v.assumptions
    for name, note, unit in zip(
        a["parameter"].astype(str), a["note"].astype(str), a["unit"].astype(str), strict=True
    ):
        kind, _, code = name.partition(":")
        if kind in ("cost", "delivery") and note and note != "nan":
            words = note.split(";")[0].split(" - ")[-1 if kind == "cost" else 0]
            words = words.split(":")[0].split("(")[0].strip()
            if len(words) > 45:
                words = words[:45].rsplit(" ", 1)[0] + "..."
            year = re.search(r"year \d+", unit)
            if kind == "delivery" and year:
                words += f" ({year.group(0)})"
            out[code] = f"{code} {words}" if kind == "cost" else words
    return out


_TABLE_COLUMNS = {
    "pv_benefits_modelled": "present value of modelled benefits",
    "pv_benefits_observed": "present value of observed benefits",
    "pv_costs": "present value of costs",
    "pv_benefits": "present value of benefits",
    "pv_fiscal_benefits": "present value of fiscal benefits",
    "cumulative_pv_net": "cumulative net present value",
    "value_type": "value type",
    "switching_value": "break-even value",
    "change_needed": "change needed (multiple of central)",
    "pv": "present value",
}


def readable(t: pd.DataFrame, labels: dict[str, str], *, money_cols: bool = False) -> pd.DataFrame:
    """A value table for readers: labels for names, yes/no for flags, rounded numbers.

    Parameters
    ----------
    t
        The table.
    labels
        Name to label (:func:`parameter_labels`).
    money_cols
        Every numeric column other than ``year`` is money (whole pounds).

    Returns
    -------
    pandas.DataFrame
        Strings throughout.
    """
    out = t.reset_index(drop=True).copy()
    for c in out.columns:
        col = out[c]
        if col.dtype.kind == "b":
            out[c] = ["yes" if x else "no" for x in col]
        elif c in ("parameter", "agency", "value_type", "basis", "outcome"):
            out[c] = [label_words(x, labels) for x in col]
        elif c == "unit":
            out[c] = [reader_warning(str(x), labels) for x in col]
        elif col.dtype.kind in "if" and c != "year":
            out[c] = [money(x) if money_cols else _short(x) for x in col]
        elif col.dtype.kind in "OU" or str(col.dtype) == "str":
            out[c] = [_short(x) if isinstance(x, float) else _no_keys(x) for x in col]
    out.columns = [_TABLE_COLUMNS.get(str(c), str(c).replace("_", " ")) for c in out.columns]
    return out


def _no_keys(x: object) -> object:
    """Spec keys (``valuation.drop_off``) in free text read as the spec setting they name."""
    if not isinstance(x, str):
        return x
    x = re.sub(
        r"(?<![\w.])\d+\.\d{5,}",
        lambda m: (
            f"{float(m.group(0)):.4f}" if float(m.group(0)) >= 0.01 else f"{float(m.group(0)):.3g}"
        ),
        x,
    )
    return re.sub(
        r"\bvaluation\.([\w.]+)",
        lambda m: "spec valuation setting: " + m.group(1).replace("_", " ").replace(".", ", "),
        x,
    )


#: (pattern, replacement) applied in order to the assumptions register's text cells.
_REGISTER_WORDS: tuple[tuple[str, str], ...] = (
    (r"\bmatched staggered DiD\b", "matched difference-in-differences over staggered enrolment"),
    (r"\bstaggered DiD\b", "difference-in-differences over staggered enrolment"),
    (
        r"\s*\(cohort-wise matching, [^;()]*; SE clustered on school_id\)",
        ", standard errors clustered by school",
    ),
    (r"\bSE clustered on school_id\b", "standard errors clustered by school"),
    (r"\s*\(ATT \(group aggregation\)\)", ", average effect on participants over enrolment waves"),
    (r"\bATT \(group aggregation\)", "average effect on participants over enrolment waves"),
    (r"^SE (\S+)$", r"standard error \1"),
    (r"\bx sign\b", "x direction of the effect"),
    (r"\bGBP (\d{4}(?:-\d{2})?) prices, Per\b", r"£ in \1 prices, per"),
    (r"\bGBP (\d{4}(?:-\d{2})?) prices\b", r"£ in \1 prices"),
    (r"\bGBP\b", "£"),
    (r" -> ", " to "),
    (r"\bSTPR\b", "social time preference rate (STPR)"),
    (r"\[(\d+(?:, \d+)*)\]", r"\1"),
    (r"^valuation$", "spec: valuation settings"),
    (r"^spec$", "spec: programme settings"),
)


def register_text(x: object) -> object:
    """A register cell in words: no code-like names, brackets of lists or ``->`` arrows.

    Parameters
    ----------
    x
        A cell of the assumptions register.

    Returns
    -------
    object
        Text cells rewritten (:data:`_REGISTER_WORDS`, then spec keys as settings); other
        cells unchanged.
    """
    if not isinstance(x, str):
        return x
    for pattern, repl in _REGISTER_WORDS:
        x = re.sub(pattern, repl, x)
    return _no_keys(x)


def _short(x: float) -> str:
    """A number rounded for reading: whole numbers with separators from 100, else 3 digits."""
    v = float(x)
    if v != v:
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def assumptions_section(result: EvaluationResult) -> Section:
    """Assumptions register: every assumption with its value, source and confidence.

    Parameters
    ----------
    result
        The evaluation (or a value re-run).

    Returns
    -------
    Section
        The register, or why there is none.
    """
    s = Section("Assumptions register")
    s.add('<h2 id="assumptions">Assumptions register</h2>')
    if result.value is None:
        reason = result.unavailable.get("value", "no valuation was run")
        s.unavailable("assumptions register", clean_text(result, reason))
    else:
        reg = result.value.assumptions
        money_rows = reg["unit"].astype(str).str.startswith("GBP")
        reg = reg.assign(
            value=[
                money(v) if m and isinstance(v, (int, float)) else v
                for v, m in zip(reg["value"], money_rows, strict=True)
            ]
        )
        reg = reg.assign(
            parameter=[
                p.replace(".", ":") if re.fullmatch(r"[a-z_]+\.[a-z_]+", p) else p
                for p in reg["parameter"].astype(str)
            ]
        )
        table = readable(reg, parameter_labels(result))
        for c in ("value", "unit", "source", "note"):
            if c in table.columns:
                table[c] = [register_text(x) for x in table[c]]
        s.add(
            html_table(
                table,
                result.threshold,
                caption="Every assumption behind the value figures, with its source",
            )
        )
    return s
