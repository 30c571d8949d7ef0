"""What one compile step contributes to the model.

Each step returns a :class:`Part`; the compiler concatenates them in order, so no step
changes another's lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sroi.value.model.compiled import Group, Line

__all__ = ["Part", "concat"]


@dataclass(frozen=True)
class Part:
    """Groups, lines, register entries and messages produced by one compile step.

    Attributes
    ----------
    groups, lines
        Effect groups and valued lines, in order.
    assumptions
        Assumptions-register records (see :func:`sroi.value.model.register.assumption`).
    warnings, notes
        Messages for the user (warnings are also issued as :class:`sroi.SroiWarning`).
    excluded
        ``{"outcome": ..., "reason": ...}`` for outcomes left out of the valuation.
    conversions
        ``{step name: (rate, low, high)}`` of valued conversion steps.
    """

    groups: tuple[Group, ...] = ()
    lines: tuple[Line, ...] = ()
    assumptions: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    excluded: tuple[dict[str, str], ...] = ()
    conversions: dict[str, tuple[float, float | None, float | None]] = field(default_factory=dict)


def concat(parts: Iterable[Part]) -> Part:
    """One :class:`Part` holding every part's entries, in the order given."""
    ps = list(parts)
    conv: dict[str, tuple[float, float | None, float | None]] = {}
    for p in ps:
        conv.update(p.conversions)
    return Part(
        groups=tuple(g for p in ps for g in p.groups),
        lines=tuple(ln for p in ps for ln in p.lines),
        assumptions=tuple(a for p in ps for a in p.assumptions),
        warnings=tuple(w for p in ps for w in p.warnings),
        notes=tuple(n for p in ps for n in p.notes),
        excluded=tuple(e for p in ps for e in p.excluded),
        conversions=conv,
    )
