"""hypothesis strategies for wiretrace: words, news-like articles, and mutated copies of them.

Mutations are done by the plain function `mutate_text` with a `random.Random`, so the planted
passage tests (seeded, not hypothesis) and the properties share one definition of a mutated copy.
"""

from __future__ import annotations

import random
import re

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

LATIN = "abcdefghijklmnopqrstuvwxyz"
CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
GREEK = "αβγδεζηθικλμνξοπρστυφχψω"
ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
# The first few hundred CJK unified ideographs, plus some hiragana and katakana.
CJK = "".join(chr(code) for code in range(0x4E00, 0x4E00 + 300)) + "あいうえおかきくけこアイウエオ"

COMMON = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "on",
    "was",
    "with",
    "he",
    "it",
    "as",
    "at",
    "by",
    "said",
    "from",
    "his",
    "an",
    "be",
    "has",
    "have",
    "had",
    "were",
    "are",
    "its",
    "not",
    "but",
    "which",
    "who",
    "they",
    "been",
    "after",
    "this",
    "more",
    "people",
    "their",
    "city",
    "year",
    "bridge",
    "river",
    "police",
    "officials",
    "government",
    "minister",
    "report",
    "two",
    "three",
    "first",
    "new",
    "told",
    "state",
    "court",
    "water",
    "rescue",
    "mayor",
    "president",
    "news",
    "week",
    "people's",
    "company",
    "according",
]

DASHES = (" — ", " – ", " - ", "—")
SENTENCE_ENDS = (".", ".", ".", "!", "?")
SENTENCE_GAPS = (" ", " ", " ", "  ", "\t", "\n")
PARAGRAPH_GAPS = ("\n\n", "\n\n", "\n", "\n \n", "\r\n\r\n")


def _capitalize(word: str) -> str:
    return word[:1].upper() + word[1:]


def _build_vocabulary(seed: int = 20260314) -> tuple[str, ...]:
    """A fixed, seeded vocabulary: Latin (lower and capitalized), Cyrillic, Greek, Arabic, CJK."""
    rng = random.Random(seed)

    def make(alphabet: str, count: int, low: int, high: int) -> list[str]:
        return ["".join(rng.choices(alphabet, k=rng.randint(low, high))) for _ in range(count)]

    latin = make(LATIN, 900, 2, 10)
    vocabulary = (
        COMMON * 4
        + latin
        + [_capitalize(word) for word in latin[:300]]
        + make(CYRILLIC, 120, 2, 9)
        + [_capitalize(word) for word in make(CYRILLIC, 60, 2, 9)]
        + make(GREEK, 100, 2, 9)
        + make(ARABIC, 100, 2, 7)
        + make(CJK, 120, 1, 3)
    )
    return tuple(vocabulary)


VOCABULARY = _build_vocabulary()
NUMBERS = tuple(
    [str(n) for n in range(0, 100, 7)]
    + [f"{n:,}" for n in (1_200, 12_500, 30_000, 410_000, 1_250_000, 64_000_000)]
    + ["3.5", "0.25", "12.75", "7:40", "2026", "1968"]
)


def words() -> st.SearchStrategy[str]:
    """One word from a fixed vocabulary: Latin (lower or capitalized), Cyrillic, Greek, Arabic, CJK."""
    return st.sampled_from(VOCABULARY)


def _decorate(word: str, number: str, kind: int, dash: str) -> str:
    """A word or number, sometimes quoted, followed by a comma or by a dash."""
    if kind >= 18:
        word = number
    if kind in (0, 18):
        return f"“{word}”"
    if kind == 1:
        return f"‘{word}’"
    if kind == 2:
        return f'"{word}"'
    if kind in (3, 19):
        return word + ","
    if kind == 4:
        return word + dash.rstrip()
    return word


_tokens = st.builds(
    _decorate, words(), st.sampled_from(NUMBERS), st.integers(0, 19), st.sampled_from(DASHES)
)


def _join_sentence(parts: list[str], end: str) -> str:
    return " ".join([_capitalize(parts[0]), *parts[1:]]) + end


def _join(items: list[tuple[str, str]]) -> str:
    out = items[0][0]
    for item, gap in items[1:]:
        out += gap + item
    return out


def sentences(min_words: int = 3, max_words: int = 14) -> st.SearchStrategy[str]:
    """A sentence: capitalized first word, words and numbers with punctuation, an end mark."""
    return st.builds(
        _join_sentence,
        st.lists(_tokens, min_size=min_words, max_size=max_words),
        st.sampled_from(SENTENCE_ENDS),
    )


def paragraphs() -> st.SearchStrategy[str]:
    """One to four sentences separated by varied whitespace (spaces, tabs, a newline)."""
    return st.lists(
        st.tuples(sentences(), st.sampled_from(SENTENCE_GAPS)), min_size=1, max_size=4
    ).map(_join)


def articles(min_paragraphs: int = 1, max_paragraphs: int = 5) -> st.SearchStrategy[str]:
    """A news-like text: paragraphs of sentences, typographic quotes, dashes, numbers."""
    return st.lists(
        st.tuples(paragraphs(), st.sampled_from(PARAGRAPH_GAPS)),
        min_size=min_paragraphs,
        max_size=max_paragraphs,
    ).map(_join)


def word_count(text: str) -> int:
    """How many wiretrace tokens a text has."""
    from wiretrace.shingle import tokenize

    return len(tokenize(text))


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")
_PIECES = re.compile(r"\S+|\s+")


def mutate_text(
    text: str, rate: float, rng: random.Random, vocabulary: tuple[str, ...] = tuple(COMMON)
) -> str:
    """A copy of `text` with about `rate` of its words replaced, inserted or deleted.

    With `rate` > 0 a sentence may also be moved (one in three copies). Words are the
    whitespace-separated pieces; the whitespace within sentences is kept; new words come from
    `vocabulary`.
    """
    sentences_ = _SENTENCE_SPLIT.split(text.strip())
    if rate > 0 and len(sentences_) > 1 and rng.random() < 1 / 3:
        moved = sentences_.pop(rng.randrange(len(sentences_)))
        sentences_.insert(rng.randrange(len(sentences_) + 1), moved)
    out: list[str] = []
    for piece in _PIECES.findall(" ".join(sentences_)):
        if piece.isspace() or rng.random() >= rate:
            out.append(piece)
            continue
        operation = rng.randrange(3)
        if operation == 0:  # replace
            out.append(rng.choice(vocabulary))
        elif operation == 1:  # insert before
            out.extend([rng.choice(vocabulary), " ", piece])
        # operation 2: delete (the whitespace around it stays)
    return "".join(out)


def mutated_copy(text: str, rate: float | st.SearchStrategy[float]) -> st.SearchStrategy[str]:
    """A strategy for mutated copies of `text` (words replaced, inserted, deleted; a sentence moved)."""
    rates = rate if isinstance(rate, st.SearchStrategy) else st.just(rate)
    return st.builds(
        lambda r, rng: mutate_text(text, r, rng), rates, st.randoms(use_true_random=False)
    )


@st.composite
def reused_pairs(draw: st.DrawFn, max_rate: float = 0.15) -> tuple[str, str]:
    """(source, target): target is a mutated copy of source, sometimes inside other text."""
    source = draw(articles())
    copy = draw(mutated_copy(source, st.floats(0, max_rate)))
    before = draw(st.one_of(st.just(""), articles(max_paragraphs=2).map(lambda t: t + "\n\n")))
    after = draw(st.one_of(st.just(""), articles(max_paragraphs=2).map(lambda t: "\n\n" + t)))
    return source, before + copy + after


# Shared by the property tests: modest example counts keep the suite fast; no deadline because
# the first call of a stage warms caches.
PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# Hostile inputs: what real exports and crawls throw at the readers.

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)
ENCODINGS = ("utf-8", "cp1252", "latin-1", "utf-16", "shift_jis", "koi8-r")


def json_values(max_leaves: int = 20) -> st.SearchStrategy[object]:
    """Any JSON value: scalars, arrays and objects nested a few levels."""
    return st.recursive(
        JSON_SCALARS,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=max_leaves,
    )


@st.composite
def record_like(draw: st.DrawFn) -> dict[str, object]:
    """An object that looks like an article record, with any value in any of the usual fields."""
    keys = st.sampled_from(["id", "text", "body", "date", "published", "outlet", "title", "url"])
    record = draw(st.dictionaries(keys | st.text(max_size=8), json_values(8), max_size=6))
    return record


@st.composite
def nested_json(draw: st.DrawFn) -> str:
    """A JSON line nested far deeper than any record (arrays or objects, closed or not)."""
    depth = draw(st.integers(100, 50_000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    closed = draw(st.booleans())
    inner = opener * depth + "1" + (closer * depth if closed else "")
    return '{"id": "deep", "text": ' + inner + "}"


@st.composite
def mixed_encoding_lines(draw: st.DrawFn) -> bytes:
    """Lines of one file, each encoded in its own codec (as when exports are concatenated)."""
    lines = draw(st.lists(st.tuples(st.text(min_size=1, max_size=40), st.sampled_from(ENCODINGS))))
    out = []
    for text, encoding in lines:
        out.append(text.encode(encoding, errors="replace") + b"\n")
    return b"".join(out)
