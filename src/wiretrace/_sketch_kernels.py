"""Compiled inner loops (numba) of the sketch stage: the shingles of many documents at once,
boilerplate left out.

Kept apart from `_kernels` so that changing one stage's kernels does not make numba compile the
others again (its on-disk cache is kept per source file). `boilerplate.mask_many` is the one
caller; it is tested against `boilerplate_mask` and `mask_runs`, document by document.
"""

from __future__ import annotations

import numpy as np
from numba import types

from wiretrace._kernels import _array, _compiled, _mix64

_HASH_BASE = np.uint64(0x100000001B3)

_MASK_MANY = [
    (ids, types.int64[::1], types.uint64[::1], boilerplate, types.uint64, flags, types.int64)
    for ids in _array(types.uint64)
    for boilerplate in _array(types.uint64)
    for flags in _array(types.bool_)
]


@_compiled()
def _is_boilerplate(value, boilerplate, shift, flags):
    """Whether `value` is in `boilerplate` (sorted): first its top bits' flag (when `flags` is
    not empty), then a binary search."""
    if len(boilerplate) == 0:
        return False
    if len(flags) and not flags[np.int64(value >> shift)]:
        return False
    low, high = 0, len(boilerplate)
    while low < high:
        middle = (low + high) >> 1
        if boilerplate[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low < len(boilerplate) and boilerplate[low] == value


@_compiled(_MASK_MANY)
def mask_many(ids, offsets, salts, boilerplate, shift, flags, size):
    """boilerplate.mask_many: each document's shingles (document k's token ids are
    ids[offsets[k]:offsets[k + 1]]) salted with salts[k] and looked up in `boilerplate`; returns
    (the 32-bit hashes of the shingles that are not boilerplate, their offsets per document, the
    runs of boilerplate words as (first, after) rows, their offsets per document)."""
    documents = len(offsets) - 1
    values = np.empty(len(ids), dtype=np.uint32)
    value_offsets = np.zeros(documents + 1, dtype=np.int64)
    runs = np.empty((len(ids), 2), dtype=np.int32)
    run_offsets = np.zeros(documents + 1, dtype=np.int64)
    kept = 0
    found = 0
    for document in range(documents):
        first, count = offsets[document], offsets[document + 1] - offsets[document]
        width = min(size, count)
        run_start, run_end = -1, -1
        for start in range(count - width + 1 if count else 0):
            value = np.uint64(0)
            for k in range(width):
                value = _mix64(value * _HASH_BASE + ids[first + start + k])
            if _is_boilerplate(value ^ salts[document], boilerplate, shift, flags):
                # Shingles come in order: a masked one joins the current run or starts one.
                if start <= run_end:
                    run_end = max(run_end, start + width)
                else:
                    if run_end >= 0:
                        runs[found, 0], runs[found, 1] = run_start, run_end
                        found += 1
                    run_start, run_end = start, start + width
            else:
                values[kept] = np.uint32((value >> np.uint64(32)) ^ (value & np.uint64(0xFFFFFFFF)))
                kept += 1
        if run_end >= 0:
            runs[found, 0], runs[found, 1] = run_start, run_end
            found += 1
        value_offsets[document + 1] = kept
        run_offsets[document + 1] = found
    return values[:kept].copy(), value_offsets, runs[:found].copy(), run_offsets
