"""The headline states the inference behind its interval in one plain sentence (issue 13)."""

from __future__ import annotations

from sroi import Effect
from sroi.report.sections.headline import _inference_sentence


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


def test_normal_and_unclustered_sentences():
    assert _inference_sentence(_effect(cluster="school_id", extra={"df": None})).endswith(
        "(clustered standard errors)."
    )
    assert "may be too narrow" in _inference_sentence(_effect(cluster=None))
