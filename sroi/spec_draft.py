"""A first evaluation spec for the user's own data (``sroi init NAME --data FILE``).

The commented template is kept as it is, except that its ``data:`` section and its list of
outcomes are replaced by the roles proposed from the user's file
(:func:`sroi.data.roles.propose_roles`). Every uncertain or missing choice carries a
``# CHECK:`` comment; ``sroi validate`` then names whatever is still wrong.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import yaml

from sroi.data.roles import RoleProposal
from sroi.errors import SroiInputError

__all__ = ["draft_spec"]


def _q(value: str) -> str:
    """A YAML scalar for a column name (JSON strings are valid YAML)."""
    return json.dumps(str(value))


def _flow(values: list[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def _role(name: str, column: str | None, placeholder: str, prop: RoleProposal) -> str:
    check = prop.checks.get(name)
    value = _q(column) if column else placeholder
    line = f"    {name}: {value}"
    return line + (f"   # CHECK: {check}" if check else "")


def _data_block(prop: RoleProposal, data_path: str, units_path: str | None) -> list[str]:
    lines = [
        "data:",
        f"  path: {_q(data_path)}   # proposed from this file by sroi init --data",
    ]
    if units_path:
        lines.append(f"  units: {_q(units_path)}")
    lines += [
        "  columns:                           # which column plays which role",
        _role("unit", prop.unit, "pupil_id", prop),
        _role("time", prop.time, "term", prop),
        _role("cohort", prop.cohort, "cohort", prop),
    ]
    if prop.treatment:
        lines.append(f"    treatment: {_q(prop.treatment)}   # CHECK: must agree with cohort")
    if prop.cluster:
        lines.append(f"    cluster: {_q(prop.cluster)}")
    else:
        lines.append(f"    # cluster: school_id   # CHECK: {prop.checks['cluster']}")
    cov_note = prop.checks.get("covariates", "")
    lines.append(
        f"    covariates: {_flow(prop.covariates)}"
        + (f"   # CHECK: {cov_note}" if cov_note else "")
    )
    lines.append(f"    categorical: {_flow(prop.categorical)}")
    if prop.dates:
        lines.append(
            f"  # CHECK: date columns {', '.join(prop.dates)} are not used directly; turn dates "
            "into terms with sroi.data.prepare"
        )
    lines.append("  missing: drop                      # drop (count and report) | error")
    return lines


def _outcome_block(prop: RoleProposal) -> list[str]:
    lines = ["  outcomes:                          # exactly one primary outcome"]
    if not prop.outcomes:
        return [
            *lines,
            f"    # CHECK: {prop.checks['outcomes']}",
            "    - name: attendance",
            "      column: attendance_rate",
            "      type: rate",
            "      direction: increase",
            "      primary: true",
        ]
    for i, o in enumerate(prop.outcomes):
        check = prop.checks.get("outcomes") if i == 0 else None
        lines += [
            f"    - name: {_q(o.name)}" + (f"   # CHECK: {check}" if check else ""),
            f"      column: {_q(o.column)}",
            f"      type: {o.type}   # CHECK: rate (0-1) | binary (0/1) | count | continuous",
            f"      direction: {o.direction}   # CHECK: which direction is good",
            f"      label: {_q(o.label)}",
        ]
        if o.primary:
            lines.append("      primary: true")
    return lines


def _replace_block(text: list[str], start: str, end: str, block: list[str]) -> list[str]:
    try:
        i = next(k for k, line in enumerate(text) if line.startswith(start))
        j = next(k for k in range(i + 1, len(text)) if text[k].startswith(end))
    except StopIteration:
        raise SroiInputError(
            f"the spec template has no {start.strip()!r} section followed by {end.strip()!r}; "
            "reinstall sroi"
        ) from None
    return [*text[:i], *block, "", *text[j:]]


def _comment_block(text: list[str], start: str, end: str, note: str) -> list[str]:
    """The lines from ``start`` up to ``end`` commented out, after a ``# CHECK`` note."""
    i = next((k for k, line in enumerate(text) if line.startswith(start)), None)
    if i is None:
        return text
    j = next((k for k in range(i + 1, len(text)) if text[k].startswith(end)), len(text))
    block = [f"# {line}" if line.strip() else line for line in text[i:j]]
    return [*text[:i], note, *block, *text[j:]]


def _without_pool_column(prop: RoleProposal, template: str) -> RoleProposal:
    """Leave the template's comparison-pool column out of the proposed covariates.

    The pool column (e.g. ``programme_school``) is constant among comparison units and
    differs for participants, so as a matching covariate it would separate the two groups
    perfectly and leave no comparison unit on common support.
    """
    pool = (yaml.safe_load(template).get("design") or {}).get("comparison_pool") or {}
    column = pool.get("column")
    if column not in prop.covariates:
        return prop
    return replace(
        prop,
        covariates=[c for c in prop.covariates if c != column],
        categorical=[c for c in prop.categorical if c != column],
    )


def draft_spec(
    template: str, name: str, prop: RoleProposal, data_path: Path, units_path: Path | None
) -> str:
    """The template spec with the data section and outcomes proposed from the user's file.

    Parameters
    ----------
    template
        Text of ``templates/evaluation.yaml``.
    name
        The evaluation's name.
    prop
        Proposed roles.
    data_path, units_path
        Paths written into the spec (relative to the spec's folder where possible).

    Returns
    -------
    str
        The spec text (YAML with comments).
    """
    lines = template.replace("__EVALUATION_NAME__", name).splitlines()
    prop = _without_pool_column(prop, template)
    lines = _replace_block(
        lines,
        "data:",
        "design:",
        _data_block(prop, str(data_path), None if units_path is None else str(units_path)),
    )
    lines = _replace_block(lines, "  outcomes:", "  multiplicity:", _outcome_block(prop))
    # the template's valuation names the template's outcomes: commented out until the user
    # chooses how each of theirs is valued (sroi rejects values counted twice)
    lines = _comment_block(
        lines,
        "valuation:",
        "report:",
        "# CHECK: value for money: uncomment the valuation section and list your outcomes in "
        "valuation.outcomes with their unit costs (unit_costs.xlsx or library ids)",
    )
    return "\n".join(lines) + "\n"
