"""No double counting: the rules that reject two lines valuing the same thing.

SROI guide (Social Value UK, 2012) and the Greater Manchester CBA model (HM Treasury / New
Economy, 2014) both warn against counting one saving twice: the same unit cost for two
outcomes; absence counted through attendance, persistent absence and suspensions' lost days;
a lifetime cost of exclusion next to its parts; a library line valued together with its
parent (a headline line contains its constituents, New Economy Unit Cost Database); a step of
the referral chain costed twice or reached without a sourced conversion rate.
"""

from __future__ import annotations

from collections.abc import Sequence

from sroi.errors import SroiInputError
from sroi.value.library import load_library
from sroi.value.model.compiled import Line

__all__ = ["ABSENCE", "CHAIN", "check_double_counting"]

#: Referral chain, in order; each step is costed as the extra cost of that step.
CHAIN = ("contact", "referral", "assessment", "child_in_need", "child_protection", "looked_after")
#: Categories that count the same lost school days.
ABSENCE = ("absence_days", "attendance_casework", "persistent_absence")


def _label(ln: Line) -> str:
    return f"{ln.outcome} x {ln.cost_id} ({ln.category})"


def _same_cost_twice(lines: Sequence[Line]) -> None:
    seen: dict[str, Line] = {}
    for ln in lines:
        prev = seen.get(ln.cost_id)
        if prev is not None:
            what = "for two outcomes" if prev.outcome != ln.outcome else "twice"
            raise SroiInputError(
                f"double counting: cost row {ln.cost_id!r} is valued {what}: "
                f"{_label(prev)} and {_label(ln)}; value it once"
            )
        seen[ln.cost_id] = ln


def _absence_twice(lines: Sequence[Line]) -> None:
    absence = [ln for ln in lines if ln.category in ABSENCE]
    for i, a in enumerate(absence):
        for b in absence[i + 1 :]:
            if a.outcome != b.outcome:
                raise SroiInputError(
                    "double counting: absence is valued twice: "
                    f"{_label(a)} and {_label(b)}. Suspensions are recorded as absence and "
                    "persistent absence is a threshold on the same sessions: value attendance OR "
                    "persistent absence, and not suspensions' lost days alongside either"
                )


def _lifetime_exclusion(lines: Sequence[Line]) -> None:
    life = [ln for ln in lines if ln.category == "lifetime_exclusion"]
    others = [
        ln for ln in lines if ln.category in ("youth_justice", "benefits", "alternative_provision")
    ]
    if life and others:
        raise SroiInputError(
            f"double counting: {_label(life[0])} is a lifetime cost of exclusion, which already "
            f"includes {_label(others[0])}; value a permanent exclusion as the exclusion process "
            "plus an alternative-provision place, or the lifetime cost alone"
        )


def _referral_chain(lines: Sequence[Line]) -> None:
    by_step: dict[tuple[str, str], Line] = {}
    for ln in lines:
        if ln.category not in CHAIN:
            continue
        key = (ln.group, ln.category)
        if key in by_step:
            raise SroiInputError(
                f"double counting: the {ln.category} step of the chain from {ln.group!r} is "
                f"costed twice: {_label(by_step[key])} and {_label(ln)}; cost each step once, "
                "as the extra cost of that step"
            )
        by_step[key] = ln
        if (
            ln.basis != "modelled"
            and "referral" in ln.outcome
            and CHAIN.index(ln.category) > CHAIN.index("assessment")
        ):
            raise SroiInputError(
                f"double counting: {_label(ln)} costs a later step of the referral chain "
                "directly against the referral effect (as if every referral became "
                f"{ln.category}); value it through valuation.conversions with a sourced rate"
            )


def _library_twice(lines: Sequence[Line]) -> None:
    """One library line through two rows, or a library line with its parent (or ancestor)."""
    by_library: dict[str, Line] = {}
    for ln in lines:
        if not ln.library:
            continue
        prev = by_library.get(ln.library)
        if prev is not None:
            raise SroiInputError(
                f"double counting: library line {ln.library} is valued twice, through "
                f"{_label(prev)} and {_label(ln)}; value it once"
            )
        by_library[ln.library] = ln
    if not by_library:
        return
    parent = load_library()["parent"]
    for ln in by_library.values():
        up = parent.get(ln.library, "")
        while up:
            if up in by_library:
                raise SroiInputError(
                    f"double counting: {_label(ln)} values library line {ln.library}, a "
                    f"constituent of {up}, which {_label(by_library[up])} values already; a "
                    "headline line contains its constituents: value the one or the others, "
                    "never both"
                )
            up = parent.get(up, "")


def check_double_counting(lines: Sequence[Line]) -> None:
    """Reject double counting, naming the two lines.

    Raises
    ------
    SroiInputError
        Naming the rule broken and both lines.
    """
    _same_cost_twice(lines)
    _library_twice(lines)
    _absence_twice(lines)
    _lifetime_exclusion(lines)
    _referral_chain(lines)
