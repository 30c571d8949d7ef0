"""The unit-cost table's columns and allowed values.

One row per unit cost. Columns (header names are matched loosely: case, spaces, ``(£)``):

==================  ========================================================================
``id``              unique identifier (required)
``description``     what the cost is (required)
``outcome``         outcome it values (blank: only usable through a conversion chain)
``agency``          who bears the cost, e.g. ``children_social_care``, ``school``, ``nhs_mental_health``
``value_type``      ``fiscal_cashable``, ``fiscal_non_cashable``, ``economic``, ``social``, ``transfer``
``category``        what the cost counts, for the double-counting rules (optional, see below)
``basis``           ``one_off`` (per event) or ``per_annum`` (per event, each year for ``duration_years``)
``duration_years``  years a ``per_annum`` cost recurs (number, or ``remaining`` = years left in school)
``amount``          cost in pounds, >= 0 (``£1,234.50`` and ``1 234`` are accepted)
``unit``            unit of the amount, e.g. ``per referral``
``price_year``      financial year of the prices, e.g. ``2023-24`` (must be in the deflator table)
``source``          publisher, title, year; or ``illustrative`` (required)
``confidence``      grade in the confidence-grade scale (required)
``low``, ``high``   optional uncertainty range for the amount (same prices)
``measure``         ``money`` (default), ``QALY`` or ``WELLBY`` (health discount rate applies)
``notes``           free text
``library``         id of a library line (e.g. ``E&S2.0.1``): blank cells are filled from it
``transfer``        ``yes`` for a transfer overall (e.g. a benefit payment): counted in the
                    fiscal case of the agency, not in public value (default ``no``)
==================  ========================================================================

A row may be just ``id`` and ``library``: every other cell then comes from the library line
(:func:`sroi.value.library.load_library`); cells you fill in replace the library's (a changed
``amount`` or ``price_year`` needs your own ``source``).

Categories used by the double-counting rules: ``absence_days``, ``attendance_casework``,
``persistent_absence``, ``exclusion_process``, ``alternative_provision``,
``lifetime_exclusion``, ``youth_justice``, ``benefits``, and the referral chain ``contact``,
``referral``, ``assessment``, ``child_in_need``, ``child_protection``, ``looked_after``;
anything else is ``other``.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "AGENCIES",
    "BASES",
    "CATEGORIES",
    "COLUMNS",
    "MEASURES",
    "REQUIRED",
    "VALUE_TYPES",
    "VALUE_TYPE_ALIASES",
    "HEADER_ALIASES",
    "normalise_header",
]

#: Agencies that bear a cost (or gain a saving).
AGENCIES = (
    "children_social_care",
    "school",
    "local_authority",
    "education_la",
    "nhs",
    "nhs_mental_health",
    "police",
    "youth_justice",
    "courts",
    "dwp",
    "hmrc",
    "housing",
    "individual",
    "society",
    "criminal_justice",
    "prisons",
    "probation",
    "fire_service",
    "hm_treasury",
    "dfe",
    "multiple_agencies",
)
#: Value types (Greater Manchester CBA model, 2014); transfers are not public value.
VALUE_TYPES = ("fiscal_cashable", "fiscal_non_cashable", "economic", "social", "transfer")
#: What a cost counts, for the double-counting rules.
CATEGORIES = (
    "absence_days",
    "attendance_casework",
    "persistent_absence",
    "exclusion_process",
    "alternative_provision",
    "lifetime_exclusion",
    "youth_justice",
    "benefits",
    "contact",
    "referral",
    "assessment",
    "child_in_need",
    "child_protection",
    "looked_after",
    "wellbeing",
    "other",
)
#: Units of a cost (health discounting for QALYs and WELLBYs).
MEASURES = ("money", "QALY", "WELLBY")
#: Cost bases.
BASES = ("one_off", "per_annum")
#: Columns of a validated table, in order.
COLUMNS = [
    "id",
    "description",
    "outcome",
    "agency",
    "value_type",
    "category",
    "basis",
    "duration_years",
    "amount",
    "unit",
    "price_year",
    "source",
    "confidence",
    "low",
    "high",
    "measure",
    "notes",
    "library",
    "transfer",
]
#: Columns every table must have (a ``library`` row gets them from its library line).
REQUIRED = [
    "id",
    "description",
    "agency",
    "value_type",
    "basis",
    "amount",
    "price_year",
    "source",
    "confidence",
]

#: Other names of columns (after normalising case, spaces and symbols).
HEADER_ALIASES = {
    "cost_id": "id",
    "unit_cost_id": "id",
    "ref": "id",
    "unit_cost": "amount",
    "cost": "amount",
    "value": "amount",
    "amount_gbp": "amount",
    "type": "value_type",
    "type_of_value": "value_type",
    "agency_bearing_cost": "agency",
    "agency_that_bears_it": "agency",
    "payer": "agency",
    "confidence_grade": "confidence",
    "grade": "confidence",
    "cost_basis": "basis",
    "duration": "duration_years",
    "year_of_prices": "price_year",
    "prices": "price_year",
    "financial_year": "price_year",
    "low_amount": "low",
    "high_amount": "high",
    "library_id": "library",
    "library_line": "library",
    "library_code": "library",
    "ucd_code": "library",
    "cost_code": "library",
    "transfer_overall": "transfer",
}
#: Other spellings of value types.
VALUE_TYPE_ALIASES = {
    "fiscal_non_cashable": "fiscal_non_cashable",
    "fiscal_noncashable": "fiscal_non_cashable",
    "fiscal_cashable": "fiscal_cashable",
    "social_wellbeing": "social",
    "wellbeing": "social",
    "social": "social",
    "economic": "economic",
    "transfer": "transfer",
}


def normalise_header(h: Any) -> str:
    """Column name in canonical form: lower case, ``(£)`` and symbols dropped, aliases mapped."""
    s = str(h).strip().lower()
    s = re.sub(r"\(.*?\)", "", s)
    s = s.replace("£", "").replace("&", "and")
    s = re.sub(r"[^a-z0-9]+", "_", s).strip("_")
    return HEADER_ALIASES.get(s, s)
