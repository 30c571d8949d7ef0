"""Matching data kept between matched staggered DiD calls that differ only in the outcome.

An evaluation estimates one matched design on several outcomes. What each cohort's matching
is built from (the school-relative history, the cross-section of characteristics and history
at the reference period, the pool units off common support, the outcome regression's
covariates of the matched units) does not depend on the outcome unless the outcome is part of
the matching history, or decides which units are kept (a unit with a missing outcome leaves a
balanced panel). :class:`SampleCache` keeps each of these, keyed by a hash of the *content* of
everything it was built from: a call for another outcome with the same units and matching data
finds them; any other call builds its own. The results are those of building everything again
(``tests/impact/test_sample_cache.py``), warnings included: the warnings raised while a value
was built are raised again each time it is reused.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = ["SampleCache", "content_key"]

T = TypeVar("T")


def _feed(h: Any, part: Any) -> None:
    """Add one part to the hash ``h`` (type-tagged, so that different parts cannot collide)."""
    if isinstance(part, pd.DataFrame):
        h.update(b"frame")
        h.update(repr([(str(c), str(t)) for c, t in part.dtypes.items()]).encode())
        h.update(repr(part.shape).encode())
        h.update(pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes())
    elif isinstance(part, np.ndarray):
        h.update(b"array")
        h.update(f"{part.dtype.str}{part.shape}".encode())
        if part.dtype.kind == "O":
            flat = pd.Series(part.ravel(), dtype=object)
            h.update(pd.util.hash_pandas_object(flat, index=False).to_numpy().tobytes())
        else:
            h.update(np.ascontiguousarray(part).tobytes())
    elif isinstance(part, list | tuple):
        h.update(f"{type(part).__name__}{len(part)}".encode())
        for item in part:
            _feed(h, item)
    elif part is None or isinstance(part, str | bytes | bool | int | float | np.generic):
        h.update(f"{type(part).__name__}:{part!r}".encode())
    else:
        raise TypeError(f"content_key: cannot hash a {type(part).__name__}")


def content_key(*parts: Any) -> str:
    """A hash of the content of ``parts`` (data frames, arrays, lists, strings and numbers).

    Two data frames with the same columns, dtypes, index and values give the same key, as do
    two equal arrays; a part of another kind raises ``TypeError`` (so that nothing is keyed by
    an object's identity by mistake).
    """
    h = hashlib.sha256()
    for part in parts:
        _feed(h, part)
    return h.hexdigest()


class SampleCache:
    """Values built from a run's data, each kept under the content key of its inputs.

    Pass one to :func:`~sroi.impact.staggered.matched_staggered_did` (``sample_cache=``) for
    every outcome of an evaluation: each cohort's matching data are then built once. A cache
    can be copied (:meth:`copy`) or pickled, e.g. to hand to another process.
    """

    def __init__(self) -> None:
        self._values: dict[str, tuple[Any, tuple[warnings.WarningMessage, ...]]] = {}

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def copy(self) -> SampleCache:
        """A new cache holding the same values (which are shared, and never changed)."""
        new = SampleCache()
        new._values = dict(self._values)
        return new

    def get(self, key: str, build: Callable[[], T]) -> T:
        """The value kept under ``key``, or ``build()`` kept under it.

        The warnings ``build`` raises are recorded with the value and raised again (with
        their category, file and line) whenever it is returned from the cache, so a caller
        sees the same warnings either way. An exception is not kept.
        """
        if key not in self._values:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                value = build()
            self._values[key] = (value, tuple(caught))
        value, raised = self._values[key]
        for w in raised:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return value

    def __getstate__(self) -> dict[str, Any]:
        # a WarningMessage may hold an unpicklable source object: keep what warn_explicit needs
        return {
            "values": {
                k: (v, tuple(_Raised(w) for w in raised)) for k, (v, raised) in self._values.items()
            }
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._values = state["values"]


class _Raised:
    """A recorded warning reduced to what :func:`warnings.warn_explicit` needs (picklable)."""

    __slots__ = ("message", "category", "filename", "lineno")

    def __init__(self, w: Any) -> None:
        self.message = w.message if _picklable(w.message) else str(w.message)
        self.category = w.category
        self.filename = w.filename
        self.lineno = w.lineno

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.message, self.category, self.filename, self.lineno)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.message, self.category, self.filename, self.lineno = state


def _picklable(obj: Any) -> bool:
    import pickle

    try:
        pickle.dumps(obj)
    except Exception:
        return False
    return True
