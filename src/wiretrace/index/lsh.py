"""In-memory LSH over window signatures: banded buckets, grouped with numpy, to candidate pairs."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from wiretrace import _kernels, _sketch_kernels
from wiretrace._arrays import distinct

# datasketch's choice for the default settings (config.Settings: threshold 0.4, 64
# permutations), so that a run with them need not import datasketch's LSH module (and scipy,
# which it imports to integrate): tests/test_lsh.py holds it to datasketch's `_optimal_param`.
KNOWN_BANDS = {(0.4, 64): (21, 3)}

# `bucket_pairs` works on parts of about this many keys at a time, so that the table finding a
# part's buckets stays in the processor's cache (a table for all of a corpus partition's keys,
# tens of megabytes, costs a cache miss per key).
PART_KEYS = 16_384


@lru_cache(maxsize=64)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) for a Jaccard `threshold`, as datasketch's MinHashLSH chooses them.

    False negatives weigh more than false positives (0.7 to 0.3): every candidate is verified by
    alignment, so a missed pair costs more than an extra one.
    """
    known = KNOWN_BANDS.get((threshold, num_perm))
    if known is not None:
        return known
    from datasketch.lsh import _optimal_param

    bands, rows = _optimal_param(threshold, num_perm, 0.3, 0.7)
    return int(bands), int(rows)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit bucket key per (window, band): shape (len(signatures), bands).

    The band number is mixed into the key, so keys of different bands never collide by design.
    Compiled (`_kernels.band_keys`); `band_keys_plain` is the same in numpy.
    """
    return _kernels.band_keys(
        np.ascontiguousarray(signatures, dtype=np.uint32), int(bands), int(rows)
    )


def band_keys_plain(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """`band_keys` in numpy, one band and one row at a time (the reference the tests hold the
    compiled one to)."""
    count = len(signatures)
    keys = np.empty((count, bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            key = np.full(count, np.uint64(0x9E3779B97F4A7C15) * np.uint64(band + 1))
            for column in signatures[:, band * rows : (band + 1) * rows].T:
                key = (key ^ column.astype(np.uint64)) * np.uint64(0x100000001B3)
                key ^= key >> np.uint64(29)
            keys[:, band] = key
    return keys


def bucket_pairs(
    keys: np.ndarray,
    owners: np.ndarray,
    max_bucket: int,
    scale: int,
    *,
    part_keys: int = PART_KEYS,
) -> tuple[np.ndarray, np.ndarray]:
    """(codes, hits): every pair of distinct owners sharing a bucket, and how many buckets.

    A pair is coded as one int64, smaller * scale + larger (`scale` above every owner number), which
    sorts and counts far faster than rows. Buckets holding more than `max_bucket` documents are
    boilerplate and give no pairs. Codes are sorted and unique. The buckets' pairs come from one
    compiled pass (`_sketch_kernels.bucket_pair_codes`, over parts of about `part_keys` keys);
    `bucket_pairs_plain` is the same in numpy.
    """
    empty = np.zeros(0, dtype=np.int64)
    codes = _sketch_kernels.bucket_pair_codes(
        np.require(keys, np.uint64, ["C", "W"]),
        # int32 owners (the spill's) are taken as they are: no widened copy.
        np.require(owners, np.int32 if owners.dtype == np.int32 else np.int64, ["C", "W"]),
        int(max_bucket),
        int(scale),
        int(part_keys),
    )
    if len(codes) == 0:
        return empty, empty
    codes.sort()
    firsts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    return codes[firsts], np.diff(np.append(firsts, len(codes)))


def bucket_pairs_plain(
    keys: np.ndarray, owners: np.ndarray, max_bucket: int, scale: int
) -> tuple[np.ndarray, np.ndarray]:
    """`bucket_pairs` with numpy (the reference the compiled one is tested against)."""
    empty = np.zeros(0, dtype=np.int64)
    if len(keys) == 0:
        return empty, empty
    order = np.lexsort((owners, keys))
    keys_sorted, docs = keys[order], owners[order].astype(np.int64)
    fresh = np.ones(len(order), dtype=bool)  # drop repeats of one document in one bucket
    fresh[1:] = (keys_sorted[1:] != keys_sorted[:-1]) | (docs[1:] != docs[:-1])
    keys_sorted, docs = keys_sorted[fresh], docs[fresh]
    boundaries = np.flatnonzero(np.diff(keys_sorted)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(keys_sorted)]])
    sizes = ends - starts
    chosen = (sizes >= 2) & (sizes <= max_bucket)
    codes: list[np.ndarray] = []
    for size in distinct(sizes[chosen]):
        group_starts = starts[chosen & (sizes == size)]
        members = docs[group_starts[:, None] + np.arange(size)[None, :]]
        left, right = np.triu_indices(size, k=1)
        codes.append((members[:, left] * np.int64(scale) + members[:, right]).ravel())
    if not codes:
        return empty, empty
    unique, hits = np.unique(np.concatenate(codes), return_counts=True)
    return unique, hits.astype(np.int64)


def merge_pair_counts(
    parts: list[tuple[np.ndarray, np.ndarray]], min_hits: int, scale: int
) -> np.ndarray:
    """Candidate pairs from `bucket_pairs` results over disjoint sets of buckets: the (n, 2) array
    of (smaller, larger) owners sharing at least `min_hits` buckets in all, sorted."""
    parts = [part for part in parts if len(part[0])]
    if not parts:
        return np.zeros((0, 2), dtype=np.int64)
    if len(parts) == 1:
        codes, hits = parts[0]
    else:
        codes, inverse = np.unique(np.concatenate([c for c, _ in parts]), return_inverse=True)
        hits = np.bincount(inverse, weights=np.concatenate([h for _, h in parts]))
    codes = codes[hits >= min_hits]
    return np.stack([codes // scale, codes % scale], axis=1)


def candidate_pairs(
    keys: np.ndarray, owners: np.ndarray, max_bucket: int, min_hits: int = 1
) -> np.ndarray:
    """Pairs of distinct owners (document numbers) that share at least `min_hits` bucket keys.

    `keys` is a flat array of bucket keys and `owners` the document number of each. Buckets holding
    more than `max_bucket` documents are boilerplate and give no pairs. Returns an (n, 2) array of
    (smaller, larger) document numbers, sorted and unique.
    """
    if len(keys) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    scale = int(np.max(owners)) + 1
    return merge_pair_counts([bucket_pairs(keys, owners, max_bucket, scale)], min_hits, scale)
