"""Batch runs: one failure does not stop the others; the summary records each evaluation."""

import json

import pytest

from sroi.errors import SroiInputError
from sroi.report.batch import SUMMARY_NAME, _output_dirs, batch
from tests.report.helpers import write_small_evaluation


def test_output_folders_are_unique(tmp_path):
    specs = [
        tmp_path / "a" / "evaluation.yaml",
        tmp_path / "b" / "a" / "evaluation.yaml",
        tmp_path / "north.yaml",
    ]
    assert [p.name for p in _output_dirs(specs, tmp_path)] == ["a", "a_2", "north"]


def test_bad_arguments(tmp_path):
    with pytest.raises(SroiInputError, match="at least one"):
        batch([], tmp_path)
    with pytest.raises(SroiInputError, match="workers"):
        batch([tmp_path / "x.yaml"], tmp_path, workers=0)


def test_scheduler_without_dask_is_a_clear_error(tmp_path):
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        with pytest.raises(SroiInputError, match=r"sroi\[dask\]"):
            batch([tmp_path / "x.yaml"], tmp_path, scheduler="tcp://127.0.0.1:1")
    else:
        with pytest.raises(SroiInputError, match="cannot reach"):
            batch([tmp_path / "x.yaml"], tmp_path, scheduler="tcp://127.0.0.1:1")


@pytest.mark.slow
def test_one_failure_does_not_stop_the_others(tmp_path):
    # one outcome, no valuation: the cheapest complete report
    spec = write_small_evaluation(
        tmp_path / "tiny",
        valuation=False,
        **{
            "design.outcomes": [
                {
                    "name": "attendance",
                    "column": "attendance_rate",
                    "type": "rate",
                    "direction": "increase",
                    "primary": True,
                }
            ]
        },
    )
    missing = tmp_path / "gone" / "evaluation.yaml"
    summary = batch([spec, missing], tmp_path / "out", workers=2)
    assert summary.n_failed == 1 and summary.n_succeeded == 1
    good, bad = summary.items
    assert good.ok and (tmp_path / "out" / good.output_dir.split("/")[-1] / "report.html").exists()
    assert not bad.ok and bad.error_kind == "input" and "spec file not found" in bad.error
    doc = json.loads((tmp_path / "out" / SUMMARY_NAME).read_text())
    assert doc["n_failed"] == 1 and len(doc["evaluations"]) == 2
    assert "1 succeeded, 1 failed" in summary.summary()


@pytest.mark.slow
def test_dask_backend(tmp_path):
    """`--scheduler` runs the batch on a Dask cluster (skipped without the sroi[dask] extra)."""
    distributed = pytest.importorskip("distributed", reason="sroi[dask] extra not installed")
    spec = write_small_evaluation(
        tmp_path / "tiny",
        valuation=False,
        **{
            "design.outcomes": [
                {
                    "name": "attendance",
                    "column": "attendance_rate",
                    "type": "rate",
                    "direction": "increase",
                    "primary": True,
                }
            ]
        },
    )
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        summary = batch(
            [spec, tmp_path / "gone.yaml"], tmp_path / "out", scheduler=cluster.scheduler_address
        )
    assert summary.backend.startswith("dask")
    assert [i.ok for i in summary.items] == [True, False]
