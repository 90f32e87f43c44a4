"""Tokens with offsets into the original text, stable token ids, and hashed word n-grams.

Tokens are found in the ORIGINAL text (so their offsets need no mapping) and each token is
normalized with `normalize.normalize_word` before it is hashed. Words of any alphabetic script
are tokens; CJK ideographs and kana are one token per character; numbers keep their inner
separators ("1,200", "3.5"). The hexadecimal digits of a percent-escape ("%D0%B1", the bytes of
an encoded web address) are no tokens.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import attrs
import numpy as np

from wiretrace import _kernels
from wiretrace._arrays import distinct
from wiretrace._marks import COMBINING_MARKS
from wiretrace.normalize import normalize_word

# Combining marks belong inside words (the vowel signs of Indic scripts, diacritics, Hebrew and
# Arabic points: Python's \w has none of them), and so do the zero-width joiner and non-joiner
# (Malayalam's chillu letters, Persian words). Without the vowel signs of Tamil or Malayalam, a
# word was cut into pieces of a letter or two, which unrelated texts shared.
_MARKS = COMBINING_MARKS + "\u200c\u200d"
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_LETTER = rf"[^\W\d_{_CJK}]"
# A run of letters with combining marks inside it, written as an unrolled loop (letters, then
# marks followed by more letters) so the common case is one character-class run: fast.
_WORD = rf"{_LETTER}+(?:[{_MARKS}]+{_LETTER}*)*"
_TOKEN = (
    rf"[{_CJK}]"  # one CJK ideograph or kana
    rf"|\d+(?:[.,:]\d+)*"  # a number with inner separators
    rf"|{_WORD}(?:['\u2019]{_WORD})*"  # a word, with inner apostrophes
)
_TOKENS = re.compile(_TOKEN)
# A percent-escape ("%D0": a byte of an encoded web address) is matched first and left out: its
# digits and letters are no words ("%D0%B1%D1%8B" made the tokens D, 0, B, 1, D, 1, 8, B, which
# any two texts with a Cyrillic word in a link shared: long false passages).
_TOKENS_OR_ESCAPES = re.compile(rf"%[0-9A-Fa-f]{{2}}|{_TOKEN}")


class TokenPattern:
    """The pattern of the tokens `tokenize` finds, with the methods of a compiled regex that the
    package uses (`finditer`, `findall`, `search`; `pos` and `endpos` as theirs): a CJK
    character, a number with inner separators, or a word with inner apostrophes, not inside a
    percent-escape (an escape is "%" and two hexadecimal digits, taken from the left)."""

    def finditer(
        self, text: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> Iterator[re.Match[str]]:
        if text.find("%", pos, endpos) < 0:
            return _TOKENS.finditer(text, pos, endpos)
        return (
            match
            for match in _TOKENS_OR_ESCAPES.finditer(text, pos, endpos)
            if text[match.start()] != "%"
        )

    def findall(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> list[str]:
        if text.find("%", pos, endpos) < 0:
            return _TOKENS.findall(text, pos, endpos)
        return [match.group() for match in self.finditer(text, pos, endpos)]

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        if text.find("%", pos, endpos) < 0:
            return _TOKENS.search(text, pos, endpos)
        return next(self.finditer(text, pos, endpos), None)


TOKEN_PATTERN = TokenPattern()

# Persistent indexes record this and refuse to mix keys of different versions: bump it whenever
# tokenize, normalize_word or shingle_hashes give different values for the same text.
# 3: no tokens inside percent-escapes; every combining mark (and the zero-width joiners) inside
# words.
TOKENS_VERSION = 3

_ID_CACHE: dict[str, int] = {}
_ID_CACHE_LIMIT = 2_000_000


def token_id(word: str) -> int:
    """A stable 64-bit id of a token's normalized form (the same in every process and run)."""
    cached = _ID_CACHE.get(word)
    if cached is not None:
        return cached
    value = word_hash(normalize_word(word))
    if len(_ID_CACHE) >= _ID_CACHE_LIMIT:
        _ID_CACHE.clear()
    _ID_CACHE[word] = value
    return value


@attrs.frozen(eq=False)
class Tokens:
    """The tokens of one text: start and end offsets into the original text, and their ids."""

    starts: np.ndarray = attrs.field(repr=False)
    ends: np.ndarray = attrs.field(repr=False)
    ids: np.ndarray = attrs.field(repr=False)

    def __len__(self) -> int:
        return len(self.ids)


def _mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: a bijection on uint64 that spreads every input bit."""
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(0xBF58476D1CE4E5B9)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def shingle_hashes(ids: np.ndarray, size: int) -> np.ndarray:
    """64-bit hashes of every run of `size` consecutive token ids (word n-grams).

    A text shorter than `size` tokens gives one shingle of all its tokens; an empty one gives none.
    Hash k is h_size, where h_0 = 0 and h_j = mix64(h_(j-1) * 0x100000001B3 + ids[k + j - 1])
    (`shingle_hashes_plain`, computed here by a compiled loop).
    """
    return _kernels.shingle_hashes(np.ascontiguousarray(ids, dtype=np.uint64), int(size))


def shingle_hashes_plain(ids: np.ndarray, size: int) -> np.ndarray:
    """`shingle_hashes` with numpy: the reference the compiled loop is tested against."""
    count = len(ids)
    if count == 0:
        return np.zeros(0, dtype=np.uint64)
    size = min(size, count)
    width = count - size + 1
    with np.errstate(over="ignore"):
        hashes = np.zeros(width, dtype=np.uint64)
        for k in range(size):
            hashes = _mix64(hashes * _HASH_BASE + ids[k : k + width])
    return hashes


def hash32(hashes: np.ndarray) -> np.ndarray:
    """Fold 64-bit shingle hashes to the 32-bit values MinHash takes (datasketch's `hashfunc`)."""
    return ((hashes >> np.uint64(32)) ^ hashes).astype(np.uint32)


# --- Compiled tokenizer ---------------------------------------------------------------------
#
# `tokenize` classifies every code point with a lookup table and finds the token runs in one
# compiled pass (`_kernels.tokenize`), giving exactly the spans TOKEN_PATTERN.finditer gives
# (tests compare the two on random text). Token ids hash the normalized word's code points; for
# words whose characters normalize one to one and on their own (ASCII, Latin, Greek, Cyrillic
# letters: nearly every word of the news corpora) the hash is computed in the same pass from a
# per-character table, and the rest (combining marks, ligatures, "ß", other scripts) go through
# `normalize_word` one by one.

_OTHER, _LETTER_CLASS, _MARK, _DIGIT, _CJK_CLASS, _APOSTROPHE, _SEPARATOR = (
    _kernels.OTHER,
    _kernels.LETTER,
    _kernels.MARK,
    _kernels.DIGIT,
    _kernels.CJK,
    _kernels.APOSTROPHE,
    _kernels.SEPARATOR,
)
_SIMPLE_LIMIT = 0x0530  # below this (Latin, IPA, Greek, Cyrillic), letters normalize one to one
_HASH_BASE = np.uint64(0x100000001B3)
_LENGTH_SALT = np.uint64(0x9E3779B97F4A7C15)


def _classify(char: str) -> int:
    if re.fullmatch(rf"[{_CJK}]", char):
        return _CJK_CLASS
    if char in "'\u2019":
        return _APOSTROPHE
    if char in ".,:":
        return _SEPARATOR
    if re.fullmatch(r"\d", char):
        return _DIGIT
    if re.fullmatch(_LETTER, char):
        return _LETTER_CLASS
    if re.fullmatch(rf"[{_MARKS}]", char):
        return _MARK
    return _OTHER


def _simple_code(char: str) -> int:
    """The one code point `char` normalizes to inside any word, or 0 if that depends on context."""
    if ord(char) >= _SIMPLE_LIMIT or unicodedata.combining(char):
        return 0
    normal = normalize_word(char)
    if len(normal) != 1 or unicodedata.combining(normal):
        return 0
    return ord(normal)


@lru_cache(maxsize=1)
def char_tables() -> tuple[np.ndarray, np.ndarray]:
    """(class of every BMP code point, its simple normalized code point or 0); ~0.1 s once."""
    every = (
        "".join(map(chr, range(0xD800))) + " " * 0x800 + "".join(map(chr, range(0xE000, 0x10000)))
    )
    classes = np.zeros(0x10000, dtype=np.uint8)
    # Later classes win, so a character in two classes gets the one the pattern tries first.
    for value, pattern in (
        (_MARK, rf"[{_MARKS}]"),
        (_LETTER_CLASS, _LETTER),
        (_DIGIT, r"\d"),
        (_SEPARATOR, "[.,:]"),
        (_APOSTROPHE, "['\u2019]"),
        (_CJK_CLASS, rf"[{_CJK}]"),
    ):
        found = [match.start() for match in re.finditer(pattern, every)]
        classes[np.array(found, dtype=np.int64)] = value
    codes = np.zeros(0x10000, dtype=np.uint64)
    for point in np.flatnonzero(classes[:_SIMPLE_LIMIT]).tolist():
        codes[point] = _simple_code(chr(point))
    for point in np.flatnonzero(classes == _CJK_CLASS).tolist():  # always one-character tokens
        normal = normalize_word(chr(point))
        codes[point] = ord(normal) if len(normal) == 1 else 0
    codes[0x2019] = ord("'")  # the curly apostrophe inside a word
    return classes, codes


@lru_cache(maxsize=4096)
def _astral_class(point: int) -> int:
    return _classify(chr(point))


@lru_cache(maxsize=8)
def _powers(count: int) -> np.ndarray:
    """_HASH_BASE ** k (mod 2**64) for k < count (count rounded up to a power of two)."""
    size = 1 << max(count - 1, 1).bit_length()
    powers = np.ones(size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        powers[1:] = np.cumprod(np.full(size - 1, _HASH_BASE, dtype=np.uint64))
    return powers


def _finish(sums: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return _mix64(sums + lengths.astype(np.uint64) * _LENGTH_SALT)


def word_hash(normal: str) -> int:
    """The id of an already normalized word: a polynomial hash of its code points, mixed."""
    points = np.array([ord(char) for char in normal], dtype=np.uint64)
    with np.errstate(over="ignore"):
        total = (points * _powers(len(points))[: len(points)]).sum(dtype=np.uint64)
    return int(_finish(np.array([total], dtype=np.uint64), np.array([len(points)]))[0])


BLOCK_CHARS = 1 << 20
"""A longer text is tokenized a block at a time (cut after a white space, which no token holds),
so its working arrays (several bytes per character) stay small."""
_SPACE = re.compile(r"\s")


def tokenize(text: str) -> Tokens:
    """Split `text` into tokens with their original offsets and stable ids.

    Gives exactly the spans of `TOKEN_PATTERN.finditer(text)` and the ids of `token_id` on each
    token (see `tokenize_plain`), computed for a whole text (or a block of a long one) at once.
    """
    if len(text) <= BLOCK_CHARS:
        return _tokenize_block(text)
    starts, ends, ids = [], [], []
    begin = 0
    while begin < len(text):
        space = _SPACE.search(text, begin + BLOCK_CHARS - 1)
        cut = space.end() if space else len(text)
        block = _tokenize_block(text[begin:cut])
        starts.append(block.starts + begin)
        ends.append(block.ends + begin)
        ids.append(block.ids)
        begin = cut
    return Tokens(starts=np.concatenate(starts), ends=np.concatenate(ends), ids=np.concatenate(ids))


_NO_ASTRAL = np.zeros(0, dtype=np.uint8)


def code_points(text: str) -> np.ndarray:
    """The text's code points as the compiled loops take them: uint8 for an ASCII text, else
    uint32 (lone surrogates kept)."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return wide_code_points(text)


# The code points of the texts asked for last (see `recent_code_points`): (text, points) by the
# text's id (the text kept with them, so no other object takes its id meanwhile).
RECENT_POINTS = 4
_RECENT_POINTS: dict[int, tuple[str, np.ndarray]] = {}


def recent_code_points(text: str) -> np.ndarray:
    """`code_points(text)`, kept for the last RECENT_POINTS texts asked for: a pair's two texts
    are asked for by several of its steps in turn (their sentences, then their summary sides),
    and a text of more than ASCII takes ~15 us a news article to encode. Not to be written to."""
    found = _RECENT_POINTS.get(id(text))
    if found is not None and found[0] is text:
        return found[1]
    points = code_points(text)
    if len(_RECENT_POINTS) >= RECENT_POINTS:
        del _RECENT_POINTS[next(iter(_RECENT_POINTS))]
    _RECENT_POINTS[id(text)] = text, points
    return points


def wide_code_points(text: str) -> np.ndarray:
    """The text's code points as uint32, whatever they are (lone surrogates kept)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _tokenize_block(text: str) -> Tokens:
    points = code_points(text)
    astral = _NO_ASTRAL
    # Astral code points are rare: one reduction tells there are none.
    if points.dtype == np.uint32 and points.max(initial=0) >= 0x10000:
        astral = np.zeros(len(points), dtype=np.uint8)
        for point in distinct(points[points >= 0x10000]).tolist():
            astral[points == point] = _astral_class(point)
    classes, codes = char_tables()
    starts, ends, ids, complex_ = _kernels.tokenize(points, classes, codes, astral)
    for k in np.flatnonzero(complex_).tolist():
        ids[k] = token_id(text[starts[k] : ends[k]])
    return Tokens(starts=starts, ends=ends, ids=ids)


def tokenize_plain(text: str) -> Tokens:
    """`tokenize` one token at a time with TOKEN_PATTERN and `token_id`: the reference the
    vectorised version is tested against."""
    spans = [match.span() for match in TOKEN_PATTERN.finditer(text)]
    offsets = np.array(spans, dtype=np.int64).reshape(-1, 2)
    ids = [token_id(text[start:end]) for start, end in spans]
    return Tokens(
        starts=offsets[:, 0].copy(), ends=offsets[:, 1].copy(), ids=np.array(ids, dtype=np.uint64)
    )
