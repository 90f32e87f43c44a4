"""Passage alignment: every reused passage of a document pair, with word-level edits.

Seed and extend, as the best PAN text-alignment systems do: exact word n-gram matches (seeds)
are grouped into passages by clustering them along both texts (a group is split wherever
consecutive seeds are more than `max_gap` words apart on either side), so several passages,
passages in a different order, and passages split by a short gap are all found. Each passage is
then aligned word by word with rapidfuzz (an LCS alignment), trimmed to its first and last common
word, and kept if it has `min_length` matched words and `min_similarity`.

This is the only module that knows rapidfuzz; rapidfuzz's 0-100 scores never leave it.
"""

from __future__ import annotations

import numpy as np
from rapidfuzz.distance import Indel

from wiretrace.config import Settings
from wiretrace.models import Edit, Passage
from wiretrace.shingle import Tokens, shingle_hashes

# A seed n-gram that occurs more often than this in either text is too common to anchor on.
MAX_SEED_OCCURRENCES = 12


def _masked_runs(mask: np.ndarray | None, count: int, size: int) -> np.ndarray | None:
    """For each n-gram start, whether all its `size` words are masked (boilerplate)."""
    if mask is None or not mask.any():
        return None
    totals = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    return (totals[size : size + count] - totals[:count]) == size


def find_seeds(
    source_ids: np.ndarray,
    target_ids: np.ndarray,
    size: int,
    source_mask: np.ndarray | None = None,
    target_mask: np.ndarray | None = None,
) -> np.ndarray:
    """All (i, j) with the same `size`-word n-gram at source word i and target word j.

    Returns an (n, 2) int64 array. N-grams repeated more than MAX_SEED_OCCURRENCES times in
    either text are left out, and so are n-grams made only of masked (boilerplate) words.
    """
    if len(source_ids) < size or len(target_ids) < size:
        return np.zeros((0, 2), dtype=np.int64)
    source_hashes = shingle_hashes(source_ids, size)
    target_hashes = shingle_hashes(target_ids, size)
    # Masked n-grams get distinct sentinel hashes so they match nothing.
    source_masked = _masked_runs(source_mask, len(source_hashes), size)
    if source_masked is not None:
        source_hashes = np.where(source_masked, np.uint64(0), source_hashes)
    target_masked = _masked_runs(target_mask, len(target_hashes), size)
    if target_masked is not None:
        target_hashes = np.where(target_masked, np.uint64(1), target_hashes)
    order = np.argsort(target_hashes, kind="stable")
    sorted_target = target_hashes[order]
    low = np.searchsorted(sorted_target, source_hashes, "left")
    high = np.searchsorted(sorted_target, source_hashes, "right")
    counts = high - low
    _, inverse, source_counts = np.unique(source_hashes, return_inverse=True, return_counts=True)
    keep = (counts > 0) & (counts <= MAX_SEED_OCCURRENCES)
    keep &= source_counts[inverse] <= MAX_SEED_OCCURRENCES
    if source_masked is not None:
        keep &= ~source_masked
    if not keep.any():
        return np.zeros((0, 2), dtype=np.int64)
    kept_counts = counts[keep]
    i = np.repeat(np.flatnonzero(keep), kept_counts)
    run_starts = np.repeat(low[keep] - np.cumsum(kept_counts) + kept_counts, kept_counts)
    j = order[run_starts + np.arange(len(i))]
    return np.stack([i, j], axis=1).astype(np.int64)


def _split(members: np.ndarray, coordinate: np.ndarray, limit: int) -> list[np.ndarray]:
    ordered = members[np.argsort(coordinate[members], kind="stable")]
    cuts = np.flatnonzero(np.diff(coordinate[ordered]) > limit) + 1
    return np.split(ordered, cuts) if len(cuts) else [ordered]


def cluster_seeds(
    seeds: np.ndarray, max_gap: int, seed_size: int, min_seeds: int = 1
) -> list[np.ndarray]:
    """Group seeds into passages: split on gaps over `max_gap` words in either text, repeatedly.

    Groups of fewer than `min_seeds` seeds are dropped as soon as they appear.
    """
    if len(seeds) < min_seeds or len(seeds) == 0:
        return []
    limit = max_gap + seed_size
    source, target = seeds[:, 0], seeds[:, 1]
    pending = [np.arange(len(seeds))]
    done: list[np.ndarray] = []
    while pending:
        members = pending.pop()
        if len(members) < min_seeds:
            continue
        parts = _split(members, source, limit)
        if len(parts) == 1:
            parts = _split(members, target, limit)
        if len(parts) == 1:
            done.append(members)
        else:
            pending.extend(parts)
    return done


def _covered(positions: np.ndarray, size: int) -> int:
    """How many words the seeds starting at `positions` cover."""
    unique = np.unique(positions)
    ends = unique + size
    gaps = np.minimum(np.diff(unique), size) if len(unique) > 1 else np.zeros(0, dtype=np.int64)
    return int(gaps.sum() + (ends[-1] - unique[-1]))


def _word_opcodes(source: list[int], target: list[int]) -> list[tuple[str, int, int, int, int]]:
    """LCS opcodes between two word-id lists, adjacent delete+insert folded into replace."""
    merged: list[tuple[str, int, int, int, int]] = []
    for op in Indel.opcodes(source, target):
        tag, i1, i2, j1, j2 = op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end
        if (
            merged
            and tag in ("insert", "delete")
            and merged[-1][0] in ("insert", "delete", "replace")
        ):
            _, a1, _, b1, _ = merged[-1]
            merged[-1] = ("replace", a1, i2, b1, j2)
        else:
            merged.append((tag, i1, i2, j1, j2))
    return merged


class _Side:
    """One text's word range [first, last) with segment boundaries in characters."""

    def __init__(self, text: str, tokens: Tokens, first: int, last: int) -> None:
        self.text = text
        self.starts = tokens.starts
        self.ends = tokens.ends
        self.first = first
        self.last = last

    def boundary(self, index: int) -> int:
        """Character offset where word `index` of the range starts (the range end for `last`)."""
        if index >= self.last:
            return int(self.ends[self.last - 1])
        return int(self.starts[index])


def _edits(
    opcodes: list[tuple[str, int, int, int, int]], source: _Side, target: _Side
) -> tuple[Edit, ...]:
    edits: list[Edit] = []
    for tag, i1, i2, j1, j2 in opcodes:
        s1, s2 = source.boundary(source.first + i1), source.boundary(source.first + i2)
        t1, t2 = target.boundary(target.first + j1), target.boundary(target.first + j2)
        if tag != "equal":
            op = "insert" if i1 == i2 else "delete" if j1 == j2 else "replace"
            edits.append(Edit(op, s1, s2, t1, t2, source.text[s1:s2], target.text[t1:t2]))
            continue
        if source.text[s1:s2] == target.text[t1:t2]:
            continue
        # Same words, different case or punctuation: one edit per differing word segment.
        for k in range(i2 - i1):
            a1 = source.boundary(source.first + i1 + k)
            a2 = source.boundary(source.first + i1 + k + 1)
            b1 = target.boundary(target.first + j1 + k)
            b2 = target.boundary(target.first + j1 + k + 1)
            left, right = source.text[a1:a2], target.text[b1:b2]
            if left == right:
                continue
            prefix = 0
            while prefix < min(len(left), len(right)) and left[prefix] == right[prefix]:
                prefix += 1
            suffix = 0
            while (
                suffix < min(len(left), len(right)) - prefix
                and left[len(left) - 1 - suffix] == right[len(right) - 1 - suffix]
            ):
                suffix += 1
            c1, c2 = a1 + prefix, a2 - suffix
            d1, d2 = b1 + prefix, b2 - suffix
            op = "insert" if c1 == c2 else "delete" if d1 == d2 else "replace"
            edits.append(Edit(op, c1, c2, d1, d2, source.text[c1:c2], target.text[d1:d2]))
    return tuple(edits)


def _align_range(
    source_text: str,
    source_tokens: Tokens,
    target_text: str,
    target_tokens: Tokens,
    source_range: tuple[int, int],
    target_range: tuple[int, int],
) -> Passage | None:
    """Align one word range pair into a passage trimmed to its first and last common word."""
    (a, b), (c, d) = source_range, target_range
    opcodes = _word_opcodes(source_tokens.ids[a:b].tolist(), target_tokens.ids[c:d].tolist())
    while opcodes and opcodes[0][0] != "equal":
        opcodes.pop(0)
    while opcodes and opcodes[-1][0] != "equal":
        opcodes.pop()
    if not opcodes:
        return None
    i0, j0 = opcodes[0][1], opcodes[0][3]
    i9, j9 = opcodes[-1][2], opcodes[-1][4]
    opcodes = [(tag, i1 - i0, i2 - i0, j1 - j0, j2 - j0) for tag, i1, i2, j1, j2 in opcodes]
    source = _Side(source_text, source_tokens, a + i0, a + i9)
    target = _Side(target_text, target_tokens, c + j0, c + j9)
    matched = sum(i2 - i1 for tag, i1, i2, _, _ in opcodes if tag == "equal")
    source_words, target_words = i9 - i0, j9 - j0
    similarity = min(1.0, 2.0 * matched / (source_words + target_words))
    return Passage(
        source_start=int(source_tokens.starts[source.first]),
        source_end=int(source_tokens.ends[source.last - 1]),
        target_start=int(target_tokens.starts[target.first]),
        target_end=int(target_tokens.ends[target.last - 1]),
        similarity=similarity,
        matched_words=matched,
        source_words=source_words,
        target_words=target_words,
        edits=_edits(opcodes, source, target),
    )


def _overlaps(first: tuple[int, int], second: tuple[int, int]) -> bool:
    return first[0] < second[1] and second[0] < first[1]


def align_pair(
    source_text: str,
    source_tokens: Tokens,
    target_text: str,
    target_tokens: Tokens,
    settings: Settings,
    source_mask: np.ndarray | None = None,
    target_mask: np.ndarray | None = None,
) -> tuple[Passage, ...]:
    """All reused passages between two tokenized texts, in source order.

    `source_mask`/`target_mask` mark boilerplate words (see `wiretrace.boilerplate`): they do not
    anchor passages, though a passage may still run through them.
    """
    size = settings.seed_size
    seeds = find_seeds(source_tokens.ids, target_tokens.ids, size, source_mask, target_mask)
    ranges: list[tuple[tuple[int, int], tuple[int, int]]] = []
    # A group of k seeds covers at most k + size - 1 words; it needs to cover half of min_length.
    min_seeds = max(1, -(-settings.min_length // 2) - size + 1)
    for members in cluster_seeds(seeds, settings.max_gap, size, min_seeds):
        chosen = seeds[members]
        if _covered(chosen[:, 0], size) * 2 < settings.min_length:
            continue
        ranges.append(
            (
                (int(chosen[:, 0].min()), int(chosen[:, 0].max()) + size),
                (int(chosen[:, 1].min()), int(chosen[:, 1].max()) + size),
            )
        )
    # Ranges that overlap on both sides are one passage seen twice: merge them.
    ranges.sort()
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for source_range, target_range in ranges:
        for index, (other_source, other_target) in enumerate(merged):
            if _overlaps(source_range, other_source) and _overlaps(target_range, other_target):
                merged[index] = (
                    (min(source_range[0], other_source[0]), max(source_range[1], other_source[1])),
                    (min(target_range[0], other_target[0]), max(target_range[1], other_target[1])),
                )
                break
        else:
            merged.append((source_range, target_range))
    # Seeds are whole n-grams: up to size - 1 shared words at either end of a passage, next to
    # an edit, belong to no seed. Align a little beyond the seeds; trimming keeps what matches.
    margin = size - 1
    passages = []
    for (a, b), (c, d) in merged:
        source_range = (max(0, a - margin), min(len(source_tokens), b + margin))
        target_range = (max(0, c - margin), min(len(target_tokens), d + margin))
        passage = _align_range(
            source_text, source_tokens, target_text, target_tokens, source_range, target_range
        )
        if (
            passage is not None
            and passage.matched_words >= settings.min_length
            and passage.similarity >= settings.min_similarity
        ):
            passages.append(passage)
    return tuple(sorted(_one_to_one(passages), key=lambda p: (p.source_start, p.target_start)))


def _mostly_overlaps(first: tuple[int, int], second: tuple[int, int]) -> bool:
    """Whether two spans share more than half of the shorter one."""
    shared = min(first[1], second[1]) - max(first[0], second[0])
    shorter = min(first[1] - first[0], second[1] - second[0])
    return shared > 0 and shared * 2 > shorter


def _one_to_one(passages: list[Passage]) -> list[Passage]:
    """Keep each stretch of text in one passage: where two passages mostly overlap on either
    side (a phrase the other text repeats), the one with more matched words wins."""
    kept: list[Passage] = []
    for passage in sorted(passages, key=lambda p: (-p.matched_words, p.source_start)):
        source = (passage.source_start, passage.source_end)
        target = (passage.target_start, passage.target_end)
        if not any(
            _mostly_overlaps(source, (k.source_start, k.source_end))
            or _mostly_overlaps(target, (k.target_start, k.target_end))
            for k in kept
        ):
            kept.append(passage)
    return kept
