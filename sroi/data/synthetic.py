"""Synthetic sample data: a borough pupil-by-term panel for a school-based early-help programme.

The data are **synthetic**. Every rate below is illustrative (chosen to look like an English
borough, not calibrated to any published statistic). The generator exists so that every
estimator in :mod:`sroi.impact` can be tested against a known truth.

Design (the default, ``n_pupils=6000``)
---------------------------------------
* 40 schools (30 primary, 10 secondary), 9 terms (3 school years of autumn / spring / summer).
* 7 programme schools (4 primary, 3 secondary) start enrolling in three waves (staggered by
  school): wave 1 (3 schools) in term 4, wave 2 (2 schools) in term 6, wave 3 (2 schools)
  in term 8. The waves enrol 100, 80 and 70 pupils (split across a wave's schools in
  proportion to school size), all in the wave's first term, so the cohort (first enrolled
  term) is 4, 6 or 8, and 0 for never enrolled. Larger ``n_pupils`` scale everything up.
* The comparison pool is never-enrolled pupils in the 33 non-programme schools.

Data-generating process (``selection="none"``)
-----------------------------------------------
Untreated absence of pupil *i* in school *s* in term *t* (attendance = 1 - absence)::

    A0_it = clip(m_it + e_it, 0, 1)
    m_it  = b_i + a_s + trend(phase, year group at t, term of year, school year)
            + lambda_st + 0.05 F_it + 0.025 F_i,t-1
    e_it  = sigma_i (Gamma_it(1.5) - 1.5) / sqrt(1.5),  sigma_i = 0.45 b_i + 0.003

(mean-zero, right-skewed term noise, bounded below so absence is rarely clipped at 0).

``b_i = 0.025 + 0.45 exp(x_i'beta + 0.8 u_i)`` is the pupil's permanent absence level: a
floor (illness) plus a log-normal part that rises with deprivation, FSM, SEN, child-in-need
status, secondary phase and an unobserved need ``u_i``; ``a_s`` is a school level;
``lambda_st`` is a school-by-term shock;
``F_it`` is the recorded family-stress event (``family_stress``), a Markov chain whose
probability rises with deprivation, FSM, child-in-need status and ``u_i``. Binary outcomes
are ``1[U_it < p0_it]`` (latent logistic index with the same ingredients); suspensions are a
Poisson count drawn by inverse CDF from a uniform ``U_it``. Persistent absence is
``attendance_rate <= 0.90`` (absence of 10% or more of possible sessions).

Enrolment: in each programme school with cohort ``g`` the ``k_s`` pupils with the largest
``score_i + Gumbel_i`` enrol (sampling without replacement with probability proportional to
``exp(score_i)``), where ``score_i`` uses only **recorded** data: ``family_stress`` in terms
``g-1`` and ``g-2``, FSM, IDACI decile, SEN and the child-in-need / child-protection /
looked-after flags. Hence, by construction, the whole untreated path is independent of
enrolment given those variables (and the programme schools are chosen at random within
phase), which implies parallel trends of Y(0) conditional on them.

Potential outcomes share their random numbers: ``A1_it = clip(m_it + e_it - tau_it, 0, 1)``
with the same ``e_it``; binary outcomes use the same ``U_it`` with ``p1 = p0 exp(psi)``;
counts use the same ``U_it`` in the inverse Poisson CDF. Effects grow with time in the
programme (``growth(e) = 1 - exp(-(e + 1) / 2)`` at event time ``e = t - g``) and differ by
wave.

Test-only selection mechanisms
------------------------------
``selection="transitory_dip"``: every pupil has unrecorded transient crises (probability 0.08
a term, +0.06 absence in that term only); enrolment is driven by a crisis in term ``g-1``
instead of the recorded stress marker, so DiD with base period ``g-1`` overstates the effect
(Ashenfelter's dip). ``selection="fixed_effect"``: enrolment is driven by the unobserved
permanent absence level ``b_i`` and term-to-term noise is doubled; parallel trends hold
without any matching on outcomes (given phase and year group), but matching on pre-period outcomes picks controls whose pre-period noise was
high, which then regresses to the mean (Daw & Hatfield 2018).

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
periods. Journal of Econometrics 225(2), 200-230.
Daw, J. R. and Hatfield, L. A. (2018). Matching and regression to the mean in
difference-in-differences analysis. Health Services Research 53(6), 4138-4156.
Ashenfelter, O. (1978). Estimating the effect of training programs on earnings. Review of
Economics and Statistics 60(1), 47-57.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, gammaincc, ndtr

from sroi import resources
from sroi._checks import check_number
from sroi.errors import SroiInputError, example_rows

__all__ = [
    "SEED",
    "OUTCOMES",
    "OUTCOME_TYPES",
    "PUPIL_COLUMNS",
    "PANEL_COLUMNS",
    "SELECTIONS",
    "generate",
    "load_sample",
    "load_truth",
    "write_sample",
    "compute_truth",
    "att_gt_from_potential",
    "aggregate_att",
    "main",
]

#: Seed of the shipped sample (also recorded in truth.json).
SEED = 20261123
#: Version of the data-generating process; bump when the shipped bytes change on purpose.
GENERATOR_VERSION = 1
N_TERMS = 9
TERMS_PER_YEAR = 3
#: Default design: pupils, schools, enrolled pupils.
DEFAULT_N_PUPILS = 6000
_PUPILS_PER_SCHOOL = 150  # 6000 pupils / 40 schools
_ENROLLED_SHARE = 250 / 6000
_PROGRAMME_SCHOOL_SHARE = 7 / 40
_SECONDARY_SCHOOL_SHARE = 10 / 40
#: First enrolled term of each wave.
WAVE_COHORTS = (4, 6, 8)
#: Effect multiplier of each wave (heterogeneity by wave).
WAVE_MULTIPLIER = {4: 1.0, 6: 1.3, 8: 0.75}
_WAVE_SHARES = (100, 80, 70)  # enrolled pupils per wave, per 250
SELECTIONS = ("none", "transitory_dip", "fixed_effect")

OUTCOMES = (
    "attendance_rate",
    "persistent_absence",
    "suspensions",
    "permanent_exclusion",
    "camhs_referral",
    "csc_referral",
)
OUTCOME_TYPES = {
    "attendance_rate": "rate",
    "persistent_absence": "binary",
    "suspensions": "count",
    "permanent_exclusion": "binary",
    "camhs_referral": "binary",
    "csc_referral": "binary",
}
PUPIL_COLUMNS = (
    "pupil_id",
    "school_id",
    "phase",
    "programme_school",
    "year_group",
    "sex",
    "fsm",
    "sen",
    "idaci_decile",
    "ethnicity",
    "prior_attainment",
    "child_in_need",
    "child_protection",
    "looked_after",
    "enrolled",
    "cohort",
)
PANEL_COLUMNS = ("pupil_id", "term", *OUTCOMES, "family_stress")
_PUPIL_STR = ("pupil_id", "school_id", "phase", "sex", "sen", "ethnicity")
_PUPIL_FLOAT = ("prior_attainment",)
ETHNICITY = (
    "White British",
    "White other",
    "Asian",
    "Black",
    "Mixed",
    "Other",
    "Unclassified",
)
_ETHNICITY_P = (0.55, 0.09, 0.13, 0.08, 0.08, 0.04, 0.03)


# ---- effect model ---------------------------------------------------------------------------
_ATT_EFFECT = 0.02  # attendance: tau(g, e) = (m_g * 0.02 + h_i) * growth(e)
_ATT_HET_SD = 0.006  # sd of the pupil-level heterogeneity h_i (mean zero)
_LOG_RR = {  # psi(g, e) = m_g * (early * exp(-e) - late * growth(e)) on the log-risk scale
    "suspensions": (0.0, 0.35),
    "permanent_exclusion": (0.0, 0.40),
    "camhs_referral": (0.0, 0.30),
    "csc_referral": (0.35, 0.30),  # link workers find unmet need: referrals rise at e = 0
}
_PA_THRESHOLD_BP = 9000  # persistent absence: attendance <= 0.9000 (absence >= 10%)
_ABS_FLOOR = 0.025  # absence model: b_i = floor + scale * lognormal; noise sd = a * b_i + b
_ABS_SCALE = 0.45
_NOISE_A = 0.45
_NOISE_B = 0.003
_ABS_NEED = 0.8
_NOISE_K = 1.5  # shape of the Gamma term noise (skewness 2 / sqrt(1.5))


def _growth(e: np.ndarray) -> np.ndarray:
    return 1.0 - np.exp(-(e + 1.0) / 2.0)


# ---- design ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Design:
    n_pupils: int
    n_schools: int
    n_enrolled: int
    effect_scale: float = 1.0  # multiplies every true effect (1 = the shipped sample)


def _design(
    n_pupils: Any, n_schools: Any = None, n_enrolled: Any = None, effect_scale: Any = 1.0
) -> _Design:
    if isinstance(n_pupils, bool) or not isinstance(n_pupils, int | np.integer):
        raise SroiInputError(
            f"n_pupils: expected an integer number of pupils, got {n_pupils!r} "
            f"(the shipped sample uses {DEFAULT_N_PUPILS})"
        )
    n_pupils = int(n_pupils)
    if n_pupils < 1000:
        raise SroiInputError(
            f"n_pupils: {n_pupils} is too small; use at least 1000 pupils "
            "(the design needs 3 waves of programme schools and a comparison pool)"
        )
    if n_schools is None:
        n_schools = max(8, round(n_pupils / _PUPILS_PER_SCHOOL))
    elif isinstance(n_schools, bool) or not isinstance(n_schools, int | np.integer):
        raise SroiInputError(f"n_schools: expected an integer, got {n_schools!r}")
    n_schools = int(n_schools)
    if not 8 <= n_schools <= n_pupils // 15:
        raise SroiInputError(
            f"n_schools: {n_schools} must be between 8 and n_pupils / 15 = {n_pupils // 15}"
        )
    if n_enrolled is None:
        n_enrolled = round(n_pupils * _ENROLLED_SHARE)
    elif isinstance(n_enrolled, bool) or not isinstance(n_enrolled, int | np.integer):
        raise SroiInputError(f"n_enrolled: expected an integer, got {n_enrolled!r}")
    n_enrolled = int(n_enrolled)
    if not 30 <= n_enrolled <= n_pupils // 10:
        raise SroiInputError(
            f"n_enrolled: {n_enrolled} must be between 30 and n_pupils / 10 = {n_pupils // 10}"
        )
    scale = check_number(effect_scale, "effect_scale", minimum=-5.0, maximum=5.0)
    return _Design(n_pupils, n_schools, n_enrolled, scale)


def _rngs(seed: int, selection: str, names: Sequence[str]) -> dict[str, np.random.Generator]:
    code = SELECTIONS.index(selection)
    children = np.random.SeedSequence([int(seed), code, GENERATOR_VERSION]).spawn(len(names))
    return {
        n: np.random.Generator(np.random.PCG64(c)) for n, c in zip(names, children, strict=True)
    }


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` summing exactly to ``total``."""
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(np.int64)
    short = total - int(out.sum())
    if short > 0:
        order = np.argsort(-(raw - out), kind="stable")
        out[order[:short]] += 1
    return out


@dataclass(frozen=True)
class _Schools:
    """School-level draws: phase, programme status and wave, size, school effects."""

    secondary: np.ndarray
    programme: np.ndarray
    cohort: np.ndarray  # first programme term of the school, 0 outside the programme
    deprivation: np.ndarray
    absence: np.ndarray
    logit: np.ndarray  # school effect on referral / exclusion risks
    counts: np.ndarray  # pupils per school
    of_pupil: np.ndarray  # school index of each pupil


@dataclass(frozen=True)
class _Pupils:
    """Pupil characteristics (time-invariant), including the unobserved need ``u_i``."""

    sec: np.ndarray
    year_group: np.ndarray
    male: np.ndarray
    z: np.ndarray  # latent deprivation
    need: np.ndarray
    idaci: np.ndarray
    fsm: np.ndarray
    sen_support: np.ndarray
    ehcp: np.ndarray
    ethnicity: np.ndarray
    prior_k: np.ndarray
    cin: np.ndarray
    cp: np.ndarray
    lac: np.ndarray


def _draw_schools(design: _Design, n: int, rs: np.random.Generator) -> _Schools:
    S = design.n_schools
    n_sec = max(3, round(S * _SECONDARY_SCHOOL_SHARE))
    n_prog = max(3, round(S * _PROGRAMME_SCHOOL_SHARE))
    n_prog_sec = max(1, round(n_prog * 3 / 7))
    n_prog_pri = n_prog - n_prog_sec
    secondary = np.zeros(S, dtype=bool)
    secondary[:n_sec] = True
    programme = np.zeros(S, dtype=bool)
    programme[:n_prog_sec] = True
    programme[n_sec : n_sec + n_prog_pri] = True
    wave = np.zeros(S, dtype=np.int64)  # wave index 0, 1, 2 (programme schools only)
    # the default's pattern, repeated in larger designs: secondary schools waves 1, 2, 3;
    # primary schools waves 1, 2, 3, 1 (so wave 1 has 3 of every 7 programme schools)
    wave[:n_prog_sec] = np.resize([0, 1, 2], n_prog_sec)
    wave[n_sec : n_sec + n_prog_pri] = np.resize([0, 1, 2, 0], n_prog_pri)
    if np.unique(wave[programme]).size < 3:  # small designs: make sure every wave has a school
        wave[programme] = np.arange(n_prog) % 3
    school_cohort = np.where(programme, np.asarray(WAVE_COHORTS)[wave], 0)
    # random order of school ids, so that ids carry no information
    perm = rs.permutation(S)
    secondary, programme, school_cohort = secondary[perm], programme[perm], school_cohort[perm]
    size_w = np.exp(rs.normal(0.0, 0.3, S)) * np.where(secondary, 2.7, 1.0)
    deprivation = rs.normal(0.0, 1.0, S)
    absence = rs.normal(0.0, 0.005, S)
    logit = rs.normal(0.0, 0.25, S)
    counts = rs.multinomial(n, size_w / size_w.sum())
    counts = np.maximum(counts, 1)
    counts[np.argmax(counts)] -= counts.sum() - n
    return _Schools(
        secondary=secondary,
        programme=programme,
        cohort=school_cohort,
        deprivation=deprivation,
        absence=absence,
        logit=logit,
        counts=counts,
        of_pupil=np.repeat(np.arange(S), counts),
    )


def _draw_pupils(schools: _Schools, rp: np.random.Generator) -> _Pupils:
    school = schools.of_pupil
    n = school.size
    sec = schools.secondary[school]
    year_group = np.where(sec, rp.integers(7, 10, n), rp.integers(1, 5, n))
    male = rp.random(n) < 0.51
    z = 0.55 * schools.deprivation[school] + np.sqrt(1 - 0.55**2) * rp.standard_normal(n)
    need = 0.3 * z + np.sqrt(1 - 0.09) * rp.standard_normal(n)  # unobserved need u_i
    idaci = (10 - np.floor(10 * ndtr(z))).astype(np.int64).clip(1, 10)
    fsm = rp.random(n) < expit(-1.35 + 1.3 * z)
    sen_latent = 0.8 * need + 0.35 * male + 0.3 * fsm + rp.logistic(0.0, 1.0, n)
    ehcp = sen_latent > 4.1
    sen_support = (sen_latent > 2.15) & ~ehcp
    eth = rp.choice(len(ETHNICITY), size=n, p=np.asarray(_ETHNICITY_P))
    prior = (
        -0.3 * z - 0.5 * sen_support - 1.0 * ehcp - 0.25 * need + 0.2 + 0.85 * rp.standard_normal(n)
    )
    prior_k = np.rint(np.clip(prior, -4.0, 4.0) * 1000).astype(np.int64)
    cin = rp.random(n) < expit(-4.1 + 0.9 * z + 0.6 * need)
    cin_kind = rp.random(n)
    return _Pupils(
        sec=sec,
        year_group=year_group,
        male=male,
        z=z,
        need=need,
        idaci=idaci,
        fsm=fsm,
        sen_support=sen_support,
        ehcp=ehcp,
        ethnicity=eth,
        prior_k=prior_k,
        cin=cin,
        cp=cin & (cin_kind < 0.15),
        lac=cin & (cin_kind >= 0.15) & (cin_kind < 0.35),
    )


def _draw_stress(p: _Pupils, T: int, rf: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Family stress as a Markov chain over terms, with 3 burn-in terms: (stress, lagged)."""
    n = p.z.size
    base_h = -3.45 + 0.45 * p.z + 0.35 * p.fsm + 0.8 * p.cin + 0.3 * p.need
    prev = np.zeros(n, dtype=bool)
    stress = np.empty((n, T), dtype=bool)
    stress_lag = np.zeros((n, T), dtype=bool)
    for t in range(-3, T):  # loop over terms (vectorised over pupils)
        if t >= 0:
            stress_lag[:, t] = prev
        cur = rf.random(n) < expit(base_h + 1.6 * prev)
        if t >= 0:
            stress[:, t] = cur
        prev = cur
    return stress, stress_lag


def _absence_level(p: _Pupils) -> np.ndarray:
    """Each pupil's permanent absence level ``b_i``."""
    b_log = (
        np.log(0.032)
        + 0.12 * p.z
        + 0.15 * p.fsm
        + 0.2 * p.sen_support
        + 0.35 * p.ehcp
        + 0.3 * p.cin
        + _ABS_NEED * p.need
        + np.where(p.sec, np.log(1.35), 0.0)
    )
    return _ABS_FLOOR + _ABS_SCALE * np.exp(b_log)


def _enrol(
    design: _Design,
    schools: _Schools,
    p: _Pupils,
    selection: str,
    stress: np.ndarray,
    hidden: np.ndarray,
    b: np.ndarray,
    gumbel: np.ndarray,
) -> np.ndarray:
    """Enrol the top-ranked pupils of each programme school (wave sizes fixed): cohort per pupil."""
    n, T = stress.shape
    prog_idx = np.flatnonzero(schools.programme)
    counts = schools.counts
    # enrolled pupils per wave (100 / 80 / 70 of 250), then per school by school size
    per_wave = _largest_remainder(design.n_enrolled, np.asarray(_WAVE_SHARES, dtype=float))
    k_s = np.zeros(prog_idx.size, dtype=np.int64)
    for w, g in enumerate(WAVE_COHORTS):
        in_wave = schools.cohort[prog_idx] == g
        k_s[in_wave] = _largest_remainder(int(per_wave[w]), counts[prog_idx][in_wave].astype(float))
    pupil_g = schools.cohort[schools.of_pupil]
    gi = np.clip(pupil_g - 1, 1, T) - 1  # index of term g-1 (0-based)
    rows = np.arange(n)
    if selection == "none":
        score = (
            2.0 * stress[rows, gi]
            + 1.2 * stress[rows, gi - 1]
            + 0.5 * p.fsm
            + 0.1 * (10 - p.idaci)
            + 0.8 * p.cin
            + 0.5 * (p.cp | p.lac)
            + 0.4 * p.sen_support
            + 0.4 * p.ehcp
        )
    elif selection == "transitory_dip":
        score = 3.0 * hidden[rows, gi] + 0.5 * p.fsm + 0.1 * (10 - p.idaci)
    else:  # fixed_effect
        score = 60.0 * b
    key = score + gumbel
    cohort = np.zeros(n, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)])
    for j, s in enumerate(prog_idx):  # loop over programme schools only
        lo, hi = starts[s], starts[s + 1]
        k = min(int(k_s[j]), hi - lo)
        top = lo + np.argsort(-key[lo:hi], kind="stable")[:k]
        cohort[top] = schools.cohort[s]
    n_enrolled = int(np.sum(cohort > 0))
    if n_enrolled != design.n_enrolled:
        raise SroiInputError(
            f"n_enrolled: {design.n_enrolled} pupils do not fit in the programme schools of "
            f"this design ({n_enrolled} enrolled); lower n_enrolled or raise n_pupils"
        )
    return cohort


def _term_trend(p: _Pupils, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Seasonal and year trends in absence (n x T) and years above Year 7 (secondary only)."""
    terms = np.arange(1, T + 1)
    school_year = (terms - 1) // TERMS_PER_YEAR  # 0, 1, 2
    term_of_year = (terms - 1) % TERMS_PER_YEAR  # autumn, spring, summer
    season_pri = np.array([-0.004, 0.004, 0.001])[term_of_year]
    season_sec = np.array([-0.004, 0.004, 0.008])[term_of_year]
    year_eff = np.array([0.006, 0.002, 0.0])[school_year]
    sec = p.sec[:, None]
    sec_years = np.where(sec, p.year_group[:, None] + school_year[None, :] - 7, 0)
    trend = (
        np.where(sec, season_sec[None, :], season_pri[None, :])
        + year_eff[None, :]
        + np.where(sec, 0.006 * sec_years, 0.0)
    )
    return trend, sec_years


def _treatment_effect(
    cohort: np.ndarray, T: int, re: np.random.Generator, scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Attendance effect of the programme on each pupil-term.

    Returns ``(tau, post, e_idx, mult, growth_tab)``: the effect (n x T), the post-enrolment
    mask, the event-time index, the wave multiplier and the growth table.
    """
    n = cohort.size
    terms = np.arange(1, T + 1)
    het = re.normal(0.0, _ATT_HET_SD, n)
    post = (cohort > 0)[:, None] & (terms[None, :] >= cohort[:, None])
    e_idx = np.clip(terms[None, :] - cohort[:, None], 0, T - 1).astype(np.int8)  # event time
    mult = np.zeros(n)
    for g, mv in WAVE_MULTIPLIER.items():
        mult[cohort == g] = mv
    growth_tab = _growth(np.arange(T, dtype=float))
    tau = np.where(post, (mult[:, None] * _ATT_EFFECT + het[:, None]) * growth_tab[e_idx], 0.0)
    if scale != 1.0:
        tau *= scale
    return tau, post, e_idx, mult, growth_tab


def _risk_linear_predictors(
    p: _Pupils, schools: _Schools, omega: np.ndarray
) -> dict[str, np.ndarray]:
    """Time-invariant pupil part of each risk outcome's linear predictor."""
    secf, malef = p.sec.astype(float), p.male.astype(float)
    return {
        "suspensions": -6.9
        + 2.6 * secf
        + 0.6 * malef
        + 0.4 * p.fsm
        + 0.4 * p.sen_support
        + 0.6 * p.ehcp
        + 0.8 * p.need
        + 0.9 * omega[:, 0],
        "permanent_exclusion": -10.45
        + 1.7 * secf
        + 0.5 * malef
        + 0.5 * p.fsm
        + 0.9 * p.need
        + 0.6 * omega[:, 1],
        "camhs_referral": -5.0
        + 0.5 * secf
        + 0.2 * (~p.male)
        + 0.3 * p.sen_support
        + 0.5 * p.ehcp
        + 0.5 * p.need
        + 0.5 * omega[:, 2],
        "csc_referral": -5.5
        + 0.35 * p.z
        + 0.4 * p.fsm
        + 0.9 * p.cin
        + 0.5 * p.need
        + 0.3 * omega[:, 3]
        - 0.15 * secf,
    }


# term-varying part of each risk outcome: (coefficient on stress, on lagged stress, on the
# school shock)
_RISK_TERM_PART = {
    "suspensions": (0.35, 0.0, 0.5),
    "permanent_exclusion": (0.5, 0.0, 0.5),
    "camhs_referral": (0.6, 0.0, 0.3),
    "csc_referral": (1.3, 0.4, 0.3),
}


def _risk_outcomes(
    p: _Pupils,
    schools: _Schools,
    kap: np.ndarray,
    stress: np.ndarray,
    stress_lag: np.ndarray,
    sec_years: np.ndarray,
    treat: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ru: np.random.Generator,
    *,
    expected: bool,
    scale: float,
) -> dict[str, np.ndarray]:
    """Untreated and treated risk outcomes (``<name>_0``, ``<name>_1``).

    With ``expected`` also the expected effect given everything but the outcome noise.
    """
    _, post, e_idx, mult, growth_tab = treat
    n, T = stress.shape
    out: dict[str, np.ndarray] = {}
    omega = ru.standard_normal((n, 4))
    common = schools.logit[schools.of_pupil][:, None] + kap[schools.of_pupil]
    pupil_part = _risk_linear_predictors(p, schools, omega)
    post_rows, post_cols = np.nonzero(post)
    for name, (c_s, c_l, c_c) in _RISK_TERM_PART.items():
        lin = pupil_part[name][:, None] + c_s * stress
        if name == "suspensions":
            lin += 0.08 * sec_years
        if c_l:
            lin += c_l * stress_lag
        lin += c_c * common
        u = ru.random((n, T))
        early, late = _LOG_RR[name]
        psi_tab = early * np.exp(-np.arange(T, dtype=float)) - late * growth_tab
        if scale != 1.0:
            psi_tab *= scale
        psi_post = mult[post_rows] * psi_tab[e_idx[post_rows, post_cols]]
        if name == "suspensions":
            mu0 = np.exp(lin)
            del lin
            y0 = _poisson_ppf(u, mu0)
            base_post = mu0[post_rows, post_cols]
            treated_post = base_post * np.exp(psi_post)
            y1 = y0.copy()
            y1[post_rows, post_cols] = _poisson_ppf(u[post_rows, post_cols], treated_post)
            del mu0
        else:
            p0 = expit(lin)
            del lin
            y0 = (u < p0).astype(np.int8)
            base_post = p0[post_rows, post_cols]
            treated_post = np.minimum(base_post * np.exp(psi_post), 0.999)
            y1 = y0.copy()
            y1[post_rows, post_cols] = u[post_rows, post_cols] < treated_post
            del p0
        if expected:
            ex = np.zeros((n, T))
            ex[post_rows, post_cols] = treated_post - base_post
            out["exp_" + name] = ex
        out[name + "_0"] = y0
        out[name + "_1"] = y1
        del u
    return out


_STREAMS = (
    "schools",
    "pupils",
    "stress",
    "hidden",
    "shocks",
    "noise",
    "uniforms",
    "enrol",
    "effects",
)


def _simulate(
    design: _Design, seed: int, selection: str, expected: bool = False
) -> dict[str, np.ndarray]:
    """Draw one data set. Returns pupil-level arrays (length n) and panel arrays (n x T).

    Each stage draws from its own random stream, so stages can be read (and changed) one at
    a time without shifting the draws of the others. With ``expected=True`` also returns the
    *expected* potential outcomes of enrolled pupils given everything but the outcome noise
    (used for the PATT integration).
    """
    r = _rngs(seed, selection, _STREAMS)
    n, T = design.n_pupils, N_TERMS
    schools = _draw_schools(design, n, r["schools"])
    school = schools.of_pupil
    p = _draw_pupils(schools, r["pupils"])
    stress, stress_lag = _draw_stress(p, T, r["stress"])
    hidden = np.zeros((n, T), dtype=bool)
    if selection == "transitory_dip":
        hidden = r["hidden"].random((n, T)) < 0.08
    b = _absence_level(p)
    cohort = _enrol(
        design, schools, p, selection, stress, hidden, b, r["enrol"].gumbel(0.0, 1.0, n)
    )

    # ---- untreated absence: level, trend, school-by-term shocks, stress, skewed noise ------
    trend, sec_years = _term_trend(p, T)
    lam = r["shocks"].normal(0.0, 0.006, (design.n_schools, T))  # school-by-term absence shock
    kap = r["shocks"].normal(0.0, 0.15, (design.n_schools, T))  # shock on risk indices
    sigma = (2.0 if selection == "fixed_effect" else 1.0) * (_NOISE_A * b + _NOISE_B)
    m = (b + schools.absence[school])[:, None] + trend
    del trend
    m += lam[school]
    m += 0.05 * stress
    m += 0.025 * stress_lag
    if selection == "transitory_dip":
        m += 0.06 * hidden
    # right-skewed mean-zero noise: sigma * (Gamma(k, 1) - k) / sqrt(k), bounded below by
    # -sigma * sqrt(k), so absence is rarely clipped at 0 while the right tail feeds
    # persistent absence
    latent0 = r["noise"].standard_gamma(_NOISE_K, (n, T))
    latent0 -= _NOISE_K
    latent0 *= sigma[:, None] / np.sqrt(_NOISE_K)
    latent0 += m

    # ---- treatment on attendance ------------------------------------------------------------
    treat = _treatment_effect(cohort, T, r["effects"], design.effect_scale)
    tau, post = treat[0], treat[1]
    c0 = np.clip(latent0, 0.0, 1.0)
    c1 = np.clip(latent0 - tau, 0.0, 1.0)
    del latent0
    realised = c0 - c1
    clipped = np.abs(realised - tau)[post] > 1e-12
    tau_sum = tau[post].sum()
    out: dict[str, np.ndarray] = {
        "school": school,
        "school_secondary": schools.secondary,
        "school_programme": schools.programme,
        "school_cohort": schools.cohort,
        "secondary": p.sec,
        "programme": schools.programme[school],
        "year_group": p.year_group,
        "male": p.male,
        "fsm": p.fsm,
        "sen_support": p.sen_support,
        "ehcp": p.ehcp,
        "idaci": p.idaci,
        "ethnicity": p.ethnicity,
        "prior_k": p.prior_k,
        "cin": p.cin,
        "cp": p.cp,
        "lac": p.lac,
        "cohort": cohort,
        "stress": stress,
        "att0_bp": np.rint((1.0 - c0) * 10000).astype(np.int32),
        "att1_bp": np.rint((1.0 - c1) * 10000).astype(np.int32),
        "post": post,
        "b": b,
        "clip_share": np.asarray(clipped.mean() if clipped.size else 0.0),
        "clip_retained": np.asarray(realised[post].sum() / tau_sum if tau_sum else 1.0),
    }
    del c0, c1
    if expected:
        # attendance: realised effect on the unrounded scale (only clipping varies);
        # persistent absence: P(absence >= 0.1) from the Gamma noise, under Y(1) and Y(0)
        out["exp_attendance_rate"] = realised
        sk = np.sqrt(_NOISE_K) / sigma[:, None]
        out["exp_persistent_absence"] = gammaincc(
            _NOISE_K, np.maximum(_NOISE_K + (0.1 - m + tau) * sk, 0.0)
        ) - gammaincc(_NOISE_K, np.maximum(_NOISE_K + (0.1 - m) * sk, 0.0))
        del sk
    del m, realised, tau
    out.update(
        _risk_outcomes(
            p,
            schools,
            kap,
            stress,
            stress_lag,
            sec_years,
            treat,
            r["uniforms"],
            expected=expected,
            scale=design.effect_scale,
        )
    )
    return out


def _poisson_ppf(u: np.ndarray, mu: np.ndarray, kmax: int = 30) -> np.ndarray:
    """Inverse Poisson CDF, vectorised: smallest k with P(N <= k) >= u (common random numbers).

    Only the cells with ``u > P(N = 0)`` are iterated, and the set shrinks with each k.
    """
    k = np.zeros(u.shape, dtype=np.int16)
    flat_u, flat_mu = u.ravel(), mu.ravel()
    pmf = np.exp(-flat_mu)
    idx = np.flatnonzero(flat_u > pmf)
    pmf, cdf, uu, mm = pmf[idx], pmf[idx].copy(), flat_u[idx], flat_mu[idx]
    kf = k.ravel()
    for j in range(1, kmax + 1):  # loop over count values, not rows
        if idx.size == 0:
            break
        kf[idx] = j
        pmf = pmf * mm / j
        cdf = cdf + pmf
        more = uu > cdf
        idx, pmf, cdf, uu, mm = idx[more], pmf[more], cdf[more], uu[more], mm[more]
    return k


# ---- data frames --------------------------------------------------------------------------


def _id_strings(prefix: str, n: int, width: int) -> list[str]:
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def _str_column(values: Sequence[str], codes: np.ndarray | None = None) -> Any:
    """A string column, built through Arrow so that millions of rows stay fast.

    ``values`` are the distinct strings and ``codes`` index into them (None: take
    ``values`` as they are). The dtype matches ``pd.read_csv(..., dtype=str)``.
    """
    import pyarrow as pa

    arr = pa.array(list(values), type=pa.string())
    if codes is not None:
        arr = arr.take(pa.array(np.asarray(codes, dtype=np.int64)))
    if int(pd.__version__.split(".")[0]) >= 3:
        return pd.array(arr, dtype="str")  # pandas >= 3: the default (Arrow-backed) str dtype
    return np.asarray(arr.to_pylist(), dtype=object)  # pragma: no cover - pandas 2: object


def _frames(
    sim: dict[str, np.ndarray], return_potential: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    n, T = sim["stress"].shape
    S = sim["school_secondary"].size
    pid = _id_strings("P", n, max(6, len(str(n))))
    sid = _id_strings("S", S, max(2, len(str(S))))
    sen_code = np.where(sim["ehcp"], 2, np.where(sim["sen_support"], 1, 0))
    i64 = np.int64
    pupils = pd.DataFrame(
        {
            "pupil_id": _str_column(pid),
            "school_id": _str_column(sid, sim["school"]),
            "phase": _str_column(["primary", "secondary"], sim["secondary"]),
            "programme_school": sim["programme"].astype(i64),
            "year_group": sim["year_group"].astype(i64),
            "sex": _str_column(["F", "M"], sim["male"]),
            "fsm": sim["fsm"].astype(i64),
            "sen": _str_column(["none", "sen_support", "ehcp"], sen_code),
            "idaci_decile": sim["idaci"].astype(i64),
            "ethnicity": _str_column(ETHNICITY, sim["ethnicity"]),
            "prior_attainment": sim["prior_k"] / 1000.0,
            "child_in_need": sim["cin"].astype(i64),
            "child_protection": sim["cp"].astype(i64),
            "looked_after": sim["lac"].astype(i64),
            "enrolled": (sim["cohort"] > 0).astype(i64),
            "cohort": sim["cohort"].astype(i64),
        }
    )
    # Y(1) = Y(0) outside enrolled post-enrolment terms, so Y(1) arrays are the observed ones
    att_bp = sim["att1_bp"]
    cols: dict[str, Any] = {
        "pupil_id": _str_column(pid, np.repeat(np.arange(n), T)),
        "term": np.tile(np.arange(1, T + 1, dtype=i64), n),
        "attendance_rate": att_bp.ravel() / 10000.0,
        "persistent_absence": (att_bp <= _PA_THRESHOLD_BP).ravel().astype(i64),
    }
    for name in OUTCOMES[2:]:
        cols[name] = sim[name + "_1"].ravel().astype(i64)
    cols["family_stress"] = sim["stress"].ravel().astype(i64)
    if return_potential:
        cols["attendance_rate_y0"] = sim["att0_bp"].ravel() / 10000.0
        cols["attendance_rate_y1"] = cols["attendance_rate"].copy()
        cols["persistent_absence_y0"] = (sim["att0_bp"] <= _PA_THRESHOLD_BP).ravel().astype(i64)
        cols["persistent_absence_y1"] = cols["persistent_absence"].copy()
        for name in OUTCOMES[2:]:
            cols[name + "_y0"] = sim[name + "_0"].ravel().astype(i64)
            cols[name + "_y1"] = cols[name].copy()
    panel = pd.DataFrame(cols, copy=False)
    return pupils, panel


def _check_selection(selection: Any) -> str:
    if selection not in SELECTIONS:
        raise SroiInputError(
            f"selection: {selection!r} is not one of {', '.join(map(repr, SELECTIONS))} "
            "('none' is the shipped design; the others are test-only failure cases)"
        )
    return str(selection)


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SroiInputError(f"seed: expected a non-negative integer, got {seed!r}")
    return int(seed)


def generate(
    n_pupils: int = DEFAULT_N_PUPILS,
    seed: int = SEED,
    selection: str = "none",
    return_potential: bool = False,
    *,
    n_schools: int | None = None,
    n_enrolled: int | None = None,
    effect_scale: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate the synthetic pupils table and pupil x term panel.

    Parameters
    ----------
    n_pupils
        Number of pupils (default 6,000, at least 1,000; schools and enrolled pupils scale
        with it: 150 pupils a school, 250 enrolled per 6,000 pupils, 7 in 40 schools are
        programme schools).
    seed
        Random seed; the same seed gives the same data bit for bit. ``SEED`` makes the
        shipped sample.
    selection
        ``"none"`` (the shipped design: enrolment depends only on recorded variables, so
        matched DiD is valid), or the test-only failure cases ``"transitory_dip"`` and
        ``"fixed_effect"`` (see the module docstring).
    return_potential
        If True, the panel also has ``<outcome>_y0`` and ``<outcome>_y1`` for every outcome.
        ``_y1`` is the outcome under enrolment at the pupil's actual cohort; it equals
        ``_y0`` for never-enrolled pupils and before the cohort term (no anticipation).
    n_schools, n_enrolled
        Override the scaled defaults.
    effect_scale
        Multiplies every true effect (attendance effect and the log relative risks of the
        count and binary outcomes); 1 gives the shipped sample, 0 a programme with no
        effect. Used to make areas with different known effects (pooling tests).

    Returns
    -------
    (pupils, panel)
        Column names and meanings as in ``data_samples/impact_programmes/README.md``.
    """
    seed = _check_seed(seed)
    selection = _check_selection(selection)
    design = _design(n_pupils, n_schools, n_enrolled, effect_scale)
    sim = _simulate(design, seed, selection)
    return _frames(sim, bool(return_potential))


# ---- truth ---------------------------------------------------------------------------------


def att_gt_from_potential(pupils: pd.DataFrame, panel: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Sample ATT(g, t) from potential outcomes: mean of ``Y(1) - Y(0)`` over enrolled pupils.

    ``ATT(g, t) = mean_{i: G_i = g} [Y_it(1) - Y_it(0)]`` for every cohort ``g > 0`` and term
    ``t >= g`` (Callaway & Sant'Anna 2021, the realised sample version). ``panel`` must come
    from :func:`generate` with ``return_potential=True``.

    Returns
    -------
    DataFrame with columns ``cohort, term, event_time, att, n``.
    """
    for col in (outcome + "_y0", outcome + "_y1"):
        if col not in panel.columns:
            raise SroiInputError(
                f"panel: column {col!r} missing; generate the data with return_potential=True"
            )
    if "cohort" not in pupils.columns or "pupil_id" not in pupils.columns:
        raise SroiInputError("pupils: needs columns 'pupil_id' and 'cohort'")
    df = panel[["pupil_id", "term", outcome + "_y0", outcome + "_y1"]].merge(
        pupils[["pupil_id", "cohort"]], on="pupil_id", how="left", validate="many_to_one"
    )
    df = df[(df["cohort"] > 0) & (df["term"] >= df["cohort"])]
    diff = df[outcome + "_y1"].astype(float) - df[outcome + "_y0"].astype(float)
    res = (
        diff.groupby([df["cohort"], df["term"]])
        .agg(["mean", "size"])
        .reset_index()
        .rename(columns={"mean": "att", "size": "n"})
    )
    res.insert(2, "event_time", res["term"] - res["cohort"])
    return res[["cohort", "term", "event_time", "att", "n"]]


def aggregate_att(
    att_gt: pd.DataFrame, cohort_sizes: Mapping[int, float], last_term: int = N_TERMS
) -> dict[str, Any]:
    """Callaway & Sant'Anna (2021) aggregations of post-treatment ATT(g, t).

    With group shares ``P(G = g)`` proportional to ``cohort_sizes`` (enrolled pupils per
    cohort) and only ``t >= g``:

    * simple: ``sum_{g,t>=g} w_g ATT(g,t) / sum_{g,t>=g} w_g`` (each post cell weighted by
      its group's size);
    * group: ``theta(g) = mean_{t>=g} ATT(g,t)``; overall ``sum_g theta(g) P(G=g)``;
    * dynamic: ``theta(e) = sum_g ATT(g,g+e) P(G=g | g+e <= T)``; overall = mean of
      ``theta(e)`` over ``e >= 0``;
    * calendar: ``theta(t) = sum_{g<=t} ATT(g,t) P(G=g | g<=t)``; overall = mean over ``t``.

    Parameters
    ----------
    att_gt
        Columns ``cohort``, ``term``, ``att`` (one row per post-treatment cell).
    cohort_sizes
        ``{cohort: number of enrolled pupils}``.
    """
    need = {"cohort", "term", "att"}
    if not need <= set(att_gt.columns):
        raise SroiInputError(f"att_gt: needs columns {sorted(need)}")
    d = att_gt[(att_gt["term"] >= att_gt["cohort"]) & (att_gt["term"] <= last_term)].copy()
    dup = d.duplicated(["cohort", "term"], keep=False)
    if dup.any():
        raise SroiInputError(
            f"att_gt: duplicate (cohort, term) cells in {example_rows(d.index[dup])}; "
            "give one ATT per cell"
        )
    if d.empty:
        raise SroiInputError("att_gt: no post-treatment cells (term >= cohort)")
    missing = sorted(set(d["cohort"].astype(int)) - {int(k) for k in cohort_sizes})
    if missing:
        raise SroiInputError(f"cohort_sizes: no size for cohort(s) {missing}")
    d["w"] = [float(cohort_sizes[int(g)]) for g in d["cohort"]]
    d["e"] = d["term"] - d["cohort"]
    simple = float((d["w"] * d["att"]).sum() / d["w"].sum())
    grp = d.groupby("cohort").agg(att=("att", "mean"), w=("w", "first"))
    group_overall = float((grp["att"] * grp["w"]).sum() / grp["w"].sum())

    def wmean(x: pd.DataFrame) -> float:
        return float((x["att"] * x["w"]).sum() / x["w"].sum())

    dyn = pd.Series({int(e): wmean(x) for e, x in d.groupby("e")}).sort_index()
    cal = pd.Series({int(t): wmean(x) for t, x in d.groupby("term")}).sort_index()
    return {
        "simple": simple,
        "group": {
            "overall": group_overall,
            "by_cohort": [{"cohort": int(g), "att": float(a)} for g, a in grp["att"].items()],
        },
        "dynamic": {
            "overall": float(dyn.mean()),
            "by_event_time": [{"event_time": int(e), "att": float(a)} for e, a in dyn.items()],
        },
        "calendar": {
            "overall": float(cal.mean()),
            "by_term": [{"term": int(t), "att": float(a)} for t, a in cal.items()],
        },
    }


def _round_floats(obj: Any, digits: int = 10) -> Any:
    if isinstance(obj, float):
        return round(obj, digits) + 0.0
    if isinstance(obj, dict):
        return {k: _round_floats(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round_floats(v, digits) for v in obj]
    return obj


def _patt(seed: int, selection: str, patt_pupils: int) -> dict[str, Any]:
    """PATT(g,t) by large-sample integration: the same design scaled up, expected effects."""
    scale_design = _design(patt_pupils)
    patt_seed = int(np.random.SeedSequence([seed, 7_777]).generate_state(1)[0])
    sim = _simulate(scale_design, patt_seed, selection, expected=True)
    cohort = sim["cohort"]
    school = sim["school"]
    res: dict[str, Any] = {}
    simple_se: dict[str, float] = {}
    enrolled = cohort > 0
    n_post = float(np.sum(N_TERMS - cohort[enrolled] + 1))  # sum_g n_g (T - g + 1)
    for name in OUTCOMES:
        eff = sim["exp_" + name]
        rows = []
        resid_simple = np.zeros(cohort.size)
        for g in WAVE_COHORTS:
            sel = cohort == g
            ng = int(sel.sum())
            for t in range(g, N_TERMS + 1):
                x = eff[sel, t - 1]
                mean = float(x.mean())
                # cluster-robust (by school) Monte Carlo standard error of the mean
                sums = np.bincount(school[sel], weights=x - mean)
                se = float(np.sqrt((sums**2).sum()) / ng)
                rows.append({"cohort": g, "term": t, "event_time": t - g, "att": mean, "mc_se": se})
                resid_simple[sel] += (x - mean) / n_post
        res[name] = pd.DataFrame(rows)
        # the simple aggregation is a sum of per-pupil contributions: cluster by school
        sums = np.bincount(school[enrolled], weights=resid_simple[enrolled])
        simple_se[name] = float(np.sqrt((sums**2).sum()))
    info = {
        "method": (
            "large-sample integration: one draw of the same design scaled to "
            f"{patt_pupils} pupils ({scale_design.n_schools} schools, {scale_design.n_enrolled} "
            "enrolled, same selection mechanism) from an independent seed; each enrolled "
            "pupil-term contributes its EXPECTED effect given everything except the outcome "
            "noise (attendance: the unrounded clipped difference, which varies only through "
            "clipping; persistent absence: difference of Gamma tail probabilities "
            "P(absence >= 0.1); binary: p1 - p0; suspensions: mu1 - mu0). PATT(g,t) "
            "is the mean over enrolled pupils of cohort g; mc_se is its Monte Carlo standard "
            "error clustered by school (simple_mc_se: the same for the simple "
            "aggregation). Rounding of attendance to 4 dp is ignored (< 5e-5)."
        ),
        "n_pupils": patt_pupils,
        "seed": patt_seed,
        "cohort_sizes": {str(g): int((cohort == g).sum()) for g in WAVE_COHORTS},
    }
    return {"info": info, "att_gt": res, "simple_mc_se": simple_se}


def compute_truth(
    pupils: pd.DataFrame,
    panel_potential: pd.DataFrame,
    *,
    seed: int = SEED,
    selection: str = "none",
    patt_pupils: int = 300_000,
) -> dict[str, Any]:
    """True effects for ``truth.json``.

    SATT from the sample's potential outcomes, PATT by large-sample integration, each with
    Callaway & Sant'Anna (2021) aggregations.

    Parameters
    ----------
    pupils, panel_potential
        Output of :func:`generate` with ``return_potential=True`` and the same ``seed``
        and ``selection``.
    patt_pupils
        Size of the scaled-up draw used for the PATT integration.
    """
    selection = _check_selection(selection)
    seed = _check_seed(seed)
    satt = {name: att_gt_from_potential(pupils, panel_potential, name) for name in OUTCOMES}
    return _assemble_truth(satt, seed, selection, patt_pupils)


def _satt_from_sim(sim: Mapping[str, np.ndarray]) -> dict[str, pd.DataFrame]:
    """SATT(g,t) tables straight from the simulated arrays (same as att_gt_from_potential)."""
    cohort = sim["cohort"]
    effects = {
        "attendance_rate": (sim["att1_bp"] - sim["att0_bp"]) / 10000.0,
        "persistent_absence": (sim["att1_bp"] <= _PA_THRESHOLD_BP).astype(np.int64)
        - (sim["att0_bp"] <= _PA_THRESHOLD_BP),
    }
    out = {}
    for name in OUTCOMES:
        eff = effects[name] if name in effects else None
        rows = []
        for g in sorted(set(cohort[cohort > 0].tolist())):
            sel = cohort == g
            if eff is None:
                block = sim[name + "_1"][sel, g - 1 :].astype(np.int64) - sim[name + "_0"][
                    sel, g - 1 :
                ].astype(np.int64)
            else:
                block = eff[sel, g - 1 :]
            means = block.mean(axis=0)
            for j, t in enumerate(range(g, N_TERMS + 1)):
                rows.append(
                    {
                        "cohort": g,
                        "term": t,
                        "event_time": t - g,
                        "att": float(means[j]),
                        "n": int(sel.sum()),
                    }
                )
        out[name] = pd.DataFrame(rows)
    return out


def _assemble_truth(
    satt: Mapping[str, pd.DataFrame], seed: int, selection: str, patt_pupils: int
) -> dict[str, Any]:
    first = satt[OUTCOMES[0]]
    sizes = first.groupby("cohort")["n"].first()
    cohort_sizes = {int(g): int(k) for g, k in sizes.items()}
    patt = _patt(seed, selection, patt_pupils)
    outcomes: dict[str, Any] = {}
    for name in OUTCOMES:
        s = satt[name]
        p = patt["att_gt"][name]
        outcomes[name] = {
            "type": OUTCOME_TYPES[name],
            "satt": {
                "att_gt": [
                    {
                        "cohort": int(r.cohort),
                        "term": int(r.term),
                        "event_time": int(r.event_time),
                        "att": float(r.att),
                        "n": int(r.n),
                    }
                    for r in s.itertuples()
                ],
                **aggregate_att(s, cohort_sizes),
            },
            "patt": {
                "att_gt": [
                    {
                        "cohort": int(r.cohort),
                        "term": int(r.term),
                        "event_time": int(r.event_time),
                        "att": float(r.att),
                        "mc_se": float(r.mc_se),
                    }
                    for r in p.itertuples()
                ],
                **aggregate_att(p, cohort_sizes),
                "simple_mc_se": patt["simple_mc_se"][name],
            },
        }
    return {
        "cohort_sizes": {str(g): k for g, k in cohort_sizes.items()},
        "patt_integration": patt["info"],
        "outcomes": outcomes,
    }


# ---- shipped files -----------------------------------------------------------------------


def _fmt_table(decimals: int, lo: float, hi: float) -> np.ndarray:
    k = np.arange(round(lo * 10**decimals), round(hi * 10**decimals) + 1)
    return np.array([f"{v / 10**decimals:.{decimals}f}" for v in k.tolist()], dtype=object)


def _write_csv(
    df: pd.DataFrame, path: Path, float_decimals: Mapping[str, tuple[int, float]]
) -> None:
    """Plain CSV with fixed float formatting (deterministic bytes), written by pyarrow."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    arrays, names = [], []
    for c in df.columns:
        col = df[c]
        if c in float_decimals:
            dec, bound = float_decimals[c]
            table = pa.array(_fmt_table(dec, -bound, bound), type=pa.string())
            k = np.rint(col.to_numpy(dtype=float) * 10**dec).astype(np.int64)
            k += round(bound * 10**dec)
            arrays.append(table.take(pa.array(k)))
        elif pd.api.types.is_integer_dtype(col):
            arrays.append(pa.array(col.to_numpy(dtype=np.int64)))
        else:
            arrays.append(pa.array(col, type=pa.string()))
        names.append(c)
    tbl = pa.table(arrays, names=names)
    opts = pacsv.WriteOptions(include_header=False, quoting_style="none", delimiter=",")
    with open(path, "wb") as fh:
        fh.write((",".join(names) + "\n").encode("ascii"))
        pacsv.write_csv(tbl, fh, write_options=opts)


def _write_frames(pupils: pd.DataFrame, panel: pd.DataFrame, out: Path) -> None:
    _write_csv(pupils[list(PUPIL_COLUMNS)], out / "pupils.csv", {"prior_attainment": (3, 4.0)})
    _write_csv(panel[list(PANEL_COLUMNS)], out / "panel.csv", {"attendance_rate": (4, 1.0)})


def _summary_rates(pupils: pd.DataFrame, panel: pd.DataFrame) -> dict[str, Any]:
    """Realised rates; ``panel`` must be in generator order (pupil-major, terms 1..T)."""
    T = N_TERMS
    cohort = np.repeat(pupils["cohort"].to_numpy(), T)
    secondary = np.repeat((pupils["phase"] == "secondary").to_numpy(), T)
    term = panel["term"].to_numpy()
    untreated = (cohort == 0) | (term < cohort)
    per_year = N_TERMS // TERMS_PER_YEAR

    def mean(col: str, mask: np.ndarray = untreated) -> float:
        return float(panel[col].to_numpy()[mask].mean())

    pri, sec = untreated & ~secondary, untreated & secondary
    return {
        "note": "realised in the shipped sample (untreated pupil-terms only for outcomes)",
        "mean_attendance": mean("attendance_rate"),
        "mean_attendance_by_phase": {
            "primary": mean("attendance_rate", pri),
            "secondary": mean("attendance_rate", sec),
        },
        "persistent_absence_per_term": mean("persistent_absence"),
        "suspensions_per_pupil_year_by_phase": {
            "primary": mean("suspensions", pri) * per_year,
            "secondary": mean("suspensions", sec) * per_year,
        },
        "permanent_exclusions_per_pupil_year": mean("permanent_exclusion") * per_year,
        "camhs_referral_per_pupil_year": mean("camhs_referral") * per_year,
        "csc_referral_per_pupil_year": mean("csc_referral") * per_year,
        "family_stress_per_term": float(panel["family_stress"].mean()),
        "fsm": float(pupils["fsm"].mean()),
        "sen_support": float((pupils["sen"] == "sen_support").mean()),
        "ehcp": float((pupils["sen"] == "ehcp").mean()),
        "child_in_need": float(pupils["child_in_need"].mean()),
    }


IDENTIFICATION = {
    "conditioning_set": [
        "phase",
        "year_group",
        "fsm",
        "idaci_decile",
        "sen",
        "child_in_need",
        "child_protection",
        "looked_after",
        "family_stress in terms g-2 and g-1 relative to the enrolment term g",
    ],
    "statement": (
        "With selection='none', enrolment in a programme school depends only on recorded data: "
        "family_stress in terms g-1 and g-2, fsm, idaci_decile, sen, child_in_need, "
        "child_protection and looked_after (plus independent Gumbel noise); programme schools "
        "are drawn at random within phase. So the untreated path Y(0) is independent of "
        "enrolment given these variables, and Y(0) follows parallel trends conditional on "
        "them (with phase and year_group, which drive the common trends). Naive comparisons "
        "with all comparison-pool pupils are biased: enrolled pupils are more deprived and "
        "had a recorded family-stress event just before enrolment, which lowers attendance "
        "in that term (-0.05) and the next (-0.025) and raises referral and exclusion risks, "
        "so their attendance would have recovered anyway (a recorded Ashenfelter dip). "
        "Matching on these variables (stress in g-2..g-1 as exact or history covariates) "
        "and then DiD is unbiased for the ATT. One second-order caveat: each programme school "
        "has a fixed number of places, so a pupil's chance of enrolment also depends on how "
        "many schoolmates score higher, which links enrolment very weakly to school-level "
        "deprivation; the resulting departure from conditional parallel trends is far below "
        "what the package's oracle tests can detect."
    ),
    "family_stress_mechanism": (
        "family_stress is a recorded family-stress event (illustrative: e.g. a police "
        "domestic-abuse notification, eviction or bereavement recorded by early help). "
        "Markov chain: P(stress_t) = logistic(-3.45 + 0.45 deprivation + 0.35 fsm + 0.8 cin "
        "+ 0.3 unobserved need + 1.6 stress_{t-1}); about 5-6% of pupils a term. "
        "It is not affected by the programme."
    ),
    "comparison_pool": (
        "never-enrolled pupils in non-programme schools (programme_school == 0); "
        "within-school controls risk spill-overs from the link workers"
    ),
    "anticipation": "none: ATT(g,t) = 0 for t < g by construction",
}


def _effect_model() -> dict[str, Any]:
    return {
        "growth": "growth(e) = 1 - exp(-(e + 1) / 2), e = term - cohort (event time)",
        "wave_multiplier": {str(g): m for g, m in WAVE_MULTIPLIER.items()},
        "attendance_rate": (
            f"additive: Y1 = 1 - clip(absence0 - tau, 0, 1) with the same noise draw, "
            f"tau = (m_g * {_ATT_EFFECT} + h_i) * growth(e), h_i ~ N(0, {_ATT_HET_SD}^2); "
            "clipping binds only when untreated absence is below tau"
        ),
        "persistent_absence": "derived: attendance_rate <= 0.9 under Y(0) and Y(1)",
        **{
            name: (
                f"log risk ratio psi = m_g * ({early} * exp(-e) - {late} * growth(e)); "
                + (
                    "Y = inverse Poisson CDF of the shared uniform at mu0 or mu0 * exp(psi)"
                    if name == "suspensions"
                    else "Y = 1[U < p], shared U, p1 = p0 * exp(psi)"
                )
                + (
                    "; rises at e = 0 because link workers uncover unmet need, falls later"
                    if early > 0
                    else ""
                )
            )
            for name, (early, late) in _LOG_RR.items()
        },
    }


def _build(
    n_pupils: int, seed: int, truth: bool, patt_pupils: int
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any] | None]:
    """The shipped design's frames and (optionally) the truth.json document."""
    design = _design(n_pupils)
    sim = _simulate(design, seed, "none")
    clip_info = _clipping_info(sim)
    satt = _satt_from_sim(sim) if truth else {}
    pupils, panel = _frames(sim, return_potential=False)
    del sim
    if not truth:
        return pupils, panel, None
    command = "python -m sroi.data.synthetic"
    if design.n_pupils != DEFAULT_N_PUPILS:
        command += f" --n-pupils {design.n_pupils}"
    if seed != SEED:
        command += f" --seed {seed}"
    t = _assemble_truth(satt, seed, "none", patt_pupils)
    doc = {
        "description": (
            "True effects of the SYNTHETIC impact_programmes sample. Effects are per pupil "
            "per term (attendance_rate in proportion of sessions; binary outcomes in "
            "probability; suspensions in count). ATT(g,t) for cohort g and term t >= g; "
            "aggregations as Callaway & Sant'Anna (2021). SATT: the realised mean of "
            "Y(1) - Y(0) over the enrolled sample; PATT: its expectation under the "
            "generator."
        ),
        "generator": {
            "module": "sroi.data.synthetic",
            "version": GENERATOR_VERSION,
            "seed": seed,
            "n_pupils": design.n_pupils,
            "n_schools": design.n_schools,
            "n_enrolled": design.n_enrolled,
            "n_terms": N_TERMS,
            "selection": "none",
            "command": command,
        },
        "design": {
            "cohorts": list(WAVE_COHORTS),
            "programme_schools": _programme_schools(pupils),
        },
        "identification": IDENTIFICATION,
        "effect_model": _effect_model(),
        "attendance_clipping": clip_info,
        "sample_rates": _summary_rates(pupils, panel),
        "rates_source": "illustrative (not calibrated to published statistics)",
        **t,
    }
    return pupils, panel, _round_floats(doc)


def write_sample(
    out_dir: str | Path | None = None,
    *,
    n_pupils: int = DEFAULT_N_PUPILS,
    seed: int = SEED,
    truth: bool = True,
    patt_pupils: int = 300_000,
) -> dict[str, Path]:
    """Write ``pupils.csv``, ``panel.csv`` and (optionally) ``truth.json`` to ``out_dir``.

    With the defaults this reproduces the shipped files in
    ``data_samples/impact_programmes/`` bit for bit (``python -m sroi.data.synthetic``).
    The data dictionary ``README.md`` is maintained by hand and not written here.
    """
    out = Path(out_dir) if out_dir is not None else resources.sample_data_dir()
    if out.exists() and not out.is_dir():
        raise SroiInputError(f"out_dir: {out} is a file; give a folder for the sample files")
    seed = _check_seed(seed)
    if truth and (
        isinstance(patt_pupils, bool)
        or not isinstance(patt_pupils, int | np.integer)
        or patt_pupils < 60_000
    ):
        raise SroiInputError(
            f"patt_pupils: {patt_pupils!r} must be an integer of at least 60000 "
            "(the PATT integration needs a large draw; default 300000)"
        )
    out.mkdir(parents=True, exist_ok=True)
    pupils, panel, doc = _build(n_pupils, seed, truth, patt_pupils)
    _write_frames(pupils, panel, out)
    paths = {"pupils": out / "pupils.csv", "panel": out / "panel.csv"}
    if doc is not None:
        text = json.dumps(doc, indent=1, sort_keys=False, ensure_ascii=True)
        (out / "truth.json").write_text(text + "\n", encoding="utf-8")
        paths["truth"] = out / "truth.json"
    return paths


def _programme_schools(pupils: pd.DataFrame) -> list[dict[str, Any]]:
    prog = pupils[pupils["programme_school"] == 1]
    rows = []
    for sid, x in prog.groupby("school_id", sort=True):
        coh = x.loc[x["cohort"] > 0, "cohort"]
        rows.append(
            {
                "school_id": str(sid),
                "phase": str(x["phase"].iloc[0]),
                "cohort": int(coh.iloc[0]) if len(coh) else 0,
                "n_pupils": len(x),
                "n_enrolled": len(coh),
            }
        )
    return rows


def _clipping_info(sim: Mapping[str, np.ndarray]) -> dict[str, Any]:
    post = sim["post"]
    return {
        "note": (
            "enrolled pupil-terms from the cohort term on: share where clipping attendance "
            "at 1 made the realised effect differ from tau by more than rounding, the "
            "realised total effect over the unclipped one (sum of tau), and the share whose "
            "untreated attendance is exactly 1"
        ),
        "share_effect_clipped": float(sim["clip_share"]),
        "realised_over_unclipped_effect": float(sim["clip_retained"]),
        "share_untreated_attendance_at_1": float((sim["att0_bp"][post] == 10000).mean()),
    }


def load_sample(path: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the shipped sample ``(pupils, panel)`` with their proper dtypes.

    Identifiers and categories are strings, flags and counts int64, rates float64.

    Parameters
    ----------
    path
        Folder holding ``pupils.csv`` and ``panel.csv`` (default: the shipped folder).
    """
    folder = resources.sample_data_dir() if path is None else Path(path)
    files = (folder / "pupils.csv", folder / "panel.csv")
    if not all(f.exists() for f in files):
        missing = [str(f) for f in files if not f.exists()]
        raise SroiInputError(
            f"{folder}: missing {', '.join(missing)}; run `python -m sroi.data.synthetic "
            f"--out {folder}` to write the sample there"
        )
    pdt: dict[str, Any] = {c: str for c in _PUPIL_STR}
    pdt.update({c: np.int64 for c in PUPIL_COLUMNS if c not in _PUPIL_STR + _PUPIL_FLOAT})
    pdt["prior_attainment"] = np.float64
    ndt: dict[str, Any] = {c: np.int64 for c in PANEL_COLUMNS}
    ndt["pupil_id"] = str
    ndt["attendance_rate"] = np.float64
    frames = []
    for f, dt in ((files[0], pdt), (files[1], ndt)):
        try:
            frames.append(pd.read_csv(f, dtype=dt, keep_default_na=False))
        except (ValueError, pd.errors.ParserError) as exc:
            raise SroiInputError(
                f"{f}: cannot be read with the sample's column types ({exc}); "
                "regenerate with `python -m sroi.data.synthetic`"
            ) from exc
    pupils, panel = frames
    for df, cols, f in ((pupils, PUPIL_COLUMNS, files[0]), (panel, PANEL_COLUMNS, files[1])):
        if list(df.columns) != list(cols):
            raise SroiInputError(
                f"{f}: columns {list(df.columns)} differ from the expected {list(cols)}; "
                "regenerate with `python -m sroi.data.synthetic`"
            )
    return pupils, panel


def load_truth(path: str | Path | None = None) -> dict[str, Any]:
    """The true effects of the shipped sample (``truth.json``) as a dict.

    Per outcome: ``satt`` and ``patt``, each with ``att_gt`` (one record per cohort and
    term ``t >= g``) and the Callaway & Sant'Anna (2021) aggregations ``simple``, ``group``,
    ``dynamic`` and ``calendar``.

    Parameters
    ----------
    path
        Folder holding ``truth.json`` (default: the shipped folder).
    """
    folder = resources.sample_data_dir() if path is None else Path(path)
    f = folder / "truth.json"
    if not f.exists():
        raise SroiInputError(
            f"{f}: not found; run `python -m sroi.data.synthetic --out {folder}` to write it"
        )
    return json.loads(f.read_text(encoding="utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sroi.data.synthetic [--n-pupils N] [--seed S] [--out DIR] [--no-truth]``."""
    ap = argparse.ArgumentParser(
        prog="python -m sroi.data.synthetic",
        description="Write the synthetic impact_programmes sample (pupils.csv, panel.csv, truth.json).",
    )
    ap.add_argument("--n-pupils", type=int, default=DEFAULT_N_PUPILS)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=None, help="folder (default: the shipped one)")
    ap.add_argument("--no-truth", action="store_true", help="skip truth.json (faster)")
    ap.add_argument("--patt-pupils", type=int, default=300_000)
    args = ap.parse_args(argv)
    try:
        paths = write_sample(
            args.out,
            n_pupils=args.n_pupils,
            seed=args.seed,
            truth=not args.no_truth,
            patt_pupils=args.patt_pupils,
        )
    except SroiInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for p in paths.values():
        print(p)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
