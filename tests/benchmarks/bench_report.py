"""Benchmark: `sroi run` on the shipped sample (target: under 8 s on an idle machine),
`sroi value` re-valuing saved effects (under 3 s) and the value report re-rendered from saved
impact results (under 5 s).

Run with ``nox -s bench`` or ``python -m pytest tests/benchmarks/bench_report.py -s``.
Prints, for each command, the median over ``SROI_BENCH_REPEATS`` runs (default 3) of the wall
time and of the CPU time (user + system, of the command and every process it waited for: the
notebook kernel included), and the load average it ran at: on a shared machine the CPU time
is the steadier figure. Nothing is asserted about time.

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
import time
from pathlib import Path

import pytest

from sroi import resources

SPEC = resources.sample_spec()
REPEATS = int(os.environ.get("SROI_BENCH_REPEATS", "3"))


def _timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, children included) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"}
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


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
