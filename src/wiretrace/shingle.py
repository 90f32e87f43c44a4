"""Tokens with offsets into the original text, stable token ids, and hashed word n-grams.

Tokens are found in the ORIGINAL text (so their offsets need no mapping) and each token is
normalized with `normalize.normalize_word` before it is hashed. Words of any alphabetic script
are tokens; CJK ideographs and kana are one token per character; numbers keep their inner
separators ("1,200", "3.5").
"""

from __future__ import annotations

import hashlib
import re

import attrs
import numpy as np

from wiretrace.normalize import normalize_word

# Combining marks that belong inside words (Latin/Greek/Cyrillic diacritics, Hebrew and Arabic
# vowel points, Indic vowel signs) -- Python's \w does not include them.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
    "\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963\u0981-\u0983\u09bc-\u09d7"
    "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
)
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_LETTER = rf"[^\W\d_{_CJK}]"
# A run of letters with combining marks inside it, written as an unrolled loop (letters, then
# marks followed by more letters) so the common case is one character-class run: fast.
_WORD = rf"{_LETTER}+(?:[{_MARKS}]+{_LETTER}*)*"
TOKEN_PATTERN = re.compile(
    rf"[{_CJK}]"  # one CJK ideograph or kana
    rf"|\d+(?:[.,:]\d+)*"  # a number with inner separators
    rf"|{_WORD}(?:['\u2019]{_WORD})*"  # a word, with inner apostrophes
)

# Persistent indexes record this and refuse to mix keys of different versions: bump it whenever
# tokenize, normalize_word or shingle_hashes give different values for the same text.
TOKENS_VERSION = 1

_MASK64 = (1 << 64) - 1
_ID_CACHE: dict[str, int] = {}
_ID_CACHE_LIMIT = 2_000_000


def token_id(word: str) -> int:
    """A stable 64-bit id of a token's normalized form (the same in every process and run)."""
    cached = _ID_CACHE.get(word)
    if cached is not None:
        return cached
    digest = hashlib.blake2b(normalize_word(word).encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
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


def tokenize(text: str) -> Tokens:
    """Split `text` into tokens with their original offsets and stable ids."""
    spans: list[int] = []
    ids: list[int] = []
    lookup = _ID_CACHE.get
    for match in TOKEN_PATTERN.finditer(text):
        word = match.group()
        value = lookup(word)
        if value is None:
            value = token_id(word)
        ids.append(value)
        spans.extend(match.span())
    offsets = np.array(spans, dtype=np.int64).reshape(-1, 2)
    return Tokens(
        starts=offsets[:, 0].copy(),
        ends=offsets[:, 1].copy(),
        ids=np.array(ids, dtype=np.uint64),
    )


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
    """
    count = len(ids)
    if count == 0:
        return np.zeros(0, dtype=np.uint64)
    size = min(size, count)
    width = count - size + 1
    with np.errstate(over="ignore"):
        hashes = np.zeros(width, dtype=np.uint64)
        for k in range(size):
            hashes = _mix64(hashes * np.uint64(0x100000001B3) + ids[k : k + width])
    return hashes


def hash32(hashes: np.ndarray) -> np.ndarray:
    """Fold 64-bit shingle hashes to the 32-bit values MinHash takes (datasketch's `hashfunc`)."""
    return ((hashes >> np.uint64(32)) ^ hashes).astype(np.uint32)
