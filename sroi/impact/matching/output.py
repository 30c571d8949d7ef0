"""What every matching method returns to :func:`sroi.match`: :class:`MethodOutput`.

Each method module (``nearest``, ``cem``, ``exact``, ``weighting``) works on the rows kept
after validation (:class:`~sroi.impact.matching.validate.Sample`) and returns one
:class:`MethodOutput`; :mod:`sroi.impact.matching.assemble` turns it into the
:class:`~sroi.impact.matching.result.MatchResult` (weights of every input row, counted
exclusions, estimand). Row status is a code into :data:`STATUS`, so exclusions are counted
the same way for every method.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["STATUS", "MethodOutput", "status_code"]

STATUS: tuple[str, ...] = (
    "matched",
    "missing covariate values",
    "discarded (outside common support)",
    "no control in exact stratum",
    "no control within caliper",
    "no control left to match",
    "not selected as a match",
    "no match in coarsened stratum",
    "no match in exact stratum",
)
"""Why a row has (or lacks) weight; the order is the order of :attr:`MatchResult.exclusions`."""


def status_code(reason: str) -> int:
    """Code of ``reason`` in :data:`STATUS`."""
    return STATUS.index(reason)


@dataclass(frozen=True)
class MethodOutput:
    """Weights and matched sets of one matching method, for the rows kept after validation.

    Attributes
    ----------
    weights
        Weight of every kept row (0 = unused).
    status
        Code into :data:`STATUS` for every kept row (0 = matched).
    label
        Human-readable description of the design, e.g. ``"1:1 nearest-neighbour ..."``.
    estimand
        ``"ATT"`` or ``"ATE"`` (before treated units without weight are accounted for).
    subclass
        Matched set (or stratum) number of every kept row, 0 for none; ``None`` when the
        method has no matched sets (weighting, matching with replacement).
    distance
        The distance (propensity score or its linear predictor) of every kept row, or
        ``None`` for Mahalanobis, CEM, exact matching and entropy balancing.
    discarded
        Rows discarded by the common-support rule (nearest neighbour only).
    pairs
        One row per (treated, control) match, nearest neighbour only.
    replace, ratio
        Matching with replacement and the number of controls per treated unit.
    info
        Method details (caliper widths, number of strata, ...).
    warnings
        Messages for the user about this design (issued by :func:`sroi.match`).
    """

    weights: np.ndarray
    status: np.ndarray
    label: str
    estimand: str
    subclass: np.ndarray | None = None
    distance: np.ndarray | None = None
    discarded: np.ndarray | None = None
    pairs: pd.DataFrame | None = None
    replace: bool = True
    ratio: int = 1
    info: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
