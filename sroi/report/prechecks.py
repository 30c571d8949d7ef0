"""Every input check that runs before estimation: one implementation for ``validate`` and ``run``.

:func:`check_inputs` is what ``sroi validate`` runs and what the pipeline's first step
(:func:`sroi.report.steps.data.load_data`) runs, so a spec that validates cannot fail later
on an input problem. It reads and validates the data (:func:`sroi.data.load_evaluation_data`:
file formats, the design's columns, value types, plausibility, counted exclusions), refuses
designs that cannot support their inference (one cluster, fewer than two treated clusters,
an outcome with no variation), and checks the valuation section against the design and the
cost table (outcome names, cost ids, uncertainty parameter names), with "did you mean"
suggestions.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Collection

from sroi.data.loading import EvaluationData, load_evaluation_data
from sroi.errors import SroiInputError, SroiWarning
from sroi.spec import OutcomeSpec, Spec

__all__ = [
    "check_inputs",
    "check_inference",
    "check_matching",
    "check_valuation",
    "UNCERTAIN_KINDS",
]

UNCERTAIN_KINDS = {
    "effect": "outcome",
    "deadweight": "outcome",
    "gm_deadweight": "outcome",
    "displacement": "outcome",
    "attribution": "outcome",
    "drop_off": "outcome",
    "benefit_years": "outcome",
    "engagement": "outcome",
    "success": "outcome",
    "conversion": "conversion",
    "cost": "cost",
    "delivery_costs": "",
}
"""Kinds of ``valuation.uncertainty[].parameter`` (``kind:name``) and what ``name`` refers to."""


def check_inputs(
    spec: Spec, *, before_matching: Callable[[EvaluationData], None] | None = None
) -> tuple[EvaluationData, list[str]]:
    """Run every input check ``sroi run`` needs before estimating.

    Parameters
    ----------
    spec
        The validated spec.
    before_matching
        Called with the data once they are read and the design's inference is checked,
        before the matching (:func:`check_matching`, which matches the primary outcome's
        cohorts) and the valuation section are checked; the report hands its workers the
        estimates that need no matching there.

    Returns
    -------
    tuple of (EvaluationData, list of str)
        The validated data and one line per checked cost table (empty without valuation).

    Raises
    ------
    SroiInputError
        For any problem in the spec, the data or the cost table, naming the file or spec
        field and the bad value.
    """
    data = load_evaluation_data(spec)
    check_inference(spec, data)
    if before_matching is not None:
        before_matching(data)
    check_matching(spec, data)
    notes = check_valuation(spec) if spec.valuation is not None else []
    return data, notes


def check_inference(spec: Spec, data: EvaluationData) -> None:
    """Refuse a design whose inference would be fake: one cluster, < 2 treated clusters, no variation.

    Parameters
    ----------
    spec
        The spec.
    data
        The validated data.

    Raises
    ------
    SroiInputError
        When standard errors clustered on one (treated) cluster would be zero or undefined,
        or an outcome takes one value only.
    """
    r = data.roles
    field = "design.did.cluster" if spec.design.did.cluster else "data.columns.cluster"
    cluster = spec.design.did.cluster or r.cluster
    if cluster is not None:
        n_all = int(data.panel[cluster].nunique())
        treated = data.panel.loc[data.panel[r.cohort] > 0, cluster]
        n_treated = int(treated.nunique())
        if n_all < 2 or n_treated < 2:
            what = (
                f"every unit is in one cluster ({n_all} distinct value)"
                if n_all < 2
                else f"treated units are in {n_treated} cluster only"
            )
            raise SroiInputError(
                f"{field}: column {cluster!r}: {what}; standard errors clustered on it would "
                "be zero or meaningless, so no honest confidence interval exists. Add "
                "comparison and programme schools so there are at least 2 treated clusters, or "
                f"remove {field} to get unit-level standard errors (the report then says the "
                "errors are not clustered)."
            )
    _check_exact_strata(spec, data)
    _check_covariate_timing(spec, data)
    for i, o in enumerate(spec.design.outcomes):
        values = data.panel[o.column]
        if values.nunique() < 2:
            raise SroiInputError(
                f"design.outcomes[{i}] ({o.name}): column {o.column!r} takes one value only "
                f"({values.iloc[0]!r} in every row); there is no variation to estimate an "
                "effect on. Check the column, or remove the outcome from design.outcomes."
            )


def check_matching(spec: Spec, data: EvaluationData) -> None:
    """With a caliper or a common-support discard, match every cohort once before estimating.

    Only these options can leave a cohort with no comparison unit once the design's columns
    and strata are valid, and whether they do depends on the fitted matching distance, so the
    cohorts are matched exactly as ``sroi run`` matches them: the primary outcome's matched
    DiD is estimated here and kept for the report's headline (not estimated again). Without
    a caliper or discard this costs nothing.

    Raises
    ------
    SroiInputError
        Naming ``design.matching.caliper`` (or ``discard``), the cohort and the fix, when a
        cohort is left with no treated or no comparison unit.
    """
    from sroi.report.steps.headline import is_matched

    m = spec.design.matching
    if not is_matched(spec) or (m.caliper is None and m.discard == "none"):
        return
    primary = next(o for o in spec.design.outcomes if o.primary)
    with warnings.catch_warnings():
        # the run reports the matching's warnings with its results; here only refusal counts
        warnings.simplefilter("ignore", SroiWarning)
        _match_primary(spec, data, primary)


def _match_primary(spec: Spec, data: EvaluationData, outcome: OutcomeSpec) -> None:
    from sroi.report.steps.headline import matched_estimate
    from sroi.report.steps.matching import CachedMatcher
    from sroi.report.steps.school_design import prepare_design

    # the estimate the report's headline uses (kept in data.memo, so it is not computed again)
    data, spec, choice = prepare_design(data, spec)
    matched_estimate(
        data, spec, outcome, spec.seed, CachedMatcher.of_run(data), choice.whole_schools
    )


def _check_exact_strata(spec: Spec, data: EvaluationData) -> None:
    """With exact matching, some treated unit must share its stratum with a comparison unit."""
    m = spec.design.matching
    if m.method == "none" or not m.exact:
        return
    r = data.roles
    units = data.units
    treated = units[r.cohort] > 0
    keys = [tuple(row) for row in units[m.exact].astype(str).itertuples(index=False)]
    comparison = {k for k, t in zip(keys, treated, strict=True) if not t}
    if not any(k in comparison for k, t in zip(keys, treated, strict=True) if t):
        raise SroiInputError(
            f"design.matching.exact: {m.exact}: no treated unit shares its value(s) with any "
            "comparison unit, so matching would leave no comparison group. Check the columns, "
            "or remove them from design.matching.exact."
        )


def _check_covariate_timing(spec: Spec, data: EvaluationData) -> None:
    """``design.did.covariate_timing`` other than ``base`` fits the design and the data."""
    d = spec.design.did
    field = "design.did.covariate_timing"
    if d.covariate_timing == "base":
        return
    fix = f"or set {field}: base"
    if d.matched and spec.design.matching.method != "none":
        raise SroiInputError(
            f"{field}: {d.covariate_timing!r} applies to the unmatched design only; the matched "
            "design conditions on the matching characteristics at the period before "
            f"enrolment. Set design.did.matched: false {fix}"
        )
    if not d.covariates:
        raise SroiInputError(
            f"{field}: {d.covariate_timing!r} conditions on design.did.covariates, which is "
            f"empty; list the time-varying covariates {fix}"
        )
    r = data.roles
    by_unit = data.panel.groupby(r.unit)
    if not any(bool((by_unit[c].nunique() > 1).any()) for c in d.covariates):
        raise SroiInputError(
            f"{field}: none of design.did.covariates {list(d.covariates)} changes over time "
            f"within a {r.unit}, so there is no change to condition on; {fix}"
        )
    n_partial = int((by_unit[r.time].nunique() < data.panel[r.time].nunique()).sum())
    if d.allow_unbalanced_panel and n_partial:
        raise SroiInputError(
            f"{field}: {d.covariate_timing!r} needs each {r.unit}'s covariates in both periods "
            f"of every comparison, but {n_partial} are observed in only some periods and "
            "design.did.allow_unbalanced_panel is true; set design.did.allow_unbalanced_panel: "
            f"false (they are then dropped, counted) {fix}"
        )


def _unknown(name: str, known: Collection[str], what: str) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    shown = ", ".join(sorted(known)[:15]) + (" ..." if len(known) > 15 else "")
    return f"{name!r} is not {what}{hint}; known: {shown or 'none'}"


def check_valuation(spec: Spec) -> list[str]:
    """Check the valuation section against the design and the cost table.

    Outcome names (``valuation.outcomes[].outcome``, ``conversions[].from_outcome``) must be
    outcomes of ``design.outcomes`` (or assumed effects); every listed cost id must be a row
    of the cost file or a line of the unit-cost library; every
    ``valuation.uncertainty[].parameter`` must name a known kind and an existing outcome,
    conversion or cost id.

    Parameters
    ----------
    spec
        A spec with a valuation section.

    Returns
    -------
    list of str
        One line describing the cost table read.

    Raises
    ------
    SroiInputError
        Listing every problem, one per line, after a first line with the count.
    """
    from sroi.value import load_library, load_unit_costs

    v = spec.valuation
    if v is None:
        return []
    table = load_unit_costs(
        spec.resolve(v.cost_file),
        sheet=v.cost_sheet,
        deflators=spec.resolve(v.deflators) if v.deflators else None,
        grades=spec.resolve(v.confidence_grades) if v.confidence_grades else None,
    )
    cost_ids = set(table.ids) | set(map(str, load_library().index))
    estimated = {o.name for o in spec.design.outcomes}
    assumed = {a.outcome for a in v.assumed_effects}
    valued = {o.outcome for o in v.outcomes} | assumed
    conversions = {c.name for c in v.conversions}
    problems = [
        f"valuation.outcomes[{i}].outcome: "
        + _unknown(o.outcome, estimated, "an outcome in design.outcomes")
        for i, o in enumerate(v.outcomes)
        if o.outcome not in estimated
    ]
    problems += [
        f"valuation.conversions[{i}].from_outcome: "
        + _unknown(c.from_outcome, estimated | assumed, "an estimated or assumed outcome")
        for i, c in enumerate(v.conversions)
        if c.from_outcome not in estimated | assumed
    ]
    listed = [(f"valuation.outcomes[{i}].costs", o.costs or []) for i, o in enumerate(v.outcomes)]
    listed += [(f"valuation.conversions[{i}].costs", c.costs) for i, c in enumerate(v.conversions)]
    listed += [
        (f"valuation.assumed_effects[{i}].costs", a.costs or [])
        for i, a in enumerate(v.assumed_effects)
    ]
    problems += [
        f"{where}: {c!r} is not a cost id in {v.cost_file} nor a line of the unit-cost library"
        for where, ids in listed
        for c in ids
        if c not in cost_ids
    ]
    targets = {"outcome": valued, "conversion": conversions, "cost": cost_ids}
    for i, u in enumerate(v.uncertainty):
        kind, _, name = u.parameter.partition(":")
        where = f"valuation.uncertainty[{i}].parameter"
        if kind not in UNCERTAIN_KINDS:
            problems.append(f"{where}: kind {_unknown(kind, UNCERTAIN_KINDS, 'a parameter kind')}")
            continue
        target = UNCERTAIN_KINDS[kind]
        if not target and name:
            problems.append(f"{where}: {u.parameter!r}: {kind} takes no ':name'")
        elif target and name not in targets[target]:
            problems.append(f"{where}: {_unknown(name, targets[target], f'a {target} name')}")
    if problems:
        raise SroiInputError(
            f"{spec.path or 'spec'}: {len(problems)} problem(s) in the valuation section\n  "
            + "\n  ".join(problems)
        )
    return [f"unit costs: {len(table.ids)} rows from {v.cost_file}"]
