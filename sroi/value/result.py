"""Read-only results of the value engine: :class:`ValueResult` and :class:`SimulationResult`.

Both are frozen records built by :mod:`sroi.value.api`; they compute nothing but tables and
text from what they hold, and never import the model compiler or the uncertainty analyses.
Headline definitions are in :mod:`sroi.value.metrics`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sroi._checks import check_probability
from sroi.errors import SroiInputError
from sroi.value.excel import write_result_workbook
from sroi.value.metrics import FISCAL_TYPES, HEADLINE_BASES, PUBLIC_VALUE_TYPES
from sroi.value.model import CompiledModel

__all__ = ["SimulationResult", "ValueResult", "json_value", "json_records"]


def json_value(x: Any) -> Any:
    """A JSON-ready scalar: numpy scalars become Python ones, NaN and infinities ``None``."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def json_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a table as JSON-ready dictionaries (see :func:`json_value`)."""
    return [{k: json_value(v) for k, v in rec.items()} for rec in df.to_dict(orient="records")]


def _money(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"


def _ratio(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.2f}"


#: Headline measures on the summary sheet of the workbook, in order.
SUMMARY_MEASURES = (
    "price_year",
    "pv_benefits",
    "pv_costs",
    "npv",
    "sroi_ratio",
    "financial_roi",
    "cashable_roi",
    "payback_years",
    "pv_transfers",
    "pv_modelled",
)


@dataclass(frozen=True)
class ValueResult:
    """Result of :func:`sroi.value.run`: headline figures, tables and the assumptions register.

    All money is in ``price_year`` prices; ``pv_*`` are present values (HM Treasury Green
    Book, 2022). ``sroi_ratio`` = PV public value / PV costs (Social Value UK SROI guide,
    2012; public value ROI of the Greater Manchester CBA model, 2014); ``financial_roi`` and
    ``cashable_roi`` count fiscal and cashable benefits only; ``payback_years`` is ``nan`` when
    costs are not recovered within the appraisal period (see :mod:`sroi.value.metrics`).

    Attributes
    ----------
    price_year
        Base financial year of every amount.
    pv_benefits, pv_costs, npv, sroi_ratio, financial_roi, cashable_roi, payback_years
        Headline figures (observed and assumed values only).
    pv_transfers, pv_modelled
        PV of transfers (value type ``transfer`` or lines marked as transfers overall) and of
        modelled (conversion-chain) values, shown but not in the public-value headline
        (transfers marked on a fiscal line do count in ``financial_roi`` and ``cashable_roi``).
    pv_by_value_type
        Headline PV by value type, transfers under ``transfer``.
    streams
        Value by line and appraisal year (``year``, ``outcome``, ``cost_id``, ``agency``,
        ``value_type``, ``basis``, ``value``, ``discount_factor``, ``pv``).
    costs
        Programme costs by line (``year``, ``description``, ``agency``, ``cost``, ``pv``...).
    assumptions
        The assumptions register (``parameter``, ``value``, ``unit``, ``source``,
        ``confidence``, ``note``).
    model
        The compiled model (for :func:`sroi.value.simulate`).
    switching
        The switching-values table (also :meth:`switching_values`).
    warnings, notes, excluded
        Warnings and notes of the valuation; outcomes left out, with the reason.
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
    model: CompiledModel = field(repr=False)
    switching: pd.DataFrame = field(repr=False)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    excluded: list[dict[str, str]] = field(default_factory=list)

    @property
    def public_value_roi(self) -> float:
        """Public value ROI (Greater Manchester): the same as :attr:`sroi_ratio`."""
        return self.sroi_ratio

    def _outcomes(self, basis: str) -> list[str]:
        return sorted(set(self.streams.loc[self.streams["basis"] == basis, "outcome"]))

    @property
    def modelled(self) -> list[str]:
        """Outcomes valued only through a conversion chain (kept out of the headline)."""
        return self._outcomes("modelled")

    @property
    def observed(self) -> list[str]:
        """Outcomes valued from effects estimated against a comparison group."""
        return self._outcomes("observed")

    @property
    def assumed(self) -> list[str]:
        """Outcomes valued from assumed effects."""
        return self._outcomes("assumed")

    def _head(self) -> pd.DataFrame:
        s = self.streams
        return s.loc[s["basis"].isin(HEADLINE_BASES)]

    def by_year(self) -> pd.DataFrame:
        """Undiscounted and discounted benefits (public value, fiscal) and costs by year.

        Returns
        -------
        pandas.DataFrame
            ``year``, ``benefits``, ``fiscal_benefits``, ``costs``, ``pv_benefits``,
            ``pv_fiscal_benefits``, ``pv_costs``, ``cumulative_pv_net``.
        """
        h = self._head()
        years = pd.Index(range(self.model.T), name="year")
        pub = h.loc[h["value_type"].isin(PUBLIC_VALUE_TYPES) & ~h["transfer"].astype(bool)]
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
        """PV of benefits by the agency that gains (one column per basis) and costs by payer.

        Returns
        -------
        pandas.DataFrame
            ``agency``, ``pv_benefits_<basis>`` for each basis present, ``pv_costs``.
        """
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
        """PV by outcome and unit-cost row (with agency, value type and basis)."""
        s = self.streams
        return (
            s.groupby(["outcome", "cost_id", "agency", "value_type", "basis"], sort=False)[
                ["value", "pv"]
            ]
            .sum()
            .reset_index()
        )

    def by_value_type(self) -> pd.DataFrame:
        """PV by value type, transfer flag and basis (transfers and modelled values shown apart).

        A line that is fiscal to its agency but a transfer overall (``transfer`` True) is shown
        under its value type with ``transfer`` True: it is in the fiscal figures, not in public
        value.
        """
        s = self.streams
        return s.groupby(["value_type", "transfer", "basis"])["pv"].sum().reset_index()

    def agency_year_type(self) -> pd.DataFrame:
        """Undiscounted value by agency x year x value type (headline values only)."""
        h = self._head()
        return h.groupby(["agency", "year", "value_type"])["value"].sum().reset_index()

    def confidence_reductions(self) -> pd.DataFrame:
        """The confidence-grade cut applied to each unit cost valued (Greater Manchester model).

        Returns
        -------
        pandas.DataFrame
            ``cost_id``, ``confidence`` (grade), ``reduction`` (proportion cut from the
            benefit; 0 when ``optimism_bias.benefits_by_confidence`` is off), ``basis``, in
            the order of the valued lines.
        """
        table = self.model.cost_table.set_index("id")
        rows = [
            (ln.cost_id, str(table.loc[ln.cost_id, "confidence"]), ln.grade_reduction, ln.basis)
            for ln in self.model.lines
        ]
        return pd.DataFrame(rows, columns=["cost_id", "confidence", "reduction", "basis"])

    def confidence_grade_note(self) -> str:
        """The confidence-grade scale in one line: its cuts, status and source.

        From the assumptions register's ``confidence_grades`` record; for the shipped scale it
        says that the percentages are illustrative and which table a council would use.

        Returns
        -------
        str
            E.g. ``"grade scale 1: 0%; ...; 5: 40% (illustrative): applied ...; ILLUSTRATIVE
            percentages, not a published table: ..."``.
        """
        a = self.assumptions
        rows = a.loc[a["parameter"] == "confidence_grades"]
        if rows.empty:
            return ""
        r = rows.iloc[0]
        return f"grade scale {r['value']} ({r['confidence']}): {r['note']}"

    def switching_values(self) -> pd.DataFrame:
        """Value of each parameter at which the SROI ratio is 1 (others central).

        See :func:`sroi.value.switching_values` (HM Treasury Green Book, 2022).
        """
        return self.switching

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

    def _summary_head(self) -> list[str]:
        payback = (
            f"{self.payback_years:>10.1f} years"
            if math.isfinite(self.payback_years)
            else f"{'not within the period':>16}"
        )
        lines = [
            f"Value for money ({self.price_year} prices, present values over {self.model.T} years)",
            f"  Benefits (public value)   {_money(self.pv_benefits):>16}",
            f"  Costs                     {_money(self.pv_costs):>16}",
            f"  Net present value         {_money(self.npv):>16}",
            f"  SROI ratio                {_ratio(self.sroi_ratio):>16}   "
            "(public value per £1 of cost)",
            f"  Financial ROI             {_ratio(self.financial_roi):>16}   (fiscal benefits only)",
            f"  Cashable ROI              {_ratio(self.cashable_roi):>16}   (budgets that fall)",
            "  Payback                   " + payback,
        ]
        if self.pv_transfers:
            lines.append(f"  Transfers (not public value, shown only) {_money(self.pv_transfers)}")
        if self.pv_modelled:
            lines.append(
                f"  Modelled values (conversion chains, not in the headline) "
                f"{_money(self.pv_modelled)}"
            )
        return lines

    def _summary_tables(self) -> list[str]:
        lines = []
        bo = self.by_outcome()
        if len(bo):
            lines.append("  By outcome (PV):")
            for o, grp in bo.groupby("outcome", sort=False):
                tags = ", ".join(sorted(set(grp["basis"])))
                lines.append(f"    {o:<28} {_money(grp['pv'].sum()):>14}  [{tags}]")
        ba = self.by_agency()
        if len(ba):
            lines.append("  Who gains and who pays (PV):")
            for _, r in ba.iterrows():
                gain = sum(r.get(f"pv_benefits_{b}", 0.0) for b in HEADLINE_BASES)
                lines.append(
                    f"    {r['agency']:<28} gains {_money(gain):>12}  pays "
                    f"{_money(r['pv_costs']):>12}"
                )
        reg = self.assumptions.set_index("parameter")["value"]
        if "discount" in reg.index:
            lines.append(
                f"  Assumptions: {reg.get('discount')} discounting; optimism bias on costs "
                f"{float(reg.get('optimism_bias.costs', 0.0)):.0%}; cohort "
                f"{reg.get('cohort_size')}; full register in .assumptions"
            )
        return lines

    def summary(self) -> str:
        """Plain-text summary for a finance officer (headline, by outcome, who gains and pays)."""
        lines = self._summary_head() + self._summary_tables()
        lines += [f"  not valued: {e['outcome']}: {e['reason']}" for e in self.excluded]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - thin wrapper
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dictionary (NaN and infinities become ``None``).

        Returns
        -------
        dict
            The headline figures (and ``public_value_roi``), ``pv_by_value_type``, the
            ``observed``/``assumed``/``modelled`` outcome lists, the tables ``by_year``,
            ``by_agency``, ``by_outcome``, ``by_value_type``, ``costs``, ``assumptions`` and
            ``switching_values`` as records, ``warnings``, ``notes``, ``excluded``.
        """
        f = json_value
        d = {
            "price_year": self.price_year,
            "pv_benefits": f(self.pv_benefits),
            "pv_costs": f(self.pv_costs),
            "npv": f(self.npv),
            "sroi_ratio": f(self.sroi_ratio),
            "public_value_roi": f(self.sroi_ratio),
            "financial_roi": f(self.financial_roi),
            "cashable_roi": f(self.cashable_roi),
            "payback_years": f(self.payback_years),
            "pv_transfers": f(self.pv_transfers),
            "pv_modelled": f(self.pv_modelled),
            "pv_by_value_type": {k: f(v) for k, v in self.pv_by_value_type.items()},
            "observed": self.observed,
            "assumed": self.assumed,
            "modelled": self.modelled,
            "by_year": json_records(self.by_year()),
            "by_agency": json_records(self.by_agency()),
            "by_outcome": json_records(self.by_outcome()),
            "by_value_type": json_records(self.by_value_type()),
            "costs": json_records(self.costs),
            "assumptions": json_records(self.assumptions.astype(object)),
            "switching_values": json_records(self.switching_values()),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "excluded": list(self.excluded),
        }
        json.dumps(d)  # guarantee serialisable
        return d

    def to_excel(self, path: str | Path) -> Path:
        """Write a workbook: a summary sheet, one sheet per table, and the streams.

        Parameters
        ----------
        path
            An ``.xlsx`` file (folders are created).

        Returns
        -------
        pathlib.Path

        Raises
        ------
        SroiInputError
            If the file is not ``.xlsx``.
        """
        d = self.to_dict()
        head = pd.DataFrame([(k, d[k]) for k in SUMMARY_MEASURES], columns=["measure", "value"])
        messages = pd.DataFrame(
            [("warning", w) for w in self.warnings]
            + [("note", n) for n in self.notes]
            + [("not valued", f"{e['outcome']}: {e['reason']}") for e in self.excluded],
            columns=["kind", "text"],
        )
        sheets = {**self.tables(), "streams": self.streams}
        return write_result_workbook(path, head, messages, sheets)


@dataclass(frozen=True)
class SimulationResult:
    """Result of :func:`sroi.value.simulate`: Monte Carlo, one-way sensitivity, scenarios.

    Attributes
    ----------
    n_draws
        Number of draws.
    random_state
        The seed the draws were made with (rerun with it to get identical results).
    draws
        One row per draw: ``pv_benefits``, ``pv_fiscal``, ``pv_cashable``, ``pv_costs``,
        ``npv``, ``sroi_ratio``, ``financial_roi``, ``cashable_roi``.
    parameters
        Each uncertain parameter's distribution and its source.
    tornado
        One-way sensitivity (see :func:`sroi.value.uncertainty.tornado`).
    scenarios
        Low / central / high scenarios.
    switching_values
        Switching values (see :func:`sroi.value.switching_values`).
    central
        The headline figures at central values.
    notes
        How adjustments were treated.
    """

    n_draws: int
    random_state: int | None
    draws: pd.DataFrame
    parameters: pd.DataFrame
    tornado: pd.DataFrame
    scenarios: pd.DataFrame
    switching_values: pd.DataFrame
    central: dict[str, float]
    notes: list[str] = field(default_factory=list)

    @property
    def prob_npv_positive(self) -> float:
        """Share of draws with NPV > 0 (the same as P(SROI ratio > 1) when costs are positive)."""
        return float((self.draws["npv"] > 0).mean())

    @property
    def prob_ratio_above_1(self) -> float:
        """Share of draws with an SROI ratio above 1."""
        return float((self.draws["sroi_ratio"] > 1).mean())

    def interval(self, metric: str = "sroi_ratio", level: float = 0.9) -> tuple[float, float]:
        """Equal-tailed percentile interval of a metric over the draws.

        Parameters
        ----------
        metric
            A column of :attr:`draws`.
        level
            Coverage, in (0, 1).

        Returns
        -------
        tuple of float
            ``(low, high)`` over the finite draws.

        Raises
        ------
        SroiInputError
            For an unknown metric or a level outside (0, 1).
        """
        if metric not in self.draws:
            raise SroiInputError(f"unknown metric {metric!r}; one of {list(self.draws.columns)}")
        level = check_probability(level, "level", open_interval=True)
        x = self.draws[metric].to_numpy()
        x = x[np.isfinite(x)]
        a = (1 - level) / 2
        lo, hi = np.quantile(x, [a, 1 - a])
        return float(lo), float(hi)

    def percentiles(self, q: Sequence[float] = (5, 25, 50, 75, 95)) -> pd.DataFrame:
        """Central value, mean, SD and percentiles ``q`` (in percent) of each metric."""
        d = self.draws
        out = pd.DataFrame(
            {f"p{int(x) if float(x).is_integer() else x}": d.quantile(x / 100) for x in q}
        )
        out.insert(0, "sd", d.std())
        out.insert(0, "mean", d.mean())
        out.insert(0, "central", pd.Series(self.central))
        return out

    def summary(self) -> str:
        """Plain-text summary: headline vs Monte Carlo, P(NPV > 0), largest sensitivities."""
        lo, hi = self.interval("sroi_ratio", 0.9)
        nlo, nhi = self.interval("npv", 0.9)
        lines = [
            f"Monte Carlo: {self.n_draws:,} draws (random_state={self.random_state})",
            f"  SROI ratio  headline {self.central['sroi_ratio']:.2f}   median "
            f"{self.draws['sroi_ratio'].median():.2f}   90% interval [{lo:.2f}, {hi:.2f}]",
            f"  NPV         headline £{self.central['npv']:,.0f}   90% interval "
            f"[£{nlo:,.0f}, £{nhi:,.0f}]",
            f"  P(NPV > 0) = {self.prob_npv_positive:.3f}   "
            f"P(SROI ratio > 1) = {self.prob_ratio_above_1:.3f}",
            "  Largest one-way sensitivities (SROI ratio at the 5th / 95th percentile):",
        ]
        for _, r in self.tornado.head(5).iterrows():
            lines.append(
                f"    {r['parameter']:<34} {r['ratio_at_low']:.2f} / {r['ratio_at_high']:.2f}"
            )
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - thin wrapper
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dictionary (without the draws; NaN becomes ``None``).

        Returns
        -------
        dict
            ``n_draws``, ``random_state`` (the seed), ``central``, ``prob_npv_positive`` (the
            chance that benefits exceed costs), ``prob_ratio_above_1``, the 90% and 95%
            percentile intervals of the SROI ratio and the NPV (``sroi_ratio_90``,
            ``npv_90``, ``sroi_ratio_95``, ``npv_95``), ``percentiles`` of every metric,
            ``parameters``, ``tornado``, ``scenarios``, ``switching_values`` and ``notes``.
        """
        f = json_value
        out: dict[str, Any] = {
            "n_draws": self.n_draws,
            "random_state": self.random_state,
            "central": {k: f(v) for k, v in self.central.items()},
            "prob_npv_positive": self.prob_npv_positive,
            "prob_ratio_above_1": self.prob_ratio_above_1,
        }
        for level in (90, 95):
            for metric in ("sroi_ratio", "npv"):
                lo, hi = self.interval(metric, level / 100)
                out[f"{metric}_{level}"] = [f(lo), f(hi)]
        return {
            **out,
            "percentiles": json_records(self.percentiles().reset_index(names="metric")),
            "parameters": json_records(self.parameters),
            "tornado": json_records(self.tornado),
            "scenarios": json_records(self.scenarios),
            "switching_values": json_records(self.switching_values),
            "notes": list(self.notes),
        }

    def plot_tornado(self, ax: Any = None, top: int = 10) -> Any:
        """Horizontal bar chart of the one-way sensitivity of the SROI ratio.

        Parameters
        ----------
        ax
            A matplotlib Axes (default: a new figure).
        top
            Number of parameters shown, largest swing first.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        t = self.tornado.head(top).iloc[::-1]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.4 * len(t) + 1.5))
        c = self.central["sroi_ratio"]
        lo = np.minimum(t["ratio_at_low"], t["ratio_at_high"])
        hi = np.maximum(t["ratio_at_low"], t["ratio_at_high"])
        ax.barh(t["parameter"], hi - lo, left=lo, color="#4472c4")
        ax.axvline(c, color="black", lw=1)
        ax.axvline(1.0, color="grey", lw=1, ls="--")
        ax.set_xlabel("SROI ratio (parameter at its 5th and 95th percentile)")
        return ax
