"""Validation of an evaluation panel against the column roles declared in the spec.

Every problem is a :class:`~sroi.errors.SroiInputError` that names the column and up to
five example rows and says how to fix it. Rows removed under the ``drop`` missing-value
policy, or because a unit cannot contribute (treated in the first period, so it has no
pre-period), are counted in an :class:`Exclusions` table: nothing is lost silently.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError, example_rows

if TYPE_CHECKING:  # pragma: no cover
    from sroi.spec import ColumnRoles

__all__ = ["Exclusions", "validate_panel", "OUTCOME_TYPES"]

OUTCOME_TYPES = ("rate", "binary", "count", "continuous")


@dataclass
class Exclusions:
    """A running count of excluded rows and units, each with a reason."""

    records: list[dict[str, object]] = field(default_factory=list)

    def add(self, reason: str, column: str | None, unit_ids: pd.Series) -> None:
        """Record that the rows with these unit ids (one entry per row) were excluded."""
        self.records.append(
            {
                "reason": reason,
                "column": column or "",
                "n_rows": int(len(unit_ids)),
                "n_units": int(pd.Series(unit_ids).nunique()),
            }
        )

    def table(self) -> pd.DataFrame:
        cols = ["reason", "column", "n_rows", "n_units"]
        return pd.DataFrame(self.records, columns=cols)

    @property
    def n_rows(self) -> int:
        return int(sum(r["n_rows"] for r in self.records))


def _fail(source: str, column: str | None, problem: str, rows: Iterable[object], fix: str) -> None:
    """Raise an error naming the column and up to five data rows (1 = first row under the header)."""
    col = f"column {column!r}: " if column else ""
    labels = [i + 1 if isinstance(i, (int, np.integer)) else i for i in rows]
    where = "data " + example_rows(labels)
    raise SroiInputError(f"{source}: {col}{problem} ({where}). {fix}")


def _show(value: object) -> str:
    """repr of a cell value without NumPy's type wrapper (``2``, not ``np.int64(2)``)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _check_columns(df: pd.DataFrame, needed: Mapping[str, str], source: str) -> None:
    missing = [(role, c) for role, c in needed.items() if c not in df.columns]
    if not missing:
        return
    parts = []
    for role, c in missing:
        close = difflib.get_close_matches(c, list(map(str, df.columns)), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        parts.append(f"{c!r} ({role}){hint}")
    raise SroiInputError(
        f"{source}: missing column(s) {', '.join(parts)}. Available columns: "
        f"{', '.join(map(str, df.columns[:20]))}{' ...' if df.shape[1] > 20 else ''}. "
        "Fix the column name in the spec's data.columns section or in the file."
    )


def _as_integer(df: pd.DataFrame, column: str, role: str, source: str) -> None:
    s = df[column]
    if not pd.api.types.is_numeric_dtype(s):
        num = pd.to_numeric(s, errors="coerce")
        bad = s.notna() & num.isna()
        if bad.any():
            _fail(
                source,
                column,
                f"{role} must be an integer period index, found text such as "
                f"{_show(s[bad].iloc[0])}",
                df.index[bad],
                "Code periods as integers 1, 2, 3, ... (0 in the cohort column = never treated).",
            )
        s = num
    frac = s.notna() & (s != np.round(s))
    if frac.any():
        _fail(
            source,
            column,
            f"{role} must be whole numbers",
            df.index[frac],
            "Code periods as integers.",
        )
    df[column] = s.astype("Int64") if s.isna().any() else s.astype("int64")


def validate_panel(
    df: pd.DataFrame,
    roles: ColumnRoles,
    *,
    outcomes: Mapping[str, str] | None = None,
    extra_columns: Iterable[str] = (),
    missing: Literal["drop", "error"] = "error",
    exclusions: Exclusions | None = None,
    source: str = "data",
) -> pd.DataFrame:
    """Check a long panel against its column roles and return a cleaned copy.

    Parameters
    ----------
    df
        One row per unit x period.
    roles
        Column roles (``unit``, ``time``, ``cohort``, optional ``treatment``, ``cluster``,
        ``covariates``, ``categorical``).
    outcomes
        Outcome column -> type (``rate`` in [0, 1], ``binary`` 0/1, ``count`` >= 0 whole
        numbers, ``continuous``).
    extra_columns
        Other columns the analysis needs (matching history, exact-matching variables...).
    missing
        ``"error"``: any missing value in a needed column is an error naming the rows.
        ``"drop"``: rows with a missing outcome are dropped; units with a missing role or
        covariate value are dropped entirely; both are counted in ``exclusions``.
    exclusions
        Table that dropped rows are recorded in (a new one if not given).
    source
        File name used in messages.

    Returns
    -------
    DataFrame
        A copy with integer ``time`` and ``cohort`` columns and the exclusions applied.
    """
    exclusions = exclusions if exclusions is not None else Exclusions()
    outcomes = dict(outcomes or {})
    r = roles
    needed: dict[str, str] = {"unit id": r.unit, "time": r.time, "cohort": r.cohort}
    if r.treatment:
        needed["treatment"] = r.treatment
    if r.cluster:
        needed["cluster"] = r.cluster
    for c in r.covariates:
        needed.setdefault(f"covariate {c}", c)
    for c, t in outcomes.items():
        if t not in OUTCOME_TYPES:
            raise SroiInputError(f"outcome {c!r}: unknown type {t!r}; use one of {OUTCOME_TYPES}")
        needed.setdefault(f"{t} outcome", c)
    for c in extra_columns:
        if c not in needed.values():
            needed[f"column {c}"] = c
    _check_columns(df, needed, source)
    if df.shape[0] == 0:
        raise SroiInputError(f"{source}: no data rows")
    df = df.copy()

    # ---- missing values -------------------------------------------------------------
    unit_level = [c for c in needed.values() if c not in outcomes]
    na_unit_id = df[r.unit].isna()
    if na_unit_id.any():
        if missing == "error":
            _fail(
                source, r.unit, "missing unit ids", df.index[na_unit_id], "Every row needs an id."
            )
        exclusions.add("missing unit id", r.unit, df.loc[na_unit_id, r.unit].fillna("<missing>"))
        df = df.loc[~na_unit_id]
    for c in unit_level:
        if c == r.unit:
            continue
        na = df[c].isna()
        if not na.any():
            continue
        if missing == "error":
            _fail(
                source,
                c,
                f"{int(na.sum())} missing value(s)",
                df.index[na],
                "Fill them in, or set data.missing: drop to exclude those units (counted).",
            )
        bad_units = df.loc[na, r.unit].unique()
        drop = df[r.unit].isin(bad_units)
        exclusions.add(f"missing value in {c} (whole unit dropped)", c, df.loc[drop, r.unit])
        df = df.loc[~drop]
    for c in outcomes:
        na = df[c].isna()
        if not na.any():
            continue
        if missing == "error":
            _fail(
                source,
                c,
                f"{int(na.sum())} missing outcome value(s)",
                df.index[na],
                "Fill them in, or set data.missing: drop to exclude those rows (counted).",
            )
        exclusions.add(f"missing outcome {c} (row dropped)", c, df.loc[na, r.unit])
        df = df.loc[~na]
    if df.shape[0] == 0:
        raise SroiInputError(f"{source}: no rows left after dropping missing values")

    # ---- types of the role columns ---------------------------------------------------
    _as_integer(df, r.time, "time", source)
    _as_integer(df, r.cohort, "cohort", source)
    neg = df[r.cohort] < 0
    if neg.any():
        _fail(
            source,
            r.cohort,
            "cohort must be 0 (never treated) or the first treated period",
            df.index[neg],
            "Use 0 for never-treated units.",
        )

    # ---- duplicates and within-unit constancy -----------------------------------------
    dup = df.duplicated([r.unit, r.time], keep=False)
    if dup.any():
        _fail(
            source,
            f"{r.unit}, {r.time}",
            f"{int(dup.sum())} rows share a (unit, time) pair",
            df.index[dup],
            "Each unit may appear once per period: remove or aggregate the duplicates.",
        )
    constant = [r.cohort] + ([r.treatment] if r.treatment else [])
    constant += [r.cluster] if r.cluster else []
    constant += [c for c in r.covariates if c in df.columns]
    for c in constant:
        varies = df.groupby(r.unit, sort=False)[c].transform("nunique") > 1
        if varies.any():
            what = {
                r.cohort: "the first treated period (cohort) must be the same in every row of a unit",
                r.treatment: "treatment must not vary within a unit in this design",
                r.cluster: "the cluster must not vary within a unit",
            }.get(
                c, "covariates are frozen at pre-enrolment values and must not vary within a unit"
            )
            first = df.loc[varies, r.unit].iloc[0]
            _fail(
                source,
                c,
                f"{what}; unit {_show(first)} has several values",
                df.index[varies],
                "Use one value per unit (e.g. the value at enrolment).",
            )

    # ---- treatment consistency --------------------------------------------------------
    if r.treatment:
        t = df[r.treatment]
        ok = t.isin([0, 1, True, False])
        if not ok.all():
            _fail(
                source,
                r.treatment,
                f"treatment must be 0/1, found {_show(t[~ok].iloc[0])}",
                df.index[~ok],
                "Code enrolled units as 1 and others as 0.",
            )
        mismatch = (t.astype(int) == 1) != (df[r.cohort] > 0)
        if mismatch.any():
            _fail(
                source,
                r.treatment,
                f"treatment disagrees with the cohort column {r.cohort!r} "
                "(treated units need cohort > 0, untreated units cohort 0)",
                df.index[mismatch],
                "Fix either column so they agree.",
            )

    # ---- outcome values ----------------------------------------------------------------
    for c, kind in outcomes.items():
        s = df[c]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            if pd.api.types.is_bool_dtype(s):
                df[c] = s.astype(int)
                s = df[c]
            else:
                _fail(
                    source,
                    c,
                    f"{kind} outcome must be numeric, found values such as {_show(s.iloc[0])}",
                    df.index[:5],
                    "Remove text, units or % signs from the column.",
                )
        if kind == "rate":
            bad = (s < 0) | (s > 1)
            rule = "rates must lie between 0 and 1"
            fix = "Express rates as fractions (0.95, not 95%)."
        elif kind == "binary":
            bad = ~s.isin([0, 1])
            rule = "binary outcomes must be 0 or 1"
            fix = "Code the event as 1 and its absence as 0."
        elif kind == "count":
            bad = (s < 0) | (s != np.round(s))
            rule = "counts must be whole numbers >= 0"
            fix = "Check for negative or fractional counts."
        else:
            bad = ~np.isfinite(s.to_numpy(dtype=float))
            rule = "values must be finite"
            fix = "Remove infinite values."
        if bad.any():
            _fail(source, c, f"{rule}; found {_show(s[bad].iloc[0])}", df.index[bad], fix)

    # ---- covariate types ---------------------------------------------------------------
    for c in r.covariates:
        if c in r.categorical:
            continue
        s = df[c]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            _fail(
                source,
                c,
                f"covariate is not numeric (e.g. {_show(s.iloc[0])})",
                df.index[:5],
                "List it under data.columns.categorical to expand it into indicators.",
            )
        if s.nunique() <= 1:
            raise SroiInputError(
                f"{source}: column {c!r}: covariate is constant ({_show(s.iloc[0])}) and cannot "
                "help balance the groups; remove it from data.columns.covariates"
            )

    # ---- cohorts against the observed periods -----------------------------------------
    first, last = int(df[r.time].min()), int(df[r.time].max())
    late = df[r.cohort] > last
    if late.any():
        _fail(
            source,
            r.cohort,
            f"cohort after the last observed period {last}: these units are never observed treated",
            df.index[late],
            "Code them as 0 (not treated in the study window) or extend the panel.",
        )
    always = (df[r.cohort] > 0) & (df[r.cohort] <= first)
    if always.any():
        exclusions.add(
            f"treated in the first observed period {first} (no pre-period to compare)",
            r.cohort,
            df.loc[always, r.unit],
        )
        df = df.loc[~always]

    # ---- both groups present -----------------------------------------------------------
    units = df.drop_duplicates(r.unit)
    n_treated = int((units[r.cohort] > 0).sum())
    n_never = int((units[r.cohort] == 0).sum())
    if n_treated == 0:
        raise SroiInputError(
            f"{source}: column {r.cohort!r}: no treated units (every cohort is 0). "
            "Code each enrolled unit's first treated period in the cohort column."
        )
    if n_never == 0:
        raise SroiInputError(
            f"{source}: column {r.cohort!r}: no comparison units (no unit has cohort 0). "
            "The design needs never-treated units; check the comparison pool."
        )
    return df
