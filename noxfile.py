"""Developer sessions: ``nox -s tests``, ``lint``, ``typecheck``, ``report``, ``bench``."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (the command README.md gives)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff==0.17.6")  # the version pinned in the dev extra
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy on the library (configuration in pyproject.toml, ``[tool.mypy]``)."""
    session.install("-e", ".[dev]")
    session.run("mypy", *session.posargs)


@nox.session(python=PYTHON)
def report(session: nox.Session) -> None:
    """Run the sample evaluation end to end into ./reports/impact_programmes."""
    session.install("-e", ".")
    session.run("sroi", "run", "-o", "reports/impact_programmes", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Speed benchmarks: sroi side by side with its peers, then tests/benchmarks.

    The peers (pyfixest, linearmodels, csdid, diff-diff 3.13; R MatchIt where ``Rscript``
    has it, e.g. Debian's r-cran-matchit) are installed into this session's own
    environment, never as dependencies of sroi. ``nox -s bench -- --cases twfe event_study
    --repeats 5`` passes options to ``tests/benchmarks/side_by_side.py``, which prints one
    table (medians, wall and CPU ratios, peak memory, the Callaway-Sant'Anna scaling slope)
    with the load average. Nothing is asserted about time.
    """
    session.install("-e", ".[test]", "pyfixest", "linearmodels", "csdid", "diff-diff>=3.13,<3.14")
    session.run("python", "tests/benchmarks/side_by_side.py", *session.posargs)
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/benchmarks",
        "-p",
        "no:cacheprovider",
        "-s",
    )


@nox.session(python=PYTHON)
def simulation(session: nox.Session) -> None:
    """Coverage study of the headline inference (tests/simulation; docs/simulation.md).

    Default: the sample report's matched design (school-relative history) in the four
    scenarios, 500 replications each, every inference option including the randomisation
    check, then the randomisation check's size and power with within-school selection
    (tests/simulation/randomization_size.py). Pass options after ``--`` (the study only), e.g.
    ``nox -s simulation -- --reps 500 --estimator staggered`` (the unmatched design) or
    ``--estimator matched`` (matching on raw attendance levels, the design before issue 13).
    """
    session.install("-e", ".[test]")
    args = session.posargs or [
        "--estimator",
        "matched_school",
        "--reps",
        "500",
        "--no-pupil",
        "--ri-reps",
        "500",
        "--ri-perms",
        "199",
    ]
    session.run("python", "-m", "tests.simulation.study", *args)
    if not session.posargs:
        # size and power of the report's randomisation check with within-school selection
        session.run(
            "python", "-m", "tests.simulation.randomization_size", "--reps", "500", "--perms", "199"
        )
