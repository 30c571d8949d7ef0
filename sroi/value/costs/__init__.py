"""Unit-cost tables: read CSV, Excel (.xlsx) or YAML, validate, convert to one price base.

* :func:`load_unit_costs` reads and validates a table (:mod:`.readers`, :mod:`.validate`);
* :class:`UnitCostTable` holds it (:mod:`.table`); its columns and allowed values are in
  :mod:`.schema`;
* :func:`load_confidence_grades` reads the confidence-grade scale (:mod:`.grades`).

Greater Manchester CBA model (HM Treasury / New Economy, 2014): each unit cost names the agency
that bears it, its value type (fiscal cashable or non-cashable, economic, social, transfer), its
price year, its source and a confidence grade.
"""

from __future__ import annotations

from sroi.value.costs.grades import load_confidence_grades
from sroi.value.costs.readers import load_unit_costs
from sroi.value.costs.schema import (
    AGENCIES,
    BASES,
    CATEGORIES,
    COLUMNS,
    MEASURES,
    REQUIRED,
    VALUE_TYPES,
)
from sroi.value.costs.table import UnitCostTable

__all__ = [
    "AGENCIES",
    "BASES",
    "CATEGORIES",
    "COLUMNS",
    "MEASURES",
    "REQUIRED",
    "VALUE_TYPES",
    "UnitCostTable",
    "load_confidence_grades",
    "load_unit_costs",
]
