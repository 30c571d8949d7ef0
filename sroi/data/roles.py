"""Propose column roles for a new evaluation from the user's own data file.

``sroi init NAME --data FILE`` reads the file, proposes which column is the unit identifier,
the period, the cohort, the cluster, which are outcomes (with their type) and which are
covariates, and marks every uncertain choice for the user to confirm. Nothing here is final:
the proposal is written into the spec as YAML with ``# CHECK`` comments, and
``sroi validate`` then says what is still missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["OutcomeProposal", "RoleProposal", "propose_roles"]

_UNIT = re.compile(
    r"^(pupil|child|person|student|learner|young_?person|case)?_?(id|upn|ref|no|number)$"
)
_TIME = ("term", "period", "time", "wave", "term_index", "term_number", "t")
_COHORT = ("cohort", "first_term", "start_term", "cohort_term", "first_treated", "first_period")
_TREATMENT = ("enrolled", "treated", "treatment", "participant", "in_programme", "programme_flag")
_CLUSTER = re.compile(r"^(school(_?id)?|urn|laestab|setting(_id)?|school_urn)$")
#: outcome keywords -> (direction, label). Direction is what a programme hopes for.
_OUTCOMES = {
    "attendance": ("increase", "Attendance"),
    "persistent_absence": ("decrease", "Persistent absence"),
    "absence": ("decrease", "Absence"),
    "suspension": ("decrease", "Suspensions"),
    "fixed_term_exclusion": ("decrease", "Suspensions"),
    "permanent_exclusion": ("decrease", "Permanent exclusion"),
    "exclusion": ("decrease", "Exclusions"),
    "camhs": ("decrease", "CAMHS referral"),
    "csc": ("decrease", "Children's social care referral"),
    "social_care": ("decrease", "Children's social care referral"),
    "referral": ("decrease", "Referral"),
    "neet": ("decrease", "Not in education, employment or training"),
    "attainment": ("increase", "Attainment"),
}


@dataclass(frozen=True)
class OutcomeProposal:
    """A proposed outcome: its column, type, direction and whether it is the primary one."""

    name: str
    column: str
    type: str
    direction: str
    label: str
    primary: bool
    certain: bool


@dataclass
class RoleProposal:
    """Proposed column roles, with a note on every choice the user must confirm.

    Attributes
    ----------
    unit, time, cohort, treatment, cluster
        Proposed column names (``None`` where nothing fits).
    outcomes
        Proposed outcomes, primary first.
    covariates, categorical
        Proposed matching covariates and which of them to expand into indicators.
    dates
        Columns holding dates (to be turned into terms with :mod:`sroi.data.prepare`).
    checks
        ``{role: note}`` for each uncertain or missing choice.
    """

    unit: str | None = None
    time: str | None = None
    cohort: str | None = None
    treatment: str | None = None
    cluster: str | None = None
    outcomes: list[OutcomeProposal] = field(default_factory=list)
    covariates: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    checks: dict[str, str] = field(default_factory=dict)


def _norm(name: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _is_date(s: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return False
    sample = s.dropna().astype(str).head(50)
    if sample.empty:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="ISO8601")
    return bool(parsed.notna().mean() > 0.9 and sample.str.len().min() >= 8)


def _value_type(s: pd.Series) -> str | None:
    """The outcome type from the values: rate, binary, count or continuous (None: not numeric)."""
    x = pd.to_numeric(s, errors="coerce")
    if x.notna().mean() < 0.95:
        return None
    v = x.dropna().to_numpy(dtype=float)
    if v.size == 0:
        return None
    if np.isin(v, (0.0, 1.0)).all():
        return "binary"
    if (v >= 0).all() and (v <= 1).all():
        return "rate"
    if (v >= 0).all() and np.allclose(v, np.round(v)):
        return "count"
    return "continuous"


def _first(columns: dict[str, str], names: tuple[str, ...]) -> str | None:
    for n in names:
        if n in columns:
            return columns[n]
    return None


def _pick_unit(frame: pd.DataFrame, columns: dict[str, str]) -> tuple[str | None, str | None]:
    ids = [c for k, c in columns.items() if _UNIT.match(k) and not _CLUSTER.match(k)]
    if not ids:
        return None, "no identifier column recognised (e.g. pupil_id, upn): name it here"
    best = max(ids, key=lambda c: frame[c].nunique())
    note = None if len(ids) == 1 else f"several id-like columns ({', '.join(ids)}): is it {best}?"
    return best, note


def _varies_within_units(frame: pd.DataFrame, unit: str | None, col: str) -> bool:
    """Whether the column changes over time for some unit (always True outside a long panel)."""
    if unit is None or not frame[unit].duplicated().any():
        return True
    return bool((frame.groupby(unit)[col].nunique(dropna=False) > 1).any())


def _outcomes(
    frame: pd.DataFrame, columns: dict[str, str], taken: set[str], unit: str | None
) -> list[OutcomeProposal]:
    found = []
    for key, col in columns.items():
        if col in taken or not _varies_within_units(frame, unit, col):
            continue  # a characteristic fixed for each pupil is not an outcome
        match = next((kw for kw in _OUTCOMES if kw in key), None)
        if match is None:
            continue
        kind = _value_type(frame[col])
        if kind is None:
            continue
        direction, label = _OUTCOMES[match]
        found.append((key, col, kind, direction, label))
    # attendance first: the usual primary outcome of a school programme
    found.sort(key=lambda f: (not f[0].startswith("attendance"), f[0]))
    return [
        OutcomeProposal(
            name=key,
            column=col,
            type=kind,
            direction=direction,
            label=label,
            primary=i == 0,
            certain=key.startswith("attendance") and kind == "rate",
        )
        for i, (key, col, kind, direction, label) in enumerate(found)
    ]


def _covariates(
    frame: pd.DataFrame, unit: str | None, taken: set[str]
) -> tuple[list[str], list[str]]:
    covs, cats = [], []
    for col in frame.columns:
        if col in taken:
            continue
        s = frame[col]
        if (
            _varies_within_units(frame, unit, col)
            and unit is not None
            and frame[unit].duplicated().any()
        ):
            continue  # in a long panel, a covariate must not change within a unit
        if not pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            if s.nunique() <= 20:
                covs.append(str(col))
                cats.append(str(col))
        elif pd.api.types.is_numeric_dtype(s):
            covs.append(str(col))
    return covs, cats


def propose_roles(frame: pd.DataFrame, units: pd.DataFrame | None = None) -> RoleProposal:
    """Propose column roles for a pupil x period panel (and optional one-row-per-unit table).

    Parameters
    ----------
    frame
        The panel (or any table the user has).
    units
        Optional table of unit characteristics, joined on the unit id.

    Returns
    -------
    RoleProposal
        The proposal, with ``checks`` naming every choice to confirm or fill in.
    """
    data = frame if units is None else frame.merge(units, how="left", suffixes=("", "_units"))
    columns = {_norm(c): str(c) for c in data.columns}
    prop = RoleProposal()
    prop.unit, note = _pick_unit(data, columns)
    if note:
        prop.checks["unit"] = note
    prop.dates = [str(c) for c in data.columns if _is_date(data[c])]
    prop.time = _first(columns, _TIME)
    if prop.time is None:
        hint = f" (dates found: {', '.join(prop.dates)})" if prop.dates else ""
        prop.checks["time"] = (
            "no period column (term 1, 2, 3, ...) found"
            + hint
            + ": make one with sroi.data.prepare.terms_from_dates"
        )
    prop.cohort = _first(columns, _COHORT)
    if prop.cohort is None:
        prop.checks["cohort"] = (
            "no cohort column (first treated period, 0 = never): make one with "
            "sroi.data.prepare.cohort_from_enrolment"
        )
    prop.treatment = _first(columns, _TREATMENT)
    prop.cluster = next((c for k, c in columns.items() if _CLUSTER.match(k)), None)
    if prop.cluster is None:
        prop.checks["cluster"] = "no school column found: standard errors need the school"
    taken = {c for c in (prop.unit, prop.time, prop.cohort, prop.treatment, prop.cluster) if c}
    taken |= set(prop.dates)
    prop.outcomes = _outcomes(data, columns, taken, prop.unit)
    if not prop.outcomes:
        prop.checks["outcomes"] = "no outcome column recognised: list your outcomes here"
    elif not prop.outcomes[0].certain:
        prop.checks["outcomes"] = f"is {prop.outcomes[0].column} the primary outcome?"
    taken |= {o.column for o in prop.outcomes}
    prop.covariates, prop.categorical = _covariates(data, prop.unit, taken)
    if prop.covariates:
        prop.checks["covariates"] = (
            "covariates must be recorded before enrolment; remove any that the programme "
            "could have changed"
        )
    return prop
