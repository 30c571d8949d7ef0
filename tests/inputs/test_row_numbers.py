"""Row numbers in messages are the rows of the file the user edits: header = row 1.

The convention (sroi/data/validation.py): a CSV row is its line number (blank lines and
cells with line breaks counted), an Excel row the number the spreadsheet shows, a Parquet
row numbered the same way (header as row 1); a problem in a column of the unit file names
the unit file and its row, not the row of the joined panel.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sroi.cli import main
from tests.inputs.base import write_evaluation


def _validate(spec: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["validate", str(spec)]) == 2
    return capsys.readouterr().err


def _bad_panel(folder: Path) -> pd.DataFrame:
    df = pd.read_csv(folder / "panel.csv", dtype={"pupil_id": str})
    df["suspensions"] = df["suspensions"].astype(float)
    df.loc[7, "suspensions"] = -3.0  # position 7: the 8th data row, row 9 of the file
    return df


def test_csv_row_is_the_line_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_evaluation(tmp_path)
    _bad_panel(tmp_path).to_csv(tmp_path / "panel.csv", index=False)
    err = _validate(spec, capsys)
    assert "panel.csv: column 'suspensions'" in err and "(row 9)" in err, err
    lines = (tmp_path / "panel.csv").read_text(encoding="utf-8").splitlines()
    assert lines[9 - 1].split(",")[3] == "-3.0"


def test_csv_blank_lines_and_line_breaks_in_cells_are_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_evaluation(tmp_path)
    df = _bad_panel(tmp_path)
    df.insert(len(df.columns), "note", "")
    df.loc[2, "note"] = "two\nlines"
    text = df.to_csv(index=False)
    head, rest = text.split("\n", 1)
    (tmp_path / "panel.csv").write_text(head + "\n\n\n" + rest, encoding="utf-8")
    err = _validate(spec, capsys)
    # 2 blank lines after the header and one line break inside a cell above the bad row
    assert "(row 12)" in err, err
    lines = (tmp_path / "panel.csv").read_text(encoding="utf-8").splitlines()
    assert ",-3.0," in lines[12 - 1]


def test_excel_row_is_the_spreadsheet_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_evaluation(tmp_path)
    _bad_panel(tmp_path).to_excel(tmp_path / "panel.xlsx", index=False)
    spec.write_text(
        spec.read_text(encoding="utf-8").replace("path: panel.csv", "path: panel.xlsx"),
        encoding="utf-8",
    )
    err = _validate(spec, capsys)
    assert "panel.xlsx: column 'suspensions'" in err and "(row 9)" in err, err


def test_parquet_rows_are_numbered_like_a_spreadsheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow", reason="reading Parquet needs pyarrow")
    spec = write_evaluation(tmp_path)
    _bad_panel(tmp_path).to_parquet(tmp_path / "panel.parquet", index=False)
    spec.write_text(
        spec.read_text(encoding="utf-8").replace("path: panel.csv", "path: panel.parquet"),
        encoding="utf-8",
    )
    err = _validate(spec, capsys)
    assert "panel.parquet: column 'suspensions'" in err and "(row 9)" in err, err


def test_unit_file_column_names_the_unit_file_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_evaluation(tmp_path)
    units = pd.read_csv(tmp_path / "pupils.csv", dtype=object)
    units.loc[3, "prior"] = "inf"  # pupil P003, line 5 of pupils.csv (rows 19-24 of panel)
    units.to_csv(tmp_path / "pupils.csv", index=False)
    err = _validate(spec, capsys)
    assert "pupils.csv: column 'prior'" in err and "(row 5)" in err, err
    assert "panel.csv" not in err


def test_unit_file_rows_follow_the_unit_file_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_evaluation(tmp_path)
    units = pd.read_csv(tmp_path / "pupils.csv", dtype=object).iloc[::-1]
    units.loc[units["pupil_id"] == "P045", "enrolled"] = "2"  # now the 15th data row
    units.to_csv(tmp_path / "pupils.csv", index=False)
    err = _validate(spec, capsys)
    assert "pupils.csv: column 'enrolled'" in err and "(row 16)" in err, err
