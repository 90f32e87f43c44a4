"""Compiled inner loops (numba) of the sketch and candidate stages: the shingles of many
documents at once, boilerplate left out; the pairs of documents sharing LSH buckets.

Kept apart from `_kernels` so that changing one stage's kernels does not make numba compile the
others again (its on-disk cache is kept per source file). `boilerplate.mask_many` is the one
caller of the first, tested against `boilerplate_mask` and `mask_runs` document by document;
`index.lsh.bucket_pairs` of the second, tested against `bucket_pairs_plain`. The spill that
carries the keys between the two (`spill.Spill.add`) orders them by partition here too
(`partition_scatter`, tested against a stable argsort).
"""

from __future__ import annotations

import numpy as np
from numba import types

from wiretrace._kernels import _HASH_BASE, _LENGTH_SALT, _array, _compiled, _mix64, _sort_few

_U64 = types.uint64[::1]

# One signature each (writable C arrays: the callers make them so): every signature is compiled
# on a machine's first use.
_MASK_MANY = [
    (_U64, types.int64[::1], _U64, _U64, types.uint64, types.bool_, types.int64),
]
_SET_TABLE = [(_U64,)]


@_compiled(_SET_TABLE)
def set_table(values):
    """An open-addressing table of `values` (well-mixed 64-bit hashes) for `_in_table`: a power
    of two of slots, at least twice as many as values, each value at the slot of its top bits or
    the first free one after it (linear probing); 0 marks a free slot (a value 0 is not stored:
    returns whether there is one). Returns (table, shift, zero)."""
    bits = 1
    while (1 << bits) < 2 * len(values):
        bits += 1
    table = np.zeros(1 << bits, dtype=np.uint64)
    shift = np.uint64(64 - bits)
    mask = (1 << bits) - 1
    zero = False
    for value in values:
        if value == 0:
            zero = True
            continue
        slot = np.int64(value >> shift)
        while table[slot] != 0 and table[slot] != value:
            slot = (slot + 1) & mask
        table[slot] = value
    return table, shift, zero


@_compiled()
def _in_table(value, table, shift, zero):
    """Whether `value` is in the `set_table` (table, shift, zero): one probe for nearly every
    value (a table of a few tens of thousands of hashes stays in the processor's cache, where a
    binary search costs a dozen unpredictable branches)."""
    if value == 0:
        return zero
    mask = len(table) - 1
    slot = np.int64(value >> shift)
    while table[slot] != 0:
        if table[slot] == value:
            return True
        slot = (slot + 1) & mask
    return False


@_compiled(_MASK_MANY)
def mask_many(ids, offsets, salts, table, shift, zero, size):
    """boilerplate.mask_many: each document's shingles (document k's token ids are
    ids[offsets[k]:offsets[k + 1]]) salted with salts[k] and looked up in the boilerplate's
    `set_table` (table, shift, zero); returns
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
            if _in_table(value ^ salts[document], table, shift, zero):
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


# Owners as the spill keeps them (int32) or as int64.
_BUCKET_PAIRS = [
    (_U64, owners, types.int64, types.int64, types.int64)
    for owners in (types.int32[::1], types.int64[::1])
]


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
    split_owners = np.empty(count, dtype=owners.dtype)
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


_PARTITION_SCATTER = [
    (keys, types.uint64, types.int64, column)
    for keys in _array(types.uint64)
    for column in _array(types.int32) + _array(types.int64) + _array(types.uint64)
]


@_compiled(_PARTITION_SCATTER)
def partition_scatter(keys, shift, partitions, column):
    """(keys, column, starts): `keys` and `column` (as long, or empty: no column) in the stable
    order of the keys' partitions (keys >> shift, below `partitions`; shift below 64), and where
    each partition starts in them (partitions + 1 offsets). A counting sort that moves the values
    as it goes: two passes, no order array and no gathers after it."""
    starts = np.zeros(partitions + 1, dtype=np.int64)
    for k in range(len(keys)):
        starts[np.int64(keys[k] >> shift) + 1] += 1
    for part in range(partitions):
        starts[part + 1] += starts[part]
    filled = starts[:partitions].copy()
    out_keys = np.empty(len(keys), dtype=np.uint64)
    out_column = np.empty(len(column), dtype=column.dtype)
    with_column = len(column) > 0
    for k in range(len(keys)):
        part = np.int64(keys[k] >> shift)
        at = filled[part]
        out_keys[at] = keys[k]
        if with_column:
            out_column[at] = column[k]
        filled[part] = at + 1
    return out_keys, out_column, starts


_FREQUENT = [(ordered, types.int64) for ordered in _array(types.uint64)]


@_compiled(_FREQUENT)
def frequent_sorted(ordered, min_count):
    """boilerplate.frequent after its sort: the values of `ordered` (sorted) repeated at least
    `min_count` times, each once, in order."""
    count = len(ordered)
    out = np.empty(count // max(min_count, 1) + 1, dtype=np.uint64)
    found = 0
    start = 0
    while start < count:
        end = start + 1
        while end < count and ordered[end] == ordered[start]:
            end += 1
        if end - start >= min_count:
            out[found] = ordered[start]
            found += 1
        start = end
    return out[:found].copy()
