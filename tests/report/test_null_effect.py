"""Issue 15 part 8: with no effect in the data, the report says so without hedging the other way.

A second spec: the small evaluation (tests/report/helpers.py) with the programme's effects
taken out of the data: the attendance effect (+0.03 from the enrolment term) is subtracted
and persistent absence recomputed from it, and children's social care referrals are drawn
at one rate before and after enrolment. Every outcome then has a true effect of zero.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from sroi.report import sections
from tests.report.helpers import EFFECT, write_small_evaluation

pytestmark = pytest.mark.slow

_BODY = (
    sections.headline_section,
    sections.programme_section,
    sections.comparison_section,
    sections.impact_section,
    sections.value_section,
    sections.sensitivity_section,
    lambda r: sections.limitations_section(r, notes=False),
)


def _remove_effects(folder) -> None:
    pupils = pd.read_csv(folder / "pupils.csv")
    panel = pd.read_csv(folder / "panel.csv")
    cohort = panel["pupil_id"].map(pupils.set_index("pupil_id")["cohort"])
    post = (cohort > 0) & (panel["term"] >= cohort)
    att = (panel["attendance_rate"] - EFFECT * post).clip(0, 1).round(4)
    rng = np.random.default_rng(11)
    panel = panel.assign(
        attendance_rate=att,
        persistent_absence=(att < 0.9).astype(int),
        csc_referral=rng.binomial(1, 0.03, len(panel)),
    )
    panel.to_csv(folder / "panel.csv", index=False)


@pytest.fixture(scope="module")
def null_result(tmp_path_factory):
    from sroi.report.pipeline import evaluate

    folder = tmp_path_factory.mktemp("null_effect")
    spec = write_small_evaluation(folder)
    _remove_effects(folder)
    return evaluate(spec)


def _text(html: str) -> str:
    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_data_have_no_effect(null_result):
    e = null_result.primary.headline
    assert e is not None and e.ci_low <= 0 <= e.ci_high, (e.estimate, e.ci_low, e.ci_high)
    assert abs(e.estimate) < 0.01


def test_null_effect_is_stated_without_hedging(null_result):
    head = _text(sections.headline_section(null_result).html)
    body = _text("".join(f(null_result).html for f in _BODY))
    line = head[head.index("Bottom line:") :].split(". ")[0]
    assert "no detectable effect on attendance rate" in line and "could be due to chance" in line
    assert "did not pay for itself" in line
    box = head[head.index("Main outcome") : head.index("How to read this")]
    assert "No detectable effect on attendance rate" in box
    assert "includes no effect" in box and "not statistically significant" in box
    assert "an improvement" not in box and "than it would have been" not in box
    for hedge in ("promising", "unlikely to be due to chance", "encouraging", "suggests a"):
        assert hedge not in body.lower(), hedge
    assert "unlikely to be chance" not in head  # no secondary outcome claimed either
    assert "improvement" not in head.split("Other outcomes")[1].split("Value for money")[0]
    assert "cannot be told apart from none" in body or "cannot be told apart from zero" in body
