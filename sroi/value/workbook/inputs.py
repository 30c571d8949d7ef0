"""The input sheets of the live workbook: unit costs, deflators, settings, effects, delivery.

Every number a finance officer may change is an input cell (shaded, blue); structure that
comes from the spec (cohort starts, benefit periods, cost basis) is shown but fixed (grey).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sroi.value.costs import AGENCIES, BASES, COLUMNS, MEASURES, VALUE_TYPES
from sroi.value.model import CompiledModel
from sroi.value.price_years import parse_price_year
from sroi.value.prices import basis_of, deflator_value
from sroi.value.workbook.cells import (
    FACTOR,
    MONEY,
    MONEY_P,
    PCT,
    Book,
    col,
    formula,
    header,
    put,
    ref,
    rng,
    text,
    widths,
)

__all__ = [
    "EFFECT_COLUMNS",
    "Layout",
    "price_index",
    "write_delivery",
    "write_effects",
    "write_inputs",
]

#: Columns of the effects sheet, in order.
EFFECT_COLUMNS = [
    "group",
    "basis",
    "effect",
    "std_error",
    "ci_low",
    "ci_high",
    "unit",
    "displacement",
    "attribution",
    "drop_off",
    "deadweight",
    "lag",
    "observed_years",
    "total",
    "engagement",
    "success",
    "gm_deadweight",
    "multiplier",
]
#: Columns of the delivery sheet, in order.
DELIVERY_COLUMNS = [
    "year",
    "description",
    "agency",
    "in_kind",
    "spent",
    "amount",
    "uplift",
    "discount_factor",
    "cost",
    "pv",
]


@dataclass
class Layout:
    """Where the input sheets put things (rows are 1-based)."""

    T: int
    n_costs: int = 0
    n_deflators: int = 0
    deflator_basis: str = "calendar"
    factor_row: int = 0  # settings: row of the year header of the discount-factor block
    grade_rows: tuple[int, int] = (0, 0)
    band_rows: tuple[int, int] = (0, 0)
    effect_row: dict[str, int] = field(default_factory=dict)
    n_delivery: int = 0

    def uc(self, name: str) -> tuple[int, int, int]:
        """Column, first and last row of a unit_costs column."""
        return COLUMNS.index(name) + 1, 2, self.n_costs + 1

    def uc_range(self, name: str) -> str:
        """Absolute range of a unit_costs column."""
        c, r1, r2 = self.uc(name)
        return rng("unit_costs", r1, c, r2, c)

    def discount(self, schedule: str, t: int) -> str:
        """The cell of the discount factor of year ``t`` (``standard`` or ``health``)."""
        row = self.factor_row + (2 if schedule == "standard" else 4)
        return ref("settings", row, 3 + t)

    def effect(self, group: str, name: str) -> str:
        """A cell of the effects sheet."""
        return ref("effects", self.effect_row[group], EFFECT_COLUMNS.index(name) + 1)


def price_index(x: str, lay: Layout) -> str:
    """Formula giving the deflator index of the price year in cell (or expression) ``x``.

    The same rule as :func:`sroi.value.prices.deflator_terms`: a financial year ``Y-(Y+1)``
    from calendar years is ``0.75 D(Y) + 0.25 D(Y+1)``; a calendar year from financial years
    is ``0.25 D((Y-1)-Y) + 0.75 D(Y-(Y+1))``.
    """
    n = lay.n_deflators + 1
    d, y = rng("deflators", 2, 2, n, 2), rng("deflators", 2, 1, n, 1)
    if lay.deflator_basis == "calendar":
        start = f"VALUE(LEFT({x},4))"
        return (
            f"IF(LEN({x})=4,INDEX({d},MATCH(VALUE({x}),{y},0)),"
            f"0.75*INDEX({d},MATCH({start},{y},0))+0.25*INDEX({d},MATCH({start}+1,{y},0)))"
        )
    v = f"VALUE({x})"
    return (
        f'IF(LEN({x})=4,0.25*INDEX({d},MATCH(({v}-1)&"-"&RIGHT({v},2),{y},0))'
        f'+0.75*INDEX({d},MATCH({v}&"-"&RIGHT({v}+1,2),{y},0)),'
        f'INDEX({d},MATCH(SUBSTITUTE({x},"/","-"),{y},0)))'
    )


def _lists(book: Book, model: CompiledModel) -> dict[str, str]:
    ws = book.wb.create_sheet("lists")
    grades: list[object] = [
        int(g) if str(g).isdigit() else str(g) for g in model.settings.grades.index
    ]
    cols: dict[str, list[object]] = {
        "agency": [*AGENCIES],
        "value_type": [*VALUE_TYPES],
        "confidence": grades,
        "basis": [*BASES],
        "measure": [*MEASURES],
        "yes_no": ["yes", "no"],
    }
    out = {}
    for j, (name, values) in enumerate(cols.items(), start=1):
        header(ws, 1, [name], j)
        for i, v in enumerate(values, start=2):
            put(ws, i, j, v, kind="plain")
        out[name] = rng("lists", 2, j, len(values) + 1, j)
    widths(ws, {}, 22)
    return out


def _validate(ws: Worksheet, source: str, cells: str, prompt: str) -> None:
    dv = DataValidation(type="list", formula1=source, allow_blank=True)
    dv.error = f"Choose one of the allowed values ({prompt})"
    dv.prompt = prompt
    ws.add_data_validation(dv)
    dv.add(cells)


def _cost_value(name: str, rec: dict[str, object]) -> object:
    v = rec[name]
    if name == "duration_years":
        if rec["basis"] == "one_off":
            return None
        return "remaining" if np.isinf(float(v)) else v  # type: ignore[arg-type]
    if name in ("low", "high") and rec["low"] == rec["amount"] == rec["high"]:
        return None  # no range: blank, so that an edited amount is not outside it
    if name == "confidence" and str(v).isdigit():
        return int(str(v))
    if name == "transfer":
        return "yes" if v else "no"
    return None if v == "" else v


def write_unit_costs(book: Book, model: CompiledModel, lay: Layout, lists: dict[str, str]) -> None:
    """Sheet ``unit_costs``: the cost table (one row per unit cost, header on row 1)."""
    ws = book.wb.create_sheet("unit_costs")
    data = model.cost_table
    header(ws, 1, list(COLUMNS))
    inputs = {"agency", "value_type", "amount", "price_year", "confidence", "low", "high"}
    inputs |= {"source", "transfer", "description", "notes", "unit"}
    money = {"amount", "low", "high"}
    for i, rec in enumerate(data[COLUMNS].to_dict(orient="records"), start=2):
        for j, name in enumerate(COLUMNS, start=1):
            kind = "input" if name in inputs else "fixed"
            put(ws, i, j, _cost_value(name, rec), MONEY_P if name in money else None, kind=kind)
    lay.n_costs = len(data)
    last = lay.n_costs + 1
    for name, lst in (
        ("agency", "agency"),
        ("value_type", "value_type"),
        ("confidence", "confidence"),
        ("transfer", "yes_no"),
        ("basis", "basis"),
        ("measure", "measure"),
    ):
        c = COLUMNS.index(name) + 1
        _validate(ws, lists[lst], f"{col(c)}2:{col(c)}{last}", f"{name}: pick from the list")
    amount = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
    amount.error = "A unit cost is a number of pounds, 0 or more"
    ws.add_data_validation(amount)
    for name in ("amount", "low", "high"):
        c = COLUMNS.index(name) + 1
        amount.add(f"{col(c)}2:{col(c)}{last}")
    ws.freeze_panes = "B2"
    widths(ws, {1: 16, 2: 48, 12: 60, 17: 60}, 14)


def write_deflators(book: Book, model: CompiledModel, lay: Layout) -> None:
    """Sheet ``deflators``: the GDP deflator series (inputs) and its source and vintage."""
    ws = book.wb.create_sheet("deflators")
    defl = model.settings.deflators
    lay.deflator_basis = basis_of(defl)
    lay.n_deflators = len(defl)
    header(ws, 1, [f"{lay.deflator_basis}_year", "deflator"])
    for i, (label, v) in enumerate(defl.items(), start=2):
        year = int(label) if lay.deflator_basis == "calendar" else str(label)
        put(ws, i, 1, year, kind="fixed")
        put(ws, i, 2, float(v), "0.0000")
    text(ws, 1, 4, "source", bold=True)
    text(ws, 1, 5, defl.attrs.get("source", ""))
    text(ws, 2, 4, "vintage", bold=True)
    text(ws, 2, 5, defl.attrs.get("vintage", ""))
    text(ws, 3, 4, "years", bold=True)
    text(
        ws,
        3,
        5,
        f"{lay.deflator_basis} years; a financial year Y-(Y+1) from calendar years = "
        "0.75 x D(Y) + 0.25 x D(Y+1)",
    )
    ws.freeze_panes = "A2"
    widths(ws, {1: 14, 2: 12, 4: 10, 5: 90})


def _settings_head(book: Book, model: CompiledModel, lay: Layout, ws: Worksheet) -> None:
    s = model.settings
    rows = [
        ("price year (calendar 2024 or financial 2024-25)", model.price_year, None, "input"),
        ("deflator index of the price year", None, None, "formula"),
        ("confidence grades cut benefits (TRUE / FALSE)", s.benefits_by_confidence, None, "input"),
        ("constant discount rate (blank: Green Book schedule)", s.constant_rate, PCT, "input"),
        ("appraisal years (from the spec)", model.T, None, "fixed"),
    ]
    for i, (label, v, fmt, kind) in enumerate(rows, start=3):
        text(ws, i, 1, label)
        if kind == "formula":
            formula(ws, i, 2, price_index("$B$3", lay), "0.0000")
            book.expect(ws, i, 2, deflator_value(model.price_year, s.deflators))
        else:
            put(ws, i, 2, v, fmt, kind=kind)
    flag = DataValidation(type="list", formula1='"TRUE,FALSE"', allow_blank=False)
    ws.add_data_validation(flag)
    flag.add("B5")
    rate = DataValidation(type="decimal", operator="between", formula1="0", formula2="0.99")
    ws.add_data_validation(rate)
    rate.add("B6")


def _bands_and_grades(model: CompiledModel, lay: Layout, ws: Worksheet) -> None:
    s = model.settings
    header(ws, 10, ["from_year", "to_year", "standard %", "health %"])
    for i, r in enumerate(s.discount_table.to_dict(orient="records"), start=11):
        put(ws, i, 1, int(r["from_year"]), kind="fixed")
        put(ws, i, 2, int(r["to_year"]), kind="fixed")
        put(ws, i, 3, float(r["standard"]), "0.00")
        put(ws, i, 4, float(r["health"]), "0.00")
    lay.band_rows = (11, 10 + len(s.discount_table))
    header(ws, 10, ["grade", "description", "benefit_reduction", "status and source"], 6)
    for i, (g, r) in enumerate(s.grades.iterrows(), start=11):
        put(ws, i, 6, int(str(g)) if str(g).isdigit() else str(g), kind="fixed")
        text(ws, i, 7, r["description"])
        put(ws, i, 8, float(r["benefit_reduction"]), PCT)
        text(ws, i, 9, f"{r['status']}: {r['source']}" if r["source"] else r["status"])
    lay.grade_rows = (11, 10 + len(s.grades))


def _discount_block(book: Book, model: CompiledModel, lay: Layout, ws: Worksheet) -> None:
    r0 = max(lay.band_rows[1], lay.grade_rows[1]) + 3
    lay.factor_row = r0
    b1, b2 = lay.band_rows
    text(ws, r0, 1, "appraisal year", bold=True)
    factors = {"standard": model.D_standard, "health": model.settings.D_health}
    for k, (name, column) in enumerate((("standard", 3), ("health", 4))):
        text(ws, r0 + 1 + 2 * k, 1, f"{name} rate")
        text(ws, r0 + 2 + 2 * k, 1, f"{name} discount factor")
        rates = rng("settings", b1, column, b2, column)
        froms = rng("settings", b1, 1, b2, 1)
        for t in range(model.T):
            c = 3 + t
            if k == 0:
                put(ws, r0, c, t, kind="fixed")
            year = f"{col(c)}${r0}"
            if t == 0:
                put(ws, r0 + 1 + 2 * k, c, None, kind="fixed")
                put(ws, r0 + 2 + 2 * k, c, 1.0, FACTOR, kind="fixed")
            else:
                formula(
                    ws,
                    r0 + 1 + 2 * k,
                    c,
                    f"IF(ISNUMBER($B$6),$B$6,INDEX({rates},MATCH({year},{froms},1))/100)",
                    PCT,
                )
                prev = f"{col(c - 1)}{r0 + 2 + 2 * k}"
                formula(ws, r0 + 2 + 2 * k, c, f"{prev}/(1+{col(c)}{r0 + 1 + 2 * k})", FACTOR)
            book.expect(ws, r0 + 2 + 2 * k, c, float(factors[name][t]))


def write_settings(book: Book, model: CompiledModel, lay: Layout) -> None:
    """Sheet ``settings``: price year, confidence switch, discount schedule, grades, factors."""
    ws = book.wb.create_sheet("settings")
    text(ws, 1, 1, "Appraisal settings (inputs are shaded)", bold=True)
    _settings_head(book, model, lay, ws)
    _bands_and_grades(model, lay, ws)
    _discount_block(book, model, lay, ws)
    widths(ws, {1: 48, 2: 14, 7: 60, 8: 16}, 12)
    ws.freeze_panes = "B3"
    parse_price_year(model.price_year)  # the model's own price year is valid by construction


def write_effects(book: Book, model: CompiledModel, lay: Layout) -> None:
    """Sheet ``effects``: one row per effect group, adjustments as inputs, its multiplier."""
    ws = book.wb.create_sheet("effects")
    header(ws, 1, EFFECT_COLUMNS)
    cidx = {n: EFFECT_COLUMNS.index(n) + 1 for n in EFFECT_COLUMNS}
    for i, g in enumerate(model.groups.values(), start=2):
        lay.effect_row[g.name] = i
        assumed = g.basis == "assumed"
        ci = (np.nan, np.nan)
        if np.isfinite(g.effect_se):
            ci = (
                g.effect - 1.959963984540054 * g.effect_se,
                g.effect + 1.959963984540054 * g.effect_se,
            )
        values = {
            "group": (g.name, "fixed", None),
            "basis": (g.basis, "fixed", None),
            "effect": (None if assumed else g.effect, "fixed" if assumed else "input", "0.0000"),
            "std_error": (g.effect_se, "fixed", "0.0000"),
            "ci_low": (ci[0], "fixed", "0.0000"),
            "ci_high": (ci[1], "fixed", "0.0000"),
            "unit": (g.unit, "fixed", "0.0000"),
            "displacement": (g.displacement, "input", PCT),
            "attribution": (g.attribution, "input", PCT),
            "drop_off": (g.drop_off, "input", PCT),
            "deadweight": (g.deadweight, "input" if g.basis == "assumed_effect" else "fixed", PCT),
            "lag": (g.lag, "fixed", None),
            "observed_years": (g.observed_years, "fixed", None),
            "total": ("yes" if g.total else "no", "fixed", None),
            "engagement": (g.engagement if assumed else None, "input" if assumed else "fixed", PCT),
            "success": (g.success if assumed else None, "input" if assumed else "fixed", "0.0000"),
            "gm_deadweight": (
                g.gm_deadweight if assumed else None,
                "input" if assumed else "fixed",
                PCT,
            ),
        }
        for name, (v, kind, fmt) in values.items():
            put(ws, i, cidx[name], v, fmt, kind=kind)
        c = {n: f"{col(cidx[n])}{i}" for n in EFFECT_COLUMNS}
        base = (
            f"{c['engagement']}*{c['success']}*(1-{c['gm_deadweight']})" if assumed else c["effect"]
        )
        formula(
            ws,
            i,
            cidx["multiplier"],
            f"{base}*{c['unit']}*(1-{c['displacement']})*(1-{c['attribution']})",
            "0.000000",
        )
        P = model.central()
        book.expect(
            ws,
            i,
            cidx["multiplier"],
            float(g.multiplier({k: np.array([v]) for k, v in P.items()})[0]),
        )
    unit = DataValidation(type="decimal", operator="between", formula1="0", formula2="1")
    unit.error = "A proportion between 0 and 1"
    ws.add_data_validation(unit)
    n = len(model.groups) + 1
    for name in (
        "displacement",
        "attribution",
        "drop_off",
        "deadweight",
        "engagement",
        "gm_deadweight",
    ):
        unit.add(f"{col(cidx[name])}2:{col(cidx[name])}{n}")
    ws.freeze_panes = "B2"
    widths(ws, {1: 24}, 13)


def write_delivery(book: Book, model: CompiledModel, lay: Layout) -> None:
    """Sheet ``delivery``: programme costs (base-year prices) with optimism bias, discounted."""
    ws = book.wb.create_sheet("delivery")
    header(ws, 1, DELIVERY_COLUMNS)
    costs = model.cost_streams()
    cidx = {n: DELIVERY_COLUMNS.index(n) + 1 for n in DELIVERY_COLUMNS}
    for i, r in enumerate(costs.to_dict(orient="records"), start=2):
        put(ws, i, cidx["year"], int(r["year"]), kind="fixed")
        put(ws, i, cidx["description"], r["description"], kind="fixed")
        put(ws, i, cidx["agency"], r["agency"], kind="fixed")
        put(ws, i, cidx["in_kind"], "yes" if r["in_kind"] else "no", kind="fixed")
        put(ws, i, cidx["spent"], "yes" if r["spent"] else "no", kind="fixed")
        put(ws, i, cidx["amount"], float(r["amount_base"]), MONEY)
        put(ws, i, cidx["uplift"], float(r["uplift"]), PCT)
        year = int(r["year"])
        factors = rng("settings", lay.factor_row + 2, 3, lay.factor_row + 2, 2 + model.T)
        formula(ws, i, cidx["discount_factor"], f"INDEX({factors},1,$A{i}+1)", FACTOR)
        formula(ws, i, cidx["cost"], f"F{i}*(1+G{i})", MONEY)
        formula(ws, i, cidx["pv"], f"I{i}*H{i}", MONEY)
        book.expect(ws, i, cidx["discount_factor"], float(model.D_standard[year]))
        book.expect(ws, i, cidx["cost"], float(r["cost"]))
        book.expect(ws, i, cidx["pv"], float(r["pv"]))
    lay.n_delivery = len(costs)
    text(ws, len(costs) + 3, 1, "amounts in the price year of the appraisal (settings!B3)")
    ws.freeze_panes = "B2"
    widths(ws, {2: 48}, 13)


def write_inputs(book: Book, model: CompiledModel) -> Layout:
    """Every input sheet, in order; returns where they put things."""
    lay = Layout(T=model.T)
    lists = _lists(book, model)
    write_unit_costs(book, model, lay, lists)
    write_deflators(book, model, lay)
    write_settings(book, model, lay)
    write_effects(book, model, lay)
    write_delivery(book, model, lay)
    return lay
