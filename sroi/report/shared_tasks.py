"""Tasks shared between the report's worker processes and the kernel, handed out one by one.

A process pool moves the tasks submitted to it into its call queue ahead of the workers
(one more than it has workers), and a task in that queue counts as running: it can no longer
be cancelled although no worker has begun it. Had the kernel submitted every secondary
outcome at once, it would, after estimating the primary outcome, wait for a worker to reach
the last one instead of estimating it itself. :class:`SharedTasks` keeps the tasks here and
gives the pool only as many as it has workers; each finished task hands out the next.
:meth:`SharedTasks.results` computes in this process, from the last, the tasks not handed
out, waits for the others and returns every result in the tasks' order;
:meth:`SharedTasks.result` gives one task's result the same way.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

__all__ = ["SharedTasks"]

R = TypeVar("R")


class SharedTasks(Generic[R]):
    """``fn(*args)`` for each ``args`` in ``calls``, by the workers or by this process.

    Parameters
    ----------
    executor
        The worker processes.
    fn
        The task's function (picklable: it is sent to a worker).
    calls
        The arguments of each task.
    n_workers
        Tasks handed to ``executor`` at a time (its number of workers), at least 1.

    Notes
    -----
    The tasks are handed out from the first; a task is given to a worker only when one is
    free, so until then this process can take it (:meth:`results`). If the pool cannot take a
    task (it is broken or shut down), the task stays here.
    """

    def __init__(
        self,
        executor: Executor,
        fn: Callable[..., R],
        calls: Sequence[tuple[Any, ...]],
        n_workers: int,
    ) -> None:
        if n_workers < 1:
            raise ValueError(f"n_workers must be at least 1, got {n_workers}")
        self._executor = executor
        self._fn = fn
        self._calls = list(calls)
        self._lock = threading.Lock()
        self._waiting = deque(range(len(self._calls)))
        self._futures: dict[int, Future[R]] = {}
        self._done: dict[int, R] = {}
        for _ in range(n_workers):
            self._hand_out()

    def __len__(self) -> int:
        return len(self._calls)

    def _hand_out(self, finished: Future[R] | None = None) -> None:
        """Give the next waiting task to the pool (also called as each handed-out task ends)."""
        with self._lock:
            if not self._waiting:
                return
            i = self._waiting.popleft()
            try:
                future = self._executor.submit(self._fn, *self._calls[i])
            except RuntimeError:  # broken or shut down (BrokenProcessPool is one): kept here
                self._waiting.appendleft(i)
                return
            self._futures[i] = future
        # outside the lock: a future already finished calls this at once, in this thread
        future.add_done_callback(self._hand_out)

    def _take(self) -> int | None:
        """A task no worker has begun, taken for this process (``None``: there is none).

        The last waiting one, else the last handed-out one that can still be cancelled.
        """
        with self._lock:
            if self._waiting:
                return self._waiting.pop()
            handed_out = sorted(self._futures.items(), reverse=True)
        # cancelled outside the lock: a cancelled future calls _hand_out, which takes it
        for i, future in handed_out:
            if i not in self._done and future.cancel():
                return i
        return None

    def cancel(self) -> None:
        """Give up the tasks no worker has begun (those running finish, unused)."""
        with self._lock:
            self._waiting.clear()
            handed_out = list(self._futures.values())
        for future in handed_out:
            future.cancel()

    def result(self, i: int, compute_here: Callable[[int], R]) -> R:
        """Task ``i``'s result: computed here if no worker has begun it, else the worker's.

        Parameters
        ----------
        i
            The task's position in ``calls``.
        compute_here
            Computes task ``i`` in this process, giving what ``fn(*calls[i])`` gives; also
            called when the worker running it died (killed, out of memory:
            :class:`~concurrent.futures.process.BrokenProcessPool`).

        Returns
        -------
        object
            The result; a task's exception other than a dead worker is raised.
        """
        if i in self._done:
            return self._done[i]
        with self._lock:
            waiting = i in self._waiting
            if waiting:
                self._waiting.remove(i)
        if waiting or self._futures[i].cancel():
            value = compute_here(i)
        else:
            try:
                value = self._futures[i].result()
            except BrokenProcessPool:
                value = compute_here(i)
        self._done[i] = value
        return value

    def results(self, compute_here: Callable[[int], R]) -> list[R]:
        """Every task's result, in the order of ``calls``.

        Computes here, from the last, the tasks no worker has begun, then collects the others
        (see :meth:`result`).

        Parameters
        ----------
        compute_here
            As :meth:`result`.

        Returns
        -------
        list
            The results; a task's exception other than a dead worker is raised.
        """
        self.compute_unbegun(compute_here)
        return [self.result(i, compute_here) for i in range(len(self._calls))]

    def compute_unbegun(self, compute_here: Callable[[int], R]) -> None:
        """Compute here, from the last, every task no worker has begun (kept for :meth:`result`).

        Parameters
        ----------
        compute_here
            As :meth:`result`.
        """
        while (i := self._take()) is not None:
            self._done[i] = compute_here(i)
