"""The result sheets of the live workbook: results by year, agency and value type; summary.

Payback follows :func:`sroi.value.payback_period`: costs of a year at its start, fiscal
benefits evenly through it, the first year whose cumulative fiscal benefits reach the
cumulative costs, interpolated inside the year.
"""

from __future__ import annotations

import math

from openpyxl.chart import BarChart, Reference
from openpyxl.workbook.defined_name import DefinedName

from sroi.value.costs import AGENCIES, VALUE_TYPES
from sroi.value.result import ValueResult
from sroi.value.workbook.calc import Lines
from sroi.value.workbook.cells import (
    MONEY,
    PCT,
    RATIO,
    Book,
    formula,
    header,
    put,
    rng,
    text,
    widths,
)
from sroi.value.workbook.inputs import Layout

__all__ = ["BASES", "NAMES", "write_results", "write_summary"]

#: Bases of valued lines, as columns of the by-agency table.
BASES = ("observed", "assumed", "modelled")
#: Workbook-level names of single formula cells on the summary sheet.
NAMES = {
    "pv_benefits": 5,
    "pv_costs": 6,
    "npv": 7,
    "sroi_ratio": 8,
    "financial_roi": 9,
    "cashable_roi": 10,
    "payback_years": 11,
}
_YEAR_COLUMNS = [
    "year",
    "benefits",
    "fiscal_benefits",
    "costs",
    "pv_benefits",
    "pv_fiscal_benefits",
    "pv_costs",
    "cumulative_pv_net",
    "cumulative_pv_costs",
    "pv_fiscal_before",
    "deficit",
    "share_of_year",
    "paid_back",
    "payback_at",
]


def _by_year(book: Book, result: ValueResult, lay: Layout, lines: Lines) -> None:
    ws = book.wb["results"]
    header(ws, 1, _YEAR_COLUMNS)
    T, nd = lay.T, lay.n_delivery + 1
    pub, fis, head = lines.column("public"), lines.column("fiscal"), lines.column("headline")
    dy, dc, dp = (rng("delivery", 2, c, nd, c) for c in (1, 9, 10))
    expected = result.by_year()
    for t in range(T):
        r = t + 2
        put(ws, r, 1, t, kind="fixed")
        v, p = lines.year_range(t, pv=False), lines.year_range(t, pv=True)
        cells = {
            "benefits": f"SUMPRODUCT({v},{pub},{head})",
            "fiscal_benefits": f"SUMPRODUCT({v},{fis},{head})",
            "costs": f"SUMPRODUCT(({dy}=$A{r})*{dc})",
            "pv_benefits": f"SUMPRODUCT({p},{pub},{head})",
            "pv_fiscal_benefits": f"SUMPRODUCT({p},{fis},{head})",
            "pv_costs": f"SUMPRODUCT(({dy}=$A{r})*{dp})",
            "cumulative_pv_net": f"SUM($E$2:E{r})-SUM($G$2:G{r})",
            "cumulative_pv_costs": f"SUM($G$2:G{r})",
            "pv_fiscal_before": "0" if t == 0 else f"SUM($F$2:F{r - 1})",
            "deficit": f"I{r}-J{r}",
            "share_of_year": f"IF(F{r}>0,K{r}/F{r},1E+300)",
            "paid_back": f"IF(AND(OR(K{r}<=0,L{r}<=1),I{r}>0),1,0)",
            "payback_at": f"A{r}+IF(K{r}>0,MAX(0,L{r}),0)",
        }
        for name, f in cells.items():
            c = _YEAR_COLUMNS.index(name) + 1
            formula(ws, r, c, f, MONEY if c <= 11 else "0.0000")
            if name in expected.columns:
                book.expect(ws, r, c, float(expected[name].iloc[t]))


def _by_agency(book: Book, result: ValueResult, lay: Layout, lines: Lines, top: int) -> int:
    ws = book.wb["results"]
    names = ["agency", *(f"pv_benefits_{b}" for b in BASES), "pv_costs"]
    header(ws, top, names)
    ag, basis, pv = lines.column("agency"), lines.column("basis"), lines.column("pv")
    nd = lay.n_delivery + 1
    da, dp = rng("delivery", 2, 3, nd, 3), rng("delivery", 2, 10, nd, 10)
    table = result.by_agency().set_index("agency")
    for i, agency in enumerate(AGENCIES, start=top + 1):
        put(ws, i, 1, agency, kind="fixed")
        for j, b in enumerate(BASES, start=2):
            formula(ws, i, j, f'SUMPRODUCT(({ag}=$A{i})*({basis}="{b}")*{pv})', MONEY)
            name = f"pv_benefits_{b}"
            got = table.loc[agency, name] if agency in table.index and name in table else 0.0
            book.expect(ws, i, j, float(got))
        formula(ws, i, len(names), f"SUMPRODUCT(({da}=$A{i})*{dp})", MONEY)
        got = table.loc[agency, "pv_costs"] if agency in table.index else 0.0
        book.expect(ws, i, len(names), float(got))
    return top + len(AGENCIES) + 2


def _by_value_type(book: Book, result: ValueResult, lines: Lines, top: int) -> None:
    ws = book.wb["results"]
    header(ws, top, ["value_type", "transfer", "basis", "pv"])
    vt, tr = lines.column("value_type"), lines.column("transfer")
    basis, pv = lines.column("basis"), lines.column("pv")
    table = result.by_value_type().set_index(["value_type", "transfer", "basis"])["pv"]
    i = top + 1
    for v in VALUE_TYPES:
        for flag in (False, True):
            for b in BASES:
                put(ws, i, 1, v, kind="fixed")
                put(ws, i, 2, "yes" if flag else "no", kind="fixed")
                put(ws, i, 3, b, kind="fixed")
                formula(
                    ws,
                    i,
                    4,
                    f'SUMPRODUCT(({vt}="{v}")*({tr}={int(flag)})*({basis}="{b}")*{pv})',
                    MONEY,
                )
                book.expect(ws, i, 4, float(table.get((v, flag, b), 0.0)))
                i += 1


def write_results(book: Book, result: ValueResult, lay: Layout, lines: Lines) -> None:
    """Sheet ``results``: by year (with the payback steps), by agency, by value type."""
    ws = book.wb.create_sheet("results")
    _by_year(book, result, lay, lines)
    top = _by_agency(book, result, lay, lines, lay.T + 4)
    _by_value_type(book, result, lines, top)
    ws.freeze_panes = "B2"
    widths(ws, {1: 22}, 15)


def _headline(book: Book, result: ValueResult, lay: Layout, lines: Lines) -> None:
    ws = book.wb["summary"]
    T = lay.T
    pv, head, basis = lines.column("pv"), lines.column("headline"), lines.column("basis")
    pays = (
        f'IF(SUM(results!$G$2:$G${T + 1})<=0,"n/a",IFERROR(INDEX(results!$N$2:$N${T + 1},'
        f'MATCH(1,results!$M$2:$M${T + 1},0)),"not within the period"))'
    )
    rows = [
        ("Price year", "settings!$B$3", None, result.price_year),
        (
            "Benefits: present value (public value)",
            f"SUMPRODUCT({pv},{lines.column('public')},{head})",
            MONEY,
            result.pv_benefits,
        ),
        (
            "Costs: present value (optimism bias included)",
            "SUM(delivery!$J$2:$J$" + str(lay.n_delivery + 1) + ")",
            MONEY,
            result.pv_costs,
        ),
        ("Net present value", "B5-B6", MONEY, result.npv),
        (
            "SROI ratio (public value per £1 of cost)",
            'IF(B6>0,B5/B6,"n/a")',
            RATIO,
            result.sroi_ratio,
        ),
        (
            "Financial ROI (fiscal benefits per £1)",
            f'IF(B6>0,SUMPRODUCT({pv},{lines.column("fiscal")},{head})/B6,"n/a")',
            RATIO,
            result.financial_roi,
        ),
        (
            "Cashable ROI (budgets that fall, per £1)",
            f'IF(B6>0,SUMPRODUCT({pv},{lines.column("cashable")},{head})/B6,"n/a")',
            RATIO,
            result.cashable_roi,
        ),
        ("Payback (years from the start of year 0)", pays, "0.00", result.payback_years),
        (
            "Break-even: share of the estimated effects at which NPV = 0",
            'IF(B5>0,B6/B5,"n/a")',
            PCT,
            result.pv_costs / result.pv_benefits if result.pv_benefits > 0 else "n/a",
        ),
        (
            "Transfers: present value (not public value)",
            f"SUMPRODUCT({pv},{lines.column('transfer_overall')},{head})",
            MONEY,
            result.pv_transfers,
        ),
        (
            "Modelled values: present value (not in the headline)",
            f'SUMPRODUCT(({basis}="modelled")*{pv})',
            MONEY,
            result.pv_modelled,
        ),
    ]
    for i, (label, f, fmt, want) in enumerate(rows, start=4):
        text(ws, i, 1, label)
        formula(ws, i, 2, f, fmt)
        if isinstance(want, float) and not math.isfinite(want):
            want = "not within the period" if i == 11 else "n/a"
        book.expect(ws, i, 2, want)
    for name, row in NAMES.items():
        book.wb.defined_names[name] = DefinedName(name, attr_text=f"summary!$B${row}")


def _chart(ws_results_rows: int, book: Book) -> None:
    ws, res = book.wb["summary"], book.wb["results"]
    chart = BarChart()
    chart.type = "col"
    chart.title = "Present values by appraisal year"
    chart.y_axis.title = "£ (present value)"
    chart.x_axis.title = "appraisal year"
    data = Reference(res, min_col=5, max_col=5, min_row=1, max_row=ws_results_rows + 1)
    costs = Reference(res, min_col=7, max_col=7, min_row=1, max_row=ws_results_rows + 1)
    chart.add_data(data, titles_from_data=True)
    chart.add_data(costs, titles_from_data=True)
    chart.set_categories(Reference(res, min_col=1, min_row=2, max_row=ws_results_rows + 1))
    chart.height, chart.width = 8, 16
    ws.add_chart(chart, "D3")


def write_summary(book: Book, result: ValueResult, lay: Layout, lines: Lines, title: str) -> None:
    """Sheet ``summary`` (first): the headline as formulas, named cells, a chart, how to use."""
    ws = book.wb["summary"]
    text(ws, 1, 1, title, bold=True)
    text(
        ws,
        2,
        1,
        "A live model: every figure is a formula on the shaded input cells of the other "
        "sheets (unit_costs, effects, delivery, settings, deflators). Change an input and the "
        "results recalculate; no Python needed.",
    )
    _headline(book, result, lay, lines)
    _chart(lay.T, book)
    notes = [
        "Structure (cohort starts, benefit periods, cost basis and duration) comes from the spec "
        "and is shown in grey: re-run sroi to change it.",
        "Read edited unit costs back with: sroi value SPEC --costs value_model.xlsx",
        "Money is in the price year's prices; present values use the HM Treasury Green Book "
        "discount schedule (year 0 undiscounted; the health schedule for QALYs and WELLBYs).",
        "Public value excludes transfers and modelled (conversion-chain) values; both are shown.",
    ]
    for i, note in enumerate(notes, start=17):
        text(ws, i, 1, note)
    widths(ws, {1: 58, 2: 18})
