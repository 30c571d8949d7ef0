"""The ``sroi`` command.

Subcommands
-----------
``sroi run [SPEC] [-o OUT] [-p key=value ...]``
    Run an evaluation end to end and write the HTML report, ``results.json`` and the
    executed notebook (default: the shipped sample evaluation).
``sroi value SPEC [--results results.json] [--costs FILE]``
    Re-value saved impact results with (possibly changed) cost assumptions.
``sroi validate SPEC``
    Check the spec and its data together and print what was found.
``sroi init NAME [--data FILE [--units FILE]]``
    Start a new evaluation folder from the templates (column roles proposed from your data).
``sroi batch SPEC... -o OUT [--workers N] [--scheduler ADDRESS]``
    Run many evaluations in parallel.
``sroi pool RESULTS... -o OUT [--outcome NAME] [--method REML|DL|PM|FE] [--test ...]``
    Pool one outcome's effect across places (random-effects meta-analysis) into a report.

Input errors print one clear message, no traceback, and exit with status 2.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sroi import resources
from sroi.errors import SroiInputError

if TYPE_CHECKING:  # pragma: no cover
    from typing import TypeAlias

    from sroi.report.kernel import PrestartedKernel
    from sroi.value import SimulationResult, ValueResult

    _Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

__all__ = ["main", "build_parser"]

EXIT_INPUT = 2
EXIT_FAILURE = 1


def _parse_parameters(items: Sequence[str] | None) -> dict[str, Any]:
    """``key=value`` pairs; values are parsed as YAML scalars (numbers, true/false, lists)."""
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise SroiInputError(
                f"-p {item!r}: expected key=value, e.g. -p design.matching.caliper=0.1"
            )
        key, raw = item.split("=", 1)
        key = key.strip()
        if not key:
            raise SroiInputError(f"-p {item!r}: the key before '=' is empty")
        try:
            out[key] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            out[key] = raw
    return out


# ------------------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace) -> int:
    """``sroi run``: run the report notebook; a failing report section exits 1."""
    from sroi.report.kernel import start_kernel

    # the kernel boots and imports the report code while the spec and data are checked
    kernel = start_kernel()
    try:
        return _run_report(args, kernel)
    finally:
        kernel.shutdown()


def _run_report(args: argparse.Namespace, kernel: PrestartedKernel) -> int:
    from sroi import report
    from sroi.report.runner import output_folder
    from sroi.spec import Spec

    spec_path = Path(args.spec) if args.spec else resources.sample_spec()
    spec = Spec.load(spec_path)  # fail fast with a clear message before starting papermill
    params = _parse_parameters(args.param)
    if args.seed is not None:
        params["seed"] = args.seed
    # one rule (sroi.report.runner.output_folder): -o as given, else report.output inside
    # the current folder (relative, no '..'), else reports/<evaluation folder>
    out = output_folder(spec, spec_path, args.output)
    _check_output_dir(out)
    print(f"sroi run: {spec.programme.name} -> {out}")
    try:
        html = report.run(
            spec_path,
            out,
            parameters=params or None,
            keep_failed=args.keep_failed,
            kernel=kernel,
        )
    except report.ReportError as exc:
        print(f"sroi: report failed: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"report: {html}")
    results = Path(out) / "results.json"
    if results.exists():
        print(f"results: {results}")
    if args.pdf:
        from sroi.report.pdf import PdfUnavailable, print_pdf

        try:
            print(f"pdf: {print_pdf(html)}")
        except PdfUnavailable as exc:
            print(f"sroi: {exc}", file=sys.stderr)
    return 0


def cmd_value(args: argparse.Namespace) -> int:
    """``sroi value``: re-value the effects saved in ``results.json``."""
    import sroi.value as value
    from sroi.report.results import saved_effects
    from sroi.report.steps.value import effects_to_value
    from sroi.spec import Spec

    spec = Spec.load(args.spec)
    overrides = _parse_parameters(args.param)
    if args.costs:
        overrides["valuation.cost_file"] = str(Path(args.costs).resolve())
    if args.deflators:
        overrides["valuation.deflators"] = str(Path(args.deflators).resolve())
    if overrides:
        spec = spec.with_overrides(overrides)
    if spec.valuation is None:
        raise SroiInputError(f"{args.spec}: the spec has no valuation section to re-value with")
    results_path = (
        Path(args.results)
        if args.results
        else Path("reports") / Path(args.spec).resolve().parent.name / "results.json"
    )
    if not results_path.exists():
        raise SroiInputError(
            f"{results_path}: saved impact results not found; run `sroi run {args.spec}` first "
            "or pass --results PATH"
        )
    try:
        effects = saved_effects(results_path)
    except SroiInputError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise SroiInputError(
            f"{results_path}: not a results.json written by `sroi run` (wrong shape or types: "
            f"{type(exc).__name__}: {_one_line(str(exc))[:200]})"
        ) from None
    # the spec's rule for which effects are valued (valuation.value_effects), as in the report
    result = value.run(spec, effects_to_value(spec, effects))
    print(result.summary())
    # the report's seed and number of draws; results.json keeps no bootstrap draws, so the
    # effects are drawn from their standard errors (the report resamples its bootstrap draws)
    sim = value.simulate(result, n_draws=10_000, random_state=spec.seed)
    print(_value_uncertainty(result, sim))
    if args.output:
        from sroi.value.workbook import write_value_model

        out = Path(args.output)
        if out.suffix.lower() not in (".json", ".xlsx"):
            out = out / "value_results.json"
        _check_output_dir(out.parent)
        json_path, workbook = out.with_suffix(".json"), out.with_suffix(".xlsx")
        doc = {**result.to_dict(), "monte_carlo": sim.to_dict()}
        json_path.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
        print(f"value results: {json_path}")
        result.to_excel(workbook)
        print(f"value workbook: {workbook}")
        live = out.parent / "value_model.xlsx"
        write_value_model(result, live)
        print(f"live workbook (edit the shaded inputs in Excel): {live}")
    return 0


def _value_uncertainty(result: ValueResult, sim: SimulationResult) -> str:
    """The Monte Carlo interval, P(benefits > costs) and the confidence-grade cuts, as text."""
    lo, hi = sim.interval("sroi_ratio", 0.95)
    nlo, nhi = sim.interval("npv", 0.95)
    lines = [
        f"Monte Carlo: {sim.n_draws:,} draws, seed {sim.random_state} (the report's seed; effects "
        "drawn from their standard errors, as results.json keeps no bootstrap draws)",
        f"  SROI ratio 95% interval [{lo:.2f}, {hi:.2f}]; NPV 95% interval "
        f"[£{nlo:,.0f}, £{nhi:,.0f}]",
        f"  chance that benefits exceed costs: {sim.prob_npv_positive:.1%}",
        "Confidence-grade reductions applied to the unit costs valued:",
    ]
    cuts = result.confidence_reductions()
    for (grade, cut), grp in cuts.groupby(["confidence", "reduction"], sort=True):
        lines.append(f"  grade {grade} (-{cut:.0%}): {', '.join(dict.fromkeys(grp['cost_id']))}")
    lines.append(f"  {result.confidence_grade_note()}")
    return "\n".join(lines)


def cmd_validate(args: argparse.Namespace) -> int:
    """``sroi validate``: every check ``sroi run`` makes before estimating, then a summary."""
    from sroi.report.prechecks import check_inputs
    from sroi.spec import Spec

    spec = Spec.load(Path(args.spec) if args.spec else resources.sample_spec())
    params = _parse_parameters(args.param)
    if params:
        spec = spec.with_overrides(params)
    print(f"spec: {spec.path} (valid)")
    print(f"programme: {spec.programme.name}")
    data, notes = check_inputs(spec)
    print(data.summary())
    outcomes = ", ".join(
        f"{o.name}{' (primary)' if o.primary else ''}" for o in spec.design.outcomes
    )
    print(f"outcomes: {outcomes}")
    for note in notes:
        print(note)
    print("ok: spec and data are consistent")
    return 0


def _check_output_dir(path: Path) -> None:
    """Create the output folder, or say why it cannot be (a file in the way, no permission)."""
    for p in (path, *path.parents):
        if p.exists() and not p.is_dir():
            raise SroiInputError(
                f"{path}: cannot use as output folder: {p} is a file, not a folder; "
                "choose another output path with -o"
            )
        if p.exists():
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SroiInputError(
            f"{path}: cannot create the output folder ({exc.strerror}); choose another with -o"
        ) from None
    if not os.access(path, os.W_OK):
        raise SroiInputError(f"{path}: the output folder is not writable; choose another with -o")


def _init_text(args: argparse.Namespace, name: str, dest: Path) -> tuple[str, list[str]]:
    """The new spec's text, and the choices to check when it was drafted from ``--data``."""
    template = resources.template("evaluation.yaml").read_text(encoding="utf-8")
    if not args.data:
        return template.replace("__EVALUATION_NAME__", name), []
    from sroi.data.loading import read_table
    from sroi.data.roles import propose_roles
    from sroi.spec_draft import draft_spec

    data_path = Path(args.data).resolve()
    frame = read_table(data_path)
    units_path = Path(args.units).resolve() if args.units else None
    units = read_table(units_path) if units_path else None
    prop = propose_roles(frame, units)

    def where(path: Path) -> Path:
        # relative to the spec's folder when the file is inside the working folder, else absolute
        inside = path.is_relative_to(Path.cwd().resolve())
        return Path(os.path.relpath(path, dest.resolve())) if inside else path

    text = draft_spec(
        template, name, prop, where(data_path), where(units_path) if units_path else None
    )
    return text, [f"{role}: {note}" for role, note in prop.checks.items()]


def cmd_init(args: argparse.Namespace) -> int:
    """``sroi init NAME [--data FILE]``: a new evaluation folder from the shipped templates."""
    name = args.name
    if not name.replace("_", "").replace("-", "").isalnum():
        raise SroiInputError(
            f"init {name!r}: use letters, digits, '-' and '_' only for the evaluation name"
        )
    _check_output_dir(Path(args.dir))
    dest = Path(args.dir) / name
    if dest.exists():
        raise SroiInputError(f"{dest}: already exists; choose another name or remove it")
    if args.units and not args.data:
        raise SroiInputError("init --units needs --data (the panel file) as well")
    dest.mkdir(parents=True)
    try:
        text, checks = _init_text(args, name, dest)
    except SroiInputError:
        dest.rmdir()
        raise
    (dest / "evaluation.yaml").write_text(text, encoding="utf-8")
    shutil.copy(resources.template("unit_costs.xlsx"), dest / "unit_costs.xlsx")
    (dest / "README.md").write_text(
        f"# {name}\n\n"
        "What this evaluation is, who the programme serves, where the data come from and who\n"
        "owns them. Edit `evaluation.yaml` (every field is explained in its comments), then:\n\n"
        f"    sroi validate {dest / 'evaluation.yaml'}\n"
        f"    sroi run {dest / 'evaluation.yaml'} -o reports/{name}\n",
        encoding="utf-8",
    )
    print(f"created {dest}/ (evaluation.yaml, unit_costs.xlsx, README.md).")
    if checks:
        print(f"proposed from {args.data}; confirm these (marked '# CHECK' in the spec):")
        for line in checks:
            print(f"  - {line}")
    print(f"Next: edit evaluation.yaml, then  sroi validate {dest / 'evaluation.yaml'}")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    """``sroi batch``: many evaluations; exits 1 when any of them failed."""
    from sroi import report

    for s in args.specs:
        if not Path(s).exists():
            raise SroiInputError(f"{s}: spec file not found")
    _check_output_dir(Path(args.output))
    summary = report.batch(
        [Path(s) for s in args.specs],
        Path(args.output),
        workers=args.workers,
        scheduler=args.scheduler,
    )
    print(f"batch: {summary.n_succeeded} succeeded, {summary.n_failed} failed; see {args.output}")
    return EXIT_FAILURE if summary.n_failed else 0


def cmd_pool(args: argparse.Namespace) -> int:
    """``sroi pool``: random-effects meta-analysis of one outcome across results files."""
    from sroi.report import ReportError
    from sroi.report.runner import run_pool

    labels = [x.strip() for x in args.labels.split(",")] if args.labels else None
    out, existed = Path(args.output), Path(args.output).exists()
    _check_output_dir(out)
    try:
        html_path = run_pool(
            args.results,
            out,
            outcome=args.outcome,
            method=args.method,
            test=args.test,
            level=args.level,
            labels=labels,
        )
    except ReportError as exc:
        print(f"sroi: pooled report failed: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except SroiInputError:
        if not existed and not any(out.iterdir()):
            out.rmdir()  # a bad input leaves no empty folder behind
        raise
    doc = json.loads((html_path.parent / "pool_results.json").read_text(encoding="utf-8"))
    meta = doc["meta"]
    pct = round(meta["level"] * 100)
    print(
        f"pooled effect on {doc['outcome']} across {meta['k']} places: {meta['estimate']:.4g} "
        f"({pct}% CI {meta['ci_low']:.4g} to {meta['ci_high']:.4g}); "
        f"{pct}% prediction interval {meta['pi_low']:.4g} to {meta['pi_high']:.4g}"
    )
    print(f"report: {html_path}")
    return 0


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The ``sroi`` argument parser with its subcommands."""
    p = argparse.ArgumentParser(
        prog="sroi",
        description=(
            "Impact evaluation and social return on investment for programmes for children "
            "and families. Start with `sroi run` (the sample evaluation) or `sroi init NAME`."
        ),
    )
    from sroi import __version__

    p.add_argument("--version", action="version", version=f"sroi {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_run, _add_value, _add_validate, _add_init, _add_batch, _add_pool):
        add(sub)
    return p


def _add_run(sub: _Subparsers) -> None:
    r = sub.add_parser(
        "run",
        help="run an evaluation and write its report",
        description="Run an evaluation end to end: HTML report, results.json, executed notebook.",
    )
    r.add_argument("spec", nargs="?", help="evaluation.yaml (default: the shipped sample)")
    r.add_argument(
        "-o",
        "--output",
        help="output folder (default: the spec's report.output, a folder inside the current "
        "one, else reports/<evaluation folder>)",
    )
    r.add_argument(
        "--keep-failed",
        action="store_true",
        help="keep the partial notebook of a failed run for debugging (identifiers removed; "
        "do not share it)",
    )
    r.add_argument(
        "-p",
        "--param",
        "--set",
        dest="param",
        action="append",
        metavar="KEY=VALUE",
        help="override a spec field, e.g. -p design.matching.caliper=0.1 (repeatable)",
    )
    r.add_argument("--seed", type=int, help="random seed (default: the spec's seed)")
    r.add_argument(
        "--pdf",
        action="store_true",
        help="also print the report to report.pdf with headless Chromium (skipped with a "
        "message when Chromium is not installed)",
    )
    r.set_defaults(func=cmd_run)


def _add_value(sub: _Subparsers) -> None:
    v = sub.add_parser(
        "value",
        help="re-value saved impact results with new cost assumptions",
        description=(
            "Re-value saved impact results (results.json from `sroi run`) with the spec's "
            "valuation section, a different cost workbook (--costs) or overrides (-p)."
        ),
    )
    v.add_argument("spec", help="evaluation.yaml")
    v.add_argument(
        "--results",
        "--impact",
        dest="results",
        help="results.json from `sroi run` (default: reports/<evaluation folder>/results.json)",
    )
    v.add_argument(
        "--costs",
        help="cost workbook (.csv, .xlsx or .yaml) replacing the spec's; value_model.xlsx from "
        "`sroi run` or `sroi value -o` is read back with its edited unit costs",
    )
    v.add_argument(
        "--deflators",
        help="GDP deflators replacing the shipped HM Treasury series: the HM Treasury workbook "
        "as downloaded (.xlsx, 'GDP deflators at market prices, and money GDP') or a CSV with "
        "calendar_year,deflator or financial_year,deflator",
    )
    v.add_argument(
        "-p",
        "--param",
        "--set",
        dest="param",
        action="append",
        metavar="KEY=VALUE",
        help="override a spec field, e.g. --set valuation.adjustments.attribution=0.2",
    )
    v.add_argument(
        "-o",
        "--output",
        help="where to write the results: a .json or .xlsx file (both are written, side by "
        "side) or a folder (value_results.json and value_results.xlsx); the live workbook "
        "value_model.xlsx is written beside them",
    )
    v.set_defaults(func=cmd_value)


def _add_validate(sub: _Subparsers) -> None:
    c = sub.add_parser(
        "validate",
        help="check a spec and its data",
        description="Validate the spec and its data together and print a short summary.",
    )
    c.add_argument("spec", nargs="?", help="evaluation.yaml (default: the shipped sample)")
    c.add_argument(
        "-p",
        "--param",
        "--set",
        dest="param",
        action="append",
        metavar="KEY=VALUE",
        help="override a spec field as `sroi run -p` does (repeatable)",
    )
    c.set_defaults(func=cmd_validate)


def _add_init(sub: _Subparsers) -> None:
    i = sub.add_parser(
        "init",
        help="start a new evaluation folder from the templates",
        description="Create evaluations/NAME/ with a commented evaluation.yaml and README.md.",
    )
    i.add_argument("name", help="folder name for the new evaluation")
    i.add_argument("--dir", default="evaluations", help="parent folder (default: evaluations)")
    i.add_argument(
        "--data",
        help="your panel file (CSV, Parquet, Excel): the spec's column roles are proposed from it",
    )
    i.add_argument("--units", help="optional file of unit characteristics, one row per unit")
    i.set_defaults(func=cmd_init)


def _add_batch(sub: _Subparsers) -> None:
    b = sub.add_parser(
        "batch",
        help="run many evaluations in parallel",
        description="Run several evaluations; one failure does not stop the others.",
    )
    b.add_argument("specs", nargs="+", help="evaluation.yaml files")
    b.add_argument("-o", "--output", required=True, help="output folder (one subfolder each)")
    b.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    b.add_argument("--scheduler", help="Dask scheduler address (needs the sroi[dask] extra)")
    b.set_defaults(func=cmd_batch)


def _add_pool(sub: _Subparsers) -> None:
    p = sub.add_parser(
        "pool",
        help="pool one outcome across places (meta-analysis)",
        description=(
            "Random-effects meta-analysis of one outcome's effect across evaluations "
            "(results.json files from sroi run), with a pooled report."
        ),
    )
    p.add_argument("results", nargs="+", help="results.json files, one per place")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--outcome", help="outcome to pool (default: the primary outcome)")
    p.add_argument("--method", default="REML", choices=["REML", "DL", "PM", "FE"])
    p.add_argument(
        "--test",
        default="auto",
        choices=["auto", "z", "knha", "adhoc"],
        help="auto: Hartung-Knapp-Sidik-Jonkman below 10 places, z from 10",
    )
    p.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    p.add_argument("--labels", help="place names, comma-separated, in the order of the files")
    p.set_defaults(func=cmd_pool)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sroi`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except SroiInputError as exc:
        print(f"sroi: error: {_message(str(exc))}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:  # pragma: no cover
        print("sroi: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug of ours: one line, traceback to a file
        saved = _save_traceback()
        print(
            f"sroi: internal error ({type(exc).__name__}: {_one_line(str(exc))[:200]}); this is "
            f"a bug in sroi, please report it with the traceback saved in {saved}",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def _save_traceback() -> str:
    """Write the current exception's traceback to a temporary file and return its path."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        fd, name = tempfile.mkstemp(prefix=f"sroi-traceback-{stamp}-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(traceback.format_exc())
    except OSError:  # pragma: no cover - nowhere to write: say so
        return "(nowhere: the temporary folder is not writable)"
    return name


def _message(message: str) -> str:
    """An input error as printed: the first line says what and where, one problem a line."""
    lines = [part.rstrip() for part in message.splitlines() if part.strip()]
    text = "\n".join(lines) or "(no message)"
    return text if len(text) <= 4000 else text[:4000] + " ... (message cut)"


def _one_line(message: str) -> str:
    """An error message on one line (multi-line messages joined with ``; ``), size-capped."""
    text = "; ".join(part.strip() for part in message.splitlines() if part.strip())
    return text if len(text) <= 4000 else text[:4000] + " ... (message cut)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
