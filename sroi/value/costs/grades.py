"""The confidence-grade scale: how much each grade of evidence cuts a unit cost's benefit."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from sroi.errors import SroiInputError
from sroi.value.prices import DATA_DIR

__all__ = ["grades_status", "load_confidence_grades"]


def load_confidence_grades(path: str | Path | None = None) -> pd.DataFrame:
    """Read the confidence-grade scale.

    Parameters
    ----------
    path
        A CSV with columns ``grade, description, benefit_reduction`` (a proportion in
        [0, 1)) and optionally ``status`` (``published`` or ``illustrative``) and ``source``.
        Default: the shipped ``sroi/value/data/confidence_grades.csv``: ILLUSTRATIVE
        percentages after the Greater Manchester CBA model's approach, whose ends (0% and
        40%) are the range the Unit Cost Database v1.2 Guidance sheet gives; every row says
        so in ``status`` and ``source``.

    Returns
    -------
    pandas.DataFrame
        Indexed by grade (text), with ``description``, ``benefit_reduction``, ``status``
        (``as given`` for a table without the column) and ``source`` (the file, for a table
        without the column).

    Raises
    ------
    SroiInputError
        For a missing file or column, a reduction outside [0, 1), a repeated grade or an
        unknown status.

    References
    ----------
    HM Treasury / New Economy (2014), *Supporting public service transformation: cost benefit
    analysis guidance for local partnerships* (confidence grades and optimism bias).
    """
    p = Path(path) if path is not None else DATA_DIR / "confidence_grades.csv"
    if not p.exists():
        raise SroiInputError(f"{p}: confidence-grade file not found")
    st = p.stat()
    return _read_grades(str(p), str(p.resolve()), st.st_mtime_ns, st.st_size).copy()


@lru_cache(maxsize=16)
def _read_grades(path: str, resolved: str, mtime_ns: int, size: int) -> pd.DataFrame:
    """The same unchanged file is read once (its resolved path, time and size identify it)."""
    p = Path(path)
    df = pd.read_csv(p, comment="#", dtype={"grade": str})
    df.columns = [str(c).strip().lower() for c in df.columns]
    need = ["grade", "description", "benefit_reduction"]
    if any(c not in df.columns for c in need):
        raise SroiInputError(f"{p}: confidence-grade table needs columns {need}")
    df["grade"] = df["grade"].astype(str).str.strip()
    red = pd.to_numeric(df["benefit_reduction"], errors="coerce")
    if red.isna().any() or ((red < 0) | (red >= 1)).any():
        raise SroiInputError(f"{p}: benefit_reduction must be a proportion in [0, 1)")
    if df["grade"].duplicated().any():
        raise SroiInputError(f"{p}: grades must be unique")
    df["benefit_reduction"] = red.astype(float)
    df["status"] = (
        df["status"].astype(str).str.strip().str.lower() if "status" in df else "as given"
    )
    bad = sorted(set(df["status"]) - {"published", "illustrative", "as given"})
    if bad:
        raise SroiInputError(
            f"{p}: status {bad[0]!r} is not one of published, illustrative (column status)"
        )
    df["source"] = df["source"].fillna("").astype(str).str.strip() if "source" in df else str(p)
    return df[[*need, "status", "source"]].set_index("grade")


def grades_status(grades: pd.DataFrame) -> str:
    """``illustrative`` if any grade of the scale is illustrative, else its common status."""
    st = set(grades["status"])
    return "illustrative" if "illustrative" in st else " / ".join(sorted(st))
