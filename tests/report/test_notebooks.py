"""Report notebooks: stored without outputs, a papermill parameters cell, thin cells."""

import nbformat
import pytest

from sroi import resources

NOTEBOOKS = sorted(resources.bundled("notebooks").glob("*_report.ipynb"))
#: parameters each notebook must declare (default: those of the evaluation and value reports)
PARAMETERS = {"pool_report.ipynb": ("results_paths", "outcome", "method", "test", "output_dir")}


def test_report_notebooks_exist():
    names = {p.name for p in NOTEBOOKS}
    assert "evaluation_report.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has stored outputs"
            assert cell.execution_count is None, f"{path.name}: execution counts stored"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_first(path):
    nb = nbformat.read(str(path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    expected = PARAMETERS.get(path.name, ("spec_path", "output_dir", "overrides", "seed"))
    for name in expected:
        assert f"{name} =" in code[0].source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cells_are_thin_and_name_their_section(path):
    """No logic in notebooks: each cell is at most a couple of calls into sroi."""
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert cell.metadata.get("sroi_section"), "every code cell names its report section"
        lines = [
            ln for ln in cell.source.splitlines() if ln.strip() and not ln.strip().startswith("#")
        ]
        if "parameters" not in cell.metadata.get("tags", []):
            assert len(lines) <= 3, cell.source
        for kw in ("for ", "while ", "def ", "class ", "lambda", "if "):
            assert not any(ln.lstrip().startswith(kw) for ln in lines), cell.source
