"""Cross-table suppression: the cohorts hidden in every per-cohort table of one output.

One output shows the same cohorts in several tables: pupils enrolled per cohort (programme
table, matching table, the matched DiD's cohort summary), matched pupils per cohort (matching
table, cohort summary, the pupils behind each cohort's estimate) and matched comparison pupils
per cohort. Each group of columns counts one quantity, and each column adds up to a total
that is shown (participants; the pupils behind the headline estimate). A cohort hidden in
one table but shown in another of the same group could be worked out by subtraction, so
:func:`hidden_cohorts` decides once, per group, which cohorts are hidden in every table
(:func:`sroi.report.disclosure.linked_suppression`), and every writer of a per-cohort count
publishes it with :func:`sroi.report.disclosure.publish_linked`.

Within a cohort row, pupils enrolled = matched + unmatched + missing: when the unmatched
pupils are suppressed, the matched pupils of that cohort are hidden too, and when the matched
pupils are hidden the unmatched ones are hidden with them (even a zero), so neither can be
recovered from the other and the total. Across totals: participants minus the pupils behind
an estimate is the number left out; when that is small, the estimate's count is hidden
(:func:`small_gap`) and so are its cohorts. Counts by event time are sums of cohort counts:
when a cohort's count is hidden, the event-time counts are hidden too.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import pandas as pd

from sroi.report.disclosure import _is_small, linked_suppression, publish_linked
from sroi.report.record import EvaluationResult

__all__ = [
    "GROUPS",
    "TOTALS",
    "hidden_cohorts",
    "cohort_group",
    "effect_cohort_rows",
    "small_gap",
    "publish_cohort_columns",
]

#: Column name -> the group of per-cohort counts it belongs to.
GROUPS: dict[str, str] = {
    "n_pupils": "treated",
    "n_treated": "treated",
    "n_treated_matched": "matched",
    "n_matched_treated": "matched",
    "n_unmatched_treated": "matched",
    "n_controls_matched": "controls",
    "n_matched_control": "controls",
}


def cohort_group(column: str, table: str) -> str | None:
    """The group of a per-cohort count column (``None``: not linked).

    In an estimate table (``table="estimates"``), ``n_treated`` and ``n_control`` are the
    matched pupils behind each cohort's estimate.
    """
    if table == "estimates":
        return {"n_treated": "matched", "n_control": "controls"}.get(column)
    return GROUPS.get(column)


def effect_cohort_rows(extra: Any) -> list[Mapping[str, Any]]:
    """The per-cohort summary rows of an effect's ``extra`` (matched DiD), or ``[]``."""
    if not isinstance(extra, Mapping) or not isinstance(extra.get("cohorts"), list):
        return []
    return [r for r in extra["cohorts"] if isinstance(r, Mapping) and "cohort" in r]


def _add(
    columns: dict[str, dict[str, dict[Hashable, Any]]],
    group: str | None,
    name: str,
    rows: Iterable[tuple[Any, Any]],
) -> None:
    if group is None:
        return
    col = columns.setdefault(group, {}).setdefault(name, {})
    for cohort, n in rows:
        col[int(cohort)] = None if n is None or (isinstance(n, float) and n != n) else n


def hidden_cohorts(result: EvaluationResult) -> dict[str, frozenset[Hashable]]:
    """Per group (``treated``, ``matched``, ``controls``): the cohorts hidden in every table.

    Parameters
    ----------
    result
        The evaluation (raw counts).

    Returns
    -------
    dict
        Group -> cohorts whose counts of that group are hidden wherever they are shown.
    """
    columns: dict[str, dict[str, dict[Hashable, Any]]] = {}
    forced: set[Hashable] = set()
    k = result.threshold
    if result.cohorts is not None and not result.cohorts.empty:
        cohorts = result.cohorts
        _add(
            columns,
            "treated",
            "programme",
            zip(cohorts["cohort"], cohorts["n_pupils"], strict=True),
        )
    if result.matching is not None:
        for name in ("n_treated", "n_treated_matched", "n_controls_matched"):
            _add(
                columns,
                GROUPS[name],
                f"matching:{name}",
                [(c.cohort, getattr(c, name)) for c in result.matching.cohorts],
            )
    for o in result.outcomes.values():
        for label, e in (("headline", o.headline), ("simple", o.simple)):
            rows = effect_cohort_rows(None if e is None else e.extra)
            for name in GROUPS:
                if any(name in r for r in rows):
                    _add(
                        columns,
                        GROUPS[name],
                        f"{o.name}:{label}:{name}",
                        [(r["cohort"], r.get(name)) for r in rows],
                    )
            forced |= {int(r["cohort"]) for r in rows if _is_small(r.get("n_unmatched_treated"), k)}
        if isinstance(o.by_cohort, pd.DataFrame) and "cohort" in o.by_cohort.columns:
            for name in ("n_treated", "n_control"):
                if name in o.by_cohort.columns:
                    _add(
                        columns,
                        cohort_group(name, "estimates"),
                        f"{o.name}:by_cohort:{name}",
                        zip(o.by_cohort["cohort"], o.by_cohort[name], strict=True),
                    )
    every = {c for cols in columns.values() for col in cols.values() for c in col}
    forced_by: dict[str, set[Hashable]] = {"matched": forced, "controls": set()}
    for name, group in (("n_treated", "matched"), ("n_control", "controls")):
        if any(small_gap(result, e, name) for e in _headline_effects(result)):
            forced_by[group] = set(every)  # the total is hidden: its cohorts are hidden too
    return {
        group: frozenset(linked_suppression(cols, k, forced_by.get(group, ())))
        for group, cols in columns.items()
    }


#: The programme total each effect count is a part of.
TOTALS = {"n_treated": "n_treated", "n_control": "n_comparison_pool"}


def small_gap(result: EvaluationResult, effect: Any, name: str) -> bool:
    """Whether an effect's count is so close to the programme total that the gap is small.

    Participants minus the pupils behind an estimate is the number left out (unmatched or
    missing); when that is ``0 < gap < k``, showing both numbers would disclose it, so the
    effect's count is hidden (``"c"``).
    """
    if effect is None:
        return False
    n, total = getattr(effect, name, None), result.programme.get(TOTALS[name])
    if n is None or total is None or isinstance(n, str) or (isinstance(n, float) and n != n):
        return False
    return 0 < int(total) - int(n) < int(result.threshold)


def _headline_effects(result: EvaluationResult) -> list[Any]:
    return [e for o in result.outcomes.values() for e in (o.headline, o.simple) if e is not None]


def publish_cohort_columns(
    table: pd.DataFrame,
    result: EvaluationResult,
    cohort_column: str,
    groups: Mapping[str, str],
) -> pd.DataFrame:
    """A per-cohort table as the report may show it: counts hidden wherever their cohort is.

    Parameters
    ----------
    table
        One row per cohort, raw counts.
    result
        The evaluation (its threshold and the cohorts hidden in every table).
    cohort_column
        The column holding the cohort (first treated period).
    groups
        Count column -> its group (``"treated"``, ``"matched"`` or ``"controls"``).

    Returns
    -------
    DataFrame
        A copy whose count columns hold ints, ``"<k"`` or ``"c"``, as in ``results.json``.
    """
    hidden = hidden_cohorts(result)
    out = table.copy()
    for column, group in groups.items():
        out[column] = pd.Series(
            [
                publish_linked(n, int(c) in hidden.get(group, frozenset()), result.threshold)
                for c, n in zip(table[cohort_column], table[column], strict=True)
            ],
            index=table.index,
            dtype=object,
        )
    return out
