"""Issue 15 part 7: the main body of the sample report is short enough to read in minutes.

The body is everything from the report's ``<h1>`` up to the technical appendix's heading
(``<h2 id="appendix">``): summary, programme, comparison group, impact, value, sensitivity and
limitations. Words are counted in the visible text (tables and captions included; style
sheets, scripts and the charts' own text, their ticks and legends, left out).
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.slow

#: Most words the main body may have (the issue asks for "under about 2,500").
MAX_BODY_WORDS = 2_600


def visible_words(html: str) -> int:
    """Words of the visible text of an HTML fragment."""
    html = re.sub(r"<(style|script|svg)[^>]*>.*?</\1>", " ", html, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", html)
    return len(text.split())


def split_body(html: str) -> tuple[str, str]:
    """``(body, appendix)``: from the ``<h1>`` to the appendix heading, and from there on."""
    start = re.search(r"<h1[\s>]", html)
    cut = re.search(r'<h2[^>]*\bid="appendix"', html)
    assert start and cut and start.start() < cut.start(), "report has no h1 or no appendix"
    return html[start.start() : cut.start()], html[cut.start() :]


def headings(html: str) -> list[str]:
    """The text of every heading (h1 to h6) of an HTML fragment."""
    return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", html)]


def test_visible_words_counts_text_only():
    frag = (
        '<style>p {x: y}</style><h1>Two words</h1><img alt="not counted here"><td>1.5</td>'
        '<svg aria-label="a chart"><text>0.5</text><text>legend words</text></svg>'
    )
    assert visible_words(frag) == 3


def test_sample_report_body_is_short_and_the_detail_is_in_the_appendix(sample_report):
    _, html = sample_report
    body, appendix = split_body(html.read_text(encoding="utf-8"))
    n_body, n_appendix = visible_words(body), visible_words(appendix)
    print(f"sample report: main body {n_body} words, technical appendix {n_appendix} words")
    assert n_body <= MAX_BODY_WORDS, n_body
    # the detail moved out of the body is in the appendix, not lost
    for heading in (
        "Method notes",
        "Balance: how similar the groups are",
        "Impact details by outcome",
        "Value by year and by type of value",
        "Assumptions register",
        "Notes raised while computing",
    ):
        assert heading in headings(appendix) and heading not in headings(body), heading
    for part in ("Bottom line:", "What would change the conclusion:", "Limitations"):
        assert part in body, part
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<style[^>]*>.*?</style>", " ", body, flags=re.S))
    for code in ("['", "sroi.", "vcov", "school_id", "DiD", "ATT(g,t)"):
        assert code not in text, code
