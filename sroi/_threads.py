"""One BLAS thread inside sroi's hot solves.

sroi's regressions are tall and thin (a million rows, a few to a few dozen columns): their
BLAS calls (``X'X``, ``X b``) are bound by memory bandwidth, so extra BLAS threads gain
little on an idle machine, and on a machine loaded beyond its cores a multithreaded
OpenBLAS spins its threads: measured on 2 shared cores at load 14, the Callaway-Sant'Anna
fit on 100,000 units took 3.2 s of CPU with 2 OpenBLAS threads against 0.9 s with one (and
twice the wall time). The estimators therefore run their numerical core under
:func:`single_blas_thread`, which limits BLAS to one thread for the call and restores the
previous setting afterwards (``threadpoolctl``); parallelism belongs to the caller (e.g.
several processes), not to BLAS.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController

__all__ = ["single_blas_thread"]

P = ParamSpec("P")
R = TypeVar("R")

_controller: list[ThreadpoolController] = []


def _blas() -> ThreadpoolController:
    """The thread-pool controller, built on first use (after numpy's BLAS is loaded)."""
    if not _controller:
        _controller.append(ThreadpoolController())
    return _controller[0]


def single_blas_thread(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with BLAS limited to one thread (the previous limit restored after)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _blas().limit(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper
