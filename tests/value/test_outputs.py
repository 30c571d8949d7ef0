"""Exports and the finance officer's workflow: edit one cost in the workbook, re-value."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

import sroi.value as value
from sroi import Effect, SroiInputError
from sroi.value.excel import HEADER_ROW
from tests.value import helpers as vh


def test_result_workbook_has_one_sheet_per_table(spec, effects, tmp_path):
    r = value.run(spec, effects)
    p = r.to_excel(tmp_path / "value.xlsx")
    wb = openpyxl.load_workbook(p)
    for name in (
        "summary",
        "by_year",
        "by_agency",
        "by_outcome",
        "by_value_type",
        "agency_year_type",
        "costs",
        "switching_values",
        "assumptions",
        "streams",
    ):
        assert name in wb.sheetnames
    summ = pd.read_excel(p, sheet_name="summary", nrows=10)
    assert summ.set_index("measure").loc["sroi_ratio", "value"] == pytest.approx(r.sroi_ratio)
    assump = pd.read_excel(p, sheet_name="assumptions")
    assert {"parameter", "value", "source", "confidence"} <= set(assump.columns)
    with pytest.raises(SroiInputError, match=".xlsx"):
        r.to_excel(tmp_path / "value.csv")


def test_edit_one_cost_in_the_template_changes_the_ratio(spec, effects, tmp_path):
    wb_path = tmp_path / "costs.xlsx"
    shutil.copy(vh.COST_TEMPLATE, wb_path)
    base = value.run(spec, effects, costs=wb_path)
    ref = value.run(spec, effects)
    assert base.sroi_ratio == pytest.approx(ref.sroi_ratio)
    wb = openpyxl.load_workbook(wb_path)
    ws = wb["unit_costs"]
    head = [c.value for c in ws[HEADER_ROW]]
    col_id, col_amount = head.index("ID") + 1, head.index("Amount (£)") + 1
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        if ws.cell(row=row, column=col_id).value == "CSC_REFERRAL":
            ws.cell(row=row, column=col_amount).value = 234  # was 117 (library line SS6.2)
    wb.save(wb_path)
    new = value.run(spec, effects, costs=wb_path)
    line = base.by_outcome().set_index("cost_id").loc["CSC_REFERRAL", "pv"]
    assert new.pv_benefits == pytest.approx(base.pv_benefits + line)
    assert new.sroi_ratio > base.sroi_ratio
    assert any("differs from library line SS6.2" in n for n in new.notes)


def test_cli_value_with_cost_workbook(tmp_path):
    import yaml

    from sroi.cli import main
    from tests.report.helpers import results_document

    spec = yaml.safe_load(vh.SAMPLE_SPEC.read_text())
    spec["data"]["path"] = str(vh.SAMPLE_DATA / "panel.csv")
    spec["data"]["units"] = str(vh.SAMPLE_DATA / "pupils.csv")
    spec["valuation"] = dict(vh.SAMPLE_VALUATION)
    spec["programme"]["delivery_costs"] = vh.SAMPLE_DELIVERY
    sp = tmp_path / "evaluation.yaml"
    sp.write_text(yaml.safe_dump(spec, sort_keys=False))
    res = tmp_path / "results.json"
    # a schema-valid results.json as `sroi run` writes it, holding the sample effects
    res.write_text(json.dumps(results_document(list(vh.sample_effects().values()))))
    out = tmp_path / "value.json"
    rc = main(
        [
            "value",
            str(sp),
            "--results",
            str(res),
            "--costs",
            str(vh.COST_TEMPLATE),
            "-o",
            str(out),
        ]
    )
    assert rc == 0
    d = json.loads(out.read_text())
    ref = value.run(vh.make_spec(), vh.sample_effects())
    assert d["sroi_ratio"] == pytest.approx(ref.sroi_ratio)


def test_optimism_bias_by_project_type(tmp_path):
    spec = vh.tiny_spec(
        tmp_path,
        valuation={"optimism_bias": {"costs": 0.1, "by_project_type": {"outsourcing": 0.3}}},
        delivery=[
            {"year": 0, "amount": 100, "description": "a", "project_type": "outsourcing"},
            {"year": 0, "amount": 100, "description": "b"},
        ],
    )
    r = value.run(spec, {"o": Effect.from_estimate(-0.1, 0.01, outcome="o")})
    assert r.pv_costs == pytest.approx(130 + 110)
    bad = spec.with_overrides(
        {
            "programme.delivery_costs": [
                {"year": 0, "amount": 1, "description": "x", "project_type": "rockets"}
            ]
        }
    )
    with pytest.raises(SroiInputError, match="project_type 'rockets'"):
        value.run(bad, {"o": Effect.from_estimate(-0.1, 0.01, outcome="o")})


def test_value_does_not_import_impact():
    code = (
        "import sys, sroi.value, sroi.value.uncertainty, sroi.value.excel; "
        "print(any(m.startswith('sroi.impact') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cohort_helpers():
    assert value.starts_by_year([4, 4, 6, 8, 1, 3]) == [2, 3, 1]
    assert value.remaining_school_years([11, 10, 6]) == pytest.approx((1 + 2 + 6) / 3)
    assert value.remaining_school_years([12], final_year_group=11) == 0.0
    with pytest.raises(SroiInputError, match="never"):
        value.starts_by_year([0, 4])
    with pytest.raises(SroiInputError, match="non-empty"):
        value.remaining_school_years([])


def test_sample_pupils_give_the_proposed_cohort_inputs():
    p = pd.read_csv(vh.SAMPLE_DATA / "pupils.csv")
    e = p.loc[p["enrolled"] == 1]
    assert value.starts_by_year(e["cohort"].to_numpy()) == vh.SAMPLE_VALUATION["starts_by_year"]
    yg = e["year_group"] + (e["cohort"] - 1) // 3  # year group at enrolment
    table = value.remaining_school_years_table(yg)
    assert table == {float(k): v for k, v in vh.SAMPLE_VALUATION["remaining_school_years"].items()}
    assert value.remaining_school_years(yg) == pytest.approx(4.256)


def test_remaining_school_years_table():
    assert value.remaining_school_years_table([11, 10, 10, 6]) == {1.0: 1, 2.0: 2, 6.0: 1}
