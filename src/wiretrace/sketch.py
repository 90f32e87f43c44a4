"""MinHash signatures of whole texts and of overlapping windows.

This is the only module that knows datasketch's MinHash. The signatures are byte-identical to
``datasketch.MinHash(num_perm, seed)`` (scheme "affine32") fed the same 32-bit shingle hashes
through ``hashfunc``, so they interoperate with datasketch's LSH and storage.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from wiretrace import _kernels

if TYPE_CHECKING:
    from datasketch import LeanMinHash

SCHEME = "affine32"
EMPTY = np.uint32(0xFFFFFFFF)


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a, b) for `num_perm` and `seed`.

    Drawn as datasketch's MinHash draws them (odd multipliers, then offsets, from numpy's
    RandomState(seed)), without importing datasketch, which imports scipy and redis: the tests
    hold them to `datasketch.MinHash(num_perm, seed).permutations`."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before permuting."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def permuted_hashes(hashes32: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """The (len(hashes32), num_perm) matrix of permuted hash values, before taking minima."""
    a, b = permutations(num_perm, seed)
    mixed = _fmix32(hashes32.astype(np.uint32, copy=False))
    return mixed[:, None] * a[None, :] + b[None, :]


def compute_signature(hashes32: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """The MinHash signature (uint32, length num_perm) of one set of 32-bit shingle hashes."""
    if len(hashes32) == 0:
        return np.full(num_perm, EMPTY, dtype=np.uint32)
    return permuted_hashes(hashes32, num_perm, seed).min(axis=0)


def compute_window_signatures(
    hashes32: np.ndarray, window_size: int, num_perm: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Signatures of overlapping windows of `window_size` shingles, every `window_size // 2`.

    Window k covers shingles [k * stride, k * stride + window_size), cut at the end of the text;
    windows continue until one reaches the end. Returns (signatures, starts): one row per window
    and the index of its first shingle. A text with at most `window_size` shingles has one window.
    """
    count = len(hashes32)
    if count == 0:
        return np.zeros((0, num_perm), dtype=np.uint32), np.zeros(0, dtype=np.int64)
    permuted = permuted_hashes(hashes32, num_perm, seed)
    if count <= window_size:
        return permuted.min(axis=0, keepdims=True), np.zeros(1, dtype=np.int64)
    stride = max(1, window_size // 2)
    # Blocks of gcd(window, stride) shingles tile every window exactly.
    block = math.gcd(window_size, stride)
    blocks_per_window = window_size // block
    blocks = np.minimum.reduceat(permuted, np.arange(0, count, block), axis=0)
    starts = np.arange(0, count - window_size + stride, stride)
    starts = starts[starts < count]
    first_blocks = starts // block
    padded = np.vstack([blocks, np.full((blocks_per_window, num_perm), EMPTY, dtype=np.uint32)])
    signatures = padded[first_blocks].copy()
    for offset in range(1, blocks_per_window):
        np.minimum(signatures, padded[first_blocks + offset], out=signatures)
    return signatures, starts.astype(np.int64)


def to_datasketch(signature: np.ndarray, seed: int) -> LeanMinHash:
    """A signature as a datasketch LeanMinHash (for datasketch's MinHashLSH, storage, Jaccard)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=signature, scheme=SCHEME)


def _offsets(lengths: np.ndarray) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)


def _flat(hash_sets: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(every set's values concatenated as uint32, the offsets of each set in them)."""
    values = np.concatenate([np.zeros(0, dtype=np.uint32), *hash_sets]).astype(np.uint32)
    return values, _offsets(np.array([len(hashes) for hashes in hash_sets], dtype=np.int64))


def compute_signatures(hash_sets: list[np.ndarray], num_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures of many sets of 32-bit hashes at once: shape (len(hash_sets), num_perm).

    Row k is `compute_signature(hash_sets[k], ...)` (datasketch's MinHash of that set), computed
    by one compiled loop over all sets (`_kernels.signatures`) with no (shingles x permutations)
    matrix.
    """
    a, b = permutations(num_perm, seed)
    values, offsets = _flat(hash_sets)
    return _kernels.signatures(values, offsets, a, b)


def compute_window_signatures_batch(
    hash_lists: list[np.ndarray], window_size: int, num_perm: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`compute_window_signatures` of many documents at once.

    Returns (signatures, owners, starts): one row per window, the position in `hash_lists` of the
    document it belongs to, and the index of its first shingle in that document. Windows are in
    document order, and each document's windows are exactly those of `compute_window_signatures`.
    One compiled loop (`_kernels.window_signatures`) takes each block of gcd(window, stride)
    shingles' minima once and keeps only the blocks the current window needs, so a long document
    needs no more working memory than a short one.
    """
    values, offsets = _flat(hash_lists)
    return compute_window_signatures_flat(values, offsets, window_size, num_perm, seed)


def compute_window_signatures_flat(
    values: np.ndarray, offsets: np.ndarray, window_size: int, num_perm: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`compute_window_signatures_batch` of documents given as one array of 32-bit hashes
    (`values`, uint32) and where each document's start (`offsets`, int64, one more than there are
    documents)."""
    a, b = permutations(num_perm, seed)
    stride = max(1, window_size // 2)
    return _kernels.window_signatures(values, offsets, window_size, stride, a, b)
