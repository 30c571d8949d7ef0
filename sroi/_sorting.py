"""A stable argsort built on NumPy's faster unstable sort.

NumPy's default ``argsort`` (``kind="quicksort"``) is vectorised (x86-simd-sort, Highway)
and several times faster than ``kind="stable"`` (timsort or radix sort) on floats, but it
orders equal values arbitrarily. :func:`stable_argsort` sorts with it, then restores the
order of positions within each run of equal values, which gives exactly the permutation of
``np.argsort(values, kind="stable")``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["stable_argsort"]


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """Indices that sort ``values`` ascending, equal values in position order.

    Identical to ``np.argsort(values, kind="stable")`` for a one-dimensional array: the
    array is sorted by the unstable (vectorised) sort, and where equal values occur their
    indices are put back in increasing order by one sort of integer keys ``run * n + index``
    (runs of equal values are contiguous after the first sort). Arrays holding NaN take the
    stable sort directly.

    Parameters
    ----------
    values
        One-dimensional array (floats or integers).

    Returns
    -------
    numpy.ndarray
        ``int64`` permutation of ``range(len(values))``.
    """
    v = np.asarray(values)
    if v.ndim != 1:
        raise ValueError(f"stable_argsort sorts one-dimensional arrays, got shape {v.shape}")
    n = len(v)
    order = np.argsort(v).astype(np.int64, copy=False)
    if n < 2:
        return order
    ranked = v[order]
    if ranked.dtype.kind in "fc" and np.isnan(ranked[-1]):
        return np.argsort(v, kind="stable").astype(np.int64, copy=False)
    new_run = ranked[1:] != ranked[:-1]
    if new_run.all():
        return order
    run = np.empty(n, dtype=np.int64)
    run[0] = 0
    np.cumsum(new_run, out=run[1:])
    run *= n
    key = np.sort(run + order)
    return key - run
