"""Price years and GDP deflators: calendar vs financial years, the HM Treasury workbook.

Every expected number is worked by hand from the shipped HM Treasury series (calendar years,
2024 = 100, December 2025 Quarterly National Accounts): D(2005) = 61.5718, D(2006) = 63.4682,
D(2013) = 73.4795, D(2014) = 74.6524, D(2022) = 90.5005, D(2023) = 96.2507, D(2024) = 100.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pytest

import sroi.value as value
from sroi import Effect, SroiInputError
from sroi.value.hmt_deflators import load_hmt_deflators
from sroi.value.price_years import parse_price_year
from sroi.value.prices import (
    DATA_DIR,
    deflator_terms,
    deflator_value,
    load_deflators,
    price_factor,
    read_metadata,
    uprating_note,
)
from tests.value import helpers as vh


def test_shipped_series_is_the_hm_treasury_calendar_series():
    d = load_deflators()
    assert d.index[0] == "1990" and d.index[-1] == "2024" and len(d) == 35
    assert d.attrs["basis"] == "calendar"
    assert (d["2024"], d["2023"], d["2005"]) == (100.0, 96.2507, 61.5718)
    assert "December 2025" in d.attrs["vintage"]
    meta = read_metadata(DATA_DIR / "gdp_deflator.csv")
    assert meta["basis"] == "calendar" and meta["base"] == "2024 = 100"
    assert "HM Treasury" in meta["source"] and "greenbook" in meta["copy"]
    assert not (DATA_DIR / "gdp_deflators.csv").exists()  # the illustrative table is gone
    assert not any("-" in y for y in d.index)  # never labelled as financial years


@pytest.mark.parametrize(
    ("text", "kind", "year", "label"),
    [
        ("2024", "calendar", 2024, "2024"),
        (2024, "calendar", 2024, "2024"),
        (2024.0, "calendar", 2024, "2024"),
        ("2024-25", "financial", 2024, "2024-25"),
        ("2024/25", "financial", 2024, "2024-25"),
        ("2024-2025", "financial", 2024, "2024-25"),
        ("1999-00", "financial", 1999, "1999-00"),
    ],
)
def test_price_years_in_either_form(text, kind, year, label):
    py = parse_price_year(text)
    assert (py.kind, py.year, py.label) == (kind, year, label)


@pytest.mark.parametrize("text", ["2024-26", "24-25", "FY24", "", True])
def test_badly_written_price_years(text):
    with pytest.raises(ValueError):
        parse_price_year(text)


def test_calendar_and_financial_years_by_hand():
    d = load_deflators()
    assert price_factor("2023", "2024", d) == pytest.approx(100 / 96.2507, rel=1e-12)
    fy2324 = 0.75 * 96.2507 + 0.25 * 100.0
    assert deflator_value("2023-24", d) == pytest.approx(fy2324, rel=1e-12)
    assert price_factor("2023-24", "2024", d) == pytest.approx(100 / fy2324, rel=1e-12)
    assert price_factor("2022", "2023-24", d) == pytest.approx(fy2324 / 90.5005, rel=1e-12)
    fy0506 = 0.75 * 61.5718 + 0.25 * 63.4682
    assert price_factor("2005-06", "2024", d) == pytest.approx(100 / fy0506, rel=1e-12)
    assert deflator_terms("2005-06", d) == [("2005", 0.75), ("2006", 0.25)]
    assert uprating_note("2005-06", "2024", d) == (
        "2024 (100.0000) / 2005-06 (0.75 x 61.5718 (2005) + 0.25 x 63.4682 (2006) = "
        f"{fy0506:.4f}) = {100 / fy0506:.6f}"
    )


def test_a_year_the_series_does_not_cover_is_an_error():
    d = load_deflators()
    with pytest.raises(SroiInputError, match=r"2024-25 needs calendar year\(s\) 2025"):
        price_factor("2023", "2024-25", d)
    with pytest.raises(SroiInputError, match="load a newer HM Treasury series"):
        price_factor("1989", "2024", d)


def test_financial_year_series_converts_calendar_years(tmp_path):
    p = tmp_path / "fy.csv"
    p.write_text(
        "# source: test\n# vintage: test vintage\nfinancial_year,deflator\n"
        "2022-23,90\n2023-24,96\n2024-25,100\n"
    )
    d = load_deflators(p)
    assert d.attrs == {"basis": "financial", "vintage": "test vintage", "source": "test"}
    assert price_factor("2023-24", "2024-25", d) == pytest.approx(100 / 96)
    # calendar 2024 = Jan-Mar 2024 (in 2023-24) + Apr-Dec 2024 (in 2024-25)
    assert deflator_value("2024", d) == pytest.approx(0.25 * 96 + 0.75 * 100)
    bad = tmp_path / "bad.csv"
    bad.write_text("financial_year,deflator\n2023,50\n")
    with pytest.raises(SroiInputError, match="financial years must be written like 2024-25"):
        load_deflators(bad)
    both = tmp_path / "both.csv"
    both.write_text("year,deflator\n2023,50\n")
    with pytest.raises(SroiInputError, match="calendar_year,deflator"):
        load_deflators(both)


def hmt_workbook(path: Path, *, calendar: bool = True) -> Path:
    """A small workbook in the layout of the HM Treasury release (December 2025)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "GDP deflators"
    ws["A1"] = "GDP deflators at market prices, and money GDP: March 2026 (test release)"
    ws["A3"] = "Quarterly National Accounts and forecasts"
    header = ["Financial year", "2024-25 = 100", "per cent change", "Money GDP (£ million)"]
    header += ["per cent change", None]
    if calendar:
        header += ["Calendar year", "2024-25 = 100", "per cent change"]
    for j, h in enumerate(header, start=1):
        ws.cell(row=7, column=j, value=h)
    fy = [("2022-23", 92.0), ("2023-24", 97.0), ("2024-25", 100.0), ("2025-26 (3)", 102.5)]
    cy = [(2022, 90.6), (2023, 96.2), (2024, 99.3), ("2025 *", 101.9)]
    for i, ((f, fv), (c, cv)) in enumerate(zip(fy, cy, strict=True), start=8):
        ws.cell(row=i, column=1, value=f)
        ws.cell(row=i, column=2, value=fv)
        if calendar:
            ws.cell(row=i, column=7, value=c)
            ws.cell(row=i, column=8, value=cv)
    ws.cell(row=13, column=1, value="(3) Forecast, Office for Budget Responsibility")
    wb.save(path)
    return path


def test_hm_treasury_workbook_layout(tmp_path):
    p = hmt_workbook(tmp_path / "CGDP_test.xlsx")
    cal = load_hmt_deflators(p)
    assert list(cal.index) == ["2022", "2023", "2024", "2025"]
    assert cal["2025"] == 101.9 and cal.attrs["basis"] == "calendar"
    assert cal.attrs["vintage"].startswith("GDP deflators at market prices, and money GDP: March")
    fin = load_hmt_deflators(p, basis="financial")
    assert list(fin.index) == ["2022-23", "2023-24", "2024-25", "2025-26"]
    assert fin["2025-26"] == 102.5
    # the newer series covers 2025, so a 2024-25 price year converts from calendar years
    assert price_factor("2024-25", "2025", cal) == pytest.approx(
        101.9 / (0.75 * 99.3 + 0.25 * 101.9)
    )
    assert load_deflators(p).equals(cal)  # an .xlsx path is read as the HM Treasury workbook
    only_fy = hmt_workbook(tmp_path / "fy_only.xlsx", calendar=False)
    with pytest.raises(SroiInputError, match="no header row with a 'Calendar year' column"):
        load_hmt_deflators(only_fy)
    with pytest.raises(SroiInputError, match="no sheet 'nope'"):
        load_hmt_deflators(p, sheet="nope")


def test_spec_takes_a_newer_series_and_the_register_shows_the_uprating(tmp_path):
    p = hmt_workbook(tmp_path / "CGDP_test.xlsx")
    spec = vh.tiny_spec(
        tmp_path,
        [vh.cost_row(price_year="2023-24")],
        valuation={"price_year": "2025", "deflators": str(p)},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = value.run(spec, {"o": Effect.from_estimate(-0.1, 0.01, outcome="o", period="year")})
    reg = r.assumptions.set_index("parameter")
    f = 101.9 / (0.75 * 96.2 + 0.25 * 99.3)
    assert reg.loc["uprating:X", "value"] == pytest.approx(f, rel=1e-12)
    assert "0.75 x 96.2000 (2023) + 0.25 x 99.3000 (2024)" in reg.loc["uprating:X", "note"]
    assert "March 2026" in reg.loc["uprating:X", "source"]
    assert reg.loc["cost:X", "value"] == pytest.approx(100 * f, rel=1e-12)
    assert reg.loc["price_year", "unit"] == "calendar year"
    assert r.price_year == "2025"
