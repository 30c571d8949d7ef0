"""Run the report notebook with papermill and export it.

:func:`run` executes ``notebooks/evaluation_report.ipynb`` with the spec path, output folder,
overrides and seed as papermill parameters (showing a progress bar), then writes into the
output folder:

* ``report.html`` -- one self-contained HTML page: the notebook's outputs, code hidden,
  figures embedded as data URIs, no scripts (:mod:`sroi.report.html_page`);
* ``results.json`` -- written by the notebook, validated against the shipped JSON Schema;
* ``evaluation_report.ipynb`` -- the executed notebook;
* ``run_log.json`` -- when the run started and ended (UTC): the only file that changes when
  the same spec, data and seed are run again. ``results.json``, the HTML and the notebook are
  byte-identical across re-runs into the same folder (no wall-clock time, execution
  timestamps or random cell ids inside; set ``SOURCE_DATE_EPOCH`` to record a fixed time in
  the provenance).

Speed: the kernel is started first (:mod:`sroi.report.kernel`) and imports the report code
while the spec and data are checked; the notebook is saved once, when it ends; while the
kernel draws the figures, a second thread (:mod:`sroi.report.alongside`), once
``results.json`` is written, checks it for identifiers and writes the live workbook. The outputs are the same as doing these steps one after the other.

Output folder (one rule, :func:`output_folder`): the folder given (``sroi run -o OUT`` or
``output_dir``) is used as it is. Without one, the spec's ``report.output`` when the spec sets
it, else ``reports/<name of the spec's folder>``, relative to the current folder; it must be
a relative path without ``..``, so a spec cannot direct writes outside the current folder.

Failures: a missing spec, a bad override or unreadable data raise
:class:`sroi.SroiInputError` (the CLI exits 2); an error inside the notebook raises
:class:`ReportError` naming the report section that failed (exit 1). Before the outputs are
kept, every output is searched for every unit and cluster identifier in the data
(:func:`sroi.report.disclosure.check_no_identifiers`).

A failed run leaves nothing identifying: every error message from the run has the pupil and
school identifiers of the data replaced by ``[identifier removed]`` (the messages reach the
terminal and ``batch_summary.json``; only ``sroi validate``, on the analyst's own console, names
rows), and the partial notebook is deleted. With ``keep_failed=True`` (``--keep-failed``) the
partial notebook is kept for debugging, redacted (identifiers removed, tracebacks cut to the
redacted error line) and a warning says it must not be shared; it is deleted if any identifier
is still found in it.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection
from pathlib import Path
from typing import Any

from sroi import resources
from sroi._checks import check_int, check_seed
from sroi.errors import SroiInputError
from sroi.report.kernel import VALUE_WARM_UP, PrestartedKernel, start_kernel
from sroi.report.workers import ENV_WORKERS

__all__ = [
    "ReportError",
    "run",
    "output_folder",
    "data_identifiers",
    "RUN_LOG_NAME",
    "run_value",
    "export_html",
    "REPORT_NOTEBOOK",
    "VALUE_NOTEBOOK",
]

REPORT_NOTEBOOK = "evaluation_report.ipynb"
VALUE_NOTEBOOK = "value_report.ipynb"
POOL_NOTEBOOK = "pool_report.ipynb"
HTML_NAME = "report.html"
RESULTS_NAME = "results.json"
RUN_LOG_NAME = "run_log.json"


def output_folder(spec: Any, spec_path: str | Path, output_dir: str | Path | None) -> Path:
    """Where a report is written: the one rule shared by ``sroi run`` and :func:`run`.

    Parameters
    ----------
    spec
        The validated spec (:class:`sroi.Spec`).
    spec_path
        Its file (the default folder is named after the file's folder).
    output_dir
        The folder the analyst gave (``-o``), used as it is; ``None`` for the default.

    Returns
    -------
    pathlib.Path
        The folder, absolute.

    Raises
    ------
    SroiInputError
        If the spec's ``report.output`` is absolute or climbs out with ``..``.
    """
    if output_dir is not None:
        return Path(output_dir).resolve()
    if "output" in spec.report.model_fields_set:
        rel = str(spec.report.output)
    else:
        rel = f"reports/{Path(spec_path).resolve().parent.name or 'evaluation'}"
    p = Path(rel)
    if p.is_absolute() or p.drive or ".." in p.parts or rel.startswith(("~", "/", "\\")):
        raise SroiInputError(
            f"report.output must be a folder inside the current folder (relative, no '..'), "
            f"got {rel!r}; give another folder on the command line with -o"
        )
    base = Path.cwd().resolve()
    out = (base / p).resolve()
    if out != base and base not in out.parents:  # e.g. through a symbolic link
        raise SroiInputError(f"report.output {rel!r} leads outside the current folder")
    return out


def _normalise_notebook(executed: Path, nb: Any = None) -> Any:
    """Make the executed notebook byte-reproducible: no timings, fixed cell ids.

    ``nb`` is the notebook as papermill wrote it to ``executed`` (default: read it). Returns
    the notebook (:class:`nbformat.NotebookNode`) as written.
    """
    import nbformat

    if nb is None:
        nb = nbformat.read(str(executed), as_version=4)
    nb.metadata.pop("papermill", None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
    nbformat.write(nb, str(executed))
    return nb


def _write_run_log(path: Path, started: str) -> None:
    import datetime as dt
    import json

    from sroi import __version__

    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    log = {"package_version": __version__, "started_utc": started, "finished_utc": now}
    path.write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")


class ReportError(RuntimeError):
    """The report notebook failed; the message names the section and the partial notebook."""

    def __init__(self, message: str, *, section: str | None = None, notebook: Path | None = None):
        super().__init__(message)
        self.section = section
        self.notebook = notebook


def _split_parameters(parameters: dict[str, Any] | None) -> tuple[dict[str, Any], int | None]:
    if parameters is not None and not isinstance(parameters, dict):
        raise SroiInputError(
            f"parameters must be a dict of spec overrides, e.g. {{'design.matching.caliper': 0.1}}; "
            f"got {type(parameters).__name__}"
        )
    params = dict(parameters or {})
    seed = params.pop("seed", None)
    return params, None if seed is None else check_seed(seed, "seed")


def data_identifiers(spec: Any) -> dict[str, set[str]]:
    """Unit and cluster identifiers in the input files (read only those columns)."""
    from sroi.data.loading import read_table

    roles = spec.data.columns
    out: dict[str, set[str]] = {}
    files = [(spec.resolve(spec.data.path), spec.data.format, spec.data.sheet)]
    if spec.data.units:
        files.append((spec.resolve(spec.data.units), "auto", None))
    for path, fmt, sheet in files:
        df = read_table(path, fmt, sheet, id_columns=(roles.unit,))
        for col in (roles.unit, roles.cluster):
            if col and col in df.columns:
                out.setdefault(col, set()).update(df[col].dropna().astype(str).unique().tolist())
    return out


def _section_of(nb: Any, cell_index: int | None) -> str:
    if cell_index is None:
        return "unknown section"
    cells = nb.cells
    for i in range(min(cell_index, len(cells) - 1), -1, -1):
        sec = cells[i].get("metadata", {}).get("sroi_section")
        if sec:
            return str(sec)
    return "unknown section"


def _failed_cell(nb: Any) -> int | None:
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                return i
    return None


def _run_to_html(
    kernel: PrestartedKernel,
    template: Path,
    executed: Path,
    parameters: dict[str, Any],
    html_path: Path,
    title: str,
    *,
    progress: bool,
    timeout: int | None,
) -> Path:
    """Execute a value or pool notebook and write its HTML page; shut the kernel down."""
    try:
        nb = _execute(
            template, executed, parameters, progress=progress, timeout=timeout, kernel=kernel
        )
        return _write_html(nb, html_path, title)
    finally:
        kernel.shutdown()


def _write_html(nb: Any, html_path: Path, title: str | None) -> Path:
    from sroi.report.html_page import notebook_page

    html_path.write_text(notebook_page(nb, title), encoding="utf-8")
    return html_path


def export_html(notebook: str | Path, html_path: str | Path, title: str | None = None) -> Path:
    """Write an executed notebook as a self-contained HTML page, code and stderr hidden.

    See :func:`sroi.report.html_page.notebook_page`.
    """
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    return _write_html(nb, Path(html_path), title)


def _all_ids(ids: dict[str, set[str]]) -> frozenset[str]:
    return frozenset(v for vals in ids.values() for v in vals)


def _redact_notebook(executed: Path, ids: frozenset[str]) -> bool:
    """Redact a partial notebook in place; False (and the file deleted) if ids remain."""
    import nbformat

    from sroi.report.disclosure import check_no_identifiers, redact

    nb = nbformat.read(str(executed), as_version=4)
    for cell in nb.cells:
        cell["source"] = redact(str(cell.get("source", "")), ids)
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                out["evalue"] = redact(str(out.get("evalue", "")), ids)
                out["traceback"] = [f"{out.get('ename', 'Error')}: {out['evalue']}"]
            elif out.get("output_type") == "stream":
                out["text"] = redact(str(out.get("text", "")), ids)
            elif "data" in out:
                out["data"] = {
                    k: (redact(v, ids) if isinstance(v, str) and k.startswith("text/") else v)
                    for k, v in out["data"].items()
                }
    nbformat.write(nb, str(executed))
    if check_no_identifiers(executed, ids, raise_on_found=False):
        executed.unlink()
        return False
    return True


def _failed_notebook(executed: Path, ids: frozenset[str] | None, keep_failed: bool) -> Path | None:
    """The partial notebook after a failure: deleted, or kept redacted with a warning."""
    if not executed.exists():
        return None
    if ids is None:  # value and pool notebooks: no pupil data in them
        return executed
    if not keep_failed:
        executed.unlink()
        return None
    if not _redact_notebook(executed, ids):
        return None
    warnings.warn(
        f"partial notebook kept for debugging (--keep-failed): {executed}; identifiers were "
        "removed but it may hold row-level values: do not share it",
        stacklevel=3,
    )
    return executed


def _execute(
    template: Path,
    executed: Path,
    parameters: dict[str, Any],
    *,
    progress: bool,
    timeout: int | None,
    ids: Collection[str] | None = None,
    keep_failed: bool = True,
    kernel: PrestartedKernel,
) -> Any:
    """Execute a report notebook in ``kernel``; map failures to SroiInputError / ReportError.

    With ``ids`` (the data's identifiers) every message is redacted and the partial
    notebook is deleted unless ``keep_failed`` (then it is redacted). The notebook is written
    once, when it ends (or fails), not after every cell; it is also returned (as papermill
    wrote it). The kernel's process is killed at the end (:meth:`PrestartedKernel.stop`); the
    caller's :meth:`~PrestartedKernel.shutdown` closes the connection once its pages are
    written.
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from sroi.report.disclosure import redact

    key = None if ids is None else frozenset(ids)

    try:
        kernel.chdir(executed.parent)
        try:
            kernel.wait(timeout)
        except TimeoutError:
            raise ReportError(
                f"the notebook kernel did not finish importing the report code within {timeout} "
                "s (the time allowed per cell); is the machine overloaded?",
                section="setup",
            ) from None
        return papermill.execute_notebook(
            str(template),
            str(executed),
            parameters=parameters,
            progress_bar=progress,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
            cwd=str(executed.parent),
            kernel_name="python3",
            km=kernel.manager,
        )
    except PapermillExecutionError as exc:
        nb = nbformat.read(str(executed), as_version=4) if executed.exists() else None
        section = _section_of(nb, _failed_cell(nb)) if nb is not None else "unknown section"
        evalue = str(exc.evalue) if key is None else redact(str(exc.evalue), key)
        kept = _failed_notebook(executed, key, keep_failed)
        if exc.ename == "SroiInputError":
            raise SroiInputError(evalue) from None
        where = f"partial notebook: {kept}" if kept else "partial notebook not kept"
        raise ReportError(
            f"section '{section}' failed: {exc.ename}: {evalue}; {where}",
            section=section,
            notebook=kept,
        ) from None
    finally:
        kernel.stop()


def run(
    spec_path: str | Path | None = None,
    output_dir: str | Path | None = None,
    parameters: dict[str, Any] | None = None,
    *,
    progress: bool = True,
    timeout: int | None = 900,
    notebook: str = REPORT_NOTEBOOK,
    keep_failed: bool = False,
    kernel: PrestartedKernel | None = None,
    workers: int | None = None,
) -> Path:
    """Run an evaluation report end to end; returns the path of the HTML report.

    Parameters
    ----------
    spec_path
        ``evaluation.yaml`` (default: the shipped sample evaluation).
    output_dir
        Folder for ``report.html``, ``results.json``, the executed notebook,
        ``value_model.xlsx`` (the live workbook, when the spec values the effects) and
        ``run_log.json``; default: see :func:`output_folder` (the spec's ``report.output``
        inside the current folder).
    parameters
        Spec overrides as dotted paths, e.g. ``{"design.matching.caliper": 0.1}``; the key
        ``"seed"`` sets the random seed.
    progress
        Show papermill's progress bar.
    timeout
        Seconds allowed per notebook cell.
    notebook
        Report notebook: a name in ``notebooks/`` or a path to a notebook file.
    keep_failed
        Keep the partial notebook of a failed run (redacted, with a warning); by default it
        is deleted, so a failure leaves no file that could hold identifiers.
    kernel
        A kernel from :func:`sroi.report.kernel.start_kernel`, started earlier so it boots
        while the caller works (``sroi run`` starts it before checking the spec); by default
        one is started here. It is shut down at the end.
    workers
        Worker processes beside the kernel (:mod:`sroi.report.workers`) when this call
        starts the kernel: ``None`` for the default (2 with 2 or more cores), ``0`` for none
        (``sroi batch``, whose areas already run in parallel). The results are the same.
    """
    if kernel is None:  # boots while we check inputs
        env = (
            None
            if workers is None
            else {ENV_WORKERS: str(check_int(workers, "workers", minimum=0, maximum=64))}
        )
        kernel = start_kernel(env=env)
    try:
        return _run_report(
            kernel, spec_path, output_dir, parameters, progress, timeout, notebook, keep_failed
        )
    finally:
        kernel.shutdown()


def _run_report(
    kernel: PrestartedKernel,
    spec_path: str | Path | None,
    output_dir: str | Path | None,
    parameters: dict[str, Any] | None,
    progress: bool,
    timeout: int | None,
    notebook: str,
    keep_failed: bool,
) -> Path:
    """:func:`run` once its kernel is starting."""
    from sroi.report.alongside import Alongside
    from sroi.report.disclosure import DisclosureError, check_no_identifiers
    from sroi.report.live_workbook import MODEL_WORKBOOK, write_model_workbook
    from sroi.report.steps.data import load_spec

    spec_path = Path(spec_path) if spec_path is not None else resources.sample_spec()
    overrides, seed = _split_parameters(parameters)
    spec = load_spec(spec_path, overrides, seed)  # SroiInputError on a bad spec or override
    for rel in [spec.data.path] + ([spec.data.units] if spec.data.units else []):
        p = spec.resolve(rel)
        if not p.exists():
            raise SroiInputError(
                f"{p}: data file not found (check data.path / data.units in {spec_path})"
            )
    ids = data_identifiers(spec)  # also fails early, with SroiInputError, on unreadable data
    import datetime as dt

    started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    out = output_folder(spec, spec_path, output_dir)
    out.mkdir(parents=True, exist_ok=True)
    template = Path(notebook) if Path(notebook).is_file() else resources.notebook(notebook)
    executed = out / template.name
    html_path = out / HTML_NAME
    results_path = out / RESULTS_NAME
    workbook = out / MODEL_WORKBOOK
    for stale in (html_path, results_path, out / RUN_LOG_NAME):
        if stale.exists():
            stale.unlink()
    disclosed: list[DisclosureError] = []

    def on_results(path: Path) -> None:
        # the disclosure check of results.json, and the live workbook, while figures are drawn
        try:
            check_no_identifiers(path, ids)
        except DisclosureError as exc:
            disclosed.append(exc)
            return
        write_model_workbook(spec, path, workbook)

    alongside = Alongside(results_path, on_results)
    alongside.start()
    try:
        ran = _execute(
            template,
            executed,
            {
                "spec_path": str(Path(spec_path).resolve()),
                "output_dir": str(out),
                "overrides": overrides,
                "seed": seed,
            },
            progress=progress,
            timeout=timeout,
            ids=_all_ids(ids),
            keep_failed=keep_failed,
            kernel=kernel,
        )
    except BaseException:
        if alongside.abandon() and workbook.exists():
            workbook.unlink()  # written by this failed run
        raise
    nb = _normalise_notebook(executed, ran)
    alongside.finish()
    _write_html(nb, html_path, spec.report.title)
    outputs = [p for p in (html_path, executed) if p.exists()]
    try:
        if disclosed:
            raise disclosed[0]
        check_no_identifiers(outputs, ids)
    except DisclosureError as exc:
        for p in outputs + [results_path, workbook]:
            if p.exists():
                p.unlink()
        raise ReportError(
            f"disclosure check failed, outputs removed: {exc}", section="disclosure"
        ) from None
    if not results_path.exists():
        raise ReportError(
            f"the notebook did not write {results_path}", section="results", notebook=executed
        )
    _write_run_log(out / RUN_LOG_NAME, started)
    return html_path


def run_value(
    spec_path: str | Path,
    results_path: str | Path,
    output_dir: str | Path,
    *,
    cost_file: str | Path | None = None,
    parameters: dict[str, Any] | None = None,
    progress: bool = True,
    timeout: int | None = 900,
) -> Path:
    """Finance re-run: value saved impact results with (new) cost assumptions.

    Executes ``notebooks/value_report.ipynb`` and writes ``value_report.html``,
    ``value_results.json`` and the executed notebook to ``output_dir``; returns the HTML path.
    ``parameters`` are spec overrides (e.g. ``{"valuation.adjustments.attribution": 0.3}``)
    plus an optional ``seed``.
    """
    kernel = start_kernel(warm_up=VALUE_WARM_UP)  # boots while the inputs are checked
    try:
        return _run_value(
            kernel, spec_path, results_path, output_dir, cost_file, parameters, progress, timeout
        )
    finally:
        kernel.shutdown()


def _run_value(
    kernel: PrestartedKernel,
    spec_path: str | Path,
    results_path: str | Path,
    output_dir: str | Path,
    cost_file: str | Path | None,
    parameters: dict[str, Any] | None,
    progress: bool,
    timeout: int | None,
) -> Path:
    from sroi.report.steps.data import load_spec

    overrides, seed = _split_parameters(parameters)
    over = dict(overrides)
    if cost_file is not None:
        if not Path(cost_file).exists():
            raise SroiInputError(f"{cost_file}: cost workbook not found")
        over["valuation.cost_file"] = str(Path(cost_file).resolve())
    spec = load_spec(spec_path, over, seed)
    if spec.valuation is None:
        raise SroiInputError(f"{spec_path}: the spec has no valuation section to re-value with")
    if not Path(results_path).exists():
        raise SroiInputError(f"{results_path}: saved results not found; run `sroi run` first")
    out = Path(output_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    template = resources.notebook(VALUE_NOTEBOOK)
    return _run_to_html(
        kernel,
        template,
        out / template.name,
        {
            "spec_path": str(Path(spec_path).resolve()),
            "results_path": str(Path(results_path).resolve()),
            "cost_file": None if cost_file is None else str(Path(cost_file).resolve()),
            "output_dir": str(out),
            "overrides": overrides,
            "seed": seed,
        },
        out / "value_report.html",
        f"{spec.report.title}: value re-run",
        progress=progress,
        timeout=timeout,
    )


def run_pool(
    results_paths: list[str | Path],
    output_dir: str | Path,
    *,
    outcome: str | None = None,
    method: str = "REML",
    test: str = "auto",
    level: float = 0.95,
    labels: list[str] | None = None,
    progress: bool = True,
    timeout: int | None = 900,
) -> Path:
    """Pooled report across places: ``pool_report.html``, ``pool_results.json``, forest plot.

    The inputs are checked (:func:`sroi.report.pool.pool`) before the notebook starts, so an
    incompatible file is a one-line input error, not a failed notebook.

    Returns
    -------
    pathlib.Path
        The HTML report.
    """
    from sroi.report.pool import pool

    paths = [str(Path(p).resolve()) for p in results_paths]
    res = pool(paths, outcome, method=method, test=test, level=level, labels=labels)
    out = Path(output_dir).resolve()
    if out.exists() and not out.is_dir():
        raise SroiInputError(f"{out}: is a file; give a folder for the pooled report")
    out.mkdir(parents=True, exist_ok=True)
    template = resources.notebook(POOL_NOTEBOOK)
    return _run_to_html(
        start_kernel(warm_up=("sroi.report.pool", "sroi.report.sections.pooled")),
        template,
        out / template.name,
        {
            "results_paths": paths,
            "outcome": res.outcome,
            "method": method,
            "test": test,
            "level": level,
            "labels": labels,
            "output_dir": str(out),
        },
        out / "pool_report.html",
        f"Pooled results: {res.outcome}",
        progress=progress,
        timeout=timeout,
    )
