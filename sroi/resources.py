"""Files that ship with sroi: the sample evaluation and its data, templates, report notebooks.

In the repository they live once, at the top level (``evaluations/``, ``data_samples/``,
``templates/``, ``notebooks/``); the build maps them into the package (``sroi/_bundled/...``
in a wheel), and they are read through :mod:`importlib.resources`, so an installed copy
and a source checkout behave the same.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from sroi.errors import SroiInputError

__all__ = [
    "SAMPLE_EVALUATION",
    "bundled",
    "notebook",
    "sample_data_dir",
    "sample_spec",
    "template",
]

#: Name of the sample evaluation that ships with the package.
SAMPLE_EVALUATION = "impact_programmes"

_PACKAGES = {
    "evaluations": "sroi._bundled.evaluations",
    "data_samples": "sroi._bundled.data_samples",
    "templates": "sroi._bundled.templates",
    "notebooks": "sroi._bundled.notebooks",
}


def bundled(kind: str, *parts: str) -> Path:
    """Path of a shipped file or folder.

    Parameters
    ----------
    kind
        ``"evaluations"``, ``"data_samples"``, ``"templates"`` or ``"notebooks"``.
    *parts
        Path parts inside that folder, e.g. ``("impact_programmes", "evaluation.yaml")``.

    Returns
    -------
    pathlib.Path
        A real file-system path (the package is installed as files, not zipped).

    Raises
    ------
    SroiInputError
        If the file is not part of this installation.
    """
    if kind not in _PACKAGES:
        raise SroiInputError(f"unknown resource kind {kind!r}; use one of {sorted(_PACKAGES)}")
    root: Traversable = resources.files(_PACKAGES[kind])
    target = root.joinpath(*parts) if parts else root
    path = Path(str(target))
    if not path.exists():
        raise SroiInputError(
            f"{'/'.join((kind, *parts))} is not part of this installation of sroi; "
            "reinstall the package (pip install sroi) or pass the path of your own copy"
        )
    return path


def sample_spec() -> Path:
    """The sample evaluation's spec, ``evaluations/impact_programmes/evaluation.yaml``."""
    return bundled("evaluations", SAMPLE_EVALUATION, "evaluation.yaml")


def sample_data_dir(name: str = SAMPLE_EVALUATION) -> Path:
    """Folder of the synthetic sample data, ``data_samples/<name>``."""
    return bundled("data_samples", name)


def template(name: str) -> Path:
    """A starter file from ``templates/`` (e.g. ``"evaluation.yaml"``, ``"unit_costs.xlsx"``)."""
    return bundled("templates", name)


def notebook(name: str) -> Path:
    """A report notebook from ``notebooks/`` (e.g. ``"evaluation_report.ipynb"``)."""
    return bundled("notebooks", name)
