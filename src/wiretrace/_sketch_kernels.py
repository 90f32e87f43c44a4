"""Compiled inner loops (numba) of the sketch and candidate stages: the shingles of many
documents at once, boilerplate left out; the pairs of documents sharing LSH buckets.

Kept apart from `_kernels` so that changing one stage's kernels does not make numba compile the
others again (its on-disk cache is kept per source file). `boilerplate.mask_flat` is the one
caller of the first, tested against `boilerplate_mask` and `mask_runs` document by document;
`index.lsh.bucket_pairs` of the second, tested against `bucket_pairs_plain`. The spill that
carries the keys between the two (`spill.Spill.add`) orders them by partition here too
(`partition_scatter`, tested against a stable argsort), and the token store's chunks are taken
apart for the first here (`unpack_tokens`, tested against reading document by document).
"""

from __future__ import annotations

import numpy as np
from numba import types

from wiretrace._kernels import (
    _HASH_BASE,
    _LENGTH_SALT,
    _MIX1,
    _MIX2,
    _array,
    _compiled,
    _mix64,
    _sort_few,
)

_U64 = types.uint64[::1]

# One signature each (writable C arrays: the callers make them so): every signature is compiled
# on a machine's first use.
_MASK_MANY = [
    (
        _U64,
        types.int64[::1],
        _U64,
        _U64,
        types.uint64,
        types.bool_,
        _U64,
        types.uint64,
        types.int64,
    ),
]
_SET_TABLE = [(_U64,)]
_COUNT_AMONG = [(_U64, _U64)]


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


# A `set_filter` has about this many bits per value, and at most 2**_SET_FILTER_MAX_BITS bits
# (1 MiB), so that it stays in the processor's cache.
_SET_FILTER_BITS = 64
_SET_FILTER_MAX_BITS = 23


@_compiled(_SET_TABLE)
def set_filter(values):
    """A filter of `values` (well-mixed 64-bit hashes) for `_in_filter`: an array of bits, about
    `_SET_FILTER_BITS` per value, with the bit of each value's top bits set. Returns (bits,
    shift)."""
    width = 6
    while width < _SET_FILTER_MAX_BITS and (1 << width) < _SET_FILTER_BITS * len(values):
        width += 1
    bits = np.zeros(1 << (width - 6), dtype=np.uint64)
    shift = np.uint64(64 - width)
    for value in values:
        place = value >> shift
        bits[np.int64(place >> np.uint64(6))] |= np.uint64(1) << (place & np.uint64(63))
    return bits, shift


@_compiled()
def _in_filter(value, bits, shift):
    """Whether `value` may be in the `set_filter` (bits, shift): always when it is, and for about
    one value in `_SET_FILTER_BITS` that is not."""
    place = value >> shift
    return ((bits[np.int64(place >> np.uint64(6))] >> (place & np.uint64(63))) & np.uint64(1)) != 0


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
def mask_many(ids, offsets, salts, table, shift, zero, bits, bits_shift, size):
    """boilerplate.mask_flat: each document's shingles (document k's token ids are
    ids[offsets[k]:offsets[k + 1]]) salted with salts[k] and looked up in the boilerplate's
    `set_table` (table, shift, zero), those its `set_filter` (bits, bits_shift) lets pass (most
    shingles are not boilerplate: one bit tells, where the table's probes are a few
    unpredictable branches); returns
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
            salted = value ^ salts[document]
            if _in_filter(salted, bits, bits_shift) and _in_table(salted, table, shift, zero):
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


_UNPACK_TOKENS = [(types.uint32[::1], types.int64[::1], types.int64[::1], types.int64)]


@_compiled(_UNPACK_TOKENS)
def unpack_tokens(words, firsts, counts, width):
    """spill.TokenStore.read_flat: the tokens of a chunk file, given as its 32-bit words
    (`words`, in the machine's order) with document k's `counts[k]` tokens from word
    `firsts[k]` (their ids, two words each, low word first, then their starts and their ends,
    `width` words each, low word first): (ids, starts, ends, offsets), every document's
    tokens one after the other, document k's from offsets[k] to offsets[k + 1]."""
    documents = len(counts)
    offsets = np.zeros(documents + 1, dtype=np.int64)
    for k in range(documents):
        offsets[k + 1] = offsets[k] + counts[k]
    total = offsets[documents]
    ids = np.empty(total, dtype=np.uint64)
    starts = np.empty(total, dtype=np.int64)
    ends = np.empty(total, dtype=np.int64)
    high = np.uint64(32)
    for k in range(documents):
        at, count, out = firsts[k], counts[k], offsets[k]
        for j in range(count):
            ids[out + j] = np.uint64(words[at + 2 * j]) | (np.uint64(words[at + 2 * j + 1]) << high)
        at += 2 * count
        if width == 1:
            # Offsets below 2**31 (see spill._SHORT_OFFSETS): a word each.
            for j in range(count):
                starts[out + j] = np.int64(words[at + j])
                ends[out + j] = np.int64(words[at + count + j])
        else:
            for j in range(count):
                starts[out + j] = np.int64(
                    np.uint64(words[at + 2 * j]) | (np.uint64(words[at + 2 * j + 1]) << high)
                )
                ends[out + j] = np.int64(
                    np.uint64(words[at + 2 * (count + j)])
                    | (np.uint64(words[at + 2 * (count + j) + 1]) << high)
                )
    return ids, starts, ends, offsets


# Owners as the spill keeps them (int32) or as int64.
_BUCKET_PAIRS = [
    (_U64, owners, types.int64, types.int64, types.int64)
    for owners in (types.int32[::1], types.int64[::1])
]


@_compiled()
def _part_pair_codes(keys, owners, max_bucket, scale, split):
    """`bucket_pair_codes` of keys whose hashes share their top `split` bits. One pass over an
    open-addressing table of the keys (multiplicative hashing on the bits below those, linear
    probing) numbers the buckets in order of their first key; a counting sort gathers each
    bucket's owners, then each bucket's are sorted in place (a bucket of two by one comparison:
    most are, once `_repeated` has left out the keys alone in their bucket)."""
    count = len(keys)
    bits = 1
    while (1 << bits) < 2 * count:
        bits += 1
    mask = (1 << bits) - 1
    shift = np.uint64(64 - bits)
    table = np.empty(mask + 1, dtype=np.uint64)
    numbers = np.full(mask + 1, -1, dtype=np.int32)
    buckets = np.empty(count, dtype=np.int32)
    # starts[b + 1] counts bucket b's keys, then (summed) starts[b] is where its owners go.
    starts = np.zeros(count + 1, dtype=np.int64)
    found = 0
    for k in range(count):
        key = keys[k]
        slot = np.int64(((key * _LENGTH_SALT) << np.uint64(split)) >> shift)
        while True:
            bucket = numbers[slot]
            if bucket < 0:
                bucket = found
                numbers[slot] = bucket
                table[slot] = key
                found += 1
                break
            if table[slot] == key:
                break
            slot = (slot + 1) & mask
        buckets[k] = bucket
        starts[bucket + 1] += 1
    for bucket in range(found):
        starts[bucket + 1] += starts[bucket]
    members = np.empty(count, dtype=np.int64)
    ends = starts[:found].copy()
    for k in range(count):
        bucket = buckets[k]
        members[ends[bucket]] = owners[k]
        ends[bucket] += 1
    # Each bucket's distinct owners, sorted, in place (`ends` then marks where they end); then
    # its pairs.
    total = 0
    for bucket in range(found):
        start, end = starts[bucket], ends[bucket]
        if end - start == 2:
            first, second = members[start], members[start + 1]
            if first == second:
                end = start + 1
            elif first > second:
                members[start], members[start + 1] = second, first
        elif end - start > 2:
            _sort_few(members[start:end], end - start)
            kept = start + 1
            for k in range(start + 1, end):
                if members[k] != members[kept - 1]:
                    members[kept] = members[k]
                    kept += 1
            end = kept
        ends[bucket] = end
        if 2 <= end - start <= max_bucket:
            total += (end - start) * (end - start - 1) // 2
    codes = np.empty(total, dtype=np.int64)
    at = 0
    for bucket in range(found):
        start, end = starts[bucket], ends[bucket]
        if 2 <= end - start <= max_bucket:
            for i in range(start, end):
                for j in range(i + 1, end):
                    codes[at] = members[i] * scale + members[j]
                    at += 1
    return codes


# `_repeated`'s table has at most 2**_FILTER_MAX_BITS entries (two bits each: 1 MiB, which stays
# in the processor's cache).
_FILTER_MAX_BITS = 22


@_compiled()
def _repeated(keys, owners, multiplier):
    """The keys (with their owners, in order) that may be in a bucket with another key: every
    key that is, and a few that are not. Each key marks its entry (the top bits of key *
    `multiplier`) in a table of about eight entries per key, two bits each: seen, seen again;
    the keys whose entry was seen again are kept."""
    count = len(keys)
    bits = 6
    while bits < _FILTER_MAX_BITS and (1 << bits) < 8 * count:
        bits += 1
    words = np.zeros(1 << (bits - 5), dtype=np.uint64)
    top = np.uint64(64 - bits)
    one = np.uint64(1)
    for k in range(count):
        entry = (keys[k] * multiplier) >> top
        word = np.int64(entry >> np.uint64(5))
        seen = (entry & np.uint64(31)) << one
        value = words[word]
        # Branch-free: sets "seen", and "seen again" when "seen" was set.
        words[word] = value | (((((value >> seen) & one) << one) | one) << seen)
    kept_keys = np.empty(count, dtype=np.uint64)
    kept_owners = np.empty(count, dtype=owners.dtype)
    kept = 0
    for k in range(count):
        key = keys[k]
        entry = (key * multiplier) >> top
        again = (entry & np.uint64(31)) << one | one
        # Every key is written; only a kept one moves the end on (no unpredictable branch).
        kept_keys[kept] = key
        kept_owners[kept] = owners[k]
        kept += np.int64((words[np.int64(entry >> np.uint64(5))] >> again) & one)
    return kept_keys[:kept], kept_owners[:kept]


@_compiled(_BUCKET_PAIRS)
def bucket_pair_codes(keys, owners, max_bucket, scale, part_keys):
    """index.lsh.bucket_pairs before its final count: the code (smaller * scale + larger) of
    every pair of distinct owners in every bucket of 2 to `max_bucket` distinct owners, once per
    bucket, unsorted.

    Most keys are alone in their bucket (nine in ten of a corpus's window keys): rounds of a
    compact filter (`_repeated`, each with another hash of the keys) first leave out nearly all
    of those, for a small part of the cost of the table that finds the buckets. The keys left
    are split by the top bits of their hash into parts of about `part_keys` keys (a bucket's
    keys all go to one part), so that each part's table stays in the processor's cache; see
    `_part_pair_codes` for a part."""
    # After two rounds about one key in eleven of those left is alone in its bucket (at 20k
    # articles; it halves the time of the whole); a third would cost more than it saves. Keys of
    # no more than four parts are not worth filtering.
    for multiplier in (_MIX1, _MIX2):
        if len(keys) <= 4 * part_keys:
            break
        keys, owners = _repeated(keys, owners, multiplier)
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
# `frequent_rows`' table has at most 2**_COUNTS_MAX_BITS counters (a byte each: 1 MiB,
# which stays in the processor's cache).
_COUNTS_MAX_BITS = 20


@_compiled(_FREQUENT)
def frequent_rows(values, min_count):
    """Where in `values` (well-mixed 64-bit hashes) the values are that may occur at least
    `min_count` times: every place of every one that does, and of a few that do not, in order.
    Each value counts in its entry (the top bits of value * _MIX1) of a table of about two
    counters per value, a byte each (they stop at 255); the places of the values whose entry
    counted at least `min_count` (or 255) are kept. All the places of one value are kept or
    none; a value kept is counted again after all (`frequent_sorted`, or a sort by outlet); one
    left out cannot be frequent, as its entry counted it every time."""
    count = len(values)
    bits = 6
    while bits < _COUNTS_MAX_BITS and (1 << bits) < 2 * count:
        bits += 1
    counts = np.zeros(1 << bits, dtype=np.uint8)
    top = np.uint64(64 - bits)
    for k in range(count):
        entry = np.int64((values[k] * _MIX1) >> top)
        counts[entry] += counts[entry] < 255
    least = min(min_count, 255)
    kept = np.empty(count, dtype=np.int64)
    found = 0
    for k in range(count):
        # Every place is written; only a kept one moves the end on (no unpredictable branch).
        kept[found] = k
        found += counts[np.int64((values[k] * _MIX1) >> top)] >= least
    return kept[:found].copy()


@_compiled(_COUNT_AMONG)
def count_among(values, wanted):
    """How many times each of `wanted` (distinct well-mixed 64-bit hashes) occurs in `values`:
    one pass over `values`, each looked up in an open-addressing table of the positions of
    `wanted` (at least twice as many slots; linear probing from the slot of the top bits of
    value * _MIX1: a spill partition's values share their own top bits)."""
    bits = 1
    while (1 << bits) < 2 * len(wanted):
        bits += 1
    slots = np.full(1 << bits, -1, dtype=np.int64)
    shift = np.uint64(64 - bits)
    mask = (1 << bits) - 1
    for k in range(len(wanted)):
        slot = np.int64((wanted[k] * _MIX1) >> shift)
        while slots[slot] >= 0:
            slot = (slot + 1) & mask
        slots[slot] = k
    counts = np.zeros(len(wanted), dtype=np.int64)
    for value in values:
        slot = np.int64((value * _MIX1) >> shift)
        while slots[slot] >= 0:
            k = slots[slot]
            if wanted[k] == value:
                counts[k] += 1
                break
            slot = (slot + 1) & mask
    return counts


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
