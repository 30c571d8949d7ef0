"""Statistical disclosure control for reports about children.

Two rules, applied to every table, figure label and ``results.json`` the report writes:

1. **Small-count suppression.** A count of people (pupils, schools, rows) below the spec's
   threshold ``k`` (``report.disclosure_threshold``, default 10) is shown as ``"<k"``, never
   as the number. Zero is not suppressed: "no one" discloses nothing about a person. This is
   threshold suppression as described in the Office for National Statistics / Government
   Statistical Service guidance on disclosure control of tables; the threshold is set by the
   data owner, not here.
2. **No identifiers.** No unit identifier (pupil id) or cluster identifier (school id) may
   appear in any output. :func:`check_no_identifiers` searches output files or strings for
   every identifier in the data and raises when one is found.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
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
]

#: Column names treated as counts of people or records by :func:`suppress_counts`.
COUNT_COLUMN_PATTERN = re.compile(
    r"^(n|n_.*|.*_n|count|.*_count|count_.*|pupils|units|schools|rows|treated|controls)$"
)


class DisclosureError(RuntimeError):
    """An output would disclose an identifier or an unsuppressed small count."""


def _check_threshold(threshold: int) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or threshold < 1:
        raise SroiInputError(
            f"disclosure threshold must be a positive integer (report.disclosure_threshold), "
            f"got {threshold!r}"
        )
    return int(threshold)


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
        The count, the string ``"<threshold>"`` (e.g. ``"<10"``), or ``None``.
    """
    k = _check_threshold(threshold)
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return None
    if isinstance(n, str):
        if n.startswith("<"):
            return n
        raise SroiInputError(f"suppress_count: expected a count, got the text {n!r}")
    value = float(n)
    if value < 0 or value != math.floor(value):
        raise SroiInputError(f"suppress_count: a count must be a whole number >= 0, got {n!r}")
    value_int = int(value)
    if 0 < value_int < k:
        return f"<{k}"
    return value_int


def is_count_column(name: str) -> bool:
    """True when a column name looks like a count of people or records (``n_treated``...)."""
    return bool(COUNT_COLUMN_PATTERN.match(str(name).lower()))


def suppress_counts(
    table: pd.DataFrame, threshold: int = 10, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Copy of ``table`` with every small count in ``columns`` replaced by ``"<k"``.

    Parameters
    ----------
    table
        Any table about to be shown.
    threshold
        Smallest count that may be shown.
    columns
        Count columns; default: every column whose name matches
        :data:`COUNT_COLUMN_PATTERN` (``n``, ``n_*``, ``*_n``, ``count``...).
    """
    k = _check_threshold(threshold)
    if not isinstance(table, pd.DataFrame):
        raise SroiInputError(f"suppress_counts: expected a DataFrame, got {type(table).__name__}")
    cols = (
        list(columns) if columns is not None else [c for c in table.columns if is_count_column(c)]
    )
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise SroiInputError(f"suppress_counts: column(s) {missing} not in the table")
    out = table.copy()
    for c in cols:
        out[c] = pd.Series(
            [suppress_count(v, k) for v in out[c].tolist()], index=out.index, dtype=object
        )
    return out


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
    texts = _texts(outputs)
    hits: list[tuple[str, str, str]] = []
    for source, text in texts:
        stripped = _DATA_URI.sub(" ", text)
        for kind, values in groups.items():
            uniq = sorted({v for v in values if v and v.strip()})
            long_ids = [v for v in uniq if len(v) >= min_length]
            short_ids = [v for v in uniq if len(v) < min_length]
            if long_ids:
                pattern = re.compile("|".join(re.escape(v) for v in long_ids))
                hits.extend((source, kind, m) for m in sorted(set(pattern.findall(stripped))))
            if short_ids:
                pattern = re.compile(
                    r"(?<![A-Za-z0-9_])("
                    + "|".join(re.escape(v) for v in short_ids)
                    + r")(?![A-Za-z0-9_])"
                )
                hits.extend((source, kind, m) for m in sorted(set(pattern.findall(stripped))))
    if hits and raise_on_found:
        shown = "; ".join(f"{k} {v!r} in {s}" for s, k, v in hits[:5])
        more = f" (and {len(hits) - 5} more)" if len(hits) > 5 else ""
        raise DisclosureError(f"identifiers found in the outputs: {shown}{more}")
    return hits


def redact(text: str, ids: Iterable[Any], replacement: str = "[identifier removed]") -> str:
    """Replace every identifier in free text (notes, warnings, error messages) by a placeholder.

    Identifiers are matched as whole tokens, so ``"S1"`` does not hit ``"S10"``.
    """
    if not text:
        return text
    key = ids if isinstance(ids, frozenset) else frozenset(str(v) for v in ids)
    out = str(text)
    for pattern in _token_patterns(key):
        out = pattern.sub(replacement, out)
    return out


@lru_cache(maxsize=8)
def _token_patterns(ids: frozenset[Any]) -> tuple[re.Pattern[str], ...]:
    """Compiled whole-token patterns for a set of identifiers (chunked: long lists stay fast)."""
    values = sorted(
        {str(v) for v in ids if v is not None and str(v).strip()}, key=len, reverse=True
    )
    return tuple(
        re.compile(
            r"(?<![A-Za-z0-9_])("
            + "|".join(re.escape(v) for v in values[i : i + 2000])
            + r")(?![A-Za-z0-9_])"
        )
        for i in range(0, len(values), 2000)
    )


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

    def sub(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return (f"<{k}" if 0 < n < k else m.group(1)) + m.group(2)

    out = _N_OF_M.sub(sub, str(text))
    out = _N_WORD.sub(sub, out)
    return _COLON_N.sub(
        lambda m: m.group(1) + (f"<{k}" if 0 < int(m.group(2)) < k else m.group(2)), out
    )


def sanitize_text(text: str, ids: Iterable[Any] = (), threshold: int = 10) -> str:
    """Free text made safe to publish: identifiers removed, small counts of people suppressed."""
    return suppress_text_counts(redact(str(text), ids), threshold)
