"""Work ``sroi run`` does while the kernel runs the report notebook.

The command's own process waits for the kernel most of the time. :class:`Alongside` uses
that wait, on a second thread: as soon as the notebook has written ``results.json``, it runs
the work that needs only that file (the disclosure check of ``results.json`` and the live
workbook) while the kernel draws the report's figures. The results are the
same as running that work afterwards; only the waiting overlaps.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["Alongside"]

#: Seconds between looks for ``results.json``.
POLL = 0.1


def _complete_json(path: Path) -> bool:
    """True once ``path`` holds a whole JSON document (a cut-off object does not parse)."""
    try:
        json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return True


class Alongside(threading.Thread):
    """A thread that handles ``results.json`` once the notebook has written it.

    Parameters
    ----------
    results_path
        The ``results.json`` the notebook writes (absent when the thread starts).
    on_results
        Called with ``results_path`` once the file holds a whole JSON document.
    """

    def __init__(self, results_path: Path, on_results: Callable[[Path], None]) -> None:
        super().__init__(name="sroi-alongside", daemon=True)
        self.results_path = results_path
        self._on_results = on_results
        self._halt = threading.Event()
        self.handled = False
        self.error: BaseException | None = None

    def run(self) -> None:  # noqa: D102 - threading.Thread.run
        try:
            path, act = self.results_path, self._on_results
            while not self._halt.is_set():
                if path.exists() and _complete_json(path):
                    act(path)
                    self.handled = True
                    return
                self._halt.wait(POLL)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by finish()
            self.error = exc

    def abandon(self) -> bool:
        """Stop and join after the notebook failed; True if ``on_results`` had run."""
        self._halt.set()
        self.join()
        return self.handled

    def finish(self, *, handle: bool = True) -> bool:
        """Stop waiting for ``results.json``, join, and re-raise an error of the thread.

        Parameters
        ----------
        handle
            Run ``on_results`` now (in the caller's thread) if the file exists but the thread
            had not handled it yet.

        Returns
        -------
        bool
            Whether ``on_results`` has run (:attr:`handled`).
        """
        self._halt.set()
        self.join()
        if self.error is not None:
            raise self.error
        if handle and not self.handled and self.results_path.exists():
            self._on_results(self.results_path)
            self.handled = True
        return self.handled
