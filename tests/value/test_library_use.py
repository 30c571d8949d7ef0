"""Library lines in a valuation: chosen by id in the spec or the cost table, never twice.

Worked by hand with the tiny spec (10 pupils, 0.1 fewer events each a year for 3 years =
1 event a year; discount factors 1, 1/1.035, 1/1.035^2) and the HM Treasury calendar-year
deflator: D(2009) = 68.217, D(2010) = 69.1217, D(2024) = 100.
"""

from __future__ import annotations

import warnings

import pytest

import sroi.value as value
from sroi import Effect, SroiInputError
from tests.value import helpers as vh

#: Sum of the discount factors of years 0, 1, 2.
YEARS3 = 1 + 1 / 1.035 + 1 / 1.035**2
#: 2009-10 prices -> 2024 prices.
F0910 = 100 / (0.75 * 68.217 + 0.25 * 69.1217)


def run(spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return value.run(spec, {"o": Effect.from_estimate(-0.1, 0.01, outcome="o")})


def test_a_library_line_chosen_in_the_spec(tmp_path):
    spec = vh.tiny_spec(tmp_path, valuation={"outcomes": [vh.tiny_outcome(costs=["SS6.2"])]})
    r = run(spec)
    # SS6.2: children's social care referral, 117 in 2009-10 prices, RAG G -> grade 3 (-20%)
    assert r.pv_benefits == pytest.approx(117 * F0910 * 0.8 * YEARS3, rel=1e-12)
    reg = r.assumptions.set_index("parameter")
    assert reg.loc["cost:SS6.2", "value"] == pytest.approx(117 * F0910, rel=1e-12)
    assert reg.loc["cost:SS6.2", "source"].startswith(
        "New Economy (Greater Manchester), Unit Cost Database v1.2 (2013), line SS6.2 (RAG G)"
    )
    assert reg.loc["cost:SS6.2", "confidence"] == "grade 3"
    assert reg.loc["uprating:SS6.2", "value"] == pytest.approx(F0910, rel=1e-12)
    assert "0.75 x 68.2170 (2009) + 0.25 x 69.1217 (2010)" in reg.loc["uprating:SS6.2", "note"]
    assert r.by_agency().set_index("agency").loc["children_social_care", "pv_benefits_observed"] > 0
    assert any("library line(s) added from the spec: SS6.2" in n for n in r.notes)


def test_a_library_line_in_the_cost_table_beside_local_lines(tmp_path):
    rows = [
        vh.cost_row(),  # local: 100 a event, grade 1
        {"id": "REF", "library": "SS6.2", "outcome": "o"},  # every other cell from the library
    ]
    spec = vh.tiny_spec(tmp_path, rows)
    r = run(spec)
    assert r.pv_benefits == pytest.approx((100 + 117 * F0910 * 0.8) * YEARS3, rel=1e-12)
    assert set(r.streams["cost_id"]) == {"X", "REF"}


def test_own_figure_for_a_library_line_needs_its_own_source(tmp_path):
    rows = [{"id": "REF", "library": "SS6.2", "outcome": "o", "amount": 150}]
    with pytest.raises(
        SroiInputError, match="amount of library line SS6.2 changed: give the source"
    ):
        run(vh.tiny_spec(tmp_path, rows))
    rows[0].update(source="Borough finance team, referral costing 2024", price_year="2024")
    r = run(vh.tiny_spec(tmp_path, rows))
    assert r.pv_benefits == pytest.approx(150 * 0.8 * YEARS3, rel=1e-12)


def test_an_edited_amount_still_citing_the_library_is_noted(tmp_path):
    lib = value.load_library().loc["SS6.2"]
    rows = [
        {"id": "REF", "library": "SS6.2", "outcome": "o", "amount": 150, "source": lib["source"]}
    ]
    r = run(vh.tiny_spec(tmp_path, rows))
    assert any("differs from library line SS6.2" in n for n in r.notes)


def test_a_headline_line_and_its_constituent_are_never_both_valued(tmp_path):
    spec = vh.tiny_spec(
        tmp_path, valuation={"outcomes": [vh.tiny_outcome(costs=["E&S2.0", "E&S2.0.1"])]}
    )
    with pytest.raises(SroiInputError, match="a constituent of E&S2.0, which o x E&S2.0"):
        run(spec)


def test_parent_and_constituent_across_outcomes_and_rows(tmp_path):
    rows = [
        {"id": "AP", "library": "E&S2.0.1", "outcome": "o"},
        {"id": "TOTAL", "library": "E&S2.0", "outcome": "p"},
    ]
    p = {"name": "p", "column": "p", "type": "binary", "direction": "decrease"}
    spec = vh.tiny_spec(
        tmp_path,
        rows,
        valuation={"outcomes": [vh.tiny_outcome(), vh.tiny_outcome(outcome="p")]},
        extra_outcomes=[p],
    )
    with pytest.raises(SroiInputError, match="double counting: o x AP .* constituent of E&S2.0"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value.run(
                spec,
                {
                    "o": Effect.from_estimate(-0.1, 0.01, outcome="o"),
                    "p": Effect.from_estimate(-0.1, 0.01, outcome="p"),
                },
            )


def test_one_library_line_through_two_rows(tmp_path):
    rows = [
        {"id": "A", "library": "SS6.2", "outcome": "o"},
        {"id": "B", "library": "SS6.2", "outcome": "o"},
    ]
    with pytest.raises(SroiInputError, match="library line SS6.2 is valued twice"):
        run(vh.tiny_spec(tmp_path, rows))


def test_unknown_ids(tmp_path):
    spec = vh.tiny_spec(tmp_path, valuation={"outcomes": [vh.tiny_outcome(costs=["SS99.9"])]})
    with pytest.raises(SroiInputError, match="neither in the cost table .* nor a library line"):
        run(spec)
    rows = [{"id": "A", "library": "SS99.9", "outcome": "o"}]
    with pytest.raises(SroiInputError, match="library id 'SS99.9' is not a library line"):
        run(vh.tiny_spec(tmp_path, rows))


def test_a_local_id_always_means_the_local_row(tmp_path):
    rows = [vh.cost_row(id="WELLBY", description="our own", amount=5)]
    spec = vh.tiny_spec(tmp_path, rows, valuation={"outcomes": [vh.tiny_outcome(costs=["WELLBY"])]})
    assert run(spec).pv_benefits == pytest.approx(5 * YEARS3, rel=1e-12)
