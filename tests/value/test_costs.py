"""Unit-cost tables: readers (CSV, Excel, YAML), validation errors, price base, shipped data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

import sroi
from sroi import SroiInputError
from sroi.value import (
    UnitCostTable,
    load_confidence_grades,
    load_discount_table,
    load_unit_costs,
)
from sroi.value.excel import HEADER_ROW, write_cost_workbook
from sroi.value.prices import read_metadata
from tests.value import helpers as vh

DATA = Path(sroi.value.__file__).parent / "data"


# ------------------------------------------------------------------ shipped tables
def test_sample_unit_costs_load_and_every_row_has_a_source():
    t = sroi.datasets.unit_costs()
    assert isinstance(t, UnitCostTable)
    assert len(t) >= 8
    for src in t.data["source"]:
        assert src.lower().startswith("illustrative") or len(src) > 20
    # illustrative figures carry the lowest-confidence grade
    illus = t.data["source"].str.lower().str.startswith("illustrative")
    assert (t.data.loc[illus, "confidence"] == "5").all()
    # the sample outcomes are all covered
    for o in (
        "attendance_rate",
        "persistent_absence",
        "suspensions",
        "permanent_exclusion",
        "camhs_referral",
        "csc_referral",
    ):
        assert t.for_outcome(o), o
    # referral rows value the referral process or the assessment, never a treatment episode
    cats = t.data.loc[t.data["outcome"].str.endswith("referral"), "category"]
    assert set(cats) == {"referral", "assessment"}
    # published lines wherever the Unit Cost Database has one
    lib = t.data.loc[t.data["library"] != ""].set_index("id")["library"].to_dict()
    assert lib == {
        "PA_TRUANCY": "E&S1.0.1",
        "PEX_AP": "E&S2.0.1",
        "CSC_REFERRAL": "SS6.2",
        "CSC_ASSESS": "SS6.3",
    }
    assert t.data.loc[t.data["library"] != "", "source"].str.contains("Unit Cost Database").all()
    # an illustrative row says which source a council would use
    assert t.data.loc[illus, "source"].str.contains("substitute|illustrative ATT_DAY").all()


def test_confidence_grades_and_discount_table_are_data():
    g = load_confidence_grades()
    assert "illustrative" in (DATA / "confidence_grades.csv").read_text().lower()
    assert g["benefit_reduction"].is_monotonic_increasing
    dt = load_discount_table()
    assert read_metadata(DATA / "discount_rates.csv")["version"]
    assert list(dt["standard"]) == [3.5, 3.0, 2.5, 2.0, 1.5, 1.0]
    assert list(dt["health"])[:2] == [1.5, 1.29]


# ------------------------------------------------------------------ readers
def test_yaml_reader(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"unit_costs": [vh.cost_row(amount="£1,200")]}))
    t = load_unit_costs(p)
    assert t.data["amount"].iloc[0] == 1200.0


def test_csv_blank_lines_are_counted(tmp_path):
    p = vh.write_costs(tmp_path / "c.csv", [vh.cost_row(), vh.cost_row(id="Y")])
    p.write_text(p.read_text() + ",,,,,,,,,,,,,,,,\n\n")
    t = load_unit_costs(p)
    assert len(t) == 2
    assert any("blank" in n for n in t.notes)


def _messy_workbook(path: Path, *, formula: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Costs 2024"
    ws["A1"] = "Finance: unit costs"
    ws["A2"] = "Prepared by the finance team"
    header = [
        "Cost ID",
        "Description",
        "Outcome",
        "Agency",
        "Type of value",
        "Cost basis",
        "Duration",
        "Unit cost (£)",
        "Price year",
        "Source",
        "Confidence grade",
    ]
    for j, h in enumerate(header, start=2):  # starts in column B
        ws.cell(row=4, column=j, value=h)
    rows = [
        [
            "A1",
            "first",
            "o",
            "School",
            "Fiscal non-cashable",
            "one-off",
            None,
            1234.5,
            "2023-24",
            "illustrative",
            5,
        ],
        [
            "A2",
            "second",
            "o",
            "NHS mental health",
            "fiscal cashable",
            "per annum",
            2,
            "£12,000",
            "2023/24",
            "illustrative",
            "4",
        ],
        [None] * 11,
        [
            "A3",
            "third",
            "o",
            "police",
            "economic",
            "one_off",
            None,
            "1 500",
            2024,  # a calendar year typed as a number
            "illustrative",
            3,
        ],
    ]
    for i, row in enumerate(rows, start=5):
        for j, v in enumerate(row, start=2):
            c = ws.cell(row=i, column=j, value=v)
            if j == 9 and isinstance(v, float):
                c.number_format = '"£"#,##0.00'
    if formula:
        ws.cell(row=8, column=9, value="=I5*2")
    for i in range(9, 14):  # trailing rows with empty strings
        ws.cell(row=i, column=2, value="")
    wb.save(path)
    return path


def test_excel_messy_finance_workbook(tmp_path):
    t = load_unit_costs(_messy_workbook(tmp_path / "messy.xlsx"))
    assert list(t.data["id"]) == ["A1", "A2", "A3"]
    np.testing.assert_allclose(t.data["amount"], [1234.5, 12000.0, 1500.0])
    assert list(t.data["agency"]) == ["school", "nhs_mental_health", "police"]
    assert list(t.data["value_type"]) == ["fiscal_non_cashable", "fiscal_cashable", "economic"]
    assert list(t.data["basis"]) == ["one_off", "per_annum", "one_off"]
    assert list(t.data["price_year"]) == ["2023-24", "2023-24", "2024"]
    assert list(t.data["confidence"]) == ["5", "4", "3"]
    assert any("blank" in n for n in t.notes)


def test_excel_unevaluated_formula_names_the_cell(tmp_path):
    p = _messy_workbook(tmp_path / "f.xlsx", formula=True)
    with pytest.raises(SroiInputError, match=r"cell I8: formula =I5\*2"):
        load_unit_costs(p)


def test_excel_without_header_row(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "nothing here"
    wb.save(tmp_path / "n.xlsx")
    with pytest.raises(SroiInputError, match="no header row"):
        load_unit_costs(tmp_path / "n.xlsx")


def test_excel_round_trip_and_template(tmp_path):
    t = sroi.datasets.unit_costs()
    p = write_cost_workbook(t, tmp_path / "rt.xlsx")
    ws = openpyxl.load_workbook(p)["unit_costs"]
    assert ws.cell(row=HEADER_ROW, column=1).value == "ID"
    assert ws.cell(row=1, column=1).value  # header not on row 1
    back = load_unit_costs(p)
    pd.testing.assert_frame_equal(back.data, t.data)
    shipped = vh.COST_TEMPLATE
    pd.testing.assert_frame_equal(load_unit_costs(shipped).data, t.data)


def test_with_amount_changes_one_cost():
    t = sroi.datasets.unit_costs()
    t2 = t.with_amount("ATT_DAY", 40)
    assert t2.row("ATT_DAY")["amount"] == 40 and t.row("ATT_DAY")["amount"] == 30
    with pytest.raises(SroiInputError, match="not in the cost table"):
        t.with_amount("NOPE", 1)
    with pytest.raises(SroiInputError, match=">= 0"):
        t.with_amount("ATT_DAY", -1)


# ------------------------------------------------------------------ validation errors
BAD = [
    ({"amount": ""}, "amount is blank"),
    ({"amount": "-5"}, "amount is negative"),
    ({"amount": "lots"}, "is not a number"),
    ({"agency": "the council"}, "unknown agency"),
    ({"value_type": "savings"}, "unknown value_type"),
    ({"price_year": "1985-86"}, "needs calendar year"),
    ({"price_year": "2025"}, "needs calendar year"),
    ({"price_year": "23-24"}, "price year must be a calendar year like 2024 or a financial"),
    ({"confidence": "9"}, "not in the grade scale"),
    ({"low": "200"}, "is above amount"),
    ({"high": "50"}, "is below amount"),
    ({"basis": "monthly"}, "must be one_off or per_annum"),
    ({"basis": "per_annum", "duration_years": "forever"}, "duration_years"),
    ({"source": ""}, "source is blank"),
    ({"source": "web"}, "too short"),
    ({"measure": "days"}, "measure"),
    ({"category": "misc stuff"}, "unknown category"),
    ({"basis": "one_off", "duration_years": "3"}, "only to per_annum"),
]


@pytest.mark.parametrize(("change", "message"), BAD, ids=[b[1] for b in BAD])
def test_bad_cost_rows(tmp_path, change, message):
    p = vh.write_costs(tmp_path / "c.csv", [vh.cost_row(), vh.cost_row(id="Y", **change)])
    with pytest.raises(SroiInputError, match=message) as exc:
        load_unit_costs(p)
    assert "line 3" in str(exc.value) and "id Y" in str(exc.value)


def test_duplicate_ids_name_both_rows(tmp_path):
    p = vh.write_costs(tmp_path / "c.csv", [vh.cost_row(), vh.cost_row()])
    with pytest.raises(SroiInputError, match="duplicate id.*'X' on line 2 and line 3"):
        load_unit_costs(p)


def test_all_problems_reported_at_once(tmp_path):
    p = vh.write_costs(
        tmp_path / "c.csv", [vh.cost_row(amount="-1"), vh.cost_row(id="Y", agency="mars")]
    )
    with pytest.raises(SroiInputError, match="2 problem"):
        load_unit_costs(p)


def test_missing_and_unknown_columns(tmp_path):
    p = tmp_path / "c.csv"
    pd.DataFrame([vh.cost_row()]).drop(columns=["source"]).to_csv(p, index=False)
    with pytest.raises(SroiInputError, match=r"missing required column\(s\) \['source'\]"):
        load_unit_costs(p)
    pd.DataFrame([{**vh.cost_row(), "colour": "red"}]).to_csv(p, index=False)
    with pytest.raises(SroiInputError, match="unknown column"):
        load_unit_costs(p)


def test_file_errors(tmp_path):
    with pytest.raises(SroiInputError, match="not found"):
        load_unit_costs(tmp_path / "none.csv")
    (tmp_path / "c.txt").write_text("x")
    with pytest.raises(SroiInputError, match=".csv, .xlsx or .yaml"):
        load_unit_costs(tmp_path / "c.txt")
    (tmp_path / "e.csv").write_text(",".join(vh.COST_COLUMNS) + "\n")
    with pytest.raises(SroiInputError, match="no rows"):
        load_unit_costs(tmp_path / "e.csv")
    (tmp_path / "b.yaml").write_text("a: [1, 2")
    with pytest.raises(SroiInputError, match="not valid YAML"):
        load_unit_costs(tmp_path / "b.yaml")
    (tmp_path / "s.yaml").write_text("just text")
    with pytest.raises(SroiInputError, match="list of cost rows"):
        load_unit_costs(tmp_path / "s.yaml")


@pytest.mark.parametrize(
    ("cell", "value", "bad"),
    [
        ("£1,234.50", 1234.5, False),
        ("1 234", 1234.0, False),
        ("(120)", -120.0, False),
        ("(£1,000)", -1000.0, False),
        ("-5", -5.0, False),
        ("GBP 5", 5.0, False),
        ("\u00a0£7\u00a0", 7.0, False),
        (".5", 0.5, False),
        (3, 3.0, False),
        (2.5, 2.5, False),
        ("", None, False),
        ("-", None, False),
        ("n/a", None, False),
        (None, None, False),
        (float("nan"), None, False),
        ("abc", None, True),
        ("1.2.3", None, True),
        ("1e5", None, True),
        ("--5", None, True),
        (True, None, True),
    ],
)
def test_money_cells(cell, value, bad):
    from sroi.value.costs.cells import money_cell, money_col

    x, is_bad = money_cell(cell)
    assert is_bad is bad
    assert np.isnan(x) if value is None else x == value
    vals, mask = money_col(pd.Series([cell, "£2"], dtype=object, name="amount"))
    assert list(mask) == [bad, False] and vals.iloc[1] == 2.0 and vals.name == "amount"
    assert np.isnan(vals.iloc[0]) if value is None else vals.iloc[0] == value
