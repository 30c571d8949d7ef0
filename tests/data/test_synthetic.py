"""The synthetic sample generator: determinism, shipped bytes, truth.json, realism, and the
identification properties the estimator tests rely on (oracle, conditional parallel trends,
and the sign of the bias in the two test-only failure cases).

The DiD computations here are deliberately simple and self-contained (pandas / NumPy): the
real estimators live in ``sroi.impact`` and are tested elsewhere against this data.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sroi import SroiInputError, resources
from sroi.data import synthetic as syn

SHIPPED = resources.sample_data_dir()
T = syn.N_TERMS


@pytest.fixture(scope="module")
def shipped() -> tuple[pd.DataFrame, pd.DataFrame]:
    return syn.load_sample()


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((SHIPPED / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def potential() -> tuple[pd.DataFrame, pd.DataFrame]:
    return syn.generate(return_potential=True)


@pytest.fixture(scope="module")
def large() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A large draw (10x the sample) for Monte Carlo checks."""
    return syn.generate(n_pupils=60_000, seed=11, return_potential=True)


# ---- helpers: per-pupil wide arrays and a simple 2x2 DiD --------------------------------


def wide(panel: pd.DataFrame, col: str) -> np.ndarray:
    """pupil x term array (panel rows are sorted by pupil, then term)."""
    return panel[col].to_numpy(dtype=float).reshape(-1, T)


def cluster_se(resid: np.ndarray, cluster: np.ndarray) -> float:
    """Standard error of a mean of ``resid`` (already centred), clustered."""
    _, inv = np.unique(cluster, return_inverse=True)
    sums = np.bincount(inv, weights=resid)
    return float(np.sqrt((sums**2).sum()) / resid.size)


def did_or(
    pupils: pd.DataFrame,
    panel: pd.DataFrame,
    outcome: str,
    adjust: list[str],
    stress: bool,
    window: str = "post",
) -> tuple[float, float]:
    """Regression-adjusted 2x2 DiD per cohort, pooled with cohort-size weights.

    For cohort g: change = mean(Y_t, t >= g) - Y_{g-1} (``window="post"``), or
    Y_{g-1} - Y_{g-3} (``window="pre"``). Controls: pupils in non-programme schools. The
    counterfactual change of each treated pupil is predicted by a least-squares regression of
    the change on covariates among controls (phase x year-group cells, ``adjust`` columns
    and, if ``stress``, family_stress in g-2 and g-1 and their interaction).
    Returns (estimate, school-clustered SE of the treated side).
    """
    y = wide(panel, outcome)
    fs = wide(panel, "family_stress")
    ests, ses, ns = [], [], []
    cell = pupils["phase"].astype(str) + pupils["year_group"].astype(str)
    base = pd.get_dummies(cell, dtype=float)
    extra = (
        pd.get_dummies(pupils[adjust], columns=[c for c in adjust if c == "sen"], dtype=float)
        if adjust
        else pd.DataFrame(index=pupils.index)
    )
    for g in syn.WAVE_COHORTS:
        tr = (pupils["cohort"] == g).to_numpy()
        co = (pupils["programme_school"] == 0).to_numpy()
        if window == "post":
            d = y[:, g - 1 :].mean(axis=1) - y[:, g - 2]
        else:
            d = y[:, g - 2] - y[:, g - 4]
        X = pd.concat([base, extra], axis=1)
        if stress:
            s1, s2 = fs[:, g - 2], fs[:, g - 3]
            X = X.assign(s1=s1, s2=s2, s12=s1 * s2)
        Xv = X.to_numpy(dtype=float)
        beta, *_ = np.linalg.lstsq(Xv[co], d[co], rcond=None)
        resid = d[tr] - Xv[tr] @ beta
        est = float(resid.mean())
        ests.append(est)
        ses.append(cluster_se(resid - est, pupils.loc[tr, "school_id"].to_numpy()))
        ns.append(tr.sum())
    w = np.asarray(ns) / np.sum(ns)
    return float(w @ ests), float(np.sqrt(np.sum((w * np.asarray(ses)) ** 2)))


def satt_group(pupils: pd.DataFrame, panel: pd.DataFrame, outcome: str) -> float:
    """Group-aggregated SATT straight from the potential outcomes."""
    eff = wide(panel, outcome + "_y1") - wide(panel, outcome + "_y0")
    vals, ns = [], []
    for g in syn.WAVE_COHORTS:
        tr = (pupils["cohort"] == g).to_numpy()
        vals.append(eff[tr, g - 1 :].mean())
        ns.append(tr.sum())
    return float(np.average(vals, weights=ns))


# ---- contract, determinism, shipped bytes --------------------------------------------------


def test_contract_columns_and_dtypes(shipped):
    pupils, panel = shipped
    assert list(pupils.columns) == list(syn.PUPIL_COLUMNS)
    assert list(panel.columns) == list(syn.PANEL_COLUMNS)
    for c in ("pupil_id", "school_id", "phase", "sex", "sen", "ethnicity"):
        assert pd.api.types.is_string_dtype(pupils[c]), c
    assert pd.api.types.is_string_dtype(panel["pupil_id"])
    assert pupils["pupil_id"].iloc[0] == "P000001"
    assert sorted(pupils["school_id"].unique())[:2] == ["S01", "S02"]
    assert pupils["school_id"].nunique() == 40
    assert panel["attendance_rate"].dtype == np.float64
    for c in syn.PANEL_COLUMNS[3:]:
        assert panel[c].dtype == np.int64, c
    assert len(pupils) == 6000 and len(panel) == 6000 * T
    assert not panel.duplicated(["pupil_id", "term"]).any()
    assert set(panel["term"]) == set(range(1, T + 1))


def test_design(shipped):
    pupils, _ = shipped
    assert pupils["enrolled"].sum() == 250
    assert (pupils["enrolled"] == (pupils["cohort"] > 0)).all()
    assert pupils.loc[pupils["cohort"] > 0, "cohort"].value_counts().to_dict() == {
        4: 100,
        6: 80,
        8: 70,
    }
    prog = pupils[pupils["programme_school"] == 1]
    assert prog["school_id"].nunique() == 7
    assert prog.groupby("school_id")["phase"].first().value_counts().to_dict() == {
        "primary": 4,
        "secondary": 3,
    }
    # enrolment only in programme schools; one cohort per school (staggered by school)
    assert (pupils.loc[pupils["enrolled"] == 1, "programme_school"] == 1).all()
    per_school = pupils[pupils["cohort"] > 0].groupby("school_id")["cohort"].nunique()
    assert (per_school == 1).all()
    # comparison pool: never-enrolled pupils in 33 non-programme schools
    pool = pupils[pupils["programme_school"] == 0]
    assert pool["school_id"].nunique() == 33 and (pool["cohort"] == 0).all()
    assert ((pupils["phase"] == "primary") == pupils["year_group"].between(1, 4)).all()
    assert ((pupils["phase"] == "secondary") == pupils["year_group"].between(7, 9)).all()
    assert (pupils["child_protection"] <= pupils["child_in_need"]).all()
    assert (pupils["looked_after"] <= pupils["child_in_need"]).all()


def test_generate_is_deterministic_and_seed_sensitive():
    a = syn.generate(n_pupils=1200, seed=5, return_potential=True)
    b = syn.generate(n_pupils=1200, seed=5, return_potential=True)
    c = syn.generate(n_pupils=1200, seed=6)
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert not a[1]["attendance_rate"].equals(c[1]["attendance_rate"])
    # observed columns do not depend on return_potential
    d = syn.generate(n_pupils=1200, seed=5)
    pd.testing.assert_frame_equal(a[1][list(syn.PANEL_COLUMNS)], d[1])


def test_shipped_files_are_reproduced_bit_for_bit(tmp_path):
    paths = syn.write_sample(tmp_path)
    import pyarrow
    import scipy

    versions = f"numpy {np.__version__}, scipy {scipy.__version__}, pyarrow {pyarrow.__version__}"
    for name in ("pupils.csv", "panel.csv", "truth.json"):
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), (
            f"{name} differs from the shipped file ({versions}); if the generator changed on "
            "purpose, run `python -m sroi.data.synthetic` and bump GENERATOR_VERSION"
        )
    assert set(paths) == {"pupils", "panel", "truth"}
    total = sum((SHIPPED / n).stat().st_size for n in ("pupils.csv", "panel.csv", "truth.json"))
    total += (SHIPPED / "README.md").stat().st_size
    assert total <= 5 * 1024 * 1024


def test_csv_format_is_plain_and_fixed(shipped):
    head = (SHIPPED / "panel.csv").read_text().splitlines()[:3]
    assert head[0] == ",".join(syn.PANEL_COLUMNS)
    rate = head[1].split(",")[2]
    assert len(rate.split(".")[1]) == 4  # attendance always 4 dp
    assert '"' not in (SHIPPED / "pupils.csv").read_text()
    pa = (SHIPPED / "pupils.csv").read_text().splitlines()[1].split(",")[10]
    assert len(pa.split(".")[1]) == 3


def test_load_sample_equals_generate(shipped):
    a, b = syn.generate()
    pd.testing.assert_frame_equal(shipped[0], a)
    pd.testing.assert_frame_equal(shipped[1], b)


def test_load_sample_errors(tmp_path):
    with pytest.raises(SroiInputError, match="pupils.csv"):
        syn.load_sample(tmp_path)
    (tmp_path / "pupils.csv").write_text("pupil_id,x\nP1,1\n")
    (tmp_path / "panel.csv").write_text((SHIPPED / "panel.csv").read_text())
    with pytest.raises(SroiInputError, match="columns"):
        syn.load_sample(tmp_path)
    bad = (SHIPPED / "pupils.csv").read_text().replace(",primary,0,", ",primary,zero,", 1)
    (tmp_path / "pupils.csv").write_text(bad)
    with pytest.raises(SroiInputError, match="pupils.csv"):
        syn.load_sample(tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"selection": "dip"}, "selection"),
        ({"n_pupils": 100}, "n_pupils"),
        ({"n_pupils": 6000.5}, "n_pupils"),
        ({"seed": -1}, "seed"),
        ({"seed": "x"}, "seed"),
        ({"n_schools": 3}, "n_schools"),
        ({"n_enrolled": 5000}, "n_enrolled"),
    ],
)
def test_generate_validates_input(kwargs, match):
    with pytest.raises(SroiInputError, match=match):
        syn.generate(**kwargs)


def test_cli_writes_files(tmp_path, capsys):
    assert (
        syn.main(["--n-pupils", "1200", "--seed", "3", "--out", str(tmp_path), "--no-truth"]) == 0
    )
    pupils, panel = syn.load_sample(tmp_path)
    a, b = syn.generate(n_pupils=1200, seed=3)
    pd.testing.assert_frame_equal(pupils, a)
    pd.testing.assert_frame_equal(panel, b)
    assert syn.main(["--n-pupils", "10", "--out", str(tmp_path)]) == 2
    assert "n_pupils" in capsys.readouterr().err


# ---- potential outcomes and truth.json ------------------------------------------------------


def test_observed_equals_potential_and_common_random_numbers(potential):
    pupils, panel = potential
    df = panel.merge(pupils[["pupil_id", "cohort"]], on="pupil_id")
    post = ((df["cohort"] > 0) & (df["term"] >= df["cohort"])).to_numpy()
    for o in syn.OUTCOMES:
        obs, y0, y1 = df[o].to_numpy(), df[o + "_y0"].to_numpy(), df[o + "_y1"].to_numpy()
        np.testing.assert_array_equal(obs[post], y1[post])
        np.testing.assert_array_equal(obs[~post], y0[~post])
        np.testing.assert_array_equal(y1[~post], y0[~post])  # no anticipation
    # persistent absence is derived from attendance under both potential outcomes
    for s in ("_y0", "_y1"):
        np.testing.assert_array_equal(
            df["persistent_absence" + s], (df["attendance_rate" + s] <= 0.9).astype(int)
        )
    # common random numbers: outcomes the programme lowers never go up for a pupil
    for o in ("suspensions", "permanent_exclusion", "camhs_referral"):
        assert (df[o + "_y1"] <= df[o + "_y0"]).all(), o
    assert (df["attendance_rate_y1"] >= df["attendance_rate_y0"] - 0.03).all()
    # attendance effect additive: y1 - y0 is tau (>= 0 for nearly all) and rarely clipped
    diff = (df["attendance_rate_y1"] - df["attendance_rate_y0"])[post]
    assert (diff > 0).mean() > 0.9
    assert (df.loc[post, "attendance_rate_y1"] == 1.0).mean() < 0.05


def test_satt_in_truth_equals_potential_outcomes(potential, truth):
    pupils, panel = potential
    for o in syn.OUTCOMES:
        s = syn.att_gt_from_potential(pupils, panel, o)
        got = pd.DataFrame(truth["outcomes"][o]["satt"]["att_gt"])
        assert len(got) == len(s) == sum(T - g + 1 for g in syn.WAVE_COHORTS)
        np.testing.assert_allclose(got["att"], s["att"], atol=1e-9, rtol=0)
        np.testing.assert_array_equal(got["n"], s["n"])
        # by hand for one cell
        df = panel.merge(pupils, on="pupil_id")
        cell = df[(df["cohort"] == 6) & (df["term"] == 7)]
        hand = (cell[o + "_y1"] - cell[o + "_y0"]).mean()
        row = got[(got["cohort"] == 6) & (got["term"] == 7)]
        assert row["att"].iloc[0] == pytest.approx(hand, abs=1e-9)


def _aggregate_by_hand(cells: list[dict], sizes: dict[int, int]) -> dict:
    att = {(c["cohort"], c["term"]): c["att"] for c in cells}
    gs = sorted(sizes)
    num = sum(sizes[g] * att[g, t] for g in gs for t in range(g, T + 1))
    den = sum(sizes[g] for g in gs for t in range(g, T + 1))
    theta_g = {g: np.mean([att[g, t] for t in range(g, T + 1)]) for g in gs}
    group = sum(sizes[g] * theta_g[g] for g in gs) / sum(sizes.values())
    dyn = {}
    for e in range(0, T - min(gs) + 1):
        obs = [g for g in gs if g + e <= T]
        dyn[e] = sum(sizes[g] * att[g, g + e] for g in obs) / sum(sizes[g] for g in obs)
    cal = {}
    for t in range(min(gs), T + 1):
        obs = [g for g in gs if g <= t]
        cal[t] = sum(sizes[g] * att[g, t] for g in obs) / sum(sizes[g] for g in obs)
    return {"simple": num / den, "group": group, "theta_g": theta_g, "dyn": dyn, "cal": cal}


@pytest.mark.parametrize("kind", ["satt", "patt"])
def test_truth_aggregations_are_consistent(truth, kind):
    sizes = {int(g): k for g, k in truth["cohort_sizes"].items()}
    assert sizes == {4: 100, 6: 80, 8: 70}
    for o in syn.OUTCOMES:
        block = truth["outcomes"][o][kind]
        hand = _aggregate_by_hand(block["att_gt"], sizes)
        assert block["simple"] == pytest.approx(hand["simple"], abs=1e-9)
        assert block["group"]["overall"] == pytest.approx(hand["group"], abs=1e-9)
        for r in block["group"]["by_cohort"]:
            assert r["att"] == pytest.approx(hand["theta_g"][r["cohort"]], abs=1e-9)
        dyn = {r["event_time"]: r["att"] for r in block["dynamic"]["by_event_time"]}
        assert set(dyn) == set(hand["dyn"])
        for e, v in dyn.items():
            assert v == pytest.approx(hand["dyn"][e], abs=1e-9)
        assert block["dynamic"]["overall"] == pytest.approx(
            np.mean(list(hand["dyn"].values())), abs=1e-9
        )
        cal = {r["term"]: r["att"] for r in block["calendar"]["by_term"]}
        for t, v in cal.items():
            assert v == pytest.approx(hand["cal"][t], abs=1e-9)


def test_truth_metadata(truth):
    gen = truth["generator"]
    assert gen["seed"] == syn.SEED and gen["n_pupils"] == 6000 and gen["selection"] == "none"
    assert "family_stress in terms g-2 and g-1" in " ".join(
        truth["identification"]["conditioning_set"]
    )
    assert truth["rates_source"].startswith("illustrative")
    assert truth["attendance_clipping"]["share_effect_clipped"] < 0.05
    assert truth["attendance_clipping"]["realised_over_unclipped_effect"] > 0.97


def test_effects_grow_differ_by_wave_and_have_the_documented_signs(truth):
    out = truth["outcomes"]
    dyn = [r["att"] for r in out["attendance_rate"]["patt"]["dynamic"]["by_event_time"]]
    assert dyn[0] > 0 and dyn[0] < dyn[1] < dyn[2]
    for o in ("persistent_absence", "suspensions", "camhs_referral", "permanent_exclusion"):
        assert out[o]["patt"]["simple"] < 0, o
    csc = {
        r["event_time"]: r["att"] for r in out["csc_referral"]["patt"]["dynamic"]["by_event_time"]
    }
    assert csc[0] > 0 and csc[2] < 0  # early rise (unmet need found), later fall
    # heterogeneity by wave at the same event time: wave 2 (cohort 6) > wave 1 > wave 3
    cells = {
        (r["cohort"], r["event_time"]): r["att"] for r in out["attendance_rate"]["patt"]["att_gt"]
    }
    assert cells[6, 1] > cells[4, 1] > cells[8, 1]


def test_satt_close_to_patt(truth):
    """The sample ATT is one draw around the population ATT (loose: 250 pupils)."""
    a = truth["outcomes"]["attendance_rate"]
    assert a["satt"]["simple"] == pytest.approx(a["patt"]["simple"], abs=0.003)
    for r in a["patt"]["att_gt"]:
        assert r["mc_se"] < 0.001


def test_realistic_rates(shipped):
    pupils, panel = shipped
    df = panel.merge(pupils, on="pupil_id")
    untreated = df[(df["cohort"] == 0) | (df["term"] < df["cohort"])]
    assert 0.925 <= untreated["attendance_rate"].mean() <= 0.95
    # a left tail: the 5th percentile well below the mean
    assert untreated["attendance_rate"].quantile(0.05) < 0.87
    assert 0.14 <= untreated["persistent_absence"].mean() <= 0.21
    by_phase = untreated.groupby("phase")["suspensions"].mean() * 3
    assert by_phase["secondary"] > 5 * by_phase["primary"]
    assert 0.0005 <= untreated["permanent_exclusion"].mean() * 3 <= 0.002
    for o in ("camhs_referral", "csc_referral"):
        assert 0.01 <= untreated[o].mean() * 3 <= 0.06, o
    assert 0.22 <= pupils["fsm"].mean() <= 0.30
    assert 0.10 <= (pupils["sen"] == "sen_support").mean() <= 0.16
    assert 0.02 <= (pupils["sen"] == "ehcp").mean() <= 0.04
    assert 0.02 <= pupils["child_in_need"].mean() <= 0.05
    # school-by-term shocks: school-term means vary more than pupil noise alone allows
    st = df[df["cohort"] == 0].groupby(["school_id", "term"])["attendance_rate"].mean()
    within = st.groupby(level=0).std().mean()
    assert within > 0.004
    # enrolment is selective: more deprived and stressed just before enrolment
    enr = pupils["enrolled"] == 1
    assert pupils.loc[enr, "fsm"].mean() > pupils.loc[~enr, "fsm"].mean() + 0.1
    pre = df[(df["cohort"] > 0) & (df["term"] == df["cohort"] - 1)]
    assert pre["family_stress"].mean() > 3 * df["family_stress"].mean()


# ---- identification: oracle, conditional parallel trends, naive bias --------------------

COVS = ["fsm", "idaci_decile", "sen", "child_in_need", "child_protection", "looked_after"]


def test_oracle_matched_did_on_y0_is_near_zero(large):
    pupils, panel = large
    est, se = did_or(pupils, panel, "attendance_rate_y0", COVS, stress=True)
    assert abs(est) < 4 * se + 0.0005, (est, se)
    # naive DiD (no stress history, no covariates) on Y(0) is biased upwards: the dip recovers
    naive, nse = did_or(pupils, panel, "attendance_rate_y0", [], stress=False)
    assert naive > 4 * nse and naive > 0.003, (naive, nse)


def test_oracle_matched_did_recovers_satt(large):
    pupils, panel = large
    truth = satt_group(pupils, panel, "attendance_rate")
    est, se = did_or(pupils, panel, "attendance_rate", COVS, stress=True)
    assert est == pytest.approx(truth, abs=4 * se + 0.0005)


def test_conditional_parallel_pre_trends(large):
    """Y(0) from g-3 to g-1: enrolled vs comparison pupils with the same stress marker and
    covariates move alike; without the marker the enrolled pupils' dip shows."""
    pupils, panel = large
    est, se = did_or(pupils, panel, "attendance_rate_y0", COVS, stress=True, window="pre")
    assert abs(est) < 4 * se + 0.0005, (est, se)
    unadj, use = did_or(pupils, panel, "attendance_rate_y0", COVS, stress=False, window="pre")
    assert unadj < -4 * use, (unadj, use)


def test_transitory_dip_overstates_effect():
    """Enrolment driven by an unrecorded shock in g-1: DiD with base g-1 is biased upwards,
    even adjusting for every recorded variable (Ashenfelter 1978)."""
    pupils, panel = syn.generate(
        n_pupils=60_000, seed=21, selection="transitory_dip", return_potential=True
    )
    truth = satt_group(pupils, panel, "attendance_rate")
    est, se = did_or(pupils, panel, "attendance_rate", COVS, stress=True)
    assert est - truth > 4 * se and est - truth > 0.005, (est, truth, se)


def match_on_pre_outcomes(pupils: pd.DataFrame, panel: pd.DataFrame, outcome: str) -> float:
    """1:1 nearest-neighbour matching (with replacement) on the mean of Y_{g-2}, Y_{g-1}
    within phase x year group, then the 2x2 DiD with base g-1; pooled over cohorts."""
    y = wide(panel, outcome)
    cell = (pupils["phase"] + pupils["year_group"].astype(str)).to_numpy()
    ests, ns = [], []
    for g in syn.WAVE_COHORTS:
        pre = y[:, g - 3 : g - 1].mean(axis=1)
        d = y[:, g - 1 :].mean(axis=1) - y[:, g - 2]
        tr = (pupils["cohort"] == g).to_numpy()
        co = (pupils["programme_school"] == 0).to_numpy()
        diffs = []
        for c in np.unique(cell[tr]):
            ti = np.flatnonzero(tr & (cell == c))
            ci = np.flatnonzero(co & (cell == c))
            ci = ci[np.argsort(pre[ci], kind="stable")]
            pos = np.clip(np.searchsorted(pre[ci], pre[ti]), 1, ci.size - 1)
            left, right = ci[pos - 1], ci[pos]
            nn = np.where(np.abs(pre[left] - pre[ti]) <= np.abs(pre[right] - pre[ti]), left, right)
            diffs.append(d[ti] - d[nn])
        ests.append(np.concatenate(diffs).mean())
        ns.append(tr.sum())
    return float(np.average(ests, weights=ns))


def test_fixed_effect_selection_matching_on_pre_outcomes_biases_did():
    """Selection on a permanent unit effect (Daw & Hatfield 2018): unmatched DiD is close to
    the truth, matching on pre-period outcomes biases it down through regression to the mean."""
    pupils, panel = syn.generate(
        n_pupils=60_000, seed=31, selection="fixed_effect", return_potential=True
    )
    truth = satt_group(pupils, panel, "attendance_rate")
    matched = match_on_pre_outcomes(pupils, panel, "attendance_rate")
    unmatched, se = did_or(pupils, panel, "attendance_rate", [], stress=False)
    assert matched - truth < -0.005, (matched, truth)
    assert abs(unmatched - truth) < 4 * se + 0.001, (unmatched, truth, se)
    assert abs(unmatched - truth) < abs(matched - truth) / 3
    # in the default design, matching on pre-period outcomes does no such harm
    p0, q0 = syn.generate(n_pupils=60_000, seed=31, return_potential=True)
    m0 = match_on_pre_outcomes(p0, q0, "attendance_rate_y0")
    assert abs(m0) < abs(matched - truth) / 2


def test_aggregate_att_validates():
    with pytest.raises(SroiInputError, match="att_gt"):
        syn.aggregate_att(pd.DataFrame({"cohort": [4]}), {4: 1})
    with pytest.raises(SroiInputError, match="cohort_sizes"):
        syn.aggregate_att(pd.DataFrame({"cohort": [4], "term": [4], "att": [0.1]}), {6: 1})
    with pytest.raises(SroiInputError, match="return_potential"):
        syn.att_gt_from_potential(*syn.generate(n_pupils=1200), "attendance_rate")


def test_scales_up(tmp_path):
    pupils, panel = syn.generate(n_pupils=24_000, seed=2)
    assert pupils["school_id"].nunique() == 160
    assert pupils["school_id"].str.len().max() == 4  # S001..S160
    assert pupils["enrolled"].sum() == 1000
    assert set(pupils.loc[pupils["enrolled"] == 1, "cohort"]) == set(syn.WAVE_COHORTS)


def test_patt_attendance_matches_the_effect_model(truth):
    """PATT for attendance is tau(g, e) = m_g * 0.02 * growth(e) (pupil heterogeneity has mean
    zero), less a little clipping at 100% attendance."""
    for r in truth["outcomes"]["attendance_rate"]["patt"]["att_gt"]:
        e = r["event_time"]
        tau = syn.WAVE_MULTIPLIER[r["cohort"]] * 0.02 * (1 - np.exp(-(e + 1) / 2))
        assert 0.93 * tau - 3 * r["mc_se"] <= r["att"] <= tau + 3 * r["mc_se"], r
    info = truth["patt_integration"]
    assert info["cohort_sizes"] == {"4": 5000, "6": 4000, "8": 3500}
    assert info["seed"] != syn.SEED


@pytest.mark.parametrize("selection", ["transitory_dip", "fixed_effect"])
def test_selection_variants_keep_the_design(selection):
    pupils, panel = syn.generate(n_pupils=1200, seed=4, selection=selection)
    assert list(pupils.columns) == list(syn.PUPIL_COLUMNS)
    assert list(panel.columns) == list(syn.PANEL_COLUMNS)  # the hidden shock is not recorded
    assert pupils["enrolled"].sum() == 50
    assert set(pupils.loc[pupils["enrolled"] == 1, "cohort"]) == set(syn.WAVE_COHORTS)
    base, _ = syn.generate(n_pupils=1200, seed=4)
    assert not base["cohort"].equals(pupils["cohort"])  # a different enrolment mechanism


def test_patt_is_the_mean_of_sample_effects_over_draws(truth):
    """PATT = E[SATT] under the generator: average the expected per-pupil effects of the
    enrolled sample over independent draws of the shipped design and compare (within Monte
    Carlo error) with the large-sample integration in truth.json."""
    sizes = {4: 100, 6: 80, 8: 70}
    design = syn._design(6000)
    reps = 40
    draws = {o: [] for o in syn.OUTCOMES}
    for r in range(reps):
        sim = syn._simulate(design, 9_000 + r, "none", expected=True)
        for o in syn.OUTCOMES:
            eff = sim["exp_" + o]
            num = sum(sizes[g] * eff[sim["cohort"] == g, g - 1 :].mean(axis=0).sum() for g in sizes)
            den = sum(sizes[g] * (T - g + 1) for g in sizes)
            draws[o].append(num / den)
    for o in syn.OUTCOMES:
        patt = truth["outcomes"][o]["patt"]
        v = np.asarray(draws[o])
        se = np.sqrt(v.var(ddof=1) / reps + patt["simple_mc_se"] ** 2)
        assert abs(v.mean() - patt["simple"]) < 4 * se, (o, v.mean(), patt["simple"], se)


def test_load_truth(tmp_path, truth):
    assert syn.load_truth() == truth
    with pytest.raises(SroiInputError, match="truth.json"):
        syn.load_truth(tmp_path)


def test_write_sample_validates(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(SroiInputError, match="out_dir"):
        syn.write_sample(f)
    with pytest.raises(SroiInputError, match="patt_pupils"):
        syn.write_sample(tmp_path / "d", n_pupils=1200, patt_pupils=100)
    with pytest.raises(SroiInputError, match="n_pupils"):
        syn.write_sample(tmp_path / "d", n_pupils=10, truth=False)


def test_aggregate_att_by_hand():
    """Two cohorts, T = 3: g = 2 (1 unit) with ATT(2,2) = 1, ATT(2,3) = 2; g = 3 (3 units)
    with ATT(3,3) = 4. A pre-period cell (t < g) must be ignored."""
    att = pd.DataFrame({"cohort": [2, 2, 3, 3], "term": [2, 3, 3, 2], "att": [1.0, 2.0, 4.0, 99.0]})
    a = syn.aggregate_att(att, {2: 1, 3: 3}, last_term=3)
    assert a["simple"] == pytest.approx((1 + 2 + 3 * 4) / 5)  # 3
    assert a["group"]["overall"] == pytest.approx((1 * 1.5 + 3 * 4) / 4)  # 3.375
    assert [r["att"] for r in a["group"]["by_cohort"]] == pytest.approx([1.5, 4.0])
    assert [r["att"] for r in a["dynamic"]["by_event_time"]] == pytest.approx([13 / 4, 2.0])
    assert a["dynamic"]["overall"] == pytest.approx((13 / 4 + 2) / 2)
    assert [r["att"] for r in a["calendar"]["by_term"]] == pytest.approx([1.0, 3.5])
    assert a["calendar"]["overall"] == pytest.approx(2.25)
    with pytest.raises(SroiInputError, match="duplicate"):
        syn.aggregate_att(pd.concat([att, att]), {2: 1, 3: 3})


def test_effect_scale_scales_the_true_effects_and_leaves_untreated_outcomes():
    # areas with different known effects (pooling across places): scale 0 is no effect,
    # scale 2 doubles the attendance effect (up to clipping at 0 and 1); the untreated
    # potential outcomes do not depend on the scale.
    base = syn.generate(n_pupils=3000, seed=5, return_potential=True)
    none = syn.generate(n_pupils=3000, seed=5, return_potential=True, effect_scale=0.0)
    double = syn.generate(n_pupils=3000, seed=5, return_potential=True, effect_scale=2.0)
    pd.testing.assert_series_equal(base[1]["attendance_rate_y0"], none[1]["attendance_rate_y0"])
    pd.testing.assert_series_equal(base[1]["attendance_rate_y0"], double[1]["attendance_rate_y0"])
    att = {
        name: syn.att_gt_from_potential(*d, "attendance_rate")["att"].mean()
        for name, d in (("base", base), ("none", none), ("double", double))
    }
    assert att["none"] == 0.0
    assert 1.8 * att["base"] < att["double"] <= 2 * att["base"]  # clipping at 100% attendance
    for o in ("suspensions", "camhs_referral"):
        assert (none[1][f"{o}_y1"] == none[1][f"{o}_y0"]).all()
    with pytest.raises(SroiInputError, match="effect_scale"):
        syn.generate(n_pupils=3000, effect_scale="big")
