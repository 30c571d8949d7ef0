"""Turn dated school records into the pupil x term panel that sroi expects.

Councils hold dated records: enrolment dates, attendance as possible and attended sessions
per term, dated suspensions and referrals. These helpers put them on a term calendar, each
returning the prepared table with its counted exclusions (nothing is dropped silently):

* :func:`term_calendar` - the English school year's three terms (autumn, spring, summer) as
  numbered periods; pass your own calendar (a table of term start and end dates) for the
  exact dates of your authority.
* :func:`terms_from_dates` - the term number of each date.
* :func:`cohort_from_enrolment` - each pupil's cohort (first enrolled term, 0 if never).
* :func:`attendance_from_sessions` - attendance rate and persistent absence per pupil-term.
* :func:`counts_per_term` - counts of dated events per pupil and term, zeros included.

Persistent absence follows the Department for Education's definition: missing 10% or more of
possible sessions (DfE, *Pupil absence in schools in England*, methodology).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sroi._checks import check_int, check_probability, require_columns
from sroi.data.panel import Exclusions
from sroi.errors import SroiInputError, example_rows

__all__ = [
    "ENGLISH_TERM_MONTHS",
    "PERSISTENT_ABSENCE_THRESHOLD",
    "Prepared",
    "attendance_from_sessions",
    "cohort_from_enrolment",
    "counts_per_term",
    "persistent_absence",
    "term_calendar",
    "terms_from_dates",
]

#: Default term boundaries by calendar month (inclusive), school year starting in September.
#: Every day of the year falls in a term, so events in the holidays count towards the term
#: that the holiday follows (summer holiday -> summer term). Pass your own calendar for
#: exact term dates.
ENGLISH_TERM_MONTHS: Mapping[str, tuple[int, int]] = {
    "autumn": (9, 12),
    "spring": (1, 3),
    "summer": (4, 8),
}

#: DfE: a pupil is persistently absent if they miss 10% or more of their possible sessions.
PERSISTENT_ABSENCE_THRESHOLD = 0.10

CALENDAR_COLUMNS = ("term", "school_year", "name", "start", "end")


@dataclass(frozen=True)
class Prepared:
    """A prepared table and the rows left out of it, each with a reason.

    Attributes
    ----------
    frame
        The prepared table.
    exclusions
        Counted exclusions (``exclusions.table()`` gives reason, column, rows and units).
    """

    frame: pd.DataFrame
    exclusions: Exclusions = field(default_factory=Exclusions)


def term_calendar(
    first_school_year: int,
    n_years: int = 3,
    months: Mapping[str, tuple[int, int]] = ENGLISH_TERM_MONTHS,
) -> pd.DataFrame:
    """Numbered terms of consecutive English school years.

    Parameters
    ----------
    first_school_year
        Calendar year in which the first school year starts (2022 for 2022/23).
    n_years
        Number of school years.
    months
        Term name -> (first month, last month), inclusive, in school-year order; the default
        :data:`ENGLISH_TERM_MONTHS` covers every day of the year.

    Returns
    -------
    pandas.DataFrame
        One row per term: ``term`` (1, 2, ...), ``school_year`` (``"2022/23"``), ``name``,
        ``start`` and ``end`` (inclusive dates).
    """
    first = check_int(first_school_year, "first_school_year", minimum=1990, maximum=2100)
    n = check_int(n_years, "n_years", minimum=1, maximum=30)
    rows = []
    for y in range(first, first + n):
        for name, (m0, m1) in months.items():
            year0 = y if m0 >= 9 else y + 1
            year1 = y if m1 >= 9 else y + 1
            start = pd.Timestamp(year0, m0, 1)
            end = pd.Timestamp(year1, m1, 1) + pd.offsets.MonthEnd(0)
            rows.append((f"{y}/{str(y + 1)[-2:]}", name, start, end))
    cal = pd.DataFrame(rows, columns=["school_year", "name", "start", "end"])
    cal.insert(0, "term", np.arange(1, len(cal) + 1))
    return check_calendar(cal)


def check_calendar(calendar: pd.DataFrame) -> pd.DataFrame:
    """Check a term calendar: terms numbered 1, 2, ... in date order, not overlapping.

    Parameters
    ----------
    calendar
        Columns ``term``, ``start`` and ``end`` (dates, inclusive); ``school_year`` and
        ``name`` are optional labels.

    Returns
    -------
    pandas.DataFrame
        The calendar with ``start`` and ``end`` as timestamps.
    """
    require_columns(
        calendar,
        {"term number": "term", "start date": "start", "end date": "end"},
        where="the term calendar",
    )
    cal = calendar.copy()
    for col in ("start", "end"):
        parsed = _to_dates(cal[col])
        bad = cal.index[parsed.isna()]
        if len(bad):
            raise SroiInputError(
                f"the term calendar: column {col!r} has values that are not dates "
                f"({example_rows(bad)}, e.g. {_show(cal.loc[bad[0], col])}); use YYYY-MM-DD"
            )
        cal[col] = parsed
    cal = cal.sort_values("start").reset_index(drop=True)
    if list(cal["term"]) != list(range(1, len(cal) + 1)):
        raise SroiInputError(
            "the term calendar: terms must be numbered 1, 2, 3, ... in date order; "
            f"got {list(cal['term'])}"
        )
    if (cal["end"] < cal["start"]).any():
        bad = cal.loc[cal["end"] < cal["start"], "term"].tolist()
        raise SroiInputError(f"the term calendar: term(s) {bad} end before they start")
    overlap = cal["start"].iloc[1:].to_numpy() <= cal["end"].iloc[:-1].to_numpy()
    if overlap.any():
        bad = cal["term"].iloc[1:][overlap].tolist()
        raise SroiInputError(f"the term calendar: term(s) {bad} start before the previous ends")
    return cal


def _show(value: object) -> str:
    """A value for a message, without numpy's type wrapper (``-1``, not ``np.int64(-1)``)."""
    item = getattr(value, "item", None)
    return repr(item() if callable(item) else value)


def _to_dates(values: pd.Series) -> pd.Series:
    """Dates from timestamps or ISO strings; anything else becomes NaT.

    Only ``YYYY-MM-DD`` (ISO 8601) strings are read: ``05/09/2023`` is 5 September in
    England and 9 May elsewhere, so ambiguous forms are refused rather than guessed.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.Series(values)
    return pd.to_datetime(values, errors="coerce", format="ISO8601")


def _parse_dates(values: pd.Series, column: str, where: str) -> pd.Series:
    parsed = _to_dates(values)
    bad = values.index[parsed.isna() & values.notna()]
    if len(bad):
        raise SroiInputError(
            f"{where}: column {column!r} has values that are not dates ({example_rows(bad)}, "
            f"e.g. {_show(values.loc[bad[0]])}); write dates as YYYY-MM-DD"
        )
    return parsed


def terms_from_dates(dates: pd.Series, calendar: pd.DataFrame) -> pd.Series:
    """The term number of each date (missing where the date is in no term of the calendar).

    Parameters
    ----------
    dates
        Dates (timestamps or ``YYYY-MM-DD`` strings).
    calendar
        A term calendar (:func:`term_calendar` or your own, see :func:`check_calendar`).

    Returns
    -------
    pandas.Series
        Nullable integers (``Int64``), aligned with ``dates``.
    """
    cal = check_calendar(calendar)
    d = _parse_dates(pd.Series(dates), "date", "dates")
    starts = cal["start"].to_numpy(dtype="datetime64[ns]")
    ends = cal["end"].to_numpy(dtype="datetime64[ns]")
    values = d.to_numpy(dtype="datetime64[ns]")
    pos = np.searchsorted(starts, values, side="right") - 1
    inside = (pos >= 0) & ~np.isnat(values)
    inside[inside] = values[inside] <= ends[pos[inside]]
    out = pd.Series(pd.array([pd.NA] * len(d), dtype="Int64"), index=d.index)
    out[inside] = cal["term"].to_numpy()[pos[inside]]
    return out


def cohort_from_enrolment(
    enrolments: pd.DataFrame,
    *,
    unit: str,
    date: str,
    calendar: pd.DataFrame,
    units: Iterable[object] | None = None,
) -> Prepared:
    """Each pupil's cohort: the term of their first enrolment date, 0 if never enrolled.

    Parameters
    ----------
    enrolments
        One row per enrolment (a pupil may appear more than once; the earliest counts).
    unit, date
        Columns of the pupil identifier and the enrolment date.
    calendar
        The term calendar.
    units
        All pupils of the analysis (enrolled or not); those without an enrolment get
        cohort 0. Default: only the pupils in ``enrolments``.

    Returns
    -------
    Prepared
        ``frame`` with columns ``unit`` and ``cohort``; enrolments dated outside the calendar
        or without a date are counted exclusions.
    """
    where = "enrolments"
    require_columns(enrolments, {"unit": unit, "enrolment date": date}, where=where)
    ex = Exclusions()
    d = _parse_dates(enrolments[date], date, where)
    missing = d.isna()
    if missing.any():
        ex.add("no enrolment date", date, enrolments.loc[missing, unit])
    terms = terms_from_dates(d[~missing], calendar)
    outside = terms.isna()
    if outside.any():
        ex.add(
            "enrolment date outside the term calendar",
            date,
            enrolments.loc[outside.index[outside], unit],
        )
    ok = terms.dropna()
    first = (
        pd.DataFrame({unit: enrolments.loc[ok.index, unit], "cohort": ok.astype(np.int64)})
        .groupby(unit, sort=True)["cohort"]
        .min()
    )
    all_units = pd.Index(first.index if units is None else pd.unique(pd.Series(list(units))))
    unknown = first.index.difference(all_units)
    if len(unknown):
        raise SroiInputError(
            f"{where}: {len(unknown)} enrolled pupil(s) are not in the list of units "
            f"(e.g. {unknown[0]!r}); add them to the unit list or correct the identifier"
        )
    cohort = first.reindex(all_units, fill_value=0).astype(np.int64)
    frame = pd.DataFrame({unit: cohort.index, "cohort": cohort.to_numpy()})
    return Prepared(frame, ex)


def persistent_absence(
    attendance_rate: pd.Series, threshold: float = PERSISTENT_ABSENCE_THRESHOLD
) -> pd.Series:
    """1 where absence (1 - attendance rate) is at least ``threshold`` (DfE: 10%), else 0.

    Parameters
    ----------
    attendance_rate
        Attendance rates in [0, 1].
    threshold
        Absence share at or above which a pupil is persistently absent.

    Returns
    -------
    pandas.Series
        0/1 integers, aligned with ``attendance_rate``.
    """
    t = check_probability(threshold, "threshold", open_interval=True)
    rate = pd.Series(attendance_rate, dtype=float)
    bad = rate.index[~rate.between(0.0, 1.0)]
    if len(bad):
        raise SroiInputError(
            f"attendance_rate must be in [0, 1]; got {_show(rate.loc[bad[0]])} ({example_rows(bad)})"
        )
    # compare in whole basis points so 0.9 attendance is exactly 10% absence
    absence_bp = np.rint((1.0 - rate.to_numpy()) * 10_000)
    return pd.Series((absence_bp >= round(t * 10_000)).astype(np.int64), index=rate.index)


def attendance_from_sessions(
    frame: pd.DataFrame,
    *,
    possible: str,
    attended: str,
    threshold: float = PERSISTENT_ABSENCE_THRESHOLD,
) -> Prepared:
    """Attendance rate and persistent absence from possible and attended sessions.

    Parameters
    ----------
    frame
        One row per pupil and term.
    possible, attended
        Columns of possible sessions (half-days) and sessions attended.
    threshold
        Persistent-absence threshold (share of possible sessions missed).

    Returns
    -------
    Prepared
        ``frame`` with ``attendance_rate`` and ``persistent_absence`` added; rows with no
        possible sessions (0 or missing) are counted exclusions. Attended above possible,
        negative or fractional session counts are errors naming the rows.
    """
    where = "attendance records"
    require_columns(
        frame, {"possible sessions": possible, "attended sessions": attended}, where=where
    )
    ex = Exclusions()
    out = frame.copy()
    p = pd.to_numeric(out[possible], errors="coerce")
    a = pd.to_numeric(out[attended], errors="coerce")
    for col, s in ((possible, p), (attended, a)):
        bad = s.index[s.notna() & ((s < 0) | (s != np.floor(s)) | ~np.isfinite(s))]
        if len(bad):
            raise SroiInputError(
                f"{where}: column {col!r} must hold whole numbers of sessions >= 0; got "
                f"{_show(out.loc[bad[0], col])} ({example_rows(bad)})"
            )
    over = a.index[(a > p).fillna(False)]
    if len(over):
        raise SroiInputError(
            f"{where}: {attended!r} exceeds {possible!r} ({example_rows(over)}, e.g. "
            f"{a.loc[over[0]]:g} of {p.loc[over[0]]:g}); correct the session counts"
        )
    drop = p.isna() | (p == 0) | a.isna()
    if drop.any():
        ex.add("no possible sessions or attended sessions missing", possible, out.index[drop])
    out = out.loc[~drop].copy()
    out["attendance_rate"] = (a[~drop] / p[~drop]).astype(float)
    out["persistent_absence"] = persistent_absence(out["attendance_rate"], threshold)
    return Prepared(out, ex)


def counts_per_term(
    events: pd.DataFrame,
    *,
    unit: str,
    date: str,
    calendar: pd.DataFrame,
    units: Iterable[object],
    name: str,
) -> Prepared:
    """Counts of dated events (suspensions, referrals) per pupil and term, zeros included.

    Parameters
    ----------
    events
        One row per event.
    unit, date
        Columns of the pupil identifier and the event date.
    calendar
        The term calendar; the result has one row per pupil and calendar term.
    units
        All pupils of the analysis (a pupil with no event gets zeros).
    name
        Name of the count column (e.g. ``"suspensions"``).

    Returns
    -------
    Prepared
        ``frame`` with columns ``unit``, ``term`` and ``name``; events without a date, dated
        outside the calendar or for a pupil not in ``units`` are counted exclusions.
    """
    where = f"{name} events"
    require_columns(events, {"unit": unit, "event date": date}, where=where)
    cal = check_calendar(calendar)
    ex = Exclusions()
    d = _parse_dates(events[date], date, where)
    all_units = pd.Index(pd.unique(pd.Series(list(units))))
    keep = pd.Series(True, index=events.index)
    for reason, mask in (
        ("no event date", d.isna()),
        ("event for a pupil not in the unit list", ~events[unit].isin(all_units)),
    ):
        mask = mask & keep
        if mask.any():
            ex.add(reason, unit if "pupil" in reason else date, events.loc[mask, unit])
        keep &= ~mask
    terms = terms_from_dates(d[keep], cal)
    outside = terms.isna()
    if outside.any():
        ex.add(
            "event date outside the term calendar", date, events.loc[outside.index[outside], unit]
        )
    ok = terms.dropna()
    counts = (
        pd.DataFrame({unit: events.loc[ok.index, unit], "term": ok.astype(np.int64)})
        .groupby([unit, "term"])
        .size()
    )
    grid = pd.MultiIndex.from_product([all_units, cal["term"].to_numpy()], names=[unit, "term"])
    frame = counts.reindex(grid, fill_value=0).rename(name).astype(np.int64).reset_index()
    return Prepared(frame, ex)
