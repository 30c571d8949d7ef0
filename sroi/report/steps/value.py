"""Value the headline effects (:func:`sroi.value.run`, :func:`sroi.value.simulate`).

:func:`value_headline` gives the figures the report and ``results.json`` lead with: observed
and assumed values only (values that rely on a modelled chain are kept out).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from sroi.report.record import EvaluationResult

__all__ = ["value_headline"]


def value_headline(result: EvaluationResult, level: float = 0.95) -> dict[str, Any]:
    """Headline value figures (observed and assumed values only; modelled chains excluded).

    Parameters
    ----------
    result
        The evaluation (or a value re-run).
    level
        Level of the Monte Carlo percentile intervals.

    Returns
    -------
    dict
        ``sroi_ratio``, ``npv``, ``pv_benefits``, ``pv_costs``, ``payback_year``,
        ``financial_roi``, ``public_value_roi``, ``price_year``, ``sroi_interval`` and
        ``npv_interval`` (equal-tailed Monte Carlo percentile intervals at ``level``, None
        without a simulation) and, with a simulation, ``prob_npv_positive`` and ``n_draws``;
        empty when nothing was valued.
    """
    v, s = result.value, result.simulation
    if v is None:
        return {}
    out: dict[str, Any] = {
        "sroi_ratio": v.sroi_ratio,
        "npv": v.npv,
        "pv_benefits": v.pv_benefits,
        "pv_costs": v.pv_costs,
        "payback_year": v.payback_years,
        "financial_roi": v.financial_roi,
        "public_value_roi": v.public_value_roi,
        "price_year": v.price_year,
        "sroi_interval": None,
        "npv_interval": None,
    }
    if s is not None:
        out["sroi_interval"] = tuple(float(x) for x in s.interval("sroi_ratio", level))
        out["npv_interval"] = tuple(float(x) for x in s.interval("npv", level))
        out["prob_npv_positive"] = s.prob_npv_positive
        out["n_draws"] = s.n_draws
    return {
        k: (float(x) if isinstance(x, (np.floating, np.integer)) else x) for k, x in out.items()
    }
