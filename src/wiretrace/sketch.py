"""MinHash signatures of whole texts and of overlapping windows, vectorised with numpy.

This is the only module that knows datasketch's MinHash. The signatures are byte-identical to
``datasketch.MinHash(num_perm, seed)`` (scheme "affine32") fed the same 32-bit shingle hashes
through ``hashfunc``, so they interoperate with datasketch's LSH and storage.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

SCHEME = "affine32"
EMPTY = np.uint32(0xFFFFFFFF)


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a, b) for `num_perm` and `seed`."""
    minhash = MinHash(num_perm=num_perm, seed=seed)
    if getattr(minhash, "scheme", SCHEME) != SCHEME:  # pragma: no cover - older datasketch
        raise RuntimeError(f"datasketch MinHash scheme is {minhash.scheme!r}, need {SCHEME!r}")
    a, b = minhash.permutations
    return a.astype(np.uint32), b.astype(np.uint32)


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
    return LeanMinHash(seed=seed, hashvalues=signature, scheme=SCHEME)


def _offsets(lengths: np.ndarray) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)


def _ragged_steps(lengths: np.ndarray) -> np.ndarray:
    """0, 1, ..., n - 1 for each n in `lengths`, concatenated."""
    return np.arange(int(lengths.sum())) - np.repeat(_offsets(lengths)[:-1], lengths)


# Rows of permuted hashes worked on at once: 4096 x num_perm uint32 (1 MiB at 64 permutations)
# stays in the CPU cache; one big matrix for many documents is several times slower, and
# np.minimum.reduceat along rows slower still.
SLAB_ROWS = 4096


def _slabs(counts: np.ndarray, order: np.ndarray) -> list[np.ndarray]:
    """Split `order` (document numbers) into runs whose padded rows stay near SLAB_ROWS."""
    groups, start = [], 0
    while start < len(order):
        end = start + 1
        while end < len(order) and counts[order[end]] * (end + 1 - start) <= SLAB_ROWS:
            end += 1
        groups.append(order[start:end])
        start = end
    return groups


def compute_signatures(hash_sets: list[np.ndarray], num_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures of many sets of 32-bit hashes at once: shape (len(hash_sets), num_perm).

    Row k is `compute_signature(hash_sets[k], ...)` (datasketch's MinHash of that set). Sets of
    similar size are padded into one (sets, size, num_perm) block and reduced together.
    """
    signatures = np.full((len(hash_sets), num_perm), EMPTY, dtype=np.uint32)
    counts = np.array([len(hashes) for hashes in hash_sets], dtype=np.int64)
    filled = np.flatnonzero(counts)
    order = filled[np.argsort(counts[filled], kind="stable")]
    for group in _slabs(counts, order):
        if len(group) == 1:
            signatures[group[0]] = compute_signature(hash_sets[group[0]], num_perm, seed)
            continue
        width = int(counts[group].max())
        values = np.zeros((len(group), width), dtype=np.uint32)
        valid = np.arange(width)[None, :] < counts[group][:, None]
        values[valid] = np.concatenate([hash_sets[k] for k in group.tolist()])
        permuted = permuted_hashes(values.ravel(), num_perm, seed).reshape(len(group), width, -1)
        permuted[~valid] = EMPTY
        signatures[group] = permuted.min(axis=1)
    return signatures


def _window_signatures_batch(
    hash_lists: list[np.ndarray], window_size: int, num_perm: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`compute_window_signatures_batch` of one slab of documents."""
    counts = np.array([len(hashes) for hashes in hash_lists], dtype=np.int64)
    stride = max(1, window_size // 2)
    block = math.gcd(window_size, stride)
    per_window = window_size // block
    # Each document's blocks, then `per_window` empty blocks, so no window reaches the next one.
    block_counts = -(-counts // block)
    base = _offsets(block_counts + per_window)[:-1]
    window_counts = np.where(
        counts > 0, -(-np.maximum(counts - window_size + stride, 1) // stride), 0
    )
    owners = np.repeat(np.arange(len(hash_lists)), window_counts)
    starts = _ragged_steps(window_counts) * stride
    inside = starts < counts[owners]  # windows continue while they start inside the text
    owners, starts = owners[inside], starts[inside]
    if len(owners) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros((0, num_perm), dtype=np.uint32), empty, empty
    # Every document's shingles padded to whole blocks (padding rows hold EMPTY), so the block
    # minima are one reshape and min: far faster than np.minimum.reduceat along axis 0.
    steps = _ragged_steps(block_counts * block)
    rows = np.repeat(_offsets(counts)[:-1], block_counts * block) + steps
    padding = steps >= np.repeat(counts, block_counts * block)
    values = np.concatenate([np.zeros(0, dtype=np.uint32), *hash_lists]).astype(np.uint32)
    values = np.append(values, np.uint32(0))[np.where(padding, len(values), rows)]
    permuted = permuted_hashes(values, num_perm, seed)
    permuted[padding] = EMPTY
    blocks = np.full((int(base[-1] + block_counts[-1] + per_window), num_perm), EMPTY, np.uint32)
    filled_rows = np.repeat(base, block_counts) + _ragged_steps(block_counts)
    blocks[filled_rows] = permuted.reshape(-1, block, num_perm).min(axis=1)
    first_blocks = base[owners] + starts // block
    signatures = blocks[first_blocks].copy()
    for offset in range(1, per_window):
        np.minimum(signatures, blocks[first_blocks + offset], out=signatures)
    return signatures, owners.astype(np.int64), starts.astype(np.int64)


def _segments(
    hash_lists: list[np.ndarray], window_size: int
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Documents of many shingles cut into overlapping segments whose windows are exactly the
    document's: segment j holds the shingles of the windows starting in [j * length, (j + 1) *
    length), the last one everything to the end (at least `length` shingles, so its windows
    follow the same rule as the whole document's). `length` is a multiple of the window size and
    the stride, so blocks and window starts fall where they do in the whole document. Returns
    (pieces, the document each piece is from, its first shingle's index in that document)."""
    stride = max(1, window_size // 2)
    length = max(1, SLAB_ROWS // (window_size * stride)) * window_size * stride
    pieces, origins, shifts = [], [], []
    for number, hashes in enumerate(hash_lists):
        count = max(1, len(hashes) // length)
        for segment in range(count):
            begin = segment * length
            end = len(hashes) if segment == count - 1 else begin + length - stride + window_size
            pieces.append(hashes[begin:end])
            origins.append(number)
            shifts.append(begin)
    return pieces, np.array(origins, dtype=np.int64), np.array(shifts, dtype=np.int64)


def compute_window_signatures_batch(
    hash_lists: list[np.ndarray], window_size: int, num_perm: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`compute_window_signatures` of many documents at once.

    Returns (signatures, owners, starts): one row per window, the position in `hash_lists` of the
    document it belongs to, and the index of its first shingle in that document. Windows are in
    document order, and each document's windows are exactly those of `compute_window_signatures`.
    Consecutive documents are worked on in slabs of about SLAB_ROWS shingles; a long document
    in segments of about that many, each with the windows that start in it.
    """
    pieces, origins, shifts = _segments(hash_lists, window_size)
    counts = np.array([len(hashes) for hashes in pieces], dtype=np.int64)
    parts = []
    for group in _slabs(np.maximum(counts, 1), np.arange(len(pieces))):
        first, last = int(group[0]), int(group[-1]) + 1
        signatures, owners, starts = _window_signatures_batch(
            pieces[first:last], window_size, num_perm, seed
        )
        owners += first
        parts.append((signatures, origins[owners], starts + shifts[owners]))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return np.zeros((0, num_perm), dtype=np.uint32), empty, empty
    return (
        np.concatenate([part[0] for part in parts]),
        np.concatenate([part[1] for part in parts]),
        np.concatenate([part[2] for part in parts]),
    )
