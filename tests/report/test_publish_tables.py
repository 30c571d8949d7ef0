"""Secondary suppression across the tables of one results.json, rounding, small-group statistics.

The evaluation is the battery's (60 pupils, cohorts of 10) matched with a caliper, so one
cohort keeps fewer than 10 matched pupils: its matched count, unmatched count, estimate and
balance are small-group numbers that appear in several tables of one file. Each test tries
to work a hidden number out from the others.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import pytest

from sroi.report.disclosure import (
    SECONDARY_MARKER,
    Threshold,
    is_people_count,
    linked_suppression,
    publish_linked,
    round_count,
    suppress_count,
    suppress_group_statistics,
    suppress_text_counts,
)
from sroi.report.provenance import provenance
from sroi.report.results import build_results, validate_results
from tests.inputs.base import write_evaluation

K = 10


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from sroi.report.pipeline import evaluate

    spec = write_evaluation(tmp_path_factory.mktemp("tables"))
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("    ratio: 1\n", "    ratio: 1\n    caliper: 0.2\n"), "utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return evaluate(spec)


def _doc(result: Any) -> dict[str, Any]:
    doc = build_results(result, provenance(spec_hash="a" * 64, data_hash="b" * 64, seed=1))
    validate_results(doc)
    return doc


def _hidden(x: object) -> bool:
    return isinstance(x, str)


def test_the_fixture_has_a_small_matched_cohort(result: Any) -> None:
    matched = {c.cohort: c.n_treated_matched for c in result.matching.cohorts}
    assert any(0 < n < K for n in matched.values()), matched


def _tables(doc: dict[str, Any]) -> dict[str, dict[str, dict[int, object]]]:
    """Group -> table -> cohort -> published count, over every per-cohort table of the file."""
    out: dict[str, dict[str, dict[int, object]]] = {"treated": {}, "matched": {}, "controls": {}}
    out["treated"]["programme"] = {r["cohort"]: r["n_pupils"] for r in doc["programme"]["cohorts"]}
    for name, group in (
        ("n_treated", "treated"),
        ("n_treated_matched", "matched"),
        ("n_controls_matched", "controls"),
    ):
        out[group][f"matching {name}"] = {
            r["cohort"]: r[name] for r in doc["diagnostics"]["matching"]
        }
    for e in doc["effects"]:
        rows = e["effect"]["extra"]["cohorts"]
        for name, group in (
            ("n_treated", "treated"),
            ("n_matched_treated", "matched"),
            ("n_unmatched_treated", "matched"),
            ("n_matched_control", "controls"),
        ):
            out[group][f"{e['outcome']} extra {name}"] = {r["cohort"]: r[name] for r in rows}
        for name, group in (("n_treated", "matched"), ("n_control", "controls")):
            out[group][f"{e['outcome']} by_cohort {name}"] = {
                r["cohort"]: r[name] for r in e["by_cohort"] if name in r
            }
    return out


def test_a_cohort_hidden_in_one_table_is_hidden_in_every_table(result: Any) -> None:
    doc = _doc(result)
    for group, tables in _tables(doc).items():
        cohorts = {c for t in tables.values() for c in t}
        for c in cohorts:
            states = {name: _hidden(t[c]) for name, t in tables.items() if c in t and t[c] != 0}
            assert len(set(states.values())) <= 1, (group, c, states)


def test_no_matched_count_can_be_worked_out_from_the_totals(result: Any) -> None:
    doc = _doc(result)
    raw = {c.cohort: c.n_treated_matched for c in result.matching.cohorts}
    for e in doc["effects"]:
        total = e["effect"]["n_treated"]
        for name, table in _tables(doc)["matched"].items():
            if "unmatched" in name or not table:
                continue
            hidden = [c for c, v in table.items() if _hidden(v)]
            if not hidden or not isinstance(total, int):
                continue
            rest = total - sum(v for v in table.values() if isinstance(v, int))
            assert len(hidden) >= 2 and rest >= K, (name, table, total)
    assert any(0 < n < K for n in raw.values())


def test_unmatched_pupils_cannot_be_worked_out_within_a_row_or_across_totals(result: Any) -> None:
    doc = _doc(result)
    prog = doc["programme"]["n_treated"]
    for e in doc["effects"]:
        for r in e["effect"]["extra"]["cohorts"]:
            parts = (r["n_matched_treated"], r["n_unmatched_treated"])
            # enrolled = matched + unmatched + missing: one hidden part alone would come back
            assert sum(map(_hidden, parts)) != 1, r
        n = e["effect"]["n_treated"]
        if isinstance(prog, int) and isinstance(n, int):
            assert not 0 < prog - n < K, (prog, n)


def test_event_time_counts_hidden_when_cohort_counts_are(result: Any) -> None:
    doc = _doc(result)
    for e in doc["effects"]:
        if any(_hidden(r["n_treated"]) for r in e["by_cohort"]):
            shown = [r.get("n_treated") for r in e["event_time"]]
            assert all(v is None or v == 0 or _hidden(v) for v in shown), shown


def test_statistics_over_fewer_than_k_pupils_are_not_shown(result: Any) -> None:
    doc = _doc(result)
    small = {c.cohort for c in result.matching.cohorts if 0 < c.n_treated_matched < K}
    assert small
    for e in doc["effects"]:
        for r in e["by_cohort"]:
            if r["cohort"] in small:
                assert r["estimate"] is None and r["ci_low"] is None and r["p_value"] is None
    for r in doc["diagnostics"]["matching"]:
        if r["cohort"] in small:
            assert r["max_abs_smd_after"] is None
    big = [r for e in doc["effects"] for r in e["by_cohort"] if r["cohort"] not in small]
    assert big and all(r["estimate"] is not None for r in big)


def test_disclosure_block_names_the_markers_and_rounding(result: Any) -> None:
    doc = _doc(result)
    assert doc["disclosure"] == {
        "threshold": K,
        "suppressed_marker": "<10",
        "secondary_marker": SECONDARY_MARKER,
        "rounding_base": None,
    }


def _people_counts(x: Any, key: str = "") -> list[tuple[str, Any]]:
    if isinstance(x, dict):
        return [p for k, v in x.items() for p in _people_counts(v, str(k))]
    if isinstance(x, list):
        return [p for v in x for p in _people_counts(v, key)]
    return [(key, x)] if is_people_count(key) and not isinstance(x, bool) else []


def test_rounding_base_rounds_every_count_of_people(result: Any) -> None:
    spec = result.spec.with_overrides({"report.disclosure_rounding_base": 5})
    doc = _doc(dataclasses.replace(result, spec=spec))
    assert doc["disclosure"]["rounding_base"] == 5
    counts = [(k, v) for k, v in _people_counts(doc) if isinstance(v, int)]
    assert counts and all(v % 5 == 0 for _, v in counts), [c for c in counts if c[1] % 5]
    # schools are institutions: not rounded
    assert doc["programme"]["n_clusters"] == 6
    # and no count under the threshold anywhere
    assert all(not (0 < v < K) for _, v in counts)


def test_threshold_rounding_helpers() -> None:
    k = Threshold(10, base=5)
    assert int(k) == 10 and k.base == 5 and suppress_count(12, k) == 10
    assert (
        suppress_count(13, k) == 15 and suppress_count(3, k) == "<10" and suppress_count(0, k) == 0
    )
    assert round_count(247, 5) == 245 and round_count(248, 5) == 250 and round_count(7, None) == 7
    assert suppress_text_counts("3 of 248 treated units were not matched", k) == (
        "<10 of 250 treated units were not matched"
    )
    assert suppress_text_counts("97 pupils", k) == "95 pupils"
    import pickle

    assert pickle.loads(pickle.dumps(k)).base == 5
    with pytest.raises(Exception, match="rounding base"):
        Threshold(10, base=1)


@pytest.mark.parametrize(
    "columns",
    [
        {"a": {3: 9, 4: 10}, "b": {3: 10, 4: 10}},
        {"a": {1: 3, 2: 50, 3: 60}, "b": {1: 40, 2: 4, 3: 60}},
        {"a": {1: 97, 2: 78, 3: 70, 4: 3}, "b": {1: 90, 2: 70, 3: 70, 4: 3}},
        {"a": {1: 5, 2: 0, 3: 50}},
    ],
)
def test_linked_suppression_leaves_no_cell_recoverable(columns: dict) -> None:
    hidden = linked_suppression(columns, K)
    for col in columns.values():
        shown = {c: publish_linked(n, c in hidden, K) for c, n in col.items()}
        secret = [c for c, v in shown.items() if _hidden(v)]
        if secret:
            assert len(secret) >= 2 or all(_hidden(v) for v in shown.values() if v != 0)
            assert sum(col[c] for c in secret) >= K or len(secret) == len(
                [n for n in col.values() if n]
            )
        for c, n in col.items():
            assert not (0 < n < K and not _hidden(shown[c]))


def test_group_statistics_need_k_people() -> None:
    row = {"cohort": 3, "estimate": 0.1, "ci_low": 0.0, "n_treated": "<10"}
    assert suppress_group_statistics(row, [7, 40], K)["estimate"] is None
    assert suppress_group_statistics(row, ["<10"], K)["ci_low"] is None
    assert suppress_group_statistics(row, [12, 40], K)["estimate"] == 0.1
    assert suppress_group_statistics(row, [None, 40], K)["estimate"] == 0.1


def test_report_charts_leave_out_estimates_over_fewer_than_k_pupils(result: Any) -> None:
    import pandas as pd

    from sroi.report.disclosure import small_group_rows
    from sroi.report.sections.impact import impact_details_section, impact_section

    table = pd.DataFrame({"n_treated": [3, 12, None, 0], "n_control": [40, 40, 40, 5]})
    assert small_group_rows(table, K).tolist() == [True, False, False, True]
    o = result.primary
    assert o.att_gt is not None and small_group_rows(o.att_gt, K).any()
    html = impact_section(result).html + impact_details_section(result).html
    assert "with fewer than 10 pupils behind them are not shown" in html


def test_report_matching_table_hides_the_same_cohorts_as_results_json(result: Any) -> None:
    import re

    from sroi.report.sections.comparison import comparison_section

    doc = _doc(result)
    html = comparison_section(result).html
    table = html[html.index("Participants matched, by enrolment wave") :]
    rows = re.findall(
        r"<tr>\s*<td>(\d+)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", table
    )
    shown = {int(g): (a, b, c) for g, a, b, c in rows}
    for r in doc["diagnostics"]["matching"]:
        cells = shown[r["cohort"]]
        expected = (r["n_treated"], r["n_treated_matched"], r["n_controls_matched"])
        assert tuple(c.replace("&lt;", "<") for c in cells) == tuple(map(str, expected))


def test_report_cohort_table_hides_the_same_waves_as_results_json(result: Any) -> None:
    import re

    from sroi.report.sections.programme import programme_section

    cohorts = result.cohorts.copy()
    cohorts["n_pupils"] = [3, 17][: len(cohorts)]  # a wave of 3 pupils
    small = dataclasses.replace(result, cohorts=cohorts)
    doc = _doc(small)
    published = {r["cohort"]: str(r["n_pupils"]) for r in doc["programme"]["cohorts"]}
    assert published[3] == "<10" and published[4] == SECONDARY_MARKER  # 17 = 20 - 3 otherwise
    html = programme_section(small).html
    table = html[html.index("Pupils and schools by enrolment wave") :]
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>\s*<td>(.*?)</td>", table)
    assert {int(g): n.replace("&lt;", "<") for g, n in rows} == published
