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
    session.install("ruff>=0.5")
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
    """Speed benchmarks under tests/benchmarks (medians over repeats, printed)."""
    session.install("-e", ".[test]")
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/benchmarks",
        "-p",
        "no:cacheprovider",
        "-s",
        *session.posargs,
    )
