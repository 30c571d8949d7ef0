"""Shipped files are found through sroi.resources, the same way in a checkout and a wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

from sroi import SroiInputError, resources

ROOT = Path(__file__).resolve().parents[1]


def test_each_resource_kind_maps_to_its_top_level_folder():
    # In a source checkout (editable install) the mapped folders are the repository's own,
    # so each resource is kept once.
    for kind in ("evaluations", "data_samples", "templates", "notebooks"):
        assert resources.bundled(kind).resolve() == (ROOT / kind).resolve()


def test_named_resources_exist():
    assert resources.sample_spec().name == "evaluation.yaml"
    assert (resources.sample_data_dir() / "panel.csv").is_file()
    assert resources.template("evaluation.yaml").is_file()
    assert resources.template("unit_costs.xlsx").is_file()
    assert resources.notebook("evaluation_report.ipynb").is_file()
    assert resources.notebook("value_report.ipynb").is_file()


def test_missing_resource_and_unknown_kind_are_input_errors():
    with pytest.raises(
        SroiInputError, match="templates/nope.yaml is not part of this installation"
    ):
        resources.template("nope.yaml")
    with pytest.raises(SroiInputError, match="unknown resource kind 'docs'"):
        resources.bundled("docs")


def test_no_module_locates_files_outside_the_package_from_its_own_path():
    # Shipped files are read through importlib.resources (sroi.resources), never through a
    # REPO_ROOT: a path built from __file__ may not leave the sroi package, because an
    # installed wheel has nothing around the package.
    import re

    offenders = []
    for f in (ROOT / "sroi").rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        depth = len(f.relative_to(ROOT / "sroi").parts)  # sroi/x.py -> 1, sroi/a/x.py -> 2
        if "REPO_ROOT" in text:
            offenders.append(f"{f.relative_to(ROOT)}: REPO_ROOT")
        for m in re.finditer(r"\.parents\[(\d+)\]", text):
            if int(m.group(1)) + 1 >= depth:  # parents[depth-1] is the folder holding sroi/
                offenders.append(f"{f.relative_to(ROOT)}: {m.group(0)}")
    assert offenders == []
