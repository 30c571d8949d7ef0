"""Preparing dated records: terms, cohorts, attendance, counts per term (sroi.data.prepare)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sroi import SroiInputError
from sroi.data.prepare import (
    attendance_from_sessions,
    cohort_from_enrolment,
    counts_per_term,
    persistent_absence,
    term_calendar,
    terms_from_dates,
)


@pytest.fixture
def cal() -> pd.DataFrame:
    return term_calendar(2022, 3)


def test_calendar_numbers_terms_of_the_english_school_year(cal):
    assert len(cal) == 9
    assert list(cal["name"][:3]) == ["autumn", "spring", "summer"]
    assert cal.loc[0, "school_year"] == "2022/23"
    assert cal.loc[0, "start"] == pd.Timestamp("2022-09-01")
    assert cal.loc[0, "end"] == pd.Timestamp("2022-12-31")
    assert cal.loc[1, "start"] == pd.Timestamp("2023-01-01")
    assert cal.loc[2, "end"] == pd.Timestamp("2023-08-31")
    assert cal.loc[8, "end"] == pd.Timestamp("2025-08-31")
    # contiguous: each term starts the day after the previous ends
    gaps = cal["start"].iloc[1:].to_numpy() - cal["end"].iloc[:-1].to_numpy()
    assert (gaps == np.timedelta64(1, "D")).all()


def test_terms_from_dates_edges_and_outside(cal):
    d = pd.Series(["2022-09-01", "2022-12-31", "2023-01-01", "2025-08-31", "2022-08-31", None])
    t = terms_from_dates(d, cal)
    assert t.tolist()[:4] == [1, 1, 2, 9]
    assert t.isna().tolist()[4:] == [True, True]


def test_terms_from_dates_with_a_calendar_that_has_holidays():
    own = pd.DataFrame(
        {
            "term": [1, 2],
            "start": ["2023-09-04", "2024-01-08"],
            "end": ["2023-12-20", "2024-03-28"],
        }
    )
    t = terms_from_dates(pd.Series(["2023-12-25", "2024-01-08", "2023-09-04"]), own)
    assert t.isna().tolist() == [True, False, False]
    assert t.tolist()[1:] == [2, 1]


def test_calendar_errors():
    bad = pd.DataFrame(
        {"term": [1, 2], "start": ["2023-09-01", "2023-10-01"], "end": ["2023-12-31", "2024-03-31"]}
    )
    with pytest.raises(SroiInputError, match=r"term\(s\) \[2\] start before the previous ends"):
        terms_from_dates(pd.Series(["2023-10-01"]), bad)
    with pytest.raises(SroiInputError, match="numbered 1, 2, 3"):
        terms_from_dates(pd.Series(["2023-10-01"]), bad.assign(term=[1, 3]))
    with pytest.raises(SroiInputError, match="column 'start' has values that are not dates"):
        terms_from_dates(pd.Series(["2023-10-01"]), bad.assign(start=["x", "2024-01-01"]))
    with pytest.raises(SroiInputError, match="first_school_year"):
        term_calendar(22)


def test_cohort_from_enrolment_takes_first_enrolment_and_counts_exclusions(cal):
    enrol = pd.DataFrame(
        {
            "pupil": ["A", "A", "B", "C", "D"],
            "enrolled_on": ["2023-10-02", "2023-01-15", "2024-04-20", "2019-01-01", None],
        }
    )
    out = cohort_from_enrolment(
        enrol, unit="pupil", date="enrolled_on", calendar=cal, units=["A", "B", "C", "D", "E"]
    )
    got = dict(zip(out.frame["pupil"], out.frame["cohort"], strict=True))
    assert got == {"A": 2, "B": 6, "C": 0, "D": 0, "E": 0}
    counts = out.exclusions.counts()
    assert counts == {
        "no enrolment date": 1,
        "enrolment date outside the term calendar": 1,
    }


def test_cohort_errors_name_column_and_rows(cal):
    enrol = pd.DataFrame({"pupil": ["A", "B"], "enrolled_on": ["2023-10-02", "31/02/2023x"]})
    with pytest.raises(
        SroiInputError, match=r"column 'enrolled_on' has values that are not dates \(row 1"
    ):
        cohort_from_enrolment(enrol, unit="pupil", date="enrolled_on", calendar=cal)
    with pytest.raises(SroiInputError, match="no column 'date'"):
        cohort_from_enrolment(enrol, unit="pupil", date="date", calendar=cal)
    ok = enrol.iloc[:1]
    with pytest.raises(SroiInputError, match="not in the list of units"):
        cohort_from_enrolment(ok, unit="pupil", date="enrolled_on", calendar=cal, units=["Z"])


def test_persistent_absence_is_ten_percent_or_more():
    rate = pd.Series([1.0, 0.91, 0.9, 0.899, 0.0])
    assert persistent_absence(rate).tolist() == [0, 0, 1, 1, 1]
    assert persistent_absence(rate, threshold=0.2).tolist() == [0, 0, 0, 0, 1]
    with pytest.raises(SroiInputError, match=r"attendance_rate must be in \[0, 1\]; got 1.2"):
        persistent_absence(pd.Series([1.2]))


def test_attendance_from_sessions():
    f = pd.DataFrame(
        {
            "pupil": ["A", "A", "B", "B"],
            "term": [1, 2, 1, 2],
            "possible": [120, 110, 0, 118],
            "attended": [108, 110, 0, 100],
        }
    )
    out = attendance_from_sessions(f, possible="possible", attended="attended")
    assert out.frame["attendance_rate"].tolist() == pytest.approx([0.9, 1.0, 100 / 118])
    assert out.frame["persistent_absence"].tolist() == [1, 0, 1]
    assert out.exclusions.counts() == {"no possible sessions or attended sessions missing": 1}
    with pytest.raises(SroiInputError, match="'attended' exceeds 'possible'.*row 0"):
        attendance_from_sessions(
            f.assign(attended=[130, 1, 0, 1]), possible="possible", attended="attended"
        )
    with pytest.raises(SroiInputError, match="whole numbers of sessions >= 0; got -1"):
        attendance_from_sessions(
            f.assign(possible=[-1, 1, 1, 1]), possible="possible", attended="attended"
        )


def test_counts_per_term_fills_zeros_and_counts_exclusions(cal):
    events = pd.DataFrame(
        {
            "pupil": ["A", "A", "A", "B", "X", "B"],
            "on": [
                "2022-09-05",
                "2022-11-30",
                "2023-02-01",
                "2025-08-01",
                "2023-01-01",
                "2030-01-01",
            ],
        }
    )
    out = counts_per_term(
        events, unit="pupil", date="on", calendar=cal, units=["A", "B", "C"], name="suspensions"
    )
    f = out.frame
    assert len(f) == 27  # 3 pupils x 9 terms
    assert f["suspensions"].sum() == 4
    a = f[f["pupil"] == "A"].set_index("term")["suspensions"]
    assert a[1] == 2 and a[2] == 1 and a[3:].sum() == 0
    assert f.loc[(f["pupil"] == "B") & (f["term"] == 9), "suspensions"].item() == 1
    assert out.exclusions.counts() == {
        "event for a pupil not in the unit list": 1,
        "event date outside the term calendar": 1,
    }


def test_ambiguous_day_month_dates_are_refused_not_guessed(cal):
    # 05/09/2023 is 5 September in England and 9 May in the US: refuse, ask for ISO dates
    with pytest.raises(SroiInputError, match="write dates as YYYY-MM-DD"):
        terms_from_dates(pd.Series(["05/09/2023"]), cal)
    # real datetimes pass through
    t = terms_from_dates(pd.Series(pd.to_datetime(["2023-09-05"])), cal)
    assert t.tolist() == [4]


def test_dated_records_prepare_back_into_the_sample_panel():
    # The worked example of README: synthetic dated extracts -> prepare -> the panel.
    from sroi.data import prepare, synthetic
    from sroi.data.synthetic_records import dated_records

    pupils, panel = synthetic.load_sample()
    rec = dated_records(pupils, panel, random_state=1)
    cal = prepare.term_calendar(2022, n_years=3)
    ids = rec["pupils"]["pupil_id"]

    cohorts = prepare.cohort_from_enrolment(
        rec["enrolments"], unit="pupil_id", date="enrolled_on", calendar=cal, units=ids
    )
    assert cohorts.exclusions.table().empty
    got = cohorts.frame.set_index("pupil_id")["cohort"]
    want = pupils.set_index("pupil_id")["cohort"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)

    att = rec["attendance"].assign(term=lambda d: prepare.terms_from_dates(d["term_start"], cal))
    prepared = prepare.attendance_from_sessions(
        att, possible="possible_sessions", attended="attended_sessions"
    )
    merged = prepared.frame.merge(panel, on=["pupil_id", "term"], suffixes=("", "_sample"))
    assert len(merged) == len(panel)
    gap = (merged["attendance_rate"] - merged["attendance_rate_sample"]).abs()
    assert gap.max() <= 0.5 / 118 + 1e-9  # half a session of the shortest term

    for name, column in [("suspensions", "suspensions"), ("camhs_referrals", "camhs_referral")]:
        counts = prepare.counts_per_term(
            rec[name], unit="pupil_id", date="date", calendar=cal, units=ids, name=column
        )
        assert counts.exclusions.table().empty
        both = counts.frame.merge(panel, on=["pupil_id", "term"], suffixes=("", "_sample"))
        assert (both[column] == both[f"{column}_sample"]).all()
