"""Tests for tokens with offsets, stable token ids, and hashed word n-grams."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import PROPERTY, articles, words
from wiretrace import _kernels
from wiretrace.normalize import normalize_word
from wiretrace.shingle import (
    _SIMPLE_LIMIT,
    char_tables,
    code_points,
    hash32,
    shingle_hashes,
    shingle_hashes_plain,
    token_id,
    tokenize,
    tokenize_plain,
)

# Characters where the compiled tokenizer has to get an edge right: apostrophes and number
# separators between (or not between) words and digits, combining marks, ligatures, characters
# that case-fold to two, fullwidth forms, other scripts' digits, astral letters and ideographs,
# percent-escapes (hexadecimal digits after a "%"), Tamil and Malayalam vowel signs and viramas,
# the zero-width joiner and non-joiner.
TRICKY = (
    "'’.,:-_ \n\t0123456789aZéß\u0301\u0308\u0483ﬁİŉǅΐς%%%AbFதொமைന്\u200d\u200c"
    "ＡＢ１２٣४ київΑθήναقاهرة\u064eहिन्दी東京タワー\U00020000\U0001d400\U0001f600"
)


def token_texts(text: str) -> list[str]:
    """The tokens of `text` as the substrings their offsets slice."""
    tokens = tokenize(text)
    return [text[start:end] for start, end in zip(tokens.starts, tokens.ends, strict=True)]


@PROPERTY
@given(st.one_of(articles(), st.text()))
def test_token_offsets_slice_the_original_to_non_empty_strings(text: str) -> None:
    """Every token's [start, end) is inside the text and slices a non-empty string."""
    tokens = tokenize(text)
    assert len(tokens.starts) == len(tokens.ends) == len(tokens.ids) == len(tokens)
    for start, end in zip(tokens.starts.tolist(), tokens.ends.tolist(), strict=True):
        assert 0 <= start < end <= len(text)
        assert text[start:end].strip() == text[start:end]


@PROPERTY
@given(st.one_of(articles(), st.text(), st.text(alphabet=TRICKY, max_size=60)))
def test_compiled_tokenize_equals_the_plain_one(text: str) -> None:
    """The compiled tokenizer gives the spans of TOKEN_PATTERN.finditer and token_id's ids."""
    fast, plain = tokenize(text), tokenize_plain(text)
    assert fast.starts.tolist() == plain.starts.tolist()
    assert fast.ends.tolist() == plain.ends.tolist()
    assert fast.ids.tolist() == plain.ids.tolist()


@PROPERTY
@given(st.one_of(articles(), st.text(alphabet=TRICKY, max_size=80)), st.sampled_from([1, 2, 5, 13]))
def test_long_texts_tokenized_in_blocks_equal_the_plain_one(text: str, block: int) -> None:
    """A text longer than the block size is tokenized a block at a time (cut after white space):
    the same spans and ids as the plain tokenizer over the whole text."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("wiretrace.shingle.BLOCK_CHARS", block)
        fast = tokenize(text)
    plain = tokenize_plain(text)
    assert fast.starts.tolist() == plain.starts.tolist()
    assert fast.ends.tolist() == plain.ends.tolist()
    assert fast.ids.tolist() == plain.ids.tolist()


@PROPERTY
@given(st.text(alphabet=TRICKY, max_size=80) | st.text(max_size=80))
def test_tokenize_spans_are_the_scanners(text: str) -> None:
    """The compiled tokenizer's table of transitions finds the spans `_token_spans` finds
    character class by character class, on text of the Basic Multilingual Plane."""
    text = "".join(char for char in text if ord(char) < 0x10000)
    points = code_points(text)
    classes, codes = char_tables()
    starts, ends, _, _ = _kernels.tokenize(points, classes, codes, np.zeros(0, dtype=np.uint8))
    bound_starts, bound_ends = _kernels.token_bounds(points, classes)
    assert starts.tolist() == bound_starts.tolist()
    assert ends.tolist() == bound_ends.tolist()


def test_recent_code_points_keep_the_last_texts_asked_for() -> None:
    """`recent_code_points` gives `code_points`' values, the same array again for a text asked
    for among the last RECENT_POINTS (by object: an equal text made anew is encoded anew), read
    only; older texts are dropped."""
    from wiretrace.shingle import RECENT_POINTS, recent_code_points

    texts = ["plain ascii", "curly “quotes”", "astral 😀 x", "рус"]
    first = [recent_code_points(text) for text in texts]
    for text, points in zip(texts, first, strict=True):
        assert points.dtype == code_points(text).dtype
        assert points.tolist() == code_points(text).tolist()
        assert not points.flags.writeable
    assert all(
        recent_code_points(text) is points for text, points in zip(texts, first, strict=True)
    )
    again = "".join(["curly “quo", "tes”"])  # equal to texts[1], another object
    assert recent_code_points(again) is not first[1]
    for k in range(RECENT_POINTS):
        recent_code_points(f"filler {k} —")
    assert recent_code_points(texts[0]) is not first[0]


def test_simple_characters_normalize_one_by_one_inside_words() -> None:
    """The table path's premise: for every pair of characters it hashes from the table, the
    normalized pair is the pair of normalized characters (so no context is lost)."""
    _, codes = char_tables()
    simple = [chr(point) for point in range(_SIMPLE_LIMIT) if codes[point]]
    assert len(simple) > 500
    for first in simple:
        expected = chr(codes[ord(first)])
        for second in simple:
            assert normalize_word(first + second) == expected + chr(codes[ord(second)])


@PROPERTY
@given(articles())
def test_tokens_are_in_order_and_do_not_overlap(text: str) -> None:
    """Token spans are sorted and disjoint."""
    tokens = tokenize(text)
    assert np.all(tokens.ends[:-1] <= tokens.starts[1:])


@PROPERTY
@given(st.lists(words(), min_size=1, max_size=30))
def test_every_vocabulary_word_is_found(word_list: list[str]) -> None:
    """Words joined by spaces tokenize back to those words (CJK words split per character)."""
    text = " ".join(word_list)
    expected = [piece for word in word_list for piece in token_texts(word)]
    assert token_texts(text) == expected
    assert "".join(expected) == text.replace(" ", "")


@PROPERTY
@given(articles())
def test_token_ids_are_stable_across_calls(text: str) -> None:
    """Tokenizing the same text twice gives the same ids."""
    assert np.array_equal(tokenize(text).ids, tokenize(text).ids)


def test_token_ids_are_the_same_in_a_new_process() -> None:
    """A token id does not depend on the process (no salted hash())."""
    code = "from wiretrace.shingle import token_id; print(token_id('Halvergate'))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert int(result.stdout) == token_id("Halvergate")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Don’t", "don't"),
        ("BRIDGE", "bridge"),
        ("Straße", "STRASSE"),
        ("ＡＢＣ", "abc"),
        ("ﬁne", "fine"),
        ("cafe\u0301", "caf\u00e9"),
        ("Київ", "київ"),
    ],
)
def test_token_ids_are_equal_for_case_and_typographic_variants(first: str, second: str) -> None:
    """Variants that normalize alike (case, curly apostrophe, NFKC, ß) have one id."""
    assert token_texts(first) == [first]
    assert token_texts(second) == [second]
    assert tokenize(first).ids.tolist() == tokenize(second).ids.tolist()


def test_different_words_have_different_ids() -> None:
    """Distinct words get distinct ids."""
    ids = tokenize("the bridge fell into the river").ids.tolist()
    assert len(set(ids)) == 5
    assert ids[0] == ids[4]


def test_cjk_is_one_token_per_character() -> None:
    """Each CJK ideograph and kana is its own token."""
    assert token_texts("东京タワーで地震") == ["东", "京", "タ", "ワ", "ー", "で", "地", "震"]


@pytest.mark.parametrize(
    "word",
    ["Київ", "землетрясение", "Αθήνα", "σεισμός", "القاهرة", "زلزال", "naïve", "हिन्दी"],
)
def test_words_of_other_scripts_are_single_tokens(word: str) -> None:
    """A Cyrillic, Greek, Arabic, accented Latin or Devanagari word is one token."""
    assert token_texts(f"({word}), {word}.") == [word, word]


@pytest.mark.parametrize("number", ["1,200", "3.5", "30,000", "1,250,000", "7:40", "2026"])
def test_numbers_keep_their_inner_separators(number: str) -> None:
    """A number with inner commas, points or colons is one token."""
    assert token_texts(f"about {number}, then") == ["about", number, "then"]


def test_trailing_punctuation_is_not_part_of_a_number() -> None:
    """A sentence-final point or comma after a number is not part of it."""
    assert token_texts("It was 42. Then 7,") == ["It", "was", "42", "Then", "7"]


def test_inner_apostrophes_stay_in_words() -> None:
    """Straight and curly inner apostrophes join a word; quotes around it do not."""
    assert token_texts("“Don’t” 'cause people's") == ["Don’t", "cause", "people's"]


@given(st.integers(1, 40), st.integers(1, 8))
def test_shingle_count_is_words_minus_size_plus_one(count: int, size: int) -> None:
    """n tokens give max(1, n - size + 1) shingles."""
    ids = np.arange(count, dtype=np.uint64) * np.uint64(7919)
    assert len(shingle_hashes(ids, size)) == max(1, count - size + 1)


@pytest.mark.parametrize("size", [1, 3, 5])
def test_empty_input_has_no_shingles(size: int) -> None:
    """No tokens give no shingles."""
    hashes = shingle_hashes(np.zeros(0, dtype=np.uint64), size)
    assert hashes.dtype == np.uint64
    assert len(hashes) == 0


@PROPERTY
@given(articles(), articles(), st.integers(1, 4))
def test_shingle_hashes_depend_only_on_the_n_gram(left: str, right: str, size: int) -> None:
    """A text's shingles appear unchanged when other text is put before it."""
    alone = shingle_hashes(tokenize(left).ids, size)
    inside = shingle_hashes(tokenize(right + " " + left).ids, size)
    if len(tokenize(left)) >= size:
        assert np.array_equal(inside[len(inside) - len(alone) :], alone)


@PROPERTY
@given(st.lists(st.integers(0, 2**64 - 1), max_size=40), st.integers(1, 8))
def test_compiled_shingle_hashes_equal_the_plain_ones(ids: list[int], size: int) -> None:
    """The compiled shingle hashes are the numpy reference's, for any ids and n-gram size."""
    array = np.array(ids, dtype=np.uint64)
    assert shingle_hashes(array, size).tolist() == shingle_hashes_plain(array, size).tolist()


def test_shingles_are_order_sensitive() -> None:
    """'a b c' and 'c b a' share no 3-word shingle."""
    first = shingle_hashes(tokenize("alpha beta gamma").ids, 3)
    second = shingle_hashes(tokenize("gamma beta alpha").ids, 3)
    assert first[0] != second[0]


def test_hash32_folds_both_halves() -> None:
    """hash32 is the xor of the high and low 32 bits, as uint32."""
    hashes = np.array([0, 1, (5 << 32) | 3, (1 << 64) - 1], dtype=np.uint64)
    assert hash32(hashes).dtype == np.uint32
    assert hash32(hashes).tolist() == [0, 1, 6, 0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("%D0%B1%D1%8B", []),  # an encoded Cyrillic word: no tokens (was D, 0, B, 1, D, 1, 8, B)
        ("q=%23%D0%B1text and 20%", ["q", "text", "and", "20"]),
        ("a%41b", ["a", "b"]),
        ("%DFabc", ["abc"]),  # the escape is %DF; abc follows it
        ("%2520", ["20"]),  # "%25" then "20"
        ("%%41 %4%41 %414", ["4", "4"]),  # escapes taken from the left
        ("rose 5%, then 7% Again %At %Dz", ["rose", "5", "then", "7", "Again", "At", "Dz"]),
    ],
)
def test_percent_escapes_make_no_tokens(text: str, expected: list[str]) -> None:
    """The hexadecimal digits of a percent-escape (a byte of an encoded web address) are no
    words: two links with Cyrillic words in them shared long runs of them (false passages)."""
    assert token_texts(text) == expected
    plain = tokenize_plain(text)
    assert [text[a:b] for a, b in zip(plain.starts, plain.ends, strict=True)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Tamil and Malayalam vowel signs and viramas (before: pieces of a letter or two)
        ("தொடர்பான மறுஆய்வு மனுக்களை", ["தொடர்பான", "மறுஆய்வு", "மனுக்களை"]),
        ("മുഖ്യമന്ത്രി ഫഡ്നാവിസ്", ["മുഖ്യമന്ത്രി", "ഫഡ്നാവിസ്"]),
        # a Malayalam chillu written with the zero-width joiner; a Persian word with the
        # zero-width non-joiner
        ("നിര്\u200dത്തി", ["നിര്\u200dത്തി"]),
        ("می\u200cخواهم", ["می\u200cخواهم"]),
        # Gujarati, Telugu, Kannada, Sinhala, Myanmar
        ("ગુજરાતી తెలుగు ಕನ್ನಡ සිංහල မြန်မာ", ["ગુજરાતી", "తెలుగు", "ಕನ್ನಡ", "සිංහල", "မြန်မာ"]),
        # a joiner or mark outside a word belongs to none ("⚡️": a variation selector)
        ("\u200d ⚡\ufe0f a", ["a"]),
    ],
)
def test_combining_marks_and_joiners_stay_inside_words(text: str, expected: list[str]) -> None:
    """Every combining mark (and the zero-width joiner and non-joiner) goes on a word: the vowel
    signs of Indic scripts were missing, so unrelated Tamil or Malayalam texts shared runs of
    their pieces (36 of 36 Malayalam pairs of the Telegram contest's corpus)."""
    assert token_texts(text) == expected
    plain = tokenize_plain(text)
    assert [text[a:b] for a, b in zip(plain.starts, plain.ends, strict=True)] == expected


def test_combining_marks_are_unicodes() -> None:
    """The marks written in `wiretrace._marks` are each a combining mark (Mn, Mc, Me) for this
    Python too, and, on the Unicode version they were made from, all of them."""
    import unicodedata

    from wiretrace import _marks

    marks = [char for char in _marks.COMBINING_MARKS if char != "-"]
    assert len(marks) > 250
    ranges = re.findall(r"(.)-(.)|(.)", _marks.COMBINING_MARKS, re.DOTALL)
    for first, last, single in ranges:
        for point in range(ord(first or single), ord(last or single) + 1):
            assert unicodedata.category(chr(point)).startswith("M"), hex(point)
    if unicodedata.unidata_version == "14.0.0":
        assert _marks._ranges() == _marks.COMBINING_MARKS
