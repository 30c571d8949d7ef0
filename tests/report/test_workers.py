"""Worker processes beside the report's kernel (sroi.report.workers): same results, same report.

The report hands the unmatched checks and the secondary outcomes' estimates to forked worker
processes. These tests check that nothing changes because of it: ``results.json`` and the
report's HTML are byte-identical with and without workers, the warnings are logged in the same
order.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pandas as pd
import pytest

from sroi.errors import SroiInputError
from sroi.report import notebook as nb
from sroi.report import workers
from tests.report.helpers import write_small_evaluation

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="worker processes are forked on Linux only"
)


@pytest.fixture
def running_workers(monkeypatch):
    """Two workers for this test (the pool of sroi.report.workers), stopped after it."""
    monkeypatch.setenv(workers.ENV_WORKERS, "2")
    workers.shutdown()
    pool = workers.start()
    assert pool is not None and workers.current() is pool
    yield pool
    workers.shutdown()
    assert workers.current() is None


def _evaluate(spec_path, out, executor):
    spec = nb.load_spec(spec_path)
    log = nb.WarningLog()
    data, programme, cohorts = nb.load_data(spec)
    from sroi.report.steps.outcomes import estimate_outcomes

    outcomes = estimate_outcomes(data, spec, spec.seed, log=log, executor=executor)
    result = nb.assemble(spec, data, programme, cohorts, outcomes, log)
    out.mkdir()
    nb.write_results(result, out, spec_path)
    return result, log


def test_outcomes_estimated_by_workers_give_the_same_results_json(tmp_path):
    spec_path = write_small_evaluation(
        tmp_path / "eval",
        matched=True,
        n_boot=49,
        **{
            "design.matching.caliper": 0.2,
            "design.matching.history": ["attendance_rate"],
        },
    )
    alone, log_alone = _evaluate(spec_path, tmp_path / "alone", None)
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        shared, log_shared = _evaluate(spec_path, tmp_path / "shared", pool)
    assert len(alone.outcomes) > 2
    assert list(alone.outcomes) == list(shared.outcomes)
    a = (tmp_path / "alone" / "results.json").read_bytes()
    b = (tmp_path / "shared" / "results.json").read_bytes()
    assert a == b
    # the warnings, in the order they were raised (the caliper leaves pupils unmatched)
    assert log_alone.messages and log_alone.messages == log_shared.messages
    for name, o in alone.outcomes.items():
        pd.testing.assert_frame_equal(o.att_gt, shared.outcomes[name].att_gt, check_exact=True)


class _NeverStarts(Executor):
    """Workers that never start a task: the kernel estimates every outcome itself."""

    def submit(self, fn, /, *args, **kwargs):
        return Future()


class _Broken(Executor):
    """Workers that died: every task fails with BrokenProcessPool (killed, out of memory)."""

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        future.set_exception(BrokenProcessPool("a worker was killed"))
        return future


@pytest.mark.parametrize("executor", [_NeverStarts, _Broken], ids=["never-started", "died"])
def test_outcomes_the_workers_did_not_estimate_are_estimated_by_the_kernel(tmp_path, executor):
    spec_path = write_small_evaluation(
        tmp_path / "eval",
        matched=True,
        **{"design.matching.caliper": 0.2, "design.matching.history": ["attendance_rate"]},
    )
    alone, log_alone = _evaluate(spec_path, tmp_path / "alone", None)
    kernel, log_kernel = _evaluate(spec_path, tmp_path / "kernel", executor())
    a = (tmp_path / "alone" / "results.json").read_bytes()
    assert a == (tmp_path / "kernel" / "results.json").read_bytes()
    assert log_alone.messages == log_kernel.messages


@pytest.mark.parametrize(
    ("value", "expected"), [("0", 0), ("1", 1), ("3", 3), (" 2 ", 2), ("64", 64)]
)
def test_number_of_workers_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv(workers.ENV_WORKERS, value)
    assert workers.n_workers() == expected


@pytest.mark.parametrize("value", ["-1", "65", "two", "1.5"])
def test_a_bad_number_of_workers_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv(workers.ENV_WORKERS, value)
    with pytest.raises(SroiInputError, match=f"{workers.ENV_WORKERS}={value!r}"):
        workers.n_workers()


def test_default_workers_follow_the_cores(monkeypatch):
    monkeypatch.delenv(workers.ENV_WORKERS, raising=False)
    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid: {0})
    assert workers.n_workers() == 0
    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert workers.n_workers() == 2


def test_no_workers_off_linux(monkeypatch):
    monkeypatch.setenv(workers.ENV_WORKERS, "2")
    monkeypatch.setattr(workers.sys, "platform", "darwin")
    monkeypatch.delattr(workers.os, "sched_getaffinity")  # as on macOS
    assert workers.n_workers() == 0


def test_workers_that_cannot_start_leave_the_kernel_to_compute(monkeypatch):
    """Where the pool cannot be made (e.g. no /dev/shm for its semaphores): a warning, no pool."""
    import concurrent.futures

    def no_semaphores(*args, **kwargs):
        raise OSError(38, "Function not implemented")

    monkeypatch.setenv(workers.ENV_WORKERS, "2")
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_semaphores)
    workers.shutdown()
    with pytest.warns(RuntimeWarning, match="computed in the notebook kernel alone"):
        assert workers.start() is None
    assert workers.current() is None


def test_no_workers_when_set_to_zero(monkeypatch):
    monkeypatch.setenv(workers.ENV_WORKERS, "0")
    workers.shutdown()
    assert workers.start() is None and workers.current() is None


def test_sample_report_is_the_same_with_and_without_workers(tmp_path):
    """The shipped sample end to end: results.json, HTML and notebook byte-identical."""
    outs = {}
    for n in ("0", "2"):
        out = tmp_path / f"workers{n}"
        env = {**__import__("os").environ, workers.ENV_WORKERS: n, "MPLBACKEND": "Agg"}
        done = subprocess.run(
            [sys.executable, "-m", "sroi.cli", "run", "-o", str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        outs[n] = out
    for name in ("results.json", "report.html"):
        assert (outs["0"] / name).read_bytes() == (outs["2"] / name).read_bytes(), name
    # the executed notebooks differ only in the output folder they were given
    notebooks = [
        (outs[n] / "evaluation_report.ipynb").read_text(encoding="utf-8").replace(str(outs[n]), "")
        for n in ("0", "2")
    ]
    assert notebooks[0] == notebooks[1]


def test_checks_handed_to_workers_during_the_input_checks_give_the_same_results(
    tmp_path, monkeypatch
):
    """With workers running, the data cell hands them the unmatched checks before matching."""
    spec_path = write_small_evaluation(
        tmp_path / "eval",
        matched=True,
        n_boot=49,
        **{"design.matching.caliper": 0.2, "design.matching.history": ["attendance_rate"]},
    )
    alone, log_alone = _evaluate(spec_path, tmp_path / "alone", None)
    monkeypatch.setenv(workers.ENV_WORKERS, "2")
    workers.shutdown()
    try:
        assert workers.start() is not None
        spec = nb.load_spec(spec_path)
        data, programme, cohorts = nb.load_data(spec)
        assert any(isinstance(k, tuple) and k[0] == "unmatched checks" for k in data.memo)
        log = nb.WarningLog()
        outcomes = nb.estimate_outcomes(data, spec, log)
        assert not any(isinstance(k, tuple) and k[0] == "unmatched checks" for k in data.memo)
        result = nb.assemble(spec, data, programme, cohorts, outcomes, log)
        (tmp_path / "early").mkdir()
        nb.write_results(result, tmp_path / "early", spec_path)
    finally:
        workers.shutdown()
    a = (tmp_path / "alone" / "results.json").read_bytes()
    assert a == (tmp_path / "early" / "results.json").read_bytes()
    assert log_alone.messages and log_alone.messages == log.messages


def test_checks_handed_to_workers_are_cancelled_when_an_input_check_fails(
    tmp_path, monkeypatch, running_workers
):
    from sroi.report import prechecks
    from sroi.report.shared_tasks import SharedTasks

    spec_path = write_small_evaluation(tmp_path / "eval", matched=True)
    cancelled = []
    real_cancel = SharedTasks.cancel

    def cancel(self):
        cancelled.append(len(self))
        real_cancel(self)

    def refuse(spec, data):
        raise SroiInputError("design.matching.caliper: no comparison unit within the caliper")

    monkeypatch.setattr(SharedTasks, "cancel", cancel)
    monkeypatch.setattr(prechecks, "check_matching", refuse)
    spec = nb.load_spec(spec_path)
    with pytest.raises(SroiInputError, match="caliper"):
        nb.load_data(spec)
    assert cancelled == [len(spec.design.outcomes)]


def test_start_keeps_text_as_python_strings_until_shutdown(monkeypatch):
    monkeypatch.setenv(workers.ENV_WORKERS, "0")
    workers.shutdown()
    before = pd.get_option("mode.string_storage")
    workers.start()
    try:
        assert pd.get_option("mode.string_storage") == "python"
        text = pd.Series(["a", None, "b"], dtype="string")
        assert text.dtype.storage == "python"
        assert text.isna().tolist() == [False, True, False]  # missing values as before
    finally:
        workers.shutdown()
    assert pd.get_option("mode.string_storage") == before


def test_text_as_python_strings_gives_the_same_results(tmp_path):
    """The report keeps text as Python strings (workers.start): same results.json as Arrow."""
    pytest.importorskip("pyarrow")
    if int(pd.__version__.split(".")[0]) < 3:
        pytest.skip("pandas 2 reads text into object arrays: no Arrow storage to compare")
    spec_path = write_small_evaluation(
        tmp_path / "eval",
        matched=True,
        n_boot=49,
        **{"design.matching.caliper": 0.2, "design.matching.history": ["attendance_rate"]},
    )
    runs = {}
    for storage in ("pyarrow", "python"):
        with pd.option_context("mode.string_storage", storage):
            result, log = _evaluate(spec_path, tmp_path / storage, None)
            schools = nb.load_data(nb.load_spec(spec_path))[0].panel["school_id"]
            assert schools.dtype.storage == storage
        runs[storage] = (tmp_path / storage / "results.json").read_bytes(), log.messages
    assert runs["pyarrow"] == runs["python"]
