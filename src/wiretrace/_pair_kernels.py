"""Compiled steps (numba) of align.py's per-pair work, each one call where align.py took several
Python steps: a pair's word-seeded ranges (seed matching, clustering, filtering and merging),
whether every sentence seed lies in a passage already found, and whether any cluster of
sentence seeds can be lopsided enough to be a summary.

They compute exactly what align.py's plain steps compute, and tests compare the two
(`tests/test_align.py`). Compiled like `wiretrace._kernels` (for C-ordered writable arrays, the
machine code cached on disk, and compiled afresh when `_kernels`, whose `match_grams` and
`cluster_seeds` they call, changes).
"""

from __future__ import annotations

import numpy as np
from numba import types

from wiretrace._kernels import _compiled, cluster_seeds, match_grams

_I64, _U64 = types.int64[::1], types.uint64[::1]
_WORD_RANGES = [(_U64, _U64) + (types.int64,) * 8]
_SEEDS_COVERED = [
    (types.int64[:, ::1], _I64, types.int64, _I64, _I64)
    + (_I64, types.int64, _I64, _I64)
    + (types.int64[:, ::1],)
]
_LOPSIDED = [(types.int64[:, ::1], types.int64)]


@_compiled()
def _before(first, second):
    """Whether range row `first` sorts before row `second` (as tuples: lexicographically)."""
    for k in range(4):
        if first[k] != second[k]:
            return first[k] < second[k]
    return False


@_compiled(_WORD_RANGES)
def word_ranges(
    source,
    target,
    most,
    limit,
    min_seeds,
    size,
    least,
    margin,
    source_words,
    target_words,
):
    """align.align_pair's word ranges to align, as rows (source first, source last, target
    first, target last): the seeds of `match_grams` (of the two texts' n-gram buffers, see
    `_kernels.text_grams`), grouped by `cluster_seeds` (gaps over `limit`, groups
    under `min_seeds` dropped), the groups whose seeds cover `least` words at least (twice their
    covered words reach it) taken as ranges of whole n-grams (`size` words), merged as
    `align._merge_ranges` merges them (in sorted order, each into the first merged range it
    overlaps on both sides), and widened by `margin` words within the texts."""
    seeds = match_grams(source, target, most)
    if len(seeds) == 0 or len(seeds) < min_seeds:
        return np.zeros((0, 4), dtype=np.int64)
    _, _, _, bounds, covered, _ = cluster_seeds(
        seeds, np.arange(len(seeds)), limit, limit, min_seeds, size
    )
    ranges = np.empty((len(covered), 4), dtype=np.int64)
    kept = 0
    for group in range(len(covered)):
        if covered[group] * 2 >= least:
            ranges[kept, 0] = bounds[group, 0]
            ranges[kept, 1] = bounds[group, 1] + size
            ranges[kept, 2] = bounds[group, 2]
            ranges[kept, 3] = bounds[group, 3] + size
            kept += 1
    # Sorted as tuples (by insertion: there are few).
    for k in range(1, kept):
        row = ranges[k].copy()
        m = k
        while m > 0 and _before(row, ranges[m - 1]):
            ranges[m] = ranges[m - 1]
            m -= 1
        ranges[m] = row
    merged = np.empty((kept, 4), dtype=np.int64)
    done = 0
    for k in range(kept):
        a, b, c, d = ranges[k, 0], ranges[k, 1], ranges[k, 2], ranges[k, 3]
        joined = False
        for m in range(done):
            if a < merged[m, 1] and merged[m, 0] < b and c < merged[m, 3] and merged[m, 2] < d:
                merged[m, 0] = min(a, merged[m, 0])
                merged[m, 1] = max(b, merged[m, 1])
                merged[m, 2] = min(c, merged[m, 2])
                merged[m, 3] = max(d, merged[m, 3])
                joined = True
                break
        if not joined:
            merged[done, 0], merged[done, 1], merged[done, 2], merged[done, 3] = a, b, c, d
            done += 1
    out = merged[:done].copy()
    for k in range(done):
        out[k, 0] = max(0, out[k, 0] - margin)
        out[k, 1] = min(source_words, out[k, 1] + margin)
        out[k, 2] = max(0, out[k, 2] - margin)
        out[k, 3] = min(target_words, out[k, 3] + margin)
    return out


@_compiled()
def _sentence_span(starts, words, token_starts, token_ends, sentence):
    """Where a sentence starts and ends, in characters."""
    end = starts[sentence + 1] if sentence + 1 < len(starts) else words
    return token_starts[starts[sentence]], token_ends[end - 1]


@_compiled(_SEEDS_COVERED)
def seeds_covered(
    seeds,
    source_starts,
    source_words,
    source_token_starts,
    source_token_ends,
    target_starts,
    target_words,
    target_token_starts,
    target_token_ends,
    boxes,
):
    """Whether each sentence seed (i, j) has a passage (a row of `boxes`: source start, source
    end, target start, target end, in characters) whose source overlaps sentence i and whose
    target overlaps sentence j (`starts`: each text's sentences' first words)."""
    for k in range(len(seeds)):
        a, b = _sentence_span(
            source_starts, source_words, source_token_starts, source_token_ends, seeds[k, 0]
        )
        c, d = _sentence_span(
            target_starts, target_words, target_token_starts, target_token_ends, seeds[k, 1]
        )
        inside = False
        for m in range(len(boxes)):
            if a < boxes[m, 1] and boxes[m, 0] < b and c < boxes[m, 3] and boxes[m, 2] < d:
                inside = True
                break
        if not inside:
            return False
    return True


@_compiled(_LOPSIDED)
def lopsided(seeds, ratio):
    """Whether some two sentence seeds (rows i, j) span `ratio` times as many sentences on one
    side as on the other (each span counted from the first to the last sentence)."""
    for k in range(len(seeds)):
        for m in range(k + 1, len(seeds)):
            source = abs(seeds[k, 0] - seeds[m, 0]) + 1
            target = abs(seeds[k, 1] - seeds[m, 1]) + 1
            if max(source, target) >= ratio * min(source, target):
                return True
    return False
