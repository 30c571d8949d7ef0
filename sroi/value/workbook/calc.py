"""The calculation sheets of the live workbook: persistence profiles, cohort structure, lines.

For a line (an outcome costed with one unit cost) the value in appraisal year ``t`` is
``per_event x SUMPRODUCT(profile of its effect, column t of its cohort structure)`` and
``per_event = multiplier x (1 - grade reduction) x amount x price factor x conversion rate``;
its present value is ``value_t x discount factor_t`` (the health schedule for QALY and WELLBY
lines). See :mod:`sroi.value.model` for the formula these cells implement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sroi.value.model import CompiledModel
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
    rng,
    text,
    widths,
)
from sroi.value.workbook.inputs import Layout, price_index

__all__ = ["LINE_COLUMNS", "Lines", "write_calculation"]

#: Columns of the lines sheet before the value and PV by year.
LINE_COLUMNS = [
    "key",
    "outcome",
    "group",
    "cost_id",
    "basis",
    "measure",
    "agency",
    "value_type",
    "transfer",
    "amount",
    "price_year",
    "price_factor",
    "confidence",
    "grade_reduction",
    "conversion_rate",
    "multiplier",
    "per_event",
    "public",
    "fiscal",
    "cashable",
    "headline",
    "transfer_overall",
    "pv",
]
_L = {n: LINE_COLUMNS.index(n) + 1 for n in LINE_COLUMNS}


@dataclass
class Lines:
    """Where the lines sheet puts things."""

    n: int
    T: int
    profile_col: dict[str, int] = field(default_factory=dict)
    block_row: dict[int, int] = field(default_factory=dict)

    def value_col(self, t: int) -> int:
        """Column of the value in year ``t``."""
        return len(LINE_COLUMNS) + 1 + t

    def pv_col(self, t: int) -> int:
        """Column of the present value in year ``t``."""
        return len(LINE_COLUMNS) + 1 + self.T + t

    def column(self, name: str) -> str:
        """Absolute range of a lines column (every line)."""
        c = _L[name]
        return rng("lines", 2, c, self.n + 1, c)

    def year_range(self, t: int, pv: bool) -> str:
        """Absolute range of the value (or PV) of year ``t`` over every line."""
        c = self.pv_col(t) if pv else self.value_col(t)
        return rng("lines", 2, c, self.n + 1, c)


def _profiles(book: Book, model: CompiledModel, lay: Layout, out: Lines) -> None:
    ws = book.wb.create_sheet("profiles")
    header(ws, 1, ["participant year k", *model.groups])
    P = model.central()
    for i, year in enumerate(range(model.T), start=2):
        put(ws, i, 1, year, kind="fixed")
    for j, g in enumerate(model.groups.values(), start=2):
        out.profile_col[g.name] = j
        L, dw = lay.effect(g.name, "lag"), lay.effect(g.name, "deadweight")
        drop, m = lay.effect(g.name, "drop_off"), lay.effect(g.name, "observed_years")
        prof = g.profile(
            model.T,
            np.array([P.get(f"deadweight:{g.name}", 0.0)]),
            np.array([P[f"drop_off:{g.name}"]]),
        )[0]
        for i in range(2, model.T + 2):
            kk = f"$A{i}"
            if g.total:
                f = f"IF({kk}={L},1,0)"
            else:
                e = f"MAX(0,{kk}-{L}-MAX({m},1)+1)"
                f = f"IF({kk}>={L},(1-{dw})*IF({e}=0,1,POWER(1-{drop},{e})),0)"
            formula(ws, i, j, f, "0.000000")
            book.expect(ws, i, j, float(prof[i - 2]))
    ws.freeze_panes = "B2"
    widths(ws, {1: 18}, 20)


def _structure(book: Book, model: CompiledModel, out: Lines) -> None:
    ws = book.wb.create_sheet("structure")
    text(
        ws,
        1,
        1,
        "Cohort structure of each line: participants x benefit period x cost duration by "
        "participant year (rows) and appraisal year (columns). Computed by sroi from "
        "starts_by_year, remaining_school_years and the cost basis; change those in the spec.",
    )
    T = model.T
    for j, ln in enumerate(model.lines):
        r0 = 3 + j * (T + 3)
        text(ws, r0, 1, ln.key, bold=True)
        text(ws, r0 + 1, 1, "participant year k / appraisal year t", bold=True)
        for t in range(T):
            put(ws, r0 + 1, 3 + t, t, kind="fixed")
        for k in range(T):
            put(ws, r0 + 2 + k, 1, k, kind="fixed")
            for t in range(T):
                put(ws, r0 + 2 + k, 3 + t, float(ln.M[k, t]), "0.000", kind="fixed")
        out.block_row[j] = r0 + 2
    widths(ws, {1: 34}, 9)


def _lookup(name: str, row: int, lay: Layout) -> str:
    ids = lay.uc_range("id")
    return f"INDEX({lay.uc_range(name)},MATCH($D{row},{ids},0))"


def _line_row(book: Book, model: CompiledModel, lay: Layout, out: Lines, j: int) -> None:
    ws = book.wb["lines"]
    ln = model.lines[j]
    r = j + 2
    for name, v in (("key", ln.key), ("outcome", ln.outcome), ("group", ln.group)):
        put(ws, r, _L[name], v, kind="fixed")
    put(ws, r, _L["cost_id"], ln.cost_id, kind="fixed")
    put(ws, r, _L["basis"], ln.basis, kind="fixed")
    for name in ("measure", "agency", "value_type", "amount", "price_year", "confidence"):
        formula(ws, r, _L[name], _lookup(name, r, lay), MONEY_P if name == "amount" else None)
    formula(ws, r, _L["transfer"], f'IF({_lookup("transfer", r, lay)}="yes",1,0)')
    py = f"{col(_L['price_year'])}{r}"
    formula(ws, r, _L["price_factor"], f"settings!$B$4/({price_index(py, lay)})", FACTOR)
    g1, g2 = lay.grade_rows
    grades, cuts = rng("settings", g1, 6, g2, 6), rng("settings", g1, 8, g2, 8)
    conf = f"{col(_L['confidence'])}{r}"
    formula(
        ws,
        r,
        _L["grade_reduction"],
        f"IF(settings!$B$5,INDEX({cuts},MATCH({conf},{grades},0)),0)",
        PCT,
    )
    modelled = ln.conversion is not None
    put(
        ws,
        r,
        _L["conversion_rate"],
        ln.conversion_rate,
        "0.0000",
        kind="input" if modelled else "fixed",
    )
    formula(ws, r, _L["multiplier"], lay.effect(ln.group, "multiplier"), "0.000000")
    c = {n: f"{col(_L[n])}{r}" for n in LINE_COLUMNS}
    formula(
        ws,
        r,
        _L["per_event"],
        f"{c['multiplier']}*(1-{c['grade_reduction']})*{c['amount']}*{c['price_factor']}"
        f"*{c['conversion_rate']}",
        MONEY_P,
    )
    vt, tr = c["value_type"], c["transfer"]
    public = f'IF(AND(OR({vt}="fiscal_cashable",{vt}="fiscal_non_cashable",{vt}="economic",{vt}="social"),{tr}=0),1,0)'
    formula(ws, r, _L["public"], public)
    formula(ws, r, _L["fiscal"], f'IF(OR({vt}="fiscal_cashable",{vt}="fiscal_non_cashable"),1,0)')
    formula(ws, r, _L["cashable"], f'IF({vt}="fiscal_cashable",1,0)')
    put(ws, r, _L["headline"], 1 if ln.basis in ("observed", "assumed") else 0, kind="fixed")
    formula(ws, r, _L["transfer_overall"], f'IF(OR({vt}="transfer",{tr}=1),1,0)')
    _line_years(book, model, lay, out, j)


def _line_years(book: Book, model: CompiledModel, lay: Layout, out: Lines, j: int) -> None:
    ws = book.wb["lines"]
    ln = model.lines[j]
    r = j + 2
    T = model.T
    pc = out.profile_col[ln.group]
    prof = rng("profiles", 2, pc, T + 1, pc)
    b = out.block_row[j]
    health = f'OR($F{r}="QALY",$F{r}="WELLBY")'
    for t in range(T):
        block = rng("structure", b, 3 + t, b + T - 1, 3 + t)
        formula(ws, r, out.value_col(t), f"$Q{r}*SUMPRODUCT({prof},{block})", MONEY)
        v = f"{col(out.value_col(t))}{r}"
        d = f"IF({health},{lay.discount('health', t)},{lay.discount('standard', t)})"
        formula(ws, r, out.pv_col(t), f"{v}*{d}", MONEY)
    first, last = col(out.pv_col(0)), col(out.pv_col(T - 1))
    formula(ws, r, _L["pv"], f"SUM({first}{r}:{last}{r})", MONEY)


def _expectations(book: Book, model: CompiledModel, out: Lines) -> None:
    ws = book.wb["lines"]
    streams = model.streams()
    outcome, cost_id = streams["outcome"].to_numpy(), streams["cost_id"].to_numpy()
    year = streams["year"].to_numpy()
    value, pv = streams["value"].to_numpy(dtype=float), streams["pv"].to_numpy(dtype=float)
    P = {k: np.array([v]) for k, v in model.central().items()}
    for j, ln in enumerate(model.lines):
        r = j + 2
        rows = np.flatnonzero((outcome == ln.outcome) & (cost_id == ln.cost_id))
        rows = rows[np.argsort(year[rows], kind="stable")]
        for t in range(model.T):
            book.expect(ws, r, out.value_col(t), float(value[rows[t]]))
            book.expect(ws, r, out.pv_col(t), float(pv[rows[t]]))
        book.expect(ws, r, _L["pv"], float(pv[rows].sum()))
        book.expect(ws, r, _L["price_factor"], ln.price_factor)
        book.expect(ws, r, _L["grade_reduction"], ln.grade_reduction)
        g = model.groups[ln.group]
        mult = float(g.multiplier(P)[0])
        book.expect(
            ws,
            r,
            _L["per_event"],
            mult * (1 - ln.grade_reduction) * ln.amount * ln.price_factor * ln.conversion_rate,
        )


def write_calculation(book: Book, model: CompiledModel, lay: Layout) -> Lines:
    """Sheets ``lines``, ``profiles`` and ``structure``; returns where the lines sheet is."""
    out = Lines(n=len(model.lines), T=model.T)
    ws = book.wb.create_sheet("lines")
    years = [f"value_{t}" for t in range(model.T)] + [f"pv_{t}" for t in range(model.T)]
    header(ws, 1, LINE_COLUMNS + years)
    _profiles(book, model, lay, out)
    _structure(book, model, out)
    for j in range(len(model.lines)):
        _line_row(book, model, lay, out, j)
    _expectations(book, model, out)
    ws.freeze_panes = "E2"
    widths(ws, {1: 34, 2: 20, 3: 20, 4: 14}, 12)
    return out
