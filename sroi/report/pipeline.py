"""The evaluation pipeline behind the report: data -> matching -> DiD -> value -> evidence.

Each step is a separate function so that the report notebook's cells stay thin and a failure
names its step. :func:`evaluate` runs them all and returns an :class:`EvaluationResult`.

Steps
-----
1. :func:`load_data` -- read and validate the data the spec names, counting exclusions.
2. :func:`describe_programme` -- cohorts, participants, schools (counts suppressed later).
3. :func:`estimate_outcomes` -- per outcome: matched staggered difference-in-differences
   (per-cohort matching on characteristics and pre-enrolment history, then Callaway &
   Sant'Anna, 2021, ATT(g,t) on the matched sample; the *group* aggregation is the headline
   because the *simple* aggregation over-weights cohorts observed for longer), the
   event study by time since start with a joint pre-trend test, two-way fixed effects (TWFE)
   versus Callaway-Sant'Anna on the same unmatched sample with the Goodman-Bacon (2021)
   decomposition, Rambachan & Roth (2023) bounds where the event-study covariance is
   available, and the minimum detectable effect (MDES ~= 2.8 x SE at 5% two-sided and 80%
   power, Bloom, 1995).
4. :func:`match_summary` -- the comparison group actually used (balance, overlap).
5. :func:`adjust_multiplicity` -- Holm (1979) or Benjamini-Hochberg (1995) adjusted p-values
   for the secondary outcomes; the primary outcome is tested unadjusted.
6. :func:`value_effects` -- :func:`sroi.value.run` and the Monte Carlo :func:`sroi.value.simulate`.
7. :func:`assess` -- the Maryland Scientific Methods Scale level and plain-words diagnostics.

A step whose module is not installed (or a diagnostic that fails) does not stop the report:
it is recorded in ``EvaluationResult.unavailable`` with its reason and shown as "section
unavailable: <reason>". Errors in the data or the spec always stop it (``SroiInputError``).
"""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sroi.effect import Effect
from sroi.errors import SroiInputError
from sroi.report.evidence import EvidenceAssessment, assess_evidence
from sroi.report.record import (
    MDES_MULTIPLIER,
    RARE_EVENTS,
    CohortMatch,
    EvaluationResult,
    MatchingSummary,
    OutcomeResult,
)

if TYPE_CHECKING:  # pragma: no cover
    from sroi.data.loading import EvaluationData
    from sroi.spec import OutcomeSpec, Spec

__all__ = [
    "load_spec",
    "load_data",
    "describe_programme",
    "estimate_outcomes",
    "estimate_outcome",
    "match_summary",
    "adjust_multiplicity",
    "value_effects",
    "assess",
    "evaluate",
]


# ------------------------------------------------------------------------------ helpers
def _module(name: str) -> Any | None:
    """Import ``name`` or return None when it (not one of its dependencies) is missing."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == name or name.startswith(exc.name + ".")):
            return None
        raise


def _missing(name: str) -> str:
    return f"module {name} is not available in this installation"


def _fail_reason(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {msg}"[:300]


class _Warnings:
    """Collect warnings raised inside a step so they appear in the report, not on stderr."""

    def __init__(self, sink: list[str], step: str) -> None:
        self.sink = sink
        self.step = step
        self._cm = warnings.catch_warnings(record=True)

    def __enter__(self) -> _Warnings:
        self._rec = self._cm.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc: Any) -> None:
        self._cm.__exit__(*exc)
        # the same message from another outcome's step is shown once
        seen = {t.split(": ", 1)[-1] for t in self.sink}
        step = self.step.split(": ", 1)[-1]
        for w in self._rec:
            if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
                continue
            if issubclass(w.category, RuntimeWarning) and "divide" in str(w.message):
                continue
            msg = str(w.message).strip()
            if f"{step}: {msg}" not in seen:
                self.sink.append(f"{self.step}: {msg}")
                seen.add(f"{step}: {msg}")


def _to_int(x: Any) -> int | None:
    try:
        v = int(x)
    except (TypeError, ValueError):
        return None
    return v


# ----------------------------------------------------------------------- steps: data
def load_spec(
    spec_path: Any, overrides: dict[str, Any] | None = None, seed: int | None = None
) -> Spec:
    """Load the spec, apply ``-p key=value`` overrides and an optional seed override."""
    from sroi.spec import Spec

    spec = spec_path if isinstance(spec_path, Spec) else Spec.load(spec_path)
    over = dict(overrides or {})
    if seed is not None:
        over["seed"] = int(seed)
    if "seed" in over and (isinstance(over["seed"], bool) or not isinstance(over["seed"], int)):
        raise SroiInputError(f"seed must be an integer, got {over['seed']!r}")
    return spec.with_overrides(over) if over else spec


def load_data(spec: Spec) -> EvaluationData:
    """Read and validate the evaluation data (:func:`sroi.data.load_evaluation_data`)."""
    from sroi.data.loading import load_evaluation_data

    return load_evaluation_data(spec)


def describe_programme(data: EvaluationData, spec: Spec) -> tuple[dict[str, Any], pd.DataFrame]:
    """Programme facts and the cohort table (participants and schools per enrolment term).

    Returns ``(programme, cohorts)``; counts are raw here and suppressed when shown.
    """
    r = data.roles
    units = data.units
    cohorts = units[units[r.cohort] > 0]
    tab = cohorts.groupby(r.cohort).agg(n_pupils=(r.unit, "size"))
    if r.cluster:
        tab["n_schools"] = cohorts.groupby(r.cohort)[r.cluster].nunique()
    tab = tab.reset_index().rename(columns={r.cohort: "cohort"})
    times = data.panel[r.time]
    last = int(times.max())
    tab["terms_observed_after_start"] = last - tab["cohort"].astype(int) + 1
    n_clusters = int(data.panel[r.cluster].nunique()) if r.cluster else None
    n_treated_clusters = int(cohorts[r.cluster].nunique()) if r.cluster else None
    prog = {
        "name": spec.programme.name,
        "description": " ".join(spec.programme.description.split()),
        "cohort_size": spec.programme.cohort_size,
        "start": None if spec.programme.start is None else spec.programme.start.isoformat(),
        "end": None if spec.programme.end is None else spec.programme.end.isoformat(),
        "n_units": data.n_units,
        "n_treated": data.n_treated,
        "n_comparison_pool": data.n_comparison,
        "n_rows": int(data.panel.shape[0]),
        "first_period": int(times.min()),
        "last_period": last,
        "n_periods": int(times.nunique()),
        "cluster": r.cluster,
        "n_clusters": n_clusters,
        "n_treated_clusters": n_treated_clusters,
        "comparison_pool": None
        if spec.design.comparison_pool is None
        else " ".join(spec.design.comparison_pool.description.split())
        or f"{spec.design.comparison_pool.column} == {spec.design.comparison_pool.value!r}",
    }
    return prog, tab


# ---------------------------------------------------------------- steps: estimation
def _covariates(spec: Spec) -> list[str]:
    """Matching covariates (exact-matching columns are passed separately via ``exact``)."""
    m = spec.design.matching
    return list(m.covariates) if m.covariates is not None else list(spec.data.columns.covariates)


class _RecordingMatcher:
    """Wraps ``sroi.match``: keeps each call's result and reuses it for identical input.

    The per-cohort matching data (characteristics and history) do not depend on the outcome,
    so the matches are computed once and shared by all outcomes (same data, same options,
    same seed give the same matches).
    """

    def __init__(self, match: Callable[..., Any], cache: dict[str, Any] | None = None) -> None:
        self.match = match
        self.calls: list[tuple[pd.DataFrame, dict[str, Any], Any]] = []
        self.cache = cache if cache is not None else {}

    @staticmethod
    def _key(df: pd.DataFrame, kwargs: dict[str, Any]) -> str:
        import hashlib

        h = hashlib.sha256()
        h.update(repr(list(df.columns)).encode())
        h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
        h.update(repr(sorted((k, repr(v)) for k, v in kwargs.items())).encode())
        return h.hexdigest()

    def __call__(self, df: pd.DataFrame, **kwargs: Any) -> Any:
        key = self._key(df, kwargs)
        res = self.cache.get(key)
        if res is None:
            res = self.match(df, **kwargs)
            self.cache[key] = res
        self.calls.append((df, kwargs, res))
        return res


def _match_kwargs(spec: Spec) -> dict[str, Any]:
    m = spec.design.matching
    kw: dict[str, Any] = {
        "method": m.method,
        "distance": m.distance,
        "ratio": m.ratio,
        "replace": m.replace,
        "caliper": m.caliper,
    }
    if m.exact:
        kw["exact"] = list(m.exact)
    if m.order is not None:
        kw["order"] = m.order
    if m.link is not None:
        kw["link"] = m.link
    if not m.std_caliper:
        kw["std_caliper"] = False
    if m.discard != "none":
        kw["discard"] = m.discard
    return kw


def _overall(res: Any, kind: str) -> Effect | None:
    """Overall Effect of a staggered-DiD aggregation."""
    return res.aggregate(kind).overall


def _table(res: Any, kind: str, **kwargs: Any) -> pd.DataFrame | None:
    try:
        return res.aggregate(kind, **kwargs).table
    except Exception:  # noqa: BLE001 - an optional table
        return None


def _pretrend(res: Any) -> dict[str, Any] | None:
    out = res.pretrend_test()
    return {
        "statistic": float(out.statistic),
        "df": int(out.df),
        "p_value": float(out.p_value),
        "method": out.method,
    }


def _event_table(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """Normalise an event-time table to event_time, estimate, std_error, ci_low, ci_high."""
    if df is None or df.empty:
        return None
    d = df.rename(
        columns={
            "e": "event_time",
            "att": "estimate",
            "se": "std_error",
            "lower": "ci_low",
            "upper": "ci_high",
        }
    )
    need = ["event_time", "estimate", "ci_low", "ci_high"]
    if not all(c in d.columns for c in need):
        return None
    cols = need + [c for c in ("std_error", "n_treated") if c in d.columns]
    return d[cols].sort_values("event_time").reset_index(drop=True)


def _match_summary_from(
    calls: list[tuple[pd.DataFrame, dict[str, Any], Any]], res: Any
) -> MatchingSummary | None:
    """Per-cohort matching summary from the matched-DiD result or the recorded match calls."""
    objs: list[tuple[int | None, Any]] = []
    per = getattr(res, "matches", None)
    if isinstance(per, dict) and per:
        objs = [(_to_int(k), v) for k, v in per.items()]
    elif calls:
        objs = [(None, c[2]) for c in calls]
    if not objs:
        return None
    cohorts = []
    for i, (g, m) in enumerate(objs):
        cohorts.append(_cohort_match(g if g is not None else i + 1, m))
    return MatchingSummary(
        method="nearest-neighbour on the propensity score",
        cohorts=cohorts,
        source="per-cohort matches used by the matched staggered DiD",
    )


def _normalise_balance(b: pd.DataFrame) -> pd.DataFrame:
    """Balance table to: covariate, smd_before, smd_after, var_ratio_before, var_ratio_after."""
    d = b.copy()
    if "covariate" not in d.columns:
        d = d.reset_index()
        d = d.rename(columns={d.columns[0]: "covariate"})
    ren: dict[str, str] = {}
    for c in d.columns:
        lc = str(c).lower()
        stage = (
            "before"
            if any(s in lc for s in ("before", "_un", "unadj", "all"))
            else ("after" if any(s in lc for s in ("after", "_adj", "matched")) else None)
        )
        if stage is None:
            continue
        if "smd" in lc or "std_diff" in lc or "diff" in lc:
            ren[c] = f"smd_{stage}"
        elif "var" in lc:
            ren[c] = f"var_ratio_{stage}"
        elif "ks" in lc:
            ren[c] = f"ks_{stage}"
    d = d.rename(columns=ren)
    d = d.loc[:, ~d.columns.duplicated()]
    keep = ["covariate"] + [
        c
        for c in (
            "smd_before",
            "smd_after",
            "var_ratio_before",
            "var_ratio_after",
            "ks_before",
            "ks_after",
        )
        if c in d
    ]
    out = d[keep].copy()
    out["covariate"] = out["covariate"].astype(str)
    for c in keep[1:]:
        out[c] = pd.to_numeric(out[c], errors="coerce")
    for c in ("var_ratio_before", "var_ratio_after"):
        if c in out:  # binary covariates: no variance ratio (reported as 0 by some tools)
            out.loc[out[c] <= 0, c] = np.nan
    return out


def _cohort_match(g: int, m: Any) -> CohortMatch:
    # every input row (weight 0 when unused) when the match object offers it
    data = getattr(m, "all_data", None)
    if not isinstance(data, pd.DataFrame):
        data = getattr(m, "data", None)
    n_t = n_tm = n_cm = 0
    dt = dc = None
    if isinstance(data, pd.DataFrame) and "weights" in data.columns:
        tcol = getattr(m, "treatment", None)
        if not isinstance(tcol, str) or tcol not in data.columns:
            tcol = next(
                (c for c in ("treated", "treatment", "_treated", "enrolled") if c in data.columns),
                None,
            )
        if tcol is not None:
            t = data[tcol].astype(bool).to_numpy()
            w = data["weights"].to_numpy(dtype=float)
            n_t = int(t.sum())
            n_tm = int((t & (w > 0)).sum())
            n_cm = int((~t & (w > 0)).sum())
            if "distance" in data.columns:
                dist = pd.to_numeric(data["distance"], errors="coerce").to_numpy(dtype=float)
                dt, dc = dist[t], dist[~t]
    bal = None
    fn = getattr(m, "balance", None)
    if callable(fn):
        try:
            raw = fn()
            if isinstance(raw, pd.DataFrame) and not raw.empty:
                bal = _normalise_balance(raw)
        except Exception:  # noqa: BLE001 - balance is reported as unavailable below
            bal = None
    return CohortMatch(
        cohort=int(g),
        n_treated=n_t,
        n_treated_matched=n_tm,
        n_controls_matched=n_cm,
        balance=bal,
        distance_treated=dt,
        distance_control=dc,
    )


def estimate_outcome(
    data: EvaluationData,
    spec: Spec,
    outcome: OutcomeSpec,
    random_state: int | None = None,
    *,
    warnings_sink: list[str] | None = None,
    diagnostics: bool = True,
    match_cache: dict[str, Any] | None = None,
) -> OutcomeResult:
    """Estimate the programme's effect on one outcome (see the module docstring, step 3).

    The headline is the Callaway & Sant'Anna (2021) *group* aggregation,
    ``theta = sum_g P(G = g | treated) * mean_{t >= g} ATT(g, t)``, estimated on the matched
    sample (``design.did.matched: true``) or the whole analysis sample.
    """
    r = data.roles
    d = spec.design.did
    panel = data.panel
    sink = warnings_sink if warnings_sink is not None else []
    res = OutcomeResult(
        name=outcome.name,
        column=outcome.column,
        label=outcome.label or outcome.name,
        unit=outcome.unit,
        type=outcome.type,
        direction=outcome.direction,
        primary=outcome.primary,
    )
    treated_rows = panel[r.cohort] > 0
    pre = treated_rows & (panel[r.time] < panel[r.cohort])
    if pre.any():
        res.baseline_mean = float(panel.loc[pre, outcome.column].mean())
    if outcome.type in ("binary", "count"):
        res.n_events_treated = float(panel.loc[treated_rows, outcome.column].sum())
        res.rare = res.n_events_treated < RARE_EVENTS
    cluster = d.cluster or r.cluster
    seed = spec.seed if random_state is None else random_state

    # --- headline: matched (or unmatched) Callaway-Sant'Anna
    cs_res = None
    res.matched = bool(d.matched and spec.design.matching.method != "none")
    if res.matched:
        mod = _module("sroi.impact.staggered")
        match_mod = _module("sroi.impact.matching")
        if mod is None or match_mod is None:
            why = _missing("sroi.impact.staggered" if mod is None else "sroi.impact.matching")
            res.unavailable["matched DiD"] = (
                why + "; the headline uses Callaway-Sant'Anna on the unmatched comparison pool"
            )
            res.matched = False
        else:
            recorder = _RecordingMatcher(match_mod.match, match_cache)
            with _Warnings(sink, f"{outcome.name}: matched DiD"):
                cs_res = mod.matched_staggered_did(
                    panel,
                    outcome=outcome.column,
                    unit=r.unit,
                    time=r.time,
                    cohort=r.cohort,
                    covariates=_covariates(spec),
                    # the spec's list as is: [] means no history (None would mean the outcome)
                    history=list(spec.design.matching.history),
                    history_periods=spec.design.matching.history_periods,
                    match_kwargs=_match_kwargs(spec),
                    estimator=d.estimator,
                    anticipation=d.anticipation,
                    random_state=seed,
                    matcher=recorder,
                    **_optional_kwargs(
                        mod.matched_staggered_did,
                        n_boot=d.n_boot,
                        cluster=cluster,
                        control_group=d.control_group,
                        base_period=d.base_period,
                    ),
                )
            res.matching = _match_summary_from(recorder.calls, cs_res)
    if not res.matched:
        mod = _module("sroi.impact.staggered")
        if mod is None:
            res.unavailable["headline"] = _missing("sroi.impact.staggered")
        else:
            with _Warnings(sink, f"{outcome.name}: staggered DiD"):
                cs_res = mod.staggered_did(
                    panel,
                    outcome=outcome.column,
                    unit=r.unit,
                    time=r.time,
                    cohort=r.cohort,
                    control_group=d.control_group,
                    estimator=d.estimator,
                    covariates=list(d.covariates) or None,
                    anticipation=d.anticipation,
                    base_period=d.base_period,
                    n_boot=d.n_boot,
                    random_state=seed,
                    cluster=cluster,
                )
    if cs_res is not None:
        head = _overall(cs_res, "group")
        if head is None:
            res.unavailable["headline"] = (
                "the staggered DiD result has no overall group aggregation"
            )
        else:
            # Effects carry the spec's outcome *name* (what valuation and `sroi value` key on)
            res.headline = head.with_(outcome=outcome.name)
            if res.rare:
                # too few events among participants: shown, but flagged so that valuation
                # (here and in `sroi value` from results.json) does not treat it as known
                res.headline = res.headline.with_(
                    extra={
                        **(res.headline.extra or {}),
                        "estimable": False,
                        "not_estimable_reason": (
                            f"fewer than {RARE_EVENTS} events among participants"
                        ),
                    }
                )
            res.mdes = (
                MDES_MULTIPLIER * head.std_error
                if head.std_error is not None and math.isfinite(head.std_error)
                else None
            )
        try:
            simple = cs_res.aggregate("simple").overall
            res.simple = None if simple is None else simple.with_(outcome=outcome.name)
        except Exception as exc:  # noqa: BLE001
            res.unavailable["simple aggregation"] = _fail_reason(exc)
        att = getattr(cs_res, "att_gt", None)
        res.att_gt = att.copy() if isinstance(att, pd.DataFrame) else None
        res.by_cohort = _table(cs_res, "group")
        # event times within the spec's window (design.did.window), as in the event study
        res.event_time = _event_table(
            _table(cs_res, "dynamic", min_e=d.window[0], max_e=d.window[1])
        )
        try:
            with _Warnings(sink, f"{outcome.name}: pre-trend test"):
                res.pretrend = _pretrend(cs_res)
            if res.pretrend is not None:
                n_tc = getattr(cs_res, "n_treated_clusters", None)
                q = res.pretrend.get("df")
                # a clustered Wald test of q pre-period cells needs more than q treated
                # clusters; otherwise its covariance is near singular and it over-rejects
                res.pretrend["reliable"] = _pretrend_reliable(q, n_tc, cluster)
                res.pretrend.setdefault("method", "joint Wald test of pre-period ATT(g,t)")
        except Exception as exc:  # noqa: BLE001
            res.unavailable["pre-trend test"] = _fail_reason(exc)
    if res.event_time is None or res.pretrend is None:
        _event_study_fallback(res, panel, r, d, cluster, sink)
    if diagnostics:
        _twfe_vs_cs(res, panel, r, d, cluster, sink, seed)
        if res.twfe is not None:
            res.twfe = res.twfe.with_(outcome=outcome.name)
        if res.cs_unmatched is not None:
            res.cs_unmatched = res.cs_unmatched.with_(outcome=outcome.name)
        if outcome.primary:
            _honest(res, panel, r, d, cluster, sink, seed)
    return res


def _optional_kwargs(fn: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    """Keyword arguments that ``fn`` accepts (so optional options pass only where supported)."""
    import inspect

    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in params}


def _event_study_fallback(
    res: OutcomeResult, panel: pd.DataFrame, r: Any, d: Any, cluster: str | None, sink: list[str]
) -> None:
    mod = _module("sroi.impact.did")
    if mod is None:
        res.unavailable["event study"] = _missing("sroi.impact.did")
        return
    try:
        with _Warnings(sink, f"{res.name}: event study"):
            es = mod.event_study(
                panel,
                outcome=res.column,
                unit=r.unit,
                time=r.time,
                cohort=r.cohort,
                window=tuple(d.window),
                reference=-1,
                **_optional_kwargs(mod.event_study, method="sun_abraham", cluster=cluster),
            )
        if res.event_time is None:
            res.event_time = _event_table(getattr(es, "coefficients", None))
        if res.pretrend is None:
            with _Warnings(sink, f"{res.name}: event-study pre-trend test"):
                res.pretrend = _pretrend(es)
            if res.pretrend is not None:
                q, n_tc = res.pretrend.get("df"), _n_treated_clusters(panel, r, cluster)
                res.pretrend["reliable"] = _pretrend_reliable(q, n_tc, cluster)
                res.pretrend.setdefault(
                    "method", "event study (" + str(getattr(es, "method", "")) + ")"
                )
                res.unavailable.pop("pre-trend test", None)
    except Exception as exc:  # noqa: BLE001 - a diagnostic, reported as unavailable
        res.unavailable["event study"] = _fail_reason(exc)


#: Below this many treated clusters, cluster-robust Wald tests over-reject (Cameron, Gelbach &
#: Miller, 2008); the pre-trend test is then reported as unreliable.
MIN_TREATED_CLUSTERS = 10


def _pretrend_reliable(q: Any, n_tc: int | None, cluster: str | None) -> bool:
    """False when a clustered Wald test of ``q`` restrictions cannot be trusted: fewer than
    :data:`MIN_TREATED_CLUSTERS` treated clusters, or at least as many restrictions as treated
    clusters (the clustered covariance is then near singular)."""
    if cluster is None or n_tc is None:
        return True
    if n_tc < MIN_TREATED_CLUSTERS:
        return False
    return not (q is not None and int(q) >= n_tc)


def _n_treated_clusters(panel: pd.DataFrame, r: Any, cluster: str | None) -> int | None:
    if cluster is None or cluster not in panel.columns:
        return None
    return int(panel.loc[panel[r.cohort] > 0, cluster].nunique())


def _twfe_vs_cs(
    res: OutcomeResult,
    panel: pd.DataFrame,
    r: Any,
    d: Any,
    cluster: str | None,
    sink: list[str],
    seed: int | None,
) -> None:
    did_mod = _module("sroi.impact.did")
    st_mod = _module("sroi.impact.staggered")
    bacon_mod = _module("sroi.impact.did")
    if did_mod is None:
        res.unavailable["TWFE"] = _missing("sroi.impact.did")
    else:
        try:
            with _Warnings(sink, f"{res.name}: TWFE"):
                res.twfe = did_mod.did(
                    panel,
                    outcome=res.column,
                    unit=r.unit,
                    time=r.time,
                    cohort=r.cohort,
                    cluster=cluster,
                    **_optional_kwargs(did_mod.did, vcov="cluster", random_state=seed),
                )
        except Exception as exc:  # noqa: BLE001
            res.unavailable["TWFE"] = _fail_reason(exc)
    if st_mod is None:
        res.unavailable["Callaway-Sant'Anna (unmatched)"] = _missing("sroi.impact.staggered")
    else:
        try:
            with _Warnings(sink, f"{res.name}: unmatched CS"):
                cs = st_mod.staggered_did(
                    panel,
                    outcome=res.column,
                    unit=r.unit,
                    time=r.time,
                    cohort=r.cohort,
                    control_group=d.control_group,
                    estimator=d.estimator if d.covariates else "reg",
                    covariates=list(d.covariates) or None,
                    anticipation=d.anticipation,
                    base_period=d.base_period,
                    n_boot=0,
                    cluster=cluster,
                )
            res.cs_unmatched = _overall(cs, "simple")
        except Exception as exc:  # noqa: BLE001
            res.unavailable["Callaway-Sant'Anna (unmatched)"] = _fail_reason(exc)
    if bacon_mod is None:
        res.unavailable["Bacon decomposition"] = _missing("sroi.impact.did")
    else:
        try:
            with _Warnings(sink, f"{res.name}: Bacon"):
                res.bacon = bacon_mod.bacon_decomposition(
                    panel, outcome=res.column, unit=r.unit, time=r.time, cohort=r.cohort
                )
            fn = getattr(bacon_mod, "twfe_vs_cs_warning", None)
            if callable(fn) and res.twfe is not None and res.cs_unmatched is not None:
                res.twfe_vs_cs = fn(
                    res.twfe, res.cs_unmatched, **_optional_kwargs(fn, bacon=res.bacon, warn=False)
                )
        except Exception as exc:  # noqa: BLE001
            res.unavailable["Bacon decomposition"] = _fail_reason(exc)


def _honest(
    res: OutcomeResult,
    panel: pd.DataFrame,
    r: Any,
    d: Any,
    cluster: str | None,
    sink: list[str],
    seed: int | None,
) -> None:
    """Rambachan & Roth (2023) relative-magnitude bounds for the average post-period effect.

    Uses a Sun & Abraham (2021) event study (unmatched sample, clustered covariance) because
    the bounds need the full covariance of the event-time coefficients.
    """
    hd = _module("sroi.impact.did")
    es_mod = _module("sroi.impact.did")
    if hd is None or es_mod is None:
        res.unavailable["honest DiD"] = _missing(
            "sroi.impact.did"
        )
        return
    try:
        with _Warnings(sink, f"{res.name}: honest DiD"):
            es = es_mod.event_study(
                panel,
                outcome=res.column,
                unit=r.unit,
                time=r.time,
                cohort=r.cohort,
                window=tuple(d.window),
                reference=-1,
                **_optional_kwargs(es_mod.event_study, method="sun_abraham", cluster=cluster),
            )
            co = es.coefficients
            est = co[co["std_error"].notna()] if "std_error" in co else co
            n_post = int((est["event_time"] >= 0).sum())
            out = hd.honest_did(
                es,
                method="relative_magnitude",
                **_optional_kwargs(
                    hd.honest_did,
                    l_vec=np.full(n_post, 1.0 / n_post),
                    n_sim=20_000,
                    random_state=seed,
                ),
            )
        if isinstance(out, pd.DataFrame):
            res.honest = out
            bd = out.attrs.get("breakdown")
            if bd is not None and not np.isnan(float(bd)):
                res.honest_breakdown = float(bd)
    except Exception as exc:  # noqa: BLE001 - a diagnostic, reported as unavailable
        res.unavailable["honest DiD"] = _fail_reason(exc)


def estimate_outcomes(
    data: EvaluationData,
    spec: Spec,
    random_state: int | None = None,
    *,
    warnings_sink: list[str] | None = None,
) -> dict[str, OutcomeResult]:
    """:func:`estimate_outcome` for every outcome in the spec, the primary outcome first."""
    ordered = sorted(spec.design.outcomes, key=lambda o: not o.primary)
    cache: dict[str, Any] = {}
    return {
        o.name: estimate_outcome(
            data, spec, o, random_state, warnings_sink=warnings_sink, match_cache=cache
        )
        for o in ordered
    }


def match_summary(outcomes: dict[str, OutcomeResult]) -> MatchingSummary | None:
    """The comparison group shown in the report: the matches used for the primary outcome."""
    prim = next((o for o in outcomes.values() if o.primary), None)
    return None if prim is None else prim.matching


def adjust_multiplicity(outcomes: dict[str, OutcomeResult], spec: Spec) -> pd.DataFrame | None:
    """Holm / Benjamini-Hochberg adjusted p-values for secondary outcomes (primary unadjusted)."""
    effects = {k: o.headline for k, o in outcomes.items() if o.headline is not None}
    primary = spec.design.primary_outcome.name
    if primary not in effects:
        return None
    mod = _module("sroi.impact.inference.multiplicity")
    if mod is None:
        return None
    table = mod.adjust_secondary(effects, primary, method=spec.design.multiplicity)
    for row in table.itertuples():
        o = outcomes[row.outcome]
        o.p_adjusted = None if pd.isna(row.p_adjusted) else float(row.p_adjusted)
        o.adjustment = str(row.adjustment)
    return table


# ------------------------------------------------------------------ steps: value
def value_effects(
    spec: Spec,
    effects: dict[str, Effect],
    random_state: int | None = None,
    *,
    n_draws: int = 10_000,
    warnings_sink: list[str] | None = None,
) -> tuple[Any | None, Any | None, str | None]:
    """Value the headline effects: ``(ValueResult, SimulationResult, reason unavailable)``."""
    if spec.valuation is None:
        return None, None, "the spec has no valuation section"
    mod = _module("sroi.value")
    if mod is None or not hasattr(mod, "run"):
        return None, None, "sroi.value.run is not available in this installation"
    sink = warnings_sink if warnings_sink is not None else []
    with _Warnings(sink, "valuation"):
        value = mod.run(spec, effects)
    sim = None
    if hasattr(mod, "simulate"):
        seed = spec.seed if random_state is None else random_state
        with _Warnings(sink, "Monte Carlo"):
            sim = mod.simulate(spec, effects, n_draws=n_draws, random_state=seed)
    return value, sim, None


# ---------------------------------------------------------------- steps: evidence
def assess(result: EvaluationResult) -> EvidenceAssessment:
    """Maryland SMS level of the design used, with plain-words diagnostics."""
    prim = result.primary
    if prim.headline is None:
        design = "assumed effects" if result.value is not None else "difference-in-differences"
    else:
        design = result.design
    m = result.matching
    rare = [o.label for o in result.outcomes.values() if o.rare]
    return assess_evidence(
        design,
        max_abs_smd=None if m is None else m.max_abs_smd(),
        worst_variance_ratio=None if m is None else m.worst_variance_ratio(),
        pretrend_p=None if prim.pretrend is None else _float(prim.pretrend.get("p_value")),
        pretrend_reliable=True
        if prim.pretrend is None
        else bool(prim.pretrend.get("reliable", True)),
        alpha=result.spec.design.alpha,
        honest_breakdown=prim.honest_breakdown,
        share_treated_unmatched=None if m is None else m.share_unmatched,
        n_treated_clusters=result.programme.get("n_treated_clusters"),
        primary_estimate=None if prim.headline is None else prim.headline.estimate,
        primary_mdes=prim.mdes,
        rare_outcomes=rare or None,
        effect_format=_effect_formatter(prim.type),
    )


def _effect_formatter(outcome_type: str) -> Callable[[float], str]:
    def fmt(v: float) -> str:
        if outcome_type in ("rate", "binary"):
            return f"{v * 100:.2f} percentage points"
        return f"{v:.3g}"

    return fmt


def _float(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def evaluate(spec: Spec | Any, random_state: int | None = None) -> EvaluationResult:
    """Run the whole evaluation (steps 1-7 of the module docstring).

    Parameters
    ----------
    spec
        An :class:`sroi.Spec` or a path to ``evaluation.yaml``.
    random_state
        Seed for every random step (matching order ties, bootstrap, Monte Carlo);
        default: the spec's ``seed``.
    """
    from sroi.spec import Spec as _Spec

    if not isinstance(spec, _Spec):
        spec = load_spec(spec)
    if random_state is not None and (
        isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer))
    ):
        raise SroiInputError(
            f"evaluate: random_state must be an integer or None, got {random_state!r}"
        )
    seed = spec.seed if random_state is None else int(random_state)
    sink: list[str] = []
    data = load_data(spec)
    programme, cohorts = describe_programme(data, spec)
    outcomes = estimate_outcomes(data, spec, seed, warnings_sink=sink)
    return assemble(spec, data, programme, cohorts, outcomes, seed, sink)


def assemble(
    spec: Spec,
    data: EvaluationData,
    programme: dict[str, Any],
    cohorts: pd.DataFrame,
    outcomes: dict[str, OutcomeResult],
    seed: int | None,
    warnings_sink: list[str] | None = None,
    *,
    n_draws: int = 10_000,
) -> EvaluationResult:
    """Multiplicity, valuation and evidence on top of the estimated outcomes."""
    sink = warnings_sink if warnings_sink is not None else []
    unavailable: dict[str, str] = {}
    multiplicity = adjust_multiplicity(outcomes, spec)
    if multiplicity is None:
        unavailable["multiple-outcome adjustment"] = "needs the primary outcome's estimate"
    effects = {k: o.headline for k, o in outcomes.items() if o.headline is not None}
    value = sim = None
    if effects or (spec.valuation is not None and spec.valuation.assumed_effects):
        value, sim, why = value_effects(spec, effects, seed, n_draws=n_draws, warnings_sink=sink)
        if why:
            unavailable["value"] = why
    else:
        unavailable["value"] = "no estimated effects to value"
    for name, o in outcomes.items():
        for part, why in o.unavailable.items():
            unavailable[f"{name}: {part}"] = why
    result = EvaluationResult(
        spec=spec,
        programme=programme,
        cohorts=cohorts,
        exclusions=data.exclusions,
        outcomes=outcomes,
        matching=match_summary(outcomes),
        multiplicity=multiplicity,
        value=value,
        simulation=sim,
        evidence=None,
        data_hash=data.data_hash,
        seed=seed,
        unavailable=unavailable,
        warnings=sink,
        identifiers=_identifiers(data),
        design="matched staggered difference-in-differences"
        if all(o.matched for o in outcomes.values())
        else "staggered difference-in-differences",
    )
    if result.primary.headline is not None:
        result.evidence = assess(result)
    else:
        unavailable["evidence strength"] = "the main outcome's effect could not be estimated"
    return result


def _identifiers(data: EvaluationData) -> dict[str, frozenset[str]]:
    r = data.roles
    out = {r.unit: frozenset(data.units[r.unit].astype(str))}
    if r.cluster:
        out[r.cluster] = frozenset(data.units[r.cluster].astype(str))
    return out
