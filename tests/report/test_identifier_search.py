"""The identifier search and redaction give the hits of the regular expressions they replace.

``check_no_identifiers`` and ``redact`` look identifiers made of word characters up in the
text's runs of word characters instead of compiling an alternation of every identifier. The
oracle here is the regular-expression search (substrings from ``min_length`` characters,
whole tokens below; whole tokens, longest first, for redaction), compared on random texts
whose few letters make identifiers overlap, nest and touch each other often.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sroi.report.disclosure import check_no_identifiers, redact

WORD = "AB01_"
ids_st = st.lists(st.text(alphabet=WORD, min_size=1, max_size=7), min_size=1, max_size=12)
text_st = st.text(alphabet=WORD + " -.x\n", max_size=80)


def oracle_hits(text: str, ids: list[str], min_length: int) -> list[str]:
    uniq = sorted({v for v in ids if v and v.strip()})
    long_ids = [v for v in uniq if len(v) >= min_length]
    short_ids = [v for v in uniq if len(v) < min_length]
    hits: list[str] = []
    if long_ids:
        pattern = re.compile("|".join(re.escape(v) for v in long_ids))
        hits += sorted(set(pattern.findall(text)))
    if short_ids:
        alternation = "|".join(re.escape(v) for v in short_ids)
        pattern = re.compile(r"(?<![A-Za-z0-9_])(" + alternation + r")(?![A-Za-z0-9_])")
        hits += sorted(set(pattern.findall(text)))
    return hits


def oracle_redact(text: str, ids: list[str], replacement: str = "[identifier removed]") -> str:
    values = sorted({v for v in ids if v.strip()}, key=len, reverse=True)
    if not values:
        return text
    alternation = "|".join(re.escape(v) for v in values)
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + alternation + r")(?![A-Za-z0-9_])")
    return pattern.sub(replacement, text)


def found(text: str, ids: list[str], min_length: int) -> list[str]:
    hits = check_no_identifiers(text, ids, min_length=min_length, raise_on_found=False)
    assert {(src, kind) for src, kind, _ in hits} <= {("<text>", "id")}
    return [m for _, _, m in hits]


@settings(max_examples=400, deadline=None)
@given(text=text_st, ids=ids_st, min_length=st.integers(1, 6))
def test_search_finds_what_the_regular_expressions_find(text, ids, min_length):
    assert found(text, ids, min_length) == oracle_hits(text, ids, min_length)


@settings(max_examples=400, deadline=None)
@given(text=text_st, ids=ids_st)
def test_redaction_replaces_what_the_regular_expressions_replace(text, ids):
    assert redact(text, ids) == oracle_redact(text, ids)
    assert redact(text, frozenset(ids), replacement="#") == oracle_redact(text, ids, "#")


@settings(max_examples=200, deadline=None)
@given(text=text_st, ids=ids_st, other=st.sampled_from(["B-0", "A 1", "0.A", "x-x"]))
def test_identifiers_with_other_characters_are_searched_as_before(text, ids, other):
    """One identifier that is not a single word sends its kind to the regular expressions."""
    ids = [*ids, other]
    assert found(text, ids, 3) == oracle_hits(text, ids, 3)
    assert redact(text, ids) == oracle_redact(text, ids)


def test_overlapping_and_nested_identifiers():
    # substrings, scanned left to right without overlap, as re.findall does
    assert found("xAB01B0x", ["AB01", "01B0", "B0"], 2) == ["AB01", "B0"]
    # shorter identifiers as whole words only; the same kinds listed in order
    hits = check_no_identifiers(
        "pupil P000123 at S01; S010 and xS01",
        {"pupil_id": ["P000123", "P000124"], "school_id": ["S01"]},
        raise_on_found=False,
    )
    assert hits == [("<text>", "pupil_id", "P000123"), ("<text>", "school_id", "S01")]
    assert redact("S1, S10 and S1_x, S1.", ["S1", "S10"]) == (
        "[identifier removed], [identifier removed] and S1_x, [identifier removed]."
    )
