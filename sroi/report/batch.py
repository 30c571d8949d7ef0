"""Run many evaluation reports: local worker processes, or a Dask cluster (``sroi[dask]``).

One failure does not stop the others; every evaluation gets a line in the batch summary
(``batch_summary.json`` in the output folder) with its status, output folder, time and, for
a failure, the one-line error with every pupil and school id of the data removed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sroi.errors import SroiInputError

__all__ = ["batch", "BatchItem", "BatchSummary", "SUMMARY_NAME"]

SUMMARY_NAME = "batch_summary.json"


@dataclass
class BatchItem:
    """Outcome of one evaluation in a batch."""

    spec: str
    output_dir: str
    ok: bool
    html: str | None = None
    error: str | None = None
    error_kind: str | None = None
    seconds: float = 0.0


@dataclass
class BatchSummary:
    """All evaluations of a batch; ``n_failed`` counts the failures."""

    items: list[BatchItem] = field(default_factory=list)
    backend: str = "processes"
    summary_path: Path | None = None

    @property
    def n_failed(self) -> int:
        """Evaluations that failed."""
        return sum(not i.ok for i in self.items)

    @property
    def n_succeeded(self) -> int:
        """Evaluations that wrote their report."""
        return sum(i.ok for i in self.items)

    def __iter__(self) -> Iterator[BatchItem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_dict(self) -> dict[str, Any]:
        """The summary as written to ``batch_summary.json``."""
        return {
            "backend": self.backend,
            "n_evaluations": len(self.items),
            "n_succeeded": self.n_succeeded,
            "n_failed": self.n_failed,
            "evaluations": [asdict(i) for i in self.items],
        }

    def summary(self) -> str:
        """One line per evaluation: status, output folder, time and the error if any."""
        lines = [f"batch: {self.n_succeeded} succeeded, {self.n_failed} failed ({self.backend})"]
        for i in self.items:
            status = "ok" if i.ok else f"FAILED ({i.error_kind}): {i.error}"
            lines.append(f"  {i.spec} -> {i.output_dir}: {status} [{i.seconds:.1f} s]")
        return "\n".join(lines)


def _redacted(spec: str, message: str) -> str:
    """The message with the data's pupil and school ids removed.

    A second layer: the runner already redacts what it raises. A spec or data that cannot be
    read has no ids to hide.
    """
    from sroi.report.disclosure import redact
    from sroi.report.pipeline import load_spec
    from sroi.report.runner import data_identifiers

    try:
        ids = data_identifiers(load_spec(spec))
    except SroiInputError:
        return message
    return redact(message, frozenset(v for vals in ids.values() for v in vals))


def _run_one(spec: str, output_dir: str, parameters: dict[str, Any] | None) -> BatchItem:
    """Run one report; never raises (the error becomes part of the item)."""
    from sroi.report.runner import ReportError, run

    t0 = time.perf_counter()
    try:
        # no worker processes: the areas themselves run in parallel
        html = run(spec, output_dir, parameters=parameters, progress=False, workers=0)
        return BatchItem(spec, output_dir, True, html=str(html), seconds=time.perf_counter() - t0)
    except SroiInputError as exc:
        kind, msg = "input", str(exc)
    except ReportError as exc:
        kind, msg = "report", str(exc)
    except Exception as exc:  # noqa: BLE001 - one failure must not stop the batch
        kind, msg = "error", f"{type(exc).__name__}: {exc}"
    return BatchItem(
        spec,
        output_dir,
        False,
        error=" ".join(_redacted(spec, msg).split())[:1000],
        error_kind=kind,
        seconds=time.perf_counter() - t0,
    )


def _output_dirs(specs: list[Path], output_dir: Path) -> list[Path]:
    """One subfolder per evaluation, named after its folder (suffixed when names repeat)."""
    names: list[str] = []
    for s in specs:
        base = s.parent.name if s.name == "evaluation.yaml" else s.stem
        name, k = base or "evaluation", 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    return [output_dir / n for n in names]


def batch(
    spec_paths: list[str | Path],
    output_dir: str | Path,
    workers: int = 2,
    scheduler: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> BatchSummary:
    """Run several evaluation reports in parallel.

    Parameters
    ----------
    spec_paths
        ``evaluation.yaml`` files.
    output_dir
        Parent folder; each evaluation writes to ``output_dir/<its folder name>``.
    workers
        Local worker processes (ignored with ``scheduler``). Each report also starts its
        own notebook kernel.
    scheduler
        Address of a Dask distributed scheduler (``tcp://host:8786``); needs the
        ``sroi[dask]`` extra.
    parameters
        Overrides applied to every evaluation (as ``sroi.report.run``).

    Returns
    -------
    BatchSummary
        Written also to ``output_dir/batch_summary.json``.
    """
    if not spec_paths:
        raise SroiInputError("batch: give at least one evaluation spec")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SroiInputError(f"batch: workers must be a positive integer, got {workers!r}")
    specs = [Path(p) for p in spec_paths]
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    outs = _output_dirs(specs, out)
    jobs = [(str(s), str(o), parameters) for s, o in zip(specs, outs, strict=True)]
    items: list[BatchItem | None] = [None] * len(jobs)
    if scheduler:
        try:
            from dask.distributed import Client
        except ImportError:
            raise SroiInputError(
                "batch --scheduler needs Dask distributed: pip install 'sroi[dask]'"
            ) from None
        try:
            client = Client(scheduler, timeout="3s")
        except OSError as exc:
            raise SroiInputError(
                f"batch: cannot reach the Dask scheduler {scheduler}: {exc}"
            ) from None
        try:
            futures = [client.submit(_run_one, *j, pure=False) for j in jobs]
            items = list(client.gather(futures))
        finally:
            client.close()
        backend = f"dask ({scheduler})"
    elif workers == 1 or len(jobs) == 1:
        items = [_run_one(*j) for j in jobs]
        backend = "processes (1 worker)"
    else:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
            futs = {pool.submit(_run_one, *j): i for i, j in enumerate(jobs)}
            for fut in as_completed(futs):
                i = futs[fut]
                try:
                    items[i] = fut.result()
                except Exception as exc:  # noqa: BLE001 - a crashed worker fails one item
                    items[i] = BatchItem(
                        jobs[i][0],
                        jobs[i][1],
                        False,
                        error=f"worker crashed: {type(exc).__name__}: {exc}",
                        error_kind="error",
                    )
        backend = f"processes ({min(workers, len(jobs))} workers)"
    summary = BatchSummary(items=[i for i in items if i is not None], backend=backend)
    path = out / SUMMARY_NAME
    path.write_text(json.dumps(summary.to_dict(), indent=2) + "\n", encoding="utf-8")
    summary.summary_path = path
    return summary
