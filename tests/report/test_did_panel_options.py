"""design.did.allow_unbalanced_panel and design.did.covariate_timing in the spec and the report.

``sroi validate`` (check_inputs) refuses a covariate timing the design or the data cannot
support, ``sroi run``'s headline step passes both options to the estimators, and the
programme facts count pupils observed in only some periods.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sroi.data.loading import load_evaluation_data
from sroi.errors import SroiInputError
from sroi.report.capture import WarningLog
from sroi.report.prechecks import check_inference
from sroi.report.steps.data import describe_programme
from sroi.report.steps.headline import _estimate
from sroi.report.steps.matching import CachedMatcher
from sroi.report.steps.school_design import prepare_design
from sroi.spec import Spec
from tests.report.helpers import write_small_evaluation


def _spec(tmp_path, drop_rows: bool = False, **overrides) -> Spec:
    path = write_small_evaluation(tmp_path, valuation=False, **overrides)
    if drop_rows:
        panel = pd.read_csv(tmp_path / "panel.csv")
        gaps = (panel["pupil_id"].astype(str).str[-1].isin(["1", "2"])) & (panel["term"] == 9)
        panel[~gaps].to_csv(tmp_path / "panel.csv", index=False)
    return Spec.load(path)


def test_spec_defaults_and_bad_value(tmp_path) -> None:
    spec = _spec(tmp_path)
    assert spec.design.did.allow_unbalanced_panel is False
    assert spec.design.did.covariate_timing == "base"
    with pytest.raises(SroiInputError, match="covariate_timing"):
        _spec(tmp_path / "b", **{"design.did.covariate_timing": "levels"})


def test_validate_accepts_change_with_a_time_varying_covariate(tmp_path) -> None:
    spec = _spec(
        tmp_path,
        **{"design.did.covariate_timing": "change", "design.did.covariates": ["family_stress"]},
    )
    check_inference(spec, load_evaluation_data(spec))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"design.did.matched": True}, "unmatched design only"),
        ({"design.did.covariates": []}, "design.did.covariates, which is empty"),
        ({"design.did.covariates": ["fsm"]}, "changes over time"),
    ],
)
def test_validate_refuses_covariate_timing(tmp_path, overrides, message) -> None:
    base = {"design.did.covariate_timing": "change", "design.did.covariates": ["family_stress"]}
    spec = _spec(tmp_path, **{**base, **overrides})
    with pytest.raises(SroiInputError, match=message) as err:
        check_inference(spec, load_evaluation_data(spec))
    assert "design.did.covariate_timing" in str(err.value)


def test_validate_refuses_change_on_a_kept_unbalanced_panel(tmp_path) -> None:
    spec = _spec(
        tmp_path,
        drop_rows=True,
        **{
            "design.did.covariate_timing": "change",
            "design.did.covariates": ["family_stress"],
            "design.did.allow_unbalanced_panel": True,
        },
    )
    with pytest.raises(SroiInputError, match="observed in only some periods"):
        check_inference(spec, load_evaluation_data(spec))


@pytest.mark.parametrize("allow", [False, True])
def test_run_counts_or_keeps_pupils_observed_in_some_periods(tmp_path, allow) -> None:
    spec = _spec(tmp_path, drop_rows=True, **{"design.did.allow_unbalanced_panel": allow})
    data = load_evaluation_data(spec)
    facts, _ = describe_programme(data, spec)
    n_partial = facts["n_units_partial"]
    assert n_partial > 0 and facts["allow_unbalanced_panel"] is allow
    log = WarningLog()
    data, spec, choice = prepare_design(data, spec)
    res = _estimate(
        data, spec, spec.design.primary_outcome, 1, CachedMatcher(), log, choice.whole_schools
    )
    extra = res.aggregate_effect("group").extra
    if allow:
        assert res.n_units_partial == n_partial and extra["n_units_dropped_unbalanced"] == 0
    else:
        assert res.n_units_dropped_unbalanced == n_partial
        assert any("not observed in every period" in m for m in log.messages)
        reasons = [r["reason"] for r in extra["exclusions"]]
        assert any(r.startswith("not observed in every period") for r in reasons)


@pytest.mark.parametrize(("n_partial", "shown"), [(25, "25"), (3, "&lt;10")])
def test_programme_facts_count_kept_partial_pupils(small_result, n_partial, shown) -> None:
    from dataclasses import replace

    from sroi.report.sections.programme import programme_section

    row = "pupils seen in only some terms (kept)"
    assert row not in programme_section(small_result).html  # balanced: not shown
    programme = {**small_result.programme, "allow_unbalanced_panel": True}
    result = replace(small_result, programme={**programme, "n_units_partial": n_partial})
    html = programme_section(result).html
    assert row in html
    cell = html.split(row, 1)[1].split("</tr>", 1)[0]
    assert f">{shown}<" in cell and (n_partial >= 10 or f">{n_partial}<" not in cell)
