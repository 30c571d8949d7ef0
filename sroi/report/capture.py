"""Warnings raised while an evaluation is computed, kept per run for the report.

A :class:`WarningLog` belongs to one run (one report, one ``evaluate`` call): each step runs
inside ``log.capture("step name")`` and the warnings it raises are recorded with the step's
name, so they appear in the report's limitations instead of on stderr, and two runs in the
same process never share messages.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["WarningLog"]


@dataclass
class WarningLog:
    """Messages of the warnings raised by the steps of one run.

    Attributes
    ----------
    messages
        ``"<step>: <message>"``, in the order raised; the same message from another
        outcome's step is kept once.
    """

    messages: list[str] = field(default_factory=list)

    @contextmanager
    def capture(self, step: str) -> Iterator[None]:
        """Record the warnings raised inside the ``with`` block under ``step``.

        Deprecation warnings and NumPy's divide-by-zero runtime warnings are left out: they
        say nothing about the evaluation.

        Parameters
        ----------
        step
            Name shown before each message, e.g. ``"attendance: matched DiD"``.
        """
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield
            finally:
                self.record(step, caught)

    def extend(self, messages: list[str]) -> None:
        """Add the messages of another log (e.g. a worker's), as if recorded here in order.

        Parameters
        ----------
        messages
            ``"<step>: <message>"`` strings, as in :attr:`messages`.
        """
        seen = {m.split(": ", 1)[-1] for m in self.messages}
        for m in messages:
            short = m.split(": ", 1)[-1]
            if short not in seen:
                self.messages.append(m)
                seen.add(short)

    def record(self, step: str, caught: list[warnings.WarningMessage]) -> None:
        """Record warnings caught elsewhere under ``step``, as :meth:`capture` does.

        Parameters
        ----------
        step
            Name shown before each message.
        caught
            The warnings (``warnings.catch_warnings(record=True)``).
        """
        # "<outcome>: <step>: <message>" is shown once across outcomes
        seen = {m.split(": ", 1)[-1] for m in self.messages}
        short = step.split(": ", 1)[-1]
        for w in caught:
            if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
                continue
            if issubclass(w.category, RuntimeWarning) and "divide" in str(w.message):
                continue
            msg = str(w.message).strip()
            if f"{short}: {msg}" not in seen:
                self.messages.append(f"{step}: {msg}")
                seen.add(f"{short}: {msg}")
