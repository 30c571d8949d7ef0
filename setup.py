"""Package layout that pyproject.toml cannot express: the resource folders.

The repository keeps the sample evaluation, its data, the templates and the report notebooks
once, in top-level folders; the build maps each into the package as ``sroi._bundled.<name>``
so a wheel carries them and :mod:`sroi.resources` reads them with :mod:`importlib.resources`.
Everything else about the project is in ``pyproject.toml``.
"""

from setuptools import find_packages, setup

RESOURCE_FOLDERS = ("evaluations", "data_samples", "templates", "notebooks")
FILES = ["*.yaml", "*.md", "*.csv", "*.json", "*.ipynb", "*.xlsx", "*.parquet"]

setup(
    packages=[
        *find_packages(include=["sroi", "sroi.*"]),
        *(f"sroi._bundled.{name}" for name in RESOURCE_FOLDERS),
    ],
    package_dir={f"sroi._bundled.{name}": name for name in RESOURCE_FOLDERS},
    package_data={
        "sroi": ["py.typed", "**/*.csv", "**/*.json", "**/*.md"],
        **{
            f"sroi._bundled.{name}": [*FILES, *(f"**/{f}" for f in FILES)]
            for name in RESOURCE_FOLDERS
        },
    },
    include_package_data=False,
)
