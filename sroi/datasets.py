"""Shipped datasets: the synthetic sample panel and the sample unit-cost table.

Both are synthetic or illustrative where they say so in the data itself; see
``data_samples/impact_programmes/README.md`` (the data dictionary) and the ``source``
column of ``data_samples/unit_costs.csv``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sroi import resources

if TYPE_CHECKING:  # pragma: no cover
    from sroi.value import UnitCostTable

__all__ = ["dated_records", "impact_programmes", "sample_dir", "truth", "unit_costs"]


def sample_dir() -> Path:
    """Folder of the shipped sample data (``data_samples/`` in the repository).

    Returns
    -------
    pathlib.Path
        The folder, read through :mod:`sroi.resources` (the same in a source checkout and in
        an installed wheel).
    """
    return resources.bundled("data_samples")


def impact_programmes(potential_outcomes: bool = False) -> pd.DataFrame:
    """The synthetic pupil x term panel of a school-based early-help programme.

    One row per pupil and term (9 terms), with the pupil's characteristics (frozen at their
    pre-enrolment values) joined on. ``cohort`` is the first enrolled term, 0 for pupils never
    enrolled. The data are synthetic; true effects are in
    ``data_samples/impact_programmes/truth.json``.

    Parameters
    ----------
    potential_outcomes
        If True, regenerate the panel with each outcome's untreated potential outcome
        (``<outcome>_y0``) so that estimators can be checked against the truth.

    Returns
    -------
    pandas.DataFrame
        One row per pupil and term.
    """
    from sroi.data import synthetic

    if potential_outcomes:
        pupils, panel = synthetic.generate(return_potential=True)
    else:
        pupils, panel = synthetic.load_sample()
    return panel.merge(pupils, on="pupil_id", how="left", validate="many_to_one")


def truth() -> dict[str, Any]:
    """True effects of the synthetic sample (``truth.json``).

    ATT(g,t) and its simple, group, dynamic and calendar aggregations per outcome, for the
    sample (SATT) and the population the generator draws from (PATT), plus the generator's
    design and seed.
    """
    from sroi.data import synthetic

    return synthetic.load_truth()


def unit_costs() -> UnitCostTable:
    """The sample programme's unit-cost table (``data_samples/unit_costs.csv``)."""
    from sroi.value import load_unit_costs

    return load_unit_costs(sample_dir() / "unit_costs.csv")


def dated_records() -> dict[str, pd.DataFrame]:
    """The synthetic sample as dated extracts, the way a council's systems hold them.

    Enrolment dates, termly possible and attended sessions, and dated suspensions, referrals
    and permanent exclusions (see :func:`sroi.data.synthetic_records.dated_records`): the
    worked example for :mod:`sroi.data.prepare`. Synthetic: no row describes a real child.

    Returns
    -------
    dict of pandas.DataFrame
        ``pupils``, ``enrolments``, ``attendance``, ``suspensions``, ``camhs_referrals``,
        ``csc_referrals``, ``permanent_exclusions``.
    """
    from sroi.data import synthetic
    from sroi.data.synthetic_records import dated_records as make

    pupils, panel = synthetic.load_sample()
    return make(pupils, panel, random_state=0)
