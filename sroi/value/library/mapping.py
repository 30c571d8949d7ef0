"""How the Unit Cost Database's own fields map to the fields the value model uses.

Every rule here is applied by :mod:`sroi.value.library.build` and written into the shipped
library, so a user sees the result (and the database's own text) on each line.

Confidence (RAG -> grade)
    The database rates each line Red, Amber or Green (RAG) on the robustness of its source.
    Every line's price year is 2000-01 to 2013-14, so every figure is more than three years
    old; on the model's grade scale (``sroi/value/data/confidence_grades.csv``) none is better
    than grade 3 ("published unit cost ... older than 3 years, uprated"). Green -> 3,
    Amber -> 4, Red -> 5 (the largest reduction on the scale; the database's Guidance sheet
    says the Greater Manchester CBA framework cuts predicted savings by between 0% and 40%
    "based on the quality, source and age of the data").

Agency
    From the database's two agency levels (and, for local authorities, the theme and topic):
    see :data:`AGENCY_LEVEL1` and :func:`agency_token`.

Value type
    The database gives fiscal costs unless the agency is "Society / Economic" (economic). It
    does not say whether a saving is cashable (the Greater Manchester CBA guidance leaves that
    to a local judgement), so fiscal lines are ``fiscal_non_cashable``; benefit payments
    (:data:`TRANSFER_PATTERNS`) are ``fiscal_cashable`` to DWP (or the local authority for
    Housing Benefit) and a transfer overall (not public value).

Level and parent
    A code ``XXn.0`` is a headline line, ``XXn.k`` (k >= 1) a subsidiary line and
    ``XXn.k.j`` a constituent of ``XXn.k`` (the database's Guidance: constituent costs are
    those "from which the 'parent' headline or subsidiary cost is derived"). A line and its
    parent are never valued together.

Category
    The double-counting rules of :mod:`sroi.value.model.rules` look at a line's category;
    :data:`CATEGORY_BY_CODE` sets it for the children's-services and education lines those
    rules know about; every other line is ``other``.
"""

from __future__ import annotations

import re

__all__ = [
    "AGENCY_BY_CODE",
    "AGENCY_LEVEL1",
    "CATEGORY_BY_CODE",
    "DOUBLE_COUNTING_PATTERN",
    "MIXED_TRANSFER_CODES",
    "RAG_GRADE",
    "TRANSFER_PATTERNS",
    "agency_token",
    "category",
    "is_transfer",
    "level_and_parent",
    "value_type",
]

#: RAG rating -> confidence grade (see the module docstring).
RAG_GRADE = {"G": "3", "A": "4", "R": "5"}

#: Agency level 1 (lower-cased) -> agency token; local authorities are split further.
AGENCY_LEVEL1 = {
    "nhs": "nhs",
    "police": "police",
    "probation": "probation",
    "court": "courts",
    "prison / young offenders institute": "prisons",
    "criminal justice system": "criminal_justice",
    "ministry of justice": "criminal_justice",
    "dwp": "dwp",
    "hm treasury": "hm_treasury",
    "department for education": "dfe",
    "fire service": "fire_service",
    "schools": "school",
    "society / economic": "society",
    "multiple": "multiple_agencies",
}

#: Lines whose agency the levels do not give: the social-services constituents of the truancy
#: and exclusion lines (their descriptions say "Social Services"; level 2 is blank).
AGENCY_BY_CODE = {"E&S1.0.4": "children_social_care", "E&S2.0.4": "children_social_care"}

#: Topics of the social-services theme about children (their local-authority lines are
#: children's social care).
CHILDREN_TOPICS = ("LOOKED AFTER CHILDREN", "CHILD PROTECTION", "CHILDREN IN NEED", "ASSESSMENT")

#: Benefit payments: a fiscal saving to the paying agency but a transfer overall. Codes
#: matched in full: the "benefits payments" constituents of the JSA, ESA and Income Support
#: headlines; the weekly rates of JSA, ESA, Incapacity Benefit, Income Support and DLA; the
#: Housing Benefit awards.
TRANSFER_PATTERNS = (
    r"E&E[123]\.0\.1",
    r"E&E1\.[1-7]",
    r"E&E2\.([1-9]|1[01])",
    r"E&E2\.1[45]",
    r"E&E3\.[2-9]",
    r"E&E5\.[1-5]",
    r"HO7\.[0-7]",
)

#: Headline lines that add benefit payments (a transfer) to other fiscal savings: value their
#: constituents instead, so that the transfer can be kept out of public value.
MIXED_TRANSFER_CODES = ("E&E1.0", "E&E2.0", "E&E3.0", "E&E2.13", "E&E6.2")

#: Category of the lines the double-counting rules know about (see the module docstring).
CATEGORY_BY_CODE = {
    "E&S1.0": "persistent_absence",
    "E&S1.0.1": "persistent_absence",
    "E&S2.0": "lifetime_exclusion",
    "E&S2.0.1": "alternative_provision",
    "E&S2.0.3": "youth_justice",
    "SS6.1": "contact",
    "SS6.2": "referral",
    "SS5.0.1": "referral",
    "SS6.3": "assessment",
    "SS6.4": "assessment",
    "SS5.0.2": "assessment",
    "SS5.0.5": "assessment",
    "SS6.0": "assessment",
    "SS5.0": "child_in_need",
    "SS4.0": "child_protection",
    "SS4.0.1": "child_protection",
    "SS5.0.7": "child_protection",
    **{f"SS1.{k}": "looked_after" for k in range(5)},
    "SS2.0": "looked_after",
    "SS3.0": "looked_after",
    "SS3.1": "looked_after",
}

#: Sentences of a line's notes that matter for double counting.
DOUBLE_COUNTING_PATTERN = re.compile(
    r"covered elsewhere|double[- ]count|not included|excluded|should not be used|instead|"
    r"already (?:included|counted)|included in",
    re.IGNORECASE,
)

_CODE = re.compile(r"^([A-Z&]+)(\d+)\.(\d+)(?:\.(\d+))?$")


def level_and_parent(code: str) -> tuple[str, str]:
    """The line's level (headline, subsidiary, constituent) and its parent's code ('' if none).

    Raises
    ------
    ValueError
        For a code not written like ``E&S2.0`` or ``E&S2.0.1``.
    """
    m = _CODE.match(code)
    if m is None:
        raise ValueError(f"cost code {code!r} is not written like E&S2.0 or E&S2.0.1")
    if m.group(4) is not None:
        return "constituent", code.rsplit(".", 1)[0]
    return ("headline" if m.group(3) == "0" else "subsidiary"), ""


def agency_token(code: str, level1: str, level2: str, theme: str, topic: str) -> str:
    """The agency token of a line from the database's agency levels, theme and topic.

    :data:`AGENCY_BY_CODE` first; then, for local authorities: children's social care for
    level 2 "Children's Services" and for the children's topics of the social-services theme,
    housing for the housing theme (or level 2 "Housing Services"), the education authority
    for the education theme, else the local authority; other agencies by
    :data:`AGENCY_LEVEL1` (NHS lines of the mental-health topic: NHS mental health).

    Raises
    ------
    ValueError
        For an agency level 1 the mapping does not know.
    """
    a1 = level1.strip().lower()
    if code in AGENCY_BY_CODE:
        return AGENCY_BY_CODE[code]
    if a1 == "local authority":
        if level2.strip().lower() == "children's services" or (
            theme == "SOCIAL SERVICES" and topic in CHILDREN_TOPICS
        ):
            return "children_social_care"
        if theme == "HOUSING" or level2.strip().lower() == "housing services":
            return "housing"
        if theme == "EDUCATION & SKILLS":
            return "education_la"
        return "local_authority"
    if a1 == "nhs" and topic == "MENTAL HEALTH":
        return "nhs_mental_health"
    if a1 not in AGENCY_LEVEL1:
        raise ValueError(f"agency {level1!r} is not in the agency mapping")
    return AGENCY_LEVEL1[a1]


def is_transfer(code: str) -> bool:
    """Whether the line is a benefit payment (:data:`TRANSFER_PATTERNS`)."""
    return any(re.fullmatch(p, code) for p in TRANSFER_PATTERNS)


def value_type(code: str, agency: str) -> str:
    """Value type of a line (see the module docstring)."""
    if agency == "society":
        return "economic"
    if is_transfer(code):
        return "fiscal_cashable"
    return "fiscal_non_cashable"


def category(code: str) -> str:
    """Category of a line for the double-counting rules (``other`` when not listed)."""
    return CATEGORY_BY_CODE.get(code, "other")
