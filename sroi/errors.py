"""Exceptions and warnings raised by sroi.

Every public function validates its input and raises :class:`SroiInputError` with a
message that names the file, column, field or row at fault and says how to fix it. The
command line prints the message without a traceback and exits with status 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["SroiInputError", "SroiWarning", "example_rows"]


class SroiInputError(ValueError):
    """Bad input: a missing column, an impossible value, an unknown spec field.

    It subclasses :class:`ValueError` so that callers who already catch ``ValueError``
    keep working.
    """


class SroiWarning(UserWarning):
    """A counted, reported problem that does not stop the computation.

    For example fewer than 10 treated clusters, or treated units dropped by a caliper.
    """


def example_rows(index: Sequence[Any], limit: int = 5) -> str:
    """Format up to ``limit`` row labels for an error message, e.g. ``rows 3, 7, 9 (and 12 more)``."""
    items = list(index)
    shown = ", ".join(str(i) for i in items[:limit])
    more = len(items) - limit
    suffix = f" (and {more} more)" if more > 0 else ""
    label = "row" if len(items) == 1 else "rows"
    return f"{label} {shown}{suffix}"
