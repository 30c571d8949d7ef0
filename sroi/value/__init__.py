"""Cost-avoidance and SROI valuation of children's programmes.

Methods: HM Treasury Green Book (2022); Greater Manchester CBA model (HM Treasury / New
Economy, 2014); Social Value UK SROI guide (2012).

* :func:`run` values estimated (or assumed) effects with a spec's ``valuation`` section and
  returns a :class:`ValueResult`; :func:`run_assumed` does the same without an evaluation spec.
* :func:`simulate` runs the Monte Carlo and one-way sensitivity (:class:`SimulationResult`).
* :func:`load_unit_costs` reads a unit-cost table (CSV, .xlsx, YAML) into a
  :class:`UnitCostTable`; :func:`load_library` gives the shipped library of published unit
  costs (Unit Cost Database v1.2) and appraisal values (WELLBY, QALY), selectable by id.
* :func:`load_deflators` / :func:`load_hmt_deflators` read GDP deflators (the shipped HM
  Treasury calendar-year series, or a newer HM Treasury workbook).

Layout: :mod:`.api` (entry points), :mod:`.result` (read-only results), :mod:`.metrics` (NPV,
ratios, payback), :mod:`.model` (the model compiler and the compiled model),
:mod:`.uncertainty` (Monte Carlo, sensitivity, switching values), :mod:`.costs` (unit-cost
tables), :mod:`.library` (the unit-cost library and its build script), :mod:`.prices`
(deflators, discounting), :mod:`.price_years` (calendar and financial years),
:mod:`.hmt_deflators` (the HM Treasury workbook), :mod:`.config` (the spec's valuation
section), :mod:`.cohort` (cohort helpers), :mod:`.excel` (workbooks),
:mod:`.make_template` (the cost template script).

This package never imports :mod:`sroi.impact`: it consumes plain :class:`sroi.Effect` records.
"""

from __future__ import annotations

from sroi.value.api import run, run_assumed, simulate
from sroi.value.cohort import (
    remaining_school_years,
    remaining_school_years_table,
    starts_by_year,
)
from sroi.value.config import DeliveryCost, ValuationSection
from sroi.value.costs import UnitCostTable, load_confidence_grades, load_unit_costs
from sroi.value.hmt_deflators import load_hmt_deflators
from sroi.value.library import load_library
from sroi.value.metrics import payback_period
from sroi.value.prices import discount_factors, load_deflators, load_discount_table, price_factor
from sroi.value.result import SimulationResult, ValueResult
from sroi.value.uncertainty import switching_values

__all__ = [
    "run",
    "run_assumed",
    "simulate",
    "ValueResult",
    "SimulationResult",
    "UnitCostTable",
    "load_unit_costs",
    "load_confidence_grades",
    "load_deflators",
    "load_hmt_deflators",
    "load_library",
    "load_discount_table",
    "discount_factors",
    "price_factor",
    "payback_period",
    "switching_values",
    "ValuationSection",
    "DeliveryCost",
    "starts_by_year",
    "remaining_school_years",
    "remaining_school_years_table",
]
