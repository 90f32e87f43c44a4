"""Text -> normalized text, with a map from every normalized character back to the original.

Normalization is NFKC, case folding, typographic quotes and dashes to their ASCII forms, and
whitespace runs to one space. Every offset wiretrace reports is in code points into the ORIGINAL
text; `NormalizedText.to_original` converts a normalized span back.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import attrs

# Typographic punctuation folded to ASCII so that "quoted" and “quoted” compare equal.
_PUNCTUATION = {
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark
    "\u201a": "'",  # single low-9 quotation mark
    "\u201b": "'",  # single high-reversed-9 quotation mark
    "\u2032": "'",  # prime
    "\u00b4": "'",  # acute accent used as apostrophe
    "\u0060": "'",  # grave accent used as apostrophe
    "\u201c": '"',  # left double quotation mark
    "\u201d": '"',  # right double quotation mark
    "\u201e": '"',  # double low-9 quotation mark
    "\u201f": '"',  # double high-reversed-9 quotation mark
    "\u2033": '"',  # double prime
    "\u00ab": '"',  # left-pointing double angle quotation mark
    "\u00bb": '"',  # right-pointing double angle quotation mark
    "\u2039": "'",  # single left-pointing angle quotation mark
    "\u203a": "'",  # single right-pointing angle quotation mark
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus sign
    "\u00ad": "",  # soft hyphen: invisible, dropped
    "\u200b": "",  # zero width space
    "\u200c": "",  # zero width non-joiner
    "\u200d": "",  # zero width joiner
    "\u2060": "",  # word joiner
    "\ufeff": "",  # byte-order mark / zero width no-break space
}
_TRANSLATION = str.maketrans(_PUNCTUATION)


@lru_cache(maxsize=65536)
def normalize_char(char: str) -> str:
    """Normalize one character: NFKC, case folding, typographic punctuation to ASCII."""
    if char.isspace():
        return " "
    folded = unicodedata.normalize("NFKC", char.translate(_TRANSLATION)).casefold()
    return folded.translate(_TRANSLATION)


def normalize_word(word: str) -> str:
    """Normalize one token the same way `normalize_text` normalizes its characters."""
    if word.isascii():
        return word.lower()
    return (
        unicodedata.normalize("NFKC", word.translate(_TRANSLATION))
        .casefold()
        .translate(_TRANSLATION)
    )


@attrs.frozen
class NormalizedText:
    """A normalized text and, for each of its characters, the original character it came from.

    `offsets` has one more entry than `text`: the original length, so that a normalized end
    offset maps to an original end offset.
    """

    text: str
    offsets: tuple[int, ...] = attrs.field(repr=False)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalized span [start, end) to the original text's [start, end)."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) is outside the normalized text")
        if start == end:
            return self.offsets[start], self.offsets[start]
        return self.offsets[start], self.offsets[end - 1] + 1


def normalize_text(text: str) -> NormalizedText:
    """Normalize `text` and keep the map back to it (see the module docstring); TypeError for
    a `text` that is not a str."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    out: list[str] = []
    offsets: list[int] = []
    previous_space = True  # drop leading whitespace
    for index, char in enumerate(text):
        for piece in normalize_char(char):
            if piece.isspace():
                if previous_space:
                    continue
                piece = " "
                previous_space = True
            else:
                previous_space = False
            out.append(piece)
            offsets.append(index)
    if out and out[-1] == " ":  # drop trailing whitespace
        out.pop()
        offsets.pop()
    offsets.append(len(text))
    return NormalizedText("".join(out), tuple(offsets))
