"""A real distributed run: several synthetic areas on a Dask LocalCluster, then pooled.

Areas are made with the generator (different seeds, sizes and true effects, see
``sroi.data.synthetic.generate(effect_scale=...)``), run with ``sroi.report.batch`` against a
``dask.distributed.LocalCluster`` with several worker processes, and pooled with
``sroi.report.pool``; the pooled interval must cover the mean of the areas' true effects
(sample ATT, Callaway & Sant'Anna group aggregation, from the potential outcomes).
Skipped, with a message, where the ``sroi[dask]`` extra is not installed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from sroi import resources
from sroi.data import synthetic
from sroi.report.batch import batch
from sroi.report.pool import pool
from sroi.value import remaining_school_years_table, starts_by_year

distributed = pytest.importorskip(
    "dask.distributed", reason="sroi[dask] extra not installed (pip install 'sroi[dask]')"
)

pytestmark = pytest.mark.slow

#: (seed, pupils, effect scale) of each synthetic area
AREAS = [
    (101, 3000, 0.6),
    (102, 4500, 1.4),
    (103, 3000, 1.0),
    (104, 4500, 0.8),
    (105, 3000, 1.2),
    (106, 4500, 0.5),
    (107, 3000, 1.5),
    (108, 4500, 1.0),
]


def _true_group_att(pupils, panel) -> float:
    att = synthetic.att_gt_from_potential(pupils, panel, "attendance_rate")
    sizes = pupils.loc[pupils["cohort"] > 0, "cohort"].value_counts().to_dict()
    agg = synthetic.aggregate_att(att, sizes)
    return float(agg["group"]["overall"])


def _make_area(root: Path, i: int, seed: int, n: int, scale: float) -> tuple[Path, float]:
    folder = root / f"area_{i}"
    folder.mkdir()
    pupils, panel = synthetic.generate(
        n_pupils=n, seed=seed, return_potential=True, effect_scale=scale
    )
    truth = _true_group_att(pupils, panel)
    keep = [c for c in panel.columns if not c.endswith(("_y0", "_y1"))]
    panel[keep].to_csv(folder / "panel.csv", index=False)
    pupils.to_csv(folder / "pupils.csv", index=False)
    spec = yaml.safe_load(resources.sample_spec().read_text(encoding="utf-8"))
    spec["programme"]["name"] = f"Synthetic area {i}"
    spec["programme"]["cohort_size"] = int(pupils["enrolled"].sum())
    spec["data"]["path"] = str(folder / "panel.csv")
    spec["data"]["units"] = str(folder / "pupils.csv")
    spec["design"]["did"]["n_boot"] = 0  # analytic clustered SEs: faster, same estimand
    # lagged family stress separates treated from controls in some small cohorts
    spec["design"]["matching"]["history"] = ["attendance_rate"]
    # rare flags make the propensity model separate in small cohorts of small areas
    rare = {"child_in_need", "child_protection", "looked_after"}
    cols = spec["data"]["columns"]
    cols["covariates"] = [c for c in cols["covariates"] if c not in rare]
    val = spec.get("valuation")
    if val:
        val["cost_file"] = str((resources.sample_spec().parent / val["cost_file"]).resolve())
        val.pop("uncertainty", None)
        enrolled = pupils[pupils["enrolled"] == 1]
        val["starts_by_year"] = [int(x) for x in starts_by_year(enrolled["cohort"])]
        years_left = enrolled["year_group"] + (enrolled["cohort"] - 1) // 3
        val["remaining_school_years"] = {
            int(k): int(v) for k, v in remaining_school_years_table(years_left).items()
        }
    path = folder / "evaluation.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path, truth


def test_batch_on_a_local_dask_cluster_then_pool(tmp_path: Path) -> None:
    made = [_make_area(tmp_path, i, *a) for i, a in enumerate(AREAS)]
    specs = [m[0] for m in made]
    truths = np.array([m[1] for m in made])
    with (
        distributed.LocalCluster(
            n_workers=4, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
    ):
        summary = batch(specs, tmp_path / "out", scheduler=cluster.scheduler_address)
    assert summary.n_failed == 0, summary.summary()
    assert summary.n_succeeded == len(AREAS)
    results = sorted((tmp_path / "out").glob("*/results.json"))
    assert len(results) == len(AREAS)
    pooled = pool(results, "attendance")
    m = pooled.meta
    assert m.k == len(AREAS) and m.test == "knha"
    target = float(truths.mean())
    assert m.ci_low <= target <= m.ci_high, (m.summary(), truths)
    # the areas' true effects differ (scales 0.5 to 1.5): the prediction interval is wider
    assert m.pi_high - m.pi_low >= m.ci_high - m.ci_low
