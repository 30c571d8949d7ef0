"""The one check layer: argument and column checks that raise :class:`SroiInputError`.

Every public function of ``sroi`` checks its arguments with these helpers (in the spirit of
scikit-learn's ``sklearn.utils.validation``), so the same mistake gets the same message
wherever it is made. Each message names the argument (or column), the bad value and how to
fix it.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError

__all__ = [
    "check_choice",
    "check_int",
    "check_number",
    "check_probability",
    "check_random_state",
    "check_seed",
    "require_columns",
]

SeedLike = int | np.integer | np.random.Generator | None


def check_random_state(random_state: Any, name: str = "random_state") -> np.random.Generator:
    """Turn ``random_state`` into a :class:`numpy.random.Generator`.

    Parameters
    ----------
    random_state
        ``None`` (fresh entropy), a non-negative whole number (a reproducible seed) or an
        existing ``Generator`` (used as is, so draws continue from its state).
    name
        The argument's name, for the error message.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    SroiInputError
        For anything else (a string, a float, a bool, a negative number, a legacy
        ``RandomState``).
    """
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, Integral) and not isinstance(random_state, bool | np.bool_):
        if int(random_state) < 0:
            raise SroiInputError(
                f"{name} must be a whole number >= 0, a numpy Generator or None; "
                f"got {random_state!r}"
            )
        return np.random.default_rng(int(random_state))
    raise SroiInputError(
        f"{name} must be a whole number >= 0 (a seed), a numpy Generator or None; "
        f"got {random_state!r} ({type(random_state).__name__}). Pass e.g. random_state=2024."
    )


def check_seed(random_state: Any, name: str = "random_state") -> int:
    """Turn ``random_state`` into an integer seed (drawn from a Generator if one is given).

    Used where a seed must be handed on to code that makes its own generators (for
    example one per cohort), so the whole computation is reproducible from one number.

    Returns
    -------
    int
        A seed in ``[0, 2**31 - 1)``.
    """
    if isinstance(random_state, Integral) and not isinstance(random_state, bool | np.bool_):
        check_random_state(random_state, name)  # range check
        return int(random_state)
    rng = check_random_state(random_state, name)
    return int(rng.integers(0, 2**31 - 1))


def check_choice(value: Any, choices: Collection[Any], name: str) -> Any:
    """Check that ``value`` is one of ``choices`` and return it.

    Raises
    ------
    SroiInputError
        Naming the argument, the bad value and the allowed values.
    """
    try:
        ok = value in choices
    except TypeError:  # unhashable value against a set
        ok = False
    if not ok:
        allowed = ", ".join(repr(c) for c in choices)
        raise SroiInputError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def check_int(
    value: Any,
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """Check that ``value`` is a whole number (not a bool) within the bounds; return it.

    A float with an integer value (``3.0``) is accepted; ``3.5``, ``True`` and ``"3"`` are not.
    """
    if isinstance(value, bool | np.bool_):
        raise SroiInputError(f"{name} must be a whole number; got the boolean {value!r}")
    if isinstance(value, Integral):
        out = int(value)
    elif isinstance(value, Real) and math.isfinite(float(value)) and float(value).is_integer():
        out = int(float(value))
    else:
        raise SroiInputError(f"{name} must be a whole number; got {value!r}")
    _check_bounds(out, name, minimum, maximum)
    return out


def check_number(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive: bool = False,
) -> float:
    """Check that ``value`` is a finite real number within the bounds; return it as float.

    ``exclusive=True`` makes both bounds strict (``minimum < value < maximum``).
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        raise SroiInputError(f"{name} must be a number; got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise SroiInputError(f"{name} must be a finite number; got {value!r}")
    _check_bounds(out, name, minimum, maximum, exclusive=exclusive)
    return out


def check_probability(value: Any, name: str, *, open_interval: bool = False) -> float:
    """Check that ``value`` is a proportion in ``[0, 1]`` (``(0, 1)`` if ``open_interval``)."""
    return check_number(value, name, minimum=0.0, maximum=1.0, exclusive=open_interval)


def _check_bounds(
    value: float,
    name: str,
    minimum: float | None,
    maximum: float | None,
    *,
    exclusive: bool = False,
) -> None:
    lo_bad = minimum is not None and (value <= minimum if exclusive else value < minimum)
    hi_bad = maximum is not None and (value >= maximum if exclusive else value > maximum)
    if lo_bad or hi_bad:
        lo = "-inf" if minimum is None else f"{minimum:g}"
        hi = "inf" if maximum is None else f"{maximum:g}"
        bracket = ("(", ")") if exclusive else ("[", "]")
        raise SroiInputError(f"{name} must be in {bracket[0]}{lo}, {hi}{bracket[1]}; got {value!r}")


def require_columns(
    frame: pd.DataFrame,
    columns: Iterable[str] | Mapping[str, str],
    *,
    where: str = "the data",
    fix: str = "Rename the column in the data or change the name you passed.",
) -> None:
    """Check that ``frame`` has every column in ``columns``.

    Parameters
    ----------
    frame
        The table.
    columns
        Column names, or a mapping ``role -> column name`` (e.g. ``{"outcome": "attendance"}``)
        so the message says which role each missing column was meant to play.
    where
        What the table is (a file name or "the panel"), for the message.
    fix
        The sentence that says how to fix it (e.g. where in a spec the name comes from).

    Raises
    ------
    SroiInputError
        Listing every missing column with its role, close matches among the columns that
        exist, and the first columns of the table.
    """
    import difflib

    pairs = list(columns.items()) if isinstance(columns, Mapping) else [(None, c) for c in columns]
    have = [str(c) for c in frame.columns]
    missing = [(role, col) for role, col in pairs if col not in frame.columns]
    if not missing:
        return
    parts = []
    for role, col in missing:
        label = f"{col!r}" if role is None else f"{col!r} ({role})"
        close = difflib.get_close_matches(str(col), have, n=1)
        parts.append(label + (f" - did you mean {close[0]!r}?" if close else ""))
    shown = ", ".join(have[:12]) + (" ..." if len(have) > 12 else "")
    raise SroiInputError(
        f"{where} has no column {'; '.join(parts)}. Columns present: {shown}. {fix}"
    )
