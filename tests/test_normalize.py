"""Tests for normalize_text: NFKC, case folding, ASCII punctuation, whitespace, offset map."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import PROPERTY, articles
from wiretrace import normalize_text
from wiretrace.normalize import normalize_char

# Characters whose NFKC form starts with a space (spacing diacritics such as diaeresis, macron,
# cedilla, small tilde, breve; Arabic isolated vowel signs), so their normalized form is " " plus
# a combining mark. They trigger the bug marked below, so the general property leaves them out.
SPACING_DIACRITICS = ["\u00a8", "\u00af", "\u00b8", "\u02d8", "\u02dc", "\ufe70"]
LEADING_SPACE_CHARS = "".join(
    char
    for char in map(chr, range(sys.maxunicode + 1))
    if not 0xD800 <= ord(char) <= 0xDFFF
    and not char.isspace()
    and unicodedata.normalize("NFKC", char).startswith(" ")
)


@PROPERTY
@given(articles())
def test_normalize_is_idempotent_on_articles(text: str) -> None:
    """Normalizing an already normalized article changes nothing."""
    once = normalize_text(text).text
    assert normalize_text(once).text == once


@PROPERTY
@given(st.text(alphabet=st.characters(exclude_characters=LEADING_SPACE_CHARS)))
def test_normalize_is_idempotent_on_any_text(text: str) -> None:
    """Normalizing any text (but for the bug's characters) twice equals normalizing it once."""
    once = normalize_text(text).text
    assert normalize_text(once).text == once


@pytest.mark.parametrize("char", SPACING_DIACRITICS)
def test_normalize_is_idempotent_with_spacing_diacritics(char: str) -> None:
    """Normalizing 'a <spacing diacritic>' twice equals normalizing it once."""
    once = normalize_text(f"a {char}").text
    assert normalize_text(once).text == once


@pytest.mark.parametrize("text", ["a \u00a8", "\u00a8", "x \u02dc y"])
def test_spacing_diacritic_leaves_no_double_or_leading_space(text: str) -> None:
    """Whitespace produced by NFKC is collapsed like any other whitespace run."""
    normalized = normalize_text(text).text
    assert "  " not in normalized
    assert normalized == normalized.strip()


@PROPERTY
@given(st.one_of(articles(), st.text()))
def test_offsets_have_one_entry_per_char_plus_the_end(text: str) -> None:
    """offsets has len(text) + 1 entries, the last being the original length."""
    normalized = normalize_text(text)
    assert len(normalized.offsets) == len(normalized.text) + 1
    assert normalized.offsets[-1] == len(text)


@PROPERTY
@given(st.one_of(articles(), st.text()))
def test_offsets_are_monotonic_and_in_bounds(text: str) -> None:
    """Every normalized char maps to an original index, in non-decreasing order."""
    offsets = normalize_text(text).offsets[:-1]
    assert all(0 <= offset < len(text) for offset in offsets)
    assert list(offsets) == sorted(offsets)


@PROPERTY
@given(st.one_of(articles(), st.text()))
def test_each_original_char_gives_its_normalized_form(text: str) -> None:
    """The normalized chars mapped to one original char are that char's normalized form
    (spaces aside: whitespace runs collapse, which other tests check)."""
    normalized = normalize_text(text)
    groups: dict[int, str] = {}
    for char, offset in zip(normalized.text, normalized.offsets, strict=False):
        groups[offset] = groups.get(offset, "") + char
    for offset, group in groups.items():
        assert group.replace(" ", "") == normalize_char(text[offset]).replace(" ", "")


@PROPERTY
@given(st.one_of(articles(), st.text()), st.data())
def test_to_original_spans_are_in_bounds_and_monotonic(text: str, data: st.DataObject) -> None:
    """to_original maps any normalized span to an ordered span inside the original text."""
    normalized = normalize_text(text)
    length = len(normalized.text)
    start = data.draw(st.integers(0, length))
    end = data.draw(st.integers(start, length))
    original_start, original_end = normalized.to_original(start, end)
    assert 0 <= original_start <= original_end <= len(text)
    if end < length:
        assert normalized.to_original(end, length)[0] >= original_start
    if start < end:
        assert normalized.to_original(start, start + 1)[0] == original_start


@PROPERTY
@given(articles())
def test_to_original_of_whole_text_spans_the_stripped_original(text: str) -> None:
    """The whole normalized text maps back to the original minus outer whitespace."""
    normalized = normalize_text(text)
    start, end = normalized.to_original(0, len(normalized.text))
    assert (start, end) == (len(text) - len(text.lstrip()), len(text.rstrip()))


def test_to_original_rejects_spans_outside_the_text() -> None:
    """A span past the end of the normalized text raises ValueError."""
    with pytest.raises(ValueError, match="outside"):
        normalize_text("abc").to_original(1, 4)


def test_to_original_maps_an_expanded_char_to_its_source() -> None:
    """Both chars of 'ﬁ' -> 'fi' map back to the one ligature character."""
    normalized = normalize_text("a ﬁne")
    assert normalized.text == "a fine"
    assert normalized.to_original(2, 4) == (2, 3)
    assert normalized.to_original(2, 6) == (2, 5)


@pytest.mark.parametrize(
    ("typographic", "ascii_"),
    [
        ("“quoted”", '"quoted"'),
        ("‘single’", "'single'"),
        ("don’t", "don't"),
        ("a — b", "a - b"),
        ("1–2", "1-2"),
        ("«guillemets»", '"guillemets"'),
        ("minus −3", "minus -3"),
    ],
)
def test_typographic_quotes_and_dashes_fold_to_ascii(typographic: str, ascii_: str) -> None:
    """Curly quotes, guillemets, em/en dashes and minus fold to their ASCII forms."""
    assert normalize_text(typographic).text == ascii_


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ﬁle", "file"), ("ＡＢＣ", "abc"), ("①", "1"), ("x²", "x2"), ("\u00c5", "\u00e5")],
)
def test_nfkc_compatibility_forms_are_folded(text: str, expected: str) -> None:
    """NFKC: ligatures, fullwidth letters, circled and superscript digits fold to plain forms."""
    assert normalize_text(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Straße", "strasse"), ("HELLO World", "hello world"), ("ΣΟΦΙΑ", "σοφια"), ("Київ", "київ")],
)
def test_case_is_folded(text: str, expected: str) -> None:
    """Case folding lowers every script and expands ß to ss."""
    assert normalize_text(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a  b", "a b"),
        ("a \t\n\n b", "a b"),
        ("  lead and trail \n", "lead and trail"),
        ("no\u00a0break\u2003em", "no break em"),
        ("", ""),
        (" \n\t ", ""),
    ],
)
def test_whitespace_runs_collapse_to_one_space(text: str, expected: str) -> None:
    """Any run of whitespace becomes one space; leading and trailing whitespace is dropped."""
    assert normalize_text(text).text == expected


def test_invisible_characters_are_dropped() -> None:
    """Soft hyphens, zero-width spaces and byte-order marks vanish from the normalized text."""
    assert normalize_text("\ufeffco\u00adop\u200beration").text == "cooperation"


@pytest.mark.parametrize("text", [None, b"bytes", ["a"], 1])
def test_normalize_text_refuses_what_is_not_a_str(text: object) -> None:
    """A text that is not a str raises TypeError (before: an AttributeError from inside, or a
    list's items normalized as if they were characters)."""
    with pytest.raises(TypeError, match=rf"^text must be a str, got {type(text).__name__}$"):
        normalize_text(text)  # type: ignore[arg-type]
