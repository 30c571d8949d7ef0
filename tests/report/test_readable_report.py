"""Issue 15: the rendered report reads consistently, in plain words, without code or raw values.

Every check runs on the HTML text the sections render for the small evaluation.
"""

from __future__ import annotations

import re

import pytest

from sroi.report import sections
from sroi.report.evidence import assess_evidence, p_phrase
from sroi.report.figures import break_even_plot, overlap_plot, tornado_plot
from sroi.report.sections.text import label_words, p_value, reader_warning

_SECTIONS = (
    sections.headline_section,
    sections.programme_section,
    sections.comparison_section,
    sections.impact_section,
    sections.value_section,
    sections.sensitivity_section,
    lambda r: sections.limitations_section(r, notes=False),
    lambda r: sections.appendix_section(),
    sections.methods_section,
    sections.balance_section,
    sections.impact_details_section,
    sections.value_details_section,
    sections.assumptions_section,
    sections.computing_notes_section,
)


@pytest.fixture(scope="module")
def page(small_result) -> str:
    return "".join(f(small_result).html for f in _SECTIONS)


def test_contents_links_resolve_and_headings_do_not_skip(page):
    anchors = re.findall(r'href="#([\w-]+)"', page)
    assert {"summary", "impact", "value", "limitations", "appendix"} <= set(anchors)
    for a in anchors:
        assert f'id="{a}"' in page, a
    levels = [int(h) for h in re.findall(r"<h([1-6])[\s>]", page)]
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels


def test_figures_have_descriptive_alt_text_and_tables_header_cells(page):
    names = re.findall(r'<svg [^>]*role="img" aria-label="([^"]*)"', page)
    assert len(names) == page.count("<svg ") and len(names) >= 6
    assert all(len(a) > 20 for a in names)
    for table in re.findall(r"<table.*?</table>", page, flags=re.S):
        assert "<th" in table


def test_body_is_before_the_appendix(page):
    text = _text(page)
    body, appendix = text.split("Technical appendix The parts below", 1)
    assert "Method notes" in appendix and "Assumptions register" in appendix
    assert "Goodman-Bacon" in appendix and "Goodman-Bacon (2021) decomposition" not in body
    assert "Limitations" in body


def _text(html: str) -> str:
    html = re.sub(r"<(style|script|svg)[^>]*>.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<img[^>]*>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_bottom_line_comes_first_and_joins_impact_value_and_evidence(small_result):
    head = sections.headline_section(small_result).html
    text = _text(head)
    assert "Bottom line:" in text
    line = text[text.index("Bottom line:") :].split(". ")[0]
    assert "percentage points" in line and "school days per pupil per year" in line
    assert "confidence in the evidence is" in line
    assert head.index("Bottom line") < head.index("Main outcome")


def test_effect_box_has_school_days_confidence_and_the_p_format(small_result):
    text = _text(sections.headline_section(small_result).html)
    box = text[text.index("Main outcome") : text.index("How to read this")]
    assert "school days per pupil per year" in box and "190 school days a year" in box
    assert "Confidence in this evidence:" in box
    assert re.search(r"\(p (=|<) 0\.\d{3}\)", box)


def test_one_p_value_format(page):
    text = _text(page)
    assert "p = <" not in text and "p = 0.000" not in text and "<0.001" not in text
    assert p_phrase(0.0001) == "p < 0.001" and p_phrase(0.0184) == "p = 0.018"
    assert p_value(0.0001) == "< 0.001" and p_value(0.5) == "0.500"


def test_study_size_never_contradicts_significance():
    base = dict(primary_estimate=0.0137, primary_mdes=0.0161, alpha=0.05)
    sig = assess_evidence("difference-in-differences", primary_p=0.018, **base)
    msg = next(d.message for d in sig.diagnostics if d.name == "size of study")
    assert "distinguishable from zero (p = 0.018)" in msg and "cannot be told apart" not in msg
    null = assess_evidence("difference-in-differences", primary_p=0.4, **base)
    msg = next(d.message for d in null.diagnostics if d.name == "size of study")
    assert "cannot be told apart from none" in msg


def test_robustness_message_follows_the_headline_significance():
    base = dict(primary_estimate=0.0137, primary_mdes=0.0161, honest_breakdown=0.15)
    null = assess_evidence("difference-in-differences", primary_p=0.055, **base)
    msg = next(d.message for d in null.diagnostics if d.name.startswith("robustness"))
    assert "cannot be told apart from zero" in msg and "conclusion would change" not in msg
    sig = assess_evidence("difference-in-differences", primary_p=0.01, **base)
    msg = next(d.message for d in sig.diagnostics if d.name.startswith("robustness"))
    assert "conclusion would change" in msg and "robustness ratio 0.15" in msg


def test_headline_and_study_size_agree(small_result, page):
    head = _text(sections.headline_section(small_result).html)
    box_sig = "unlikely to be due to chance" in head.split("How to read this")[0]
    assert box_sig != ("cannot be told apart from none" in _text(page))


def test_robustness_is_named_and_stated_the_same_way(small_result, page):
    bd = small_result.primary.honest_breakdown
    if bd is None:
        pytest.skip("no robustness bounds for the small evaluation")
    text = _text(page)
    assert "Mbar" not in text
    assert f"robustness ratio {bd:.2f}" in text or f"robustness ratio of {bd:.2f}" in text


def test_no_code_or_raw_values_in_the_report(page):
    text = _text(page)
    for bad in ("sroi.", "vcov", "encountered in", "pre-trend test: pre-trend test", "e-0"):
        assert bad not in text, bad
    assert not re.search(r"<td>\s*(True|False)\s*</td>", page)
    assert not re.search(r"\b[a-z]+_[a-z]+_[a-z]+\b", text), re.findall(
        r"\b[a-z]+_[a-z]+_[a-z]+\b", text
    )[:5]
    assert not re.search(r"\d\.\d{6,}", text), re.findall(r"\S*\d\.\d{6,}\S*", text)[:5]


def test_value_headline_says_what_drives_it(small_result):
    if small_result.value is None:
        pytest.skip("no valuation in the small evaluation")
    text = _text(sections.headline_section(small_result).html)
    assert "Cashable return" in text
    assert "All estimated effects are valued" in text


def test_readable_labels_and_warnings():
    assert label_words("sen_sen_support") == "special educational needs: SEN support"
    assert label_words("attendance_rate_lag1") == "attendance rate, last term"
    assert (
        label_words("attendance_rate_vs_school_lag2")
        == "attendance rate relative to the school, two terms before"
    )
    assert label_words("effect:pa", {"pa": "Persistent absence"}) == "effect: Persistent absence"
    w = reader_warning(
        "attendance: event study: only 7 treated clusters (school_id): unreliable below 10 "
        "treated clusters; use vcov='CR2' (Bell-McCaffrey); see sroi.impact.inference",
        {"attendance": "Attendance rate"},
    )
    assert w.startswith("Attendance rate:") and "vcov" not in w and "sroi." not in w
    assert "encountered" not in reader_warning("x: invalid value encountered in sqrt")


def _title_fits(chart) -> bool:
    from sroi.report.charts.text import text_width
    from tests.report import chart_reading as R

    root = R.parse(chart.svg("c"))
    width = float(root.get("viewBox").split()[2])
    lines = R.texts(root, "title")
    return bool(lines) and all(text_width(t.text, 15, bold=True) <= width - 20 for t in lines)


def test_figure_titles_fit_and_overlap_counts_match():
    import numpy as np
    import pandas as pd

    from tests.report import chart_reading as R

    be = pd.DataFrame(
        {"parameter": ["a", "b"], "central": [1.0, 2.0], "switching_value": [3.0, 1.0]}
    )
    assert _title_fits(break_even_plot(be, break_even="switching_value"))
    long = "Persistent absence (10%+ of sessions missed): effect by term since enrolment " * 2
    t = pd.DataFrame({"parameter": ["x"], "low": [0.1], "high": [0.2]})
    chart = tornado_plot(t, title=long)
    assert _title_fits(chart)
    assert len(R.texts(R.parse(chart.svg("c")), "title")) >= 2  # wrapped, not cut
    rng = np.random.default_rng(1)
    chart = overlap_plot(rng.random(60), rng.random(300), counts=(20, 100))
    labels = [t.text for t in R.texts(R.parse(chart.svg("c")), "legend")]
    assert any("n = 100 pupils" in x for x in labels)


def test_break_even_keeps_plausible_inputs_only_nearest_first():
    import pandas as pd

    from sroi.report.sections.value import _feasible_break_even

    be = pd.DataFrame(
        {
            "parameter": ["effect:a", "effect:b", "cost:C", "attribution:a"],
            "central": [-0.067, 0.0035, 350.0, 0.1],
            "switching_value": [-1.6, -3.07, 700.0, -21.3],
            "feasible": [False, True, True, True],
            "change_needed": [23.8, -874.7, 1.0, -213.9],
        }
    )
    kept, far = _feasible_break_even(be)
    assert kept["parameter"].tolist() == ["cost:C"]
    assert far == ["effect:b", "attribution:a"]


def test_value_summary_states_weak_share_and_what_would_change(small_result):
    """Issue 15 part 4: next to the ratio, the share resting on weak figures and the break-even."""
    import sroi.value
    from sroi.report.sections.value import nearest_break_even
    from sroi.report.steps.value import value_reliance

    if small_result.value is None:
        pytest.skip("no valuation in the small evaluation")
    text = _text(sections.headline_section(small_result).html)
    rel = value_reliance(small_result)
    assert rel is not None and rel.share_weak is not None
    assert 0 <= rel.share_illustrative <= rel.share_weak <= 1
    box = text[text.index("Every £1") if "Every £1" in text else text.index("net loss") :]
    box = box[: box.index("What would change the conclusion:")]
    assert "of the valued benefits rest on illustrative or low-confidence unit costs" in box
    assert f"{rel.share_weak:.0%} of the valued benefits" in box
    change = text[text.index("What would change the conclusion:") :].split("Benefit unit")[0]
    nearest = nearest_break_even(small_result)
    if nearest is not None:  # the same label and numbers as the sensitivity section's table
        sens = _text(sections.sensitivity_section(small_result).html)
        assert f"{nearest[0]}, at {nearest[2]} against {nearest[1]} now" in change
        assert f"{nearest[0]} {nearest[1]} {nearest[2]}" in sens
    if rel.effect_multiple is not None:
        k = rel.effect_multiple
        assert f"every valued effect were {k:.{1 if k > 1 else 2}f} times its estimate" in change
        # benefits are linear in the effects: scaling every effect by k breaks even exactly
        effects = {n: o.headline for n, o in small_result.outcomes.items() if o.headline}
        scaled = {n: e.with_(estimate=e.estimate * k) for n, e in effects.items()}
        assert sroi.value.run(small_result.spec, scaled).sroi_ratio == pytest.approx(1.0)


def test_weak_share_by_hand(small_result):
    """The weak share is the absolute PV of lines with illustrative or grade 4-5 unit costs."""
    from sroi.report.steps.value import value_reliance

    v = small_result.value
    if v is None:
        pytest.skip("no valuation in the small evaluation")
    s = v.streams
    head = s[s["basis"].isin(["observed", "assumed"]) & ~s["transfer"].astype(bool)]
    pv = head.groupby("cost_id")["pv"].sum().abs()
    table = v.model.cost_table.set_index("id")
    weak = [
        c
        for c in pv.index
        if str(table.loc[c, "source"]).lower().startswith("illustrative")
        or str(table.loc[c, "confidence"]) in ("4", "5")
    ]
    assert value_reliance(small_result).share_weak == pytest.approx(pv[weak].sum() / pv.sum())


def test_value_effects_rule_values_zero_interval_effects_at_zero():
    from types import SimpleNamespace

    from sroi.effect import Effect
    from sroi.report.steps.value import effects_to_value, zero_interval_effects

    clear = Effect(estimate=0.03, std_error=0.01, ci_low=0.01, ci_high=0.05, outcome="a")
    null = Effect(estimate=-0.02, std_error=0.02, ci_low=-0.06, ci_high=0.02, outcome="b")
    edge = Effect(estimate=0.02, std_error=0.01, ci_low=0.0, ci_high=0.04, outcome="d")
    assumed = Effect.assumed(0.01, outcome="c", source="a published trial")
    effects = {"a": clear, "b": null, "c": assumed, "d": edge}
    assert zero_interval_effects({"a": clear, "b": null, "d": edge}) == ["b", "d"]
    spec = SimpleNamespace(valuation=SimpleNamespace(value_effects="all"))
    assert effects_to_value(spec, effects) == effects
    spec.valuation.value_effects = "significant"
    out = effects_to_value(spec, effects)
    assert out["a"] is clear and out["c"] is assumed
    for k in ("b", "d"):
        assert (out[k].estimate, out[k].std_error, out[k].ci_low, out[k].ci_high) == (0, 0, 0, 0)
        assert out[k].draws is None and "valued at zero" in out[k].notes[-1]


def test_value_effects_significant_in_the_spec_and_the_report(small_result):
    import copy

    from sroi.errors import SroiInputError
    from sroi.report.steps.value import value_effects, zero_interval_effects
    from sroi.spec import Spec

    if small_result.value is None:
        pytest.skip("no valuation in the small evaluation")
    raw = small_result.spec.model_dump(mode="json", exclude_none=True)
    raw["valuation"]["value_effects"] = "sometimes"
    with pytest.raises(SroiInputError, match="value_effects"):
        Spec.from_dict(raw)
    spec = small_result.spec.model_copy(deep=True)
    spec.valuation.value_effects = "significant"
    # the main effect with an interval widened to include zero: valued at zero
    prim = copy.copy(small_result.primary)
    e = prim.headline
    prim.headline = e.with_(ci_low=-abs(e.estimate), ci_high=3 * abs(e.estimate))
    outcomes = {**small_result.outcomes, prim.name: prim}
    effects = {n: o.headline for n, o in outcomes.items() if o.headline}
    assert prim.name in zero_interval_effects(effects)
    value, sim, _ = value_effects(spec, effects, n_draws=500)
    pv = value.streams.groupby("outcome")["pv"].sum()
    assert pv.get(prim.name, 0.0) == 0.0
    base = small_result.value.streams.groupby("outcome")["pv"].sum()
    assert base[prim.name] != 0.0  # valued as estimated under the default rule
    res = copy.copy(small_result)
    res.spec, res.value, res.simulation, res.outcomes = spec, value, sim, outcomes
    text = _text(sections.headline_section(res).html)
    assert "Only effects whose confidence interval excludes zero are valued" in text
    assert "All estimated effects are valued" not in text
    assert prim.label in text.split("valued at zero")[1].split(".")[0]


def test_assumptions_register_reads_in_words(small_result):
    """Issue 15 part 6: no estimator codes, currency codes, arrows or list brackets."""
    from sroi.report.sections.value import register_text

    assert register_text(
        "matched staggered DiD (cohort-wise matching, reg, stacked; SE clustered on school_id) "
        "(ATT (group aggregation))"
    ) == (
        "matched difference-in-differences over staggered enrolment, standard errors clustered "
        "by school, average effect on participants over enrolment waves"
    )
    assert register_text("GBP 2024 prices, Per process") == "£ in 2024 prices, per process"
    assert register_text("price factor 2005-06 -> 2024") == "price factor 2005-06 to 2024"
    assert register_text("starts by year [180, 70]") == "starts by year 180, 70"
    assert register_text(0.5) == 0.5
    if small_result.value is None:
        pytest.skip("no valuation in the small evaluation")
    reg = _text(sections.assumptions_section(small_result).html)
    for bad in ("DiD", "GBP", "->", "[", "school_id", "optimism_bias", ".costs"):
        assert bad not in reg, bad
    assert not re.search(r"\bATT\b", reg)  # cost codes such as ATT_DAY stay, with their words
    raw = r"\d\.0*[1-9]\d{4,}"  # five or more significant decimals: a raw float
    assert not re.search(raw, reg), re.findall(r"\S*" + raw + r"\S*", reg)[:5]


def test_matching_method_reads_without_list_syntax():
    from sroi.report.sections.comparison import method_words

    assert method_words("caliper 0.2, exact on ['phase', 'sen_ehcp']") == (
        "caliper 0.2, exact on phase, special educational needs: EHC plan"
    )
    assert method_words("no brackets") == "no brackets"
