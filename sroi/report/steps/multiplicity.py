"""Step 5: adjusted p-values for the secondary outcomes; the primary outcome is unadjusted.

Holm (1979) step-down or Benjamini & Hochberg (1995), as the spec's ``design.multiplicity``
says (:func:`sroi.impact.inference.multiplicity.adjust_secondary`).
"""

from __future__ import annotations

import pandas as pd

from sroi.impact.inference.multiplicity import adjust_secondary
from sroi.report.record import OutcomeResult
from sroi.spec import Spec

__all__ = ["adjust_multiplicity"]

#: Why there is no adjustment when the primary outcome could not be estimated.
NO_PRIMARY = "needs the primary outcome's estimate"


def adjust_multiplicity(outcomes: dict[str, OutcomeResult], spec: Spec) -> pd.DataFrame | None:
    """Holm / Benjamini-Hochberg adjusted p-values for secondary outcomes (primary unadjusted).

    Sets ``p_adjusted`` and ``adjustment`` on each estimated outcome.

    Parameters
    ----------
    outcomes
        The outcomes' results.
    spec
        The spec (``design.multiplicity``, ``design.primary_outcome``).

    Returns
    -------
    DataFrame or None
        One row per estimated outcome (``outcome, role, estimate, std_error, p_value,
        p_adjusted, adjustment``); None when the primary outcome has no estimate
        (:data:`NO_PRIMARY`).
    """
    effects = {k: o.headline for k, o in outcomes.items() if o.headline is not None}
    primary = spec.design.primary_outcome.name
    if primary not in effects:
        return None
    table = adjust_secondary(effects, primary, method=spec.design.multiplicity)
    for row in table.itertuples():
        o = outcomes[str(row.outcome)]
        o.p_adjusted = None if pd.isna(row.p_adjusted) else float(row.p_adjusted)
        o.adjustment = str(row.adjustment)
    return table
