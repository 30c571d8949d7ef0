"""Write the unit-cost workbook template (``templates/unit_costs.xlsx``) from a cost table.

Run ``python -m sroi.value.make_template [OUT.xlsx] [--costs COSTS.csv]``. By default it reads
the shipped sample table (``data_samples/unit_costs.csv``) and writes the shipped template
(``templates/unit_costs.xlsx``), both found through :mod:`sroi.resources`. The workbook has a
title block above the header (row 5), currency-formatted amounts and a 'lists' sheet of allowed
values; :func:`sroi.value.load_unit_costs` reads it back unchanged.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sroi import resources
from sroi.value.costs import load_unit_costs
from sroi.value.excel import write_cost_workbook

__all__ = ["main", "write_template"]

#: Title of the shipped template.
TITLE = "Unit costs for the sample programme (published lines of the Unit Cost Database v1.2 where one exists; illustrative otherwise)"


def write_template(
    costs: str | Path | None = None,
    out: str | Path | None = None,
    *,
    title: str = TITLE,
) -> Path:
    """Write a unit-cost table as the finance-style workbook template.

    Parameters
    ----------
    costs
        A unit-cost table (CSV, .xlsx or YAML). Default: the shipped sample table,
        ``sroi.resources.bundled("data_samples", "unit_costs.csv")``.
    out
        The workbook to write. Default: ``unit_costs.xlsx`` in the shipped templates folder,
        ``sroi.resources.bundled("templates")``.
    title
        Title in cell A1.

    Returns
    -------
    pathlib.Path
        The workbook written.

    Raises
    ------
    SroiInputError
        If the cost table is missing or invalid (every problem listed with its row).
    """
    src = Path(costs) if costs is not None else resources.bundled("data_samples", "unit_costs.csv")
    dest = Path(out) if out is not None else resources.bundled("templates") / "unit_costs.xlsx"
    return write_cost_workbook(load_unit_costs(src), dest, title=title)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m sroi.value.make_template [OUT.xlsx] [--costs FILE]``.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success (the path written is printed).
    """
    parser = argparse.ArgumentParser(
        prog="python -m sroi.value.make_template",
        description="Write the unit-cost workbook template from a cost table.",
    )
    parser.add_argument("out", nargs="?", help="workbook to write (default: the shipped template)")
    parser.add_argument("--costs", help="cost table to write (default: the shipped sample table)")
    parser.add_argument("--title", default=TITLE, help="title in cell A1")
    args = parser.parse_args(argv)
    path = write_template(args.costs, args.out, title=args.title)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
