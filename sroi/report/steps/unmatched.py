"""Step 3b, apart: the checks on one outcome that use the unmatched sample only.

TWFE versus Callaway-Sant'Anna with the Bacon decomposition (every outcome) and, for the
primary outcome, the event study and the honest-DiD bounds from it
(:mod:`~sroi.report.steps.diagnostics`) need neither the matching nor the headline. They are
computed by :func:`unmatched_checks` on a record of their own, so a worker process can compute
them while the kernel still checks the inputs and matches, and added to the outcome's record
by :func:`add_unmatched_checks` with their warnings in the place they would have had: the
record, the warnings and their order are those of computing the checks on the outcome's
record after its headline.
"""

from __future__ import annotations

from dataclasses import dataclass

from sroi.data.loading import EvaluationData
from sroi.impact.did import EventStudyResult
from sroi.report.capture import WarningLog
from sroi.report.record import OutcomeResult
from sroi.report.steps.diagnostics import (
    compare_twfe_cs,
    event_study_of,
    honest_bounds,
    pretrend_from_event_study,
)
from sroi.spec import OutcomeSpec, Spec

__all__ = ["UnmatchedChecks", "unmatched_checks", "add_unmatched_checks"]

#: The record's fields each group of checks sets, and its keys of ``unavailable``.
_EVENT_STUDY_KEYS = ("event study",)
_HONEST_FIELDS = ("honest", "honest_breakdown")
_HONEST_KEYS = ("honest DiD",)
_COMPARISON_FIELDS = ("twfe", "cs_unmatched", "bacon", "twfe_vs_cs")
_COMPARISON_KEYS = ("TWFE", "Callaway-Sant'Anna (unmatched)", "Bacon decomposition")


@dataclass(frozen=True)
class UnmatchedChecks:
    """One outcome's checks on the unmatched sample (see :func:`unmatched_checks`).

    Attributes
    ----------
    record
        A record holding only what the checks set (estimates and reasons unavailable).
    event_study
        The Sun & Abraham event study (primary outcome; ``None`` otherwise or when the data
        do not allow one).
    event_study_warnings, honest_warnings, comparison_warnings
        The warnings of the event study, of the honest-DiD bounds and of TWFE versus
        Callaway-Sant'Anna and the Bacon decomposition, each in the order raised.
    """

    record: OutcomeResult
    event_study: EventStudyResult | None
    event_study_warnings: list[str]
    honest_warnings: list[str]
    comparison_warnings: list[str]


def unmatched_checks(
    data: EvaluationData, spec: Spec, outcome: OutcomeSpec, seed: int
) -> UnmatchedChecks:
    """The checks of ``outcome`` on the unmatched sample, on a record of their own.

    Parameters
    ----------
    data, spec
        As passed to the estimates (after
        :func:`~sroi.report.steps.school_design.prepare_design`).
    outcome
        The outcome's spec.
    seed
        Seed of every random step.

    Returns
    -------
    UnmatchedChecks
        Add them to the outcome's record with :func:`add_unmatched_checks`.
    """
    record = OutcomeResult.of(outcome)
    logs = WarningLog(), WarningLog(), WarningLog()
    es = None
    if outcome.primary:
        es = event_study_of(record, data, spec, logs[0])
        if es is not None:
            honest_bounds(record, es, seed, logs[1])
    compare_twfe_cs(record, data, spec, outcome, seed, logs[2])
    return UnmatchedChecks(record, es, *(log.messages for log in logs))


def add_unmatched_checks(
    res: OutcomeResult,
    checks: UnmatchedChecks,
    data: EvaluationData,
    spec: Spec,
    log: WarningLog,
) -> None:
    """Add ``checks`` to the outcome's record ``res`` (after its headline) and to ``log``.

    For the primary outcome the event study also gives the pre-trend test when the
    Callaway-Sant'Anna one could not be computed (computed here, where the headline is).

    Parameters
    ----------
    res
        The outcome's record, with its headline.
    checks
        :func:`unmatched_checks` of the same outcome, data, spec and seed.
    data, spec
        As passed to :func:`unmatched_checks`.
    log
        This run's warnings.
    """
    if checks.record.name != res.name:
        raise ValueError(f"checks of {checks.record.name!r} given for {res.name!r}")
    if res.primary:
        log.extend(checks.event_study_warnings)
        _copy(res, checks.record, (), _EVENT_STUDY_KEYS)
        if checks.event_study is not None:
            pretrend_from_event_study(res, checks.event_study, data, spec, log)
            log.extend(checks.honest_warnings)
            _copy(res, checks.record, _HONEST_FIELDS, _HONEST_KEYS)
    log.extend(checks.comparison_warnings)
    _copy(res, checks.record, _COMPARISON_FIELDS, _COMPARISON_KEYS)


def _copy(
    res: OutcomeResult, source: OutcomeResult, fields: tuple[str, ...], keys: tuple[str, ...]
) -> None:
    for name in fields:
        setattr(res, name, getattr(source, name))
    for key in keys:
        if key in source.unavailable:
            res.unavailable[key] = source.unavailable[key]
