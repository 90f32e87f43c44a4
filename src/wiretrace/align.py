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

import bisect
import functools
import math
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, cast

import attrs
import numpy as np
from rapidfuzz.distance import Indel, LCSseq

from wiretrace import _align_kernels, _kernels, _pair_kernels
from wiretrace._arrays import distinct, writable
from wiretrace.config import Settings
from wiretrace.models import Edit, EditOp, Passage
from wiretrace.normalize import normalize_word
from wiretrace.shingle import (
    Tokens,
    char_tables,
    recent_code_points,
    shingle_hashes,
    token_id,
    tokenize,
    wide_code_points,
)
from wiretrace.summary import MIN_SUMMARY_WORDS, find_summary

# A seed n-gram that occurs more often than this in either text is too common to anchor on.
MAX_SEED_OCCURRENCES = 12
# A passage found with the summary gap whose one side has this many times the other's sentences
# is a summary.
SUMMARY_RATIO = 3


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


@attrs.frozen(eq=False)
class _Grams:
    """One text's seed n-grams as `find_seeds` uses them, computed once per tokens object, seed
    size and mask (see `_grams`), in one buffer (`_kernels.text_grams`): the n-gram starts that
    may anchor a seed on the source side (not masked, at most MAX_SEED_OCCURRENCES in the text)
    with their hashes, and every n-gram's distinct hash (masked ones a sentinel) in a table
    behind a filter, with its n-gram starts, for the target side."""

    size: int
    mask: np.ndarray | None
    buffer: np.ndarray


@attrs.define(eq=False)
class _Prepared:
    """What is kept of one text while its tokens live (a text is in many pairs), in one record
    (one lookup, one entry to drop): its `_Grams`, its `_Sentences`, its boilerplate sentences
    with the mask they were found with (see `_text_boilerplate_sentences`), and its stem ids
    for the summary model with that mask (see `_summary_model_passages`). `tokens` is a weak
    reference to the tokens, whose callback drops the record."""

    tokens: weakref.ref[Tokens]
    grams: _Grams | None = None
    sentences: _Sentences | None = None
    boilerplate_mask: np.ndarray | None = None
    boilerplate: np.ndarray | None = None
    summary_mask: np.ndarray | None = None
    summary_stems: np.ndarray | None = None


# Each text's `_Prepared` by the id of its tokens object, the entry dropped when the tokens go
# (a plain dict: a WeakKeyDictionary lookup makes a weak reference each time, about a
# microsecond, and a pair takes several).
_PREPARED: dict[int, _Prepared] = {}
_NO_MASK = np.zeros(0, dtype=bool)


def _prepared(tokens: Tokens) -> _Prepared:
    """The text's `_Prepared` record (new and empty the first time)."""
    record = _PREPARED.get(id(tokens))
    if record is None:
        key = id(tokens)
        record = _PREPARED[key] = _Prepared(weakref.ref(tokens, _forget(key)))
    return record


def _forget(key: int) -> Callable[[weakref.ref[Tokens]], None]:
    """The callback that drops the record of the tokens whose id is `key` once they are gone
    (before the id can be another object's). The callback holds the dict itself: tokens that
    outlive the module's globals (freed at interpreter exit) still find it."""
    prepared = _PREPARED

    def drop(_: weakref.ref[Tokens]) -> None:
        prepared.pop(key, None)

    return drop


def _grams(tokens: Tokens, size: int, mask: np.ndarray | None) -> _Grams:
    """The text's `_Grams`, kept while its tokens live (a text is in many pairs); the text has
    at least `size` words."""
    record = _prepared(tokens)
    cached = record.grams
    if cached is not None and cached.size == size and cached.mask is mask:
        return cached
    # The same sentinels as `find_seeds`: 0 for a masked source n-gram, 1 for a target one.
    cached = _Grams(
        size,
        mask,
        _kernels.text_grams(
            tokens.ids,
            size,
            _NO_MASK if mask is None else np.ascontiguousarray(mask, dtype=bool),
            MAX_SEED_OCCURRENCES,
        ),
    )
    record.grams = cached
    return cached


def _find_seeds_cached(
    source_tokens: Tokens,
    target_tokens: Tokens,
    size: int,
    source_mask: np.ndarray | None = None,
    target_mask: np.ndarray | None = None,
) -> np.ndarray:
    """`find_seeds` of two tokenized texts, the same array, with each text's n-grams computed
    once however many pairs it is in."""
    if len(source_tokens) < size or len(target_tokens) < size:
        return np.zeros((0, 2), dtype=np.int64)
    return _kernels.match_grams(
        *_gram_tables(source_tokens, target_tokens, size, source_mask, target_mask),
        MAX_SEED_OCCURRENCES,
    )


def _gram_tables(
    source_tokens: Tokens,
    target_tokens: Tokens,
    size: int,
    source_mask: np.ndarray | None,
    target_mask: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The two texts' n-gram buffers as the seed kernels take them (`_kernels.match_grams`)."""
    return (
        _grams(source_tokens, size, source_mask).buffer,
        _grams(target_tokens, size, target_mask).buffer,
    )


def _split(members: np.ndarray, coordinate: np.ndarray, limit: int) -> list[np.ndarray]:
    ordered = members[np.argsort(coordinate[members], kind="stable")]
    cuts = np.flatnonzero(np.diff(coordinate[ordered]) > limit) + 1
    return np.split(ordered, cuts) if len(cuts) else [ordered]


def cluster_seeds(
    seeds: np.ndarray, max_gap: int, seed_size: int, min_seeds: int = 1
) -> list[np.ndarray]:
    """Group seeds into passages: split on gaps over `max_gap` words in either text, repeatedly.

    Groups of fewer than `min_seeds` seeds are dropped as soon as they appear. The groups (and
    their members, in order) of `cluster_seeds_plain`, computed by a compiled loop.
    """
    if len(seeds) < min_seeds or len(seeds) == 0:
        return []
    limit = max_gap + seed_size
    members, starts, ends, _, _, _ = _kernels.cluster_seeds(
        np.ascontiguousarray(seeds, dtype=np.int64),
        np.arange(len(seeds)),
        limit,
        limit,
        min_seeds,
        seed_size,
    )
    return [members[start:end] for start, end in zip(starts.tolist(), ends.tolist(), strict=True)]


def cluster_seeds_plain(
    seeds: np.ndarray, max_gap: int, seed_size: int, min_seeds: int = 1
) -> list[np.ndarray]:
    """`cluster_seeds` with numpy: the reference the compiled loop is tested against."""
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
    """How many words the seeds starting at `positions` cover (the reference the compiled
    clustering's counts are tested against)."""
    unique = distinct(positions)
    ends = unique + size
    gaps = np.minimum(np.diff(unique), size) if len(unique) > 1 else np.zeros(0, dtype=np.int64)
    return int(gaps.sum() + (ends[-1] - unique[-1]))


# Word lists are aligned whole while the product of their lengths is at most this: rapidfuzz's
# opcodes keep a bit for each pair of words (128 MiB here, two lists of 32,768 words; 5 GB for two
# texts of 200,000 words). Longer ones are aligned a piece at a time (`_piecewise_opcodes`).
MAX_ALIGN_CELLS = 1 << 30

Opcodes = list[tuple[str, int, int, int, int]]


def indel_opcodes(source: list[int], target: list[int]) -> Opcodes:
    """rapidfuzz's Indel opcodes of two word-id lists (equal, insert and delete runs, in order);
    lists too long to align whole (MAX_ALIGN_CELLS) are aligned between anchors."""
    if len(source) * len(target) > MAX_ALIGN_CELLS:
        return _piecewise_opcodes(source, target)
    return cast(Opcodes, Indel.opcodes(source, target).as_list())


# Anchors of a piecewise alignment are runs of this many words found once in each list.
ANCHOR_WORDS = 4


def _anchors(source: list[int], target: list[int]) -> list[tuple[int, int]]:
    """Word positions (i, j) to align two long lists through: where a run of ANCHOR_WORDS words
    found once in each list starts, the longest chain of them in the same order in both (as
    patience diff chooses its anchors, there from single lines)."""
    size = ANCHOR_WORDS
    source_runs = list(zip(*(source[k:] for k in range(size)), strict=False))
    target_runs = list(zip(*(target[k:] for k in range(size)), strict=False))
    once = {run for run, count in Counter(source_runs).items() if count == 1}
    once &= {run for run, count in Counter(target_runs).items() if count == 1}
    where = {run: j for j, run in enumerate(target_runs) if run in once}
    pairs = [(i, where[run]) for i, run in enumerate(source_runs) if run in once]
    # Longest increasing run of target positions, by patience sorting.
    tops: list[int] = []  # the smallest last target position of a run of each length
    ends: list[int] = []  # the pair ending that run
    previous = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        length = bisect.bisect_left(tops, j)
        if length == len(tops):
            tops.append(j)
            ends.append(k)
        else:
            tops[length], ends[length] = j, k
        previous[k] = ends[length - 1] if length else -1
    chain = []
    k = ends[-1] if ends else -1
    while k >= 0:
        chain.append(pairs[k])
        k = previous[k]
    return chain[::-1]


def _piecewise_opcodes(source: list[int], target: list[int]) -> Opcodes:
    """`indel_opcodes` of lists too long to align whole: cut at anchors (`_anchors`) into pieces
    small enough, each aligned whole. A piece still too large with no anchor left is cut at the
    anchors of its own words (runs found once in each side of the piece), and failing those in
    the middle of both sides (repetitive text: the alignment stays sound, if perhaps not the
    longest, and its memory bounded)."""
    pieces: list[tuple[int, int, int, int]] = []
    anchors = _anchors(source, target)
    # Each piece: its words, its anchors (anchors[low:high]) and the size (words on both sides)
    # of the piece they were found in: a piece's own are looked for only when it is smaller, so
    # every step makes a piece smaller or uses up an anchor.
    pending = [
        (0, len(source), 0, len(target), anchors, 0, len(anchors), len(source) + len(target))
    ]
    while pending:
        a, b, c, d, anchors, low, high, found_in = pending.pop()
        if (b - a) * (d - c) <= MAX_ALIGN_CELLS:
            pieces.append((a, b, c, d))
            continue
        if low == high and (b - a) + (d - c) < found_in:
            anchors = [(a + i, c + j) for i, j in _anchors(source[a:b], target[c:d])]
            low, high, found_in = 0, len(anchors), (b - a) + (d - c)
        if low == high:
            i, j = (a + b) // 2, (c + d) // 2
            pending.append((i, b, j, d, anchors, 0, 0, found_in))
            pending.append((a, i, c, j, anchors, 0, 0, found_in))
            continue
        # The anchor nearest the middle of the source piece starts the second half.
        middle = bisect.bisect_left(anchors, ((a + b) // 2, -1), low, high)
        middle = min(middle, high - 1)
        i, j = anchors[middle]
        pending.append((i, b, j, d, anchors, middle + 1, high, found_in))
        pending.append((a, i, c, j, anchors, low, middle, found_in))
    opcodes: Opcodes = []
    for a, b, c, d in sorted(pieces):
        piece = cast(Opcodes, Indel.opcodes(source[a:b], target[c:d]).as_list())
        for tag, i1, i2, j1, j2 in piece:
            if opcodes and opcodes[-1][0] == tag:
                _, i0, _, j0, _ = opcodes[-1]
                opcodes[-1] = (tag, i0, a + i2, j0, c + j2)
            else:
                opcodes.append((tag, a + i1, a + i2, c + j1, c + j2))
    return opcodes


def _word_opcodes(source: list[int], target: list[int]) -> Opcodes:
    """LCS opcodes between two word-id lists, adjacent delete+insert folded into replace."""
    merged: Opcodes = []
    opcodes = indel_opcodes(source, target)
    for tag, i1, i2, j1, j2 in opcodes:
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


def common_ends(first: Sequence[Any], second: Sequence[Any]) -> tuple[int, int]:
    """(head, tail): how many items the two sequences share at their start, and then at their
    end (the tail never overlaps the head)."""
    shortest = min(len(first), len(second))
    head = 0
    while head < shortest and first[head] == second[head]:
        head += 1
    tail = 0
    while tail < shortest - head and first[-1 - tail] == second[-1 - tail]:
        tail += 1
    return head, tail


def _edits(
    opcodes: list[tuple[str, int, int, int, int]],
    source_text: str,
    source_bounds: list[int],
    target_text: str,
    target_bounds: list[int],
) -> tuple[Edit, ...]:
    """The edits of two aligned word ranges. `source_bounds[k]` is the character offset where
    word k of the source range starts, and its last item where the range ends; the same for the
    target."""
    edits: list[Edit] = []
    for tag, i1, i2, j1, j2 in opcodes:
        s1, s2 = source_bounds[i1], source_bounds[i2]
        t1, t2 = target_bounds[j1], target_bounds[j2]
        if tag != "equal":
            op: EditOp = "insert" if i1 == i2 else "delete" if j1 == j2 else "replace"
            edits.append(Edit(op, s1, s2, t1, t2, source_text[s1:s2], target_text[t1:t2]))
            continue
        if source_text[s1:s2] == target_text[t1:t2]:
            continue
        # Same words, different case or punctuation: one edit per differing word segment.
        for k in range(i2 - i1):
            a1, a2 = source_bounds[i1 + k], source_bounds[i1 + k + 1]
            b1, b2 = target_bounds[j1 + k], target_bounds[j1 + k + 1]
            left, right = source_text[a1:a2], target_text[b1:b2]
            if left == right:
                continue
            prefix, suffix = common_ends(left, right)
            c1, c2 = a1 + prefix, a2 - suffix
            d1, d2 = b1 + prefix, b2 - suffix
            kind: EditOp = "insert" if c1 == c2 else "delete" if d1 == d2 else "replace"
            edits.append(Edit(kind, c1, c2, d1, d2, source_text[c1:c2], target_text[d1:d2]))
    return tuple(edits)


def _bounds(tokens: Tokens, first: int, last: int) -> list[int]:
    """Where words first..last - 1 start, then where word last - 1 ends (in characters)."""
    bounds: list[int] = tokens.starts[first:last].tolist()
    bounds.append(int(tokens.ends[last - 1]))
    return bounds


class _Alignment(NamedTuple):
    """Two word ranges aligned word by word, trimmed to their first and last common word: the
    opcodes (offsets from the first common words), the words [source_first, source_last) and
    [target_first, target_last), and how many words match."""

    opcodes: list[tuple[str, int, int, int, int]]
    source_first: int
    source_last: int
    target_first: int
    target_last: int
    matched: int

    @property
    def similarity(self) -> float:
        words = self.source_last - self.source_first + self.target_last - self.target_first
        return min(1.0, 2.0 * self.matched / words)


def _untraced(common: int, ranges: tuple[int, int, int, int]) -> _Alignment | None:
    """What `_align_words` gives a range pair (a, b, c, d) with `common` words in common, fewer
    than it traces: None when they share none, else their `matched` count alone (no opcodes,
    the ranges as given)."""
    return None if common == 0 else _Alignment([], *ranges, common)


def _equal_ends(opcodes: list[tuple[str, int, int, int, int]]) -> tuple[int, int]:
    """The first equal opcode and one past the last (equal to each other: none)."""
    first, last = 0, len(opcodes)
    while first < last and opcodes[first][0] != "equal":
        first += 1
    while last > first and opcodes[last - 1][0] != "equal":
        last -= 1
    return first, last


def _align_words(
    source_tokens: Tokens,
    target_tokens: Tokens,
    source_range: tuple[int, int],
    target_range: tuple[int, int],
    least: int = 1,
) -> _Alignment | None:
    """Align one word range pair, trimmed to its first and last common word (None: they share
    no word). Ranges with fewer than `least` words in common are not traced: only their
    `matched` count is given (the words of their longest common subsequence, which no alignment
    exceeds), with no opcodes and the ranges as given.

    The alignment of `_align_words_plain`, rapidfuzz's opcodes folded, trimmed, moved and
    counted in one pass instead of four."""
    (a, b), (c, d) = source_range, target_range
    source, target = source_tokens.ids[a:b].tolist(), target_tokens.ids[c:d].tolist()
    # Counting the common words takes time in the product of the lengths: lists too long to
    # align whole (aligned piecewise, in about linear time) are counted only when their
    # alignment matches fewer than `least` words (it matches no more than they have in common).
    long = len(source) * len(target) > MAX_ALIGN_CELLS
    if least > 1 and not long and (common := LCSseq.similarity(source, target)) < least:
        return _untraced(common, (a, b, c, d))
    found = indel_opcodes(source, target)
    if (
        least > 1
        and long
        and sum(i2 - i1 for tag, i1, i2, _, _ in found if tag == "equal") < least
        and (common := LCSseq.similarity(source, target)) < least
    ):
        return _untraced(common, (a, b, c, d))
    first, last = _equal_ends(found)
    if first == last:
        return None
    # Folding only joins the changes between two equal runs, which trimming keeps whole.
    i0, j0 = found[first][1], found[first][3]
    opcodes: list[tuple[str, int, int, int, int]] = []
    matched = 0
    changed = False  # whether the latest opcode kept is an insert, delete or replace
    for tag, i1, i2, j1, j2 in found[first:last]:
        if tag == "equal":
            matched += i2 - i1
            opcodes.append((tag, i1 - i0, i2 - i0, j1 - j0, j2 - j0))
            changed = False
        elif changed and tag != "replace":
            _, a1, _, b1, _ = opcodes[-1]
            opcodes[-1] = ("replace", a1, i2 - i0, b1, j2 - j0)
        else:
            opcodes.append((tag, i1 - i0, i2 - i0, j1 - j0, j2 - j0))
            changed = True
    i9, j9 = found[last - 1][2], found[last - 1][4]
    return _extended(
        _Alignment(opcodes, a + i0, a + i9, c + j0, c + j9, matched), source_tokens, target_tokens
    )


def _align_words_plain(
    source_tokens: Tokens,
    target_tokens: Tokens,
    source_range: tuple[int, int],
    target_range: tuple[int, int],
    least: int = 1,
) -> _Alignment | None:
    """`_align_words` step by step (`_word_opcodes`, then trimmed): the reference it is tested
    against."""
    (a, b), (c, d) = source_range, target_range
    source, target = source_tokens.ids[a:b].tolist(), target_tokens.ids[c:d].tolist()
    if least > 1 and (common := LCSseq.similarity(source, target)) < least:
        return _untraced(common, (a, b, c, d))
    opcodes = _word_opcodes(source, target)
    first, last = _equal_ends(opcodes)
    if first == last:
        return None
    i0, j0 = opcodes[first][1], opcodes[first][3]
    i9, j9 = opcodes[last - 1][2], opcodes[last - 1][4]
    opcodes = [
        (tag, i1 - i0, i2 - i0, j1 - j0, j2 - j0) for tag, i1, i2, j1, j2 in opcodes[first:last]
    ]
    matched = sum(i2 - i1 for tag, i1, i2, _, _ in opcodes if tag == "equal")
    return _extended(
        _Alignment(opcodes, a + i0, a + i9, c + j0, c + j9, matched), source_tokens, target_tokens
    )


# The most words `_extended` adds at either end of an alignment: the margin `_word_ranges` aligns
# beyond the seeds, with the default seed size.
EXTEND_WORDS = 2


def _extended(alignment: _Alignment, source_tokens: Tokens, target_tokens: Tokens) -> _Alignment:
    """The alignment with the same words both texts have just before its start added to it when
    they run back to the start of either text, and those just after its end when they run on to
    the end of either text (up to EXTEND_WORDS words each).

    A range is aligned a margin of words beyond its seeds on each side, cut at the start (or
    end) of a text: with an edit within the margin of the texts' first words, the texts' shared
    first word or two were left out of the passage, and the lineage took them for an opening
    the other copy dropped. Elsewhere shared words next to an edit are left out as before (most
    are boilerplate, which anchors no seed: extended, 2,758 of the 12,007 pairs of the
    20,000-article report ran up to two words into it)."""
    a, b = alignment.source_first, alignment.source_last
    c, d = alignment.target_first, alignment.target_last
    source, target = source_tokens.ids, target_tokens.ids
    # The words before it, back to the start of the text that starts first; after it, on to
    # the end of the text that ends first: added only when they are few and all the same.
    before, after = min(a, c), min(len(source) - b, len(target) - d)
    if before > EXTEND_WORDS or any(source[a - k] != target[c - k] for k in range(1, before + 1)):
        before = 0
    if after > EXTEND_WORDS or any(source[b + k] != target[d + k] for k in range(after)):
        after = 0
    if not before and not after:
        return alignment
    # Trimmed, the opcodes start and end with an equal run: those runs take the words added.
    opcodes = [
        (tag, i1 + before, i2 + before, j1 + before, j2 + before)
        for tag, i1, i2, j1, j2 in alignment.opcodes
    ]
    opcodes[0] = ("equal", 0, opcodes[0][2], 0, opcodes[0][4])
    tag, i1, i2, j1, j2 = opcodes[-1]
    opcodes[-1] = (tag, i1, i2 + after, j1, j2 + after)
    return _Alignment(
        opcodes, a - before, b + after, c - before, d + after, alignment.matched + before + after
    )


def _passage(
    source_text: str,
    source_tokens: Tokens,
    target_text: str,
    target_tokens: Tokens,
    alignment: _Alignment,
) -> Passage:
    """The passage of a (traced) alignment, with its edits."""
    source_bounds = _bounds(source_tokens, alignment.source_first, alignment.source_last)
    target_bounds = _bounds(target_tokens, alignment.target_first, alignment.target_last)
    return Passage(
        source_start=source_bounds[0],
        source_end=source_bounds[-1],
        target_start=target_bounds[0],
        target_end=target_bounds[-1],
        similarity=alignment.similarity,
        matched_words=alignment.matched,
        source_words=alignment.source_last - alignment.source_first,
        target_words=alignment.target_last - alignment.target_first,
        edits=_edits(alignment.opcodes, source_text, source_bounds, target_text, target_bounds),
    )


def _align_range(
    source_text: str,
    source_tokens: Tokens,
    target_text: str,
    target_tokens: Tokens,
    source_range: tuple[int, int],
    target_range: tuple[int, int],
) -> Passage | None:
    """Align one word range pair into a passage trimmed to its first and last common word."""
    alignment = _align_words(source_tokens, target_tokens, source_range, target_range)
    if alignment is None:
        return None
    return _passage(source_text, source_tokens, target_text, target_tokens, alignment)


def _whole_passage(
    source_text: str, source_tokens: Tokens, target_text: str, target_tokens: Tokens
) -> Passage | None:
    """The two whole texts aligned as one passage (see `_align_range`)."""
    return _align_range(
        source_text,
        source_tokens,
        target_text,
        target_tokens,
        (0, len(source_tokens)),
        (0, len(target_tokens)),
    )


def _overlaps(first: tuple[int, int], second: tuple[int, int]) -> bool:
    return first[0] < second[1] and second[0] < first[1]


# Sentence-level seeds (Sanchez-Perez, Sidorov & Gelbukh, PAN 2014): re-worded copy keeps few
# exact word n-grams, but its sentences still share most of their content words. Sentences of
# the two texts whose tf-idf vectors (over the sentences of both texts) reach
# `sentence_similarity` in cosine and in Dice are seeds; seeds within `sentence_gap` sentences
# on both sides form a passage, kept if its two sides as wholes reach `passage_similarity`.

# Function words carry no content: left out of sentence vectors (English, the corpora's main
# language; in other languages the idf weighting does most of the same work).
_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves
said says say one two new
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Words are reduced to their first letters, a stemmer that needs no language: "governments",
# "government" and "governing" meet; longer words keep more letters apart.
STEM_LETTERS = 5
# A "sentence" without end punctuation (a list, a table) is cut into pieces of this many words.
MAX_SENTENCE_WORDS = 60
# Sentences shorter than this (abbreviations such as "U.S." end one) join the next sentence.
MIN_SENTENCE_WORDS = 4


class _StemCache:
    """Stem ids of words seen before, by word id: a hash table in arrays (open addressing, at
    most half full) that compiled loops look up and fill. It starts afresh past `limit` words.
    Only words that the compiled pass cannot stem itself are kept (see `_stem_ids`)."""

    def __init__(self, limit: int = 2_000_000, capacity: int = 1 << 16) -> None:
        self.limit = limit
        self._empty(capacity)

    def _empty(self, capacity: int) -> None:
        self.keys = np.zeros(capacity, dtype=np.uint64)
        self.values = np.zeros(capacity, dtype=np.int64)
        self.filled = np.zeros(capacity, dtype=bool)
        self.size = 0

    def add(self, ids: np.ndarray, stems: np.ndarray) -> None:
        """Remember new words (`ids` distinct, none known yet)."""
        if self.size + len(ids) > self.limit:
            self._empty(len(self.keys))
        if 2 * (self.size + len(ids)) > len(self.keys):
            keys, values = self.keys[self.filled], self.values[self.filled]
            capacity = len(self.keys)
            while 2 * (self.size + len(ids)) > capacity:
                capacity *= 2
            self._empty(capacity)
            self.add(keys, values)
        _kernels.stem_insert(self.keys, self.values, self.filled, ids, stems)
        self.size += len(ids)


_STEM_CACHE = _StemCache()
_STOPWORD_IDS = np.unique(np.array([token_id(word) for word in STOPWORDS], dtype=np.uint64))


def _recent_stems(slots: int) -> np.ndarray:
    """An empty table of the last stem ids found (`_align_kernels._stem_ids`), of `slots` slots
    (a power of two, two at least) for the low bits of word ids: slot k holds a word id and its
    stem id side by side (the stem id's bits as uint64); an empty slot holds k ^ 1, the low bits
    of another slot, so no word looked for at slot k matches it."""
    table = np.zeros(2 * slots, dtype=np.uint64)
    table[0::2] = np.arange(slots, dtype=np.uint64) ^ np.uint64(1)
    return table


# 16,384 slots (256 KB): the common words of the news corpora, met again in most texts.
_RECENT_STEMS = _recent_stems(1 << 14)


def _stop_table(ids: np.ndarray) -> tuple[np.ndarray, int]:
    """(keys, shift): a table of the distinct word `ids` (one at least) for the compiled loop,
    each id alone at its slot (the bits from `shift` up of the id times
    `_align_kernels.STOP_MULTIPLIER`, as many as the table has slots), so a word is one of them
    if and only if the key at its slot is the word: one load and one comparison, where probing
    for it took branches the processor could not predict. An empty slot holds the first id,
    which is at a slot of its own, so it matches no word looked for there. (The product mixes
    ids of few bits, 0, 1, 2**39, that no window of their own bits would part.)"""
    if len(ids) == 0:
        raise ValueError("a stop table needs at least one id")
    mixed = ids.astype(np.uint64) * np.uint64(_align_kernels.STOP_MULTIPLIER)
    capacity = 1 << 10
    while capacity <= _MAX_STOP_SLOTS:
        mask = np.uint64(capacity - 1)
        for shift in range(64 - capacity.bit_length() + 2):
            slots = ((mixed >> np.uint64(shift)) & mask).astype(np.int64)
            if len(np.unique(slots)) == len(ids):
                keys = np.full(capacity, ids[0], dtype=np.uint64)
                keys[slots] = ids
                return keys, shift
        capacity *= 2
    raise ValueError(f"no table of up to {_MAX_STOP_SLOTS} slots holds each of the ids alone")


_MAX_STOP_SLOTS = 1 << 22


# The stop words' ids as such a table (it fits in the processor's fastest cache).
_STOPWORD_KEYS, _STOPWORD_SHIFT = _stop_table(_STOPWORD_IDS)


@functools.cache
def _stem_code_tables() -> tuple[np.ndarray, np.ndarray]:
    """(codes, stem codes) of the basic plane for the compiled stem pass: shingle's simple
    normalized code point of each character (0: none), and that code's own code (a stem is
    normalized again when hashed), 0 where either is 0."""
    codes = char_tables()[1]
    inner = np.where(codes < 0x10000, codes, 0).astype(np.int64)
    stem_codes = np.where((codes != 0) & (codes < 0x10000), codes[inner], 0).astype(np.uint64)
    return codes, stem_codes


def _stem_ids(text: str, tokens: Tokens) -> np.ndarray:
    """Each word's stem id (a stable 63-bit id), or -1 for a function word: `_sentences`' (the
    sentence seeds and the summary model share the array: not to be changed).

    The stem id is `token_id` of the word's first STEM_LETTERS letters (normalized), halved. A
    word whose characters each normalize to one character on their own (the tokenizer's simple
    characters: nearly every word of the news corpora) is stemmed and hashed by the compiled
    pass, as the tokenizer would hash its stem; other words are looked up in a cache and, when
    new, hashed together (`_add_stems`). Each word found is kept in a table of recent words
    (`_RECENT_STEMS`), looked in first. The ids of `_stem_ids_plain`.
    """
    return _sentences(text, tokens).word_stems


def _add_stems(text: str, tokens: Tokens, values: np.ndarray, missing_words: np.ndarray) -> None:
    """Put the stem ids of the words the compiled pass left `missing` in `values`, and keep
    them in the cache."""
    ids = tokens.ids
    missing = np.flatnonzero(missing_words)
    words, first, inverse = np.unique(ids[missing], return_index=True, return_inverse=True)
    spans = zip(
        tokens.starts[missing[first]].tolist(), tokens.ends[missing[first]].tolist(), strict=True
    )
    normals = [normalize_word(text[start:end]) for start, end in spans]
    stems = _hash_stems([normal[:STEM_LETTERS] for normal in normals])
    new = [-1 if normal in STOPWORDS else stem for normal, stem in zip(normals, stems, strict=True)]
    new_stems = np.array(new, dtype=np.int64)
    _STEM_CACHE.add(words, new_stems)
    values[missing] = new_stems[inverse]


def _stem_ids_plain(text: str, tokens: Tokens) -> np.ndarray:
    """`_stem_ids` word by word with `normalize_word` and `token_id`: the reference the compiled
    loop and the caches are tested against."""
    values = []
    for start, end in zip(tokens.starts.tolist(), tokens.ends.tolist(), strict=True):
        normal = normalize_word(text[start:end])
        values.append(-1 if normal in STOPWORDS else token_id(normal[:STEM_LETTERS]) >> 1)
    return np.array(values, dtype=np.int64)


# Stem ids by stem: a new word's stem has mostly been seen in other words.
_STEM_HASHES: dict[str, int] = {}
_STEM_HASHES_LIMIT = 1_000_000
# Fewer new stems than this are hashed one by one (`token_id`), more all at once.
FEW_STEMS = 8


def _hash_stems(stems: list[str]) -> list[int]:
    """`token_id(stem) >> 1` of each stem (kept by stem; new stems hashed together)."""
    values = [_STEM_HASHES.get(stem) for stem in stems]
    new = list(
        dict.fromkeys(stem for stem, value in zip(stems, values, strict=True) if value is None)
    )
    if not new:
        return values  # type: ignore[return-value]
    if len(_STEM_HASHES) + len(new) > _STEM_HASHES_LIMIT:
        _STEM_HASHES.clear()
    # Tokenizing costs about as much as hashing a few stems one by one.
    hashes = (
        _hash_new_stems(new) if len(new) >= FEW_STEMS else [token_id(stem) >> 1 for stem in new]
    )
    _STEM_HASHES.update(zip(new, hashes, strict=True))
    return [
        _STEM_HASHES[stem] if value is None else value
        for stem, value in zip(stems, values, strict=True)
    ]


def _hash_new_stems(stems: list[str]) -> list[int]:
    """`token_id(stem) >> 1` of each stem, the stems tokenized together as one text (a stem the
    tokenizer would not keep as one token, such as one ending in an apostrophe, alone)."""
    joined = " ".join(stems)
    tokens = tokenize(joined)
    lengths = np.array([len(stem) for stem in stems], dtype=np.int64)
    offsets = np.cumsum(lengths + 1) - lengths - 1
    at = np.minimum(np.searchsorted(tokens.starts, offsets), max(len(tokens) - 1, 0))
    whole = (
        (tokens.starts[at] == offsets) & (tokens.ends[at] == offsets + lengths)
        if len(tokens)
        else np.zeros(len(stems), dtype=bool)
    )
    values = (tokens.ids[at] >> np.uint64(1)).astype(np.int64).tolist() if len(tokens) else []
    return [
        values[k] if ok else token_id(stem) >> 1
        for k, (ok, stem) in enumerate(zip(whole.tolist(), stems, strict=True))
    ]


# Characters of the basic plane by their part in sentence marks: end punctuation, blanks, newline.
_MARK_KIND = np.zeros(0x10000, dtype=np.uint8)
_MARK_KIND[[ord(c) for c in ".!?;\u3002\uff01\uff1f"]] = 1
_MARK_KIND[[ord(c) for c in " \t\r\f\v"]] = 2
_MARK_KIND[ord("\n")] = 3


def _boundary_marks(text: str) -> np.ndarray:
    """Character offsets of sentence marks: end punctuation, and the first newline of a blank
    line (newline, spaces or tabs, newline). Several marks between two words count as one."""
    kinds = _MARK_KIND[np.minimum(wide_code_points(text), 0xFFFF)]
    punctuation = np.flatnonzero(kinds == 1)
    newlines = np.flatnonzero(kinds == 3)
    if len(newlines) < 2:
        return punctuation
    # Characters other than blanks and newlines, counted up to each newline.
    other = np.cumsum(kinds <= 1)
    blank = other[newlines[1:]] == other[newlines[:-1]]
    return np.sort(np.concatenate([punctuation, newlines[:-1][blank]]))


def split_sentences(text: str, tokens: Tokens) -> np.ndarray:
    """The word index where each sentence of `text` starts (the first is 0; empty if no words).

    A sentence ends at end punctuation or a blank line between two words; very short sentences
    join the next one and very long ones are cut. The sentences of `split_sentences_plain`,
    found by the compiled pass that makes `_sentences`.
    """
    return _sentences(text, tokens).starts


def split_sentences_plain(text: str, tokens: Tokens) -> np.ndarray:
    """`split_sentences` with numpy: the reference the compiled pass is tested against."""
    count = len(tokens)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    marks = _boundary_marks(text)
    following = np.searchsorted(tokens.starts, marks, "left")
    inside = (following > 0) & (following < count)
    # A mark inside a word ("3.5", "U.S.") is no boundary.
    inside[inside] &= tokens.ends[following[inside] - 1] <= marks[inside]
    starts = [0]
    for k in distinct(following[inside]).tolist():
        if k - starts[-1] >= MIN_SENTENCE_WORDS:
            starts.append(k)
    if count - starts[-1] < MIN_SENTENCE_WORDS and len(starts) > 1:
        starts.pop()
    cut: list[int] = []
    for first, last in zip(starts, [*starts[1:], count], strict=True):
        cut.extend(range(first, last, MAX_SENTENCE_WORDS))
    return np.array(cut, dtype=np.int64)


def _packed_part(index: int, doc: str) -> property:
    """A `_Sentences` property: part `index` of its `packed` arrays (see `_unpacked`), made when
    asked for."""
    return property(lambda self: _unpacked(self.packed)[index], doc=doc)


@attrs.frozen(eq=False)
class _Sentences:
    """One text's sentences as bags of content stems (computed once per text, see `_sentences`).

    `starts`: each sentence's first word; `words`: the text's words; `word_stems`: each word's
    stem id (`_stem_ids`). `sentence`, `local`, `count`: one entry per distinct stem of each
    sentence (the sentence, the stem's index in `stems`, how often it occurs there), ordered by
    stem; `stems`: the text's distinct content stems (`distinct` of them), sorted; `frequency`:
    in how many sentences each occurs; `terms`: distinct stems per sentence. `sentence_local`,
    `sentence_count`: `local` and `count` ordered by sentence, sentence k's entries at
    `offsets[k]:offsets[k + 1]`; stem k's entries are at `stem_offsets[k]:stem_offsets[k + 1]`.
    These arrays, all int32 but the stems, are views of `packed`, which the compiled loops take
    (see `sentence_entries`), but `sentence`, `local` and `count`, which only the plain
    references read: those are made (int64) from the others when asked for. Only those a pair's
    Python steps read are kept (a text's arrays are freed out of cache, one by one); the others
    are made when asked for.
    """

    starts: np.ndarray
    words: int
    word_stems: np.ndarray
    packed: np.ndarray
    distinct: int
    terms: np.ndarray
    offsets: np.ndarray
    sentence_local: np.ndarray
    sentence_count: np.ndarray

    @classmethod
    def from_packed(
        cls, starts: np.ndarray, words: int, word_stems: np.ndarray, packed: np.ndarray
    ) -> _Sentences:
        """The record of a text's sentence starts, words, stem ids and packed entries."""
        terms, offsets, _, _, _, _, sentence_local, sentence_count = _unpacked(packed)
        distinct = int(packed[1])
        return cls(
            starts,
            words,
            word_stems,
            packed,
            distinct,
            terms,
            offsets,
            sentence_local,
            sentence_count,
        )

    stems = _packed_part(2, "The text's distinct content stems, sorted.")
    frequency = _packed_part(3, "In how many sentences each distinct stem occurs.")
    stem_offsets = _packed_part(4, "Where each stem's entries start (and the last ends).")

    @property
    def sentence(self) -> np.ndarray:
        """Each entry's sentence (int64: the plain references multiply it by the number of
        sentences)."""
        return _unpacked(self.packed)[5].astype(np.int64)

    @property
    def local(self) -> np.ndarray:
        """Each entry's stem, as an index in `stems`."""
        return np.repeat(np.arange(self.distinct, dtype=np.int64), self.frequency)

    @property
    def count(self) -> np.ndarray:
        """How often each entry's stem occurs in its sentence."""
        # The entries by sentence, stably ordered by stem, are the entries by stem.
        return self.sentence_count[np.argsort(self.sentence_local, kind="stable")]


# Texts whose sentence data is kept by text (oldest dropped first), besides by tokens object:
# (text, sentences) by `_text_key`.
RECENT_TEXTS = 256
_RECENT_TEXTS: dict[tuple[int, str, str], tuple[str, _Sentences]] = {}


def _text_key(text: str) -> tuple[int, str, str]:
    """A text's key in `_RECENT_TEXTS`: its length and ends (a whole text as the key would be
    hashed, all of it, once for each new text object: about 4 us a news article). Texts with
    one key are told apart by comparing them."""
    return len(text), text[:32], text[-32:]


def _sentences(text: str, tokens: Tokens) -> _Sentences:
    """The text's `_Sentences`, kept while its tokens live (a text is in many pairs)."""
    record = _prepared(tokens)
    cached = record.sentences
    if cached is not None:
        return cached
    key = _text_key(text)
    recent = _RECENT_TEXTS.get(key)
    if recent is not None and recent[1].words == len(tokens) and recent[0] == text:
        record.sentences = recent[1]
        return recent[1]
    cache = _STEM_CACHE
    # Sentences, stems and (when every stem was made) stem entries in one compiled pass.
    starts, stems, missing, packed = _align_kernels.text_sentences(
        recent_code_points(text),
        _MARK_KIND,
        tokens.starts,
        tokens.ends,
        tokens.ids,
        *_stem_code_tables(),
        _STOPWORD_KEYS,
        _STOPWORD_SHIFT,
        cache.keys,
        cache.values,
        cache.filled,
        _RECENT_STEMS,
        STEM_LETTERS,
        MIN_SENTENCE_WORDS,
        MAX_SENTENCE_WORDS,
    )
    # The pass packs no entries (an empty array) when some stem is missing; packed entries have
    # five numbers at least.
    if not len(packed):
        _add_stems(text, tokens, stems, missing)
        packed = sentence_entries(stems, starts)
    cached = _Sentences.from_packed(starts, len(tokens), stems, packed)
    record.sentences = cached
    # The same text comes back with new tokens in later `find_reuse` chunks: keep the latest.
    if len(_RECENT_TEXTS) >= RECENT_TEXTS:
        del _RECENT_TEXTS[next(iter(_RECENT_TEXTS))]
    _RECENT_TEXTS[key] = text, cached
    return cached


def sentence_entries(stems: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """`_Sentences`' stem entries from each word's stem id (-1: a function word) and the
    sentences' first words, packed in one int64 array: the numbers of sentences, distinct stems
    and entries, the stems, then as int32 (half the memory: a text's arrays are kept while its
    pairs come) terms, offsets, frequency, stem_offsets, sentence, sentence_local and
    sentence_count, the last int32 unused and 0 when they are odd in number (see `_unpacked`).
    Exactly `sentence_entries_plain`'s, computed by a compiled loop."""
    return _align_kernels.sentence_entries(
        np.ascontiguousarray(stems, dtype=np.int64), np.ascontiguousarray(starts, dtype=np.int64)
    )


def _unpacked(packed: np.ndarray) -> list[np.ndarray]:
    """The arrays `sentence_entries` packs, as views, in its order: the bounds of the compiled
    loops' `_align_kernels._unpack` (tested to agree), which takes three times as long to call
    from Python."""
    sentences, stems, entries = packed[:3].tolist()
    small = packed[3 + stems :].view(np.int32)
    # The bounds of the parts in order (spelled out: a loop over their lengths took twice as long).
    a = sentences
    b = a + sentences + 1
    c = b + stems
    d = c + stems + 1
    e = d + entries
    f = e + entries
    return [
        small[:a],
        small[a:b],
        packed[3 : 3 + stems],
        small[b:c],
        small[c:d],
        small[d:e],
        small[e:f],
        small[f : f + entries],
    ]


def sentence_entries_plain(stems: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """`sentence_entries` with numpy: the reference the compiled loop is tested against."""
    keep = stems >= 0
    # One stable sort by stem (each stem's words stay in text order, so in sentence order); an
    # entry starts wherever the stem or the sentence changes.
    order = np.argsort(stems[keep], kind="stable")
    ordered = stems[keep][order]
    sentence = (np.searchsorted(starts, np.flatnonzero(keep), "right") - 1)[order]
    new_stem = np.ones(len(ordered), dtype=bool)
    new_stem[1:] = ordered[1:] != ordered[:-1]
    new_entry = new_stem.copy()
    new_entry[1:] |= sentence[1:] != sentence[:-1]
    entry = np.flatnonzero(new_entry)
    count = np.diff(np.append(entry, len(ordered)))
    local = (np.cumsum(new_stem) - 1)[entry]
    sentence = sentence[entry]
    terms = np.bincount(sentence, minlength=len(starts))
    by_sentence = np.argsort(sentence, kind="stable")
    frequency = np.bincount(local, minlength=int(new_stem.sum()))
    small = [
        terms,
        np.concatenate([[0], np.cumsum(terms)]),
        frequency,
        np.concatenate([[0], np.cumsum(frequency)]),
        sentence,
        local[by_sentence],
        count[by_sentence],
    ]
    small_parts = np.concatenate([np.asarray(part, dtype=np.int32) for part in small])
    if len(small_parts) % 2:
        small_parts = np.append(small_parts, np.int32(0))
    header = np.array([len(starts), len(frequency), len(sentence)], dtype=np.int64)
    return np.concatenate([header, ordered[new_stem], small_parts.view(np.int64)])


class _SentenceSide:
    """One text's sentences as tf-idf vectors, idf over the sentences of both texts."""

    def __init__(self, own: _Sentences, at: np.ndarray, idf: np.ndarray) -> None:
        """`at[k]`: own stem k's index among the other text's stems (-1: the other text has no
        such stem); `idf[k]`: its idf over the sentences of both texts."""
        self.starts, self.words, self.terms = own.starts, own.words, own.terms
        self.own = own
        self.at = at
        self.idf = idf
        self.similarities: dict[tuple[int, int, int, int], float] = {}

    @functools.cached_property
    def shared(self) -> np.ndarray:
        """Whether each own stem is also the other text's."""
        return self.at >= 0

    @functools.cached_property
    def shared_index(self) -> np.ndarray:
        """The shared stems, numbered in sorted order (the same numbering on both sides)."""
        return np.flatnonzero(self.at >= 0)

    def spans(self, tokens: Tokens, sentences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the `sentences` start and end, in characters (`tokens`: the text's)."""
        ends = np.append(self.starts[1:], self.words)
        return tokens.starts[self.starts[sentences]], tokens.ends[ends[sentences] - 1]

    def word_range(self, first: int, last: int) -> tuple[int, int]:
        """Words [start, end) of sentences first..last (inclusive)."""
        end = int(self.starts[last + 1]) if last + 1 < len(self.starts) else self.words
        return int(self.starts[first]), end

    def vector(self, first: int, last: int) -> np.ndarray:
        """The tf-idf vector (over the text's own stems) of sentences first..last as one text."""
        # The sentences' entries are one slice; the counts are whole numbers, so their sums do
        # not depend on the order they are added in.
        inside = slice(int(self.own.offsets[first]), int(self.own.offsets[last + 1]))
        weights = np.bincount(
            self.own.sentence_local[inside],
            self.own.sentence_count[inside],
            minlength=len(self.idf),
        )
        return weights * self.idf


@functools.lru_cache(maxsize=1024)
def _idf_table(sentences: int) -> np.ndarray:
    """The idf of a stem in k of `sentences` sentences, at k from 1 to `sentences`: log(sentences
    / k), each value the one numpy's log gives wherever it is made (0 at k = 0, unused)."""
    return np.concatenate([[0.0], np.log(sentences / np.arange(1, sentences + 1))])


def sentence_seeds(
    source: _Sentences,
    target: _Sentences,
    threshold: float,
    source_boilerplate: np.ndarray,
    target_boilerplate: np.ndarray,
) -> tuple[np.ndarray, _SentenceSide, _SentenceSide]:
    """Sentence pairs (i, j) of two texts (each with stems) whose tf-idf cosine and Dice of
    shared stems both reach `threshold`, where neither sentence is boilerplate (an (n, 2) int64
    array in (i, j) order), and both texts' `_SentenceSide`s: exactly `sentence_seeds_plain`'s,
    the shared stems, idf and sentence pairs found by one compiled call."""
    seeds, source_at, target_at, idf = _align_kernels.sentence_seeds(
        source.packed,
        source_boilerplate,
        target.packed,
        target_boilerplate,
        _idf_table(len(source.starts) + len(target.starts)),
        threshold,
    )
    return (
        seeds,
        _SentenceSide(source, source_at, idf[: source.distinct]),
        _SentenceSide(target, target_at, idf[source.distinct :]),
    )


def sentence_seeds_plain(
    source: _Sentences,
    target: _Sentences,
    threshold: float,
    source_boilerplate: np.ndarray,
    target_boilerplate: np.ndarray,
) -> tuple[np.ndarray, _SentenceSide, _SentenceSide]:
    """`sentence_seeds` with numpy: the reference the compiled call is tested against."""
    source_at, target_at, source_idf, target_idf = sentence_sides_plain(source, target)
    source_side = _SentenceSide(source, source_at, source_idf)
    target_side = _SentenceSide(target, target_at, target_idf)
    seeds = similar_sentences_plain(
        source_side, target_side, threshold, source_boilerplate, target_boilerplate
    )
    return seeds, source_side, target_side


def sentence_sides_plain(
    source: _Sentences, target: _Sentences
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(source at, target at, source idf, target idf) of `sentence_seeds`' sides with numpy,
    each side's idf on its own."""
    at = np.minimum(np.searchsorted(target.stems, source.stems), len(target.stems) - 1)
    shared = target.stems[at] == source.stems
    source_at = np.where(shared, at, -1)
    target_at = np.full(len(target.stems), -1, dtype=np.int64)
    target_at[at[shared]] = np.flatnonzero(shared)
    sentences = len(source.starts) + len(target.starts)
    source_frequency = source.frequency + np.where(shared, target.frequency[at], 0)
    target_frequency = target.frequency.copy()
    target_frequency[at[shared]] += source.frequency[shared]
    return (
        source_at,
        target_at,
        np.log(sentences / source_frequency),
        np.log(sentences / target_frequency),
    )


def similar_sentences_plain(
    source: _SentenceSide,
    target: _SentenceSide,
    threshold: float,
    source_boilerplate: np.ndarray,
    target_boilerplate: np.ndarray,
) -> np.ndarray:
    """The seeds of `sentence_seeds` with numpy, from both texts' sides."""
    weights, norms, ranks, entries = [], [], [], []
    for side in (source, target):
        weight = side.own.count * side.idf[side.own.local]
        weights.append(weight)
        norms.append(np.sqrt(np.bincount(side.own.sentence, weight**2, minlength=len(side.starts))))
        ranks.append(np.cumsum(side.shared) - 1)
        entries.append(np.flatnonzero(side.shared[side.own.local]))
    source_entries, target_entries = entries
    source_terms = ranks[0][source.own.local[source_entries]]
    target_terms = ranks[1][target.own.local[target_entries]]
    order = np.argsort(target_terms, kind="stable")
    sorted_terms = target_terms[order]
    low = np.searchsorted(sorted_terms, source_terms, "left")
    counts = np.searchsorted(sorted_terms, source_terms, "right") - low
    left = source_entries[np.repeat(np.arange(len(source_terms)), counts)]
    run_starts = np.repeat(low - np.cumsum(counts) + counts, counts)
    right = target_entries[order[run_starts + np.arange(len(left))]]
    keys = source.own.sentence[left] * len(target.starts) + target.own.sentence[right]
    keys, inverse = np.unique(keys, return_inverse=True)
    dot = np.bincount(inverse, weights[0][left] * weights[1][right])
    shared = np.bincount(inverse)
    i, j = keys // len(target.starts), keys % len(target.starts)
    denominator = norms[0][i] * norms[1][j]
    # (Floats even when no stem is shared: bincount of nothing gives integers.)
    cosine = np.divide(dot, denominator, out=np.zeros(len(dot)), where=denominator > 0)
    dice = 2.0 * shared / (source.terms[i] + target.terms[j])
    keep = (cosine >= threshold) & (dice >= threshold)
    keep &= ~source_boilerplate[i] & ~target_boilerplate[j]
    return np.stack([i[keep], j[keep]], axis=1).astype(np.int64)


def find_sentence_seeds(
    source_text: str,
    source_tokens: Tokens,
    target_text: str,
    target_tokens: Tokens,
    threshold: float,
    source_mask: np.ndarray | None = None,
    target_mask: np.ndarray | None = None,
) -> tuple[np.ndarray, _SentenceSide, _SentenceSide] | None:
    """Sentence pairs (i, j) whose tf-idf cosine and Dice both reach `threshold`; sentences
    mostly of masked (boilerplate) words are no seeds."""
    source, source_boilerplate = _sentence_flags(source_text, source_tokens, source_mask)
    target, target_boilerplate = _sentence_flags(target_text, target_tokens, target_mask)
    if source.distinct == 0 or target.distinct == 0:
        return None
    return sentence_seeds(source, target, threshold, source_boilerplate, target_boilerplate)


def _sentence_flags(
    text: str, tokens: Tokens, mask: np.ndarray | None
) -> tuple[_Sentences, np.ndarray]:
    """The text's `_Sentences` and `_text_boilerplate_sentences`, from one lookup of its record
    once both are kept (a text is in many pairs)."""
    record = _PREPARED.get(id(tokens))
    if (
        record is not None
        and record.sentences is not None
        and record.boilerplate is not None
        and record.boilerplate_mask is mask
    ):
        return record.sentences, record.boilerplate
    sentences = _sentences(text, tokens)
    return sentences, _text_boilerplate_sentences(tokens, mask, sentences.starts)


def _text_boilerplate_sentences(
    tokens: Tokens, mask: np.ndarray | None, starts: np.ndarray
) -> np.ndarray:
    """`_boilerplate_sentences` of a text (`starts`: its sentences), found once per mask (kept
    while its tokens live) by a compiled loop."""
    record = _prepared(tokens)
    found = record.boilerplate
    if found is None or record.boilerplate_mask is not mask:
        if mask is None:
            found = np.zeros(len(starts), dtype=bool)
        else:
            found = _align_kernels.boilerplate_sentences(
                np.ascontiguousarray(mask, dtype=bool), np.ascontiguousarray(starts, dtype=np.int64)
            )
        record.boilerplate, record.boilerplate_mask = found, mask
    return found


def _boilerplate_sentences(mask: np.ndarray | None, starts: np.ndarray) -> np.ndarray:
    """Whether more than half of each sentence's words are masked: the reference the compiled
    loop (`_align_kernels.boilerplate_sentences`) is tested against."""
    if mask is None or not mask.any():
        return np.zeros(len(starts), dtype=bool)
    masked = np.add.reduceat(mask.astype(np.int64), starts)
    lengths = np.diff(np.append(starts, len(mask)))
    return masked * 2 > lengths


def _range_similarity(
    source: _SentenceSide, target: _SentenceSide, a: int, b: int, c: int, d: int
) -> float:
    """tf-idf cosine of source sentences a..b and target sentences c..d, each as one text (kept
    in `source.similarities`: the narrow and the wide clustering often test the same ranges)."""
    found = source.similarities.get((a, b, c, d))
    if found is None:
        found = source.similarities[a, b, c, d] = _range_cosine(source, target, a, b, c, d)
    return found


def _range_cosine(
    source: _SentenceSide, target: _SentenceSide, a: int, b: int, c: int, d: int
) -> float:
    first, second = source.vector(a, b), target.vector(c, d)
    norm = float(np.linalg.norm(first) * np.linalg.norm(second))
    if not norm:
        return 0.0
    return float(first[source.shared_index] @ second[target.shared_index]) / norm


# Where a cosine of the compiled loop (its sums added in another order than numpy's) comes this
# close to the threshold, numpy decides. Two sums of the same n positive terms, added in any
# orders, differ by less than n * 2**-52 of their value: under 1e-12 for a text's thousands of
# stems, so every other test is decided as numpy decides it.
_NEAR_THRESHOLD = 1e-9


def _validated_clusters(
    seeds: np.ndarray,
    gap: int,
    source: _SentenceSide,
    target: _SentenceSide,
    passage_similarity: float,
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Sentence seeds clustered within `gap` sentences; a cluster whose two sides are not similar
    enough as wholes is clustered again with a smaller gap (Sanchez-Perez et al.'s validation).

    The clusters of `_validated_clusters_plain`, found by a compiled loop (or by that one where
    a cosine comes within _NEAR_THRESHOLD of `passage_similarity`)."""
    own, other = source.own, target.own
    found, decided = _kernels.validated_clusters(
        seeds,
        gap,
        own.sentence_local,
        own.sentence_count,
        own.offsets,
        source.idf,
        source.at,
        other.sentence_local,
        other.sentence_count,
        other.offsets,
        target.idf,
        passage_similarity,
        _NEAR_THRESHOLD,
    )
    if not decided:
        return _validated_clusters_plain(seeds, gap, source, target, passage_similarity)
    return [((a, b), (c, d)) for a, b, c, d in found.tolist()]


def _validated_clusters_plain(
    seeds: np.ndarray,
    gap: int,
    source: _SentenceSide,
    target: _SentenceSide,
    passage_similarity: float,
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """`_validated_clusters` with numpy's cosines: the reference the compiled loop is tested
    against."""
    found = []
    pending = [(members, gap) for members in cluster_seeds(seeds, gap, 1)]
    while pending:
        members, current = pending.pop()
        chosen = seeds[members]
        a, b = int(chosen[:, 0].min()), int(chosen[:, 0].max())
        c, d = int(chosen[:, 1].min()), int(chosen[:, 1].max())
        if _range_similarity(source, target, a, b, c, d) >= passage_similarity:
            found.append(((a, b), (c, d)))
        elif current > 0 and len(members) > 1:
            pending.extend(
                (members[part], current - 1) for part in cluster_seeds(chosen, current - 1, 1)
            )
    return found


def sentence_ranges(
    source_text: str,
    source_tokens: Tokens,
    target_text: str,
    target_tokens: Tokens,
    settings: Settings,
    source_mask: np.ndarray | None = None,
    target_mask: np.ndarray | None = None,
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Word ranges of re-worded passages found by sentence seeds (see above).

    Summaries: when one side of a passage found with the wider `summary_gap` is three times as
    long as the other (a summary gathers a few sentences from across its source), those wider
    passages are taken instead.
    """
    found = find_sentence_seeds(
        source_text,
        source_tokens,
        target_text,
        target_tokens,
        settings.sentence_similarity,
        source_mask,
        target_mask,
    )
    if found is None or len(found[0]) == 0:
        return []
    return _seed_ranges(*found, settings)


def _seed_ranges(
    seeds: np.ndarray,
    source: _SentenceSide,
    target: _SentenceSide,
    settings: Settings,
    screened: bool = True,
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """`sentence_ranges` from the sentence seeds found. The wider clusters are made only where
    a summary's may be found among them (`screened`; else wherever the seeds span SUMMARY_RATIO
    sentences, the reference the screen is tested against)."""
    threshold = settings.passage_similarity
    clusters = _validated_clusters(seeds, settings.sentence_gap, source, target, threshold)
    # A summary passage spans SUMMARY_RATIO sentences on one side at least: not possible when
    # all seeds lie within fewer (then the wider clusters need not be made), nor when no two
    # seeds are that lopsided (a test that implies the first).
    if settings.summary_gap > settings.sentence_gap and (
        _may_be_lopsided(seeds) if screened else _spread(seeds) >= SUMMARY_RATIO
    ):
        wide = _validated_clusters(seeds, settings.summary_gap, source, target, threshold)
        if any(
            max(b - a + 1, d - c + 1) >= SUMMARY_RATIO * min(b - a + 1, d - c + 1)
            for (a, b), (c, d) in wide
        ):
            clusters = wide
    return [(source.word_range(a, b), target.word_range(c, d)) for (a, b), (c, d) in clusters]


def _spread(seeds: np.ndarray) -> int:
    """How many sentences the seeds span on their wider side."""
    return int(np.ptp(seeds, axis=0).max()) + 1 if len(seeds) > 1 else 1


def _may_be_lopsided(seeds: np.ndarray) -> bool:
    """Whether a cluster of these sentence seeds may span SUMMARY_RATIO times as many sentences
    on one side as on the other. A cluster's span on its longer side is that of two of its
    seeds, and its span on the other side at least theirs: so some two seeds must be as
    lopsided (`_pair_kernels.lopsided`), or no cluster is. Past MANY_SEEDS seeds (the test
    takes every two) the answer is yes, which is never wrong."""
    if len(seeds) > MANY_SEEDS:
        return True
    return bool(_pair_kernels.lopsided(writable(seeds, np.int64), SUMMARY_RATIO))


# `_may_be_lopsided` tests every two of at most this many sentence seeds.
MANY_SEEDS = 2000


def _merge_ranges(
    ranges: list[tuple[tuple[int, int], tuple[int, int]]],
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Ranges that overlap on both sides are one passage seen twice: merge them."""
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for source_range, target_range in sorted(ranges):
        for index, (other_source, other_target) in enumerate(merged):
            if _overlaps(source_range, other_source) and _overlaps(target_range, other_target):
                merged[index] = (
                    (min(source_range[0], other_source[0]), max(source_range[1], other_source[1])),
                    (min(target_range[0], other_target[0]), max(target_range[1], other_target[1])),
                )
                break
        else:
            merged.append((source_range, target_range))
    return merged


def _seeds_in_passages(
    found: tuple[np.ndarray, _SentenceSide, _SentenceSide],
    source_tokens: Tokens,
    target_tokens: Tokens,
    passages: list[Passage],
) -> bool:
    """Whether every sentence seed (i, j) has a passage whose source overlaps sentence i and whose
    target overlaps sentence j (in characters, as `_sentence_passages` tests ranges): the answer
    of `_seeds_in_passages_plain`, found by a compiled loop."""
    seeds, source, target = found
    boxes = [(p.source_start, p.source_end, p.target_start, p.target_end) for p in passages]
    return bool(
        _pair_kernels.seeds_covered(
            writable(seeds, np.int64),
            source.starts,
            source.words,
            writable(source_tokens.starts, np.int64),
            writable(source_tokens.ends, np.int64),
            target.starts,
            target.words,
            writable(target_tokens.starts, np.int64),
            writable(target_tokens.ends, np.int64),
            np.array(boxes, dtype=np.int64).reshape(-1, 4),
        )
    )


def _seeds_in_passages_plain(
    found: tuple[np.ndarray, _SentenceSide, _SentenceSide],
    source_tokens: Tokens,
    target_tokens: Tokens,
    passages: list[Passage],
) -> bool:
    """`_seeds_in_passages` in Python: the reference the compiled loop is tested against."""
    seeds, source, target = found
    a, b = source.spans(source_tokens, seeds[:, 0])
    c, d = target.spans(target_tokens, seeds[:, 1])
    boxes = [(p.source_start, p.source_end, p.target_start, p.target_end) for p in passages]
    for a1, b1, c1, d1 in zip(a.tolist(), b.tolist(), c.tolist(), d.tolist(), strict=True):
        if not any(a1 < s2 and s1 < b1 and c1 < t2 and t1 < d1 for s1, s2, t1, t2 in boxes):
            return False
    return True


def _sentence_passages(
    source_text: str,
    source_tokens: Tokens,
    target_text: str,
    target_tokens: Tokens,
    settings: Settings,
    found: list[Passage],
    rejected: list[tuple[tuple[int, int], tuple[int, int]]],
    source_mask: np.ndarray | None = None,
    target_mask: np.ndarray | None = None,
) -> list[Passage]:
    """Passages from sentence seeds where word seeds found none: a region already aligned word by
    word keeps its precise passage; word ranges too re-worded to pass join the sentence range."""
    seeds = find_sentence_seeds(
        source_text,
        source_tokens,
        target_text,
        target_tokens,
        settings.sentence_similarity,
        source_mask,
        target_mask,
    )
    if seeds is None or len(seeds[0]) == 0:
        return []
    # Every range below spans at least one seed's two sentences: when each seed lies in one
    # passage found on both sides, every range does and is passed over, so none need be made.
    if found and _seeds_in_passages(seeds, source_tokens, target_tokens, found):
        return []
    passages = []
    for (a, b), (c, d) in _seed_ranges(*seeds, settings):
        source_span = (int(source_tokens.starts[a]), int(source_tokens.ends[b - 1]))
        target_span = (int(target_tokens.starts[c]), int(target_tokens.ends[d - 1]))
        if any(
            _overlaps(source_span, (p.source_start, p.source_end))
            and _overlaps(target_span, (p.target_start, p.target_end))
            for p in found
        ):
            continue
        source_range, target_range = (a, b), (c, d)
        for other_source, other_target in rejected:
            if _overlaps(source_range, other_source) and _overlaps(target_range, other_target):
                source_range = (min(a, other_source[0]), max(b, other_source[1]))
                target_range = (min(c, other_target[0]), max(d, other_target[1]))
        if min(source_range[1] - source_range[0], target_range[1] - target_range[0]) < (
            settings.min_length
        ):
            continue  # too short a side to match min_length words
        alignment = _align_words(
            source_tokens, target_tokens, source_range, target_range, settings.min_length
        )
        if alignment is not None and alignment.matched >= settings.min_length:
            passages.append(
                _passage(source_text, source_tokens, target_text, target_tokens, alignment)
            )
    return passages


def _word_ranges(
    source_tokens: Tokens,
    target_tokens: Tokens,
    settings: Settings,
    source_mask: np.ndarray | None,
    target_mask: np.ndarray | None,
) -> np.ndarray:
    """The word ranges `align_pair` aligns for its word seeds, as rows (source first, source
    last, target first, target last): those of `_word_ranges_plain`, made by one compiled call
    (`_pair_kernels.word_ranges`)."""
    size = settings.seed_size
    if len(source_tokens) < size or len(target_tokens) < size:
        return np.zeros((0, 4), dtype=np.int64)
    return _pair_kernels.word_ranges(
        *_gram_tables(source_tokens, target_tokens, size, source_mask, target_mask),
        MAX_SEED_OCCURRENCES,
        settings.max_gap + size,
        _min_seeds(settings),
        size,
        settings.min_length,
        size - 1,  # the margin: see `_word_ranges_plain`
        len(source_tokens),
        len(target_tokens),
    )


def _min_seeds(settings: Settings) -> int:
    """The fewest seeds a group needs: a group of k seeds covers at most k + seed_size - 1
    words, and it needs to cover half of min_length."""
    return max(1, -(-settings.min_length // 2) - settings.seed_size + 1)


def _word_ranges_plain(
    source_tokens: Tokens,
    target_tokens: Tokens,
    settings: Settings,
    source_mask: np.ndarray | None,
    target_mask: np.ndarray | None,
) -> np.ndarray:
    """`_word_ranges` step by step: the reference the compiled call is tested against."""
    size = settings.seed_size
    seeds = _find_seeds_cached(source_tokens, target_tokens, size, source_mask, target_mask)
    ranges: list[tuple[tuple[int, int], tuple[int, int]]] = []
    # The groups of `cluster_seeds`, with their seed ranges and covered words (`_covered`).
    limit = settings.max_gap + size
    _, _, _, bounds, covered, _ = _kernels.cluster_seeds(
        seeds, np.arange(len(seeds)), limit, limit, _min_seeds(settings), size
    )
    for (a, b, c, d), words in zip(bounds.tolist(), covered.tolist(), strict=True):
        if words * 2 >= settings.min_length:
            ranges.append(((a, b + size), (c, d + size)))
    # Seeds are whole n-grams: up to size - 1 shared words at either end of a passage, next to
    # an edit, belong to no seed. Align a little beyond the seeds; trimming keeps what matches.
    margin = size - 1
    rows = [
        (
            max(0, a - margin),
            min(len(source_tokens), b + margin),
            max(0, c - margin),
            min(len(target_tokens), d + margin),
        )
        for (a, b), (c, d) in _merge_ranges(ranges)
    ]
    return np.array(rows, dtype=np.int64).reshape(-1, 4)


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
    if _same_words(source_tokens, target_tokens, settings, source_mask, target_mask):
        # Two copies of one text are one passage, the whole text: seeds would miss the n-grams
        # found more than MAX_SEED_OCCURRENCES times (a text of one sentence repeated gave no
        # passage, or one passage of its middle), and sentences all alike do not stand out.
        whole = _whole_passage(source_text, source_tokens, target_text, target_tokens)
        return () if whole is None else (whole,)
    passages: list[Passage] = []
    rejected: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for a, b, c, d in _word_ranges(
        source_tokens, target_tokens, settings, source_mask, target_mask
    ).tolist():
        source_range, target_range = (a, b), (c, d)
        if min(b - a, d - c) < settings.min_length:
            # Too short a side to match min_length words, and not None (a range holds a seed on
            # both sides, so a common word): rejected without aligning.
            rejected.append((source_range, target_range))
            continue
        alignment = _align_words(
            source_tokens, target_tokens, source_range, target_range, settings.min_length
        )
        if alignment is None:
            continue
        if (
            alignment.matched >= settings.min_length
            and alignment.similarity >= settings.min_similarity
        ):
            passages.append(
                _passage(source_text, source_tokens, target_text, target_tokens, alignment)
            )
        else:
            rejected.append((source_range, target_range))
    if settings.sentence_similarity < 1.0 and _room_left(
        passages, len(source_tokens), len(target_tokens), settings.min_length
    ):
        passages += _sentence_passages(
            source_text,
            source_tokens,
            target_text,
            target_tokens,
            settings,
            passages,
            rejected,
            source_mask,
            target_mask,
        )
    if not passages and settings.summary_bigrams:
        passages += _summary_passages(
            source_text,
            source_tokens,
            target_text,
            target_tokens,
            settings,
            source_mask,
            target_mask,
        )
    if not passages and settings.summary_probability < 1.0:
        passages += _summary_model_passages(
            source_text,
            source_tokens,
            target_text,
            target_tokens,
            settings,
            source_mask,
            target_mask,
        )
    if len(passages) < 2:
        return tuple(passages)  # (what the sorting below gives them)
    return tuple(sorted(_one_to_one(passages), key=lambda p: (p.source_start, p.target_start)))


def _same_words(
    source_tokens: Tokens,
    target_tokens: Tokens,
    settings: Settings,
    source_mask: np.ndarray | None,
    target_mask: np.ndarray | None,
) -> bool:
    """Whether the two texts are the same words, `min_length` at least, none of them masked
    as boilerplate (boilerplate anchors no passage: those go the usual way)."""
    words = len(source_tokens)
    if words != len(target_tokens) or words < settings.min_length:
        return False
    if any(mask is not None and mask.any() for mask in (source_mask, target_mask)):
        return False
    return bool(np.array_equal(source_tokens.ids, target_tokens.ids))


# Summaries keep few sentences and few n-grams of their source, but they keep its names and
# terms: pairs of adjacent content words ("climate analysis", "analysis center"). Where no other
# passage was found, a window of this many words on each side holding `summary_bigrams` distinct
# shared content-word pairs is reported as a (summary) passage.
SUMMARY_WINDOW = 300


def _content_bigrams(
    text: str, tokens: Tokens, mask: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """(word index, hash) of every two adjacent content words (neither masked)."""
    if len(tokens) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    content = _stem_ids(text, tokens) >= 0
    if mask is not None:
        content &= ~mask
    at = np.flatnonzero(content[:-1] & content[1:])
    return at, shingle_hashes(tokens.ids, 2)[at]


def _densest_window(at: np.ndarray, hashes: np.ndarray) -> tuple[int, int, set[int]]:
    """The first and last word index, and the distinct hashes, of the window of SUMMARY_WINDOW
    words holding the most distinct hashes."""
    best: tuple[int, int, set[int]] = (0, 0, set())
    positions, values = at.tolist(), hashes.tolist()
    low = 0
    for high in range(len(positions)):
        while positions[high] - positions[low] > SUMMARY_WINDOW:
            low += 1
        distinct = set(values[low : high + 1])
        if len(distinct) > len(best[2]):
            best = (positions[low], positions[high] + 2, distinct)
    return best


def _summary_passages(
    source_text: str,
    source_tokens: Tokens,
    target_text: str,
    target_tokens: Tokens,
    settings: Settings,
    source_mask: np.ndarray | None,
    target_mask: np.ndarray | None,
) -> list[Passage]:
    """A summary passage (see SUMMARY_WINDOW), or none."""
    source_at, source_hashes = _content_bigrams(source_text, source_tokens, source_mask)
    target_at, target_hashes = _content_bigrams(target_text, target_tokens, target_mask)
    shared_source = np.isin(source_hashes, target_hashes)
    if int(shared_source.sum()) < settings.summary_bigrams:
        return []
    shared_target = np.isin(target_hashes, source_hashes)
    a, b, source_set = _densest_window(source_at[shared_source], source_hashes[shared_source])
    c, d, target_set = _densest_window(target_at[shared_target], target_hashes[shared_target])
    if len(source_set & target_set) < settings.summary_bigrams:
        return []
    passage = _align_range(source_text, source_tokens, target_text, target_tokens, (a, b), (c, d))
    return [passage] if passage is not None else []


def _summary_model_passages(
    source_text: str,
    source_tokens: Tokens,
    target_text: str,
    target_tokens: Tokens,
    settings: Settings,
    source_mask: np.ndarray | None,
    target_mask: np.ndarray | None,
) -> list[Passage]:
    """The summary passage that `wiretrace.summary.find_summary` locates (boilerplate words left
    out of both texts' content stems), or none."""
    if min(len(source_tokens), len(target_tokens)) < MIN_SUMMARY_WORDS:
        return []
    stems = []
    for text, tokens, mask in (
        (source_text, source_tokens, source_mask),
        (target_text, target_tokens, target_mask),
    ):
        # Kept with the mask they were made with: while the mask is the same object, the same
        # array comes back (and `wiretrace.summary` reuses its profile of it).
        record = _prepared(tokens)
        if record.summary_stems is None or record.summary_mask is not mask:
            values = _stem_ids(text, tokens)
            record.summary_stems = np.where(mask, -1, values) if mask is not None else values
            record.summary_mask = mask
        stems.append(record.summary_stems)
    found = find_summary(
        source_text,
        source_tokens,
        stems[0],
        target_text,
        target_tokens,
        stems[1],
        settings.summary_probability,
    )
    if found is None:
        return []
    source_range, target_range, _ = found
    passage = _align_range(
        source_text, source_tokens, target_text, target_tokens, source_range, target_range
    )
    return [attrs.evolve(passage, kind="summary")] if passage is not None else []


def _room_left(passages: list[Passage], source_words: int, target_words: int, least: int) -> bool:
    """Whether both texts keep `least` words outside the passages found (room for another)."""
    return (
        source_words - sum(p.source_words for p in passages) >= least
        and target_words - sum(p.target_words for p in passages) >= least
    )


# Texts of at most this many words each (a sentence or two) are compared as wholes by `compare`.
SHORT_TEXT_WORDS = 60
# Short texts are scored by a logistic model over general lexical measures (`short_features`),
# weighted as fitted by `python benchmarks/msrp.py --fit` on the first half of MSRP train (news
# sentence paraphrases); the second half is the held-out check (see benchmarks/README.md).
SHORT_FEATURES = (
    "ordered word overlap",
    "word bigram Dice",
    "content stem Dice",
    "content character 3-gram Dice",
    "character 4-gram Dice",
    "numbers in one text only",
    "larger content containment",
    "longest common word run",
    "content stems left unmatched",
    "smaller word containment",
)
_SHORT_WEIGHTS = (
    4.5617,
    -5.9792,
    0.2983,
    -0.8076,
    5.1265,
    -1.1445,
    0.0609,
    -1.5219,
    -1.1369,
    6.3171,
)
_SHORT_BIAS = -4.4533
_SHORT_STEM_LETTERS = 4
# Counts are capped (one more mismatch past a few tells little) and scaled into [0, 1].
_NUMBER_CAP = 4
_UNMATCHED_CAP = 10


def short_features(
    source_text: str, source_tokens: Tokens, target_text: str, target_tokens: Tokens
) -> list[float]:
    """The lexical measures of two short texts that `text_similarity` weighs, each in [0, 1] and
    symmetric in the two texts (names in SHORT_FEATURES)."""
    first, second = _words(source_text, source_tokens), _words(target_text, target_tokens)
    if (first, source_tokens.ids.tolist()) > (second, target_tokens.ids.tolist()):
        first, second = second, first  # one order for both calls: exactly symmetric
        source_tokens, target_tokens = target_tokens, source_tokens
    first_ids, second_ids = source_tokens.ids.tolist(), target_tokens.ids.tolist()
    first_content = [w for w in first if w not in STOPWORDS]
    second_content = [w for w in second if w not in STOPWORDS]
    first_stems = [w[:STEM_LETTERS] for w in first_content]
    second_stems = [w[:STEM_LETTERS] for w in second_content]
    shared_stems = _shared_count(first_stems, second_stems)
    shared_words = _shared_count(first_ids, second_ids)
    numbers = {w for w in first if w[0].isdigit()} ^ {w for w in second if w[0].isdigit()}
    return [
        1.0 - Indel.normalized_distance(first_ids, second_ids),
        _dice(_bigrams(first_ids), _bigrams(second_ids)),
        _dice(
            [w[:_SHORT_STEM_LETTERS] for w in first_content],
            [w[:_SHORT_STEM_LETTERS] for w in second_content],
        ),
        _dice(_character_grams(first_content, 3), _character_grams(second_content, 3)),
        _dice(_character_grams(first, 4), _character_grams(second, 4)),
        min(len(numbers), _NUMBER_CAP) / _NUMBER_CAP,
        shared_stems / max(1, min(len(first_stems), len(second_stems))),
        _longest_common_run(first_ids, second_ids) / min(len(first_ids), len(second_ids)),
        min(max(len(first_stems), len(second_stems)) - shared_stems, _UNMATCHED_CAP)
        / _UNMATCHED_CAP,
        shared_words / max(len(first_ids), len(second_ids)),
    ]


def text_similarity(
    source_text: str, source_tokens: Tokens, target_text: str, target_tokens: Tokens
) -> float:
    """How alike two short texts are, in [0, 1]: the probability of a paraphrase that a logistic
    model gives from their lexical measures (`short_features`: word and character overlap,
    shared figures, containment, common runs). The same words in the same order give 1."""
    if len(source_tokens) == 0 or len(target_tokens) == 0:
        return 0.0
    if np.array_equal(source_tokens.ids, target_tokens.ids):
        return 1.0
    features = short_features(source_text, source_tokens, target_text, target_tokens)
    value = _SHORT_BIAS + sum(w * f for w, f in zip(_SHORT_WEIGHTS, features, strict=True))
    return 1.0 / (1.0 + math.exp(-value))


def _dice(first: list, second: list) -> float:
    """2 x shared items / all items, with multiplicity (1 for two empty lists)."""
    if not first and not second:
        return 1.0
    return 2.0 * _shared_count(first, second) / (len(first) + len(second))


def _bigrams(ids: list[int]) -> list[tuple[int, int]]:
    return list(zip(ids[:-1], ids[1:], strict=True))


def _character_grams(words: list[str], size: int) -> list[str]:
    """Character n-grams of the words joined by spaces (edges padded): spelling variants and
    inflections share most of them."""
    text = f" {' '.join(words)} "
    return [text[k : k + size] for k in range(len(text) - size + 1)]


def _longest_common_run(first: list[int], second: list[int]) -> int:
    """The most consecutive words the two lists share in the same order."""
    best, previous = 0, [0] * (len(second) + 1)
    for item in first:
        current = [0] * (len(second) + 1)
        for k, other in enumerate(second):
            if item == other:
                current[k + 1] = previous[k] + 1
                best = max(best, current[k + 1])
        previous = current
    return best


def _words(text: str, tokens: Tokens) -> list[str]:
    return [
        normalize_word(text[start:end])
        for start, end in zip(tokens.starts.tolist(), tokens.ends.tolist(), strict=True)
    ]


def _shared_count(first: list, second: list) -> int:
    """Items the two lists share, counted with multiplicity."""
    counts: dict = {}
    for item in first:
        counts[item] = counts.get(item, 0) + 1
    shared = 0
    for item in second:
        if counts.get(item, 0) > 0:
            counts[item] -= 1
            shared += 1
    return shared


def align_short_texts(
    source_text: str,
    source_tokens: Tokens,
    target_text: str,
    target_tokens: Tokens,
    settings: Settings,
) -> tuple[Passage, ...]:
    """Two short texts (each at most SHORT_TEXT_WORDS words: sentences, headlines) as one
    passage when their `text_similarity` reaches `settings.short_similarity`.

    The passage is the two texts aligned word by word (edits replay); its `similarity` is the
    text similarity. No passage when they are less alike, or when either text is longer.
    """
    if max(len(source_tokens), len(target_tokens)) > SHORT_TEXT_WORDS:
        return ()
    similarity = text_similarity(source_text, source_tokens, target_text, target_tokens)
    if similarity < settings.short_similarity or similarity == 0.0:
        return ()
    passage = _whole_passage(source_text, source_tokens, target_text, target_tokens)
    if passage is None:
        return ()
    return (attrs.evolve(passage, similarity=similarity),)


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
