"""Compiled inner loops (numba) of the sketch and candidate stages: the shingles of many
documents at once, boilerplate left out; the pairs of documents sharing LSH buckets.

Kept apart from `_kernels` so that changing one stage's kernels does not make numba compile the
others again (its on-disk cache is kept per source file). `boilerplate.mask_many` is the one
caller of the first, tested against `boilerplate_mask` and `mask_runs` document by document;
`index.lsh.bucket_pairs` of the second, tested against `bucket_pairs_plain`.
"""

from __future__ import annotations

import numpy as np
from numba import types

from wiretrace._kernels import _HASH_BASE, _LENGTH_SALT, _compiled, _mix64, _sort_few

_U64 = types.uint64[::1]

# One signature each (writable C arrays: the callers make them so): every signature is compiled
# on a machine's first use.
_MASK_MANY = [
    (_U64, types.int64[::1], _U64, _U64, types.uint64, types.bool_[::1], types.int64),
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


_BUCKET_PAIRS = [(_U64, types.int64[::1], types.int64, types.int64, types.int64)]


@_compiled()
def _part_pair_codes(keys, owners, max_bucket, scale, split):
    """`bucket_pair_codes` of keys whose hashes share their top `split` bits. Buckets are found
    by one pass over an open-addressing table of the keys (multiplicative hashing on the bits
    below those, linear probing); the owners of the buckets holding several keys (few) are
    gathered by a counting sort, then each bucket's are sorted in place."""
    count = len(keys)
    bits = 1
    while (1 << bits) < 2 * count:
        bits += 1
    mask = (1 << bits) - 1
    shift = np.uint64(64 - bits)
    table = np.empty(mask + 1, dtype=np.uint64)
    sizes = np.zeros(mask + 1, dtype=np.int32)
    slots = np.empty(count, dtype=np.int32)
    for k in range(count):
        key = keys[k]
        slot = np.int64(((key * _LENGTH_SALT) << np.uint64(split)) >> shift)
        while sizes[slot] and table[slot] != key:
            slot = (slot + 1) & mask
        table[slot] = key
        sizes[slot] += 1
        slots[k] = slot
    # Number the buckets holding several keys; their slots then hold -(number + 1).
    groups = 0
    for slot in range(mask + 1):
        if sizes[slot] > 1:
            groups += 1
    starts = np.empty(groups + 1, dtype=np.int64)
    starts[0] = 0
    group = 0
    for slot in range(mask + 1):
        if sizes[slot] > 1:
            starts[group + 1] = starts[group] + sizes[slot]
            sizes[slot] = -(group + 1)
            group += 1
    members = np.empty(starts[groups], dtype=np.int64)
    filled = starts[:groups].copy()
    for k in range(count):
        mark = sizes[slots[k]]
        if mark < 0:
            group = -mark - 1
            members[filled[group]] = owners[k]
            filled[group] += 1
    # Each bucket's distinct owners, sorted, in place; then its pairs.
    distinct = np.zeros(groups, dtype=np.int64)
    total = 0
    for group in range(groups):
        start, end = starts[group], starts[group + 1]
        _sort_few(members[start:end], end - start)
        kept = start + 1
        for k in range(start + 1, end):
            if members[k] != members[kept - 1]:
                members[kept] = members[k]
                kept += 1
        found = kept - start
        if 2 <= found <= max_bucket:
            distinct[group] = found
            total += found * (found - 1) // 2
    codes = np.empty(total, dtype=np.int64)
    at = 0
    for group in range(groups):
        start = starts[group]
        for i in range(start, start + distinct[group]):
            for j in range(i + 1, start + distinct[group]):
                codes[at] = members[i] * scale + members[j]
                at += 1
    return codes


@_compiled(_BUCKET_PAIRS)
def bucket_pair_codes(keys, owners, max_bucket, scale, part_keys):
    """index.lsh.bucket_pairs before its final count: the code (smaller * scale + larger) of
    every pair of distinct owners in every bucket of 2 to `max_bucket` distinct owners, once per
    bucket, unsorted. The keys are first split by the top bits of their hash into parts of about
    `part_keys` keys (a bucket's keys all go to one part), so that each part's table stays in
    the processor's cache; see `_part_pair_codes` for a part."""
    count = len(keys)
    split = 0
    while split < 16 and (count >> split) > part_keys:
        split += 1
    if split == 0:
        return _part_pair_codes(keys, owners, max_bucket, scale, 0)
    parts = 1 << split
    top = np.uint64(64 - split)
    starts = np.zeros(parts + 1, dtype=np.int64)
    for k in range(count):
        starts[np.int64((keys[k] * _LENGTH_SALT) >> top) + 1] += 1
    for part in range(parts):
        starts[part + 1] += starts[part]
    filled = starts[:parts].copy()
    split_keys = np.empty(count, dtype=np.uint64)
    split_owners = np.empty(count, dtype=np.int64)
    for k in range(count):
        part = np.int64((keys[k] * _LENGTH_SALT) >> top)
        split_keys[filled[part]] = keys[k]
        split_owners[filled[part]] = owners[k]
        filled[part] += 1
    found = []
    total = 0
    for part in range(parts):
        codes = _part_pair_codes(
            split_keys[starts[part] : starts[part + 1]],
            split_owners[starts[part] : starts[part + 1]],
            max_bucket,
            scale,
            split,
        )
        total += len(codes)
        found.append(codes)
    out = np.empty(total, dtype=np.int64)
    at = 0
    for codes in found:
        out[at : at + len(codes)] = codes
        at += len(codes)
    return out
