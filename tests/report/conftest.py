"""Fixtures for the report tests: the small evaluation, its identifiers, its report."""

from __future__ import annotations

from pathlib import Path

import pytest

from sroi.report.pipeline import EvaluationResult
from tests.report.helpers import make_small_data, write_small_evaluation


@pytest.fixture(scope="session")
def small_spec_path(tmp_path_factory) -> Path:
    return write_small_evaluation(tmp_path_factory.mktemp("small_eval"))


@pytest.fixture(scope="session")
def small_ids() -> dict[str, list[str]]:
    pupils, _ = make_small_data()
    return {"pupil_id": pupils["pupil_id"].tolist(), "school_id": sorted(set(pupils["school_id"]))}


@pytest.fixture(scope="session")
def small_report(tmp_path_factory, small_spec_path) -> tuple[Path, Path]:
    """The report run end to end on the small evaluation (shared by the slow tests)."""
    from sroi.report import run

    out = tmp_path_factory.mktemp("small_report")
    html = run(small_spec_path, out, progress=False)
    return out, html


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory) -> tuple[Path, Path]:
    """The report run end to end on the shipped sample evaluation (shared by the slow tests)."""
    from sroi.report import run

    out = tmp_path_factory.mktemp("sample_report")
    html = run(None, out, progress=False)
    return out, html


@pytest.fixture(scope="session")
def small_result(small_spec_path) -> EvaluationResult:
    from sroi.report.pipeline import evaluate

    return evaluate(small_spec_path)
