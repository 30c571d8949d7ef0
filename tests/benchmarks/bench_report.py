"""Benchmark: `sroi run` on the shipped sample (target: under 8 s on an idle machine),
`sroi value` re-valuing saved effects (under 3 s) and the value report re-rendered from saved
impact results (under 5 s).

Run with ``nox -s bench`` or ``python -m pytest tests/benchmarks/bench_report.py -s``.
Prints, for each command, the median over ``SROI_BENCH_REPEATS`` runs (default 3) of the wall
time and of the CPU time (user + system) of the command and every process descending from it
(the notebook kernel and its worker processes), and the load average it ran at: on a shared
machine the CPU time is the steadier figure. Nothing is asserted about time.

CPU time: the command's own and that of the processes it waited for (``getrusage``: the
notebook kernel) plus that of the processes below them. The kernel is stopped with a kill
signal, so it never waits for its worker processes and their CPU time (about half of the
report's) is in no ``getrusage`` total; on Linux they are read from ``/proc`` every 50 ms
while the command runs and each one's last reading is added (the last 50 ms or less of each
are missed). Elsewhere the ``getrusage`` total alone is shown.

* ``sroi run`` -- the full command: kernel start, estimation, valuation with 10,000 Monte
  Carlo draws, figures, HTML export, disclosure check, the live workbook;
* ``sroi value --results ... -o ...`` -- re-valuation of the saved effects (Monte Carlo,
  JSON and the workbooks), no report;
* ``sroi.report.run_value`` -- the value report (``value_report.html``) re-rendered from the
  saved ``results.json``: kernel, valuation, figures, HTML;
* ``sroi.report.evaluate`` -- the computation alone, without the notebook.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from sroi import resources

SPEC = resources.sample_spec()
REPEATS = int(os.environ.get("SROI_BENCH_REPEATS", "3"))


#: Seconds between readings of the command's processes in ``/proc``.
POLL = 0.05
PROC = Path("/proc")


def _processes() -> dict[int, tuple[int, float]]:
    """Every process: pid -> (parent pid, CPU seconds so far), from ``/proc/<pid>/stat``."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended in between
            continue
        out[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return out


def _grandchildren_cpu(root: int, cpu: dict[int, float]) -> None:
    """Record in ``cpu`` the CPU seconds so far of each process below ``root``'s children."""
    procs = _processes()
    level = {pid for pid, (parent, _) in procs.items() if parent == root}
    while level:
        level = {pid for pid, (parent, _) in procs.items() if parent in level}
        for pid in level:
            cpu[pid] = max(cpu.get(pid, 0.0), procs[pid][1])


def _timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one command and all its descendants."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampled: dict[int, float] = {}
    with tempfile.TemporaryFile("w+") as stderr:  # a pipe could fill while we poll
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ, "MPLBACKEND": "Agg"}
        )
        if PROC.is_dir():
            while proc.poll() is None:
                _grandchildren_cpu(proc.pid, sampled)
                time.sleep(POLL)
        proc.wait()
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        stderr.seek(0)
        assert proc.returncode == 0, stderr.read()[-2000:]
    waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, waited + sum(sampled.values())


def _report(name: str, target: float, runs: list[tuple[float, float]]) -> None:
    walls = [w for w, _ in runs]
    cpus = [c for _, c in runs]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n{name}: median {statistics.median(walls):.1f} s wall "
        f"({', '.join(f'{w:.1f}' for w in walls)}), {statistics.median(cpus):.1f} s CPU "
        f"({', '.join(f'{c:.1f}' for c in cpus)}) over {len(runs)} runs; target < {target:g} s "
        f"idle; load average {load}"
    )


@pytest.fixture(scope="module", autouse=True)
def compiled_package() -> None:
    """sroi's modules compiled to bytecode, as an installed package has them.

    ``pip install`` compiles a package's modules when it installs them; an editable install
    (``pip install -e .``, as ``nox -s bench`` makes) compiles each module the first time it
    is imported and keeps the bytecode, unless ``PYTHONDONTWRITEBYTECODE`` is set (as on
    our CI machines): then every process compiles every module it imports again, which
    adds about half a second to each command and to its notebook kernel. Compiled once here,
    the timings are those of an installed sroi. (``__pycache__`` is ignored by git.)
    """
    package = Path(resources.__file__).resolve().parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


@pytest.fixture(scope="module")
def saved_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``results.json`` of one `sroi run` of the sample (what the value re-run reads)."""
    out = tmp_path_factory.mktemp("saved")
    _timed([sys.executable, "-m", "sroi.cli", "run", str(SPEC), "-o", str(out)])
    return out / "results.json"


def test_bench_sroi_run_sample(tmp_path: Path) -> None:
    runs = [
        _timed([sys.executable, "-m", "sroi.cli", "run", str(SPEC), "-o", str(tmp_path / f"r{i}")])
        for i in range(REPEATS)
    ]
    _report("sroi run (sample)", 8, runs)


def test_bench_sroi_value_cli(tmp_path: Path, saved_results: Path) -> None:
    runs = [
        _timed(
            [
                sys.executable,
                "-m",
                "sroi.cli",
                "value",
                str(SPEC),
                "--results",
                str(saved_results),
                "-o",
                str(tmp_path / f"v{i}"),
            ]
        )
        for i in range(REPEATS)
    ]
    _report("sroi value (sample, saved effects)", 3, runs)  # the bar of issue 17


def test_bench_value_report(tmp_path: Path, saved_results: Path) -> None:
    code = (
        "import sys; from sroi.report import run_value; "
        "run_value(sys.argv[1], sys.argv[2], sys.argv[3], progress=False)"
    )
    runs = [
        _timed([sys.executable, "-c", code, str(SPEC), str(saved_results), str(tmp_path / f"h{i}")])
        for i in range(REPEATS)
    ]
    _report("value report re-render (run_value, sample)", 5, runs)


def test_bench_evaluate_sample() -> None:
    from sroi.report import evaluate

    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        evaluate(SPEC)
        times.append(time.perf_counter() - t0)
    print(
        f"\nsroi.report.evaluate (sample): median {statistics.median(times):.1f} s over "
        f"{REPEATS} runs ({', '.join(f'{t:.1f}' for t in times)})"
    )
