"""One validated long panel: checked columns, integer periods, counted exclusions, arrays.

:class:`Panel` is the single place where a long panel (one row per unit and period) is
checked before any difference-in-differences estimator or the spec validator uses it, in the
spirit of linearmodels' ``PanelData``:

* construction checks the table and the names of the column roles (unit, time, cohort,
  outcomes, covariates, clusters, weights), turns ``time`` and ``cohort`` into integer
  periods (0 = never treated) and rejects negative cohorts;
* the ``check_*`` methods apply the checks every design shares (complete keys, one row per
  unit and period, values constant within a unit, cohorts that are periods, weights);
* the ``drop_*`` methods remove rows or whole units and record each removal, with its
  reason, in an :class:`Exclusions` table: nothing is dropped silently;
* :meth:`Panel.wide` and :meth:`Panel.unit_values` give unit x period and per-unit arrays.

Each design states its own exclusion policy by calling these methods in order (see
:mod:`sroi.impact.did.data`, :mod:`sroi.impact.staggered.data` and
:func:`sroi.data.validation.validate_panel`), so the checks and their messages exist once.
Every error is a :class:`~sroi.errors.SroiInputError` naming the column, the bad value, up to
five example rows and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

import numpy as np
import pandas as pd

from sroi._checks import require_columns
from sroi.errors import SroiInputError, example_rows

__all__ = ["Exclusions", "Panel", "show_value"]

_MISSING_COLUMN_FIX = (
    "The name you passed is not in the panel (not a column of the table): rename the column "
    "in the data or change the name you passed."
)
_CONSTANT_FIX = "Use one value per unit (e.g. the value at enrolment)."


@dataclass
class Exclusions:
    """A running count of excluded rows and units, each with a reason.

    Attributes
    ----------
    records
        One dictionary per exclusion step: ``reason``, ``column``, ``n_rows``, ``n_units``.
    """

    records: list[dict[str, object]] = field(default_factory=list)

    def add(self, reason: str, column: str | None, unit_ids: pd.Series | np.ndarray) -> None:
        """Record that the rows with these unit ids (one entry per row) were excluded.

        A missing unit id counts as one unit.
        """
        ids = pd.Series(unit_ids)
        self.records.append(
            {
                "reason": reason,
                "column": column or "",
                "n_rows": int(len(ids)),
                "n_units": int(ids.nunique(dropna=False)),
            }
        )

    def table(self) -> pd.DataFrame:
        """One row per exclusion step: ``reason, column, n_rows, n_units``."""
        cols = ["reason", "column", "n_rows", "n_units"]
        return pd.DataFrame(self.records, columns=cols)

    def counts(self) -> dict[str, int]:
        """Excluded rows by reason (``{reason: n_rows}``)."""
        out: dict[str, int] = {}
        for r in self.records:
            key = str(r["reason"])
            out[key] = out.get(key, 0) + int(r["n_rows"])  # type: ignore[call-overload]
        return out

    def notes(self) -> tuple[str, ...]:
        """Readable notes, ``"<n> rows excluded: <reason>"``, one per reason."""
        return tuple(f"{n} rows excluded: {reason}" for reason, n in self.counts().items() if n)

    @property
    def n_rows(self) -> int:
        """Total number of excluded rows."""
        return int(sum(int(r["n_rows"]) for r in self.records))  # type: ignore[call-overload]


def show_value(value: object) -> str:
    """``repr`` of a cell value without NumPy's type wrapper (``2``, not ``np.int64(2)``)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


class Panel:
    """A validated long panel with its column roles and counted exclusions.

    Parameters
    ----------
    frame
        Long data, one row per unit and period (or per observation for a repeated
        cross-section, ``unit=None``).
    unit, time
        Unit id and period columns. ``time`` must hold whole-number periods (text that reads
        as numbers is converted).
    cohort
        First treated period of the unit, 0 for never treated (whole numbers >= 0).
    treatment
        A 0/1 treatment column (kept as it is; see :meth:`cohort_from_treatment`).
    outcomes, covariates, clusters
        Column names for those roles.
    weights
        Column of observation or unit weights.
    extra
        Other columns the caller needs, kept without checks (or a mapping ``role ->
        column`` so that a missing column is named with its role).
    source
        What the table is (a file name, or ``"the panel"``), used in every message.
    file_rows
        Name rows by their line under the header (``data row 1`` = first data row), as for
        a file; otherwise by the DataFrame's index labels.
    keep_all_columns
        Keep every column of ``frame`` (default: only the role and ``extra`` columns).
    exclusions
        Table that exclusions are recorded in (a new one if not given).

    Raises
    ------
    SroiInputError
        If ``frame`` is not a DataFrame or is empty, a role names no column, two of unit,
        time, cohort and outcome are the same column, ``time`` or ``cohort`` are not
        whole-number periods, or a cohort is negative.

    Notes
    -----
    ``time`` and ``cohort`` are stored as ``int64`` once they have no missing values (as
    floats with ``NaN`` before). :attr:`periods` holds the distinct periods of the data as
    given, before any exclusion.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        unit: str | None,
        time: str,
        cohort: str | None = None,
        treatment: str | None = None,
        outcomes: Sequence[str] = (),
        covariates: Sequence[str] = (),
        clusters: Sequence[str] = (),
        weights: str | None = None,
        extra: Iterable[str] | Mapping[str, str] = (),
        source: str = "the panel",
        file_rows: bool = False,
        keep_all_columns: bool = False,
        exclusions: Exclusions | None = None,
    ) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise SroiInputError(f"panel must be a pandas DataFrame; got {type(frame).__name__}")
        self.unit = unit
        self.time = time
        self.cohort = cohort
        self.treatment = treatment
        self.outcomes = tuple(outcomes)
        self.covariates = tuple(covariates)
        self.clusters = tuple(clusters)
        self.weights = weights
        self.source = source
        self.file_rows = file_rows
        self.exclusions = exclusions if exclusions is not None else Exclusions()
        self.notes: list[str] = []
        self._unit_cache: tuple[np.ndarray, np.ndarray] | None = None
        self._period_cache: np.ndarray | None = None
        self._first_cache: np.ndarray | None = None
        roles = self._roles(extra)
        require_columns(frame, roles, where=source, fix=_MISSING_COLUMN_FIX)
        if frame.shape[0] == 0:
            raise SroiInputError(f"{source}: no data rows (the panel is empty)")
        keys = [c for c in (unit, time, cohort, *self.outcomes) if c is not None]
        if len(set(keys)) < len(keys):
            raise SroiInputError(
                f"{source}: the unit, time, cohort and outcome columns must be different "
                f"columns; got {', '.join(repr(c) for c in keys)}"
            )
        columns = list(frame.columns) if keep_all_columns else list(dict.fromkeys(roles.values()))
        # A shallow copy: with copy-on-write (pandas 3) the columns are shared with ``frame``
        # until one of them is changed here; pandas 2 copies them in ``frame[columns]``.
        self.data: pd.DataFrame = frame[columns].copy(deep=False)
        self._to_periods(time, "time")
        if cohort is not None:
            self._to_periods(cohort, "cohort")
            neg = (self.data[cohort] < 0).to_numpy()
            if neg.any():
                self.fail(
                    cohort,
                    "cohort must be 0 (never treated) or the first treated period; negative "
                    f"values such as {show_value(self.data[cohort][neg].iloc[0])}",
                    neg,
                    "Use 0 for never-treated units.",
                )
        t = pd.unique(self.data[time].to_numpy())  # hashing: no sort of every row
        t = t[~np.isnan(t)] if t.dtype.kind == "f" else t
        self.periods: np.ndarray = np.sort(t).astype(np.int64)

    # ------------------------------------------------------------------ construction
    def _roles(self, extra: Iterable[str] | Mapping[str, str]) -> dict[str, str]:
        named: list[tuple[str, object]] = [
            ("unit", self.unit),
            ("time", self.time),
            ("cohort", self.cohort),
            ("treatment", self.treatment),
            ("weights", self.weights),
        ]
        named += [("outcome", c) for c in self.outcomes]
        named += [("covariates", c) for c in self.covariates]
        named += [("cluster", c) for c in self.clusters]
        if isinstance(extra, Mapping):
            named += list(extra.items())
        else:
            named += [("column", c) for c in extra]
        roles: dict[str, str] = {}
        for role, col in named:
            if col is None:
                continue
            if not isinstance(col, str):
                raise SroiInputError(f"{role} must be a column name (string); got {col!r}")
            label = role if role not in roles else f"{role} {col}"
            if col not in roles.values():
                roles[label] = col
        return roles

    def _to_periods(self, column: str, role: str) -> None:
        """Convert ``column`` to whole-number periods (missing values allowed)."""
        s = self.data[column]
        self._reset_caches()
        if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iu":
            if np.can_cast(s.dtype, np.int64):  # whole numbers already: no float round trip
                if s.dtype != np.int64:
                    self.data[column] = s.to_numpy().astype(np.int64)
                return
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            num = pd.to_numeric(s, errors="coerce")
            bad = (s.notna() & num.isna()).to_numpy()
            if bad.any():
                self.fail(
                    column,
                    f"{role} must be an integer period index, found text such as "
                    f"{show_value(s[bad].iloc[0])}",
                    bad,
                    "Code periods as integers 1, 2, 3, ... (0 in the cohort column = never "
                    "treated); convert dates to consecutive integer periods first.",
                )
            s = num
        vals = s.to_numpy(dtype=float)
        frac = s.notna().to_numpy() & ~(np.isfinite(vals) & (vals == np.round(vals)))
        if frac.any():
            self.fail(
                column,
                f"{role} must be whole numbers",
                frac,
                f"Found non-integer values such as {show_value(vals[frac][0])}: code periods "
                "as whole-number integer periods (1, 2, 3, ...).",
            )
        self.data[column] = vals
        self._settle_periods(column)

    def _settle_periods(self, *columns: str | None) -> None:
        """Store complete (already checked) period columns as ``int64``."""
        for c in columns or (self.time, self.cohort):
            if c is None or self.data[c].dtype == np.int64:
                continue
            if not self.data[c].isna().any():
                self.data[c] = self.data[c].to_numpy().astype(np.int64)

    # ------------------------------------------------------------------ messages
    def rows(self, mask: np.ndarray | pd.Index) -> str:
        """Up to five example rows for a message (``rows 3, 7`` or ``data rows 4, 8``)."""
        index = self.data.index[mask] if isinstance(mask, np.ndarray) else mask
        if not self.file_rows:
            return example_rows(index)
        labels = [i + 1 if isinstance(i, int | np.integer) else i for i in index]
        return "data " + example_rows(labels)

    def fail(
        self, column: str | None, problem: str, mask: np.ndarray | pd.Index, fix: str
    ) -> NoReturn:
        """Raise :class:`SroiInputError` naming the column, the problem, rows and the fix."""
        col = f"column {column!r}: " if column else ""
        raise SroiInputError(f"{self.source}: {col}{problem} ({self.rows(mask)}). {fix}")

    # ------------------------------------------------------------------ codes and arrays
    def _reset_caches(self) -> None:
        """Forget the unit and period codes (after the rows or the period column change)."""
        self._unit_cache = self._period_cache = self._first_cache = None

    def missing(self, column: str, *, finite: bool = False) -> np.ndarray:
        """Rows whose value is missing (``finite=True``: also infinite) in ``column``."""
        if finite:
            return ~np.isfinite(self.data[column].to_numpy(dtype=float))
        return self.data[column].isna().to_numpy()

    def unit_ids(self) -> pd.Series | pd.Index:
        """Unit id of each row (the row label for a repeated cross-section)."""
        return self.data.index if self.unit is None else self.data[self.unit]

    def unit_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Code of each row's unit (-1 when missing) and the sorted distinct unit ids."""
        if self._unit_cache is None:
            codes, uniques = pd.factorize(self.unit_ids(), sort=True)
            self._unit_cache = (codes, np.asarray(uniques))
        return self._unit_cache

    @property
    def units(self) -> np.ndarray:
        """Sorted distinct unit ids of the rows kept."""
        return self.unit_codes()[1]

    def period_codes(self) -> np.ndarray:
        """Position of each row's period in :attr:`periods`."""
        if self._period_cache is None:
            self._period_cache = np.searchsorted(self.periods, self.data[self.time].to_numpy())
        return self._period_cache

    def wide(self, column: str) -> np.ndarray:
        """``n_units x n_periods`` array of ``column`` (units sorted, ``NaN`` where unobserved)."""
        codes, uniques = self.unit_codes()
        out = np.full((len(uniques), len(self.periods)), np.nan)
        out[codes, self.period_codes()] = self.data[column].to_numpy(dtype=float)
        return out

    def wide_stack(self, columns: Sequence[str]) -> np.ndarray:
        """``n_units x n_periods x len(columns)`` array: :meth:`wide` of each column, stacked.

        Filled in place (no per-column temporaries), as ``np.stack([wide(c) ...], axis=2)``.
        """
        codes, uniques = self.unit_codes()
        out = np.full((len(uniques), len(self.periods), len(columns)), np.nan)
        pcodes = self.period_codes()
        for j, c in enumerate(columns):
            out[codes, pcodes, j] = self.data[c].to_numpy(dtype=float)
        return out

    def first_rows(self) -> np.ndarray:
        """Position of each unit's first row (units sorted as :attr:`units`; cached)."""
        if self._first_cache is None:
            codes, uniques = self.unit_codes()
            rows = np.arange(len(codes))
            first = np.full(len(uniques), len(codes), dtype=np.intp)
            ok = codes >= 0
            if ok.all():
                np.minimum.at(first, codes, rows)
            else:
                np.minimum.at(first, codes[ok], rows[ok])
            self._first_cache = first
        return self._first_cache

    def unit_values(self, column: str) -> np.ndarray:
        """First value of ``column`` for each unit (sorted as :attr:`units`)."""
        return self.data[column].to_numpy()[self.first_rows()]

    # ------------------------------------------------------------------ checks
    def require_complete(self, column: str, fix: str, problem: str | None = None) -> None:
        """Raise when ``column`` has missing values, naming the rows."""
        miss = self.missing(column)
        if miss.any():
            self.fail(column, problem or f"{int(miss.sum())} missing value(s)", miss, fix)

    def check_unique(self) -> None:
        """One row per unit and period (rows with a missing unit or period are skipped)."""
        if self.unit is None:
            return
        ucodes, _ = self.unit_codes()
        ok = (ucodes >= 0) & ~self.missing(self.time)
        every = bool(ok.all())
        key = np.multiply(ucodes if every else ucodes[ok], len(self.periods) + 1, dtype=np.int64)
        key += self.period_codes() if every else self.period_codes()[ok]
        counts = np.bincount(key)
        if counts.max(initial=0) <= 1:
            return
        dup = np.zeros(len(ucodes), dtype=bool)
        dup[ok] = counts[key] > 1
        self.fail(
            f"{self.unit}, {self.time}",
            f"{int(dup.sum())} rows share a (unit, time) pair, e.g. "
            f"({show_value(self.data[self.unit][dup].iloc[0])}, "
            f"{show_value(self.data[self.time][dup].iloc[0])})",
            dup,
            "Each unit may appear once per period: remove or aggregate the duplicated rows.",
        )

    def _constant_what(self, column: str) -> str:
        if column == self.cohort:
            return (
                "the first treated period (cohort) must be the same in every row of a unit "
                "(constant within each unit: treatment that switches off or restarts is not "
                "supported)"
            )
        if column == self.treatment:
            return "treatment must not vary within a unit in this design"
        if column in self.clusters:
            return "the cluster must not vary within a unit (units are nested in clusters)"
        if column == self.weights:
            return "weights must be constant within each unit (one weight per unit)"
        if column in self.covariates:
            return "covariates are frozen at pre-enrolment values and must not vary within a unit"
        return f"{column} must be constant within each unit"

    def check_constant(self, column: str, what: str | None = None) -> None:
        """Values of ``column`` are the same in every row of a unit (missing values ignored)."""
        if self.unit is None:
            return
        ucodes, uniques = self.unit_codes()
        vcodes, _ = pd.factorize(self.data[column])
        ok = (ucodes >= 0) & (vcodes >= 0)
        ref = np.full(len(uniques), -1)
        ref[ucodes[ok]] = vcodes[ok]  # one of the unit's values (any will do)
        differs = ok & (vcodes != ref[np.maximum(ucodes, 0)])
        varies_unit = np.zeros(len(uniques), dtype=bool)
        varies_unit[ucodes[differs]] = True
        varies = (ucodes >= 0) & varies_unit[np.maximum(ucodes, 0)]
        if varies.any():
            first = self.data[self.unit].to_numpy()[np.flatnonzero(varies)[0]]
            self.fail(
                column,
                f"{what or self._constant_what(column)}; unit {show_value(first)} has several "
                "values",
                varies,
                _CONSTANT_FIX,
            )

    def to_numeric(self, column: str, what: str) -> None:
        """Convert ``column`` to floats; text that is not a number is an error."""
        s = self.data[column]
        if s.dtype == np.float64:
            return  # floats already (kept without a copy)
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            self.data[column] = s.to_numpy(dtype=float)
            return
        conv = pd.to_numeric(s, errors="coerce")
        bad = (conv.isna() & s.notna()).to_numpy()
        if bad.any():
            self.fail(
                column,
                f"{what} must be numeric, found text such as {show_value(s[bad].iloc[0])}",
                bad,
                "Recode it as numbers (categories as 0/1 indicator columns).",
            )
        self.data[column] = conv.to_numpy(dtype=float)

    def check_weights(self, *, finite: bool = False) -> None:
        """Weights are >= 0 (and finite with ``finite=True``); missing values are left alone."""
        if self.weights is None:
            return
        w = self.data[self.weights].to_numpy(dtype=float)
        bad = (w < 0) | (np.isinf(w) if finite else False)
        if bad.any():
            self.fail(
                self.weights,
                "weights must be finite and >= 0" if finite else "weights must be >= 0",
                bad,
                f"Found {show_value(w[bad][0])}: use non-negative weights (0 leaves a row out).",
            )

    def check_cohorts_are_periods(self) -> None:
        """Every cohort inside the observed range is one of the periods."""
        if self.cohort is None:
            return
        g = self.data[self.cohort].to_numpy(dtype=float)
        inside = (g > 0) & (g >= self.periods.min()) & (g <= self.periods.max())
        bad = inside & ~np.isin(g, self.periods)
        if bad.any():
            values = ", ".join(str(int(b)) for b in np.unique(g[bad])[:5])
            periods = ", ".join(str(x) for x in self.periods[:12])
            self.fail(
                self.cohort,
                f"cohort values that are not time periods: {values}; periods are {periods}",
                bad,
                "The cohort is the first treated period (0 = never treated).",
            )

    def check_binary(self, column: str, what: str = "treatment") -> None:
        """``column`` is 0/1 in every row (no missing values)."""
        s = self.data[column]
        bad = (s.notna() & ~s.isin([0, 1])).to_numpy()
        if bad.any():
            self.fail(
                column,
                f"{what} must be 0/1 without missing values, found {show_value(s[bad].iloc[0])}",
                bad,
                "Code treated rows (or units) as 1 and the others as 0.",
            )
        self.require_complete(
            column,
            "Every row needs a value (0 or 1).",
            problem=f"{what} must be 0/1 without missing values",
        )

    # ------------------------------------------------------------------ cohorts
    def cohort_from_treatment(self, name: str = "_cohort") -> None:
        """Derive the cohort column ``name`` from a 0/1 treatment that switches on once.

        The cohort is the first period with treatment 1 (0 if never); a treatment that
        switches off again is an error (only staggered adoption is supported).
        """
        if self.treatment is None or self.unit is None:
            raise SroiInputError("a cohort from treatment= needs the treatment and unit columns")
        self.check_binary(self.treatment)
        d = self.data[self.treatment]
        t = self.data[self.time]
        first = t[d == 1].groupby(self.data.loc[d == 1, self.unit]).min()
        coh = self.data[self.unit].map(first).fillna(0).to_numpy().astype(np.int64)
        off = (coh > 0) & (t.to_numpy() >= coh) & (d.to_numpy() == 0)
        if off.any():
            units = list(pd.unique(self.data.loc[off, self.unit])[:5])
            self.fail(
                self.treatment,
                f"treatment switches off after starting (units {units})",
                off,
                "Only staggered adoption (once treated, always treated) is supported.",
            )
        self.data[name] = coh
        self.cohort = name

    def fill_cohort_within_units(self) -> None:
        """Fill missing cohort values from the unit's other rows (after :meth:`check_constant`)."""
        assert self.cohort is not None and self.unit is not None
        c = self.data[self.cohort]
        if c.isna().any():
            self.data[self.cohort] = c.groupby(self.data[self.unit]).transform("first")
            self._settle_periods()

    def recode_late_cohorts(self) -> None:
        """Cohorts after the last period become never treated (0), with a note (as R ``did``)."""
        assert self.cohort is not None
        g = self.data[self.cohort].to_numpy(dtype=float)
        last = int(self.periods.max())
        late = g > last
        if late.any():
            n = int(pd.unique(self.unit_ids()[late]).size)
            self.notes.append(
                f"{n} units first treated after the last period ({last}) are treated as never "
                "treated, as R did does"
            )
            g = np.where(late, 0.0, g)
            self.data[self.cohort] = g
            self._settle_periods()

    # ------------------------------------------------------------------ exclusions
    def drop_rows(self, mask: np.ndarray, reason: str, column: str | None = None) -> None:
        """Drop the rows in ``mask`` and record them under ``reason``."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        self.exclusions.add(reason, column, np.asarray(self.unit_ids())[mask])
        self.data = self.data.loc[~mask]
        self._reset_caches()
        self._settle_periods()

    def drop_units(self, mask: np.ndarray, reason: str, column: str | None = None) -> None:
        """Drop every row of the units that have a row in ``mask``, under ``reason``."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        codes, uniques = self.unit_codes()
        bad = np.zeros(len(uniques) + 1, dtype=bool)
        bad[codes[mask]] = True  # code -1 (missing id) lands on the extra last slot
        self.drop_rows(bad[codes], reason, column)

    def drop_incomplete(
        self, column: str, reason: str, *, whole_units: bool = False, finite: bool = False
    ) -> None:
        """Drop rows (or whole units) with a missing value in ``column``, under ``reason``."""
        miss = self.missing(column, finite=finite)
        if whole_units:
            self.drop_units(miss, reason, column)
        else:
            self.drop_rows(miss, reason, column)

    def drop_treated_from_start(
        self,
        reason: str,
        *,
        per_unit: bool = False,
        first: int | None = None,
        anticipation: int = 0,
    ) -> None:
        """Drop units treated from the start: they have no untreated pre-period.

        Parameters
        ----------
        reason
            Reason recorded in the exclusions.
        per_unit
            Compare each unit's cohort with its own first observed period (rows dropped)
            instead of the panel's first period ``first``.
        first
            The panel's first period (default: the first period of the rows kept).
        anticipation
            Periods of anticipation: cohorts up to ``first + anticipation`` are dropped.
        """
        assert self.cohort is not None
        g = self.data[self.cohort].to_numpy(dtype=float)
        if per_unit:
            assert self.unit is not None
            start = self.data.groupby(self.unit)[self.time].transform("min").to_numpy()
        else:
            start = int(self.data[self.time].min()) if first is None else int(first)
        self.drop_rows((g > 0) & (g <= start + anticipation), reason, self.cohort)

    def unbalanced_units(self) -> np.ndarray:
        """Units not observed in every period of :attr:`periods`."""
        codes, uniques = self.unit_codes()
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        return uniques[counts < len(self.periods)]

    def drop_unbalanced_units(self, reason: str) -> None:
        """Drop units not observed in every period of :attr:`periods`."""
        codes, uniques = self.unit_codes()
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        self.drop_units((codes >= 0) & (counts[np.maximum(codes, 0)] < len(self.periods)), reason)

    def __repr__(self) -> str:
        return (
            f"Panel(source={self.source!r}, rows={len(self.data)}, unit={self.unit!r}, "
            f"time={self.time!r}, cohort={self.cohort!r}, excluded_rows={self.exclusions.n_rows})"
        )
