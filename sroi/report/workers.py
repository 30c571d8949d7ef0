"""Worker processes beside the report's kernel: checks and secondary outcomes in parallel.

A notebook kernel runs the report one cell at a time on one core. On a machine with two or
more cores the report hands two kinds of self-contained work to worker processes:

* every outcome's checks on the unmatched sample (:mod:`sroi.report.steps.unmatched`),
  handed out in the data cell as soon as the data are read and the design's inference
  checked, so the workers compute them while the kernel matches and checks the valuation;
* the secondary outcomes' headlines (:func:`sroi.report.steps.outcomes.estimate_outcomes`
  with ``executor=``), while the kernel estimates the primary outcome's; the tasks are
  handed out one per free worker (:mod:`sroi.report.shared_tasks`), so the kernel computes
  itself those no worker has begun.

The results are the same as computing everything in the kernel: each task is a function of
its inputs only (a seeded estimate), the kernel collects
the results in the order it would have computed them, and each task's warnings are added to
the run's log in that order (``tests/report/test_workers.py`` compares the two ways).

Start method (POSIX): the workers are forked from the kernel by :func:`start` (the report's
setup cell), after the kernel has imported the report code, so a worker is ready at once and
imports nothing. Forking a process that runs threads (the kernel's messaging threads) is safe
only if the child touches nothing those threads may hold: a worker computes on the arrays it
is sent and returns its result through its own pipe; its standard output and error are the
process's own file descriptors (never the kernel's message streams) and it runs one BLAS
thread. The workers run at a lower priority (``nice``) than the kernel, whose cells are the
report's critical path. They stop with the kernel (:func:`shutdown`, registered at exit).
Windows and macOS (where forking is not safe) compute everything in the kernel, and so does
a machine where the workers cannot be started (no shared memory for the pool's semaphores,
say), with a warning. If a worker dies during the run (killed, out of memory), the kernel
estimates what it was given.

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

from threadpoolctl import threadpool_limits

from sroi.errors import SroiInputError

__all__ = ["ENV_WORKERS", "NICE", "current", "n_running", "n_workers", "shutdown", "start"]

#: Environment variable with the number of worker processes (0: none).
ENV_WORKERS = "SROI_REPORT_WORKERS"

#: How much lower the workers' scheduling priority is than the kernel's (``nice``).
NICE = 5

_running: list[tuple[Executor, int]] = []
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


def start() -> Executor | None:
    """Fork the worker processes (once per process); ``None`` when there are to be none.

    Call it after the code the tasks run has been imported (the workers inherit it). It also
    limits this process's BLAS to one thread, workers or not (see the comment inside).

    Returns
    -------
    concurrent.futures.Executor or None
        The running pool, also returned by :func:`current` from now on.
    """
    if _running:
        return _running[0][0]
    # One BLAS thread here too, with or without workers: BLAS threads would spin against the
    # workers (sroi._threads), and a multithreaded BLAS sums in an order that depends on its
    # thread count, so the report's numbers would change (in the 15th digit) with the number
    # of workers or of cores. With one thread everywhere they do not.
    threadpool_limits(limits=1, user_api="blas")
    _python_text()
    n = n_workers()
    if n == 0:
        return None
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
    # loaded while the kernel reads the data: the solvers of the honest-DiD bounds
    # (imported on first use, sroi._optimize)
    import scipy.optimize  # noqa: F401


def current() -> Executor | None:
    """The workers started by :func:`start` in this process, if any (none are started here)."""
    return _running[0][0] if _running else None


def n_running() -> int:
    """The number of workers of :func:`current` (0 when none are running)."""
    return _running[0][1] if _running else 0


def shutdown() -> None:
    """Stop the workers (waits for running tasks) and restore the text storage; idempotent."""
    while _running:
        _running.pop()[0].shutdown(wait=True, cancel_futures=True)
    if _storage_before:
        import pandas as pd

        pd.set_option("mode.string_storage", _storage_before.pop())
