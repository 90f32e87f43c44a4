"""Compiled inner loops (numba) of the tokenizer, the shingle hashes and MinHash.

Each kernel is one pass over its input with no temporary arrays, where the numpy versions took
tens of passes (the tokenizer) or a (shingles x permutations) matrix (MinHash). They compute
exactly what the plain versions compute, and tests compare the two (`tests/test_shingle.py`,
`tests/test_sketch.py`); MinHash is byte-identical to datasketch's.

Compiled code is cached on disk (numba's `cache=True`: next to this file, or in numba's user
cache folder when that is read-only), so only the first run on a machine pays the compilation
(a few seconds).
"""

from __future__ import annotations

import numpy as np
from numba import njit, types


def _compiled(signatures=None):
    """numba's njit, with the machine code cached on disk where numba finds a writable place
    (next to this file, or its user cache folder, or NUMBA_CACHE_DIR); compiled in memory for
    each process where it finds none."""

    def decorate(function):
        try:
            return njit(signatures, cache=True, nogil=True)(function)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return njit(signatures, nogil=True)(function)

    return decorate


# Each kernel is compiled for exactly these argument types, when this module is first imported
# (eagerly, so no call ever waits for the compiler): C-ordered arrays, read-only or not.


def _array(dtype: types.Type, dims: int = 1) -> list[types.Array]:
    return [types.Array(dtype, dims, "C", readonly=readonly) for readonly in (False, True)]


_CLASSES, _CODES = types.uint8[::1], types.uint64[::1]
_TOKENIZE = [
    (points, _CLASSES, _CODES, _CLASSES) for points in _array(types.uint8) + _array(types.uint32)
]
_SHINGLES = [(ids, types.int64) for ids in _array(types.uint64)]
_PERMUTATIONS = types.uint32[::1]
_SIGNATURES = [
    (values, types.int64[::1], _PERMUTATIONS, _PERMUTATIONS) for values in _array(types.uint32)
]
_WINDOWS = [
    (values, types.int64[::1], types.int64, types.int64, _PERMUTATIONS, _PERMUTATIONS)
    for values in _array(types.uint32)
]

# Character classes of the tokenizer (shingle._tables).
OTHER, LETTER, MARK, DIGIT, CJK, APOSTROPHE, SEPARATOR = range(7)

_U32 = np.uint64(0xFFFFFFFF)
_HASH_BASE = np.uint64(0x100000001B3)
_LENGTH_SALT = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_FMIX1 = np.uint64(0x85EBCA6B)
_FMIX2 = np.uint64(0xC2B2AE35)


@_compiled()
def _mix64(value):
    """splitmix64's finalizer (shingle._mix64) of one uint64."""
    value = value ^ (value >> np.uint64(30))
    value = value * _MIX1
    value = value ^ (value >> np.uint64(27))
    value = value * _MIX2
    return value ^ (value >> np.uint64(31))


@_compiled()
def _fmix32(value):
    """MurmurHash3's 32-bit finalizer (sketch._fmix32), on a uint64 holding a 32-bit value."""
    value = value ^ (value >> np.uint64(16))
    value = (value * _FMIX1) & _U32
    value = value ^ (value >> np.uint64(13))
    value = (value * _FMIX2) & _U32
    return value ^ (value >> np.uint64(16))


@_compiled(_TOKENIZE)
def tokenize(points, classes, codes, astral):
    """(starts, ends, ids, complex) of the tokens of one text.

    `points` are the text's code points (uint8 for an ASCII text, else uint32), `classes` and
    `codes` the tables of the BMP's character classes and simple normalized code points (0: it
    depends on the context), and `astral` the classes of the characters outside the BMP, by
    position (any array when the text has none). Words are runs of letters and marks that start
    at a letter, joined by an apostrophe between a letter or mark and a letter; numbers are runs
    of digits joined by one separator between two digits; each CJK character is a token. A
    token's id is the mixed polynomial hash of its normalized code points; `complex[k]` says
    token k has a character with no simple normal form, so its id must come from
    `shingle.token_id` instead.
    """
    count = len(points)
    kinds = np.empty(count, dtype=np.uint8)
    for at in range(count):
        point = points[at]
        kinds[at] = classes[point] if point < 0x10000 else astral[at]
    starts = np.empty(count, dtype=np.int64)
    ends = np.empty(count, dtype=np.int64)
    found = 0
    at = 0
    while at < count:
        kind = kinds[at]
        if kind == CJK:
            end = at + 1
        elif kind == DIGIT:
            end = at + 1
            while True:
                while end < count and kinds[end] == DIGIT:
                    end += 1
                if end + 1 < count and kinds[end] == SEPARATOR and kinds[end + 1] == DIGIT:
                    end += 2
                else:
                    break
        elif kind == LETTER:
            end = at + 1
            while True:
                while end < count and (kinds[end] == LETTER or kinds[end] == MARK):
                    end += 1
                if end + 1 < count and kinds[end] == APOSTROPHE and kinds[end + 1] == LETTER:
                    end += 2
                else:
                    break
        else:
            at += 1
            continue
        starts[found] = at
        ends[found] = end
        found += 1
        at = end
    ids = np.empty(found, dtype=np.uint64)
    complex_ = np.zeros(found, dtype=np.bool_)
    for k in range(found):
        total = np.uint64(0)
        power = np.uint64(1)
        for position in range(starts[k], ends[k]):
            point = points[position]
            code = codes[point] if point < 0x10000 else np.uint64(0)
            if code == 0:
                complex_[k] = True
            total += code * power
            power *= _HASH_BASE
        length = np.uint64(ends[k] - starts[k])
        ids[k] = _mix64(total + length * _LENGTH_SALT)
    return starts[:found].copy(), ends[:found].copy(), ids, complex_


@_compiled(_SHINGLES)
def shingle_hashes(ids, size):
    """shingle.shingle_hashes: the 64-bit hash of every run of `size` consecutive ids."""
    count = len(ids)
    if count == 0:
        return np.zeros(0, dtype=np.uint64)
    size = min(size, count)
    width = count - size + 1
    out = np.empty(width, dtype=np.uint64)
    for start in range(width):
        value = np.uint64(0)
        for k in range(size):
            value = _mix64(value * _HASH_BASE + ids[start + k])
        out[start] = value
    return out


@_compiled()
def _permute_min(value, a, b, row):
    """Lower `row` to the permuted values of one 32-bit hash where they are smaller (`a` and
    `b`: uint32 permutation parameters)."""
    mixed = np.uint32(_fmix32(np.uint64(value)))
    for p in range(len(a)):  # a branch-free min: vectorized by the compiler, ~8x a branch
        row[p] = min(row[p], np.uint32(mixed * a[p] + b[p]))


@_compiled(_SIGNATURES)
def signatures(values, offsets, a, b):
    """MinHash signatures of many sets: set k is values[offsets[k]:offsets[k + 1]] (uint32).

    datasketch's affine32 scheme: each value through fmix32, then (a * x + b) mod 2**32 for every
    permutation, and the minimum over the set (0xFFFFFFFF for an empty set)."""
    sets = len(offsets) - 1
    out = np.full((sets, len(a)), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    for k in range(sets):
        row = out[k]
        for at in range(offsets[k], offsets[k + 1]):
            _permute_min(values[at], a, b, row)
    return out


@_compiled(_WINDOWS)
def window_signatures(values, offsets, window, stride, a, b):
    """Signatures of overlapping windows of many documents (sketch.compute_window_signatures
    of each): document k's values are values[offsets[k]:offsets[k + 1]].

    Window j of a document covers values [j * stride, j * stride + window), cut at its end;
    windows continue until one reaches the end, and a document with at most `window` values
    has one. Returns (signatures, owners, starts) in document order."""
    documents = len(offsets) - 1
    total = 0
    for k in range(documents):
        count = offsets[k + 1] - offsets[k]
        if count > 0:
            total += (max(count - window + stride, 1) + stride - 1) // stride
    out = np.full((total, len(a)), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    owners = np.empty(total, dtype=np.int64)
    starts = np.empty(total, dtype=np.int64)
    # Windows are made of blocks of gcd(window, stride) values. Each block's minima are taken
    # once, into a ring of the last `per_window` blocks (all a window needs, as windows only move
    # forward), so a long document needs no more memory than a short one.
    block = window
    rest = stride
    while rest:
        block, rest = rest, block % rest
    per_window = window // block
    ring = np.empty((per_window, len(a)), dtype=np.uint32)
    row = 0
    for k in range(documents):
        first = offsets[k]
        count = offsets[k + 1] - first
        if count == 0:
            continue
        blocks = (count + block - 1) // block
        done = 0
        windows = (max(count - window + stride, 1) + stride - 1) // stride
        for j in range(windows):
            start = j * stride
            if start >= count:
                break
            first_block = start // block
            last_block = min(first_block + per_window, blocks)
            while done < last_block:
                slot = ring[done % per_window]
                slot[:] = np.uint32(0xFFFFFFFF)
                for at in range(
                    first + done * block, min(first + (done + 1) * block, first + count)
                ):
                    _permute_min(values[at], a, b, slot)
                done += 1
            target = out[row]
            for m in range(first_block, last_block):
                source = ring[m % per_window]
                for p in range(len(a)):
                    target[p] = min(target[p], source[p])
            owners[row] = k
            starts[row] = start
            row += 1
    return out[:row], owners[:row], starts[:row]
