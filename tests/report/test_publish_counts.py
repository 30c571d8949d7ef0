"""Small counts of people suppressed, and no suppressed cell recoverable by arithmetic.

Each test publishes a table the way ``results.json`` and the report do, then tries to work a
suppressed cell out from the total and the cells that are shown.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from sroi.report.disclosure import (
    SECONDARY_MARKER,
    is_people_count,
    secondary_suppress,
    suppress_counts,
    suppress_people_counts,
    suppress_rows_with_units,
)

K = 10


def _hidden(cell: object) -> bool:
    return isinstance(cell, str)


def _recoverable(true_cells: list[int], shown: list[object], total: int) -> bool:
    """Can a hidden cell be pinned down, or the hidden cells' sum be shown to be small?"""
    hidden = [c for c, s in zip(true_cells, shown, strict=True) if _hidden(s)]
    if not hidden:
        return False
    rest = total - sum(s for s in shown if isinstance(s, int))  # sum of the hidden cells
    # one hidden cell: recovered exactly; several whose sum is under k: each is known small
    return len(hidden) == 1 or 0 < rest < K


@pytest.mark.parametrize(
    "cohorts",
    [
        [97, 78, 70, 3],  # the case: 248 - 97 - 78 - 70 = 3
        [3, 120],
        [3, 4, 50, 60],  # two small cohorts whose sum (7) is itself small
        [3, 0, 50],  # a zero cell does not protect anything
        [12, 16, 15, 1],
        [5, 5, 5],
        [2],
    ],
)
def test_cohort_cell_cannot_be_worked_out_from_the_total(cohorts):
    shown = secondary_suppress(cohorts, K)
    total = sum(cohorts)
    assert not _recoverable(cohorts, shown, total) or all(_hidden(s) for s in shown if s != 0)
    for true, s in zip(cohorts, shown, strict=True):
        if 0 < true < K:
            assert s == f"<{K}"  # every small cell hidden with the threshold marker
        elif _hidden(s):
            assert s == SECONDARY_MARKER  # a large cell hidden only to protect another


def test_no_suppression_when_nothing_is_small():
    assert secondary_suppress([12, 0, 40], K) == [12, 0, 40]


def test_brute_force_small_tables():
    """Every table of up to 4 cohorts with sizes from a small set: nothing recoverable."""
    sizes = [0, 1, 3, 9, 10, 11, 25]
    for n in range(1, 5):
        for cells in itertools.product(sizes, repeat=n):
            shown = secondary_suppress(list(cells), K)
            hidden = [c for c, s in zip(cells, shown, strict=True) if _hidden(s)]
            if any(0 < c < K for c in cells):
                # at least two hidden cells holding k or more people, unless all are hidden
                visible_nonzero = [s for s in shown if isinstance(s, int) and s > 0]
                assert (len(hidden) >= 2 and sum(hidden) >= K) or not visible_nonzero, cells


def test_exclusion_rows_are_hidden_with_the_units():
    """An exclusion of 3 pupils in a 9-term panel: 27 rows would give 27 / 9 = 3 pupils."""
    assert suppress_rows_with_units(27, 3, K) == (SECONDARY_MARKER, f"<{K}")
    assert suppress_rows_with_units(6, 2, K) == (f"<{K}", f"<{K}")  # an exclusion of 2 pupils
    assert suppress_rows_with_units(936, 104, K) == (936, 104)
    assert suppress_rows_with_units(0, 0, K) == (0, 0)
    table = pd.DataFrame({"reason": ["a", "b"], "n_rows": [27, 936], "n_units": [3, 104]})
    out = suppress_counts(table, K)
    assert out["n_rows"].tolist() == [SECONDARY_MARKER, 936]
    assert out["n_units"].tolist() == [f"<{K}", 104]


def test_schools_are_not_people():
    """'250 pupils in <10 schools' hid a number named in the programme description."""
    for name in ("n_clusters", "n_treated_clusters", "n_schools", "n_periods", "n_boot"):
        assert not is_people_count(name), name
    for name in ("n_treated", "n_unmatched_treated", "n_pool_off_support", "n_units", "n_rows"):
        assert is_people_count(name), name


def test_small_counts_in_nested_extras_are_suppressed():
    """n_unmatched_treated 1, 8, 3 and n_pool_off_support 6, 4 were written as numbers."""
    extra = {
        "n_unmatched_treated": 3,
        "n_pool_off_support": 6,
        "n_clusters": 7,
        "n_periods": 9,
        "per_cohort": [{"cohort": 4, "n_unmatched_treated": 1}, {"cohort": 5, "n_treated": 40}],
    }
    out = suppress_people_counts(extra, K)
    assert out["n_unmatched_treated"] == f"<{K}"
    assert out["n_pool_off_support"] == f"<{K}"
    assert out["n_clusters"] == 7 and out["n_periods"] == 9
    assert out["per_cohort"][0]["n_unmatched_treated"] == f"<{K}"
    assert out["per_cohort"][0]["cohort"] == 4
    assert out["per_cohort"][1]["n_treated"] == 40


@pytest.mark.slow
def test_results_json_hides_small_counts_and_derivable_cells(small_result):
    """A cohort of 3, an exclusion of 2 pupils, 3 pupils with missing covariates, 1 unmatched."""
    import copy
    import dataclasses

    from sroi.report.provenance import provenance
    from sroi.report.results import build_results, validate_results

    r = copy.copy(small_result)
    r.cohorts = pd.DataFrame(
        {
            "cohort": [4, 5, 7, 8],
            "n_pupils": [97, 78, 70, 3],
            "n_schools": [2, 2, 2, 1],  # a school of 4 pupils: the school count stays
            "terms_observed_after_start": [6, 5, 3, 2],
        }
    )
    r.programme = dict(r.programme, n_treated=248, n_treated_clusters=7)
    r.exclusions = pd.DataFrame(
        {
            "reason": ["missing covariate", "duplicate rows", "outside pool"],
            "column": ["fsm", None, "programme_school"],
            "n_rows": [27, 18, 936],
            "n_units": [3, 2, 104],
        }
    )
    name = next(iter(r.outcomes))
    o = r.outcomes[name]
    extra = {"n_unmatched_treated": 1, "n_pool_off_support": 6, "n_clusters": 7}
    r.outcomes = dict(
        r.outcomes, **{name: dataclasses.replace(o, headline=o.headline.with_(extra=extra))}
    )
    prov = provenance(spec_hash=r.spec.hash(), data_hash=r.data_hash, seed=1)
    doc = build_results(r, prov)
    validate_results(doc)
    cohorts = [c["n_pupils"] for c in doc["programme"]["cohorts"]]
    assert cohorts == [97, 78, "c", "<10"]  # 248 - 97 - 78 - 70 = 3 no longer works
    shown = sum(c for c in cohorts if isinstance(c, int))
    assert doc["programme"]["n_treated"] - shown >= K  # the hidden cells hold k or more
    assert [c["n_schools"] for c in doc["programme"]["cohorts"]] == [2, 2, 2, 1]
    assert doc["programme"]["n_treated_clusters"] == 7  # "248 pupils in 7 schools"
    ex = [(e["n_rows"], e["n_units"]) for e in doc["exclusions"]]
    assert ex == [("c", "<10"), ("c", "<10"), (936, 104)]  # 27 rows / 9 terms = 3 pupils
    head = next(e for e in doc["effects"] if e["outcome"] == name)["effect"]
    assert head["extra"]["n_unmatched_treated"] == "<10"
    assert head["extra"]["n_pool_off_support"] == "<10"
    assert head["extra"]["n_clusters"] == 7
