"""Provenance: what produced a set of numbers, recorded in every report and ``results.json``.

Package version, spec hash (SHA-256 of the validated spec, :meth:`sroi.Spec.hash`), data hash
(SHA-256 of the input files), random seed, Python version and platform, and the versions of the
main numerical libraries. The same spec, data and seed give the same numbers, and the same
bytes: the wall-clock time is not part of the record (``time_utc`` is ``null``) unless
``SOURCE_DATE_EPOCH`` is set (then it is that time, the reproducible-builds convention) or a
time is passed explicitly. ``sroi run`` writes the time it ran into ``run_log.json`` instead.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import sys
from importlib import metadata
from typing import Any

from sroi.errors import SroiInputError

__all__ = ["provenance", "library_versions", "fixed_time"]

_LIBRARIES = ("numpy", "scipy", "pandas", "statsmodels", "linearmodels", "matplotlib", "papermill")


def library_versions(names: tuple[str, ...] = _LIBRARIES) -> dict[str, str]:
    """Installed versions of the numerical libraries the results depend on."""
    out: dict[str, str] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def fixed_time() -> _dt.datetime | None:
    """The time from ``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC), or None when unset.

    Raises
    ------
    SroiInputError
        If the variable is set but is not a whole number of seconds.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise SroiInputError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, got {raw!r}"
        )
    return _dt.datetime.fromtimestamp(int(raw), _dt.UTC)


def provenance(
    *,
    spec_hash: str,
    data_hash: str,
    seed: int | None,
    spec_path: str | None = None,
    time: _dt.datetime | None = None,
) -> dict[str, Any]:
    """Provenance record for a report.

    Parameters
    ----------
    spec_hash, data_hash
        64-character SHA-256 hex digests of the spec and of the input data files.
    seed
        Random seed used for every random step (``None`` only when nothing was random).
    spec_path
        The spec file's name (only the file name is kept: folder paths can name people).
    time
        Time to record; default: ``SOURCE_DATE_EPOCH`` when set, else none (``time_utc`` is
        ``null``, so re-runs give byte-identical files).
    """
    for name, value in (("spec_hash", spec_hash), ("data_hash", data_hash)):
        if not isinstance(value, str) or len(value) != 64:
            raise SroiInputError(f"provenance: {name} must be a SHA-256 hex digest, got {value!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise SroiInputError(f"provenance: seed must be an integer or None, got {seed!r}")
    from sroi import __version__

    when = time if time is not None else fixed_time()
    return {
        "package": "sroi",
        "package_version": __version__,
        "spec_hash": spec_hash,
        "data_hash": data_hash,
        "seed": seed,
        "spec_file": None
        if spec_path is None
        else str(spec_path).replace("\\", "/").split("/")[-1],
        "time_utc": None
        if when is None
        else when.astimezone(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "libraries": library_versions(),
    }
