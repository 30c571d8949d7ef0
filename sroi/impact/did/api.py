"""Entry point of the regression DiD estimators: :func:`did` (static TWFE or the classic 2x2).

``did(design="twfe")`` is :func:`sroi.impact.did.twfe.did_twfe`; ``did(design="2x2")`` is
:func:`sroi.impact.did.two_by_two.did_2x2`; inference (CR1, CR2, wild cluster bootstrap) is
:mod:`sroi.impact.did.clustered`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from sroi._checks import check_choice, check_number, check_random_state
from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.impact.did.clustered import clusters_arg
from sroi.impact.did.twfe import did_twfe
from sroi.impact.did.two_by_two import did_2x2

__all__ = ["did"]


def did(
    panel: pd.DataFrame,
    *,
    outcome: str,
    unit: str | None,
    time: str,
    cohort: str | None = None,
    covariates: list[str] | None = None,
    cluster: str | list[str] | None = None,
    weights: str | None = None,
    vcov: Literal["cluster", "CR2", "wild"] = "cluster",
    n_boot: int = 999,
    random_state: int | np.random.Generator | None = None,
    treatment: str | None = None,
    design: Literal["twfe", "2x2"] = "twfe",
    post: str | int | None = None,
    level: float = 0.95,
    boot_weights: Literal["rademacher", "webb"] = "rademacher",
    engine: Literal["auto", "linearmodels", "within"] = "auto",
) -> Effect:
    """Difference-in-differences effect: static two-way fixed effects or the classic 2x2.

    Parameters
    ----------
    panel
        Long data, one row per unit and period (or per observation for repeated
        cross-sections with ``design="2x2"``).
    outcome, unit, time
        Column names. ``time`` must hold integer periods. ``unit`` may be ``None`` only for
        a repeated cross-section 2x2 (then each row is its own cluster unless ``cluster``).
    cohort
        First treated period per unit, 0 for never treated.
    treatment
        Alternative to ``cohort``. TWFE: a 0/1 row indicator that switches on once and
        stays on. 2x2: the 0/1 *group* indicator (treated group, constant over time).
    covariates
        Numeric control columns. In TWFE, time-invariant covariates are absorbed by the
        unit effects; they are dropped and noted.
    cluster
        Cluster column (default ``unit``), or a list of two for two-way clustering
        (Cameron, Gelbach & Miller 2011; ``vcov="cluster"`` only).
    weights
        Column of observation weights (e.g. matching weights); zero-weight rows are dropped
        and counted.
    vcov
        ``"cluster"`` (CR1), ``"CR2"`` (Bell-McCaffrey with Satterthwaite df) or ``"wild"``
        (wild cluster restricted bootstrap; ``n_boot``, ``random_state``, ``boot_weights``;
        ``random_state`` is a whole number >= 0, a numpy Generator or ``None``).
        With weights, CR2 uses the working model ``Phi = I`` (clubSandwich's default) when
        weights are constant within units (e.g. matching weights) or for the 2x2, and
        ``Phi = W^{-1}`` otherwise (noted on the result).
    design
        ``"twfe"`` or ``"2x2"``.
    engine
        TWFE point estimate from ``linearmodels.PanelOLS`` or from sroi's own weighted
        within-unit solve (``"within"``, identical to 1e-8 and several times faster: use it
        in simulations). ``"auto"`` (default) is the within solve; ``"linearmodels"`` also
        fits PanelOLS and checks the two agree. Inference always uses the within design.
    post
        2x2 only: a 0/1 column marking post-period rows, or the first post period (rows
        with ``time >= post``). Default: the single treated cohort's first period.

    Returns
    -------
    Effect
        With ``cluster``, ``n_clusters``, ``n_treated_clusters`` (clusters containing a
        treated observation), ``ci_type``, and notes on every excluded row. A
        :class:`SroiWarning` is raised when there are fewer than 10 treated clusters.
    """
    _check_options(design, vcov, cluster, engine, level, random_state)
    covariates = list(covariates or [])
    clusters = clusters_arg(cluster, unit)
    if design == "twfe":
        if unit is None:
            raise SroiInputError(
                "design='twfe' needs unit=; use design='2x2' for repeated cross-sections"
            )
        return did_twfe(
            panel,
            outcome=outcome,
            unit=unit,
            time=time,
            cohort=cohort,
            treatment=treatment,
            covariates=covariates,
            clusters=clusters,
            weights=weights,
            vcov=vcov,
            n_boot=n_boot,
            random_state=random_state,
            level=level,
            boot_weights=boot_weights,
            engine=engine,
        )
    return did_2x2(
        panel,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        treatment=treatment,
        covariates=covariates,
        clusters=clusters,
        weights=weights,
        vcov=vcov,
        n_boot=n_boot,
        random_state=random_state,
        post=post,
        level=level,
        boot_weights=boot_weights,
    )


def _check_options(
    design: str,
    vcov: str,
    cluster: str | list[str] | None,
    engine: str,
    level: float,
    random_state: object,
) -> None:
    check_choice(design, ("twfe", "2x2"), "design")
    check_choice(vcov, ("cluster", "CR2", "wild"), "vcov")
    if vcov != "cluster" and not (cluster is None or isinstance(cluster, str) or len(cluster) == 1):
        raise SroiInputError(
            f"vcov={vcov!r} supports one cluster variable; got {cluster}. Use vcov='cluster' "
            "for two-way clustering"
        )
    check_choice(engine, ("auto", "linearmodels", "within"), "engine")
    check_number(level, "level", minimum=0.0, maximum=1.0, exclusive=True)
    check_random_state(random_state)
