"""Disclosure control: small-count suppression, identifier search, redaction."""

import pandas as pd
import pytest

from sroi.errors import SroiInputError
from sroi.report.disclosure import (
    DisclosureError,
    check_no_identifiers,
    redact,
    suppress_count,
    suppress_counts,
)


@pytest.mark.parametrize(
    ("n", "k", "expected"),
    [
        (0, 10, 0),
        (1, 10, "<10"),
        (9, 10, "<10"),
        (10, 10, 10),
        (250, 10, 250),
        (4, 5, "<5"),
        (5, 5, 5),
        (None, 10, None),
        (float("nan"), 10, None),
        (7.0, 10, "<10"),
        ("<10", 10, "<10"),
    ],
)
def test_suppress_count(n, k, expected):
    assert suppress_count(n, k) == expected


@pytest.mark.parametrize("bad", [-1, 2.5, "seven"])
def test_suppress_count_rejects_non_counts(bad):
    with pytest.raises(SroiInputError):
        suppress_count(bad)


def test_suppress_count_rejects_bad_threshold():
    with pytest.raises(SroiInputError, match="disclosure_threshold"):
        suppress_count(3, 0)


def test_suppress_counts_finds_count_columns():
    t = pd.DataFrame(
        {
            "cohort": [4, 5, 7],
            "n_pupils": [120, 3, 0],
            "n_schools": [2, 3, 11],
            "att": [0.1, 0.2, 0.3],
        }
    )
    out = suppress_counts(t, 10)
    # pupils per cohort add up to the participants shown elsewhere: the 3 could be worked out
    # as total - 120 - 0, so the 120 is hidden too (secondary suppression, marker "c")
    assert out["n_pupils"].tolist() == ["c", "<10", 0]
    # schools are institutions, not people: never suppressed
    assert out["n_schools"].tolist() == [2, 3, 11]
    assert suppress_counts(t, 10, additive=[])["n_pupils"].tolist() == [120, "<10", 0]
    assert out["cohort"].tolist() == [4, 5, 7]  # not a count column
    assert out["att"].tolist() == [0.1, 0.2, 0.3]
    assert t["n_pupils"].tolist() == [120, 3, 0]  # input untouched
    with pytest.raises(SroiInputError, match="not in the table"):
        suppress_counts(t, 10, columns=["n_missing"])


def test_check_no_identifiers_finds_long_and_short_ids(tmp_path):
    clean = tmp_path / "clean.html"
    clean.write_text("<p>Effect 0.02 for 250 pupils in S-class schools (S1x)</p>")
    assert check_no_identifiers([clean], {"pupil_id": ["P000001"], "school_id": ["S01"]}) == []
    leaky = tmp_path / "leaky.json"
    leaky.write_text('{"note": "unit P000001 dropped", "school": "S01"}')
    with pytest.raises(DisclosureError, match="1 pupil_id value.* in leaky.json") as info:
        check_no_identifiers([tmp_path], {"pupil_id": ["P000001", "P000002"], "school_id": ["S01"]})
    # the guard's own message may end up in a batch summary: it never repeats the ids
    assert "P000001" not in str(info.value) and "S01" not in str(info.value)
    hits = check_no_identifiers(
        [leaky], {"pupil_id": ["P000001"], "school_id": ["S01"]}, raise_on_found=False
    )
    assert {(h[1], h[2]) for h in hits} == {("pupil_id", "P000001"), ("school_id", "S01")}


def test_short_ids_inside_embedded_images_are_not_hits():
    text = '<img src="data:image/png;base64,AAAS01BBB/S01+=="> and S011 and xS01'
    assert check_no_identifiers(text, {"school_id": ["S01"]}) == []
    assert check_no_identifiers(text + " S01.", {"school_id": ["S01"]}, raise_on_found=False)


def test_check_no_identifiers_missing_file(tmp_path):
    with pytest.raises(SroiInputError, match="does not exist"):
        check_no_identifiers([tmp_path / "nope.html"], ["P1"])


def test_redact_whole_tokens_only():
    txt = "dropped P000001 and P0000011; school S1 (not S10)"
    out = redact(txt, ["P000001", "S1"])
    assert "P000001 " not in out and "P0000011" in out and "S10" in out
    assert out.count("[identifier removed]") == 2


def test_small_counts_in_free_text_are_suppressed():
    from sroi.report.disclosure import sanitize_text, suppress_text_counts

    msg = (
        "cohort 4: 3 of 100 treated units were not matched (no control within caliper: 3); "
        "12 units dropped; 2 pupils left; only 7 clusters; 5%; 0 of 9 rows"
    )
    out = suppress_text_counts(msg, 10)
    assert "<10 of 100 treated units" in out and "caliper: <10)" in out
    assert "12 units dropped" in out and "<10 pupils left" in out
    assert "only 7 clusters" in out and "5%" in out  # not counts of people
    assert "0 of <10 rows" in out  # zero is not suppressed; the small total is
    assert (
        sanitize_text("unit P000001: 4 rows", ["P000001"], 5)
        == "unit [identifier removed]: <5 rows"
    )


def test_results_and_report_text_suppress_small_counts(small_result):
    import copy

    from sroi.report import sections
    from sroi.report.provenance import provenance
    from sroi.report.results import build_results

    leaky = copy.copy(small_result)
    leaky.warnings = ["matched DiD: 3 of 100 treated units were not matched"]
    prov = provenance(spec_hash=leaky.spec.hash(), data_hash=leaky.data_hash, seed=1)
    doc = build_results(leaky, prov)
    assert doc["diagnostics"]["warnings"] == [
        "matched DiD: <10 of 100 treated units were not matched"
    ]
    html = sections.limitations_section(leaky).html
    assert "&lt;10 of 100" in html and "3 of 100" not in html


def test_ids_inside_embedded_images_are_pixels_not_text():
    img = '<img src="data:image/png;base64,iVBORw0KGgoP000001AAAA==">'
    nbjson = '"image/png": "iVBORw0KGgoP000002AAAA\\n"'
    assert check_no_identifiers(img + nbjson, {"pupil_id": ["P000001", "P000002"]}) == []
    with pytest.raises(DisclosureError):
        check_no_identifiers(img + " pupil P000001", {"pupil_id": ["P000001"]})
