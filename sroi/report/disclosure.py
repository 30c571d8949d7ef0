"""Statistical disclosure control for reports about children.

The rules, applied to every count of people that an output shows (HTML, notebook,
``results.json``, value JSON, workbooks, batch summary, figure labels, warnings):

1. **Small-count suppression.** A count of people (pupils, pupil-terms) between 1 and k-1,
   k = ``report.disclosure_threshold`` (default 10), is never shown: it is written as
   ``"<k"`` (e.g. ``"<10"``, :func:`suppress_count`). Zero is shown: "no one" discloses
   nothing about a person. This is threshold suppression as described in the Office for
   National Statistics / Government Statistical Service guidance on disclosure control of
   tables; the threshold is set by the data owner, not here.
2. **Secondary suppression within a table.** Where the cells of a table add up to a total
   that is shown (pupils per cohort and all participants), a suppressed cell could be worked
   out by subtraction, so the next smallest cells are suppressed too until at least two cells
   are hidden and together they hold at least k people (:func:`secondary_suppress`). In an
   exclusions row, when the number of pupils is hidden the number of rows (pupil-terms) is
   hidden with it (:func:`suppress_rows_with_units`). A cell hidden only for this reason is
   written as ``"c"`` (:data:`SECONDARY_MARKER`, the official-statistics symbol for
   "confidential"), so a reader can tell the two apart.
3. **Secondary suppression across tables.** One output shows the same cohorts in several
   tables (participants per cohort, matched pupils per cohort, the pupils behind each
   cohort's estimate). A cohort hidden in one table is hidden in every table showing the
   same quantity, and the rule of point 2 is then applied to every such column at once
   (:func:`linked_suppression`, :mod:`sroi.report.cross_tables`): no hidden cell can be
   recovered from a total in another table. The parts of a row are hidden together
   (matched and unmatched pupils of a cohort), a total within k of another total is hidden
   (participants minus the pupils behind an estimate), and counts that are sums of hidden
   cells (pupils by event time) are hidden with them.
4. **Rounding (optional).** With ``report.disclosure_rounding_base: 5`` every count of people
   that is shown, totals included, is rounded to the nearest multiple of 5
   (:class:`Threshold`, :func:`round_count`), in every output; by default counts are exact.
5. **Statistics over small groups.** A mean, a percentage, an estimate or a balance
   statistic computed over fewer than k people describes those few people, so it is not
   shown either (``null`` in ``results.json``, :func:`suppress_group_statistics`).
6. **People, not institutions.** Counts of schools (clusters), periods, draws or outcomes
   are not counts of people and are shown as they are (:func:`is_people_count`): the
   schools are named in the programme description and their number discloses nothing about
   a child.
7. **No identifiers.** No unit identifier (pupil id) or cluster identifier (school id) may
   appear in any output. :func:`check_no_identifiers` searches output files or strings for
   every identifier in the data and raises when one is found; its message names the file
   and the kind of identifier, never the identifier itself.

In ``results.json`` a suppressed count is the string ``"<k"`` or ``"c"``, never the number;
the ``disclosure`` block records k, both markers and the rounding base, and the JSON Schema
(``schema/results.schema.json``, ``$defs/count``) says so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError

__all__ = [
    "DisclosureError",
    "suppress_count",
    "suppress_counts",
    "is_count_column",
    "check_no_identifiers",
    "redact",
    "suppress_text_counts",
    "sanitize_text",
    "COUNT_COLUMN_PATTERN",
    "SECONDARY_MARKER",
    "is_people_count",
    "secondary_suppress",
    "suppress_rows_with_units",
    "suppress_people_counts",
    "ADDITIVE_COLUMNS",
    "Threshold",
    "rounding_base",
    "round_count",
    "linked_suppression",
    "publish_linked",
    "suppress_group_statistics",
    "GROUP_STATISTICS",
    "small_group_rows",
]

#: Marker of a cell suppressed only so that another suppressed cell cannot be worked out.
SECONDARY_MARKER = "c"

_NOT_PEOPLE = re.compile(
    r"(cluster|school|period|term|draw|boot|outcome|cohorts|covariate|lag|lead|window|df|year)",
    re.I,
)

#: Column names treated as counts of people or records by :func:`suppress_counts`.
COUNT_COLUMN_PATTERN = re.compile(
    r"^(n|n_.*|.*_n|count|.*_count|count_.*|pupils|units|schools|rows|treated|controls)$"
)


class DisclosureError(RuntimeError):
    """An output would disclose an identifier or an unsuppressed small count."""


class Threshold(int):
    """The disclosure threshold ``k`` with the optional rounding base of published counts.

    An ``int`` (every function taking ``threshold`` accepts it as one), carrying
    ``report.disclosure_rounding_base`` so that each function that publishes a count also
    rounds it, in every output.

    Parameters
    ----------
    k
        Smallest count of people that may be shown.
    base
        Round every shown count of people to the nearest multiple of ``base`` (halves up);
        ``None`` (default): no rounding.
    """

    base: int | None

    def __new__(cls, k: int, base: int | None = None) -> Threshold:
        """Validate ``k`` and ``base``."""
        obj = super().__new__(cls, int(_check_threshold(k)))
        if base is not None and (
            isinstance(base, bool) or not isinstance(base, (int, np.integer)) or base < 2
        ):
            raise SroiInputError(
                "disclosure rounding base must be a whole number >= 2 "
                f"(report.disclosure_rounding_base), got {base!r}"
            )
        obj.base = None if base is None else int(base)
        return obj

    def __reduce__(self) -> tuple[Any, tuple[int, int | None]]:
        """Pickle with the base (a plain ``int`` would lose it)."""
        return (Threshold, (int(self), self.base))

    def __repr__(self) -> str:
        """``Threshold(10, base=5)``."""
        return f"Threshold({int(self)}, base={self.base})"


def rounding_base(threshold: int) -> int | None:
    """The rounding base carried by ``threshold`` (``None`` for a plain int)."""
    return threshold.base if isinstance(threshold, Threshold) else None


def round_count(n: int, base: int | None) -> int:
    """``n`` rounded to the nearest multiple of ``base`` (halves up); ``n`` when no base."""
    if not base:
        return int(n)
    return int(base * math.floor(n / base + 0.5))


def _check_threshold(threshold: int) -> int:
    """The threshold, validated (a :class:`Threshold` keeps its rounding base)."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or threshold < 1:
        raise SroiInputError(
            f"disclosure threshold must be a positive integer (report.disclosure_threshold), "
            f"got {threshold!r}"
        )
    return threshold if isinstance(threshold, Threshold) else int(threshold)


def suppress_count(n: Any, threshold: int = 10) -> int | str | None:
    """A count as it may be published: ``n`` if ``n == 0`` or ``n >= threshold``, else ``"<k"``.

    Parameters
    ----------
    n
        A count (int-like), or ``None``/``nan`` for "not available" (returned as ``None``).
    threshold
        Smallest count that may be shown (``report.disclosure_threshold``).

    Returns
    -------
    int, str or None
        The count (rounded to the threshold's base when it has one, see :class:`Threshold`),
        the string ``"<threshold>"`` (e.g. ``"<10"``), or ``None``.
    """
    k = _check_threshold(threshold)
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return None
    if isinstance(n, str):
        if n.startswith("<") or n == SECONDARY_MARKER:
            return n
        raise SroiInputError(f"suppress_count: expected a count, got the text {n!r}")
    value = float(n)
    if value < 0 or value != math.floor(value):
        raise SroiInputError(f"suppress_count: a count must be a whole number >= 0, got {n!r}")
    value_int = int(value)
    if 0 < value_int < k:
        return f"<{int(k)}"
    return round_count(value_int, rounding_base(k))


def is_count_column(name: str) -> bool:
    """True when a column name looks like a count of people or records (``n_treated``...)."""
    return bool(COUNT_COLUMN_PATTERN.match(str(name).lower()))


#: Columns whose cells add up to a total shown elsewhere (pupils per cohort): secondary
#: suppression by default in :func:`suppress_counts`.
ADDITIVE_COLUMNS = ("n_pupils", "pupils")


def suppress_counts(
    table: pd.DataFrame,
    threshold: int = 10,
    columns: Sequence[str] | None = None,
    additive: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Copy of ``table`` with every small count of people in ``columns`` suppressed.

    Parameters
    ----------
    table
        Any table about to be shown.
    threshold
        Smallest count that may be shown.
    columns
        Count columns; default: every column that counts people (:func:`is_people_count`:
        ``n``, ``n_*``, ``*_n``, ``count``..., but not schools, periods or draws).
    additive
        Columns whose cells add up to a total shown elsewhere: secondary suppression
        (:func:`secondary_suppress`); default: :data:`ADDITIVE_COLUMNS` present in the table.
        A table with ``n_rows`` and ``n_units`` has its rows suppressed with its units
        (:func:`suppress_rows_with_units`).
    """
    k = _check_threshold(threshold)
    if not isinstance(table, pd.DataFrame):
        raise SroiInputError(f"suppress_counts: expected a DataFrame, got {type(table).__name__}")
    cols = (
        list(columns) if columns is not None else [c for c in table.columns if is_people_count(c)]
    )
    adds = (
        [c for c in ADDITIVE_COLUMNS if c in table.columns] if additive is None else list(additive)
    )
    missing = [c for c in cols + adds if c not in table.columns]
    if missing:
        raise SroiInputError(f"suppress_counts: column(s) {missing} not in the table")
    out = table.copy()
    for c in cols:
        vals = [None if _missing(v) else v for v in out[c].tolist()]
        shown = secondary_suppress(vals, k) if c in adds else [suppress_count(v, k) for v in vals]
        out[c] = pd.Series(shown, index=out.index, dtype=object)
    if "n_rows" in cols and "n_units" in cols:
        pairs = [
            suppress_rows_with_units(None if _missing(r) else r, None if _missing(u) else u, k)
            for r, u in zip(table["n_rows"].tolist(), table["n_units"].tolist(), strict=True)
        ]
        out["n_rows"] = pd.Series([p[0] for p in pairs], index=out.index, dtype=object)
    return out


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


_DATA_URI = re.compile(
    r'data:[a-z]+/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]+|"image/(?:png|jpeg)":\s*"[A-Za-z0-9+/=\\n]+"'
)


def _texts(outputs: Iterable[str | Path] | str | Path) -> list[tuple[str, str]]:
    if isinstance(outputs, (str, Path)):
        outputs = [outputs]
    found: list[tuple[str, str]] = []
    for item in outputs:
        if isinstance(item, Path):
            if item.is_dir():
                for p in sorted(item.rglob("*")):
                    if p.is_file():
                        found.append((str(p), p.read_bytes().decode("utf-8", errors="replace")))
            elif item.is_file():
                found.append((str(item), item.read_bytes().decode("utf-8", errors="replace")))
            else:
                raise SroiInputError(f"check_no_identifiers: {item} does not exist")
        else:
            found.append(("<text>", str(item)))
    return found


#: An identifier made only of these characters is matched as a whole token when it is not
#: preceded or followed by one of them (the word characters of the patterns below).
_WORD_RUN = re.compile(r"[A-Za-z0-9_]+")

#: A search of one text: the text and its maximal runs of word characters -> the hits.
_Search = Callable[[str, set[str]], set[str]]


def _whole_tokens(values: Iterable[str]) -> re.Pattern[str]:
    """A pattern matching any of ``values`` (in the order given) as a whole token."""
    alternation = "|".join(re.escape(v) for v in values)
    return re.compile(r"(?<![A-Za-z0-9_])(" + alternation + r")(?![A-Za-z0-9_])")


def _substrings_in_runs(ids: list[str]) -> _Search:
    """Where ``ids`` (word characters only) occur as substrings, as the regex would find them.

    An identifier of word characters only lies within one maximal run of word characters, so
    each distinct run is scanned once, left to right as ``re.findall`` scans: at each
    position the first alternative of the alternation (``ids`` in sorted order: the shortest
    of those starting there) is taken and the scan resumes after it.
    """
    wanted = frozenset(ids)
    lengths = sorted({len(v) for v in ids})

    def in_run(run: str) -> set[str]:
        found: set[str] = set()
        pos, n = 0, len(run)
        while pos + lengths[0] <= n:
            hit = next((run[pos : pos + k] for k in lengths if run[pos : pos + k] in wanted), "")
            if hit:
                found.add(hit)
                pos += len(hit)
            else:
                pos += 1
        return found

    def search(text: str, runs: set[str]) -> set[str]:
        found: set[str] = set()
        for run in runs:
            if len(run) >= lengths[0]:
                found |= in_run(run)
        return found

    return search


def _searches(uniq: list[str], min_length: int) -> list[_Search]:
    """Searches for one kind of identifier: substrings from ``min_length`` on, whole tokens below.

    Identifiers of word characters only (``P000123``, ``S01``) are looked up in the text's
    runs of word characters: the same hits as the regular expressions, without compiling an
    alternation of thousands of identifiers (a fifth of a second for 6,000 pupils). Any other
    identifier makes the kind use the regular expressions.
    """
    long_ids = [v for v in uniq if len(v) >= min_length]
    short_ids = [v for v in uniq if len(v) < min_length]
    out: list[_Search] = []
    if all(_WORD_RUN.fullmatch(v) for v in uniq):
        if long_ids:
            out.append(_substrings_in_runs(long_ids))
        if short_ids:
            short = frozenset(short_ids)
            out.append(lambda text, runs: runs & short)
        return out
    if long_ids:
        long_pattern = re.compile("|".join(re.escape(v) for v in long_ids))
        out.append(lambda text, runs: set(long_pattern.findall(text)))
    if short_ids:
        short_pattern = _whole_tokens(short_ids)
        out.append(lambda text, runs: set(short_pattern.findall(text)))
    return out


def check_no_identifiers(
    outputs: Iterable[str | Path] | str | Path,
    ids: Iterable[Any] | Mapping[str, Iterable[Any]],
    *,
    min_length: int = 5,
    raise_on_found: bool = True,
) -> list[tuple[str, str, str]]:
    """Search outputs for identifiers from the data.

    Embedded images (base64 data URIs and notebook ``image/png`` outputs) are removed first:
    they hold pixels, not text, and a long base64 blob contains any short string by chance.
    Identifiers of ``min_length`` characters or more are then searched as plain substrings;
    shorter ones (e.g. ``"S01"``) as whole words, so they do not hit ordinary words.

    Parameters
    ----------
    outputs
        Files, folders (searched recursively) or strings.
    ids
        Identifiers, or a mapping ``kind -> identifiers`` (e.g. ``{"pupil_id": [...]}``).
    min_length
        Length from which identifiers are searched as substrings.
    raise_on_found
        Raise :class:`DisclosureError` when anything is found (default); else return hits.

    Returns
    -------
    list of (source, kind, identifier)
        Every hit (empty when the outputs are clean).
    """
    groups: dict[str, list[str]]
    if isinstance(ids, Mapping):
        groups = {str(k): [str(v) for v in vals] for k, vals in ids.items()}
    else:
        groups = {"id": [str(v) for v in ids]}
    # one search per kind of identifier, shared by every output searched
    searches = [
        (kind, search)
        for kind, values in groups.items()
        for search in _searches(sorted({v for v in values if v and v.strip()}), min_length)
    ]
    hits: list[tuple[str, str, str]] = []
    for source, text in _texts(outputs):
        stripped = _DATA_URI.sub(" ", text)
        runs = set(_WORD_RUN.findall(stripped))
        for kind, search in searches:
            hits.extend((source, kind, m) for m in sorted(search(stripped, runs)))
    if hits and raise_on_found:
        # name the file and the kind of identifier, never the identifier (the message itself
        # may be written to a batch summary or shown in a kept notebook)
        per: dict[tuple[str, str], int] = {}
        for src, kind, _ in hits:
            name = "text" if src == "<text>" else Path(src).name
            per[(name, kind)] = per.get((name, kind), 0) + 1
        shown = "; ".join(f"{n} {kind} value(s) in {name}" for (name, kind), n in per.items())
        raise DisclosureError(f"identifiers found in the outputs: {shown}")
    return hits


def redact(text: str, ids: Iterable[Any], replacement: str = "[identifier removed]") -> str:
    """Replace every identifier in free text (notes, warnings, error messages) by a placeholder.

    Identifiers are matched as whole tokens, so ``"S1"`` does not hit ``"S10"``.
    """
    if not text:
        return text
    key = ids if isinstance(ids, frozenset) else frozenset(str(v) for v in ids)
    return _redactor(key)(str(text), replacement)


@lru_cache(maxsize=8)
def _redactor(ids: frozenset[Any]) -> Callable[[str, str], str]:
    """A function replacing the whole-token identifiers ``ids`` in a text.

    When every identifier is one word (``P000123``), each word of the text is looked up;
    otherwise regular expressions do it (chunked: long lists stay fast).
    """
    values = {str(v) for v in ids if v is not None and str(v).strip()}
    if all(_WORD_RUN.fullmatch(v) for v in values):

        def by_word(text: str, replacement: str) -> str:
            return _WORD_RUN.sub(lambda m: replacement if m.group() in values else m.group(), text)

        return by_word
    ordered = sorted(values, key=len, reverse=True)
    patterns = [_whole_tokens(ordered[i : i + 2000]) for i in range(0, len(ordered), 2000)]

    def by_pattern(text: str, replacement: str) -> str:
        for pattern in patterns:
            text = pattern.sub(replacement, text)
        return text

    return by_pattern


_COUNT_WORDS = (
    r"(?:treated |control |comparison |matched |unmatched |enrolled )?"
    r"(?:units?|pupils?|rows?|children|child|participants?|controls?|people|persons?|cases?"
    r"|records?|observations?)"
)
_N_OF_M = re.compile(r"(?<![\w.])(\d+)(\s+of\s+\d+)(?![\w.])")
_COLON_N = re.compile(r"(:\s*)(\d+)(?=\s*[);,])")
_N_WORD = re.compile(r"(?<![\w.])(\d+)(\s+" + _COUNT_WORDS + r")\b", re.I)


def suppress_text_counts(text: str, threshold: int = 10) -> str:
    """Suppress small counts of people written in free text (warnings, notes).

    Replaces ``n`` by ``"<k"`` where ``0 < n < k`` in the patterns ``"n of m"`` and ``"n
    units / pupils / rows / participants / controls ..."`` (e.g. ``"3 of 100 treated units
    were not matched"`` -> ``"<10 of 100 treated units were not matched"``). Other numbers
    (percentages, cluster counts in methodological warnings, periods) are left alone.
    """
    k = _check_threshold(threshold)

    base = rounding_base(k)

    def shown(n: int) -> str:
        return f"<{int(k)}" if 0 < n < k else str(round_count(n, base))

    def sub(m: re.Match[str]) -> str:
        return shown(int(m.group(1))) + m.group(2)

    def sub_of(m: re.Match[str]) -> str:
        total = re.sub(r"\d+", lambda d: shown(int(d.group())), m.group(2))
        return shown(int(m.group(1))) + total

    out = _N_OF_M.sub(sub_of, str(text))
    out = _N_WORD.sub(sub, out)
    return _COLON_N.sub(lambda m: m.group(1) + shown(int(m.group(2))), out)


def sanitize_text(text: str, ids: Iterable[Any] = (), threshold: int = 10) -> str:
    """Free text made safe to publish: identifiers removed, small counts of people suppressed."""
    return suppress_text_counts(redact(str(text), ids), threshold)


def is_people_count(name: str) -> bool:
    """True for a count of people or person-records (``n_treated``, ``n_unmatched_treated``).

    Counts of schools (clusters), periods, bootstrap draws, outcomes or covariates are not
    counts of people and are not suppressed.
    """
    return is_count_column(name) and not _NOT_PEOPLE.search(str(name))


def suppress_people_counts(x: Any, threshold: int = 10) -> Any:
    """Copy of nested dicts/lists with every small count of people suppressed (by key name).

    Parameters
    ----------
    x
        Nested dicts and lists (e.g. an effect's ``extra``).
    threshold
        Smallest count that may be shown.
    """
    k = _check_threshold(threshold)
    if isinstance(x, Mapping):
        out: dict[Any, Any] = {}
        for key, v in x.items():
            whole = isinstance(v, (int, np.integer)) and not isinstance(v, bool)
            if whole and is_people_count(str(key)):
                out[key] = suppress_count(v, k)
            else:
                out[key] = suppress_people_counts(v, k)
        return out
    if isinstance(x, (list, tuple)):
        return [suppress_people_counts(v, k) for v in x]
    return x


def _is_small(n: Any, k: int) -> bool:
    return not _missing(n) and not isinstance(n, str) and 0 < int(n) < k


def secondary_suppress(cells: Sequence[Any], threshold: int = 10) -> list[int | str | None]:
    """Suppress the cells of a table whose total is shown, so no cell can be worked out.

    Primary: every cell ``0 < n < k`` becomes ``"<k"``. Secondary: when any cell is
    suppressed, further cells (smallest first, zeros and missing cells skipped) are
    suppressed as :data:`SECONDARY_MARKER` until at least two cells are suppressed and the
    suppressed cells together hold at least ``k`` people, so neither subtraction from the
    total nor the sum of the hidden cells reveals a small number.

    Parameters
    ----------
    cells
        Counts (int, or ``None`` for missing) that add up to a total shown elsewhere. A
        column that already holds markers (``"<k"``, ``"c"``: published by
        :func:`linked_suppression`) is returned as it is.
    threshold
        Smallest count that may be shown.

    Returns
    -------
    list
        The cells as they may be published, in the input order.
    """
    k = _check_threshold(threshold)
    out: list[int | str | None] = [suppress_count(c, k) for c in cells]
    if any(isinstance(c, str) for c in cells):
        # already published (e.g. by linked_suppression across tables): taken as it is
        return out
    hidden = [i for i, c in enumerate(cells) if _is_small(c, k)]
    if not hidden:
        return out
    total_hidden = sum(int(cells[i]) for i in hidden)
    candidates = sorted(
        (i for i, c in enumerate(cells) if i not in hidden and c is not None and int(c) > 0),
        key=lambda i: (int(cells[i]), i),
    )
    for i in candidates:
        if len(hidden) >= 2 and total_hidden >= k:
            break
        out[i] = SECONDARY_MARKER
        hidden.append(i)
        total_hidden += int(cells[i])
    return out


def suppress_rows_with_units(
    n_rows: Any, n_units: Any, threshold: int = 10
) -> tuple[int | str | None, int | str | None]:
    """An exclusions row's ``(n_rows, n_units)`` as published.

    When the number of pupils is suppressed, the number of rows (pupil-terms) is suppressed
    with it (rows divided by the number of terms would give the pupils back).
    """
    k = _check_threshold(threshold)
    units = suppress_count(n_units, k)
    rows = suppress_count(n_rows, k)
    if isinstance(units, str) and isinstance(rows, int) and rows > 0:
        rows = SECONDARY_MARKER
    return rows, units


def linked_suppression(
    columns: Mapping[str, Mapping[Hashable, Any]],
    threshold: int = 10,
    forced: Iterable[Hashable] = (),
) -> set[Hashable]:
    """Keys (e.g. cohorts) to hide in every table of one output, so no hidden cell is recoverable.

    The same rows (cohorts) appear in several tables of one output (pupils per cohort in the
    programme table, treated and matched pupils per cohort in the matching table, the
    pupils behind each cohort's estimate), and each column adds up to a total that is
    shown. A cohort hidden in one table but shown in another could be worked out by
    subtraction there, so a key is hidden in *every* column at once: first every key with
    a count ``0 < n < k`` in any column; then, while some column's hidden cells are fewer
    than two or hold fewer than ``k`` people together, its smallest shown positive cell's
    key is hidden too (everywhere), until no column changes.

    Parameters
    ----------
    columns
        Column name -> (key -> count, or ``None`` when missing).
    threshold
        Smallest count that may be shown.
    forced
        Keys hidden from the start for a reason outside these columns (e.g. a cohort whose
        unmatched pupils are suppressed in the same row as its matched pupils).

    Returns
    -------
    set
        The keys to hide; publish each cell with :func:`publish_linked`.
    """
    k = _check_threshold(threshold)
    hidden: set[Hashable] = set(forced) | {
        key for col in columns.values() for key, n in col.items() if _is_small(n, k)
    }
    changed = bool(hidden)
    while changed:
        changed = False
        for col in columns.values():
            cells = {key: int(n) for key, n in col.items() if not _missing(n) and int(n) > 0}
            inside = [key for key in cells if key in hidden]
            if not inside:
                continue
            if len(inside) >= 2 and sum(cells[key] for key in inside) >= k:
                continue
            rest = sorted((n, str(key), key) for key, n in cells.items() if key not in hidden)
            if rest:
                hidden.add(rest[0][2])
                changed = True
    return hidden


def publish_linked(n: Any, hidden: bool, threshold: int = 10) -> int | str | None:
    """A cell of a linked table: ``"<k"`` when small, ``"c"`` when its row is hidden, else shown.

    See :func:`linked_suppression`.
    """
    shown = suppress_count(n, threshold)
    if hidden and isinstance(shown, int) and shown > 0:
        return SECONDARY_MARKER
    return shown


#: Statistics computed over a group of people: not shown when the group is under the threshold.
GROUP_STATISTICS = ("estimate", "std_error", "ci_low", "ci_high", "p_value", "mean", "share")


def suppress_group_statistics(
    row: Mapping[str, Any],
    sizes: Sequence[Any],
    threshold: int = 10,
    fields: Sequence[str] = GROUP_STATISTICS,
) -> dict[str, Any]:
    """Copy of ``row`` with its means, shares and estimates removed when a group is too small.

    A mean, a percentage or an estimate computed over fewer than ``k`` people describes
    those few people (a share of 1 in a group of 3 says what each of them did). When any of
    ``sizes`` (the people behind the statistic, e.g. the cohort's treated and comparison
    pupils) is ``0 < n < k`` or already suppressed, every field of ``fields`` in ``row``
    becomes ``None`` (not available); counts are left to :func:`suppress_count`.

    Parameters
    ----------
    row
        One table row (e.g. a cohort's estimate).
    sizes
        Numbers of people behind the row's statistics (ints, ``"<k"``/``"c"`` markers or
        ``None`` for unknown).
    threshold
        Smallest group a statistic may describe.
    fields
        Names of the statistics in ``row``.
    """
    k = _check_threshold(threshold)
    small = any(
        (isinstance(n, str) and (n.startswith("<") or n == SECONDARY_MARKER))
        or (n is not None and not isinstance(n, str) and not _missing(n) and 0 < int(n) < k)
        for n in sizes
    )
    out = dict(row)
    if small:
        for f in fields:
            if f in out:
                out[f] = None
    return out


def small_group_rows(
    table: pd.DataFrame, threshold: int = 10, sizes: Sequence[str] = ("n_treated", "n_control")
) -> np.ndarray:
    """Rows of an estimate table whose statistics rest on fewer than ``k`` people.

    A row is small when any of its ``sizes`` columns present in ``table`` holds a count
    ``0 < n < k``; such rows are left out of charts and tables of estimates
    (:func:`suppress_group_statistics` for single rows).
    """
    k = _check_threshold(threshold)
    small = np.zeros(len(table), dtype=bool)
    for c in sizes:
        if c in table.columns:
            n = pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
            small |= (n > 0) & (n < k)
    return small
