"""numpy helpers used across the stages."""

from __future__ import annotations

import numpy as np


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-d integer array: `np.unique(values)`, by sorting.

    numpy 2.3 and later compute a plain `np.unique` by hashing, which for 64-bit integers costs
    5x a sort for a thousand values and 50x for a million.
    """
    ordered = np.sort(np.asarray(values).ravel())
    if len(ordered) == 0:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def writable(array: np.ndarray, dtype: type) -> np.ndarray:
    """`np.require(array, dtype, ["C", "W"])`, as the compiled loops take arrays: `array` itself
    when it is one already (the usual case, told without numpy's longer call)."""
    flags = array.flags
    if array.dtype == dtype and flags.c_contiguous and flags.writeable:
        return array
    return np.require(array, dtype, ["C", "W"])
