"""Value for money in detail: who benefits and when, sensitivity, the assumptions register."""

from __future__ import annotations

import html
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
from sroi.report.sections.text import clean_text, html_table, money, num
from sroi.report.steps.value import value_headline

if TYPE_CHECKING:  # pragma: no cover
    from sroi.value import ValueResult

__all__ = ["value_section", "sensitivity_section", "assumptions_section"]


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
    s.add("<h2>Value: who benefits, and when</h2>")
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
        ("SROI ratio (public value per £1)", num(vh.sroi_ratio, 2)),
        ("financial ROI (fiscal benefits per £1)", num(vh.financial_roi, 2)),
        ("payback (years)", num(vh.payback_year, 1)),
    ]
    price = vh.price_year or "base-year"
    table = pd.DataFrame(rows, columns=["", f"{price} prices"])
    s.add(table.to_html(index=False, escape=True, border=0))
    ay = _value_by_agency_year(v)
    if not ay.empty:
        s.figure(
            value_by_agency_plot(ay, value="pv", price_year=vh.price_year),
            "Present value of benefits by appraisal year and the agency that gains "
            "(modelled values and transfers excluded).",
        )
    for title, t in (
        ("By agency", v.by_agency()),
        ("By year", v.by_year()),
        ("By type of value", v.by_value_type()),
    ):
        if not t.empty:
            s.add(f"<h3>{title}</h3>" + html_table(t, k, floats=0))
    if v.modelled:
        s.p(
            "Modelled values (kept out of the headline figures): "
            + html.escape(", ".join(v.modelled))
            + f"; present value {money(v.pv_modelled)}."
        )
    for w in v.warnings:
        s.p(clean_text(result, w), "warn")
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
    s.add("<h2>Sensitivity: how sure are the value figures?</h2>")
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
    if not sim.tornado.empty:
        s.figure(
            tornado_plot(sim.tornado, low="ratio_at_low", high="ratio_at_high", base=vh.sroi_ratio),
            "One-way sensitivity: the SROI ratio with each input at the low and high end of its "
            "range.",
        )
    be = sim.switching_values
    if not be.empty:
        s.figure(
            break_even_plot(be, break_even="switching_value"),
            "Break-even: the value of each input at which benefits equal costs (others central).",
        )
        s.add(html_table(be, result.threshold))
    return s


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
    s.add("<h2>Assumptions register</h2>")
    if result.value is None:
        reason = result.unavailable.get("value", "no valuation was run")
        s.unavailable("assumptions register", clean_text(result, reason))
    else:
        s.add(html_table(result.value.assumptions, result.threshold))
    return s
