"""Readers that turn folders, text files, web pages, web archives, JSON Lines and CSV files into
`Document` records."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import sys
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Literal, cast

import attrs

from wiretrace.config import whole_number
from wiretrace.errors import ConfigError, EmptyInputError, InputError
from wiretrace.ingest.decode import (
    DEFAULT_MAX_DOCUMENT_CHARS,
    ENCODING_FIX,
    MAX_BYTES_PER_CHAR,
    MAX_MAX_DOCUMENT_CHARS,
    SNIFF_BYTES,
    Decoder,
    bom_fix,
    describe_binary,
    guess_wide_codec,
    read_at_most,
    too_large,
    unreadable,
)
from wiretrace.ingest.fields import FieldMap, read_record
from wiretrace.ingest.html import HTML_SUFFIXES, read_page
from wiretrace.ingest.warc import WARC_SUFFIXES, read_warc
from wiretrace.models import Document, Notice, Skipped

OnError = Literal["fail", "skip"]
InputPath = str | os.PathLike[str]

TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
CSV_SUFFIXES = (".csv",)
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES + CSV_SUFFIXES + WARC_SUFFIXES
READS = (
    "wiretrace reads .txt, .md, .html, .htm, .jsonl, .ndjson, .csv and .warc files "
    "(.jsonl, .ndjson and .warc also gzipped)"
)

# csv.field_size_limit takes a C long, which is 32 bits on Windows; the row limit below applies.
_CSV_FIELD_SIZE_LIMIT = 2**31 - 1
_GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)
_JSON_HINT = "; for JSON Lines (one JSON object per line) name the file .jsonl"
# Only a \u escape of a surrogate can put one into a decoded JSON string.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# The same in a line's UTF-8 bytes, where ASCII characters are their own bytes and no other
# character's bytes are ASCII: searching the bytes finds the same escapes, about twice as fast.
_SURROGATE_ESCAPE_UTF8 = re.compile(rb"\\u[dD][89a-fA-F]")
_NUL_IN_LINE = "holds a NUL byte, which text never holds; remove it"
# Read buffer of a file read line by line: a line of news in JSON Lines is larger than the
# default (8 KiB), and a line across two buffers is read more slowly.
_LINE_BUFFER = 1 << 18
# An over-long line is read past in pieces of this size, never held whole.
_SKIP_CHUNK = 1 << 20

# What a reader yields: a document with where it was read (input, line), what went wrong, or a
# notice about what was read.
_Read = tuple[Document, str, int | None] | InputError | Notice


@attrs.frozen
class Loaded:
    """The documents read from a run's inputs, the inputs that were skipped, and notices about
    the inputs (dates that could not be parsed, records and files passed over), in input order."""

    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...] = ()
    notices: tuple[Notice, ...] = ()


# How a `TextStream` is read: as a text file (one article), a JSON Lines file or a CSV file.
STREAM_FORMATS = ("text", "jsonl", "csv")


def _stream_format(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value not in STREAM_FORMATS:
        raise ConfigError(
            f"a stream's format must be one of {', '.join(STREAM_FORMATS)}, got {value!r}"
        )


@attrs.frozen
class TextStream:
    """An input that is a byte stream, such as standard input, `name` naming it in messages
    (``"-"``). With `format` "text" it holds one article, read as a ``.txt`` file is, its id
    `name`; with "jsonl" or "csv" it is read as a JSON Lines or CSV file is (gzipped too: its
    first bytes tell), a document per line or row."""

    stream: IO[bytes]
    name: str = "-"
    format: str = attrs.field(default="text", validator=_stream_format)


Input = InputPath | TextStream


@attrs.frozen
class _Context:
    """What every reader of one run needs."""

    field_map: FieldMap
    decoder: Decoder
    max_chars: int


def load_documents(
    inputs: Input | Iterable[Input],
    *,
    field_map: FieldMap = FieldMap(),  # noqa: B008 - FieldMap is frozen, sharing it is safe
    on_error: OnError = "fail",
    encoding: str = "utf-8",
    max_document_chars: int = DEFAULT_MAX_DOCUMENT_CHARS,
) -> Loaded:
    """Read every input into memory; see `read_inputs` for the arguments and the errors."""
    skipped: list[Skipped] = []
    notices: list[Notice] = []
    stream = read_inputs(
        inputs,
        field_map=field_map,
        on_error=on_error,
        encoding=encoding,
        max_document_chars=max_document_chars,
    )
    documents = tuple(sort_out(stream, skipped, notices))
    return Loaded(documents=documents, skipped=tuple(skipped), notices=tuple(notices))


def sort_out(
    items: Iterable[Document | Skipped | Notice], skipped: list[Skipped], notices: list[Notice]
) -> Iterator[Document]:
    """The documents of a `read_inputs` stream, as they come; its `Skipped` and `Notice`
    records are appended to `skipped` and `notices` on the way."""
    for item in items:
        if isinstance(item, Skipped):
            skipped.append(item)
        elif isinstance(item, Notice):
            notices.append(item)
        else:
            yield item


def read_inputs(
    inputs: Input | Iterable[Input],
    *,
    field_map: FieldMap = FieldMap(),  # noqa: B008 - FieldMap is frozen, sharing it is safe
    on_error: OnError = "fail",
    encoding: str = "utf-8",
    max_document_chars: int = DEFAULT_MAX_DOCUMENT_CHARS,
) -> Iterator[Document | Skipped | Notice]:
    """Yield the documents of each input in order, a `Skipped` record for each input not read,
    and a `Notice` for what was read but is worth knowing.

    An input is a file or a folder. Files are read by their name:

    - ``.txt``, ``.md``: one document, the file's text; its id is the file name.
    - ``.html``, ``.htm``: one document, the page's article text (see `wiretrace.ingest.html`).
    - ``.jsonl``, ``.ndjson`` (optionally ``.gz``): one document per line holding a JSON object.
    - ``.csv``: one document per row below the header row.
    - ``.warc``, ``.warc.gz``: one document per HTML page captured (see `wiretrace.ingest.warc`).

    A `TextStream` (standard input) is one document read as a ``.txt`` file is, its id the
    stream's name, or with its `format` "jsonl" or "csv" read as such a file is. A folder gives
    every such file below it, in path order; the id of a text file or web page is then its path
    relative to the folder. Hidden files and folders are passed over, other files with names
    not listed above are passed over with a notice. Links to folders are followed; a folder
    reached a second way (a loop of links) is passed over with a notice. Files are streamed; a
    line or a document is never read past `max_document_chars` characters (a larger one is an
    error).

    Text is decoded with `encoding`, unless a byte-order mark says otherwise; a web page's
    declared charset comes before `encoding`. Inputs with no text (reason "empty", also a folder
    with no files) or pages with no article are always yielded as `Skipped` and never raise.
    Any other problem (a missing or unreadable file, a binary file, bytes that do not decode, a
    malformed line, a missing field, an id seen before, a document over the limit) raises
    `InputError` when `on_error` is ``"fail"`` and is yielded as `Skipped` when it is
    ``"skip"``. An `on_error` other than these
    raises ValueError, and an unknown `encoding` or a `max_document_chars` outside 1 to
    `MAX_MAX_DOCUMENT_CHARS` raises `ConfigError`, both from the call itself, before anything is
    read.
    """
    if on_error not in ("fail", "skip"):
        raise ValueError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
    max_document_chars = whole_number(
        "max_document_chars", max_document_chars, 1, MAX_MAX_DOCUMENT_CHARS
    )
    context = _Context(field_map, Decoder.for_encoding(encoding), max_document_chars)
    if isinstance(inputs, str | os.PathLike | TextStream):
        inputs = [inputs]
    return _read_all(list(inputs), on_error, context)


def _read_all(
    inputs: list[Input], on_error: OnError, context: _Context
) -> Iterator[Document | Skipped | Notice]:
    first_seen: dict[str, tuple[str, int | None]] = {}
    for given in inputs:
        if isinstance(given, TextStream):
            reads = _read_text_stream(given, context)
        else:
            reads = _read_input(os.fspath(given), context)
        for item in reads:
            if isinstance(item, Notice):
                yield item
                continue
            if isinstance(item, InputError):
                yield _skip_or_raise(item, on_error)
                continue
            document, where, line = item
            if document.id in first_seen:
                first = first_seen[document.id]
                duplicate = _duplicate_error(
                    document.id, first, where, line, on_error, isinstance(given, TextStream)
                )
                yield _skip_or_raise(duplicate, on_error)
                continue
            first_seen[document.id] = (where, line)
            yield document


def _skip_or_raise(error: InputError, on_error: OnError) -> Skipped:
    if on_error == "fail" and not isinstance(error, EmptyInputError):
        raise error
    return Skipped(input=error.input, line=error.line, reason=error.reason)


def _duplicate_error(
    document_id: str,
    first: tuple[str, int | None],
    where: str,
    line: int | None,
    on_error: OnError,
    from_stream: bool,
) -> InputError:
    """The error for a document whose id was first seen at `first`; its advice fits the mode
    (in skip mode the later capture of a page is skipped already) and where the two were read
    (a record, a stream read as one article, a page of an archive, a file)."""
    first_input, first_line = first
    seen = first_input + (f" line {first_line}" if first_line is not None else "")
    page = where.lower().endswith(WARC_SUFFIXES)
    if line is not None:
        fix = "pass --id-field to choose another id field"
    elif from_stream:
        fix = (
            "an article read from a stream has the stream's name as its id; save it to a file "
            "and give the file instead (its id is then its path)"
        )
    elif first_line is not None:
        # The first was a record, whose id field can be another.
        named = (
            "a page's id is its URI" if page else "a file's id is its path below the folder given"
        )
        rename = "" if page else "rename the file, or "
        fix = f"{named}: {rename}pass --id-field to choose another id field for the records"
    elif page:
        keep = (
            "pass --on-error skip to keep the first" if on_error == "fail" else "the first is kept"
        )
        fix = f"the same page was captured in two archives; {keep}"
    else:
        fix = "a file's id is its path below the folder given, so rename one of the files"
    return InputError(
        f"duplicate id {document_id!r} (first seen in {seen}); {fix}", input=where, line=line
    )


def _read_input(given: str, context: _Context) -> Iterator[_Read]:
    path = Path(given)
    if not given or not path.exists():
        yield InputError("no such file or folder; check the path", input=given)
    elif path.is_dir():
        yield from _read_folder(path, given, context)
    elif not path.name.lower().endswith(SUPPORTED_SUFFIXES):
        yield _unsupported(path, given)
    else:
        yield from _read_file(path, given, path.name, context)


def _unsupported(path: Path, given: str) -> InputError:
    try:
        with open(path, "rb") as stream:
            head = stream.read(SNIFF_BYTES)
    except OSError as error:
        return unreadable(error, given)
    what = describe_binary(head, "utf-8")
    if what is not None:
        return _binary_error(what, given)
    hint = _JSON_HINT if path.name.lower().endswith(".json") else ""
    return InputError(f"is not a supported input; {READS}{hint}", input=given)


def _binary_error(what: str, given: str) -> InputError:
    return InputError(f"looks like a binary file ({what}); {READS}", input=given)


def _read_folder(root: Path, given: str, context: _Context) -> Iterator[_Read]:
    walk_errors: list[OSError] = []
    relatives: list[str] = []
    passed_over: Counter[str] = Counter()
    # Links to folders are followed; a folder reached a second way (a loop of links, or two
    # links to one folder) is passed over, so nothing is read twice and no walk goes round.
    first_reached = {_folder_key(root): given}
    repeated: list[tuple[str, str]] = []
    walk = os.walk(root, onerror=walk_errors.append, followlinks=True)
    for folder, folder_names, file_names in walk:
        below = Path(folder).relative_to(root)
        kept: list[str] = []
        for name in sorted(folder_names):
            if name.startswith("."):
                continue
            key = _folder_key(Path(folder, name))
            where = os.path.join(given, *(below / name).parts)
            if key in first_reached:
                repeated.append((where, first_reached[key]))
                continue
            if key is not None:
                first_reached[key] = where
            kept.append(name)
        folder_names[:] = kept
        for name in file_names:
            if name.startswith("."):
                continue
            if name.lower().endswith(SUPPORTED_SUFFIXES):
                relatives.append((below / name).as_posix())
            else:
                suffix = Path(name).suffix.lower()
                passed_over[suffix if suffix else "without an extension"] += 1
    for error in walk_errors:
        yield unreadable(error, os.fspath(error.filename or given))
    if not relatives and not passed_over and not walk_errors:
        # Like an empty file: listed, never fatal. Files passed over have their notice.
        yield EmptyInputError("empty", input=given)
    if passed_over:
        yield Notice(input=given, line=None, message=_passed_over_message(passed_over))
    for where, first in repeated:
        yield Notice(
            input=where,
            line=None,
            message=(
                f"passed over: the same folder as {first}, which is read already "
                "(links to folders are followed, and each folder is read once)"
            ),
        )
    for relative in sorted(relatives):
        where = os.path.join(given, *relative.split("/"))
        yield from _read_file(root / relative, where, relative, context)


def _folder_key(path: Path) -> tuple[int, int] | None:
    """What tells a folder apart however it is reached (None if it cannot be looked at)."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _passed_over_message(counts: Counter[str]) -> str:
    total = sum(counts.values())
    details = ", ".join(
        f"{number} {kind}"
        for kind, number in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    noun = "file" if total == 1 else "files"
    return f"passed over {total} {noun} it does not read ({details}); {READS}"


def _read_file(path: Path, where: str, document_id: str, context: _Context) -> Iterator[_Read]:
    """Read one file by its name; `document_id` is the id of a text file or web page."""
    name = path.name.lower()
    if path.exists() and not path.is_file():
        yield InputError("is not a regular file; give a file or a folder", input=where)
    elif name.endswith(JSONL_SUFFIXES):
        yield from _read_jsonl(path, where, context)
    elif name.endswith(CSV_SUFFIXES):
        yield from _read_csv(path, where, context)
    elif name.endswith(WARC_SUFFIXES):
        yield from read_warc(path, where, context.decoder, context.max_chars)
    elif name.endswith(HTML_SUFFIXES):
        yield from _read_html_file(path, where, document_id, context)
    else:
        yield from _read_text_file(path, where, document_id, context)


def _read_bytes(path: Path, where: str, context: _Context) -> bytes | InputError:
    """A whole file's bytes, unless it is too large to hold a document within the limit."""
    cap = context.max_chars * MAX_BYTES_PER_CHAR
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > cap:
                return InputError(too_large(f"{size:,} bytes", context.max_chars), input=where)
            return _read_stream_bytes(stream, where, context)
    except OSError as error:
        return unreadable(error, where)


def _read_stream_bytes(stream: IO[bytes], where: str, context: _Context) -> bytes | InputError:
    """A stream's bytes, unless they are too many to hold a document within the limit (then
    only the limit's worth is read)."""
    cap = context.max_chars * MAX_BYTES_PER_CHAR
    try:
        raw = read_at_most(stream, cap + 1)
    except OSError as error:
        return unreadable(error, where)
    if len(raw) > cap:
        return InputError(too_large(f"more than {cap:,} bytes", context.max_chars), input=where)
    return raw


def _text_decoder(
    head: bytes, context: _Context, where: str, *, lines: bool = False
) -> Decoder | InputError:
    """The decoder for an input starting with `head`, or the error for a binary file (or, when
    the input is read by `lines`, for a codec that cannot read it line by line)."""
    decoder = context.decoder.for_head(head)
    if decoder.splits_bytes:
        what = describe_binary(head, decoder.codec, lines=lines)
        wide = guess_wide_codec(head) if what is not None else None
        if wide is not None:
            return InputError(
                f"looks like {wide.upper()} text without a byte-order mark ({what}); "
                f"pass --encoding {wide}",
                input=where,
            )
        if what is not None:
            return _binary_error(what, where)
    problem = bom_fix(decoder, head) if lines else None
    if problem is not None:
        return InputError(problem, input=where)
    return decoder


def _read_text_file(path: Path, where: str, document_id: str, context: _Context) -> Iterator[_Read]:
    yield from _text_article(_read_bytes(path, where, context), where, document_id, context)


def _text_article(
    raw: bytes | InputError, where: str, document_id: str, context: _Context
) -> Iterator[_Read]:
    """The document of a text file's bytes `raw` (read from `where`), or what is wrong with it
    (`raw` itself, when the bytes could not be read)."""
    if isinstance(raw, InputError):
        yield raw
        return
    decoder = _text_decoder(raw[:SNIFF_BYTES], context, where)
    if isinstance(decoder, InputError):
        yield decoder
        return
    try:
        text = decoder.decode(raw, input=where, line=None, offset=0, first=True)
    except InputError as error:
        yield error
        return
    del raw
    if len(text) > context.max_chars:
        yield InputError(too_large(f"{len(text):,} characters", context.max_chars), input=where)
    elif not text.strip():
        yield EmptyInputError("empty", input=where)
    else:
        yield Document(id=document_id, text=text), where, None


def _read_html_file(path: Path, where: str, document_id: str, context: _Context) -> Iterator[_Read]:
    raw = _read_bytes(path, where, context)
    if isinstance(raw, InputError):
        yield raw
        return
    decoder = _text_decoder(raw[:SNIFF_BYTES], context, where)
    if isinstance(decoder, InputError):
        yield decoder
        return
    try:
        document, notices = read_page(
            raw, context.decoder, document_id=document_id, input=where, max_chars=context.max_chars
        )
    except InputError as error:
        yield error
        return
    yield from notices
    yield document, where, None


def _read_text_stream(given: TextStream, context: _Context) -> Iterator[_Read]:
    """A `TextStream`'s article (format "text"), or its records (see `TextStream`)."""
    name = given.name
    if given.format == "text":
        raw = _read_stream_bytes(given.stream, name, context)
        if not isinstance(raw, InputError) and _looks_like_records(raw):
            yield Notice(input=name, line=None, message=_RECORDS_AS_TEXT)
        yield from _text_article(raw, name, name, context)
        return
    records = _jsonl_records if given.format == "jsonl" else _csv_stream_records
    try:
        stream = given.stream
        if not hasattr(stream, "peek"):
            stream = io.BufferedReader(cast(Any, stream), buffer_size=_LINE_BUFFER)
        if _peek(stream).startswith(b"\x1f\x8b"):  # gzip's magic number
            stream = cast(IO[bytes], gzip.GzipFile(fileobj=stream, mode="rb"))
            stream = io.BufferedReader(cast(Any, stream), buffer_size=_LINE_BUFFER)
        # A record's id, when it has none, is the stream's name and its line (as a file's).
        yield from records(stream, Path(name), name, context)
    except _GZIP_ERRORS as error:
        yield _gzip_error(error, name)
    except OSError as error:
        yield unreadable(error, name)


_RECORDS_AS_TEXT = (
    "read as one text article, though it looks like JSON Lines (its first line is a JSON "
    "object); to read its records, pass --stdin-format jsonl (report, index add)"
)


def _looks_like_records(raw: bytes) -> bool:
    """Whether a stream read as one text starts with a line holding a JSON object (as JSON
    Lines do), which a user piping records in may not have meant as one article."""
    head = raw[:_SKIP_CHUNK].lstrip()
    if not head.startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(head.split(b"\n", 1)[0]), dict)
    except (ValueError, RecursionError):
        return False


def _read_jsonl(path: Path, given: str, context: _Context) -> Iterator[_Read]:
    try:
        with _open_binary(path) as stream:
            yield from _jsonl_records(stream, path, given, context)
    except _GZIP_ERRORS as error:
        yield _gzip_error(error, given)
    except OSError as error:
        yield unreadable(error, given)


def _jsonl_records(stream: IO[bytes], path: Path, given: str, context: _Context) -> Iterator[_Read]:
    """The records of a JSON Lines stream, a line at a time (`path` names its records' ids when
    they have none)."""
    decoder = _text_decoder(_peek(stream), context, given, lines=True)
    if isinstance(decoder, InputError):
        yield decoder
        return
    records = 0
    for number, text, decode_error, raw in _decoded_lines(stream, decoder, given, context):
        if decode_error is not None:
            records += 1
            yield decode_error
        # isspace, where strip would copy the line (a few KB) only to look at it.
        elif text and not text.isspace():
            records += 1
            yield from _record_from_json(text, raw, path, given, number, context)
    if records == 0:
        yield EmptyInputError("empty", input=given)


def _record_from_json(
    text: str, raw: bytes | None, path: Path, given: str, line: int, context: _Context
) -> Iterator[_Read]:
    """The record of a line `text`; `raw` is its UTF-8 bytes when it was read as UTF-8."""
    try:
        # A line ending is JSON whitespace: a line gives the value it gives without one, and
        # is parsed as it is (no copy of it made) unless it is not valid.
        value = json.loads(text)
    except (ValueError, RecursionError):
        try:
            # Without its line ending, an error at the end of the line is not put on the next.
            value = json.loads(text.rstrip("\r\n"))
        except json.JSONDecodeError as error:
            if "\x00" in text:
                yield InputError(_NUL_IN_LINE, input=given, line=line)
                return
            # Some messages end in "at" already ("Unterminated string starting at").
            at = "" if error.msg.endswith(" at") else " at"
            yield InputError(
                f"is not valid JSON ({error.msg}{at} column {error.pos + 1})",
                input=given,
                line=line,
            )
            return
        except (ValueError, RecursionError) as error:
            yield InputError(f"is not valid JSON ({_json_problem(error)})", input=given, line=line)
            return
    if not isinstance(value, dict):
        yield InputError(
            f"holds a JSON {_json_type(value)}, not an object; "
            "each line of a JSON Lines file must be one JSON object",
            input=given,
            line=line,
        )
        return
    if raw is not None:
        escaped = _SURROGATE_ESCAPE_UTF8.search(raw) is not None
    else:
        escaped = _SURROGATE_ESCAPE.search(text) is not None
    yield from _document(value, path, given, line, context, check_unicode=escaped)


def _read_csv(path: Path, given: str, context: _Context) -> Iterator[_Read]:
    try:
        with _open_binary(path) as stream:
            yield from _csv_stream_records(stream, path, given, context)
    except _GZIP_ERRORS as error:
        yield _gzip_error(error, given)
    except OSError as error:
        yield unreadable(error, given)


def _csv_stream_records(
    stream: IO[bytes], path: Path, given: str, context: _Context
) -> Iterator[_Read]:
    """The records of a CSV stream, a row at a time."""
    csv.field_size_limit(_CSV_FIELD_SIZE_LIMIT)
    decoder = _text_decoder(_peek(stream), context, given, lines=True)
    if isinstance(decoder, InputError):
        yield decoder
        return
    yield from _csv_records(stream, path, given, context, decoder)


class _CsvLines:
    """The lines of a CSV file for csv.reader, counted. It ends early, as if the file ended, at
    a line too large to hold a document within the limit (`line_too_large` says why) or a row
    of several lines that is (`row_too_large`)."""

    def __init__(
        self,
        lines: Iterator[tuple[int, str, InputError | None, bytes | None]],
        row_limit: int,
    ) -> None:
        self._lines = lines
        self._row_limit = row_limit
        self.number = 0
        self.ended = False
        self.line_too_large: str | None = None
        self.row_too_large = False
        self.decode_errors: list[InputError] = []
        self._row_size = 0
        self._row_quotes = 0

    @property
    def stopped(self) -> bool:
        """Whether it ended early, at a line or a row too large."""
        return self.line_too_large is not None or self.row_too_large

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        # csv needs plain strings; a line that does not decode is read with replacement
        # characters so the row boundaries stay right, and its row is reported instead.
        if self.stopped:
            raise StopIteration
        item = next(self._lines, None)
        if item is None:
            self.ended = True
            raise StopIteration
        self.number, text, decode_error, _ = item
        if isinstance(decode_error, _LineTooLarge):
            self.line_too_large = decode_error.reason
            raise StopIteration
        if decode_error is not None:
            self.decode_errors.append(decode_error)
        self._row_size += len(text)
        self._row_quotes += text.count('"')
        if self._row_size > self._row_limit:
            # Only a quoted field spans lines: this row is a huge field or a quote left open.
            self.row_too_large = True
            raise StopIteration
        return text

    def start_row(self) -> None:
        """Count the lines after the current one as a new row."""
        self._row_size = self._row_quotes = 0

    def close_quote(self) -> bool:
        """Read past the rest of a row stopped inside a quoted field, holding none of it, up to
        the line where its quotes balance (True: the row ends there) or the file's end (False)."""
        self.row_too_large = False
        self.decode_errors.clear()
        quotes = self._row_quotes
        while quotes % 2:
            item = next(self._lines, None)
            if item is None:
                self.ended = True
                return False
            self.number, text, _, _ = item
            quotes += text.count('"')
        self.start_row()
        return True

    def read_to_end(self) -> None:
        """Read past every line left, holding none, to count them."""
        for item in self._lines:
            self.number = item[0]
        self.ended = True


_UNCLOSED_QUOTE = (
    "is not valid CSV (a quote opened in this row is never closed); close it, or double it "
    '("") where it is part of the text'
)


def _csv_records(
    stream: IO[bytes], path: Path, given: str, context: _Context, decoder: Decoder
) -> Iterator[_Read]:
    row_limit = context.max_chars * MAX_BYTES_PER_CHAR
    source = _CsvLines(_decoded_lines(stream, decoder, given, context), row_limit)
    header: list[str] | None = None
    row_start = 1
    rows = 0
    while True:
        # strict: a quote left open would otherwise swallow the rest of the file into one field.
        reader = csv.reader(source, strict=True)
        unclosed = False
        try:
            for row in reader:
                line, row_start = row_start, source.number + 1
                source.start_row()
                if source.decode_errors:
                    yield source.decode_errors[0]
                    source.decode_errors.clear()
                    if header is None:
                        return
                    rows += 1
                    continue
                if not row:
                    continue
                if header is None:
                    header = row
                    continue
                rows += 1
                if len(row) != len(header):
                    yield InputError(
                        f"has {len(row)} fields but the header row has {len(header)}; "
                        "check the quoting and the delimiter (a comma)",
                        input=given,
                        line=line,
                    )
                    continue
                if any("\x00" in field for field in row):
                    yield InputError(_NUL_IN_LINE, input=given, line=line)
                    continue
                yield from _document(
                    dict(zip(header, row, strict=True)), path, given, line, context
                )
        except csv.Error as error:
            if not source.stopped and not source.ended:
                # A bad row that ends with its line (a quote closed, then more text): the rows
                # after it start on lines of their own, as a lenient reader reads them.
                rest = "" if header is not None else "; the rows below it were not read"
                yield InputError(
                    f"is not valid CSV ({_one_line(error)}); check the quoting of this row{rest}",
                    input=given,
                    line=row_start,
                )
                if header is None:
                    return
                rows += 1
                row_start = source.number + 1
                source.start_row()
                source.decode_errors.clear()
                continue
            unclosed = True
        if not unclosed and not source.stopped:
            break
        # The file ended inside a quoted field, or a line or a row is too large to be held.
        rows += 1
        reason = source.line_too_large or _UNCLOSED_QUOTE
        if source.row_too_large:
            if source.close_quote():
                # The quoted field ends after all, too long to hold a document: the rows after
                # it are read.
                size = f"a row of more than {row_limit:,} characters, lines {row_start}-{source.number}"
                yield InputError(too_large(size, context.max_chars), input=given, line=row_start)
                row_start = source.number + 1
                continue
        elif source.line_too_large is not None:
            source.read_to_end()
        yield InputError(
            f"{reason}; the rest of the file (lines {row_start}-{source.number}) was not read",
            input=given,
            line=row_start,
        )
        return
    if rows == 0:
        yield EmptyInputError("empty", input=given)


def _document(
    record: dict[str, object],
    path: Path,
    given: str,
    line: int,
    context: _Context,
    *,
    check_unicode: bool = False,
) -> Iterator[_Read]:
    try:
        document, notices = read_record(
            record, context.field_map, input=given, line=line, fallback_id=f"{path.name}:{line}"
        )
    except InputError as error:
        yield error
        return
    if len(document.text) > context.max_chars:
        yield InputError(
            too_large(f"{len(document.text):,} characters", context.max_chars),
            input=given,
            line=line,
        )
        return
    surrogate = _lone_surrogate(document) if check_unicode else None
    if surrogate is not None:
        yield InputError(
            f"holds a lone surrogate escape ({surrogate}), which is not valid Unicode; "
            "correct or remove it",
            input=given,
            line=line,
        )
        return
    yield from notices
    yield document, given, line


def _lone_surrogate(document: Document) -> str | None:
    """The first unpaired surrogate in the document's fields, as its JSON escape."""
    for value in attrs.astuple(document):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as error:
                return f"\\u{ord(error.object[error.start]):04x}"
    return None


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb", buffering=_LINE_BUFFER)  # noqa: SIM115 - the caller closes it


def _peek(stream: IO[bytes]) -> bytes:
    """The first bytes of a stream, left unread."""
    return cast(io.BufferedReader, stream).peek(SNIFF_BYTES)[:SNIFF_BYTES]


def _gzip_error(error: Exception, given: str) -> InputError:
    return InputError(
        f"is not a valid gzip file ({_one_line(error)}); check that it is complete, or "
        "decompress it and pass the plain file",
        input=given,
    )


def _one_line(error: Exception) -> str:
    """An exception's message on one line."""
    return " ".join(str(error).split())


def _json_problem(error: ValueError | RecursionError) -> str:
    """What a parse error other than a syntax error says, in the user's words."""
    if isinstance(error, ValueError) and "integer string conversion" in str(error):
        # Python reads no integer of more digits, to keep reading fast.
        return (
            f"a number has more than {sys.get_int_max_str_digits():,} digits; "
            "write it as a string, or shorten it"
        )
    return _one_line(error)


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null"


class _LineTooLarge(InputError):
    """A line longer than any line holding a document within the limit."""


def _decoded_lines(
    stream: IO[bytes], decoder: Decoder, given: str, context: _Context
) -> Iterator[tuple[int, str, InputError | None, bytes | None]]:
    """Yield (1-based line number, text, error, bytes) for each line, line ending kept; bytes
    are the line's as read when it was decoded as UTF-8 (else None).

    A line that does not decode comes with its error; one too long to hold a document within
    the limit comes as "" with a `_LineTooLarge` error, and is read past, never held whole.
    """
    max_bytes = context.max_chars * MAX_BYTES_PER_CHAR
    if not decoder.splits_bytes:
        for number, text, error in _decoded_text_lines(stream, decoder, given, context):
            yield number, text, error, None
        return
    utf8 = decoder.codec == "utf-8"
    offset = 0
    head = _peek(stream)
    # Lines that end in a lone CR (old Mac files, "CSV (Macintosh)") are split there: a file
    # with a CR and no LF in its first 8 KiB, and in its first MiB (a first line longer than
    # 8 KiB holds a CR in a file whose lines end in LF: a CSV header's quoted field).
    old_mac = b"\r" in head and b"\n" not in head
    if old_mac:
        ahead = read_at_most(stream, _SKIP_CHUNK)
        old_mac = b"\n" not in ahead
        stream = io.BufferedReader(_Replayed(ahead, stream), buffer_size=_LINE_BUFFER)
    lines = _cr_byte_lines(stream, max_bytes) if old_mac else _byte_lines(stream, max_bytes)
    for number, (raw, size) in enumerate(lines, start=1):
        start, offset = offset, offset + size
        if raw is None:
            reason = too_large(f"a line of {size:,} bytes", context.max_chars)
            yield number, "", _LineTooLarge(reason, input=given, line=number), None
            continue
        try:
            text = decoder.decode(raw, input=given, line=number, offset=start, first=number == 1)
        except InputError as error:
            yield number, raw.decode(decoder.codec, errors="replace"), error, None
            continue
        yield number, text, None, raw if utf8 else None


class _Replayed(io.RawIOBase):
    """The bytes read `ahead` of a stream, then the rest of the `stream` (left open)."""

    def __init__(self, ahead: bytes, stream: IO[bytes]) -> None:
        self._ahead = memoryview(ahead)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._ahead:
            size = min(len(buffer), len(self._ahead))
            buffer[:size] = self._ahead[:size]
            self._ahead = self._ahead[size:]
            return size
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _cr_byte_lines(stream: IO[bytes], max_bytes: int) -> Iterator[tuple[bytes | None, int]]:
    """`_byte_lines` of a stream whose lines end in a lone CR: each line with its CR."""
    pending = b""
    skipping = 0  # bytes of an over-long line read past so far (0: none)
    while True:
        block = stream.read(_SKIP_CHUNK)
        pending += block
        start = 0  # (the block's lines are sliced from it once each, not it from them)
        while (end := pending.find(b"\r", start)) >= 0 or (not block and start < len(pending)):
            stop = end + 1 if end >= 0 else len(pending)
            if skipping or stop - start > max_bytes:
                yield None, skipping + stop - start
                skipping = 0
            else:
                yield pending[start:stop], stop - start
            start = stop
        pending = pending[start:]
        if not block:
            if skipping:  # the last line, over-long and with no CR
                yield None, skipping
            return
        if len(pending) > max_bytes:  # an over-long line: read past, never held whole
            skipping += len(pending)
            pending = b""


def _byte_lines(stream: IO[bytes], max_bytes: int) -> Iterator[tuple[bytes | None, int]]:
    """(line, its length in bytes) for each line; None for a line longer than `max_bytes`."""
    while True:
        raw = stream.readline(max_bytes + 1)
        if not raw:
            return
        if len(raw) <= max_bytes or raw.endswith(b"\n"):
            yield raw, len(raw)
            continue
        size = len(raw)
        while not raw.endswith(b"\n"):
            raw = stream.readline(_SKIP_CHUNK)
            if not raw:
                break
            size += len(raw)
        yield None, size


def _decoded_text_lines(
    stream: IO[bytes], decoder: Decoder, given: str, context: _Context
) -> Iterator[tuple[int, str, InputError | None]]:
    # Codecs such as UTF-16 encode a newline as more than the byte b"\n", so the bytes cannot
    # be split into lines before decoding; decoding errors then end the file.
    max_chars = context.max_chars * MAX_BYTES_PER_CHAR
    text_stream = io.TextIOWrapper(stream, encoding=decoder.codec, newline="\n")
    number = 0
    try:
        while text := text_stream.readline(max_chars + 1):
            number += 1
            if len(text) <= max_chars or text.endswith("\n"):
                yield number, text, None
                continue
            size = len(text)
            while text and not text.endswith("\n"):
                text = text_stream.readline(_SKIP_CHUNK)
                size += len(text)
            reason = too_large(f"a line of {size:,} characters", context.max_chars)
            yield number, "", _LineTooLarge(reason, input=given, line=number)
    except UnicodeDecodeError as error:
        yield (
            number + 1,
            "",
            InputError(f"{decoder.describe(error)}; {ENCODING_FIX}", input=given, line=number + 1),
        )
    except UnicodeError as error:  # a codec's own complaint, such as a missing byte-order mark
        reason = f"cannot be read as {decoder.label} text ({_one_line(error)}); {ENCODING_FIX}"
        yield number + 1, "", InputError(reason, input=given, line=number + 1)
    finally:
        # (Closed unfinished, after its caller closed the stream, the wrapper has nothing to
        # let go of: detaching it then raised, and was reported as an ignored exception.)
        if not getattr(stream, "closed", False):
            text_stream.detach()
