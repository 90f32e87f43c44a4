"""Bytes to text, for every reader: the encoding to read with, byte-order marks, declared
charsets, binary files, the size limit of one document, and the errors these give."""

from __future__ import annotations

import codecs
import re
from typing import IO

import attrs

from wiretrace.errors import ConfigError, InputError

ENCODING_FIX = "pass --encoding to name its encoding (e.g. --encoding cp1252)"

DEFAULT_MAX_DOCUMENT_CHARS = 50_000_000
"""The default limit of one document's length in characters (code points): 50 million, some
10,000 news articles; a document over the limit is a bad input, read no further."""

MAX_MAX_DOCUMENT_CHARS = 1_000_000_000_000
"""The highest limit of one document's length: a trillion characters, more than any machine holds
as one text (a limit's bytes, `MAX_BYTES_PER_CHAR` per character, must fit a read's size)."""

# One character is stored in at most 4 bytes of UTF-8 and 6 of a JSON escape (\uXXXX), and at
# most 2 characters of CSV (a doubled quote): a record stored in more bytes than this many per
# allowed character cannot hold a document within the limit, so it is rejected unread.
MAX_BYTES_PER_CHAR = 6

# The most bytes read at once from an input that may be as large as the document limit allows.
READ_PIECE = 1 << 24

# How much of an input is looked at to recognise a binary file or a page's declared charset
# (the HTML standard looks for <meta charset> in the first 1024 bytes; pages often exceed that).
SNIFF_BYTES = 8192
_CHARSET_BYTES = 4096

# UTF-32 before UTF-16: the UTF-32 little-endian mark begins with the UTF-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# UTF-32 before UTF-16: ASCII text in UTF-32 reads as UTF-16 with NUL characters.
_WIDE_CODECS = (("utf-32-le", 4), ("utf-32-be", 4), ("utf-16-le", 2), ("utf-16-be", 2))

_MAGIC = (
    (b"\x1f\x8b", "gzip data"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or an Office document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF media file"),
    (b"\x7fELF", "a program"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"PAR1", "a Parquet file"),
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Text encodings in name only, whose text is a domain name (punycode, idna) or nothing (undefined):
# an article's bytes fail in them with errors that are not UnicodeDecodeError.
_NOT_FILE_ENCODINGS = frozenset({"punycode", "idna", "undefined"})

_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


@attrs.frozen
class Decoder:
    """How to turn an input's bytes into text, and how to explain bytes that do not decode."""

    codec: str
    label: str
    strip_bom: bool
    splits_bytes: bool

    @classmethod
    def for_encoding(cls, encoding: str) -> Decoder:
        """The decoder for a codec name; ConfigError if Python does not know it or it is not a
        text encoding that files are written in (or not a name at all)."""
        if not isinstance(encoding, str):
            raise ConfigError(
                f"encoding must be a codec name (a str) such as utf-8 or cp1252, got "
                f"{type(encoding).__name__} {encoding!r:.60}"
            )
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise ConfigError(
                f"unknown encoding {encoding!r}; pass a Python codec name such as utf-8 or cp1252"
            ) from None
        not_text = ConfigError(
            f"{encoding!r} is not a text encoding; pass a Python codec name such as utf-8 or cp1252"
        )
        if name in _NOT_FILE_ENCODINGS:
            raise not_text
        try:
            # str.encode takes text encodings only (not rot13, base64, zlib, ...).
            newline = "\n".encode(name)
        except LookupError:
            raise not_text from None
        if name in ("utf-8", "utf-8-sig"):
            return cls(codec="utf-8", label="UTF-8", strip_bom=True, splits_bytes=True)
        return cls(codec=name, label=encoding, strip_bom=False, splits_bytes=newline == b"\n")

    def for_head(self, head: bytes) -> Decoder:
        """The decoder for an input that starts with `head`: a byte-order mark overrides this one."""
        codec = bom_codec(head)
        if codec is None or codec == self.codec:
            return self
        if codec == "utf-8":
            return Decoder.for_encoding("utf-8")
        # The utf-16 and utf-32 codecs read the mark to learn the byte order.
        return Decoder(codec=codec, label=codec.upper(), strip_bom=False, splits_bytes=False)

    def decode(self, raw: bytes, *, input: str, line: int | None, offset: int, first: bool) -> str:
        """Decode `raw`, found at byte `offset` of the input; InputError if it does not decode."""
        if first and self.strip_bom and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
            offset += len(codecs.BOM_UTF8)
        try:
            return raw.decode(self.codec)
        except UnicodeDecodeError as error:
            raise InputError(
                f"{self.describe(error, offset)}; {ENCODING_FIX}", input=input, line=line
            ) from None

    def describe(self, error: UnicodeDecodeError, offset: int | None = None) -> str:
        """A short account of a decoding error; `offset` is where the decoded bytes began."""
        bad = error.object[error.start : error.start + 1].hex()
        where = f" at offset {offset + error.start}" if offset is not None else ""
        return f"is not valid {self.label} text (byte 0x{bad}{where})"


def read_at_most(stream: IO[bytes], limit: int) -> bytes:
    """Up to `limit` bytes of a binary stream, read a piece at a time: one read of `limit` bytes
    would take that much memory at once, more than a machine has when the document limit is high.
    """
    pieces = []
    while limit > 0 and (piece := stream.read(min(limit, READ_PIECE))):
        pieces.append(piece)
        limit -= len(piece)
    return b"".join(pieces)


def bom_codec(head: bytes) -> str | None:
    """The codec named by the byte-order mark `head` starts with, if any."""
    return next((codec for bom, codec in _BOMS if head.startswith(bom)), None)


def describe_binary(head: bytes, codec: str, *, lines: bool = False) -> str | None:
    """What an input starting with `head` looks like when it is not text in `codec` (None when it
    may be text): a known file signature, or a NUL byte (which text never holds).

    With `lines` (an input read line by line), a NUL byte after a first line that is plain
    text is left to the reader, which rejects the line holding it and no other.
    Only meaningful for codecs where a newline is the byte 0x0a (not UTF-16 or UTF-32).
    """
    what = next((what for magic, what in _MAGIC if head.startswith(magic)), None)
    nul = head.find(b"\x00")
    if lines and nul > 0 and _is_text_line(head[: head.find(b"\n", 0, nul) + 1], codec):
        nul = -1
    if nul >= 0:
        return what or f"a NUL byte at offset {nul}"
    if what is None:
        return None
    # A signature alone could be the first letters of a text ("BZh..."); binary data also
    # fails to decode. The head may end inside a character, so it is decoded as unfinished.
    try:
        codecs.getincrementaldecoder(codec)().decode(head, final=False)
    except UnicodeDecodeError:
        return what
    return None


def _is_text_line(line: bytes, codec: str) -> bool:
    """Whether `line` is a whole line of text in `codec`, without control characters."""
    try:
        text = line.decode(codec)
    except UnicodeDecodeError:
        return False
    return text.endswith("\n") and not _CONTROL.search(text)


def guess_wide_codec(head: bytes) -> str | None:
    """The UTF-16 or UTF-32 codec with a byte order (``utf-16-le``, ...) that reads `head` as
    text of mostly ASCII characters, for an input without a byte-order mark; None if none does.

    Binary data read as UTF-16 gives letters of every script, almost never ASCII ones.
    """
    for codec, width in _WIDE_CODECS:
        size = len(head) // width * width
        if size < 4 * width:
            continue
        try:
            text = head[:size].decode(codec)
        except UnicodeDecodeError:
            continue
        ascii_text = sum(" " <= char < "\x7f" or char in "\t\n\r" for char in text)
        if "\x00" not in text and ascii_text >= 0.9 * len(text):
            return codec
    return None


def bom_fix(decoder: Decoder, head: bytes) -> str | None:
    """Why `decoder` cannot read an input that starts with `head` line by line, if it cannot:
    the utf-16 and utf-32 codecs need a byte-order mark to know the byte order."""
    if decoder.codec not in ("utf-16", "utf-32") or bom_codec(head) is not None:
        return None
    guess = guess_wide_codec(head)
    fix = f"--encoding {guess}" if guess else f"--encoding {decoder.codec}-le or {decoder.codec}-be"
    return (
        f"has no byte-order mark, which --encoding {decoder.label} needs to tell the byte "
        f"order; pass {fix}"
    )


def declared_charset(head: bytes, content_type: str | None = None) -> str | None:
    """The codec a web page declares: its HTTP Content-Type charset, else its <meta> charset.

    Labels follow the HTML standard's reading: ISO-8859-1 and US-ASCII mean windows-1252, and a
    UTF-16 label inside the page itself means UTF-8. None when nothing usable is declared.
    """
    label: str | None = None
    in_page = False
    if content_type:
        found = _HEADER_CHARSET.search(content_type)
        label = found.group(1) if found else None
    if label is None:
        found_meta = _META_CHARSET.search(head[:_CHARSET_BYTES])
        label = found_meta.group(1).decode("ascii") if found_meta else None
        in_page = True
    if label is None:
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    if in_page and name.startswith(("utf-16", "utf-32")):
        return "utf-8"
    return name


def decode_page(
    raw: bytes, decoder: Decoder, *, input: str, content_type: str | None = None
) -> str:
    """A web page's text: by its byte-order mark, else its declared charset, else `decoder`.

    A declared charset that does not decode the page is passed over for `decoder` (pages often
    declare the wrong one); InputError when `decoder` fails too.
    """
    chosen = decoder.for_head(raw[:4])
    if bom_codec(raw[:4]) is None:
        declared = declared_charset(raw[:_CHARSET_BYTES], content_type)
        if declared is not None and declared != decoder.codec:
            try:
                return raw.decode(declared)
            except UnicodeDecodeError:
                pass
    return chosen.decode(raw, input=input, line=None, offset=0, first=True)


def too_large(amount: str, limit: int) -> str:
    """The reason given for a document over the size limit; `amount` says how large it is."""
    return (
        f"is too large ({amount}; the limit is {limit:,} characters); "
        "pass --max-document-chars to raise the limit"
    )


def unreadable(error: OSError, input: str) -> InputError:
    """The error for a file the operating system would not let us read."""
    return InputError(
        f"cannot be read ({error.strerror or error}); check that it exists and that you may read it",
        input=input,
    )
