"""``UnitCostTable``: a validated unit-cost table and what a finance officer does with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sroi._xlsx_text import neutralise_frame
from sroi.errors import SroiInputError
from sroi.value.costs.validate import validate_cost_frame
from sroi.value.prices import load_deflators, price_factor

__all__ = ["UnitCostTable"]


@dataclass
class UnitCostTable:
    """A validated unit-cost table.

    Attributes
    ----------
    data
        One row per unit cost with the columns in :data:`sroi.value.costs.COLUMNS`
        (``amount``, ``low``, ``high`` as floats in the row's own ``price_year`` prices;
        ``duration_years`` a float, ``inf`` for ``remaining``).
    path
        Where it was read from (``None`` if built in memory).
    notes
        What the reader skipped and why (blank rows, evaluated formulas...).
    """

    data: pd.DataFrame
    path: str | None = None
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.data)

    def __contains__(self, cost_id: object) -> bool:
        return cost_id in set(self.data["id"])

    @property
    def ids(self) -> list[str]:
        """Cost ids, in table order."""
        return list(self.data["id"])

    def row(self, cost_id: str) -> pd.Series:
        """The row with this id.

        Raises
        ------
        SroiInputError
            Naming the available ids if the id is absent.
        """
        hit = self.data.loc[self.data["id"] == cost_id]
        if hit.empty:
            raise SroiInputError(
                f"unit cost {cost_id!r} is not in the cost table {self.path or ''} "
                f"(ids: {', '.join(self.ids)})"
            )
        return hit.iloc[0]

    def for_outcome(self, outcome: str) -> list[str]:
        """Ids of the rows whose ``outcome`` column is ``outcome``."""
        return list(self.data.loc[self.data["outcome"] == outcome, "id"])

    def with_amount(self, cost_id: str, amount: float) -> UnitCostTable:
        """Copy with one amount changed (what a finance officer does in the workbook).

        ``low``/``high`` are moved to the new amount if it falls outside them.

        Raises
        ------
        SroiInputError
            For an unknown id or an amount that is negative or not finite.
        """
        self.row(cost_id)
        if not np.isfinite(amount) or amount < 0:
            raise SroiInputError(f"unit cost {cost_id!r}: amount must be >= 0 (got {amount!r})")
        d = self.data.copy()
        m = d["id"] == cost_id
        d.loc[m, "amount"] = float(amount)
        d.loc[m & (d["low"] > amount), "low"] = float(amount)
        d.loc[m & (d["high"] < amount), "high"] = float(amount)
        return UnitCostTable(d, self.path, [*self.notes, f"{cost_id}: amount set to {amount}"])

    def with_library_lines(
        self,
        ids: list[str],
        *,
        deflators: pd.Series | None = None,
        grades: pd.DataFrame | None = None,
    ) -> UnitCostTable:
        """Copy with the library lines ``ids`` added (ids already in the table are kept as is).

        An id in the table always means that row; an id that is not is looked up in the
        library (:func:`sroi.value.library.load_library`) and added as a row with that id.

        Raises
        ------
        SroiInputError
            For an id that is neither in the table nor a library line.
        """
        new = [i for i in dict.fromkeys(ids) if i not in self]
        if not new:
            return self
        rows = validate_cost_frame(
            pd.DataFrame({"id": new, "library": new}),
            "the unit-cost library",
            [f"library line {i}" for i in new],
            deflators,
            grades,
        )
        data = pd.concat([self.data, rows], ignore_index=True)
        note = f"library line(s) added from the spec: {', '.join(new)}"
        return UnitCostTable(data, self.path, [*self.notes, note])

    def in_prices_of(self, base_year: str, deflators: pd.Series | None = None) -> pd.DataFrame:
        """The table with ``factor``, ``amount_base``, ``low_base``, ``high_base`` added.

        Parameters
        ----------
        base_year
            Price year (2024 or 2024-25) the ``*_base`` columns are in.
        deflators
            GDP deflators (default: the shipped table).

        Returns
        -------
        pandas.DataFrame
            ``factor = deflator[base_year] / deflator[price_year]`` per row (HM Treasury
            Green Book, 2022: real prices in one base year).
        """
        defl = load_deflators() if deflators is None else deflators
        d = self.data.copy()
        factors = {fy: price_factor(fy, base_year, defl) for fy in d["price_year"].unique()}
        d["factor"] = d["price_year"].map(factors).astype(float)
        for c in ("amount", "low", "high"):
            d[f"{c}_base"] = d[c] * d["factor"]
        return d

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`data`."""
        return self.data.copy()

    def to_csv(self, path: str | Path) -> Path:
        """Write the table as CSV (``inf`` durations as ``remaining``); returns the path.

        Text that a spreadsheet could take for a formula (a description starting with ``=``)
        is written with a leading apostrophe (:func:`sroi._xlsx_text.neutralise_frame`).
        """
        p = Path(path)
        out = self.data.copy()
        out["duration_years"] = out["duration_years"].map(
            lambda x: "remaining" if np.isinf(x) else x
        )
        out["transfer"] = out["transfer"].map({True: "yes", False: "no"})
        neutralise_frame(out).to_csv(p, index=False)
        return p

    @classmethod
    def from_records(
        cls,
        records: list[dict[str, Any]] | pd.DataFrame,
        *,
        deflators: pd.Series | None = None,
        grades: pd.DataFrame | None = None,
        source: str = "table",
        row_labels: list[str] | None = None,
    ) -> UnitCostTable:
        """Validate records (dicts or a DataFrame with loosely named columns).

        Raises
        ------
        SroiInputError
            Listing every problem with its row (see
            :func:`sroi.value.costs.validate.validate_cost_frame`).
        """
        df = records.copy() if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
        data = validate_cost_frame(df, source, row_labels, deflators, grades)
        return cls(data=data, path=source, notes=[])
