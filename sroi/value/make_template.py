"""Regenerate ``templates/unit_costs.xlsx`` from ``data_samples/unit_costs.csv``.

Run ``python -m sroi.value.make_template [OUT.xlsx]`` from the repository root. The workbook has
a title block above the header (row 5), currency-formatted amounts and a 'lists' sheet of
allowed values; :func:`sroi.value.load_unit_costs` reads it back unchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sroi.value.costs import load_unit_costs
from sroi.value.excel import write_cost_workbook

REPO = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> Path:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else REPO / "templates" / "unit_costs.xlsx"
    table = load_unit_costs(REPO / "data_samples" / "unit_costs.csv")
    path = write_cost_workbook(
        table, out, title="Unit costs for the sample programme (ILLUSTRATIVE amounts)"
    )
    print(f"wrote {path}")
    return path


if __name__ == "__main__":  # pragma: no cover
    main()
