"""Provenance record and the Maryland SMS evidence rating."""

import datetime as dt

import pytest

from sroi.errors import SroiInputError
from sroi.report.evidence import SMS_LEVELS, assess_evidence
from sroi.report.provenance import provenance

H = "a" * 64


def test_provenance_fields():
    p = provenance(
        spec_hash=H,
        data_hash="b" * 64,
        seed=3,
        spec_path="/home/x/evals/evaluation.yaml",
        time=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    )
    import sroi

    assert p["package_version"] == sroi.__version__
    assert p["spec_hash"] == H and p["data_hash"] == "b" * 64 and p["seed"] == 3
    assert p["time_utc"] == "2026-01-02T03:04:05Z"
    assert p["spec_file"] == "evaluation.yaml"  # folder names are not kept
    assert p["python"].count(".") == 2 and p["platform"]
    assert "numpy" in p["libraries"]


@pytest.mark.parametrize("bad", [{"spec_hash": "abc"}, {"seed": "1"}, {"seed": True}])
def test_provenance_rejects_bad_input(bad):
    kw = {"spec_hash": H, "data_hash": H, "seed": 1} | bad
    with pytest.raises(SroiInputError):
        provenance(**kw)


def test_clean_did_is_level_3_higher_confidence():
    ev = assess_evidence(
        "matched staggered difference-in-differences",
        max_abs_smd=0.04,
        worst_variance_ratio=1.1,
        pretrend_p=0.6,
        share_treated_unmatched=0.02,
        n_treated_clusters=25,
        primary_estimate=0.03,
        primary_mdes=0.01,
    )
    assert ev.sms_level == 3 and ev.design_level == 3
    assert ev.confidence == "higher"
    assert ev.concerns == []
    assert ev.level_description == SMS_LEVELS[3]
    assert "No diagnostic check raised a concern" in ev.summary()


def test_failed_pretrend_lowers_level_and_says_why_in_plain_words():
    ev = assess_evidence(
        "matched staggered difference-in-differences",
        max_abs_smd=0.05,
        pretrend_p=0.001,
        n_treated_clusters=7,
        primary_estimate=0.005,
        primary_mdes=0.02,
        rare_outcomes=["Permanent exclusion"],
    )
    assert ev.sms_level == 2 and ev.confidence == "low"
    names = {d.name for d in ev.concerns}
    assert names == {
        "trends before the programme",
        "number of programme schools",
        "size of study",
        "rare outcomes",
    }
    s = ev.summary()
    assert "already moving differently" in s and "fewer than 10 schools" in s
    assert "Permanent exclusion" in s and "could reach level 3" in s


def test_imbalance_serious_and_overlap_concern():
    ev = assess_evidence(
        "matched staggered difference-in-differences",
        max_abs_smd=0.35,
        worst_variance_ratio=2.6,
        share_treated_unmatched=0.2,
        honest_breakdown=0.4,
    )
    st = {d.name: d.status for d in ev.diagnostics}
    assert st["balance after matching"] == "serious"
    assert st["spread after matching"] == "concern"
    assert st["overlap"] == "concern"
    assert st["robustness to different trends"] == "concern"
    assert st["trends before the programme"] == "not assessed"
    assert ev.sms_level == 2


def test_unknown_design_rejected():
    with pytest.raises(SroiInputError, match="unknown design"):
        assess_evidence("regression discontinuity-ish")


def test_unreliable_pretrend_rejection_is_a_concern_not_serious():
    ev = assess_evidence(
        "matched staggered difference-in-differences",
        max_abs_smd=0.05,
        pretrend_p=0.001,
        pretrend_reliable=False,
    )
    d = next(x for x in ev.diagnostics if x.name == "trends before the programme")
    assert d.status == "concern" and "rejects too often" in d.message
    assert ev.sms_level == 3


def test_confidence_falls_with_the_number_of_concerns():
    base = dict(max_abs_smd=0.05, pretrend_p=0.5, n_treated_clusters=20)
    d = "matched staggered difference-in-differences"
    assert assess_evidence(d, **base).confidence == "higher"
    assert assess_evidence(d, **base, honest_breakdown=0.5).confidence == "moderate"
    many = dict(base, honest_breakdown=0.5, share_treated_unmatched=0.3, n_treated_clusters=4)
    assert assess_evidence(d, **many).confidence == "low"
