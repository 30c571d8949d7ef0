"""Read evaluation data from CSV, Parquet or Excel and validate it against the spec.

:func:`read_table` reads one file; :func:`load_evaluation_data` reads the files a spec
names, joins unit characteristics to the panel, applies the comparison pool and the
missing-value policy, validates everything (:mod:`sroi.data.validation`) and returns an
:class:`EvaluationData` whose ``exclusions`` table counts every row left out and why.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sroi.data.validation import Exclusions, RowOrigin, validate_panel
from sroi.errors import SroiInputError

if TYPE_CHECKING:  # pragma: no cover
    from sroi.spec import ColumnRoles, Spec

__all__ = [
    "read_table",
    "load_evaluation_data",
    "EvaluationData",
    "file_hash",
    "file_row_numbers",
]

_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".gz": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
}


def _detect_format(path: Path) -> str:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SroiInputError(
            f"{path}: cannot tell the file format from the extension {path.suffix!r}; "
            "use .csv, .parquet or .xlsx, or set data.format in the spec"
        )
    return fmt


def read_table(
    path: str | Path,
    format: str = "auto",
    sheet: str | int | None = None,
    id_columns: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Read a CSV, Parquet or Excel file into a DataFrame.

    Parameters
    ----------
    path
        File to read.
    format
        ``"auto"`` (from the extension), ``"csv"``, ``"parquet"`` or ``"excel"``.
    sheet
        Excel sheet name or index (default: the first sheet).
    id_columns
        Columns read as strings so that identifiers such as ``"007"`` keep leading zeros.

    Raises
    ------
    SroiInputError
        When the file is missing, empty or cannot be parsed.
    """
    path = Path(path)
    if not path.exists():
        raise SroiInputError(f"{path}: data file not found (check data.path in the spec)")
    if path.is_dir():
        raise SroiInputError(f"{path}: is a folder, expected a data file")
    fmt = _detect_format(path) if format == "auto" else format
    try:
        if fmt == "csv":
            df = pd.read_csv(path, dtype={c: "string" for c in id_columns}, low_memory=False)
        elif fmt == "parquet":
            df = pd.read_parquet(path)
        elif fmt == "excel":
            df = pd.read_excel(
                path, sheet_name=0 if sheet is None else sheet, dtype={c: str for c in id_columns}
            )
        else:
            raise SroiInputError(f"{path}: unknown format {fmt!r}; use csv, parquet or excel")
    except SroiInputError:
        raise
    except pd.errors.EmptyDataError:
        raise SroiInputError(f"{path}: the file is empty") from None
    except UnicodeDecodeError as exc:
        raise SroiInputError(
            f"{path}: the file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at byte "
            f"{exc.start}); save it as 'CSV UTF-8' (Excel: Save as... CSV UTF-8)"
        ) from None
    except pd.errors.ParserError as exc:
        raise SroiInputError(
            f"{path}: a row does not fit the header: {str(exc).strip()[:300]}; every row needs "
            "as many fields as the header"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes one clear message
        raise SroiInputError(
            f"{path}: could not be read as {fmt}: {_not_format(path, fmt, exc)}"
        ) from None
    if df.shape[0] == 0:
        raise SroiInputError(f"{path}: the file has a header but no data rows")
    if fmt == "csv" and df.shape[1] == 1:
        _check_delimiter(path, str(df.columns[0]))
    for c in id_columns:
        if c in df.columns:
            df[c] = df[c].astype("string")
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _not_format(path: Path, fmt: str, exc: Exception) -> str:
    """Why a file could not be parsed, in words (a CSV renamed to .xlsx, say so)."""
    if fmt == "excel":
        with open(path, "rb") as fh:
            head = fh.read(8)
        if not head.startswith((b"PK", b"\xd0\xcf\x11\xe0")):
            return (
                "it is not an Excel workbook (no workbook signature; is it a CSV file renamed to "
                f"{path.suffix}?). Give the file its real extension"
            )
    return str(exc).strip()[:300]


def _check_delimiter(path: Path, header: str) -> None:
    """A one-column CSV whose header holds ';' or tabs was written with another delimiter."""
    for sep, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
        if sep in header:
            raise SroiInputError(
                f"{path}: the file looks {name}-delimited (header {header[:80]!r}); sroi reads "
                "comma-separated CSV: save it as 'CSV (comma delimited)' or 'CSV UTF-8'"
            )


def file_row_numbers(path: Path, fmt: str = "auto") -> Callable[[np.ndarray], np.ndarray]:
    """Positions of the data rows :func:`read_table` returned -> row numbers in the file.

    Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row
    row 2. In a CSV file that is the line number: blank lines (skipped when reading) and
    cells holding line breaks are counted, by reading the file again only when a message
    needs a row number. An Excel sheet (header in row 1; blank rows are read as rows) and a
    Parquet file are numbered ``position + 2``.
    """
    kind = _detect_format(path) if fmt == "auto" else fmt
    if kind != "csv" or path.suffix.lower() == ".gz":
        return lambda pos: np.asarray(pos, dtype=np.int64) + 2
    starts: list[np.ndarray] = []

    def numbers(pos: np.ndarray) -> np.ndarray:
        if not starts:
            starts.append(_csv_record_lines(path))
        lines = starts[0]
        pos = np.asarray(pos, dtype=np.int64)
        return lines[pos] if pos.size and pos.max() < len(lines) else pos + 2

    return numbers


def _csv_record_lines(path: Path) -> np.ndarray:
    """Line on which each data record of a CSV file starts (blank lines skipped, as pandas)."""
    lines: list[int] = []
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        end = 0
        for record in reader:
            if record:
                lines.append(end + 1)
            end = reader.line_num
    return np.asarray(lines[1:], dtype=np.int64)


def file_hash(paths: list[Path]) -> str:
    """SHA-256 over the bytes of the given files, in order."""
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


@dataclass
class EvaluationData:
    """The validated analysis data for one evaluation.

    Attributes
    ----------
    panel
        Long DataFrame, one row per unit x time, with unit characteristics joined on.
    units
        One row per unit (the time-invariant columns of ``panel``).
    exclusions
        Every row or unit left out, with its reason (columns ``reason``, ``column``,
        ``n_rows``, ``n_units``).
    data_hash
        SHA-256 of the input files, for provenance.
    roles
        The spec's column roles.
    files
        The input files read.
    memo
        Results computed from these data once and reused by later steps of the same run
        (the report's per-cohort matches, read by its pre-checks and its estimates).
    """

    panel: pd.DataFrame
    units: pd.DataFrame
    exclusions: pd.DataFrame
    data_hash: str
    roles: ColumnRoles
    files: list[Path] = field(default_factory=list)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_units(self) -> int:
        """Number of units (pupils) in the analysis."""
        return int(self.units.shape[0])

    @property
    def n_treated(self) -> int:
        """Number of units with a programme cohort (``cohort > 0``)."""
        return int((self.units[self.roles.cohort] > 0).sum())

    @property
    def n_comparison(self) -> int:
        """Number of units never enrolled (``cohort == 0``)."""
        return int((self.units[self.roles.cohort] == 0).sum())

    def cohort_sizes(self) -> pd.Series:
        """Number of units first treated in each period (cohort 0 = never treated)."""
        return self.units[self.roles.cohort].value_counts().sort_index()

    def summary(self) -> str:
        """Short plain-text description of what was loaded and what was excluded."""
        r = self.roles
        times = self.panel[r.time]
        lines = [
            f"{self.panel.shape[0]:,} rows, {self.n_units:,} units, "
            f"periods {times.min()}..{times.max()} ({times.nunique()} periods)",
            f"treated units: {self.n_treated:,} in cohorts "
            + ", ".join(f"{int(g)} ({int(n)})" for g, n in self.cohort_sizes().items() if g > 0),
            f"comparison units (never treated): {self.n_comparison:,}",
        ]
        if r.cluster:
            lines.append(f"clusters ({r.cluster}): {self.panel[r.cluster].nunique()}")
        if self.exclusions.empty:
            lines.append("excluded: nothing")
        else:
            lines.append("excluded:")
            for row in self.exclusions.itertuples():
                lines.append(f"  - {row.reason}: {row.n_rows:,} rows, {row.n_units:,} units")
        return "\n".join(lines)


def load_evaluation_data(spec: Spec) -> EvaluationData:
    """Read, join, filter and validate the data that ``spec`` describes.

    Steps: read the panel (``data.path``) and, if given, the unit file (``data.units``, joined
    on the unit id; units missing from it are an error); keep never-treated units only if they
    are in the comparison pool (``design.comparison_pool``); apply the missing-value policy
    (``data.missing``); validate column roles and values. Every exclusion is counted.
    """
    d = spec.data
    r = d.columns
    panel_path = spec.resolve(d.path)
    files = [panel_path]
    panel = read_table(panel_path, d.format, d.sheet, id_columns=(r.unit,))
    origins = [RowOrigin(str(panel_path), file_row_numbers(panel_path, d.format))]
    if d.units:
        units_path = spec.resolve(d.units)
        files.append(units_path)
        units = read_table(units_path, "auto", None, id_columns=(r.unit,))
        panel = _join_units(panel, units, r.unit, panel_path, units_path)
        origins.append(_unit_origin(panel, units, r.unit, units_path))
    _check_design_columns(panel, spec, panel_path)
    exclusions = Exclusions()
    pool = spec.design.comparison_pool
    outcomes = {o.column: o.type for o in spec.design.outcomes}
    ceilings = {o.column: o.max_per_period for o in spec.design.outcomes if o.type == "count"}
    extra = list(spec.design.matching.history) + list(spec.design.matching.exact)
    extra += list(spec.design.did.covariates)
    if spec.design.did.cluster:
        extra.append(spec.design.did.cluster)
    if spec.design.matching.covariates is not None:
        extra += list(spec.design.matching.covariates)
    if pool is not None:
        extra.append(pool.column)
    panel = validate_panel(
        panel,
        r,
        outcomes=outcomes,
        extra_columns=extra,
        missing=d.missing,
        exclusions=exclusions,
        source=str(panel_path),
        ceilings=ceilings,
        origins=origins,
    )
    if pool is not None:
        panel = _apply_pool(panel, r, pool.column, pool.value, exclusions)
        validate_panel(
            panel,
            r,
            outcomes=outcomes,
            missing="error",
            source=f"{panel_path} (comparison pool)",
            origins=origins,
        )
    units_df = panel.drop_duplicates(r.unit).reset_index(drop=True)
    return EvaluationData(
        panel=panel.reset_index(drop=True),
        units=units_df,
        exclusions=exclusions.table(),
        data_hash=file_hash(files),
        roles=r,
        files=files,
    )


def _design_columns(spec: Spec) -> list[tuple[str, str]]:
    """(spec field, column) for every column the design section names."""
    d = spec.design
    out = [(f"design.outcomes[{i}].column", o.column) for i, o in enumerate(d.outcomes)]
    if d.did.cluster:
        out.append(("design.did.cluster", d.did.cluster))
    out += [(f"design.did.covariates[{i}]", c) for i, c in enumerate(d.did.covariates)]
    m = d.matching
    out += [(f"design.matching.covariates[{i}]", c) for i, c in enumerate(m.covariates or [])]
    out += [(f"design.matching.history[{i}]", c) for i, c in enumerate(m.history)]
    out += [(f"design.matching.exact[{i}]", c) for i, c in enumerate(m.exact)]
    if d.comparison_pool is not None:
        out.append(("design.comparison_pool.column", d.comparison_pool.column))
    return out


def _check_design_columns(panel: pd.DataFrame, spec: Spec, path: Path) -> None:
    """Every column the design section names exists; the message names the spec field."""
    problems = []
    names = list(map(str, panel.columns))
    for where, column in _design_columns(spec):
        if column in panel.columns:
            continue
        close = difflib.get_close_matches(column, names, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(f"{where}: column {column!r} is not in the data{hint}")
    if problems:
        raise SroiInputError(
            f"{path}: {len(problems)} column(s) named in the spec's design section are missing\n  "
            + "\n  ".join(problems)
            + f"\n  available columns: {', '.join(names[:30])}{' ...' if len(names) > 30 else ''}"
        )


def _join_units(
    panel: pd.DataFrame, units: pd.DataFrame, unit: str, panel_path: Path, units_path: Path
) -> pd.DataFrame:
    for df, path in ((panel, panel_path), (units, units_path)):
        if unit not in df.columns:
            names = list(map(str, df.columns))
            close = difflib.get_close_matches(unit, names, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SroiInputError(
                f"{path}: unit id column {unit!r} (data.columns.unit) not found{hint}; "
                f"columns: {', '.join(names[:12])}"
            )
    dup = units[unit][units[unit].duplicated()]
    if len(dup):
        raise SroiInputError(
            f"{units_path}: column {unit!r} has duplicate unit ids (e.g. "
            f"{', '.join(map(str, dup.unique()[:5]))}); the unit file needs one row per unit"
        )
    overlap = [c for c in units.columns if c in panel.columns and c != unit]
    if overlap:
        raise SroiInputError(
            f"{units_path}: columns {overlap} are in both the panel and the unit file; "
            "keep each column in one file"
        )
    missing = ~panel[unit].isin(units[unit])
    if missing.any():
        ids = panel.loc[missing, unit].unique()
        raise SroiInputError(
            f"{panel_path}: {len(ids)} unit id(s) in the panel have no row in {units_path.name} "
            f"(e.g. {', '.join(map(str, ids[:5]))}); add them to the unit file or remove them"
        )
    return panel.merge(units, on=unit, how="left", validate="many_to_one")


def _unit_origin(
    joined: pd.DataFrame, units: pd.DataFrame, unit: str, units_path: Path
) -> RowOrigin:
    """Rows of the joined panel named by the unit file's row of their unit (header = row 1)."""
    position = pd.Index(units[unit]).get_indexer(joined[unit])
    rows = file_row_numbers(units_path)
    return RowOrigin(
        str(units_path),
        lambda pos: rows(position[np.asarray(pos, dtype=np.int64)]),
        frozenset(str(c) for c in units.columns if c != unit),
    )


def _apply_pool(
    panel: pd.DataFrame, r: ColumnRoles, column: str, value: object, exclusions: Exclusions
) -> pd.DataFrame:
    never = panel[r.cohort] == 0
    in_pool = panel[column] == value
    drop = never & ~in_pool
    if drop.any():
        exclusions.add(
            f"never-treated unit outside the comparison pool ({column} != {value!r})",
            column,
            panel.loc[drop, r.unit],
        )
    return panel.loc[~drop]
