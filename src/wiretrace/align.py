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

import re
import weakref

import attrs
import numpy as np
from rapidfuzz.distance import Indel

from wiretrace.config import Settings
from wiretrace.models import Edit, Passage
from wiretrace.normalize import normalize_word
from wiretrace.shingle import Tokens, shingle_hashes, token_id

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
_BOUNDARY = re.compile(r"[.!?;\u3002\uff01\uff1f]+|\n[ \t\r\f\v]*\n")
_STEM_CACHE: dict[int, int] = {}
_TERMS: weakref.WeakKeyDictionary[Tokens, tuple[np.ndarray, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)


def _stem_ids(text: str, tokens: Tokens) -> np.ndarray:
    """Each word's stem id (a stable 63-bit id), or -1 for a function word."""
    distinct, first, inverse = np.unique(tokens.ids, return_index=True, return_inverse=True)
    values = np.empty(len(distinct), dtype=np.int64)
    starts, ends = tokens.starts, tokens.ends
    for k, (word_id, at) in enumerate(zip(distinct.tolist(), first.tolist(), strict=True)):
        value = _STEM_CACHE.get(word_id)
        if value is None:
            normal = normalize_word(text[starts[at] : ends[at]])
            value = -1 if normal in STOPWORDS else token_id(normal[:STEM_LETTERS]) >> 1
            if len(_STEM_CACHE) >= 1_000_000:
                _STEM_CACHE.clear()
            _STEM_CACHE[word_id] = value
        values[k] = value
    return values[inverse]


def split_sentences(text: str, tokens: Tokens) -> np.ndarray:
    """The word index where each sentence of `text` starts (the first is 0; empty if no words).

    A sentence ends at end punctuation or a blank line between two words; very short sentences
    join the next one and very long ones are cut.
    """
    count = len(tokens)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    marks = np.array([m.start() for m in _BOUNDARY.finditer(text)], dtype=np.int64)
    following = np.searchsorted(tokens.starts, marks, "left")
    inside = (following > 0) & (following < count)
    # A mark inside a word ("3.5", "U.S.") is no boundary.
    inside[inside] &= tokens.ends[following[inside] - 1] <= marks[inside]
    starts = [0]
    for k in np.unique(following[inside]).tolist():
        if k - starts[-1] >= MIN_SENTENCE_WORDS:
            starts.append(k)
    if count - starts[-1] < MIN_SENTENCE_WORDS and len(starts) > 1:
        starts.pop()
    cut: list[int] = []
    for first, last in zip(starts, [*starts[1:], count], strict=True):
        cut.extend(range(first, last, MAX_SENTENCE_WORDS))
    return np.array(cut, dtype=np.int64)


def _sentence_terms(text: str, tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """Per text (cached while its tokens live): sentence starts, and each word's stem id."""
    cached = _TERMS.get(tokens)
    if cached is None:
        cached = (split_sentences(text, tokens), _stem_ids(text, tokens))
        _TERMS[tokens] = cached
    return cached


def _sentence_bags(
    starts: np.ndarray, stems: np.ndarray, vocabulary: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sentence, term, count) of every distinct content term of every sentence."""
    keep = stems >= 0
    sentence = np.searchsorted(starts, np.flatnonzero(keep), "right") - 1
    term = np.searchsorted(vocabulary, stems[keep])
    keys, counts = np.unique(sentence * len(vocabulary) + term, return_counts=True)
    return keys // len(vocabulary), keys % len(vocabulary), counts


class _SentenceSide:
    """One text's sentences as tf-idf vectors (idf over the sentences of both texts)."""

    def __init__(self, starts: np.ndarray, words: int, bags, idf: np.ndarray) -> None:
        self.starts = starts
        self.words = words
        self.sentence, self.term, self.count = bags
        self.weight = self.count * idf[self.term]
        self.norm = np.sqrt(np.bincount(self.sentence, self.weight**2, minlength=len(starts)))
        self.terms = np.bincount(self.sentence, minlength=len(starts))

    def word_range(self, first: int, last: int) -> tuple[int, int]:
        """Words [start, end) of sentences first..last (inclusive)."""
        end = int(self.starts[last + 1]) if last + 1 < len(self.starts) else self.words
        return int(self.starts[first]), end

    def vector(self, first: int, last: int, size: int, idf: np.ndarray) -> np.ndarray:
        """The tf-idf vector of sentences first..last as one text."""
        inside = (self.sentence >= first) & (self.sentence <= last)
        return np.bincount(self.term[inside], self.count[inside], minlength=size) * idf


def _sentence_matrix(source: _SentenceSide, target: _SentenceSide):
    """Cosine and shared-term counts of every sentence pair sharing a term (flat keys s*nt+t)."""
    order = np.argsort(target.term, kind="stable")
    sorted_terms = target.term[order]
    low = np.searchsorted(sorted_terms, source.term, "left")
    high = np.searchsorted(sorted_terms, source.term, "right")
    counts = high - low
    if not counts.any():
        return None
    left = np.repeat(np.arange(len(source.term)), counts)
    run_starts = np.repeat(low - np.cumsum(counts) + counts, counts)
    right = order[run_starts + np.arange(len(left))]
    keys = source.sentence[left] * len(target.starts) + target.sentence[right]
    products = source.weight[left] * target.weight[right]
    unique, inverse = np.unique(keys, return_inverse=True)
    dot = np.bincount(inverse, products)
    shared = np.bincount(inverse)
    return unique, dot, shared


def find_sentence_seeds(
    source_text: str,
    source_tokens: Tokens,
    target_text: str,
    target_tokens: Tokens,
    threshold: float,
) -> tuple[np.ndarray, _SentenceSide, _SentenceSide, np.ndarray] | None:
    """Sentence pairs (i, j) whose tf-idf cosine and Dice both reach `threshold`."""
    source_starts, source_stems = _sentence_terms(source_text, source_tokens)
    target_starts, target_stems = _sentence_terms(target_text, target_tokens)
    if len(source_starts) == 0 or len(target_starts) == 0:
        return None
    vocabulary = np.unique(
        np.concatenate([source_stems[source_stems >= 0], target_stems[target_stems >= 0]])
    )
    if len(vocabulary) == 0:
        return None
    source_bags = _sentence_bags(source_starts, source_stems, vocabulary)
    target_bags = _sentence_bags(target_starts, target_stems, vocabulary)
    frequency = np.bincount(source_bags[1], minlength=len(vocabulary)) + np.bincount(
        target_bags[1], minlength=len(vocabulary)
    )
    idf = np.log((len(source_starts) + len(target_starts)) / np.maximum(frequency, 1))
    source = _SentenceSide(source_starts, len(source_tokens), source_bags, idf)
    target = _SentenceSide(target_starts, len(target_tokens), target_bags, idf)
    found = _sentence_matrix(source, target)
    if found is None:
        return None
    keys, dot, shared = found
    i, j = keys // len(target_starts), keys % len(target_starts)
    denominator = source.norm[i] * target.norm[j]
    cosine = np.divide(dot, denominator, out=np.zeros_like(dot), where=denominator > 0)
    dice = 2.0 * shared / (source.terms[i] + target.terms[j])
    keep = (cosine >= threshold) & (dice >= threshold)
    seeds = np.stack([i[keep], j[keep]], axis=1).astype(np.int64)
    return seeds, source, target, idf


def _cosine(first: np.ndarray, second: np.ndarray) -> float:
    norm = float(np.linalg.norm(first) * np.linalg.norm(second))
    return float(first @ second) / norm if norm else 0.0


def _validated_clusters(
    seeds: np.ndarray,
    gap: int,
    source: _SentenceSide,
    target: _SentenceSide,
    idf: np.ndarray,
    passage_similarity: float,
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Sentence seeds clustered within `gap` sentences; a cluster whose two sides are not similar
    enough as wholes is clustered again with a smaller gap (Sanchez-Perez et al.'s validation)."""
    found = []
    pending = [(members, gap) for members in cluster_seeds(seeds, gap, 1)]
    while pending:
        members, current = pending.pop()
        chosen = seeds[members]
        a, b = int(chosen[:, 0].min()), int(chosen[:, 0].max())
        c, d = int(chosen[:, 1].min()), int(chosen[:, 1].max())
        size = len(idf)
        similarity = _cosine(source.vector(a, b, size, idf), target.vector(c, d, size, idf))
        if similarity >= passage_similarity:
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
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Word ranges of re-worded passages found by sentence seeds (see above).

    Summaries: when one side of a passage found with the wider `summary_gap` is three times as
    long as the other (a summary gathers a few sentences from across its source), those wider
    passages are taken instead.
    """
    found = find_sentence_seeds(
        source_text, source_tokens, target_text, target_tokens, settings.sentence_similarity
    )
    if found is None or len(found[0]) == 0:
        return []
    seeds, source, target, idf = found
    threshold = settings.passage_similarity
    clusters = _validated_clusters(seeds, settings.sentence_gap, source, target, idf, threshold)
    if settings.summary_gap > settings.sentence_gap:
        wide = _validated_clusters(seeds, settings.summary_gap, source, target, idf, threshold)
        if any(
            max(b - a + 1, d - c + 1) >= SUMMARY_RATIO * min(b - a + 1, d - c + 1)
            for (a, b), (c, d) in wide
        ):
            clusters = wide
    return [(source.word_range(a, b), target.word_range(c, d)) for (a, b), (c, d) in clusters]


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


def _sentence_passages(
    source_text: str,
    source_tokens: Tokens,
    target_text: str,
    target_tokens: Tokens,
    settings: Settings,
    found: list[Passage],
    rejected: list[tuple[tuple[int, int], tuple[int, int]]],
) -> list[Passage]:
    """Passages from sentence seeds where word seeds found none: a region already aligned word by
    word keeps its precise passage; word ranges too re-worded to pass join the sentence range."""
    passages = []
    for (a, b), (c, d) in sentence_ranges(
        source_text, source_tokens, target_text, target_tokens, settings
    ):
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
        passage = _align_range(
            source_text, source_tokens, target_text, target_tokens, source_range, target_range
        )
        if passage is not None and passage.matched_words >= settings.min_length:
            passages.append(passage)
    return passages


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
    merged = _merge_ranges(ranges)
    # Seeds are whole n-grams: up to size - 1 shared words at either end of a passage, next to
    # an edit, belong to no seed. Align a little beyond the seeds; trimming keeps what matches.
    margin = size - 1
    passages: list[Passage] = []
    rejected: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for (a, b), (c, d) in merged:
        source_range = (max(0, a - margin), min(len(source_tokens), b + margin))
        target_range = (max(0, c - margin), min(len(target_tokens), d + margin))
        passage = _align_range(
            source_text, source_tokens, target_text, target_tokens, source_range, target_range
        )
        if passage is None:
            continue
        if (
            passage.matched_words >= settings.min_length
            and passage.similarity >= settings.min_similarity
        ):
            passages.append(passage)
        else:
            rejected.append((source_range, target_range))
    if settings.sentence_similarity < 1.0:
        passages += _sentence_passages(
            source_text, source_tokens, target_text, target_tokens, settings, passages, rejected
        )
    return tuple(sorted(_one_to_one(passages), key=lambda p: (p.source_start, p.target_start)))


# Texts of at most this many words each (a sentence or two) are compared as wholes by `compare`.
SHORT_TEXT_WORDS = 60
# Short texts: the stem length of the content-word measure, the weight lost per number found in
# only one text, and the weight of the length difference (chosen on MSRP train; see
# benchmarks/README.md).
_SHORT_STEM_LETTERS = 4
_NUMBER_PENALTY = 0.05
_LENGTH_PENALTY = 0.2


def text_similarity(
    source_text: str, source_tokens: Tokens, target_text: str, target_tokens: Tokens
) -> float:
    """How alike two short texts are, in [0, 1]: the mean of three word measures (ordered word
    overlap, word-bag overlap, content-stem overlap), less a little for each number only one
    text has and for a difference in length (re-worded news keeps its figures and its size)."""
    source_count, target_count = len(source_tokens), len(target_tokens)
    if source_count == 0 or target_count == 0:
        return 0.0
    source_ids, target_ids = source_tokens.ids.tolist(), target_tokens.ids.tolist()
    ordered = 1.0 - Indel.normalized_distance(source_ids, target_ids)
    bag = 2.0 * _shared_count(source_ids, target_ids) / (source_count + target_count)
    source_words = _words(source_text, source_tokens)
    target_words = _words(target_text, target_tokens)
    source_stems = [w[:_SHORT_STEM_LETTERS] for w in source_words if w not in STOPWORDS]
    target_stems = [w[:_SHORT_STEM_LETTERS] for w in target_words if w not in STOPWORDS]
    stems = (
        2.0 * _shared_count(source_stems, target_stems) / (len(source_stems) + len(target_stems))
        if source_stems or target_stems
        else 1.0
    )
    numbers = {w for w in source_words if w[0].isdigit()} ^ {
        w for w in target_words if w[0].isdigit()
    }
    length = abs(source_count - target_count) / (source_count + target_count)
    score = (ordered + bag + stems) / 3 - _NUMBER_PENALTY * len(numbers) - _LENGTH_PENALTY * length
    return min(1.0, max(0.0, score))


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
    passage = _align_range(
        source_text,
        source_tokens,
        target_text,
        target_tokens,
        (0, len(source_tokens)),
        (0, len(target_tokens)),
    )
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
