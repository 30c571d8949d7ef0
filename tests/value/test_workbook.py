"""The live workbook value_model.xlsx: structure, and LibreOffice recalculation equals sroi.

The recalculation tests need headless LibreOffice (Debian ``libreoffice-calc``); without it they
are skipped with a message, and the structure tests still run.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import openpyxl
import pytest

import sroi.value as value
from sroi import Effect
from sroi.value.costs import COLUMNS
from sroi.value.workbook import write_value_model
from tests.value import helpers as vh

NEEDS_SOFFICE = pytest.mark.skipif(
    vh.SOFFICE is None,
    reason="LibreOffice (soffice) not installed: the workbook is not recalculated here "
    "(install libreoffice-calc to run these tests)",
)
#: Functions the workbook may use (every Excel since 2010 and LibreOffice evaluate them).
ALLOWED = {
    "INDEX",
    "MATCH",
    "SUMPRODUCT",
    "POWER",
    "IF",
    "IFERROR",
    "SUM",
    "AND",
    "OR",
    "MAX",
    "LEFT",
    "RIGHT",
    "LEN",
    "VALUE",
    "SUBSTITUTE",
    "ISNUMBER",
}


def quiet_run(spec, effects, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return value.run(spec, effects, **kw)


def rich_spec(tmp_path: Path):
    """Transfers, a WELLBY line, a GM assumed effect, an assumed-effect record, payback."""
    rows = [
        vh.cost_row(confidence="2", description='=HYPERLINK("http://x")'),  # text, not formula
        vh.cost_row(
            id="BEN",
            agency="dwp",
            value_type="fiscal_cashable",
            amount=50,
            transfer="yes",
            description="-benefit payments avoided",
        ),
        {"id": "WB", "library": "WELLBY", "outcome": "ls"},
        vh.cost_row(
            id="Y",
            outcome="a",
            amount=300,
            basis="per_annum",
            duration_years=2,
            description="@risk placement",
        ),
        vh.cost_row(id="Z", outcome="b", amount=80, description="+one more"),
    ]
    extra = [
        {"name": "ls", "column": "ls", "type": "continuous", "direction": "increase"},
        {"name": "b", "column": "b", "type": "binary", "direction": "decrease"},
    ]
    val = {
        "appraisal_years": 5,
        "adjustments": {"drop_off": 0.2, "attribution": 0.1},
        "outcomes": [
            vh.tiny_outcome(observed_years=1, benefit_years=4),
            vh.tiny_outcome(outcome="ls", costs=["WB"], benefit_years=4),
            vh.tiny_outcome(outcome="b", deadweight=0.1, benefit_years=4),
        ],
        "assumed_effects": [
            {
                "outcome": "a",
                "source": "illustrative test",
                "engagement_rate": 0.8,
                "success_rate": 0.1,
                "deadweight": 0.2,
                "costs": ["Y"],
                "benefit_years": 3,
                "in_school": False,
            }
        ],
        "optimism_bias": {"costs": 0.1},
    }
    delivery = [
        {"year": 0, "amount": 200, "description": "set-up", "spent": True},
        {"year": 1, "amount": 100, "description": "year 1", "agency": "school"},
    ]
    spec = vh.tiny_spec(tmp_path, rows, valuation=val, extra_outcomes=extra, delivery=delivery)
    effects = {
        "o": Effect.from_estimate(-0.1, 0.01, outcome="o"),
        "ls": Effect.from_estimate(0.05, 0.02, outcome="ls", period="year"),
        "b": Effect.assumed(-0.2, outcome="b", source="a published trial"),
    }
    return spec, effects


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Sample and rich workbooks, plus edited copies, and their recalculated versions."""
    d = tmp_path_factory.mktemp("workbook")
    spec, effects = vh.make_spec(), vh.sample_effects()
    sample = quiet_run(spec, effects)
    rspec, reffects = rich_spec(d)
    rich = quiet_run(rspec, reffects)
    out = {
        "sample": (sample, write_value_model(sample, d / "sample.xlsx")),
        "rich": (rich, write_value_model(rich, d / "rich.xlsx")),
    }
    edited = d / "edited.xlsx"  # a finance officer changes one unit cost, saves
    wb = openpyxl.load_workbook(d / "sample.xlsx")
    ws = wb["unit_costs"]
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=1).value == "CSC_REFERRAL":
            ws.cell(row=row, column=COLUMNS.index("amount") + 1).value = 234.0
    wb.save(edited)
    adjusted = d / "adjusted.xlsx"  # ... or an adjustment
    wb = openpyxl.load_workbook(d / "sample.xlsx")
    ws = wb["effects"]
    head = [c.value for c in ws[1]]
    for row in range(2, ws.max_row + 1):
        ws.cell(row=row, column=head.index("attribution") + 1).value = 0.25
    wb.save(adjusted)
    return {"dir": d, "spec": spec, "effects": effects, "rspec": rspec, **out}


def _formulas(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [
        c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]


def test_agreed_interface(written):
    d = written["dir"]
    wb = openpyxl.load_workbook(d / "sample.xlsx")
    assert wb.sheetnames[:2] == ["summary", "unit_costs"]
    head = [c.value for c in wb["unit_costs"][1]]
    assert head == list(COLUMNS) and "id" in head and "amount" in head
    for name in ("sroi_ratio", "npv", "pv_benefits", "pv_costs"):
        dn = wb.defined_names[name]
        ((sheet, cell),) = list(dn.destinations)
        assert sheet == "summary" and ":" not in cell
        assert wb[sheet][cell.replace("$", "")].data_type == "f"
    result, _ = written["sample"]
    back = value.load_unit_costs(d / "sample.xlsx")
    model_rows = result.model.cost_table[COLUMNS].reset_index(drop=True)
    assert list(back.data["id"]) == list(model_rows["id"])
    assert back.data["amount"].tolist() == model_rows["amount"].tolist()
    assert back.notes == []  # no formulas on the unit_costs sheet


def test_only_functions_every_excel_evaluates(written):
    d = written["dir"]
    for name in ("sample.xlsx", "rich.xlsx"):
        used = {f for x in _formulas(d / name) for f in re.findall(r"([A-Z][A-Z0-9.]*)\(", x)}
        assert used <= ALLOWED, used - ALLOWED
        assert not used & {"XLOOKUP", "LET", "FILTER", "LAMBDA", "UNIQUE"}


def test_inputs_are_styled_validated_and_frozen(written):
    wb = openpyxl.load_workbook(written["dir"] / "sample.xlsx")
    ws = wb["unit_costs"]
    amount = ws.cell(row=2, column=COLUMNS.index("amount") + 1)
    assert amount.fill.fgColor.rgb.endswith("FFF2CC") and "£" in amount.number_format
    lists = {str(dv.formula1) for dv in ws.data_validations.dataValidation}
    assert any("lists!$A$" in x for x in lists)  # agency
    assert any("lists!$B$" in x for x in lists)  # value type
    assert any("lists!$C$" in x for x in lists)  # confidence grade
    for name in ("unit_costs", "effects", "delivery", "lines", "results"):
        assert wb[name].freeze_panes is not None, name
    assert wb["summary"]._charts  # noqa: SLF001 - a chart on the summary sheet
    assert "£" in wb["summary"]["B5"].number_format


def test_text_is_never_written_as_a_formula(written):
    wb = openpyxl.load_workbook(written["dir"] / "rich.xlsx")
    ws = wb["unit_costs"]
    desc = {
        ws.cell(row=r, column=1).value: ws.cell(row=r, column=2) for r in range(2, ws.max_row + 1)
    }
    for cid, start in (("X", "="), ("BEN", "-"), ("Y", "@"), ("Z", "+")):
        cell = desc[cid]
        assert cell.data_type == "s" and cell.value.startswith(start) and cell.quotePrefix, cid
    table = value.load_unit_costs(written["dir"] / "rich.xlsx")
    assert table.notes == []  # text starting with '=' is not taken for a formula
    back = table.data.set_index("id")
    assert back.loc["X", "description"] == '=HYPERLINK("http://x")'


def _check_all(recalculated: Path, expected: dict) -> None:
    wb = openpyxl.load_workbook(recalculated, data_only=True)
    bad = []
    for key, want in expected.items():
        sheet, cell = key.split("!")
        got = wb[sheet][cell].value
        if isinstance(want, str):
            ok = got == want
        else:
            ok = isinstance(got, int | float) and math.isclose(
                got, want, rel_tol=1e-9, abs_tol=1e-9
            )
        if not ok:
            bad.append((key, got, want))
    assert not bad, f"{len(bad)} of {len(expected)} cells differ, e.g. {bad[:5]}"


@pytest.fixture(scope="module")
def recalculated(written):
    if vh.SOFFICE is None:
        pytest.skip("LibreOffice (soffice) not installed: install libreoffice-calc")
    d = written["dir"]
    names = ["sample.xlsx", "rich.xlsx", "edited.xlsx", "adjusted.xlsx"]
    out = vh.recalculate([d / n for n in names], d / "recalculated")
    return dict(zip(names, out, strict=True))


@NEEDS_SOFFICE
def test_every_result_cell_equals_sroi(written, recalculated):
    for name in ("sample", "rich"):
        result, expected = written[name]
        assert len(expected) > 100
        _check_all(recalculated[f"{name}.xlsx"], expected)
    rich, expected = written["rich"]
    assert 0 < rich.payback_years < 5 and rich.pv_transfers > 0
    assert expected["summary!B11"] == rich.payback_years


def _named(path: Path) -> dict[str, float]:
    wb = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for name in ("sroi_ratio", "npv", "pv_benefits", "pv_costs"):
        ((sheet, cell),) = list(wb.defined_names[name].destinations)
        out[name] = wb[sheet][cell.replace("$", "")].value
    return out


@NEEDS_SOFFICE
def test_an_edited_unit_cost_recalculates_as_sroi_does(written, recalculated, tmp_path):
    result, _ = written["sample"]
    edited = result.model.cost_table[COLUMNS].copy()
    table = value.UnitCostTable(edited.reset_index(drop=True)).with_amount("CSC_REFERRAL", 234.0)
    csv = table.to_csv(tmp_path / "costs.csv")
    want = quiet_run(written["spec"], written["effects"], costs=csv)
    got = _named(recalculated["edited.xlsx"])
    for k, v in got.items():
        assert v == pytest.approx(getattr(want, k), rel=1e-9, abs=1e-9), k
    assert got["sroi_ratio"] > result.sroi_ratio
    # reading the workbook back takes the edited inputs
    back = value.load_unit_costs(recalculated["edited.xlsx"])
    assert back.row("CSC_REFERRAL")["amount"] == 234.0
    again = quiet_run(written["spec"], written["effects"], costs=recalculated["edited.xlsx"])
    assert again.sroi_ratio == pytest.approx(got["sroi_ratio"], rel=1e-9)


@NEEDS_SOFFICE
def test_an_edited_adjustment_recalculates_as_sroi_does(written, recalculated):
    spec = written["spec"].with_overrides({"valuation.adjustments.attribution": 0.25})
    want = quiet_run(spec, written["effects"])
    got = _named(recalculated["adjusted.xlsx"])
    for k, v in got.items():
        assert v == pytest.approx(getattr(want, k), rel=1e-9, abs=1e-9), k
