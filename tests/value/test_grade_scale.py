"""The confidence-grade scale says how sourced it is: in the data, the register and the output.

No published per-grade table is in ../shared/reference-data: the Unit Cost Database v1.2
Guidance sheet gives only the range of the Greater Manchester CBA reduction (0% to 40%). The
shipped scale is therefore marked illustrative on every row, in the assumptions register and in
``sroi value``'s output, naming the table a council would use instead.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import sroi.value as value
from sroi import Effect, SroiInputError
from sroi.value.costs.grades import grades_status
from tests.value import helpers as vh

DATA = Path(value.__file__).parent / "data"
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference-data"


def test_every_shipped_grade_is_marked_illustrative_with_the_published_range():
    g = value.load_confidence_grades()
    assert list(g.index) == ["1", "2", "3", "4", "5"]
    assert (g["status"] == "illustrative").all()
    assert g["source"].str.contains("Unit Cost Database v1.2").all()
    assert g["source"].str.contains("Guidance").all()
    assert grades_status(g) == "illustrative"
    # the ends of the scale are the published range, 0% and 40%
    assert g["benefit_reduction"].min() == 0.0
    assert g["benefit_reduction"].max() == 0.4
    head = (DATA / "confidence_grades.csv").read_text()
    assert "status: ILLUSTRATIVE" in head and "a council would use" in head


def test_the_published_range_is_what_the_reference_workbook_says():
    """The quoted sentence is in the Unit Cost Database's Guidance sheet (checked where the
    reference files are present: the .xls stores the sheet's text as plain bytes)."""
    xls = REFERENCE / "unit-cost-database-v1.2" / "UnitCostDatabase.xls"
    if not xls.exists():
        pytest.skip(f"reference workbook not found at {xls}")
    raw = xls.read_bytes()
    quote = "a reduction of between 0% and 40% to predicted cost savings"
    assert quote.encode("utf-16-le") in raw or quote.encode("latin-1") in raw
    assert quote in (DATA / "confidence_grades.csv").read_text()


def test_a_council_table_without_status_or_source_is_taken_as_given(tmp_path):
    p = tmp_path / "grades.csv"
    p.write_text("grade,description,benefit_reduction\nA,audited,0\nB,estimate,0.25\n")
    g = value.load_confidence_grades(p)
    assert list(g["status"]) == ["as given", "as given"]
    assert list(g["source"]) == [str(p), str(p)]
    assert grades_status(g) == "as given"
    pub = tmp_path / "pub.csv"
    pub.write_text(
        "grade,description,benefit_reduction,status,source\nA,audited,0,published,policy 2025\n"
    )
    assert grades_status(value.load_confidence_grades(pub)) == "published"
    bad = tmp_path / "bad.csv"
    bad.write_text("grade,description,benefit_reduction,status\nA,audited,0,guessed\n")
    with pytest.raises(SroiInputError, match="status 'guessed'.*published, illustrative"):
        value.load_confidence_grades(bad)


def _run(spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return value.run(spec, {"o": Effect.from_estimate(-0.1, 0.01, outcome="o")})


def test_register_and_summary_line_say_the_scale_is_illustrative(tmp_path):
    r = _run(vh.tiny_spec(tmp_path, [vh.cost_row(confidence="3")]))
    reg = r.assumptions.set_index("parameter")
    rec = reg.loc["confidence_grades"]
    assert rec["value"] == "1: 0%; 2: 10%; 3: 20%; 4: 30%; 5: 40%"
    assert rec["confidence"] == "illustrative"
    assert "Unit Cost Database v1.2" in rec["source"]
    assert "ILLUSTRATIVE percentages, not a published table" in rec["note"]
    assert "Greater Manchester CBA model" in rec["note"]
    assert "valuation.confidence_grades" in rec["note"]
    note = r.confidence_grade_note()
    assert note.startswith("grade scale 1: 0%;") and "(illustrative)" in note
    assert "ILLUSTRATIVE" in note
    # the 20% cut of grade 3 is applied: 10 pupils x 0.1 x 100 x 0.8 a year
    assert r.by_year()["benefits"].iloc[0] == pytest.approx(80.0, rel=1e-12)


def test_a_published_council_scale_has_no_illustrative_warning(tmp_path):
    p = tmp_path / "grades.csv"
    p.write_text(
        "grade,description,benefit_reduction,status,source\n"
        "A,audited,0,published,council appraisal policy 2025 table 3\n"
        "B,estimate,0.25,published,council appraisal policy 2025 table 3\n"
    )
    spec = vh.tiny_spec(
        tmp_path,
        [vh.cost_row(confidence="B")],
        valuation={
            "confidence_grades": str(p),
            "optimism_bias": {"costs": 0.0, "benefits_by_confidence": False},
        },
    )
    r = _run(spec)
    rec = r.assumptions.set_index("parameter").loc["confidence_grades"]
    assert rec["confidence"] == "published"
    assert rec["source"] == "council appraisal policy 2025 table 3"
    assert "ILLUSTRATIVE" not in rec["note"] and "not applied" in rec["note"]
    assert r.by_year()["benefits"].iloc[0] == pytest.approx(100.0, rel=1e-12)  # switched off
