"""``sroi.value.run``: value a programme's effects; :class:`ValueResult`.

Headline figures (Greater Manchester CBA model, HM Treasury 2014; Social Value UK 2012):

* public value benefits ``B`` = PV of fiscal (cashable + non-cashable), economic and social
  value of *observed* (estimated) and *assumed* effects; transfers are shown but are not public
  value; *modelled* values (reached only through a conversion chain) are kept out;
* ``NPV = B - C`` with ``C`` the PV of programme costs (optimism bias included);
* SROI ratio = public value ROI = ``B / C``; financial ROI = ``B_fiscal / C``; cashable ROI =
  ``B_cashable / C``;
* payback period: the first time cumulative discounted fiscal benefits reach cumulative
  discounted costs, with each year's costs incurred at its start and its benefits accruing evenly
  through the year (linear interpolation inside the year).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.value.config import DeliveryCost, ValuationSection
from sroi.value.costs import UnitCostTable, load_unit_costs
from sroi.value.model import (
    FISCAL_TYPES,
    PUBLIC_VALUE_TYPES,
    CompiledModel,
    ValuationInputs,
    compile_model,
    inputs_from_spec,
    normalise_effects,
)

if TYPE_CHECKING:  # pragma: no cover
    from sroi.spec import Spec

__all__ = ["ValueResult", "run", "run_assumed", "payback_period", "headline"]

HEADLINE_BASES = ("observed", "assumed")


def payback_period(benefits: np.ndarray, costs: np.ndarray) -> float:
    """Years until cumulative benefits reach cumulative costs (``nan`` if never).

    Costs of year ``t`` are incurred at its start; benefits accrue evenly during it, so the
    payback time inside year ``t`` is ``t + deficit_t / b_t`` with
    ``deficit_t = sum_{u<=t} c_u - sum_{u<t} b_u``.
    """
    b = np.asarray(benefits, dtype=float)
    c = np.asarray(costs, dtype=float)
    if b.shape != c.shape:
        raise SroiInputError("benefits and costs must have the same number of years")
    if c.sum() <= 0:
        return math.nan
    deficit = np.cumsum(c) - np.concatenate([[0.0], np.cumsum(b)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(b > 0, deficit / b, np.inf)
    # earliest year with deficit paid off by the end of that year (frac <= 1)
    ok = (deficit <= 0) | (frac <= 1.0)
    # only after costs have started
    started = np.cumsum(c) > 0
    ok &= started
    if not ok.any():
        return math.nan
    t = int(np.flatnonzero(ok)[0])
    return float(t + max(0.0, frac[t]) if deficit[t] > 0 else t)


def headline(pv_lines: np.ndarray, pv_costs: np.ndarray, model: CompiledModel) -> dict[str, Any]:
    """Vectorised headline figures from line PVs (n, L) and cost PVs (n,)."""
    vt = np.array([ln.value_type for ln in model.lines])
    basis = np.array([ln.basis for ln in model.lines])
    head = np.isin(basis, HEADLINE_BASES)
    pub = pv_lines[:, head & np.isin(vt, PUBLIC_VALUE_TYPES)].sum(axis=1)
    fis = pv_lines[:, head & np.isin(vt, FISCAL_TYPES)].sum(axis=1)
    cash = pv_lines[:, head & (vt == "fiscal_cashable")].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(pv_costs > 0, pub / pv_costs, np.nan)
        fin = np.where(pv_costs > 0, fis / pv_costs, np.nan)
        cashr = np.where(pv_costs > 0, cash / pv_costs, np.nan)
    return {
        "pv_benefits": pub,
        "pv_fiscal": fis,
        "pv_cashable": cash,
        "pv_costs": pv_costs,
        "npv": pub - pv_costs,
        "sroi_ratio": ratio,
        "financial_roi": fin,
        "cashable_roi": cashr,
    }


def _f(x: Any) -> Any:
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _frame_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _f(v) for k, v in rec.items()} for rec in df.to_dict(orient="records")]


@dataclass
class ValueResult:
    """Result of :func:`run`: headline figures, tables and the assumptions register.

    All money is in ``price_year`` prices; ``pv_*`` are present values.
    """

    price_year: str
    pv_benefits: float
    pv_costs: float
    npv: float
    sroi_ratio: float
    financial_roi: float
    cashable_roi: float
    payback_years: float
    pv_transfers: float
    pv_modelled: float
    pv_by_value_type: dict[str, float]
    streams: pd.DataFrame
    costs: pd.DataFrame
    assumptions: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    excluded: list[dict[str, str]] = field(default_factory=list)
    model: CompiledModel | None = field(default=None, repr=False)
    _switching: pd.DataFrame | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ aliases
    @property
    def public_value_roi(self) -> float:
        """Public value ROI (Greater Manchester): same as :attr:`sroi_ratio`."""
        return self.sroi_ratio

    @property
    def modelled(self) -> list[str]:
        """Outcomes valued only through a conversion chain (kept out of the headline)."""
        return sorted(set(self.streams.loc[self.streams["basis"] == "modelled", "outcome"]))

    @property
    def observed(self) -> list[str]:
        """Outcomes valued from effects estimated against a comparison group."""
        return sorted(set(self.streams.loc[self.streams["basis"] == "observed", "outcome"]))

    @property
    def assumed(self) -> list[str]:
        """Outcomes valued from assumed effects."""
        return sorted(set(self.streams.loc[self.streams["basis"] == "assumed", "outcome"]))

    # ------------------------------------------------------------------ tables
    def _head(self) -> pd.DataFrame:
        s = self.streams
        return s.loc[s["basis"].isin(HEADLINE_BASES)]

    def by_year(self) -> pd.DataFrame:
        """Undiscounted and discounted benefits (public value, fiscal) and costs by year."""
        h = self._head()
        years = pd.Index(range(self.model.T if self.model else 0), name="year")
        pub = h.loc[h["value_type"].isin(PUBLIC_VALUE_TYPES)]
        fis = h.loc[h["value_type"].isin(FISCAL_TYPES)]
        out = pd.DataFrame(index=years)
        out["benefits"] = pub.groupby("year")["value"].sum().reindex(years, fill_value=0.0)
        out["fiscal_benefits"] = fis.groupby("year")["value"].sum().reindex(years, fill_value=0.0)
        out["costs"] = self.costs.groupby("year")["cost"].sum().reindex(years, fill_value=0.0)
        out["pv_benefits"] = pub.groupby("year")["pv"].sum().reindex(years, fill_value=0.0)
        out["pv_fiscal_benefits"] = fis.groupby("year")["pv"].sum().reindex(years, fill_value=0.0)
        out["pv_costs"] = self.costs.groupby("year")["pv"].sum().reindex(years, fill_value=0.0)
        out["cumulative_pv_net"] = (out["pv_benefits"] - out["pv_costs"]).cumsum()
        return out.reset_index()

    def by_agency(self) -> pd.DataFrame:
        """PV of benefits by the agency that gains and costs by the agency that pays."""
        s = self.streams
        gains = s.pivot_table(
            index="agency", columns="basis", values="pv", aggfunc="sum", fill_value=0.0
        )
        gains.columns = [f"pv_benefits_{c}" for c in gains.columns]
        pays = self.costs.groupby("agency")["pv"].sum().rename("pv_costs")
        out = gains.join(pays, how="outer").fillna(0.0)
        out.index.name = "agency"
        return out.reset_index()

    def by_outcome(self) -> pd.DataFrame:
        """PV by outcome and unit-cost row (with basis and value type)."""
        s = self.streams
        return (
            s.groupby(["outcome", "cost_id", "agency", "value_type", "basis"], sort=False)[
                ["value", "pv"]
            ]
            .sum()
            .reset_index()
        )

    def by_value_type(self) -> pd.DataFrame:
        """PV by value type and basis (transfers and modelled values shown separately)."""
        s = self.streams
        return s.groupby(["value_type", "basis"])["pv"].sum().reset_index()

    def agency_year_type(self) -> pd.DataFrame:
        """Undiscounted value by agency x year x value type (headline values only)."""
        h = self._head()
        return h.groupby(["agency", "year", "value_type"])["value"].sum().reset_index()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (the Excel export writes one sheet per table)."""
        return {
            "by_year": self.by_year(),
            "by_agency": self.by_agency(),
            "by_outcome": self.by_outcome(),
            "by_value_type": self.by_value_type(),
            "agency_year_type": self.agency_year_type(),
            "costs": self.costs,
            "switching_values": self.switching_values(),
            "assumptions": self.assumptions,
        }

    def switching_values(self) -> pd.DataFrame:
        """Value of each parameter at which the SROI ratio is 1 (others central)."""
        if self._switching is None:
            from sroi.value.uncertainty import switching_values

            self._switching = (
                switching_values(self.model) if self.model is not None else pd.DataFrame()
            )
        return self._switching

    # ------------------------------------------------------------------ output
    def summary(self) -> str:
        """Plain-text summary for a finance officer."""

        def money(x: float) -> str:
            if not math.isfinite(x):
                return "n/a"
            return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"

        def ratio(x: float) -> str:
            return "n/a" if not math.isfinite(x) else f"{x:.2f}"

        T = self.model.T if self.model else "?"
        lines = [
            f"Value for money ({self.price_year} prices, present values over {T} years)",
            f"  Benefits (public value)   {money(self.pv_benefits):>16}",
            f"  Costs                     {money(self.pv_costs):>16}",
            f"  Net present value         {money(self.npv):>16}",
            f"  SROI ratio                {ratio(self.sroi_ratio):>16}   "
            "(public value per £1 of cost)",
            f"  Financial ROI             {ratio(self.financial_roi):>16}   (fiscal benefits only)",
            f"  Cashable ROI              {ratio(self.cashable_roi):>16}   (budgets that fall)",
            "  Payback                   "
            + (
                f"{self.payback_years:>10.1f} years"
                if math.isfinite(self.payback_years)
                else f"{'not within the period':>16}"
            ),
        ]
        if self.pv_transfers:
            lines.append(f"  Transfers (not public value, shown only) {money(self.pv_transfers)}")
        if self.pv_modelled:
            lines.append(
                f"  Modelled values (conversion chains, not in the headline) "
                f"{money(self.pv_modelled)}"
            )
        bo = self.by_outcome()
        if len(bo):
            lines.append("  By outcome (PV):")
            for o, grp in bo.groupby("outcome", sort=False):
                tags = ", ".join(sorted(set(grp["basis"])))
                lines.append(f"    {o:<28} {money(grp['pv'].sum()):>14}  [{tags}]")
        ba = self.by_agency()
        if len(ba):
            lines.append("  Who gains and who pays (PV):")
            for _, r in ba.iterrows():
                gain = sum(r.get(f"pv_benefits_{b}", 0.0) for b in HEADLINE_BASES)
                lines.append(
                    f"    {r['agency']:<28} gains {money(gain):>12}  pays {money(r['pv_costs']):>12}"
                )
        reg = self.assumptions.set_index("parameter")["value"]
        if "discount" in reg.index:
            lines.append(
                f"  Assumptions: {reg.get('discount')} discounting; optimism bias on costs "
                f"{float(reg.get('optimism_bias.costs', 0.0)):.0%}; cohort "
                f"{reg.get('cohort_size')}; full register in .assumptions"
            )
        for e in self.excluded:
            lines.append(f"  not valued: {e['outcome']}: {e['reason']}")
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - thin wrapper
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dictionary (NaN and infinities become ``None``)."""
        d = {
            "price_year": self.price_year,
            "pv_benefits": _f(self.pv_benefits),
            "pv_costs": _f(self.pv_costs),
            "npv": _f(self.npv),
            "sroi_ratio": _f(self.sroi_ratio),
            "public_value_roi": _f(self.sroi_ratio),
            "financial_roi": _f(self.financial_roi),
            "cashable_roi": _f(self.cashable_roi),
            "payback_years": _f(self.payback_years),
            "pv_transfers": _f(self.pv_transfers),
            "pv_modelled": _f(self.pv_modelled),
            "pv_by_value_type": {k: _f(v) for k, v in self.pv_by_value_type.items()},
            "observed": self.observed,
            "assumed": self.assumed,
            "modelled": self.modelled,
            "by_year": _frame_records(self.by_year()),
            "by_agency": _frame_records(self.by_agency()),
            "by_outcome": _frame_records(self.by_outcome()),
            "by_value_type": _frame_records(self.by_value_type()),
            "costs": _frame_records(self.costs),
            "assumptions": _frame_records(self.assumptions.astype(object)),
            "switching_values": _frame_records(self.switching_values()),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "excluded": list(self.excluded),
        }
        json.dumps(d)  # guarantee serialisable
        return d

    def to_excel(self, path: str | Path) -> Path:
        """Write one sheet per table plus a summary and an assumptions sheet."""
        from sroi.value.excel import write_result_workbook

        return write_result_workbook(self, path)


def _result(model: CompiledModel) -> ValueResult:
    ev = model.evaluate({})
    h = headline(ev["pv_lines"], ev["pv_costs"], model)
    streams = model.streams()
    costs = model.cost_streams()
    hs = streams.loc[streams["basis"].isin(HEADLINE_BASES)]
    fis_year = (
        hs.loc[hs["value_type"].isin(FISCAL_TYPES)]
        .groupby("year")["pv"]
        .sum()
        .reindex(range(model.T), fill_value=0.0)
        .to_numpy()
    )
    cost_year = costs.groupby("year")["pv"].sum().reindex(range(model.T), fill_value=0.0).to_numpy()
    pb = payback_period(fis_year, cost_year)
    pv_by_type = {str(k): float(v) for k, v in hs.groupby("value_type")["pv"].sum().items()}
    assumptions = pd.DataFrame(
        model.assumptions, columns=["parameter", "value", "unit", "source", "confidence", "note"]
    )
    return ValueResult(
        price_year=model.price_year,
        pv_benefits=float(h["pv_benefits"][0]),
        pv_costs=float(h["pv_costs"][0]),
        npv=float(h["npv"][0]),
        sroi_ratio=float(h["sroi_ratio"][0]),
        financial_roi=float(h["financial_roi"][0]),
        cashable_roi=float(h["cashable_roi"][0]),
        payback_years=pb,
        pv_transfers=float(hs.loc[hs["value_type"] == "transfer", "pv"].sum()),
        pv_modelled=float(streams.loc[streams["basis"] == "modelled", "pv"].sum()),
        pv_by_value_type=pv_by_type,
        streams=streams,
        costs=costs,
        assumptions=assumptions,
        warnings=list(model.warnings),
        notes=list(model.notes),
        excluded=list(model.excluded),
        model=model,
    )


def run(
    spec: Spec,
    effects: Mapping[str, Effect] | Sequence[Effect] | None = None,
    *,
    costs: UnitCostTable | str | Path | None = None,
) -> ValueResult:
    """Value a programme's effects with the spec's ``valuation`` section.

    Parameters
    ----------
    spec
        An :class:`sroi.Spec` with a ``valuation`` section (``programme.delivery_costs`` and
        ``programme.cohort_size`` are used too; the cost file is resolved relative to the spec).
    effects
        ``{outcome name: Effect}`` or a list of Effects with ``outcome`` set. May be empty when
        the spec declares ``valuation.assumed_effects``.
    costs
        Optional replacement unit-cost table (path or :class:`UnitCostTable`).

    Returns
    -------
    ValueResult
        PV benefits and costs, NPV, SROI ratio = PV public value / PV costs (Social Value UK,
        2012; Greater Manchester CBA model, HM Treasury 2014), financial and cashable ROI,
        payback, tables and the assumptions register.
    """
    table = load_unit_costs(costs) if isinstance(costs, str | Path) else costs
    inputs = inputs_from_spec(spec, table)
    eff = normalise_effects(effects, inputs.outcome_info)
    return _result(compile_model(inputs, eff))


def run_assumed(
    valuation: ValuationSection | Mapping[str, Any],
    *,
    delivery_costs: Sequence[DeliveryCost | Mapping[str, Any]] = (),
    cohort_size: int | None = None,
    effects: Mapping[str, Effect] | Sequence[Effect] | None = None,
    outcomes: Mapping[str, tuple[str, str]] | None = None,
    base_dir: str | Path | None = None,
    costs: UnitCostTable | str | Path | None = None,
) -> ValueResult:
    """Value assumed effects without an evaluation spec (a finance officer's forecast).

    Parameters
    ----------
    valuation
        A ``valuation`` section (model or dict as in YAML), usually with ``assumed_effects``
        (Greater Manchester: cohort x engagement rate x success rate x (1 - deadweight)).
    delivery_costs
        Programme cost lines (as in ``programme.delivery_costs``).
    cohort_size
        Participants (unless ``valuation.cohort_size`` or ``starts_by_year`` gives it).
    effects
        Optional ``Effect`` records (e.g. :meth:`sroi.Effect.assumed`).
    outcomes
        ``{outcome: (type, direction)}`` for effects passed in ``effects``.
    base_dir
        Folder that ``cost_file`` and other relative paths are resolved against (default: cwd).
    costs
        Optional unit-cost table replacing ``valuation.cost_file``.
    """
    from pydantic import ValidationError

    try:
        V = (
            valuation
            if isinstance(valuation, ValuationSection)
            else ValuationSection.model_validate(dict(valuation))
        )
        dcs = [
            d if isinstance(d, DeliveryCost) else DeliveryCost.model_validate(dict(d))
            for d in delivery_costs
        ]
    except ValidationError as exc:
        msgs = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SroiInputError(f"valuation inputs: {msgs}") from None
    root = Path(base_dir) if base_dir is not None else Path.cwd()

    def resolve(p: str | Path) -> Path:
        q = Path(p)
        return q if q.is_absolute() else (root / q).resolve()

    table = load_unit_costs(resolve(costs)) if isinstance(costs, str | Path) else costs
    info = {k: (t, d, k) for k, (t, d) in (outcomes or {}).items()}
    inputs = ValuationInputs(
        valuation=V,
        delivery_costs=dcs,
        cohort_size=cohort_size,
        outcome_info=info,
        resolve=resolve,
        cost_table=table,
    )
    eff = normalise_effects(effects, info)
    return _result(compile_model(inputs, eff))
