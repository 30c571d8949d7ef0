"""Print the HTML report to PDF with headless Chromium (councils publish PDFs).

The report's print style sheet starts each main part on a new page, repeats table headers
across pages and keeps figures whole; Chromium's print footer adds page numbers. Chromium is
not a Python dependency: when it is not installed, :func:`print_pdf` raises
:class:`PdfUnavailable` with a message saying how to install it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from sroi.errors import SroiInputError

__all__ = ["CHROMIUM_NAMES", "PdfUnavailable", "find_chromium", "print_pdf"]

#: Executable names tried, in order, on the PATH.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfUnavailable(RuntimeError):
    """Headless Chromium is not installed (or failed), so no PDF was written."""


def find_chromium() -> str | None:
    """The path of a Chromium or Chrome executable on the PATH, or None.

    Returns
    -------
    str or None
        The first of :data:`CHROMIUM_NAMES` found.
    """
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def print_pdf(
    html_path: str | Path,
    pdf_path: str | Path | None = None,
    *,
    chromium: str | None = None,
    timeout: float = 300.0,
) -> Path:
    """Print an HTML report to PDF with headless Chromium.

    Parameters
    ----------
    html_path
        The report (``report.html``).
    pdf_path
        Where to write the PDF (default: next to the report, ``.pdf``).
    chromium
        The browser executable (default: :func:`find_chromium`).
    timeout
        Seconds before giving up.

    Returns
    -------
    pathlib.Path
        The PDF written.

    Raises
    ------
    SroiInputError
        When the HTML file does not exist.
    PdfUnavailable
        When Chromium is not installed or does not produce a PDF.
    """
    src = Path(html_path)
    if not src.is_file():
        raise SroiInputError(f"print_pdf: {src} is not a file")
    out = Path(pdf_path) if pdf_path is not None else src.with_suffix(".pdf")
    exe = chromium or find_chromium()
    if exe is None:
        raise PdfUnavailable(
            "no PDF: headless Chromium was not found (install it, e.g. `apt-get install "
            "chromium`, or print report.html to PDF from a browser)"
        )
    with tempfile.TemporaryDirectory(prefix="sroi-pdf-") as profile:
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={out.resolve()}",
            src.resolve().as_uri(),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfUnavailable(f"no PDF: Chromium failed ({exc})") from exc
    if not out.is_file() or out.stat().st_size == 0:
        raise PdfUnavailable(f"no PDF: Chromium did not write {out}")
    return out
