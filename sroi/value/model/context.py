"""The fixed setting of one compilation: price base, discount factors, cohort and school years.

:func:`build_context` reads the tables (deflators, confidence grades, unit costs, discount
rates) and the cohort inputs once; every compile step then reads the :class:`CompileContext`
and never changes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError
from sroi.value.config import ValuationSection
from sroi.value.costs import UnitCostTable, load_confidence_grades, load_unit_costs
from sroi.value.costs.library_rows import library_notes
from sroi.value.library import load_library
from sroi.value.model.inputs import OutcomeInfo, ValuationInputs
from sroi.value.prices import (
    deflator_terms,
    discount_factors,
    load_deflators,
    load_discount_table,
)

__all__ = ["CohortProfile", "CompileContext", "PriceBase", "build_context"]


@dataclass(frozen=True)
class PriceBase:
    """Unit costs in base-year prices and the discount factors.

    Attributes
    ----------
    table
        The unit-cost table as read.
    base
        The table in ``price_year`` prices (``factor``, ``amount_base``...,
        ``grade_reduction``), indexed by cost id.
    deflators
        GDP deflators by financial year.
    discount
        ``{"standard": D, "health": D}`` discount factors for the appraisal years.
    notes
        What the reader skipped; a note when a constant discount rate replaces the schedule.
    grades, discount_table
        The confidence-grade scale and the discount-rate bands used.
    """

    table: UnitCostTable
    base: pd.DataFrame
    deflators: pd.Series
    discount: dict[str, np.ndarray]
    notes: tuple[str, ...]
    grades: pd.DataFrame
    discount_table: pd.DataFrame


@dataclass(frozen=True)
class CohortProfile:
    """Participants, their start years and the school years they have left.

    Attributes
    ----------
    size
        Participants.
    starts
        Participants starting in each appraisal year, shape ``(T,)``.
    school_years
        Cohort-average remaining school years (``None`` when not given).
    school_values, school_shares
        Remaining school years of each participant type and the types' shares (``[nan]``
        and ``[1.0]`` when not given).
    notes
        E.g. that everyone is assumed to start in year 0.
    """

    size: int
    starts: np.ndarray
    school_years: float | None
    school_values: np.ndarray
    school_shares: np.ndarray
    notes: tuple[str, ...]


@dataclass(frozen=True)
class CompileContext:
    """Everything fixed while the model is compiled (read-only)."""

    valuation: ValuationSection
    prices: PriceBase
    cohort: CohortProfile
    outcome_info: Mapping[str, OutcomeInfo]
    col_to_name: Mapping[str, str]

    @property
    def T(self) -> int:
        """Appraisal years."""
        return self.valuation.appraisal_years

    @property
    def base(self) -> pd.DataFrame:
        """Unit costs in base-year prices, indexed by cost id."""
        return self.prices.base

    def name_of(self, outcome: str) -> str:
        """Outcome name for an outcome name or column."""
        return self.col_to_name.get(outcome, outcome)

    def cost_rows_for(self, name: str, explicit: list[str] | None, where: str) -> list[str]:
        """Cost ids valuing an outcome: the ones listed, else rows whose outcome matches.

        Raises
        ------
        SroiInputError
            For a listed id that is not in the cost table.
        """
        base = self.base
        if explicit is not None:
            for cid in explicit:
                if cid not in base.index:
                    table = self.prices.table
                    raise SroiInputError(
                        f"{where}: cost id {cid!r} is neither in the cost table {table.path} "
                        f"(ids: {', '.join(table.ids)}) nor a library line "
                        "(sroi.value.library.load_library())"
                    )
            return list(explicit)
        keys = {name}
        if name in self.outcome_info:
            keys.add(self.outcome_info[name][2])
        return list(base.loc[base["outcome"].isin(keys), "id"])


def _price_base(inputs: ValuationInputs) -> PriceBase:
    V = inputs.valuation
    defl = load_deflators(inputs.resolve(V.deflators) if V.deflators else None)
    grades = load_confidence_grades(
        inputs.resolve(V.confidence_grades) if V.confidence_grades else None
    )
    table = inputs.cost_table
    if table is None:
        table = load_unit_costs(
            inputs.resolve(V.cost_file), sheet=V.cost_sheet, deflators=defl, grades=grades
        )
    table = table.with_library_lines(_library_ids(V, table), deflators=defl, grades=grades)
    notes = list(table.notes) + library_notes(table.data)
    try:
        deflator_terms(V.price_year, defl)
    except SroiInputError as exc:
        raise SroiInputError(f"valuation.price_year: {exc}") from None
    base = table.in_prices_of(V.price_year, defl)
    base["grade_reduction"] = base["confidence"].map(grades["benefit_reduction"]).astype(float)
    base = base.set_index("id", drop=False)
    dtab = load_discount_table(inputs.resolve(V.discount.table) if V.discount.table else None)
    disc = {
        s: discount_factors(
            V.appraisal_years,
            s,
            table=dtab,
            constant_rate=V.discount.constant_rate,
        )
        for s in ("standard", "health")
    }
    if V.discount.constant_rate is not None:
        notes.append(
            f"constant discount rate {V.discount.constant_rate:.2%} used instead of the Green "
            "Book schedule (sensitivity analysis)"
        )
    return PriceBase(
        table=table,
        base=base,
        deflators=defl,
        discount=disc,
        notes=tuple(notes),
        grades=grades,
        discount_table=dtab,
    )


def _library_ids(V: ValuationSection, table: UnitCostTable) -> list[str]:
    """Cost ids the spec lists that are not in the cost table but are library lines."""
    listed = [c for o in V.outcomes for c in o.costs or []]
    listed += [c for step in V.conversions for c in step.costs]
    listed += [c for a in V.assumed_effects for c in a.costs or []]
    library = set(load_library().index)
    return [c for c in dict.fromkeys(listed) if c not in table and c in library]


def _starts(V: ValuationSection, cohort_size: int | None) -> tuple[int, np.ndarray, list[str]]:
    T = V.appraisal_years
    cohort = V.cohort_size or cohort_size
    starts = np.zeros(T)
    if V.starts_by_year is not None:
        starts[: len(V.starts_by_year)] = V.starts_by_year
        if cohort is not None and int(round(starts.sum())) != cohort:
            raise SroiInputError(
                f"valuation.starts_by_year sums to {int(starts.sum())} but the cohort size is "
                f"{cohort}; make them agree"
            )
        return int(round(starts.sum())), starts, []
    if cohort is None:
        raise SroiInputError(
            "cohort size unknown: set programme.cohort_size or valuation.cohort_size "
            "(or valuation.starts_by_year)"
        )
    starts[0] = cohort
    return int(cohort), starts, [f"all {cohort} participants assumed to start in appraisal year 0"]


def _school_years(V: ValuationSection) -> tuple[float | None, np.ndarray, np.ndarray]:
    raw = V.remaining_school_years
    if raw is None:
        return None, np.array([np.nan]), np.array([1.0])
    if isinstance(raw, dict):  # {years left: number of participants}
        values = np.array(list(raw), dtype=float)
        counts = np.array(list(raw.values()), dtype=float)
    else:
        values, counts = np.unique(np.atleast_1d(np.asarray(raw, dtype=float)), return_counts=True)
    shares = counts / counts.sum()
    return float(shares @ values), values, shares  # cohort average, for notes and the register


def build_context(inputs: ValuationInputs) -> CompileContext:
    """Read the tables and cohort inputs of one compilation.

    Parameters
    ----------
    inputs
        The valuation inputs.

    Returns
    -------
    CompileContext

    Raises
    ------
    SroiInputError
        For a price year outside the deflator table, an unknown cohort size, or starts that
        do not add up to the cohort size.
    """
    V = inputs.valuation
    prices = _price_base(inputs)
    size, starts, cohort_notes = _starts(V, inputs.cohort_size)
    average, values, shares = _school_years(V)
    cohort = CohortProfile(
        size=size,
        starts=starts,
        school_years=average,
        school_values=values,
        school_shares=shares,
        notes=tuple(cohort_notes),
    )
    info = dict(inputs.outcome_info)
    return CompileContext(
        valuation=V,
        prices=prices,
        cohort=cohort,
        outcome_info=info,
        col_to_name={v[2]: k for k, v in info.items()},
    )
