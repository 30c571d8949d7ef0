"""Helpers that derive cohort inputs of the ``valuation`` section from pupil data.

* :func:`starts_by_year`: participants starting in each appraisal year, from first-enrolled
  terms (term ``g`` falls in appraisal year ``(g - 1) // terms_per_year``).
* :func:`remaining_school_years`: cohort-average school years left at enrolment, used to cap
  benefit periods of school outcomes: ``mean(max(final_year_group - y + 1, 0))`` with ``y``
  the year group at enrolment (the current year counts as one remaining year).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sroi._checks import check_int
from sroi.errors import SroiInputError

__all__ = ["starts_by_year", "remaining_school_years", "remaining_school_years_table"]


def starts_by_year(cohort_terms: Sequence[int] | np.ndarray, terms_per_year: int = 3) -> list[int]:
    """Count participants by the appraisal year of their first enrolled term.

    Term ``g`` (1-based) falls in appraisal year ``(g - 1) // terms_per_year``; the counts
    are ``valuation.starts_by_year``.

    Parameters
    ----------
    cohort_terms
        First enrolled term of each participant (1 = first term of appraisal year 0). Terms
        ``<= 0`` (never enrolled) are an error: pass enrolled pupils only.
    terms_per_year
        School terms per year (3 in England).

    Returns
    -------
    list of int
        Participants starting in appraisal years 0, 1, ...

    Raises
    ------
    SroiInputError
        For an empty array, non-integer or non-positive terms, or ``terms_per_year < 1``.
    """
    g = np.asarray(cohort_terms)
    if g.size == 0:
        raise SroiInputError("cohort_terms is empty: pass the first enrolled term of each pupil")
    if not np.issubdtype(g.dtype, np.integer) or (g < 1).any():
        raise SroiInputError(
            "cohort_terms must be positive integer terms (1 = first term); drop pupils never "
            "enrolled (cohort 0) first"
        )
    per_year = check_int(terms_per_year, "terms_per_year", minimum=1)
    return np.bincount((g - 1) // per_year).astype(int).tolist()


def remaining_school_years(
    year_group_at_enrolment: Sequence[float] | np.ndarray, final_year_group: int = 11
) -> float:
    """Cohort-average school years left at enrolment.

    ``mean(max(final_year_group - y + 1, 0))`` with ``y`` the year group at enrolment (the
    current year counts as one remaining year). Used to cap benefit periods of school
    outcomes (``valuation.remaining_school_years``).

    Parameters
    ----------
    year_group_at_enrolment
        Year group of each participant when they started (-1 nursery ... 14).
    final_year_group
        Last school year counted (England: compulsory school ends in Year 11; set 13 to
        count sixth form).

    Returns
    -------
    float

    Raises
    ------
    SroiInputError
        For an empty array, a non-finite value or a year group outside [-1, 14].
    """
    y = np.asarray(year_group_at_enrolment, dtype=float)
    if y.size == 0 or not np.isfinite(y).all():
        raise SroiInputError("year_group_at_enrolment must be a non-empty array of numbers")
    if (y < -1).any() or (y > 14).any():
        raise SroiInputError("year groups must be between -1 (nursery) and 14")
    return float(np.maximum(final_year_group - y + 1, 0).mean())


def remaining_school_years_table(
    year_group_at_enrolment: Sequence[float] | np.ndarray, final_year_group: int = 11
) -> dict[float, int]:
    """``{years left: number of participants}`` for ``valuation.remaining_school_years``.

    The exact per-participant benefit cap (see :func:`remaining_school_years`, which also
    validates the input).

    Returns
    -------
    dict of float to int
    """
    remaining_school_years(year_group_at_enrolment, final_year_group)  # validates
    y = np.asarray(year_group_at_enrolment, dtype=float)
    vals, counts = np.unique(np.maximum(final_year_group - y + 1, 0), return_counts=True)
    return {float(v): int(c) for v, c in zip(vals, counts, strict=True)}
