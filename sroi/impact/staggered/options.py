"""Option checks shared by plain and matched staggered DiD."""

from __future__ import annotations

from typing import Any

import numpy as np

from sroi._checks import check_choice, check_int, check_number, check_random_state, check_seed
from sroi.errors import SroiInputError
from sroi.impact.staggered.drdid import ESTIMATORS

__all__ = [
    "COVARIATE_TIMINGS",
    "bootstrap_seed",
    "check_covariate_timing",
    "check_options",
    "check_unbalanced_options",
    "cluster_reason",
]

COVARIATE_TIMINGS = ("base", "change", "both")
"""Values of ``covariate_timing``: base-period levels (R ``did``), their change, or both."""

_CONTROL_GROUPS = {
    "never_treated": "never_treated",
    "nevertreated": "never_treated",
    "never": "never_treated",
    "not_yet_treated": "not_yet_treated",
    "notyettreated": "not_yet_treated",
    "not_yet": "not_yet_treated",
}


def check_options(
    control_group: str, estimator: str, base_period: str, anticipation: Any, n_boot: Any, level: Any
) -> str:
    """Check the design options and return the control group's canonical name.

    ``control_group`` accepts R ``did``'s spellings (``"nevertreated"``, ``"notyettreated"``).
    """
    cg = _CONTROL_GROUPS.get(str(control_group).lower())
    if cg is None:
        raise SroiInputError(
            f"control_group must be 'never_treated' or 'not_yet_treated'; got {control_group!r}"
        )
    check_choice(estimator, ESTIMATORS, "estimator")
    check_choice(base_period, ("varying", "universal"), "base_period")
    check_int(anticipation, "anticipation", minimum=0)
    check_int(n_boot, "n_boot", minimum=0)
    check_number(level, "level", minimum=0.0, maximum=1.0, exclusive=True)
    return cg


def check_unbalanced_options(allow_unbalanced_panel: Any) -> None:
    """``allow_unbalanced_panel`` is a bool (its combinations are checked on the data)."""
    if not isinstance(allow_unbalanced_panel, bool | np.bool_):
        raise SroiInputError(
            f"allow_unbalanced_panel must be True or False; got {allow_unbalanced_panel!r}"
        )


def check_covariate_timing(
    timing: str, X: np.ndarray | None, unbalanced: bool, estimator: str
) -> None:
    """Refuse a ``covariate_timing`` or estimator the prepared panel cannot support.

    Parameters
    ----------
    timing
        ``"base"``, ``"change"`` or ``"both"``.
    X
        The covariates ``n x T x k`` (``None`` without covariates).
    unbalanced
        Whether units observed in only some periods were kept (``allow_unbalanced_panel``).
    estimator
        The 2x2 estimator.
    """
    if unbalanced and estimator == "dr_imp":
        raise SroiInputError(
            "estimator='dr_imp' has no repeated cross-section version, so it cannot be used "
            "on an unbalanced panel with allow_unbalanced_panel=True; use estimator='dr' "
            "(R did's default) or balance the panel"
        )
    if timing == "base":
        return
    if X is None:
        raise SroiInputError(
            f"covariate_timing={timing!r} conditions on covariates, but no covariates were "
            "given; pass covariates=[...] or leave covariate_timing='base'"
        )
    if unbalanced:
        raise SroiInputError(
            f"covariate_timing={timing!r} needs each unit's covariates in both periods of "
            "every 2x2, which an unbalanced panel does not have; on an unbalanced panel each "
            "observation's own covariates are used (covariate_timing='base'), or balance the "
            "panel (allow_unbalanced_panel=False)"
        )
    if np.all(X == X[:, :1, :]):
        raise SroiInputError(
            f"covariate_timing={timing!r}: no covariate changes over time (each is constant "
            "within every unit), so there is no change to condition on; use "
            "covariate_timing='base'"
        )


def bootstrap_seed(random_state: Any, n_boot: int) -> int | None:
    """Seed of the bootstrap multipliers (``None`` without bootstrap).

    ``random_state`` is checked either way (a whole number >= 0, a Generator or ``None``).
    """
    if n_boot > 0:
        return check_seed(random_state)
    check_random_state(random_state)
    return None


def cluster_reason(G: np.ndarray, codes: np.ndarray | None, cluster: str | None, unit: str) -> str:
    """One sentence: the level the standard errors are clustered at, and why.

    Parameters
    ----------
    G
        Cohort of each unit (0 = never treated).
    codes
        Cluster code of each unit (``None``: clustered on the unit).
    cluster, unit
        Column names.
    """
    if codes is None:
        return (
            f"standard errors are clustered on the unit ({unit}) because no coarser cluster "
            "was given; if the programme is assigned by school, cluster on the school"
        )
    treated = G > 0
    n_tc = int(np.unique(codes[treated]).size)
    whole = all(np.all(G[codes == c] == G[codes == c][0]) for c in np.unique(codes[treated]))
    if whole:
        return (
            f"standard errors are clustered on {cluster}, the level at which the programme "
            f"is assigned (all units of each of the {n_tc} programme clusters share a cohort)"
        )
    return (
        f"standard errors are clustered on {cluster}, the level at which the programme is "
        f"assigned: treated units are enrolled within {n_tc} programme clusters and share "
        "their cluster's shocks, so the treated clusters, not the units, are independent"
    )
