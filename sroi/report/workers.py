"""Worker processes beside the report's kernel: checks, secondary outcomes, figures in parallel.

A notebook kernel runs the report one cell at a time on one core. On a machine with two or
more cores the report hands three kinds of self-contained work to worker processes:

* every outcome's checks on the unmatched sample (:mod:`sroi.report.steps.unmatched`),
  handed out in the data cell as soon as the data are read and the design's inference
  checked, so the workers compute them while the kernel matches and checks the valuation;
* the secondary outcomes' headlines (:func:`sroi.report.steps.outcomes.estimate_outcomes`
  with ``executor=``), while the kernel estimates the primary outcome's; the tasks are
  handed out one per free worker (:mod:`sroi.report.shared_tasks`), so the kernel computes
  itself those no worker has begun;
* the drawing of each figure to PNG (:meth:`sroi.report.sections.base.Section.figure`),
  while the kernel writes the rest of the report.

The results are the same as computing everything in the kernel: each task is a function of
its inputs only (a seeded estimate, the drawing of a finished figure), the kernel collects
the results in the order it would have computed them, and each task's warnings are added to
the run's log in that order (``tests/report/test_workers.py`` compares the two ways).

Start method (POSIX): the workers are forked from the kernel by :func:`start`, in the report's
data cell once the data are read (``load_data(spec, start_workers=True)``): they have the
report code and the data from their fork, so a task sends a stand-in for the data
(:func:`inherited`, :func:`resolve`) rather than a copy of several megabytes; they import
only the figures' drawing code. Forking a process that runs threads (the kernel's messaging threads) is safe
only if the child touches nothing those threads may hold: a worker computes on the arrays it
has or is sent and returns its result through its own pipe; its standard output and error are the
process's own file descriptors (never the kernel's message streams) and it runs one BLAS
thread. The workers run at a lower priority (``nice``) than the kernel, whose cells are the
report's critical path. They stop with the kernel (:func:`shutdown`, registered at exit).
Windows and macOS (where forking is not safe) compute everything in the kernel, and so does
a machine where the workers cannot be started (no shared memory for the pool's semaphores,
say), with a warning. If a worker dies during the run (killed, out of memory), the kernel
estimates or draws what it was given.

The number of workers is ``SROI_REPORT_WORKERS`` from the environment: ``0`` computes
everything in the kernel; by default 2 when the process may use 2 or more cores, else 0.
``sroi batch`` sets it to 0 for its areas, which already run in parallel.

With or without workers, :func:`start` also sets the report's process up: one BLAS thread,
and text kept as Python strings rather than Arrow arrays (pandas' ``mode.string_storage``):
the same dtypes and values, converted far less often.
"""

from __future__ import annotations

import atexit
import os
import sys
import warnings
from concurrent.futures import Executor
from typing import Any

from threadpoolctl import threadpool_limits

from sroi.errors import SroiInputError

__all__ = [
    "ENV_WORKERS",
    "NICE",
    "Inherited",
    "current",
    "inherited",
    "n_running",
    "n_workers",
    "prepare",
    "resolve",
    "shutdown",
    "start",
]

#: Environment variable with the number of worker processes (0: none).
ENV_WORKERS = "SROI_REPORT_WORKERS"

#: How much lower the workers' scheduling priority is than the kernel's (``nice``).
NICE = 5

_running: list[tuple[Executor, int]] = []
#: ``(source, payload)`` the running workers were forked with (:func:`start`), in the order
#: given; part of the pool's state, cleared with it.
_inherited: list[tuple[object, Any]] = []
_storage_before: list[str] = []


def n_workers() -> int:
    """Worker processes to start: ``SROI_REPORT_WORKERS``, else 2 with 2 or more cores.

    Returns
    -------
    int
        0 on systems other than Linux (see the module notes).

    Raises
    ------
    SroiInputError
        If ``SROI_REPORT_WORKERS`` is not a whole number from 0 to 64.
    """
    if not sys.platform.startswith("linux"):
        return 0
    raw = os.environ.get(ENV_WORKERS, "").strip()
    if raw:
        try:
            n = int(raw)
        except ValueError:
            n = -1
        if not 0 <= n <= 64:
            raise SroiInputError(
                f"environment variable {ENV_WORKERS}={raw!r}: expected a whole number of "
                "worker processes from 0 to 64 (0 computes the report in the notebook kernel "
                "alone); unset it for the default"
            )
    else:
        n = 2 if len(os.sched_getaffinity(0)) >= 2 else 0
    return n


def prepare() -> None:
    """Set this process up for the report, with or without workers (nothing is forked).

    One BLAS thread: BLAS threads would spin against the workers (sroi._threads), and a
    multithreaded BLAS sums in an order that depends on its thread count, so the report's
    numbers would change (in the 15th digit) with the number of workers or of cores; with one
    thread everywhere they do not. Text kept as Python strings (:func:`_python_text`). Call
    it before the data are read; :func:`start` calls it too.
    """
    threadpool_limits(limits=1, user_api="blas")
    _python_text()


def start(inherit: tuple[object, Any] | None = None) -> Executor | None:
    """Fork the worker processes (once per process); ``None`` when there are to be none.

    Call it after the code the tasks run has been imported (the workers inherit it). It also
    sets this process up (:func:`prepare`), workers or not.

    Parameters
    ----------
    inherit
        ``(source, payload)``: what the workers are to have from their fork rather than
        receive, copied, with every task (e.g. what the report's data give them). A task then
        sends the stand-in :func:`inherited` gives for ``source`` (the same object) and the
        worker reads the payload with :func:`resolve`. Ignored when the workers are running.

    Returns
    -------
    concurrent.futures.Executor or None
        The running pool, also returned by :func:`current` from now on.
    """
    if _running:
        return _running[0][0]
    prepare()
    n = n_workers()
    if n == 0:
        return None
    if inherit is not None:
        _inherited.append(inherit)  # before the fork: the workers have it in their memory
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    try:
        pool = ProcessPoolExecutor(
            max_workers=n, mp_context=multiprocessing.get_context("fork"), initializer=_in_worker
        )
        with warnings.catch_warnings():
            # Python 3.12+ warns on every fork of a process with threads; see the module notes
            warnings.simplefilter("ignore", DeprecationWarning)
            pool.submit(os.getpid)  # forks all the workers now (not waiting for them)
    except (OSError, ImportError) as exc:  # e.g. no /dev/shm for the pool's semaphores
        _inherited.clear()
        warnings.warn(
            f"the report's worker processes could not be started ({exc}); the report is "
            "computed in the notebook kernel alone (same results, slower)",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    _running.append((pool, n))
    atexit.register(shutdown)
    return pool


def _python_text() -> None:
    """Keep text in Python strings in this process (and the workers it forks).

    pandas 3 keeps text columns in Arrow arrays, and the estimators convert the identifier,
    school and category columns to NumPy arrays, factorise and rebuild them many times per
    evaluation: about a fifth of the report's estimation time goes to those conversions.
    With pandas' ``mode.string_storage`` set to ``"python"`` the same ``str`` and ``string``
    dtypes (same missing values, same values) are kept as Python strings. Set before the
    data are read; :func:`shutdown` restores the previous setting.
    """
    import pandas as pd

    if not _storage_before:
        _storage_before.append(pd.get_option("mode.string_storage"))
    pd.set_option("mode.string_storage", "python")


def _in_worker() -> None:
    """Set up a forked worker: own standard streams, one BLAS thread, lower priority.

    Interrupts are the kernel's: a worker ignores SIGINT (the kernel sends it to its children
    when it shuts down, then ends them) instead of printing a traceback.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    threadpool_limits(limits=1, user_api="blas")
    os.nice(NICE)
    # loaded while the kernel reads the data: the figures' drawing code (the kernel hands
    # every figure to the workers and never loads it) and the solvers of the honest-DiD
    # bounds (imported on first use, sroi._optimize)
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import matplotlib.ticker  # noqa: F401
    import scipy.optimize  # noqa: F401


def current() -> Executor | None:
    """The workers started by :func:`start` in this process, if any (none are started here)."""
    return _running[0][0] if _running else None


class Inherited:
    """The stand-in a task sends for what the workers have from their fork (:func:`start`).

    Pickled as one number; :meth:`get` (in a worker) gives the payload.
    """

    def __init__(self, index: int) -> None:
        self.index = index

    def get(self) -> Any:
        """The payload the workers were forked with."""
        return _inherited[self.index][1]


def inherited(source: object) -> Inherited | None:
    """The stand-in for the payload the running workers were forked with for ``source``.

    ``None`` when no workers run or they were forked without it (then send the payload
    itself). ``source`` is the very object given to :func:`start` (compared by identity).
    """
    if not _running:
        return None
    for i, (known, _) in enumerate(_inherited):
        if known is source:
            return Inherited(i)
    return None


def resolve(x: Any) -> Any:
    """The payload behind an :class:`Inherited` stand-in (in a worker); anything else as is."""
    return x.get() if isinstance(x, Inherited) else x


def n_running() -> int:
    """The number of workers of :func:`current` (0 when none are running)."""
    return _running[0][1] if _running else 0


def shutdown() -> None:
    """Stop the workers (waits for running tasks) and restore the text storage; idempotent."""
    while _running:
        _running.pop()[0].shutdown(wait=True, cancel_futures=True)
    _inherited.clear()
    if _storage_before:
        import pandas as pd

        pd.set_option("mode.string_storage", _storage_before.pop())
