"""Summary detection: a text that carries another's names and terms but not its wording.

A summary keeps few sentences and few word n-grams of its source, so neither word seeds nor
sentence seeds find it. What it keeps are the source's names and terms, each used once or twice
inside a text that is otherwise about something else. Texts covering one story in their own words
share as many names, but they share their vocabulary all through and both repeat the story's main
terms. A logistic model over a few such measures of a pair (`summary_features`) tells the two
apart, though not without cost: unrelated articles naming the same people and places look alike
too. It was fitted by `python benchmarks/sweep.py --fit-summary` on half of the PAN 2013 summary
and no-plagiarism pairs and on AllSides pairs (same story in different words, and different
stories) as negatives, and checked on the other half and other AllSides pairs; it is off by
default (see benchmarks/README.md for the trade-off).

Used by `align.align_pair` where no other passage is found (setting `summary_probability`); the
passage reported is the target's window densest in the source's content-word pairs, against the
source words it draws on.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from wiretrace.shingle import Tokens

# The target window searched for the summary, in words (a summary paragraph or two).
SUMMARY_WINDOW = 150
# Both texts need this many words: a summary inside another text has text around it, and the
# measures below mean little on a paragraph (short texts are left to `text_similarity`).
MIN_SUMMARY_WORDS = SUMMARY_WINDOW
# Name shares are taken over this many more names than counted, so that a text naming one or two
# places, all shared, does not look like a summary.
NAME_PRIOR = 2
# End punctuation and quotes: a capitalised word after one of these opens a sentence, so its
# capital says nothing about it being a name.
_OPENERS = np.zeros(0x10000, dtype=bool)
_OPENERS[[ord(c) for c in '.!?:;"\u201c\u201d']] = True
# Each text's content profile (see `_Profile`), kept while its tokens live (a text is in many
# pairs).
_PROFILES: weakref.WeakKeyDictionary[Tokens, _Profile] = weakref.WeakKeyDictionary()
# Each text's names (distinct ids, counts), kept while its tokens live.
_NAMES: weakref.WeakKeyDictionary[Tokens, tuple[np.ndarray, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)

SUMMARY_FEATURES = (
    "share of target words with a shared stem minus share of target stems shared",
    "shared content-word pairs in the target window (log)",
    "shared content-word pairs outside the window (log)",
    "source content stems found in the target (share)",
    "target content stems found in the source (share)",
    "shared content stems over the smaller text's stems",
    "tf cosine of the two texts' content stems",
    "shared names over the smaller text's names (+ NAME_PRIOR)",
    "shared names over the target's names (+ NAME_PRIOR)",
    "shared names used once in the target (over shared names + NAME_PRIOR)",
    "target words (log)",
    "source words (log)",
)
_SUMMARY_WEIGHTS = (
    -33.5827,
    2.3376,
    -0.4410,
    24.7489,
    -5.4146,
    -22.0003,
    -10.6172,
    5.8249,
    10.7048,
    3.4651,
    0.6310,
    1.1900,
)
_SUMMARY_BIAS = -18.7678


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _upper(points: np.ndarray) -> np.ndarray:
    """Whether each code point is an upper-case letter."""
    upper = (points >= 65) & (points <= 90)
    wide = np.flatnonzero(points > 127)
    if len(wide):
        upper[wide] = [chr(point).isupper() for point in points[wide].tolist()]
    return upper


def name_ids(text: str, tokens: Tokens) -> np.ndarray:
    """Word ids of the capitalised words that do not open a sentence (names, mostly): first
    letter upper case, second not, and no end punctuation or quote since the previous word."""
    if len(tokens) < 2:
        return np.zeros(0, dtype=np.uint64)
    points = _code_points(text)
    starts, ends = tokens.starts, tokens.ends
    seconds = np.minimum(starts + 1, len(points) - 1)
    second_upper = _upper(points[seconds]) & (ends - starts > 1)
    capital = _upper(points[starts]) & ~second_upper
    marks = np.concatenate([[0], np.cumsum(_OPENERS[np.minimum(points, 0xFFFF)])])
    opens = np.ones(len(tokens), dtype=bool)
    opens[1:] = marks[starts[1:]] > marks[ends[:-1]]
    return tokens.ids[capital & ~opens]


def _names(text: str, tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """The text's distinct name ids (sorted) and how often each occurs, cached by tokens."""
    cached = _NAMES.get(tokens)
    if cached is None:
        cached = np.unique(name_ids(text, tokens), return_counts=True)
        _NAMES[tokens] = cached
    return cached


def _members(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Whether each value is in `sorted_set` (sorted, distinct)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values


class _Profile:
    """One text's content stems as the model uses them: distinct stems (sorted) with counts and
    norm; at each word, the hash of it and the next word as a pair of content stems, whether they
    are one, and the distinct pair hashes (sorted)."""

    def __init__(self, stems: np.ndarray) -> None:
        self.stems = stems
        self.vocabulary, self.counts = np.unique(stems[stems >= 0], return_counts=True)
        self.norm = float(np.linalg.norm(self.counts))
        first, second = stems[:-1], stems[1:]
        self.valid = (first >= 0) & (second >= 0)
        hashes = (first.astype(np.uint64) * np.uint64(1_000_003)) ^ second.astype(np.uint64)
        self.pairs = np.where(self.valid, hashes, np.uint64(0))
        self.distinct_pairs = np.unique(self.pairs[self.valid])


def _profile(tokens: Tokens, stems: np.ndarray) -> _Profile:
    """The `_Profile` of these stems, cached by tokens while the same stems array comes back."""
    cached = _PROFILES.get(tokens)
    if cached is None or cached.stems is not stems:
        cached = _PROFILES[tokens] = _Profile(stems)
    return cached


def _densest_window(marked: np.ndarray, size: int) -> tuple[int, int]:
    """(start, count): the `size`-word window holding the most marked words (the first such)."""
    totals = np.concatenate([[0], np.cumsum(marked, dtype=np.int64)])
    if len(marked) <= size:
        return 0, int(totals[-1])
    counts = totals[size:] - totals[: len(totals) - size]
    start = int(np.argmax(counts))
    return start, int(counts[start])


def summary_features(
    source_text: str,
    source_tokens: Tokens,
    source_stems: np.ndarray,
    target_text: str,
    target_tokens: Tokens,
    target_stems: np.ndarray,
) -> tuple[list[float], tuple[int, int]]:
    """The measures of a pair that `summary_probability` weighs (names in SUMMARY_FEATURES),
    and the target window [start, end) in words that holds the most shared content-word pairs.

    `source_stems`/`target_stems`: each word's content stem id, -1 for function words and words
    to leave out (boilerplate), as `align` makes them.
    """
    source, target = _profile(source_tokens, source_stems), _profile(target_tokens, target_stems)
    source_vocabulary, source_counts = source.vocabulary, source.counts
    target_vocabulary, target_counts = target.vocabulary, target.counts
    _, in_source, in_target = np.intersect1d(
        source_vocabulary, target_vocabulary, assume_unique=True, return_indices=True
    )
    shared = len(in_source)
    target_share = shared / max(1, len(target_vocabulary))
    source_share = shared / max(1, len(source_vocabulary))
    token_share = float(target_counts[in_target].sum()) / max(1, int(target_counts.sum()))
    norms = source.norm * target.norm
    cosine = float(source_counts[in_source] @ target_counts[in_target]) / norms if norms else 0.0

    shared_pairs = target.valid & _members(target.pairs, source.distinct_pairs)
    if shared_pairs.any():
        start, inside = _densest_window(shared_pairs, SUMMARY_WINDOW)
        marked, width = shared_pairs, 2
    else:
        marked = (target_stems >= 0) & _members(target_stems, source_vocabulary)
        start, inside, width = _densest_window(marked, SUMMARY_WINDOW)[0], 0, 1
    outside = int(shared_pairs.sum()) - inside
    # The window trimmed to its first and last shared pair (or shared word).
    at = np.flatnonzero(marked[start : start + SUMMARY_WINDOW])
    window = (start + int(at[0]), start + int(at[-1]) + width) if len(at) else (start, start)

    source_names = _names(source_text, source_tokens)[0]
    target_names, name_counts = _names(target_text, target_tokens)
    _, _, names_in_target = np.intersect1d(
        source_names, target_names, assume_unique=True, return_indices=True
    )
    shared_names = len(names_in_target)
    features = [
        token_share - target_share,
        math.log1p(inside),
        math.log1p(outside),
        source_share,
        target_share,
        shared / max(1, min(len(source_vocabulary), len(target_vocabulary))),
        cosine,
        shared_names / (min(len(source_names), len(target_names)) + NAME_PRIOR),
        shared_names / (len(target_names) + NAME_PRIOR),
        float(np.sum(name_counts[names_in_target] == 1)) / (shared_names + NAME_PRIOR),
        math.log(max(1, len(target_stems))),
        math.log(max(1, len(source_stems))),
    ]
    return features, window


def summary_probability(features: list[float]) -> float:
    """The probability of a summary that the fitted logistic model gives to `features`."""
    value = _SUMMARY_BIAS + sum(w * f for w, f in zip(_SUMMARY_WEIGHTS, features, strict=True))
    return 1.0 / (1.0 + math.exp(-min(max(value, -700.0), 700.0)))


def find_summary(
    source_text: str,
    source_tokens: Tokens,
    source_stems: np.ndarray,
    target_text: str,
    target_tokens: Tokens,
    target_stems: np.ndarray,
    threshold: float,
) -> tuple[tuple[int, int], tuple[int, int], float] | None:
    """Where the target summarises the source: (source word range, target word range,
    probability), or None when the model's probability is under `threshold` (or a text is
    shorter than MIN_SUMMARY_WORDS).

    The target range is the SUMMARY_WINDOW words densest in shared content-word pairs, trimmed
    to its first and last shared pair; the source range runs from the first to the last source
    word sharing a content stem with that range.
    """
    if min(len(source_tokens), len(target_tokens)) < MIN_SUMMARY_WORDS:
        return None
    features, (start, end) = summary_features(
        source_text, source_tokens, source_stems, target_text, target_tokens, target_stems
    )
    probability = summary_probability(features)
    if probability < threshold:
        return None
    window = target_stems[start:end]
    drawn = np.flatnonzero((source_stems >= 0) & np.isin(source_stems, window[window >= 0]))
    if len(drawn) == 0:
        return None
    return (int(drawn[0]), int(drawn[-1]) + 1), (start, end), probability
