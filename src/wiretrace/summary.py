"""Summary detection: a text that carries another's names and terms but not its wording.

A summary keeps few sentences and few word n-grams of its source, so neither word seeds nor
sentence seeds find it. What it keeps are the source's names and terms, each used once or twice
inside a text that is otherwise about something else. Texts covering one story in their own words
share as many names, but they share their vocabulary all through, both repeat the story's main
terms and names, and use a shared name among the same words. Unrelated articles naming the same
people and places once each look alike too; what tells them apart is how common the shared names
and terms are in general text, which two texts alone do not tell: a background of word
frequencies (wordfreq's, English) does. A shared "Hazelwood" is strong evidence of borrowing, a
shared "Trump" or "court" weak. A logistic model over such measures of a pair
(`summary_features`) tells the two apart. It was fitted by `python benchmarks/sweep.py
--fit-summary` on half of the PAN 2013 summary and no-plagiarism pairs and on AllSides pairs
(same story in different words, different stories, and different stories of one topic) as
negatives, and checked on the other half, other AllSides stories, BBC and Reuters pairs. It is on
by default at 0.55: it finds 0.74 of PAN's summaries and adds a little false reuse between news
articles (a few tenths of a point on the news checks; see benchmarks/README.md for the
trade-off; 1.0 turns it off). Only English pairs are scored (the
background's language, and the language the model was fitted on).

Used by `align.align_pair` where no other passage is found (setting `summary_probability`); the
passage reported is the target's window densest in the source's content-word pairs, against the
source words it draws on. Compiled loops (`_summary_kernels`) make the measures (most pairs
scored are far under the threshold, and let go early), numpy's bit for bit where a pair is
reported; numpy (`summary_features`) makes them the plain way, the reference.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
import weakref
import zipfile
from collections.abc import Callable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import attrs
import numpy as np

from wiretrace import _summary_kernels
from wiretrace._arrays import distinct, writable
from wiretrace.normalize import normalize_word
from wiretrace.shingle import Tokens, code_points, recent_code_points, tokenize, wide_code_points

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
# Each text's name marks (see `name_marks`), kept while its tokens live.
_NAMES: weakref.WeakKeyDictionary[Tokens, np.ndarray] = weakref.WeakKeyDictionary()
# A shared name's context is the content words within this many words of its uses (names left
# out); the two texts' contexts agree when they share CONTEXT_AGREEMENT stems. Same-story texts
# use a shared name among the same words ("Federal Reserve Chair Jerome Powell"); a text that
# carries another's names in its own story uses them among its own words.
CONTEXT_RADIUS = 8
CONTEXT_AGREEMENT = 2
# How many of the target's most used names are looked up in the source: a text that borrows
# another's names keeps its own main names, which the source does not have.
TOP_NAMES = 3
# The background: how common each word is in general text, as wordfreq's Zipf frequency
# (log10 of its uses per billion words; "the" 7.7, "trump" 4.9, "exxon" 3.1, a word it does not
# list 0). A word's rarity is RARITY_CAP minus its Zipf frequency (0 for words at least that
# common, and for words with no letter): a shared "Trump" or "court" says little, a shared
# "Hazelwood" much.
BACKGROUND_LANGUAGE = "en"
RARITY_CAP = 4.5
# The model was fitted on English: a text is scored only when this share of its words (those
# with a letter) are in the background's word list (English news: 0.92 and more; Spanish,
# German, Russian text: 0.84 and less).
BACKGROUND_COVERAGE = 0.9


class _ZipfTable:
    """Each word's Zipf frequency by word id (NaN for a word with no letter), in a hash table in
    an array (open addressing, at most half full; see `_summary_kernels.FREE`) that compiled
    loops look up: the background's whole word list (`_background_table`), made when first
    used, and the words met since that it does not list (dropped again once there are LIMIT of
    them)."""

    LIMIT = 250_000

    def __init__(self) -> None:
        self.table = np.zeros((0, 2), dtype=np.uint64)
        self.added = -1  # words added since the background; -1: not made yet

    def _start(self) -> None:
        ids, values = _background_table()
        capacity = 1
        while capacity < 2 * (len(ids) + self.LIMIT):
            capacity *= 2
        self.table = np.empty((capacity, 2), dtype=np.uint64)
        self.table[:, 1] = _summary_kernels.FREE
        _summary_kernels.zipf_insert(self.table, ids, values)
        self.added = 0

    def lookup(self, ids: np.ndarray, word: Callable[[int], str]) -> np.ndarray:
        """The Zipf frequency of each word id in `ids` (in any order, repeats allowed);
        `word(k)` is the text of `ids[k]`, asked for (at a word's first place) only when the
        word is not in the background's list nor met yet."""
        if self.added < 0:
            self._start()
        out, found = _summary_kernels.zipf_lookup(self.table, writable(ids, np.uint64))
        missing = np.flatnonzero(~found)
        if len(missing):
            _, first, inverse = np.unique(ids[missing], return_index=True, return_inverse=True)
            out[missing] = self._add(ids, missing[first], word)[inverse]
        return out

    def rarities(self, ids: np.ndarray, word: Callable[[int], str]) -> tuple[np.ndarray, int, int]:
        """`_rarities_plain`'s measures of the words `ids` (each word's rarity, how many have a
        letter, how many of those the background lists), made by a compiled loop
        (`_summary_kernels.rarities`); `word` as in `lookup`."""
        if self.added < 0:
            self._start()
        while True:
            rarity, lettered, listed, missing = _summary_kernels.rarities(
                writable(ids, np.uint64), self.table, RARITY_CAP
            )
            if len(missing) == 0:
                return rarity, lettered, listed
            # Once added, asked again (adding may have started the table afresh).
            self._add(ids, missing, word)

    def _add(self, ids: np.ndarray, firsts: np.ndarray, word: Callable[[int], str]) -> np.ndarray:
        """Add the words at `firsts` (distinct ids the table does not hold) with their Zipf
        frequencies, which are returned."""
        values = np.array(
            [_zipf(normalize_word(word(k))) for k in firsts.tolist()], dtype=np.float64
        )
        if self.added + len(firsts) > self.LIMIT:
            self._start()
        _summary_kernels.zipf_insert(self.table, ids[firsts].astype(np.uint64), values)
        self.added += len(firsts)
        return values


@cache
def _background_table() -> tuple[np.ndarray, np.ndarray]:
    """(word ids, Zipf frequencies) of every word with a letter in the background's list, sorted
    by id: a text's word with that id normalizes to that word (ids hash the normalized form), so
    it has that frequency. Ids come from the tokenizer, all words at once; a listed word it does
    not keep as one token (or that normalizes to another word) is left to `_ZipfTable`'s
    word-by-word path. Kept on disk (`_background_cache`) once made: making it takes a process
    about two seconds, loading it a few hundredths."""
    cached = _background_cache()
    if cached is not None:
        return cached["ids"], cached["values"]
    return _make_background_table(_frequencies())


def _make_background_table(frequencies: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """`_background_table` made from the background's word frequencies."""
    words, zipfs = [], []
    for word, frequency in frequencies.items():
        # An ASCII word is lower case with a letter exactly when it has a letter and normalizes
        # to itself.
        if word.isascii():
            if not word.islower():
                continue
        elif normalize_word(word) != word or not any(char.isalpha() for char in word):
            continue
        words.append(word)
        zipfs.append(math.log10(frequency) + 9.0 if frequency else 0.0)  # as `_zipf`
    joined = " ".join(words)
    starts = np.cumsum([0] + [len(word) + 1 for word in words[:-1]])
    tokens = tokenize(joined)
    at = np.searchsorted(tokens.starts, starts)
    at = np.minimum(at, len(tokens) - 1)
    lengths = np.array([len(word) for word in words])
    whole = (tokens.starts[at] == starts) & (tokens.ends[at] == starts + lengths)
    ids = tokens.ids[at[whole]]
    values = np.array(zipfs, dtype=np.float64)[whole]
    order = np.argsort(ids, kind="stable")
    ids, values = ids[order], values[order]
    # A word id twice (two listed words normalizing alike): keep neither, the word path decides.
    repeated = np.zeros(len(ids), dtype=bool)
    repeated[1:] = ids[1:] == ids[:-1]
    repeated[:-1] |= repeated[1:]
    return ids[~repeated], values[~repeated]


# The files whose code decides the background's tables: a change to any makes them again.
_BACKGROUND_SOURCES = ("normalize.py", "shingle.py", "_kernels.py", "summary.py")


def _background_cache_file() -> Path | None:
    """Where the background's tables are kept: in WIRETRACE_CACHE_DIR (empty: nowhere), else
    XDG_CACHE_HOME/wiretrace or ~/.cache/wiretrace, named by a hash of what they are made from
    (wordfreq's version, the language, and the code of `_BACKGROUND_SOURCES`)."""
    folder = os.environ.get("WIRETRACE_CACHE_DIR")
    if folder is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "wiretrace")
    if not folder:
        return None
    try:
        digest = hashlib.sha1(f"1 {BACKGROUND_LANGUAGE} {version('wordfreq')}".encode())
        here = Path(__file__).parent
        for name in _BACKGROUND_SOURCES:
            digest.update((here / name).read_bytes())
    except (OSError, PackageNotFoundError):
        return None
    return Path(folder) / f"background-{BACKGROUND_LANGUAGE}-{digest.hexdigest()[:16]}.npz"


@cache
def _background_cache() -> dict[str, np.ndarray] | None:
    """The background's tables kept on disk: the word list with its frequencies (`words`,
    newline-joined UTF-8, and `frequencies`) and `_background_table`'s `ids` and `values`. Made
    and written on first use when missing or unreadable; None when there is nowhere to keep them
    (each process then makes its own)."""
    path = _background_cache_file()
    if path is None:
        return None
    try:
        with np.load(path) as kept:
            arrays = {name: kept[name] for name in ("words", "frequencies", "ids", "values")}
        if len(arrays["ids"]) == len(arrays["values"]) and len(arrays["frequencies"]):
            return arrays
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass  # missing, or not whole: made again below
    frequencies = _frequencies()
    ids, values = _make_background_table(frequencies)
    arrays = {
        "words": np.frombuffer("\n".join(frequencies).encode(), dtype=np.uint8),
        "frequencies": np.fromiter(frequencies.values(), dtype=np.float64, count=len(frequencies)),
        "ids": ids,
        "values": values,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed: a process reading it never sees half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as handle:
            np.savez(handle, **arrays)
        os.replace(handle.name, path)
    except OSError:
        return arrays
    return arrays


_ZIPF = _ZipfTable()


def load_background() -> None:
    """Make the background's tables ready in this process now rather than on first use: worker
    processes forked afterwards share them instead of each loading its own."""
    if _ZIPF.added < 0:
        _ZIPF._start()
    _frequencies()


# Each text's names (see `_name_table`), kept while its tokens live.
_NAME_TABLES: weakref.WeakKeyDictionary[
    Tokens, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
] = weakref.WeakKeyDictionary()
# Each text's rarities (see `_rarities`), kept while its tokens live (the rarities of a text
# with a rated side are its side's).
_RARITIES: weakref.WeakKeyDictionary[Tokens, tuple[np.ndarray, float]] = weakref.WeakKeyDictionary()
# Each text's side for the compiled measures (see `_side_entry`), kept while its tokens live,
# with the stems array it was made from and whether the background covers the text (None: not
# rated yet).
_SIDES: weakref.WeakKeyDictionary[
    Tokens, tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray], bool | None]
] = weakref.WeakKeyDictionary()

SUMMARY_FEATURES = (
    "share of target words with a shared stem minus share of target stems shared",
    "shared content-word pairs in the target window (log)",
    "tf cosine of the two texts' content stems",
    "shared names used once as a name in the target (over shared names + NAME_PRIOR)",
    "shared content stems used once in the target (log)",
    "the window's share of the target (SUMMARY_WINDOW over target words)",
    "shared names used once in the target as any word (log)",
    "mean uses in the target of the shared names (log)",
    "share of target names shared minus share of the target's other content stems shared",
    "shared names whose contexts in the two texts share CONTEXT_AGREEMENT stems (log)",
    "share of the target's TOP_NAMES most used names found in the source",
    "share of source name uses that are shared minus the same share of target name uses",
    "background rarity of the rarest shared name (0 when none)",
    "background-rarity-weighted share of the target's other content stems found in the source",
)
_SUMMARY_WEIGHTS = (
    -33.1115,
    1.8933,
    -10.4437,
    2.7347,
    3.1873,
    -4.9482,
    -1.2838,
    -1.5915,
    15.8882,
    -1.4775,
    -0.8636,
    5.3936,
    1.6959,
    -15.3910,
)
_SUMMARY_BIAS = -12.2447
_WEIGHTS = np.array(_SUMMARY_WEIGHTS)


def _upper(points: np.ndarray) -> np.ndarray:
    """Whether each code point is an upper-case letter."""
    upper = (points >= 65) & (points <= 90)
    wide = np.flatnonzero(points > 127)
    if len(wide):
        upper[wide] = [chr(point).isupper() for point in points[wide].tolist()]
    return upper


def name_marks(text: str, tokens: Tokens) -> np.ndarray:
    """Whether each word is a capitalised word that does not open a sentence (a name, mostly):
    first letter upper case, second not, and no end punctuation or quote since the previous
    word. Compiled (`_summary_kernels.name_marks`); `name_marks_plain` is the same in numpy."""
    if len(tokens) < 2:
        return np.zeros(len(tokens), dtype=bool)
    marks, decided = _summary_kernels.name_marks(
        code_points(text),
        writable(tokens.starts, np.int64),
        writable(tokens.ends, np.int64),
        _basic_upper(),
        _OPENERS,
    )
    return marks if decided else name_marks_plain(text, tokens)


@cache
def _basic_upper() -> np.ndarray:
    """Whether each character of the basic plane is an upper-case letter (`_upper`)."""
    return _upper(np.arange(0x10000, dtype=np.uint32))


def name_marks_plain(text: str, tokens: Tokens) -> np.ndarray:
    """`name_marks` in numpy: the reference the compiled loop is tested against."""
    if len(tokens) < 2:
        return np.zeros(len(tokens), dtype=bool)
    points = wide_code_points(text)
    starts, ends = tokens.starts, tokens.ends
    seconds = np.minimum(starts + 1, len(points) - 1)
    second_upper = _upper(points[seconds]) & (ends - starts > 1)
    capital = _upper(points[starts]) & ~second_upper
    marks = np.concatenate([[0], np.cumsum(_OPENERS[np.minimum(points, 0xFFFF)])])
    opens = np.ones(len(tokens), dtype=bool)
    opens[1:] = marks[starts[1:]] > marks[ends[:-1]]
    return capital & ~opens


def _name_marks(text: str, tokens: Tokens) -> np.ndarray:
    """`name_marks`, cached by tokens."""
    cached = _NAMES.get(tokens)
    if cached is None:
        cached = _NAMES[tokens] = name_marks(text, tokens)
    return cached


def _name_table(text: str, tokens: Tokens) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(name marks, the distinct name word ids, the index of each one's first use among the
    marked words, its uses), cached by tokens (a text is in many pairs)."""
    cached = _NAME_TABLES.get(tokens)
    if cached is None:
        marks = _name_marks(text, tokens)
        names, first_use, uses = np.unique(tokens.ids[marks], return_index=True, return_counts=True)
        cached = _NAME_TABLES[tokens] = (marks, names, first_use, uses)
    return cached


def _members(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Whether each value is in `sorted_set` (sorted, distinct)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values


_PIECE = 16_384


@cache
def _frequencies() -> dict[str, float]:
    """The background's word frequencies: from `_background_cache` when it is kept, else from
    wordfreq (imported on first use: with its list it takes over a second, which only the
    summary model should pay)."""
    # Only once kept: making the cache asks for these.
    kept = _background_cache() if _background_cache.cache_info().currsize else None
    if kept is not None:
        words = kept["words"].tobytes().decode().split("\n")
        frequencies = kept["frequencies"].tolist()
        found: dict[str, float] = {}
        # In pieces of a few milliseconds: one call holds the interpreter's lock throughout,
        # and a process waiting for its workers, which makes this then, feeds them from
        # threads that need the lock (they went without tasks for a tenth of a second).
        for start in range(0, max(len(words), len(frequencies)), _PIECE):
            piece = slice(start, start + _PIECE)
            found.update(zip(words[piece], frequencies[piece], strict=True))
        return found
    import wordfreq

    return wordfreq.get_frequency_dict(BACKGROUND_LANGUAGE)


def _zipf(word: str) -> float:
    """The background Zipf frequency of a normalized word: 0 when not listed, NaN for a word
    with no letter (numbers say nothing of a language)."""
    # isalpha: the common case (all letters) told at once.
    if not (word.isalpha() or any(char.isalpha() for char in word)):
        return math.nan
    frequency = _frequencies().get(word)
    return math.log10(frequency) + 9.0 if frequency else 0.0


def _rarities(text: str, tokens: Tokens) -> tuple[np.ndarray, float]:
    """(each word's background rarity, the share of the text's words with a letter that the
    background lists), cached by tokens. Compiled (`_ZipfTable.rarities`); `_rarities_plain` is
    the same in numpy."""
    cached = _RARITIES.get(tokens)
    if cached is None:
        starts, ends = tokens.starts, tokens.ends
        rarity, lettered, listed = _ZIPF.rarities(tokens.ids, lambda k: text[starts[k] : ends[k]])
        cached = _RARITIES[tokens] = (rarity, listed / lettered if lettered else 0.0)
    return cached


def _rarities_plain(text: str, tokens: Tokens) -> tuple[np.ndarray, float]:
    """`_rarities` in numpy (not cached): the reference the compiled loop is tested against."""
    starts, ends = tokens.starts, tokens.ends
    per_word = _ZIPF.lookup(tokens.ids, lambda k: text[starts[k] : ends[k]])
    lettered = int(np.count_nonzero(~np.isnan(per_word)))
    coverage = int(np.count_nonzero(per_word > 0)) / lettered if lettered else 0.0
    rarity = np.fmax(RARITY_CAP - per_word, 0.0)  # 0 for NaN (no letter): fmax drops NaN
    return rarity, coverage


def summary_applies(
    source_text: str, source_tokens: Tokens, target_text: str, target_tokens: Tokens
) -> bool:
    """Whether the model scores this pair: both texts have MIN_SUMMARY_WORDS words and the
    background covers both (BACKGROUND_COVERAGE)."""
    return min(len(source_tokens), len(target_tokens)) >= MIN_SUMMARY_WORDS and all(
        _rarities(text, tokens)[1] >= BACKGROUND_COVERAGE
        for text, tokens in ((source_text, source_tokens), (target_text, target_tokens))
    )


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
        hashes = (first.astype(np.uint64) * _summary_kernels.PAIR_FACTOR) ^ second.astype(np.uint64)
        self.pairs = np.where(self.valid, hashes, np.uint64(0))
        self.distinct_pairs = distinct(self.pairs[self.valid])


# No name marks given: `_summary_kernels.text_side` makes them.
_NO_MARKS = np.zeros(0, dtype=bool)


def _text_side(
    text: str, tokens: Tokens, stems: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One text's side of a pair for the compiled measures (`_summary_kernels.text_side`),
    rated (`_rated_entry`), cached by tokens while the same stems array comes back."""
    return _rated_entry(text, tokens, stems)[1]


def _covered_side(
    text: str, tokens: Tokens, stems: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """`_text_side`, or None when the background does not cover the text (BACKGROUND_COVERAGE,
    as `summary_applies` tells): both from one look-up, as a pair needs them."""
    _, side, covered = _rated_entry(text, tokens, stems)
    return side if covered else None


def _side_entry(
    text: str, tokens: Tokens, stems: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray], bool | None]:
    """The text's entry in `_SIDES` for these stems: (stems, side, whether the background
    covers the text), made when it has none, not rated then (None for the coverage): only its
    names' words are looked up in the background, the rest only for a pair that may reach the
    threshold on its other measures (`_rated_entry`)."""
    cached = _SIDES.get(tokens)
    if cached is not None and cached[0] is stems:
        return cached
    if _ZIPF.added < 0:
        _ZIPF._start()
    starts, ends = tokens.starts, tokens.ends
    given = (
        writable(tokens.ids, np.uint64),
        writable(stems, np.int64),
        recent_code_points(text),
        writable(starts, np.int64),
        writable(ends, np.int64),
        _basic_upper(),
        _OPENERS,
    )
    indices, side_ids, reals, missing, firsts, decided = _summary_kernels.text_side(
        *given, _NO_MARKS, _ZIPF.table, RARITY_CAP, TOP_NAMES
    )
    if not decided:  # a word starts past the basic plane: numpy decides the name marks
        indices, side_ids, reals, missing, firsts, _ = _summary_kernels.text_side(
            *given, name_marks_plain(text, tokens), _ZIPF.table, RARITY_CAP, TOP_NAMES
        )
    if len(missing):
        zipfs = _ZIPF._add(tokens.ids, firsts, lambda k: text[starts[k] : ends[k]])
        _summary_kernels.name_rarities(reals, missing, zipfs, RARITY_CAP)
    cached = _SIDES[tokens] = (stems, (indices, side_ids, reals), None)
    return cached


def _rated_entry(
    text: str, tokens: Tokens, stems: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray], bool]:
    """`_side_entry`, rated (`_summary_kernels.rate_side`: its words' rarities, and whether the
    background covers the text) when it was not. Made with the text's rarities and background
    coverage (`_rarities`, which keeps them): the words are looked up once for both."""
    _, side, covered = _side_entry(text, tokens, stems)
    if covered is not None:
        return stems, side, covered
    indices, side_ids, reals = side
    starts, ends = tokens.starts, tokens.ends
    while True:
        rated, lettered, listed, missing = _summary_kernels.rate_side(
            indices, side_ids, reals, _ZIPF.table, RARITY_CAP
        )
        if len(missing) == 0:
            break
        # Once added, asked again (adding may have started the table afresh).
        _ZIPF._add(tokens.ids, missing, lambda k: text[starts[k] : ends[k]])
    rarities = _RARITIES.get(tokens)
    if rarities is None:
        # The side's rarities: the text keeps them once.
        rarity = rated[
            int(rated[_summary_kernels._RARITY]) : int(rated[_summary_kernels._RARITY + 1])
        ]
        rarities = _RARITIES[tokens] = (rarity, listed / lettered if lettered else 0.0)
    rated_entry = _SIDES[tokens] = (
        stems,
        (indices, side_ids, rated),
        rarities[1] >= BACKGROUND_COVERAGE,
    )
    return rated_entry


def _compiled_features(
    source_text: str,
    source_tokens: Tokens,
    source_stems: np.ndarray,
    target_text: str,
    target_tokens: Tokens,
    target_stems: np.ndarray,
) -> np.ndarray:
    """`summary_features`' measures, made by a compiled loop (`_summary_kernels.pair_features`;
    they may differ from numpy's in their last bits)."""
    return _pair_features(
        _text_side(source_text, source_tokens, source_stems),
        _text_side(target_text, target_tokens, target_stems),
        -math.inf,
    )[0]


def _pair_features(
    source_side: tuple[np.ndarray, ...], target_side: tuple[np.ndarray, ...], floor: float
) -> tuple[np.ndarray, int]:
    """`_summary_kernels.pair_features` of two sides (see `_side_entry`): (the measures, what
    was made: LET_GO, WHOLE or UNRATED); it stops early when the model's score cannot reach
    `floor`, or before the rarities' measures when the target side is not rated."""
    return _summary_kernels.pair_features(
        *source_side,
        *target_side,
        SUMMARY_WINDOW,
        NAME_PRIOR,
        CONTEXT_RADIUS,
        CONTEXT_AGREEMENT,
        _WEIGHTS,
        _SUMMARY_BIAS,
        floor,
    )


def _exact_features(
    source_side: tuple[np.ndarray, ...], target_side: tuple[np.ndarray, ...], compiled: np.ndarray
) -> list[float]:
    """`summary_features`' measures of a pair, numpy's bit for bit, from its `compiled` ones
    (all made) and the two texts' sides. Each compiled measure but the last is numpy's already:
    counts and ratios of counts (exact in floating point whatever the order they are added in),
    and logs and square roots by the same C library. The last is a sum of rarities, which numpy
    adds in its own order: it is added here by numpy, over the same values in the same order as
    in `_name_measures` (the target's other content stems, by stem id)."""
    stems, firsts, shared = _summary_kernels.other_stems(
        source_side[0], source_side[1], target_side[0], target_side[1]
    )
    reals = target_side[2]
    rarity = reals[int(reals[_summary_kernels._RARITY]) : int(reals[_summary_kernels._RARITY + 1])]
    order = np.argsort(stems)
    stem_rarity = rarity[firsts[order]]
    features = compiled.tolist()
    features[-1] = float(stem_rarity[shared[order]].sum()) / max(1e-9, float(stem_rarity.sum()))
    return features


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


def _context_keys(
    ids: np.ndarray, marks: np.ndarray, stems: np.ndarray, shared: np.ndarray
) -> np.ndarray:
    """Distinct (shared name, context stem) keys of one text: the content stems (numbered, -1
    for names and function words) within CONTEXT_RADIUS words of each use of a shared name."""
    at = np.flatnonzero(marks & _members(ids, shared))
    if len(at) == 0:
        return np.zeros(0, dtype=np.uint64)
    offsets = np.arange(-CONTEXT_RADIUS, CONTEXT_RADIUS + 1)
    near = np.clip(at[:, None] + offsets[None, :], 0, len(stems) - 1)
    context = stems[near]
    valid = context >= 0
    rows = np.broadcast_to(np.searchsorted(shared, ids[at])[:, None], near.shape)
    keys = (rows[valid].astype(np.uint64) << np.uint64(32)) | context[valid].astype(np.uint64)
    return distinct(keys)


@attrs.frozen
class _SharedNames:
    """The names two texts share and the measures they give at once (the cheap part of
    `_name_measures`)."""

    source_marks: np.ndarray
    target_marks: np.ndarray
    source_names: np.ndarray
    target_names: np.ndarray
    first_use: np.ndarray
    shared: np.ndarray
    in_target: np.ndarray
    used_once: float  # feature 4
    top_share: float  # feature 11
    use_share: float  # feature 12
    rarest_name: float  # feature 13

    @property
    def name_share(self) -> float:
        """Shared names over the target's names (+ NAME_PRIOR): the first term of feature 9."""
        return len(self.shared) / (len(self.target_names) + NAME_PRIOR)


def _shared_names(
    source_text: str, source_tokens: Tokens, target_text: str, target_tokens: Tokens
) -> _SharedNames:
    """The names the two texts share, and features 4, 11, 12 and 13 of SUMMARY_FEATURES."""
    source_marks, source_names, _, source_uses = _name_table(source_text, source_tokens)
    target_marks, target_names, first_use, target_uses = _name_table(target_text, target_tokens)
    shared = np.intersect1d(source_names, target_names, assume_unique=True)
    in_source, in_target = _members(source_names, shared), _members(target_names, shared)
    used_once = float(np.sum(target_uses[in_target] == 1)) / (len(shared) + NAME_PRIOR)
    # Background rarity of the shared names, at each one's first use as a name in the target.
    rarity = _rarities(target_text, target_tokens)[0]
    name_rarity = rarity[np.flatnonzero(target_marks)[first_use]]
    rarest_name = float(name_rarity[in_target].max()) if in_target.any() else 0.0
    # The most used names, the first used first among equals.
    top = np.lexsort((first_use, -target_uses))[:TOP_NAMES]
    return _SharedNames(
        source_marks=source_marks,
        target_marks=target_marks,
        source_names=source_names,
        target_names=target_names,
        first_use=first_use,
        shared=shared,
        in_target=in_target,
        used_once=used_once,
        top_share=float(in_target[top].mean()) if len(top) else 0.0,
        use_share=float(source_uses[in_source].sum()) / max(1, int(source_uses.sum()))
        - float(target_uses[in_target].sum()) / max(1, int(target_uses.sum())),
        rarest_name=rarest_name,
    )


def _name_measures(
    source_text: str,
    source_tokens: Tokens,
    source_stems: np.ndarray,
    target_text: str,
    target_tokens: Tokens,
    target_stems: np.ndarray,
    found: _SharedNames,
) -> list[float]:
    """Features 4 and 7-14 of SUMMARY_FEATURES: how the names the two texts share (`found`) sit
    in them, and how rare in general text the shared names and other terms are."""
    shared = found.shared
    source_ids, target_ids = source_tokens.ids, target_tokens.ids

    # The other content stems: every word that is a name in either text left out.
    names = distinct(np.concatenate([found.source_names, found.target_names]))
    source_other = np.where(_members(source_ids, names), -1, source_stems)
    target_other = np.where(_members(target_ids, names), -1, target_stems)
    target_vocabulary = distinct(target_other[target_other >= 0])
    other_shared = np.intersect1d(
        distinct(source_other[source_other >= 0]), target_vocabulary, assume_unique=True
    )
    other_share = len(other_shared) / max(1, len(target_vocabulary))
    # Background rarity of the target's other content stems (at each one's first word), shared
    # or not.
    rarity = _rarities(target_text, target_tokens)[0]
    kept = np.flatnonzero(target_other >= 0)
    _, first_stem = np.unique(target_other[kept], return_index=True)
    stem_rarity = rarity[kept[first_stem]]

    # Every use of a shared name's word in the target, as a name or not.
    _, counts = np.unique(target_ids[_members(target_ids, shared)], return_counts=True)

    agreeing = 0
    if len(shared):
        # Stem ids are 63-bit: number the stems of both texts so that a key holds two numbers.
        stems = distinct(
            np.concatenate([source_other[source_other >= 0], target_other[target_other >= 0]])
        )
        source_keys, target_keys = (
            _context_keys(
                ids, marks, np.where(other >= 0, np.searchsorted(stems, other), -1), shared
            )
            for ids, marks, other in (
                (source_ids, found.source_marks, source_other),
                (target_ids, found.target_marks, target_other),
            )
        )
        common = np.intersect1d(source_keys, target_keys, assume_unique=True)
        per_name = np.bincount((common >> np.uint64(32)).astype(np.int64), minlength=len(shared))
        agreeing = int(np.sum(per_name >= CONTEXT_AGREEMENT))
    return [
        found.used_once,
        math.log1p(int(np.sum(counts == 1))),
        math.log(max(1.0, float(counts.mean()))) if len(counts) else 0.0,
        found.name_share - other_share,
        math.log1p(agreeing),
        found.top_share,
        found.use_share,
        found.rarest_name,
        float(stem_rarity[_members(target_vocabulary, other_shared)].sum())
        / max(1e-9, float(stem_rarity.sum())),
    ]


def _text_measures(
    source_tokens: Tokens, source_stems: np.ndarray, target_tokens: Tokens, target_stems: np.ndarray
) -> tuple[list[float], tuple[int, int]]:
    """Features 1, 2, 3, 5 and 6 of SUMMARY_FEATURES (the two texts' content stems and stem
    pairs), and the target window [start, end) in words holding the most shared content-word
    pairs."""
    source, target = _profile(source_tokens, source_stems), _profile(target_tokens, target_stems)
    source_vocabulary, source_counts = source.vocabulary, source.counts
    target_vocabulary, target_counts = target.vocabulary, target.counts
    _, in_source, in_target = np.intersect1d(
        source_vocabulary, target_vocabulary, assume_unique=True, return_indices=True
    )
    target_share = len(in_source) / max(1, len(target_vocabulary))
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
    # The window trimmed to its first and last shared pair (or shared word).
    at = np.flatnonzero(marked[start : start + SUMMARY_WINDOW])
    window = (start + int(at[0]), start + int(at[-1]) + width) if len(at) else (start, start)
    return [
        token_share - target_share,
        math.log1p(inside),
        cosine,
        math.log1p(int(np.sum(target_counts[in_target] == 1))),
        SUMMARY_WINDOW / max(SUMMARY_WINDOW, len(target_stems)),
    ], window


def _assemble(text: list[float], names: list[float]) -> list[float]:
    """The features in SUMMARY_FEATURES order from `_text_measures` and `_name_measures`."""
    return [*text[:3], names[0], *text[3:], *names[1:]]


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
    text, window = _text_measures(source_tokens, source_stems, target_tokens, target_stems)
    found = _shared_names(source_text, source_tokens, target_text, target_tokens)
    names = _name_measures(
        source_text, source_tokens, source_stems, target_text, target_tokens, target_stems, found
    )
    return _assemble(text, names), window


# `find_summary` skips a pair whose highest possible score is this far under the threshold's
# (more than floating-point rounding of the two sums can part them).
_BOUND_MARGIN = 1e-6
# The compiled measures add their sums in another order than numpy's (they differ by a few parts
# in 1e15): a pair whose compiled score comes this near the floor above is decided on its exact
# measures (`_exact_features`).
_COMPILED_MARGIN = 1e-9


def _logit(probability: float) -> float:
    """The linear score at which `summary_probability` gives `probability`."""
    if probability <= 0.0:
        return -math.inf
    if probability >= 1.0:
        return math.inf
    return math.log(probability / (1.0 - probability))


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
    probability), or None when the model's probability is under `threshold` (or the model does
    not score the pair: see `summary_applies`).

    The target range is the SUMMARY_WINDOW words densest in shared content-word pairs, trimmed
    to its first and last shared pair; the source range runs from the first to the last source
    word sharing a content stem with that range.
    """
    if min(len(source_tokens), len(target_tokens)) < MIN_SUMMARY_WORDS:
        return None
    floor = _logit(threshold) - _BOUND_MARGIN
    # Most pairs are far under the threshold: their compiled measures tell so at a fraction of
    # numpy's cost (most before their costliest measures are made: the loop's own sum of the
    # score, in another order again, is held to a floor one more margin under), and before
    # most of their words are looked up in the background (the sides not rated yet). The
    # others' measures are made numpy's bit for bit for the probability reported.
    compiled, made = _pair_features(
        _side_entry(source_text, source_tokens, source_stems)[1],
        _side_entry(target_text, target_tokens, target_stems)[1],
        floor - 2 * _COMPILED_MARGIN,
    )
    if made == _summary_kernels.LET_GO:
        return None
    # `summary_applies`, with each text's coverage found as its side is rated.
    source_side = _covered_side(source_text, source_tokens, source_stems)
    if source_side is None:
        return None
    target_side = _covered_side(target_text, target_tokens, target_stems)
    if target_side is None:
        return None
    if made == _summary_kernels.UNRATED:
        compiled, made = _pair_features(source_side, target_side, floor - 2 * _COMPILED_MARGIN)
    if (
        made != _summary_kernels.WHOLE
        or _SUMMARY_BIAS + float(_WEIGHTS @ compiled) < floor - _COMPILED_MARGIN
    ):
        return None
    probability = summary_probability(_exact_features(source_side, target_side, compiled))
    if probability < threshold:
        return None
    start, end = _summary_kernels.summary_window(
        source_side[0], source_side[1], target_side[0], target_side[1], SUMMARY_WINDOW
    )
    window = target_stems[start:end]
    drawn = np.flatnonzero((source_stems >= 0) & np.isin(source_stems, window[window >= 0]))
    if len(drawn) == 0:
        return None
    return (int(drawn[0]), int(drawn[-1]) + 1), (start, end), probability
