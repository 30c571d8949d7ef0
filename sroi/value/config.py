"""Pydantic models of the spec's ``valuation`` section and of programme delivery costs.

:mod:`sroi.spec` imports :class:`ValuationSection` and :class:`DeliveryCost` from here; this
module must not import :mod:`sroi.spec` (it would be circular). Unknown keys are errors.

A minimal valuation section (YAML)::

    valuation:
      cost_file: ../../data_samples/unit_costs.csv
      price_year: "2024"             # every amount is converted to 2024 (calendar-year) prices
      appraisal_years: 10
      starts_by_year: [0, 180, 70]   # participants starting in appraisal years 0, 1, 2
      remaining_school_years: 4.3    # cohort average at enrolment; caps school benefit periods
      adjustments: {attribution: 0.1, drop_off: 0.5}
      outcomes:
        - outcome: attendance
          costs: [ATT_DAY]
          quantity_per_unit: 190     # school days per year per 1.0 of attendance rate
          quantity_source: "DfE: 190 school days (380 sessions) a year"
        - outcome: csc_referral      # cost ids default to the cost rows whose outcome matches

Timing conventions: appraisal year 0 is the first year of delivery; a participant who starts in
year ``s`` gets the per-participant stream shifted by ``s`` years; streams are truncated at
``appraisal_years``. Years left in school: ``remaining_school_years`` is a cohort average
(:func:`sroi.value.remaining_school_years` computes it from year groups at enrolment, to the end
of Year 11); ``benefit_years`` per outcome may be shorter, and is longer only with a
``benefit_years_source``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sroi.value.price_years import parse_price_year

__all__ = [
    "ValuationSection",
    "DeliveryCost",
    "Adjustments",
    "OutcomeValuation",
    "ConversionStep",
    "AssumedEffect",
    "UncertainParameter",
    "DiscountSettings",
    "OptimismBias",
]


def _check_price_year(value: object) -> str | None:
    """A price year as its canonical label (``2024`` or ``2024-25``); ``None`` stays ``None``."""
    if value is None:
        return None
    return parse_price_year(value).label


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DeliveryCost(_Strict):
    """One line of programme (investment) cost in one appraisal year.

    ``spent: true`` marks a cost already incurred and measured (outturn): it gets no optimism
    bias uplift (HM Treasury Green Book, 2022: optimism bias applies to estimates, not outturn).
    ``low``/``high`` give an uncertainty range (same prices as ``amount``) for the Monte Carlo.
    """

    year: int = Field(ge=0, description="appraisal year, 0 = first year of delivery")
    amount: float = Field(ge=0, description="cost in pounds at price_year prices")
    description: str
    agency: str = Field(default="local_authority", description="who pays")
    price_year: str | None = Field(
        default=None, description="price year of amount: 2024 (calendar) or 2024-25 (financial)"
    )
    in_kind: bool = Field(default=False, description="staff time or other non-cash input")
    spent: bool = Field(default=False, description="already spent and measured: no optimism bias")
    optimism_bias: float | None = Field(
        default=None,
        ge=0,
        description="uplift for this line; default: by project_type, else "
        "valuation.optimism_bias.costs",
    )
    project_type: str | None = Field(
        default=None, description="key into valuation.optimism_bias.by_project_type"
    )
    low: float | None = Field(default=None, ge=0)
    high: float | None = Field(default=None, ge=0)
    source: str = "illustrative"
    confidence: str | None = None

    _py = field_validator("price_year", mode="before")(_check_price_year)

    @model_validator(mode="after")
    def _range(self) -> DeliveryCost:
        _check_range(self.low, self.amount, self.high, "amount")
        return self


def _check_range(low: float | None, mid: float, high: float | None, name: str) -> None:
    if low is not None and low > mid:
        raise ValueError(f"low ({low}) must not exceed {name} ({mid})")
    if high is not None and high < mid:
        raise ValueError(f"high ({high}) must not be below {name} ({mid})")


_Unit = Field(default=None, ge=0, le=1)


class Adjustments(_Strict):
    """SROI impact adjustments (Social Value UK guide), as proportions in [0, 1].

    ``drop_off`` is the proportional fall in the effect each year after the observed period;
    ``None`` means: take ``Effect.extra['drop_off']`` (e.g. from the event study) if present,
    else 1.0 (no persistence beyond what was observed; conservative).
    """

    deadweight: float = Field(default=0.0, ge=0, le=1)
    displacement: float = Field(default=0.0, ge=0, le=1)
    attribution: float = Field(default=0.0, ge=0, le=1)
    drop_off: float | None = Field(default=None, ge=0, le=1)
    lag_years: int = Field(default=0, ge=0)


class OutcomeValuation(_Strict):
    """How one estimated outcome is turned into money.

    Conversion of the effect to events (or units) per participant per year:
    ``binary``/``count`` outcomes measured per term are multiplied by ``terms_per_year``;
    ``rate``/``continuous`` outcomes are levels and are multiplied by ``quantity_per_unit``
    only (e.g. 190 school days a year per 1.0 of attendance rate).
    """

    outcome: str
    costs: list[str] | None = Field(
        default=None, description="unit-cost ids; default: cost rows whose outcome matches"
    )
    effect_period: Literal["term", "year", "total"] | None = Field(
        default=None,
        description="period of the effect; default Effect.period, else term for binary/count, "
        "year for rate/continuous",
    )
    quantity_per_unit: float = Field(default=1.0, gt=0)
    quantity_source: str | None = None
    direction: Literal["increase", "decrease"] | None = Field(
        default=None, description="override of design.outcomes[].direction"
    )
    observed_years: int = Field(
        default=1, ge=0, description="years after start in which the effect was observed"
    )
    benefit_years: float | None = Field(
        default=None, gt=0, description="years the benefit lasts per participant"
    )
    benefit_years_source: str | None = Field(
        default=None, description="a source for a period beyond school; lifts the school cap"
    )
    in_school: bool = Field(default=True, description="cap at remaining years in school")
    deadweight: float | None = _Unit
    displacement: float | None = _Unit
    attribution: float | None = _Unit
    drop_off: float | None = _Unit
    lag_years: int | None = Field(default=None, ge=0)


class ConversionStep(_Strict):
    """A sourced conversion chain: ``rate`` events of a later step per event of ``from_outcome``.

    Valued as ``effect(from_outcome) x rate x incremental unit cost``; always tagged
    ``modelled`` and kept out of the headline figures.
    """

    name: str
    from_outcome: str
    rate: float = Field(ge=0)
    rate_source: str = Field(min_length=1)
    costs: list[str] = Field(min_length=1)
    low: float | None = Field(default=None, ge=0)
    high: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _range(self) -> ConversionStep:
        _check_range(self.low, self.rate, self.high, "rate")
        return self


class AssumedEffect(_Strict):
    """An assumed effect, Greater Manchester CBA style (HM Treasury, 2014).

    Events avoided per year = cohort x engagement_rate x success_rate x (1 - deadweight), where
    ``success_rate`` is the improvement (events avoided for a ``decrease`` outcome) per engaged
    participant per year (``effect_period: year``) or in total (``total``: once, in the first
    benefit year); ``direction`` is descriptive. Never use this on top of an
    effect estimated on the same cohort.
    """

    outcome: str
    source: str = Field(min_length=1, description="where the numbers come from, or 'illustrative'")
    direction: Literal["increase", "decrease"] = "decrease"
    costs: list[str] | None = None
    cohort: int | None = Field(default=None, gt=0)
    engagement_rate: float = Field(default=1.0, ge=0, le=1)
    success_rate: float = Field(
        description="improvement per engaged participant in the desired direction (events "
        "avoided for a 'decrease' outcome, gained for 'increase'); negative for harm"
    )
    success_low: float | None = None
    success_high: float | None = None
    effect_period: Literal["year", "total"] = "year"
    deadweight: float = Field(default=0.0, ge=0, le=1)
    displacement: float | None = _Unit
    attribution: float | None = _Unit
    drop_off: float | None = _Unit
    benefit_years: float | None = Field(default=None, gt=0)
    benefit_years_source: str | None = None
    in_school: bool = True
    lag_years: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _range(self) -> AssumedEffect:
        _check_range(self.success_low, self.success_rate, self.success_high, "success_rate")
        return self


class UncertainParameter(_Strict):
    """A distribution for one model parameter in the Monte Carlo and the scenarios.

    ``parameter`` names: ``cost:<id>`` (unit cost amount, in the row's own prices),
    ``deadweight:<outcome>``, ``displacement:<outcome>``, ``attribution:<outcome>``,
    ``drop_off:<outcome>``, ``conversion:<name>``, ``engagement:<outcome>``,
    ``success:<outcome>``, ``delivery_costs`` (multiplier on all delivery costs, central 1).
    """

    parameter: str = Field(pattern=r"^[a-z_]+(:.+)?$")
    distribution: Literal["normal", "lognormal", "triangular", "pert", "uniform", "fixed"]
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = Field(default=None, gt=0)
    source: str = "illustrative"

    @model_validator(mode="after")
    def _needs(self) -> UncertainParameter:
        d = self.distribution
        if d in ("triangular", "pert") and None in (self.low, self.mode, self.high):
            raise ValueError(f"{d} needs low, mode and high")
        if d == "uniform" and None in (self.low, self.high):
            raise ValueError("uniform needs low and high")
        if d in ("normal", "lognormal") and None in (self.mean, self.sd):
            raise ValueError(f"{d} needs mean and sd")
        if d == "lognormal" and self.mean is not None and self.mean <= 0:
            raise ValueError("lognormal needs mean > 0")
        if d == "fixed" and self.mode is None:
            raise ValueError("fixed needs mode (the value)")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        if self.mode is not None:
            _check_range(self.low, self.mode, self.high, "mode")
        return self


class DiscountSettings(_Strict):
    """HM Treasury Green Book (2022) discounting.

    Year 0 is undiscounted and a value in year ``t`` is discounted by ``t`` years, for costs
    and benefits alike (Green Book, Annex A6); there is no other convention.
    ``table``: path to a replacement rate table (default: the shipped versioned table).
    ``constant_rate`` replaces the declining schedule (sensitivity analysis only).
    """

    table: str | None = None
    constant_rate: float | None = Field(default=None, ge=0, lt=1)

    @model_validator(mode="before")
    @classmethod
    def _no_convention(cls, data: object) -> object:
        if isinstance(data, dict) and "convention" in data:
            raise ValueError(
                "discount.convention was removed: sroi discounts as the Green Book does (year 0 "
                "undiscounted, year t discounted by t years, for costs and benefits); the "
                "former 'end' option discounted year-0 costs too. Delete the field"
            )
        return data


class OptimismBias(_Strict):
    """Optimism bias (HM Treasury Green Book, 2022; Greater Manchester CBA model, 2014).

    ``costs``: default uplift to delivery costs not yet spent (e.g. 0.1 = +10%).
    ``by_project_type``: uplifts by project type (e.g. ``{outsourcing: 0.2}``), used for delivery
    cost lines whose ``project_type`` is set; no values are shipped: take them from the Green
    Book supplementary guidance on optimism bias or your own appraisal policy.
    ``benefits_by_confidence``: cut each unit cost by its confidence grade's adjustment.
    Costs already spent and measured (``spent: true``) get no uplift.
    """

    costs: float = Field(default=0.0, ge=0)
    by_project_type: dict[str, float] = Field(default_factory=dict)
    benefits_by_confidence: bool = True

    @field_validator("by_project_type")
    @classmethod
    def _non_negative(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if not x >= 0}
        if bad:
            raise ValueError(f"optimism-bias uplifts must be >= 0 (got {bad})")
        return v


class ValuationSection(_Strict):
    """The ``valuation`` section of the evaluation spec."""

    cost_file: str = Field(description="unit-cost table (CSV, .xlsx or YAML), relative to spec")
    cost_sheet: str | int | None = None
    deflators: str | None = Field(default=None, description="replacement GDP deflator table")
    confidence_grades: str | None = Field(default=None, description="replacement grade scale")
    price_year: str = Field(
        description="base price year: a calendar year (2024) or a financial year (2024-25)"
    )
    appraisal_years: int = Field(default=10, ge=1, le=400)
    terms_per_year: int = Field(default=3, ge=1)
    cohort_size: int | None = Field(default=None, gt=0, description="default programme.cohort_size")
    starts_by_year: list[int] | None = Field(
        default=None, description="participants starting in each appraisal year"
    )
    remaining_school_years: float | list[float] | dict[float, int] | None = Field(
        default=None,
        description="years left in school at enrolment (benefit cap): a cohort average, one "
        "value per participant, or {years: number of participants} (exact per-participant cap)",
    )
    adjustments: Adjustments = Field(default_factory=Adjustments)
    outcomes: list[OutcomeValuation] = Field(default_factory=list)
    conversions: list[ConversionStep] = Field(default_factory=list)
    assumed_effects: list[AssumedEffect] = Field(default_factory=list)
    discount: DiscountSettings = Field(default_factory=DiscountSettings)
    optimism_bias: OptimismBias = Field(default_factory=OptimismBias)
    uncertainty: list[UncertainParameter] = Field(default_factory=list)

    _py = field_validator("price_year", mode="before")(_check_price_year)

    @model_validator(mode="after")
    def _consistent(self) -> ValuationSection:
        names = [o.outcome for o in self.outcomes] + [a.outcome for a in self.assumed_effects]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"outcomes valued twice (outcomes / assumed_effects): {dup}")
        if self.starts_by_year is not None:
            if any(s < 0 for s in self.starts_by_year) or sum(self.starts_by_year) <= 0:
                raise ValueError("starts_by_year must be non-negative counts with a positive sum")
            if len(self.starts_by_year) > self.appraisal_years:
                raise ValueError("starts_by_year is longer than appraisal_years")
        r = self.remaining_school_years
        if r is not None:
            vals = list(r) if isinstance(r, list | dict) else [r]
            counts = list(r.values()) if isinstance(r, dict) else [1] * len(vals)
            if (
                not vals
                or any(not (v >= 0) for v in vals)
                or max(vals) <= 0
                or any(c < 0 for c in counts)
                or sum(counts) <= 0
            ):
                raise ValueError(
                    "remaining_school_years must be a positive number, a non-empty list of "
                    "non-negative numbers, or {years: count} with non-negative counts"
                )
        conv = [c.name for c in self.conversions]
        dupc = sorted({n for n in conv if conv.count(n) > 1})
        if dupc:
            raise ValueError(f"conversion names must be unique; repeated: {dupc}")
        params = [u.parameter for u in self.uncertainty]
        dupp = sorted({n for n in params if params.count(n) > 1})
        if dupp:
            raise ValueError(f"uncertainty parameters given twice: {dupp}")
        return self
