"""The headline states the inference behind its interval in one plain sentence (issue 13)."""

from __future__ import annotations

from sroi import Effect
from sroi.report.sections.headline import _inference_sentence, _randomization_line


def _effect(**kw) -> Effect:
    base = dict(
        estimate=0.0137,
        std_error=0.0058,
        ci_low=-0.0004,
        ci_high=0.0278,
        p_value=0.055,
        n_treated=250,
        n_control=240,
        estimand="ATT (group aggregation)",
        method="matched staggered DiD",
    )
    base.update(kw)
    return Effect(**base)


def test_few_schools_sentence_names_t_and_its_degrees_of_freedom():
    text = _inference_sentence(_effect(cluster="school_id", extra={"df": 6}))
    assert "only 7 programme schools" in text and "t distribution with 6 degrees" in text
    assert "school_id" not in text  # no variable names in the published report


def test_degrees_of_freedom_stored_as_a_float():
    # the estimators store df as a float (6.0): the sentence still names t and its df
    text = _inference_sentence(_effect(cluster="school_id", extra={"df": 6.0}))
    assert "only 7 programme schools" in text and "t distribution with 6 degrees" in text


def test_normal_and_unclustered_sentences():
    assert _inference_sentence(_effect(cluster="school_id", extra={"df": None})).endswith(
        "(clustered standard errors)."
    )
    assert "may be too narrow" in _inference_sentence(_effect(cluster=None))


def test_sentence_says_why_the_school_level():
    why = (
        "The interval allows for pupils in the same school being alike, because the programme "
        "was given to whole schools (7 programme schools among 40), so the school is the level "
        "at which it "
        "was assigned."
    )
    text = _inference_sentence(_effect(cluster="school_id", extra={"df": 6, "cluster_choice": why}))
    assert "(clustered standard errors), because the programme was given to whole schools" in text
    assert "(7 programme schools among 40)" in text and "t distribution with 6 degrees" in text
    assert text.endswith(".") and ". " not in text  # one sentence


def test_randomization_line_beside_the_sentence():
    ri = {"p_value": 0.214, "n_draws": 999, "n_programme_schools": 7, "n_schools": 40}
    line = _randomization_line(_effect(cluster="school_id", extra={"randomization": ri}))
    assert line is not None
    assert "reshuffles which schools had the programme" in line and "p = 0.214" in line
    assert "7 programme schools of 40; with so few schools this check has little power" in line
    many = dict(ri, n_programme_schools=25)
    assert "little power" not in _randomization_line(_effect(extra={"randomization": many}))
    assert _randomization_line(_effect(extra={})) is None
