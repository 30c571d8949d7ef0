"""Synthetic dated records shaped like a council's extracts, made from the synthetic sample.

Real data rarely arrive as a pupil x term panel: they come as enrolment dates, termly
session counts and dated events. :func:`dated_records` turns the shipped synthetic sample
back into such extracts so the preparation helpers (:mod:`sroi.data.prepare`) have a worked
example that runs anywhere, and so a test can check that preparing them gives back the
panel. **Synthetic**: no row describes a real child.

Sessions: possible sessions per term are fixed (autumn 140, spring 118, summer 126
half-days, about the length of English terms); attended sessions are the attendance rate
times possible sessions, rounded, so a prepared rate differs from the panel's by at most
half a session. Event dates are drawn uniformly within the term (seeded).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sroi._checks import check_int, check_random_state
from sroi.data.prepare import term_calendar

__all__ = ["POSSIBLE_SESSIONS", "dated_records"]

#: Possible sessions (half-days) per term, by term name.
POSSIBLE_SESSIONS = {"autumn": 140, "spring": 118, "summer": 126}

_EVENTS = {
    "suspensions": "suspensions",
    "camhs_referrals": "camhs_referral",
    "csc_referrals": "csc_referral",
    "permanent_exclusions": "permanent_exclusion",
}


def _event_dates(
    panel: pd.DataFrame, column: str, calendar: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    counts = panel[column].to_numpy(dtype=np.int64)
    rows = np.repeat(np.arange(len(panel)), counts)
    terms = panel["term"].to_numpy()[rows]
    cal = calendar.set_index("term")
    start = cal.loc[terms, "start"].to_numpy(dtype="datetime64[D]")
    days = (cal.loc[terms, "end"].to_numpy(dtype="datetime64[D]") - start).astype(np.int64) + 1
    offset = np.floor(rng.random(rows.size) * days).astype(np.int64)
    dates = start + offset.astype("timedelta64[D]")
    out = pd.DataFrame({"pupil_id": panel["pupil_id"].to_numpy()[rows], "date": dates})
    return out.sort_values(["date", "pupil_id"], kind="stable").reset_index(drop=True)


def dated_records(
    pupils: pd.DataFrame,
    panel: pd.DataFrame,
    *,
    first_school_year: int = 2022,
    random_state: int | np.random.Generator | None = 0,
) -> dict[str, pd.DataFrame]:
    """Dated extracts (enrolments, termly sessions, dated events) from a pupil x term panel.

    Parameters
    ----------
    pupils, panel
        The synthetic sample (``sroi.data.synthetic.load_sample()``), or data shaped alike.
    first_school_year
        Calendar year in which term 1's school year starts (the sample: 2022, i.e. 2022/23).
    random_state
        Seed for the days within a term (same seed, same dates).

    Returns
    -------
    dict of pandas.DataFrame
        ``pupils`` (characteristics without ``cohort`` and ``enrolled``), ``enrolments``
        (``pupil_id, enrolled_on``), ``attendance`` (``pupil_id, term_start,
        possible_sessions, attended_sessions``) and one table of ``pupil_id, date`` per event
        type: ``suspensions``, ``camhs_referrals``, ``csc_referrals``,
        ``permanent_exclusions``.
    """
    rng = check_random_state(random_state)
    n_terms = int(panel["term"].max())
    calendar = term_calendar(
        check_int(first_school_year, "first_school_year"), n_years=-(-n_terms // 3)
    )
    cal = calendar.set_index("term")

    enrolled = pupils.loc[pupils["cohort"] > 0, ["pupil_id", "cohort"]]
    start = cal.loc[enrolled["cohort"], "start"].to_numpy(dtype="datetime64[D]")
    # enrolment in the first four weeks of the cohort's term
    enrolled_on = start + np.floor(rng.random(len(enrolled)) * 28).astype("timedelta64[D]")
    enrolments = pd.DataFrame(
        {"pupil_id": enrolled["pupil_id"].to_numpy(), "enrolled_on": enrolled_on}
    )

    names = cal.loc[panel["term"], "name"].to_numpy()
    possible = np.array([POSSIBLE_SESSIONS[n] for n in names], dtype=np.int64)
    attended = np.rint(panel["attendance_rate"].to_numpy() * possible).astype(np.int64)
    attendance = pd.DataFrame(
        {
            "pupil_id": panel["pupil_id"].to_numpy(),
            "term_start": cal.loc[panel["term"], "start"].to_numpy(),
            "possible_sessions": possible,
            "attended_sessions": attended,
        }
    )
    out = {
        "pupils": pupils.drop(columns=["cohort", "enrolled"]),
        "enrolments": enrolments,
        "attendance": attendance,
    }
    for name, column in _EVENTS.items():
        out[name] = _event_dates(panel, column, calendar, rng)
    return out
