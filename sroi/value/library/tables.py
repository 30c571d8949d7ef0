"""Read the shipped unit-cost library (the Unit Cost Database v1.2 and the appraisal values).

The tables are built by :mod:`sroi.value.library.build` from the published files; each starts
with ``# key: value`` lines giving its source, the copy it was built from and how.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

__all__ = [
    "APPRAISAL_FILE",
    "DEFLATOR_FILE",
    "LIBRARY_COLUMNS",
    "LIBRARY_FILE",
    "library_metadata",
    "load_library",
    "read_table",
]

_DATA = Path(__file__).resolve().parents[1] / "data"
#: The Unit Cost Database lines.
LIBRARY_FILE = _DATA / "unit_cost_library.csv"
#: WELLBY and QALY values.
APPRAISAL_FILE = _DATA / "appraisal_values.csv"
#: HM Treasury GDP deflator, calendar years.
DEFLATOR_FILE = _DATA / "gdp_deflator.csv"

#: Columns of the library tables, in order.
LIBRARY_COLUMNS = [
    "id",
    "code",
    "theme",
    "topic",
    "level",
    "parent",
    "description",
    "agency",
    "agency_database",
    "value_type",
    "transfer",
    "category",
    "unit",
    "amount",
    "low",
    "high",
    "price_year",
    "amount_2013_14",
    "measure",
    "rag",
    "confidence",
    "source",
    "source_document",
    "source_url",
    "double_counting",
    "notes",
]


def read_table(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """A shipped table and its ``# key: value`` header lines.

    Returns
    -------
    pandas.DataFrame, dict
        The rows (text cells as text, blanks as ''), and the header's keys and values.
    """
    meta: dict[str, str] = {}
    skip = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            key, _, value = line[1:].strip().partition(":")
            meta[key.strip()] = value.strip()
            skip += 1
    df = pd.read_csv(path, skiprows=skip, dtype=str, keep_default_na=False)
    return df, meta


@lru_cache(maxsize=1)
def _library() -> pd.DataFrame:
    frames = [read_table(p)[0] for p in (LIBRARY_FILE, APPRAISAL_FILE)]
    df = pd.concat(frames, ignore_index=True)
    for c in ("amount", "low", "high", "amount_2013_14"):
        df[c] = pd.to_numeric(df[c].replace("", None), errors="raise").astype(float)
    df["transfer"] = df["transfer"].map({"True": True, "False": False}).astype(bool)
    return df.set_index("id", drop=False)


def load_library() -> pd.DataFrame:
    """Every library line: the Unit Cost Database v1.2 and the WELLBY / QALY values.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LIBRARY_COLUMNS`, indexed by ``id`` (the database's cost code, e.g.
        ``E&S2.0.1``; ``code/k`` where the database repeats a code; ``WELLBY``, ``QALY``,
        ``QALY_NICE_LOWER``, ``QALY_NICE_UPPER``). ``amount`` is in the line's own
        ``price_year`` (financial years for the database, calendar years for the appraisal
        values).

    References
    ----------
    New Economy (2013), *Unit Cost Database v1.2*; HM Treasury (2021), *Wellbeing guidance
    for appraisal*; DHSC, supplementary Green Book guidance (value of a QALY).
    """
    return _library().copy()


def library_metadata() -> dict[str, str]:
    """The header of the shipped database table (source, copy, line count, mapping)."""
    return read_table(LIBRARY_FILE)[1]
