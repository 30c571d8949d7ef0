"""Tasks shared by the report's workers and the kernel (sroi.report.shared_tasks.SharedTasks).

A pool takes tasks into its call queue ahead of its workers, and a task there cannot be
cancelled. SharedTasks keeps the tasks here and hands the pool one per worker; the kernel
computes, from the last, the tasks no worker has begun. These tests use executors whose
futures the test finishes by hand, so every step of the hand-out is visible.
"""

from __future__ import annotations

import multiprocessing
import operator
import sys
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from sroi.report.shared_tasks import SharedTasks


class _Manual(Executor):
    """An executor whose tasks run only when the test says so (``finish``)."""

    def __init__(self) -> None:
        self.submitted: list[tuple[Future, tuple]] = []

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        self.submitted.append((future, (fn, args)))
        return future

    def begin(self, k: int) -> None:
        """Workers begin the ``k``-th task submitted (it can no longer be cancelled)."""
        assert self.submitted[k][0].set_running_or_notify_cancel()

    def finish(self, k: int) -> None:
        """The ``k``-th task submitted ends (its done callback hands out the next task)."""
        future, (fn, args) = self.submitted[k]
        if not future.running():
            self.begin(k)
        future.set_result(fn(*args))

    def handed(self) -> list[int]:
        return [args[0] for _, (_, args) in self.submitted]


def _square(x: int) -> int:
    return x * x


def _tasks(n: int, executor: Executor, n_workers: int = 2) -> SharedTasks[int]:
    return SharedTasks(executor, _square, [(i,) for i in range(n)], n_workers)


def test_the_pool_gets_one_task_per_worker_and_the_next_as_one_ends():
    pool = _Manual()
    tasks = _tasks(5, pool)
    assert pool.handed() == [0, 1]
    pool.finish(1)
    assert pool.handed() == [0, 1, 2]
    pool.finish(0)
    pool.finish(2)
    assert pool.handed() == [0, 1, 2, 3, 4]
    assert len(tasks) == 5


def test_tasks_not_handed_out_are_computed_here_from_the_last():
    pool = _Manual()
    tasks = _tasks(6, pool)
    pool.begin(0)
    pool.begin(1)
    here: list[int] = []

    def compute_here(i: int) -> int:
        here.append(i)
        return -i  # marks a task computed here

    tasks.compute_unbegun(compute_here)
    assert here == [5, 4, 3, 2]  # from the last; 0 and 1 are running in the workers
    pool.finish(0)
    pool.finish(1)
    assert pool.handed() == [0, 1]  # nothing left to hand out
    assert tasks.results(compute_here) == [0, 1, -2, -3, -4, -5]
    assert here == [5, 4, 3, 2]  # not computed twice


def test_a_handed_out_task_no_worker_began_is_cancelled_and_computed_here():
    pool = _Manual()
    tasks = _tasks(3, pool)
    pool.finish(0)  # hands out task 2; tasks 1 and 2 are handed out, not begun
    assert pool.handed() == [0, 1, 2]
    assert tasks.results(lambda i: -i) == [0, -1, -2]
    assert pool.submitted[1][0].cancelled() and pool.submitted[2][0].cancelled()


def test_one_result_takes_a_waiting_task_out_of_the_queue():
    pool = _Manual()
    tasks = _tasks(4, pool)
    assert tasks.result(3, lambda i: -i) == -3
    pool.finish(0)
    pool.finish(1)
    pool.finish(2)
    assert pool.handed() == [0, 1, 2]  # task 3 was never handed out
    assert tasks.results(lambda i: -i) == [0, 1, 4, -3]


class _Broken(Executor):
    """Workers that died: every task fails with BrokenProcessPool."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        future.set_exception(BrokenProcessPool("a worker was killed"))
        return future


class _ShutDown(Executor):
    def submit(self, fn, /, *args, **kwargs):
        raise RuntimeError("cannot schedule new futures after shutdown")


@pytest.mark.parametrize("executor", [_Broken, _ShutDown], ids=["worker-died", "shut-down"])
def test_tasks_the_pool_cannot_run_are_computed_here(executor):
    tasks = _tasks(4, executor())
    assert tasks.results(lambda i: 100 + i) == [100, 101, 102, 103]


def test_an_error_in_a_task_is_raised():
    pool = _Manual()
    tasks = SharedTasks(pool, operator.truediv, [(1, 0), (4, 2)], 2)
    pool.begin(0)
    pool.submitted[0][0].set_exception(ZeroDivisionError("division by zero"))
    pool.finish(1)
    with pytest.raises(ZeroDivisionError):
        tasks.results(lambda i: 0.0)


def test_cancel_hands_out_nothing_more():
    pool = _Manual()
    tasks = _tasks(5, pool)
    pool.begin(0)
    tasks.cancel()
    assert pool.submitted[1][0].cancelled()
    pool.finish(0)
    assert pool.handed() == [0, 1]


def test_at_least_one_worker():
    with pytest.raises(ValueError, match="at least 1"):
        _tasks(2, _Manual(), n_workers=0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork start method")
def test_with_a_process_pool_the_results_are_those_computed_here():
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        tasks = _tasks(12, pool)
        assert tasks.results(_square) == [i * i for i in range(12)]
