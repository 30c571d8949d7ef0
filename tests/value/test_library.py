"""The shipped unit-cost library: built from the published files, every line sourced.

The rebuild test needs the reference files beside the repository (``../shared``); on a clean
clone (CI) it is skipped and the structure tests still check the shipped tables.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sroi.value.costs import AGENCIES, CATEGORIES, VALUE_TYPES, load_confidence_grades
from sroi.value.library import library_metadata, load_library
from sroi.value.library import mapping as mp
from sroi.value.library.build import build
from sroi.value.library.tables import APPRAISAL_FILE, DEFLATOR_FILE, LIBRARY_FILE

#: The reference files beside the repository (../shared/reference-data); absent on CI.
SOURCE = Path(__file__).resolve().parents[3] / "shared" / "reference-data"
#: Lines per theme of the Unit Cost Database v1.2 (the theme sheets).
LINES_BY_THEME = {
    "CRIME": 177,
    "EDUCATION & SKILLS": 44,
    "EMPLOYMENT & ECONOMY": 56,
    "FIRE": 15,
    "HEALTH": 210,
    "HOUSING": 36,
    "SOCIAL SERVICES": 135,
}


@pytest.fixture(scope="module")
def lib():
    return load_library()


@pytest.mark.skipif(
    not SOURCE.is_dir(),
    reason=f"reference files not found at {SOURCE} (../shared beside the repository); "
    "the rebuild is checked where they are, the shipped tables' structure everywhere",
)
def test_shipped_tables_rebuild_from_the_reference_files(tmp_path):
    for p in build(SOURCE, tmp_path):
        shipped = {LIBRARY_FILE.name: LIBRARY_FILE, DEFLATOR_FILE.name: DEFLATOR_FILE}.get(
            p.name, APPRAISAL_FILE
        )
        assert p.read_bytes() == shipped.read_bytes(), f"{p.name} differs from a rebuild"


def test_every_database_line_is_there_once(lib):
    db = lib.loc[lib["code"] != ""]
    assert db.groupby("theme").size().to_dict() == LINES_BY_THEME
    assert len(db) == 673 == int(library_metadata()["lines"])
    assert lib.index.is_unique
    # a code the database repeats gets /1, /2, ... in database order
    assert list(lib.loc[lib["code"] == "CR7.0.3", "id"]) == ["CR7.0.3/1", "CR7.0.3/2", "CR7.0.3/3"]
    once = db.loc[~db["code"].duplicated(keep=False)]
    assert (once["id"] == once["code"]).all() and len(once) == 673 - 19 * 3


def test_every_line_is_sourced_and_valid_for_a_cost_table(lib):
    grades = load_confidence_grades()
    assert lib["source"].str.len().min() > 20
    db = lib.loc[lib["code"] != ""]
    assert (
        db["source"]
        .str.startswith("New Economy (Greater Manchester), Unit Cost Database v1.2")
        .all()
    )
    assert all(f"line {c} (RAG " in s for c, s in zip(db["code"], db["source"], strict=True))
    assert lib["agency"].isin(AGENCIES).all()
    assert lib["value_type"].isin(VALUE_TYPES).all()
    assert lib["category"].isin(CATEGORIES).all()
    assert lib["confidence"].isin(grades.index).all()
    assert (lib["amount"] >= 0).all()
    assert list(lib.index[lib["amount"] == 0]) == ["CR7.17.3/3"]  # as published
    assert db["price_year"].str.fullmatch(r"(\d{4})-(\d{2})").all()
    meta = library_metadata()
    assert "62375d9" in meta["copy"] and "datagovuk-hackcode" in meta["copy"]


def test_rag_maps_to_grade_and_parents_exist(lib):
    db = lib.loc[lib["code"] != ""]
    assert (db["confidence"] == db["rag"].map({"G": "3", "A": "4", "R": "5"})).all()
    codes = set(db["code"])
    cons = db.loc[db["level"] == "constituent"]
    assert len(cons) == 264
    assert set(cons["parent"]) <= codes
    assert (cons["parent"] == cons["code"].str.rsplit(".", n=1).str[0]).all()
    assert (db.loc[db["level"] != "constituent", "parent"] == "").all()
    assert db.loc[db["code"].str.fullmatch(r"[A-Z&]+\d+\.0"), "level"].eq("headline").all()


def test_lines_used_by_the_sample_read_as_published(lib):
    r = lib.loc["E&S2.0.1"]
    assert (r["amount"], r["price_year"], r["rag"], r["confidence"]) == (
        7181.0,
        "2005-06",
        "A",
        "4",
    )
    assert (r["parent"], r["agency"], r["category"]) == (
        "E&S2.0",
        "education_la",
        "alternative_provision",
    )
    assert "Misspent Youth (2007)" in r["source"]
    assert lib.loc["SS1.0", "amount"] == 44676.0  # written " £44,676 " in the database
    assert lib.loc["SS1.0", "agency"] == "children_social_care"
    assert lib.loc["SS6.2", ["amount", "price_year", "category"]].tolist() == [
        117.0,
        "2009-10",
        "referral",
    ]
    assert lib.loc["HE12.3", ["amount", "agency"]].tolist() == [4976.0, "nhs_mental_health"]
    assert lib.loc["E&S1.0.4", "agency"] == "children_social_care"
    assert "covered elsewhere" in lib.loc["E&S1.0.4", "double_counting"]
    assert "never value it together" in lib.loc["E&S2.0", "double_counting"]


def test_the_database_uprating_is_one_factor_per_price_year(lib):
    """The database's own 2013-14 figure / amount is the same for every line of a price year
    (to its rounding to whole pounds): the amounts and price years were read correctly."""
    db = lib.loc[(lib["code"] != "") & lib["amount_2013_14"].notna() & (lib["amount"] >= 500)]
    ratio = db["amount_2013_14"] / db["amount"]
    for fy, r in ratio.groupby(db["price_year"]):
        amount = db.loc[r.index, "amount"]
        ref = amount.idxmax()  # the largest amount has the smallest rounding error
        tol = 0.5 / amount + 0.5 / amount[ref] + 1e-12
        assert (np.abs(r - r[ref]) <= tol).all(), fy


def test_transfers_and_value_types(lib):
    assert lib.loc["E&E1.0.1", "transfer"] and lib.loc["E&E1.0.1", "agency"] == "dwp"
    assert lib.loc["E&E1.0.1", "value_type"] == "fiscal_cashable"
    assert not lib.loc["E&E1.0.2", "transfer"]  # the NHS health saving is not a transfer
    assert lib.loc["HO7.0", "transfer"] and not lib.loc["HO8.0", "transfer"]  # award vs processing
    assert not lib.loc["E&E1.8", "transfer"]  # cost of processing a claim
    assert "transfer" in lib.loc["E&E1.0", "double_counting"]
    assert lib.loc["E&S5.1", ["agency", "value_type"]].tolist() == ["society", "economic"]
    assert int(lib["transfer"].sum()) == 44


def test_appraisal_values(lib):
    w = lib.loc["WELLBY"]
    assert (w["amount"], w["low"], w["high"], w["price_year"]) == (
        13000.0,
        10000.0,
        16000.0,
        "2019",
    )
    assert w["measure"] == "WELLBY" and w["value_type"] == "social"
    q = lib.loc["QALY"]
    assert (q["amount"], q["price_year"], q["measure"]) == (70000.0, "2024", "QALY")
    assert "DHSC" in q["source"]
    assert "not a value of health" in lib.loc["QALY_NICE_LOWER", "notes"]


def test_mapping_rules():
    assert mp.level_and_parent("E&S2.0") == ("headline", "")
    assert mp.level_and_parent("SS6.2") == ("subsidiary", "")
    assert mp.level_and_parent("E&S2.0.1") == ("constituent", "E&S2.0")
    with pytest.raises(ValueError, match="not written like"):
        mp.level_and_parent("E&S2")
    assert mp.agency_token("X1.0", "Local Authority", "", "HOUSING", "EVICTION") == "housing"
    assert mp.agency_token("X1.0", "NHS", "", "HEALTH", "MENTAL HEALTH") == "nhs_mental_health"
    with pytest.raises(ValueError, match="agency mapping"):
        mp.agency_token("X1.0", "Martians", "", "HEALTH", "")
    assert re.fullmatch(mp.TRANSFER_PATTERNS[0], "E&E2.0.1")
