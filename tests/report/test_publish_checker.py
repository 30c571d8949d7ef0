"""An independent check of every output for identifiers and small counts of people.

The evaluation forces small cells: a cohort of 3 pupils, a school of 4 pupils, 3 pupils
with a missing covariate (a counted exclusion), an exclusion of 2 pupils (a missing outcome
in one term). It runs under ``sroi batch`` next to an evaluation that fails on a data error
naming a pupil, so one batch leaves a successful run's outputs (HTML, notebook,
results.json, run_log.json, the live value workbook), a failed run's folder and the batch
summary. :func:`scan` is the checker: it does not use the code that writes the outputs, only
the files, the pupil and school ids of the data and the threshold.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from sroi.report.batch import batch
from sroi.report.disclosure import check_no_identifiers, is_people_count
from tests.inputs.base import write_evaluation

K = 10
#: Small numbers of people in words: "3 pupils", "n = 4", "2 of 60 pupils".
_SMALL_IN_TEXT = re.compile(
    r"(?<![\w.,<])([1-9])\s+(?:of\s+\d+\s+)?(?:pupils?|children|child|participants?|units?|"
    r"pupil-terms?|people|persons?)\b|\bn\s*=\s*([1-9])(?![\d.])",
    re.I,
)


#: Counts that are not of people although their names look so (evaluations in a batch).
NOT_PEOPLE = {"n_failed", "n_succeeded", "n_evaluations"}


def _json_counts(x: Any, key: str = "", where: str = "") -> list[str]:
    """Every count of people under the threshold in a JSON document, as 'path = value'."""
    if isinstance(x, dict):
        return [p for k, v in x.items() for p in _json_counts(v, str(k), f"{where}/{k}")]
    if isinstance(x, list):
        return [p for i, v in enumerate(x) for p in _json_counts(v, key, f"{where}/{i}")]
    small = isinstance(x, int) and not isinstance(x, bool) and 0 < x < K
    people = is_people_count(key) and key not in NOT_PEOPLE
    return [f"{where} = {x}"] if small and people else []


def _text_of(path: Path) -> str:
    """The text a reader sees: cell values of a workbook, else the file decoded."""
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path)
        return "\n".join(
            str(c.value)
            for ws in book.worksheets
            for row in ws.iter_rows()
            for c in row
            if c.value is not None
        )
    return path.read_bytes().decode("utf-8", errors="replace")


_PEOPLE_HEADER = re.compile(
    r"pupil|participant|child|people|matched|comparison|treated|control|units|rows|^n$", re.I
)
_OTHER_HEADER = re.compile(
    r"school|cluster|term|wave|cohort|period|year|%|share|rate|smd|ratio|estimate|mean|score", re.I
)


def _table_counts(text: str) -> list[str]:
    """Small numbers in HTML table columns whose header counts people."""
    found = []
    for table in re.findall(r"<table.*?</table>", text, flags=re.S | re.I):
        heads = [
            html_lib.unescape(re.sub(r"<[^>]+>", "", h)).strip()
            for h in re.findall(r"<th[^>]*>(.*?)</th>", table, flags=re.S | re.I)
        ]
        people = {
            i
            for i, h in enumerate(heads)
            if _PEOPLE_HEADER.search(h) and not _OTHER_HEADER.search(h)
        }
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S | re.I):
            cells = [
                re.sub(r"<[^>]+>", "", c).strip()
                for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S | re.I)
            ]
            if len(cells) != len(heads):
                continue
            found += [
                f"{heads[i]} = {cells[i]}" for i in people if re.fullmatch(r"[1-9]", cells[i])
            ]
    return found


def scan(folder: Path, ids: dict[str, list[str]]) -> list[str]:
    """Problems in every file under ``folder``: identifiers, small counts of people."""
    problems: list[str] = []
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        raw = _text_of(f)
        hits = check_no_identifiers(raw, ids, raise_on_found=False)
        problems += sorted({f"{f.name}: {kind} identifier" for _, kind, _ in hits})
        if f.suffix == ".json":
            problems += [f"{f.name}: {p}" for p in _json_counts(json.loads(raw))]
        if f.suffix == ".html":
            problems += [f"{f.name}: table {p}" for p in _table_counts(raw)]
        if f.suffix in (".html", ".ipynb", ".json", ".xlsx"):
            text = re.sub(r"data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]+", " ", raw)
            text = html_lib.unescape(re.sub(r"<[^>]+>", " ", text))
            problems += [f"{f.name}: '{m.group(0)}'" for m in _SMALL_IN_TEXT.finditer(text)]
    return problems


def _small_cells_evaluation(folder: Path) -> Path:
    spec = write_evaluation(folder)
    pupils = pd.read_csv(folder / "pupils.csv", dtype={"pupil_id": str})
    pupils.loc[40:42, ["cohort", "enrolled"]] = [3, 1]  # a cohort of 3
    pupils.loc[43:59, ["cohort", "enrolled"]] = [4, 1]
    pupils.loc[[0, 1, 44, 45], "school_id"] = "S6"  # a school of 4 pupils
    pupils["prior"] = pupils["prior"].astype(object)
    pupils.loc[[5, 6, 7], "prior"] = None  # 3 pupils with a missing covariate
    pupils.to_csv(folder / "pupils.csv", index=False)
    panel = pd.read_csv(folder / "panel.csv", dtype={"pupil_id": str})
    gone = panel["pupil_id"].isin(["P010", "P011"]) & (panel["term"] == 5)
    panel.loc[gone, "attendance_rate"] = None  # an exclusion of 2 pupils (2 pupil-terms)
    panel.to_csv(folder / "panel.csv", index=False)
    return spec


def _failing_evaluation(folder: Path) -> tuple[Path, str]:
    spec = write_evaluation(folder)
    pupils = pd.read_csv(folder / "pupils.csv", dtype=str)
    row = pupils.iloc[[5]].copy()
    row["fsm"] = "1" if row["fsm"].item() == "0" else "0"
    pd.concat([pupils, row]).to_csv(folder / "pupils.csv", index=False)
    return spec, str(row["pupil_id"].item())


def _ids(*folders: Path) -> dict[str, list[str]]:
    pupils = pd.concat(pd.read_csv(f / "pupils.csv", dtype=str) for f in folders)
    return {
        "pupil_id": sorted(set(pupils["pupil_id"])),
        "school_id": sorted(set(pupils["school_id"])),
    }


def test_the_checker_finds_what_it_looks_for(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text(
        json.dumps({"programme": {"n_treated": 3, "n_clusters": 2}, "x": [{"n_units": "<10"}]}),
        "utf-8",
    )
    (tmp_path / "report.html").write_text(
        "<p>only 4 pupils in <b>S0</b></p><table><tr><th>wave</th><th>participants matched</th>"
        "</tr><tr><td>3</td><td>7</td></tr><tr><td>4</td><td>c</td></tr></table>",
        "utf-8",
    )
    found = scan(tmp_path, {"pupil_id": ["P000"], "school_id": ["S0"]})
    assert "results.json: /programme/n_treated = 3" in found
    assert "report.html: '4 pupils'" in found and "report.html: school_id identifier" in found
    assert "report.html: table participants matched = 7" in found
    assert not any("n_clusters" in p or "n_units" in p or "wave" in p for p in found)


@pytest.fixture(scope="module")
def batch_outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    base = tmp_path_factory.mktemp("checker")
    good = _small_cells_evaluation(base / "small_cells")
    bad, pupil = _failing_evaluation(base / "failing")
    out = base / "out"
    summary = batch([good, bad], out, workers=1)
    assert summary.n_succeeded == 1 and summary.n_failed == 1, [i.error for i in summary]
    return out, _ids(good.parent, bad.parent), pupil


@pytest.mark.slow
def test_the_forced_small_cells_are_really_there(batch_outputs: tuple[Path, dict, str]) -> None:
    out, _, _ = batch_outputs
    doc = json.loads((out / "small_cells" / "results.json").read_text("utf-8"))
    cohorts = {r["cohort"]: r["n_pupils"] for r in doc["programme"]["cohorts"]}
    assert cohorts[3] == "<10"  # the cohort of 3
    reasons = " ".join(r["reason"] for r in doc["exclusions"])
    assert "prior" in reasons and "attendance" in reasons  # both exclusions are reported
    assert all(isinstance(r["n_units"], str) for r in doc["exclusions"])


@pytest.mark.slow
def test_no_identifier_or_small_count_in_any_output(batch_outputs: tuple[Path, dict, str]) -> None:
    out, ids, pupil = batch_outputs
    names = {p.name for p in out.rglob("*") if p.is_file()}
    assert {"results.json", "report.html", "batch_summary.json", "run_log.json"} <= names
    summary = (out / "batch_summary.json").read_text("utf-8")
    assert pupil not in summary and "[identifier removed]" in summary  # the failure is there
    assert scan(out, ids) == []
