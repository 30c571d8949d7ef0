"""SciPy's root finders and solvers, with ``scipy.optimize`` imported on first use.

Importing ``scipy.optimize`` takes about 0.3 s. The report's notebook kernel imports the
estimation code before the report runs (:mod:`sroi.report.kernel`), and nothing the kernel
itself computes needs these functions: the honest-DiD bounds are computed by its worker
processes (which import ``scipy.optimize`` when they start, :mod:`sroi.report.workers`), and
the wild bootstrap's interval inversion, entropy-balancing weights, the Rosenbaum bounds and
the meta-analysis' heterogeneity estimators run only when a method asks for them. The
modules that use them import this module as ``optimize`` and call ``optimize.brentq`` etc.
"""

from __future__ import annotations

from typing import Any

__all__ = ["bisect", "brentq", "linprog", "minimize"]


def bisect(*args: Any, **kwargs: Any) -> Any:
    """:func:`scipy.optimize.bisect`."""
    from scipy.optimize import bisect as _bisect

    return _bisect(*args, **kwargs)


def brentq(*args: Any, **kwargs: Any) -> Any:
    """:func:`scipy.optimize.brentq`."""
    from scipy.optimize import brentq as _brentq

    return _brentq(*args, **kwargs)


def linprog(*args: Any, **kwargs: Any) -> Any:
    """:func:`scipy.optimize.linprog`."""
    from scipy.optimize import linprog as _linprog

    return _linprog(*args, **kwargs)


def minimize(*args: Any, **kwargs: Any) -> Any:
    """:func:`scipy.optimize.minimize`."""
    from scipy.optimize import minimize as _minimize

    return _minimize(*args, **kwargs)
