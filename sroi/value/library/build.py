"""Build the shipped reference tables from the published files they come from.

Run from the repository root (the reference files sit beside it, in
``../shared/reference-data``; ``--source`` names another folder)::

    python -m sroi.value.library.build [--source DIR] [--out DIR] [--check]

It writes three tables into ``sroi/value/data/`` (or ``--out``):

``unit_cost_library.csv``
    Every line of the Unit Cost Database v1.2 (New Economy, 2013), from the theme sheets as
    CSV (``unit-cost-database-v1.2/*.csv``, one file per theme, no header row): code,
    description, agency, unit, amount in the line's own price year, source document, RAG rating
    mapped to a confidence grade, level (headline / subsidiary / constituent), parent, the
    notes that matter for double counting, and the database's own figure uprated to 2013-14
    prices (kept to check the parse). Mappings: :mod:`sroi.value.library.mapping`.
``gdp_deflator.csv``
    HM Treasury GDP deflator at market prices, calendar years (``hmt-green-book``).
``appraisal_values.csv``
    HM Treasury WELLBY values and the DHSC / NICE QALY values (``hmt-green-book``), as
    library lines measured in WELLBYs or QALYs.

``--check`` builds into a temporary folder and compares with the shipped tables (exit 1 if
they differ). :func:`build` is what the test of the shipped tables calls.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sroi.value.library import mapping
from sroi.value.library.tables import (
    APPRAISAL_FILE,
    DEFLATOR_FILE,
    LIBRARY_COLUMNS,
    LIBRARY_FILE,
)

__all__ = ["DEFAULT_SOURCE", "THEME_FILES", "build", "build_library", "main"]

#: The reference files beside the repository, seen from its root (the current folder).
DEFAULT_SOURCE = Path("..") / "shared" / "reference-data"
#: The database's theme sheets as CSV, in the order of the workbook.
THEME_FILES = (
    "CRIME.csv",
    "EDUCATION&SKILLS.csv",
    "EMPLOYMENT&ECONOMY.csv",
    "FIRE.csv",
    "HEALTH.csv",
    "HOUSING.csv",
    "SOCIALSERVICES.csv",
)
#: Where the CSV copy of the database comes from.
DATABASE_COPY = (
    "github.com/datagovuk-hackcode/early-intervention-unit-cost-database, commit 62375d9 "
    "(2014): the theme sheets of UnitCostDatabase.xls as CSV"
)
DATABASE = "New Economy (Greater Manchester), Unit Cost Database v1.2 (2013)"
_RAW = [
    "theme",
    "topic",
    "code",
    "description",
    "agency_1",
    "agency_2",
    "unit",
    "amount",
    "price_year",
    "amount_2013_14",
    "source_document",
    "rag",
    "notes",
    "source_url",
]


def _money(text: str, where: str, *, blank: bool = False) -> float:
    clean = re.sub(r"[£,\s]", "", text)
    if blank and not clean:
        return float("nan")
    try:
        return float(clean)
    except ValueError:
        raise ValueError(f"{where}: amount {text!r} is not a number") from None


def _text(s: str) -> str:
    """One line of text: line breaks become ' / ', runs of spaces one space."""
    parts = [re.sub(r"\s+", " ", p).strip() for p in s.replace("\r", "").split("\n")]
    return " / ".join(p for p in parts if p)


def _read_themes(folder: Path) -> pd.DataFrame:
    frames = []
    for name in THEME_FILES:
        raw = pd.read_csv(folder / name, header=None, dtype=str, keep_default_na=False)
        if raw.shape[1] != len(_RAW):
            raise ValueError(f"{folder / name}: expected {len(_RAW)} columns, got {raw.shape[1]}")
        raw.columns = _RAW
        raw["file"] = name
        raw["row"] = range(1, len(raw) + 1)
        frames.append(raw)
    return pd.concat(frames, ignore_index=True)


def _ids(codes: pd.Series) -> pd.Series:
    """The code, or ``code/k`` (k = 1, 2, ... in database order) for a repeated code."""
    n = codes.groupby(codes).transform("size")
    k = codes.groupby(codes).cumcount() + 1
    return codes.where(n == 1, codes + "/" + k.astype(str))


def _overlap_notes(lib: pd.DataFrame) -> pd.Series:
    """The ``double_counting`` column: structure, mixed transfers and the database's words."""
    out: dict[object, list[str]] = {i: [] for i in lib.index}
    by_code = lib.reset_index().drop_duplicates("code").set_index("code")
    for i, r in lib.iterrows():
        if r["parent"]:
            out[i].append(f"constituent of {r['parent']}: never value it together with its parent")
        kids = lib.loc[lib["parent"] == r["code"]]
        if len(kids):
            note = (
                f"parent of {len(kids)} constituent line(s) ({', '.join(kids['id'])}): never "
                "value it together with them"
            )
            if (kids["price_year"] == r["price_year"]).all() and r["amount"] > 0:
                total = float(kids["amount"].sum())
                note += (
                    f"; the constituents add up to {total:,.2f} in {r['price_year']} prices "
                    f"({total / r['amount']:.0%} of this line)"
                )
            out[i].append(note)
        if r["code"] in mapping.MIXED_TRANSFER_CODES:
            out[i].append(
                "adds benefit payments (a transfer overall) to other savings: value its "
                "constituent lines instead, so that the transfer stays out of public value"
            )
        for s in re.split(r"(?<=[.;])\s+(?=[A-Z])", r["notes"]):
            if mapping.DOUBLE_COUNTING_PATTERN.search(s):
                out[i].append(f"database note: {s.strip()}")
    assert set(lib["parent"][lib["parent"] != ""]) <= set(by_code.index)
    return pd.Series({i: " | ".join(v) for i, v in out.items()})


def build_library(folder: Path) -> pd.DataFrame:
    """The library table from the database's theme sheets (columns :data:`LIBRARY_COLUMNS`).

    Parameters
    ----------
    folder
        ``unit-cost-database-v1.2`` (the theme CSVs).

    Returns
    -------
    pandas.DataFrame
        One row per database line, in database order.

    Raises
    ------
    ValueError
        For a file with other columns, an amount that is not a number, a price year not
        written like ``2005/06``, a RAG rating other than R/A/G or an unknown agency.
    """
    raw = _read_themes(folder)
    lib = pd.DataFrame(index=raw.index)
    lib["code"] = raw["code"].str.strip()
    lib["id"] = _ids(lib["code"])
    lib["theme"] = raw["theme"].str.strip()
    lib["topic"] = raw["topic"].str.strip().replace("-", "")
    levels = [mapping.level_and_parent(c) for c in lib["code"]]
    lib["level"] = [lv for lv, _ in levels]
    lib["parent"] = [p for _, p in levels]
    lib["description"] = raw["description"].map(_text)
    lib["agency"] = [
        mapping.agency_token(c, a1, a2, t, tp)
        for c, a1, a2, t, tp in zip(
            lib["code"], raw["agency_1"], raw["agency_2"], lib["theme"], lib["topic"], strict=True
        )
    ]
    lib["agency_database"] = [
        " / ".join(x for x in (a.strip(), b.strip()) if x and x != "-")
        for a, b in zip(raw["agency_1"], raw["agency_2"], strict=True)
    ]
    lib["value_type"] = [
        mapping.value_type(c, a) for c, a in zip(lib["code"], lib["agency"], strict=True)
    ]
    lib["transfer"] = lib["code"].map(mapping.is_transfer)
    lib["category"] = lib["code"].map(mapping.category)
    lib["unit"] = raw["unit"].map(_text)
    where = raw["file"] + " line " + raw["row"].astype(str)
    lib["amount"] = [_money(a, w) for a, w in zip(raw["amount"], where, strict=True)]
    fy = raw["price_year"].str.strip().str.replace("/", "-", regex=False)
    bad = ~fy.str.fullmatch(r"\d{4}-\d{2}")
    if bad.any():
        raise ValueError(f"{where[bad].iloc[0]}: price year {fy[bad].iloc[0]!r} is not 2005/06")
    lib["price_year"] = fy
    lib["amount_2013_14"] = [
        _money(a, w, blank=True) for a, w in zip(raw["amount_2013_14"], where, strict=True)
    ]
    lib["rag"] = raw["rag"].str.strip()
    if not lib["rag"].isin(list(mapping.RAG_GRADE)).all():
        raise ValueError(f"RAG ratings other than R/A/G: {sorted(set(lib['rag']))}")
    lib["confidence"] = lib["rag"].map(mapping.RAG_GRADE)
    lib["source_document"] = raw["source_document"].map(_text)
    lib["source"] = (
        f"{DATABASE}, line " + lib["code"] + " (RAG " + lib["rag"] + "): " + lib["source_document"]
    )
    lib["source_url"] = raw["source_url"].str.strip()
    lib["measure"] = "money"
    lib["low"] = float("nan")
    lib["high"] = float("nan")
    lib["notes"] = raw["notes"].map(_text)
    lib["double_counting"] = _overlap_notes(lib)
    if lib["id"].duplicated().any():  # pragma: no cover - _ids makes them unique
        raise ValueError("library ids are not unique")
    return lib[LIBRARY_COLUMNS]


def _versions(folder: Path) -> dict[str, dict[str, str]]:
    df = pd.read_csv(folder / "data_versions.csv", dtype=str, keep_default_na=False)
    return {r["dataset"]: dict(r) for r in df.to_dict(orient="records")}


def build_deflator(folder: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """The HM Treasury calendar-year GDP deflator and its metadata.

    Raises
    ------
    ValueError
        For years that are not consecutive calendar years or a non-positive value.
    """
    df = pd.read_csv(folder / "gdp_deflator.csv")
    years = df["year"].astype(int)
    if not (years.diff().dropna() == 1).all() or (df["value"] <= 0).any():
        raise ValueError(f"{folder / 'gdp_deflator.csv'}: expected consecutive years, values > 0")
    base = years[df["value"] == 100.0]
    v = _versions(folder)["gdp_deflator"]
    meta = {
        "title": "GDP deflator at market prices, United Kingdom, CALENDAR years",
        "source": v["source"],
        "vintage": "December 2025 Quarterly National Accounts",
        "basis": "calendar",
        "base": f"{int(base.iloc[0])} = 100" if len(base) else "",
        "notes": v["notes"].split(". ")[0],
        "copy": "R package greenbook 0.1.1, inst/extdata/gdp_deflator.csv (MIT licence, "
        "copyright 2026 Charles Coverdale), as in ../shared/reference-data/hmt-green-book",
    }
    out = pd.DataFrame({"calendar_year": years, "deflator": df["value"].astype(float)})
    return out, meta


def build_appraisal_values(folder: Path) -> pd.DataFrame:
    """WELLBY and QALY values as library lines (columns :data:`LIBRARY_COLUMNS`).

    The WELLBY line carries the guidance's low and high values; every QALY line is a single
    value. All are social value to society, graded 2 (a recent published national value).
    """
    wb = pd.read_csv(folder / "wellby.csv", dtype={"base_year": str}).set_index("scenario")
    qa = pd.read_csv(folder / "qaly.csv", dtype={"base_year": str}).set_index("scenario")
    v = _versions(folder)
    rows = [
        {
            "id": "WELLBY",
            "description": "Value of one WELLBY (one point of life satisfaction, 0-10 scale, for "
            "one person for one year)",
            "unit": "per WELLBY",
            "amount": float(wb.loc["central", "value_gbp"]),
            "low": float(wb.loc["low", "value_gbp"]),
            "high": float(wb.loc["high", "value_gbp"]),
            "price_year": str(wb.loc["central", "base_year"]),
            "measure": "WELLBY",
            "source_document": str(wb.loc["central", "source"]).replace(" central", ""),
            "notes": f"Low / central / high. {v['wellby']['notes']}",
        }
    ]
    labels = {
        "dhsc": ("QALY", "Value of one QALY for cross-government appraisal"),
        "nice_lower": ("QALY_NICE_LOWER", "NICE cost-effectiveness threshold, lower"),
        "nice_upper": ("QALY_NICE_UPPER", "NICE cost-effectiveness threshold, upper"),
    }
    for scenario, (qid, text) in labels.items():
        r = qa.loc[scenario]
        rows.append(
            {
                "id": qid,
                "description": text,
                "unit": "per QALY",
                "amount": float(r["value_gbp"]),
                "low": float(r["value_gbp"]),
                "high": float(r["value_gbp"]),
                "price_year": str(r["base_year"]),
                "measure": "QALY",
                "source_document": str(r["source"]),
                "notes": str(r["notes"])
                + (
                    ""
                    if scenario == "dhsc"
                    else "; a threshold for NICE health technology "
                    "appraisal, not a value of health: use it for sensitivity only"
                ),
            }
        )
    out = pd.DataFrame(rows)
    out["code"] = ""
    out["theme"] = "APPRAISAL VALUES"
    out["topic"] = out["measure"]
    out["level"] = "headline"
    out["parent"] = ""
    out["agency"] = "society"
    out["agency_database"] = ""
    out["value_type"] = "social"
    out["transfer"] = False
    out["category"] = "wellbeing"
    out["amount_2013_14"] = float("nan")
    out["rag"] = ""
    out["confidence"] = "2"
    out["source"] = out["source_document"]
    out["source_url"] = ""
    out["double_counting"] = ""
    return out[LIBRARY_COLUMNS]


def _write(path: Path, df: pd.DataFrame, meta: dict[str, str]) -> None:
    buf = io.StringIO()
    for k, v in meta.items():
        buf.write(f"# {k}: {v}\n")
    df.to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    path.write_text(buf.getvalue(), encoding="utf-8")


def build(source: Path = DEFAULT_SOURCE, out: Path | None = None) -> list[Path]:
    """Build the three shipped tables from the reference files.

    Parameters
    ----------
    source
        The reference-data folder (with ``unit-cost-database-v1.2`` and ``hmt-green-book``).
    out
        Folder to write to (default: the package's ``sroi/value/data``).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    FileNotFoundError
        If the reference folders are missing.
    """
    ucd, hmt = source / "unit-cost-database-v1.2", source / "hmt-green-book"
    for folder in (ucd, hmt):
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: reference folder not found (pass --source)")
    dest = out if out is not None else LIBRARY_FILE.parent
    dest.mkdir(parents=True, exist_ok=True)
    lib = build_library(ucd)
    lib_meta = {
        "title": "Unit cost library: every line of the Unit Cost Database v1.2",
        "source": f"{DATABASE}; each line's own source document in source_document",
        "copy": DATABASE_COPY,
        "lines": str(len(lib)),
        "prices": "amount is in the line's own price year (financial years); amount_2013_14 is "
        "the database's own uprated figure, kept for checking",
        "mapping": "sroi/value/library/mapping.py (agency, value type, RAG -> confidence grade, "
        "level and parent, category)",
        "built_by": "python -m sroi.value.library.build",
    }
    _write(dest / LIBRARY_FILE.name, lib, lib_meta)
    defl, defl_meta = build_deflator(hmt)
    defl_meta["built_by"] = lib_meta["built_by"]
    _write(dest / DEFLATOR_FILE.name, defl, defl_meta)
    appraisal = build_appraisal_values(hmt)
    appraisal_meta = {
        "title": "Appraisal values of wellbeing (WELLBY) and health (QALY)",
        "source": "HM Treasury (2021), Wellbeing Guidance for Appraisal; DHSC supplementary "
        "Green Book guidance; NICE health technology assessment thresholds",
        "copy": defl_meta["copy"].replace("gdp_deflator.csv", "wellby.csv and qaly.csv"),
        "built_by": lib_meta["built_by"],
    }
    _write(dest / APPRAISAL_FILE.name, appraisal, appraisal_meta)
    return [dest / LIBRARY_FILE.name, dest / DEFLATOR_FILE.name, dest / APPRAISAL_FILE.name]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m sroi.value.library.build [--source DIR] [--out DIR] [--check]``.

    Returns
    -------
    int
        0 on success; 1 when ``--check`` finds a shipped table that differs from a rebuild.
    """
    ap = argparse.ArgumentParser(prog="python -m sroi.value.library.build", description=__doc__)
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="reference-data folder")
    ap.add_argument("--out", type=Path, help="output folder (default: sroi/value/data)")
    ap.add_argument("--check", action="store_true", help="compare a rebuild with the shipped files")
    args = ap.parse_args(argv)
    if not args.check:
        for p in build(args.source, args.out):
            print(f"wrote {p}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        differ = [
            p.name
            for p in build(args.source, Path(tmp))
            if p.read_bytes() != (LIBRARY_FILE.parent / p.name).read_bytes()
        ]
    for name in differ:
        print(f"{name} differs from a rebuild", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
