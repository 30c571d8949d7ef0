"""The long panel the regression DiD estimators use, built with a Panel (rows, not units).

Rows with a missing outcome, covariate, cluster or weight, and rows with zero weight (e.g.
unmatched in a matched sample) are dropped and counted by reason; for the TWFE designs, units
treated from their first observed period have no pre-period and are dropped and counted.
Missing periods, unit ids or cohorts are errors.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sroi.data.panel import Panel
from sroi.errors import SroiInputError

__all__ = ["FIRST_PERIOD_TREATED", "did_panel"]

FIRST_PERIOD_TREATED = "treated from the first observed period (no pre-period)"
"""Exclusion reason of units treated from their first observed period."""


def did_panel(
    frame: pd.DataFrame,
    *,
    outcome: str,
    unit: str | None,
    time: str,
    cohort: str | None = None,
    treatment: str | None = None,
    covariates: Sequence[str] = (),
    clusters: Sequence[str] = (),
    weights: str | None = None,
    extra: Sequence[str] = (),
    panel_design: bool = True,
) -> Panel:
    """Validate a long panel for :func:`sroi.did`, the event study or the Bacon decomposition.

    Parameters
    ----------
    frame
        Long data.
    outcome, unit, time
        Column names (``unit`` may be ``None`` for a repeated cross-section).
    cohort
        First treated period (0 = never treated).
    treatment
        With ``panel_design``: a 0/1 row indicator that switches on once and stays on (the
        cohort is derived from it). Otherwise the 0/1 treated-group indicator of a 2x2.
    covariates, clusters, weights
        Numeric controls, cluster columns and a weight column.
    extra
        Further columns to keep.
    panel_design
        TWFE-type designs: unit ids are required, the cohort must be constant within a
        unit and units treated from their first observed period are dropped. ``False`` for
        the 2x2 regression.

    Returns
    -------
    Panel
        Rows kept, with exclusions counted by reason.
    """
    if cohort is None and treatment is None:
        raise SroiInputError(
            "give either cohort= (first treated period, 0 = never treated) "
            "or treatment= (a 0/1 column)"
        )
    p = Panel(
        frame,
        unit=unit,
        time=time,
        cohort=cohort,
        treatment=treatment,
        outcomes=[outcome],
        covariates=covariates,
        clusters=clusters,
        weights=weights,
        extra=extra,
    )
    p.require_complete(time, "Every row needs a period.")
    if panel_design and unit is not None:
        p.require_complete(unit, "Every row needs a unit id.", problem="missing unit ids")
    p.check_unique()
    for c, what in ((outcome, "the outcome"), *((c, "a covariate") for c in covariates)):
        p.to_numeric(c, what)
    if weights is not None:
        p.to_numeric(weights, "the weights")
    _timing(p, panel_design)
    for c in [outcome, *covariates, *clusters, *([weights] if weights else [])]:
        p.drop_incomplete(c, f"missing {c}")
    if weights is not None:
        p.check_weights(finite=True)
        p.drop_rows(p.data[weights].to_numpy() == 0, f"zero weight in {weights}", weights)
    if panel_design and unit is not None:
        p.drop_treated_from_start(FIRST_PERIOD_TREATED, per_unit=True)
    if p.data.empty:
        raise SroiInputError("no rows left after removing missing values and exclusions")
    return p


def _timing(p: Panel, panel_design: bool) -> None:
    """Check the cohort column, or derive it from a switching 0/1 treatment."""
    if p.cohort is not None:
        p.require_complete(p.cohort, "Use 0 for never-treated units.")
        if panel_design:
            p.check_constant(p.cohort)
        p.check_cohorts_are_periods()
    elif panel_design:
        p.cohort_from_treatment()
    else:
        assert p.treatment is not None
        p.check_binary(p.treatment)
