"""Validation of an evaluation panel against the column roles declared in the spec.

The spec layer on top of :class:`~sroi.data.panel.Panel`: the panel checks (whole-number
periods, one row per unit and period, values constant within a unit) are the Panel's; this
module adds what the spec declares (the missing-value policy, outcome types, treatment
consistency, covariate types, cohorts inside the observed window, both groups present).

Every problem is a :class:`~sroi.errors.SroiInputError` that names the column and up to
five example rows and says how to fix it.

Row numbers: for data read from a file (:func:`sroi.data.load_evaluation_data`), a row is
named by its number in the file the user edits, counted as a spreadsheet shows it: **the
header is row 1, so the first data row is row 2** (in a CSV file this is the line number;
in an Excel sheet the row number on the left; a Parquet file is numbered the same way, header
as row 1, so one table gives the same numbers in every format). A problem in a column of the
unit file (``data.units``) names that file and its row, not the row of the joined panel. For
a DataFrame passed directly, rows are named by their index labels. Rows removed under the ``drop`` missing-value
policy, or because a unit cannot contribute (treated in the first period, so it has no
pre-period), are counted in an :class:`~sroi.data.panel.Exclusions` table: nothing is lost
silently.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NoReturn

import numpy as np
import pandas as pd

from sroi.data.panel import Exclusions, Panel, show_value
from sroi.errors import SroiInputError, example_rows

if TYPE_CHECKING:  # pragma: no cover
    from sroi.spec import ColumnRoles

__all__ = ["OUTCOME_TYPES", "Exclusions", "RowOrigin", "validate_panel"]

OUTCOME_TYPES = ("rate", "binary", "count", "continuous")


@dataclass(frozen=True)
class RowOrigin:
    """The file some columns of a validated table come from, to name rows as the user sees them.

    Attributes
    ----------
    source
        The file, as named in messages.
    numbers
        Positions of rows in the table handed to :func:`validate_panel` -> their row numbers
        in the file (header = row 1).
    columns
        Columns read from this file; ``None`` for the main file (every other column).
    """

    source: str
    numbers: Callable[[np.ndarray], np.ndarray]
    columns: frozenset[str] | None = None


class _FilePanel(Panel):
    """A :class:`Panel` whose messages name rows by their number in the file they came from."""

    def __init__(self, frame: pd.DataFrame, origins: Sequence[RowOrigin], **kw: object) -> None:
        self.origins = tuple(origins)
        super().__init__(frame, **kw)  # type: ignore[arg-type]

    def fail(
        self, column: str | None, problem: str, mask: np.ndarray | pd.Index, fix: str
    ) -> NoReturn:
        """Raise naming the file the column comes from, its column, the rows there and the fix."""
        labels = self.data.index[mask] if isinstance(mask, np.ndarray) else mask
        origin = next(
            (o for o in self.origins if o.columns is not None and column in o.columns),
            self.origins[0],
        )
        numbers = np.unique(origin.numbers(np.asarray(labels, dtype=np.int64)))
        col = f"column {column!r}: " if column else ""
        raise SroiInputError(
            f"{origin.source}: {col}{problem} ({example_rows(numbers.tolist())}). {fix}"
        )


def validate_panel(
    df: pd.DataFrame,
    roles: ColumnRoles,
    *,
    outcomes: Mapping[str, str] | None = None,
    extra_columns: Iterable[str] = (),
    missing: Literal["drop", "error"] = "error",
    exclusions: Exclusions | None = None,
    source: str = "data",
    ceilings: Mapping[str, float] | None = None,
    origins: Sequence[RowOrigin] = (),
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
    ceilings
        Count outcome column -> the most events one unit can have in one period (the spec's
        ``design.outcomes[].max_per_period``); a larger value is an error. Infinite values
        are errors for every outcome and numeric covariate.
    origins
        The files the rows came from (main file first, then the unit file with its columns),
        so messages name rows by their number in the file (header = row 1); ``df`` must then
        have a RangeIndex of positions. Without: rows are named by ``df``'s index labels.

    Returns
    -------
    DataFrame
        A copy with integer ``time`` and ``cohort`` columns and the exclusions applied.
    """
    outcomes = dict(outcomes or {})
    r = roles
    needed = _needed_columns(r, outcomes, extra_columns)
    _check_spec_columns(df, needed, source)
    kind: Callable[..., Panel] = (
        (lambda frame, **kw: _FilePanel(frame, origins, **kw)) if origins else Panel
    )
    panel = kind(
        df,
        unit=r.unit,
        time=r.time,
        cohort=r.cohort,
        treatment=r.treatment,
        outcomes=list(outcomes),
        covariates=list(r.covariates),
        clusters=[r.cluster] if r.cluster else [],
        extra=list(needed.values()),
        source=source,
        keep_all_columns=True,
        exclusions=exclusions,
    )
    _apply_missing_policy(
        panel, [c for c in needed.values() if c not in outcomes], outcomes, missing
    )
    panel.check_unique()
    for c in [r.cohort, r.treatment, r.cluster, *r.covariates]:
        if c:
            panel.check_constant(c)
    _check_treatment(panel)
    _check_outcomes(panel, outcomes, ceilings or {})
    _check_covariates(panel, r)
    _check_cohort_window(panel)
    _check_groups(panel)
    return panel.data


def _needed_columns(
    r: ColumnRoles, outcomes: Mapping[str, str], extra_columns: Iterable[str]
) -> dict[str, str]:
    """Role -> column for every column the spec needs (roles first, then outcomes, extras)."""
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
    return needed


def _check_spec_columns(df: pd.DataFrame, needed: Mapping[str, str], source: str) -> None:
    """Missing columns, named with the spec role and a close match, and the spec fix."""
    if not isinstance(df, pd.DataFrame):
        raise SroiInputError(f"panel must be a pandas DataFrame; got {type(df).__name__}")
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


def _apply_missing_policy(
    panel: Panel,
    unit_level: list[str],
    outcomes: Mapping[str, str],
    missing: Literal["drop", "error"],
) -> None:
    """Missing unit ids and role values: errors, or dropped rows / units counted by reason."""
    unit = panel.unit
    assert unit is not None
    na = panel.missing(unit)
    if na.any():
        if missing == "error":
            panel.fail(unit, "missing unit ids", na, "Every row needs an id.")
        panel.drop_rows(na, "missing unit id", unit)
    for c in unit_level:
        na = panel.missing(c)
        if c == unit or not na.any():
            continue
        if missing == "error":
            panel.fail(
                c,
                f"{int(na.sum())} missing value(s)",
                na,
                "Fill them in, or set data.missing: drop to exclude those units (counted).",
            )
        panel.drop_units(na, f"missing value in {c} (whole unit dropped)", c)
    for c in outcomes:
        na = panel.missing(c)
        if not na.any():
            continue
        if missing == "error":
            panel.fail(
                c,
                f"{int(na.sum())} missing outcome value(s)",
                na,
                "Fill them in, or set data.missing: drop to exclude those rows (counted).",
            )
        panel.drop_rows(na, f"missing outcome {c} (row dropped)", c)
    if panel.data.shape[0] == 0:
        raise SroiInputError(f"{panel.source}: no rows left after dropping missing values")


def _check_treatment(panel: Panel) -> None:
    """A 0/1 treatment column that agrees with the cohort (treated units have cohort > 0)."""
    if not panel.treatment:
        return
    t = _as_numeric(panel, panel.treatment, "treatment", "Code enrolled units as 1, others 0.")
    df = panel.data
    ok = t.isin([0, 1, True, False]).to_numpy()
    if not ok.all():
        panel.fail(
            panel.treatment,
            f"treatment must be 0/1, found {show_value(t[~ok].iloc[0])}",
            ~ok,
            "Code enrolled units as 1 and others as 0.",
        )
    assert panel.cohort is not None
    mismatch = ((t.astype(int) == 1) != (df[panel.cohort] > 0)).to_numpy()
    if mismatch.any():
        panel.fail(
            panel.treatment,
            f"treatment disagrees with the cohort column {panel.cohort!r} "
            "(treated units need cohort > 0, untreated units cohort 0)",
            mismatch,
            "Fix either column so they agree.",
        )


_OUTCOME_RULES = {
    "rate": ("rates must lie between 0 and 1", "Express rates as fractions (0.95, not 95%)."),
    "binary": ("binary outcomes must be 0 or 1", "Code the event as 1 and its absence as 0."),
    "count": ("counts must be whole numbers >= 0", "Check for negative or fractional counts."),
    "continuous": ("values must be finite", "Remove infinite values."),
}


def _check_outcomes(
    panel: Panel, outcomes: Mapping[str, str], ceilings: Mapping[str, float]
) -> None:
    """Numeric outcomes whose values are finite, fit their declared type and their ceiling."""
    for c, kind in outcomes.items():
        s = _as_numeric(
            panel,
            c,
            f"{kind} outcome",
            "Remove text, units or % signs from the column (decimal point, not comma).",
        )
        _check_finite(panel, c, f"{kind} outcome")
        if kind == "count" and c in ceilings:
            over = (s > ceilings[c]).to_numpy()
            if over.any():
                panel.fail(
                    c,
                    f"count above the ceiling of {ceilings[c]:g} per unit and period; found "
                    f"{show_value(s[over].iloc[0])}",
                    over,
                    "Check the value (a typo or a total over several periods?), or raise "
                    "design.outcomes[].max_per_period in the spec if it is real.",
                )
        if kind == "rate":
            bad = (s < 0) | (s > 1)
        elif kind == "binary":
            bad = ~s.isin([0, 1])
        elif kind == "count":
            bad = (s < 0) | (s != np.round(s))
        else:
            bad = pd.Series(~np.isfinite(s.to_numpy(dtype=float)), index=s.index)
        if bad.any():
            rule, fix = _OUTCOME_RULES[kind]
            panel.fail(c, f"{rule}; found {show_value(s[bad].iloc[0])}", bad.to_numpy(), fix)


def _as_numeric(panel: Panel, column: str, what: str, fix: str) -> pd.Series:
    """The column as numbers; text that is not a number is an error quoting the bad cells."""
    s = panel.data[column]
    if pd.api.types.is_bool_dtype(s):
        panel.data[column] = s.astype(int)
        return panel.data[column]
    if pd.api.types.is_numeric_dtype(s):
        return s
    num = pd.to_numeric(s, errors="coerce")
    bad = (num.isna() & s.notna()).to_numpy()
    if bad.any():
        panel.fail(
            column,
            f"{what} must be numeric, found {show_value(s[bad].iloc[0])}",
            bad,
            fix,
        )
    panel.data[column] = num
    return num


def _check_finite(panel: Panel, column: str, what: str) -> None:
    """Infinite values (``inf``, ``-inf``) are named as such, never read as numbers."""
    s = panel.data[column]
    if pd.api.types.is_bool_dtype(s):
        return
    inf = np.isinf(s.to_numpy(dtype=float))
    if inf.any():
        panel.fail(
            column,
            f"{what} has infinite value(s), e.g. {show_value(s[inf].iloc[0])}",
            inf,
            "Replace them with the real value, or leave the cell empty if it is unknown.",
        )


def _check_covariates(panel: Panel, r: ColumnRoles) -> None:
    """Covariates are numeric (unless declared categorical) and not constant."""
    for c in r.covariates:
        if c in r.categorical:
            continue
        s = _as_numeric(
            panel,
            c,
            "covariate",
            "Fix the value, or list the column under data.columns.categorical to expand it "
            "into indicators.",
        )
        _check_finite(panel, c, "covariate")
        if s.nunique() <= 1:
            raise SroiInputError(
                f"{panel.source}: column {c!r}: covariate is constant ({show_value(s.iloc[0])}) "
                "and cannot help balance the groups; remove it from data.columns.covariates"
            )


def _check_cohort_window(panel: Panel) -> None:
    """No cohort after the last period; units treated from the first period are dropped."""
    assert panel.cohort is not None
    df = panel.data
    first, last = int(df[panel.time].min()), int(df[panel.time].max())
    late = (df[panel.cohort] > last).to_numpy()
    if late.any():
        panel.fail(
            panel.cohort,
            f"cohort after the last observed period {last} (e.g. "
            f"{show_value(df[panel.cohort][late].iloc[0])}): these units are never observed treated",
            late,
            "Code them as 0 (not treated in the study window) or extend the panel.",
        )
    panel.drop_treated_from_start(
        f"treated in the first observed period {first} (no pre-period to compare)", first=first
    )
    df = panel.data
    assert panel.unit is not None
    first_seen = df.groupby(panel.unit, sort=False)[panel.time].transform("min")
    no_pre = ((df[panel.cohort] > 0) & (first_seen >= df[panel.cohort])).to_numpy()
    panel.drop_units(
        no_pre, "treated unit with no row before its enrolment period (no pre-period)", panel.time
    )


def _check_groups(panel: Panel) -> None:
    """Both treated and never-treated (comparison) units are present."""
    assert panel.cohort is not None and panel.unit is not None
    units = panel.data.drop_duplicates(panel.unit)
    if int((units[panel.cohort] > 0).sum()) == 0:
        raise SroiInputError(
            f"{panel.source}: column {panel.cohort!r}: no treated units (every cohort is 0). "
            "Code each enrolled unit's first treated period in the cohort column."
        )
    if int((units[panel.cohort] == 0).sum()) == 0:
        raise SroiInputError(
            f"{panel.source}: column {panel.cohort!r}: no comparison units (no unit has cohort "
            "0). The design needs never-treated units; check the comparison pool."
        )
