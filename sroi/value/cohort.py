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

from sroi.errors import SroiInputError

__all__ = ["starts_by_year", "remaining_school_years", "remaining_school_years_table"]


def starts_by_year(cohort_terms: Sequence[int] | np.ndarray, terms_per_year: int = 3) -> list[int]:
    """Count participants by the appraisal year of their first enrolled term (1-based terms).

    Terms ``<= 0`` (never enrolled) are an error: pass enrolled pupils only.
    """
    g = np.asarray(cohort_terms)
    if g.size == 0:
        raise SroiInputError("cohort_terms is empty: pass the first enrolled term of each pupil")
    if not np.issubdtype(g.dtype, np.integer) or (g < 1).any():
        raise SroiInputError(
            "cohort_terms must be positive integer terms (1 = first term); drop pupils never "
            "enrolled (cohort 0) first"
        )
    if terms_per_year < 1:
        raise SroiInputError(f"terms_per_year must be >= 1 (got {terms_per_year})")
    return np.bincount((g - 1) // terms_per_year).astype(int).tolist()


def remaining_school_years(
    year_group_at_enrolment: Sequence[float] | np.ndarray, final_year_group: int = 11
) -> float:
    """Cohort-average school years left at enrolment (England: compulsory school ends in
    Year 11 by default; set ``final_year_group=13`` to count sixth form)."""
    y = np.asarray(year_group_at_enrolment, dtype=float)
    if y.size == 0 or not np.isfinite(y).all():
        raise SroiInputError("year_group_at_enrolment must be a non-empty array of numbers")
    if (y < -1).any() or (y > 14).any():
        raise SroiInputError("year groups must be between -1 (nursery) and 14")
    return float(np.maximum(final_year_group - y + 1, 0).mean())


def remaining_school_years_table(
    year_group_at_enrolment: Sequence[float] | np.ndarray, final_year_group: int = 11
) -> dict[float, int]:
    """``{years left: number of participants}`` for ``valuation.remaining_school_years``
    (the exact per-participant benefit cap; see :func:`remaining_school_years`)."""
    remaining_school_years(year_group_at_enrolment, final_year_group)  # validates
    y = np.asarray(year_group_at_enrolment, dtype=float)
    vals, counts = np.unique(np.maximum(final_year_group - y + 1, 0), return_counts=True)
    return {float(v): int(c) for v, c in zip(vals, counts, strict=True)}
