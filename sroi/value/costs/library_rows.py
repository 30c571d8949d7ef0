"""Cost-table rows that name a library line: their blank cells come from the library.

A user selects a published line by its library id, either in the ``library`` column of their
own cost table (any id of their own, cells they fill in replace the library's) or directly in
the spec's ``costs`` lists (:meth:`sroi.value.UnitCostTable.with_library_lines`). Their own
local lines sit beside them.
"""

from __future__ import annotations

import pandas as pd

from sroi.value.costs.cells import text_col
from sroi.value.library import load_library

__all__ = ["FILLED", "fill_from_library", "library_record", "library_notes"]

#: Cost-table columns filled from a library line when blank (``basis`` defaults to one_off:
#: one unit of the line per event; a recurring use sets ``per_annum`` and a duration).
FILLED = (
    "description",
    "agency",
    "value_type",
    "category",
    "unit",
    "amount",
    "price_year",
    "source",
    "confidence",
    "low",
    "high",
    "measure",
    "notes",
    "transfer",
)
#: Cells that, when changed, make the library's source wrong.
_OWN_SOURCE = ("amount", "price_year", "low", "high")


def library_record(line: pd.Series) -> dict[str, object]:
    """The cost-table cells a library line gives (see :data:`FILLED`)."""
    notes = "; ".join(x for x in (line["double_counting"], line["notes"]) if x)
    rec: dict[str, object] = {c: line[c] for c in FILLED if c != "notes"}
    rec["notes"] = notes
    rec["transfer"] = "yes" if bool(line["transfer"]) else "no"
    for c in ("low", "high"):
        if pd.isna(rec[c]):
            rec[c] = ""
    return rec


def fill_from_library(df: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Fill the blank cells of rows with a ``library`` id from that library line.

    Parameters
    ----------
    df
        A cost table with canonical columns (:data:`sroi.value.costs.COLUMNS`).

    Returns
    -------
    pandas.DataFrame, list of (int, str)
        The filled table (your ``notes`` are kept in front of the library line's), and problems
        as ``(row position, message)``: an unknown library id, or a changed amount, price
        year, low or high without a source of its own.
    """
    ids = text_col(df["library"])
    if not (ids != "").any():
        return df, []
    lib = load_library()
    out = df.copy().astype(object)
    problems: list[tuple[int, str]] = []
    # which cells the user filled in, parsed once per column (a row's cells change only when
    # that row is filled, after its own look-up); basis is not filled from the library
    filled = {c: (text_col(out[c]) != "").to_numpy() for c in FILLED}
    basis_blank = (text_col(out["basis"]) == "").to_numpy()
    for pos in (ids != "").to_numpy().nonzero()[0]:
        code = ids.iloc[pos]
        if code not in lib.index:
            problems.append((int(pos), f"library id {code!r} is not a library line"))
            continue
        given = {c: bool(filled[c][pos]) for c in FILLED}
        changed = [c for c in _OWN_SOURCE if given[c]]
        if changed and not given["source"]:
            problems.append(
                (
                    int(pos),
                    f"{', '.join(changed)} of library line {code} changed: give the source of "
                    "your own figure in the source column",
                )
            )
        rec = library_record(lib.loc[code])
        for c in FILLED:
            j = out.columns.get_loc(c)
            if not given[c]:
                out.iat[pos, j] = rec[c]
            elif c == "notes" and rec["notes"] and str(rec["notes"]) not in str(out.iat[pos, j]):
                # your notes first, then the library's (once: a table written back keeps them)
                out.iat[pos, j] = f"{str(out.iat[pos, j]).strip()} | library line: {rec['notes']}"
        if basis_blank[pos]:
            out.iat[pos, out.columns.get_loc("basis")] = "one_off"
    return out, problems


def library_notes(data: pd.DataFrame) -> list[str]:
    """Notes on rows whose amount differs from their library line while citing its source."""
    lib = load_library()
    out = []
    for rec in data.loc[data["library"] != ""].to_dict(orient="records"):
        line = lib.loc[rec["library"]] if rec["library"] in lib.index else None
        if line is None or rec["source"] != line["source"]:
            continue
        if rec["amount"] != line["amount"] or rec["price_year"] != line["price_year"]:
            out.append(
                f"cost {rec['id']}: amount {rec['amount']:,.2f} ({rec['price_year']} prices) "
                f"differs from library line {rec['library']} ({line['amount']:,.2f}, "
                f"{line['price_year']} prices) but its source still names the library; say "
                "where your figure comes from"
            )
    return out
