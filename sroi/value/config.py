"""The ``valuation`` section of the evaluation spec (placeholder until the value engine lands).

Owned by the value engine; :mod:`sroi.spec` imports :class:`ValuationSection` from here.
This module must not import :mod:`sroi.spec` (it would be circular).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ValuationSection", "OutcomeCost", "Adjustments", "DeliveryCost"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DeliveryCost(_Strict):
    """One line of programme (investment) cost in one appraisal year."""

    year: int = Field(ge=0, description="appraisal year, 0 = first year of delivery")
    amount: float = Field(ge=0, description="cost in pounds at price_year prices")
    description: str
    agency: str = Field(default="local_authority", description="who pays")
    price_year: str | None = Field(default=None, description="financial year, e.g. 2024-25")
    in_kind: bool = Field(default=False, description="staff time or other non-cash input")
    source: str = "illustrative"
    confidence: str | None = None


class Adjustments(_Strict):
    deadweight: float = Field(default=0.0, ge=0, le=1)
    displacement: float = Field(default=0.0, ge=0, le=1)
    attribution: float = Field(default=0.0, ge=0, le=1)
    drop_off: float | None = Field(default=None, ge=0, le=1)
    lag_years: int = Field(default=0, ge=0)


class OutcomeCost(_Strict):
    outcome: str
    cost_id: str


class ValuationSection(_Strict):
    cost_file: str
    price_year: str
    appraisal_years: int = Field(default=5, ge=1)
    outcome_costs: list[OutcomeCost] = Field(default_factory=list)
    adjustments: Adjustments = Field(default_factory=Adjustments)
