"""Readers that turn text folders, text files, JSON Lines and CSV files into `Document` records."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Literal, cast

import attrs

from wiretrace.errors import ConfigError, InputError
from wiretrace.ingest.fields import FieldMap, document_from_mapping
from wiretrace.models import Document, Skipped

OnError = Literal["fail", "skip"]
InputPath = str | os.PathLike[str]

TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
CSV_SUFFIXES = (".csv",)

# csv.field_size_limit takes a C long, which is 32 bits on Windows; articles stay far below it.
_CSV_FIELD_SIZE_LIMIT = 2**31 - 1
_GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)
_ENCODING_FIX = "pass --encoding to name its encoding (e.g. --encoding cp1252)"
_JSON_HINT = "; for JSON Lines (one JSON object per line) name the file .jsonl"
_SUPPORTED = (
    "a folder of .txt/.md files, or a .txt, .md, .jsonl, .ndjson, .jsonl.gz, .ndjson.gz "
    "or .csv file"
)

# What a reader yields: a document with where it was read (input, line), or what went wrong.
_Read = tuple[Document, str, int | None] | InputError


@attrs.frozen
class Loaded:
    """The documents read from a run's inputs, and the inputs that were skipped, in input order."""

    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...] = ()


def load_documents(
    inputs: InputPath | Iterable[InputPath],
    *,
    field_map: FieldMap = FieldMap(),  # noqa: B008 - FieldMap is frozen, sharing it is safe
    on_error: OnError = "fail",
    encoding: str = "utf-8",
) -> Loaded:
    """Read every input into memory; see `read_inputs` for the arguments and the errors."""
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for item in read_inputs(inputs, field_map=field_map, on_error=on_error, encoding=encoding):
        if isinstance(item, Skipped):
            skipped.append(item)
        else:
            documents.append(item)
    return Loaded(documents=tuple(documents), skipped=tuple(skipped))


def read_inputs(
    inputs: InputPath | Iterable[InputPath],
    *,
    field_map: FieldMap = FieldMap(),  # noqa: B008 - FieldMap is frozen, sharing it is safe
    on_error: OnError = "fail",
    encoding: str = "utf-8",
) -> Iterator[Document | Skipped]:
    """Yield the documents of each input in order, and a `Skipped` record for each one not read.

    An input is a folder (every ``.txt`` and ``.md`` file below it, one document each, its id
    the path relative to the folder; hidden files and folders are passed over), a
    ``.txt``/``.md`` file (its id is the file name), a JSON Lines file (``.jsonl``,
    ``.ndjson``, optionally gzipped) or a CSV file with a header row. Files are streamed.

    Documents with empty text are always yielded as ``Skipped(reason="empty")``. Any other
    problem (a missing or unreadable file, a malformed line, a missing field, an id seen
    before) raises `InputError` when `on_error` is ``"fail"`` and is yielded as `Skipped`
    when it is ``"skip"``. An `on_error` other than these raises ValueError and an unknown
    `encoding` raises `ConfigError`, both from the call itself, before anything is read.
    """
    if on_error not in ("fail", "skip"):
        raise ValueError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
    decoder = _Decoder.for_encoding(encoding)
    if isinstance(inputs, str | os.PathLike):
        inputs = [inputs]
    return _read_all(list(inputs), field_map, on_error, decoder)


def _read_all(
    inputs: list[InputPath], field_map: FieldMap, on_error: OnError, decoder: _Decoder
) -> Iterator[Document | Skipped]:
    first_seen: dict[str, tuple[str, int | None]] = {}
    for given in inputs:
        for item in _read_input(os.fspath(given), field_map, decoder):
            if isinstance(item, InputError):
                yield _skip_or_raise(item, on_error)
                continue
            document, where, line = item
            if document.id in first_seen:
                duplicate = _duplicate_error(document.id, first_seen[document.id], where, line)
                yield _skip_or_raise(duplicate, on_error)
                continue
            first_seen[document.id] = (where, line)
            yield document


def _skip_or_raise(error: InputError, on_error: OnError) -> Skipped:
    if on_error == "fail" and error.reason != "empty":
        raise error
    return Skipped(input=error.input, line=error.line, reason=error.reason)


def _duplicate_error(
    document_id: str, first: tuple[str, int | None], where: str, line: int | None
) -> InputError:
    first_input, first_line = first
    seen = first_input + (f" line {first_line}" if first_line is not None else "")
    if line is None:
        fix = "a text file's id is its path below the folder given, so rename one of the files"
    else:
        fix = "pass --id-field to choose another id field"
    return InputError(
        f"duplicate id {document_id!r} (first seen in {seen}); {fix}", input=where, line=line
    )


def _read_input(given: str, field_map: FieldMap, decoder: _Decoder) -> Iterator[_Read]:
    path = Path(given)
    if not given:
        yield InputError("no such file or folder; check the path", input=given)
    elif path.is_dir():
        yield from _read_folder(path, given, decoder)
    elif not path.exists():
        yield InputError("no such file or folder; check the path", input=given)
    else:
        name = path.name.lower()
        if name.endswith(JSONL_SUFFIXES):
            yield from _read_jsonl(path, given, field_map, decoder)
        elif name.endswith(CSV_SUFFIXES):
            yield from _read_csv(path, given, field_map, decoder)
        elif name.endswith(TEXT_SUFFIXES):
            yield from _read_text_file(path, given, path.name, decoder)
        else:
            hint = _JSON_HINT if name.endswith(".json") else ""
            yield InputError(f"is not a supported input; give {_SUPPORTED}{hint}", input=given)


def _read_folder(root: Path, given: str, decoder: _Decoder) -> Iterator[_Read]:
    walk_errors: list[OSError] = []
    relatives: list[str] = []
    for folder, folder_names, file_names in os.walk(root, onerror=walk_errors.append):
        folder_names[:] = [name for name in folder_names if not name.startswith(".")]
        below = Path(folder).relative_to(root)
        relatives.extend(
            (below / name).as_posix()
            for name in file_names
            if not name.startswith(".") and name.lower().endswith(TEXT_SUFFIXES)
        )
    for error in walk_errors:
        where = error.filename or given
        yield InputError(f"cannot be read ({error.strerror or error})", input=os.fspath(where))
    for relative in sorted(relatives):
        where = os.path.join(given, *relative.split("/"))
        yield from _read_text_file(root / relative, where, relative, decoder)


def _read_text_file(path: Path, where: str, document_id: str, decoder: _Decoder) -> Iterator[_Read]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        yield InputError(f"cannot be read ({error.strerror or error})", input=where)
        return
    try:
        text = decoder.decode(raw, input=where, line=None, offset=0, first=True)
    except InputError as error:
        yield error
        return
    if not text.strip():
        yield InputError("empty", input=where)
        return
    yield Document(id=document_id, text=text), where, None


def _read_jsonl(path: Path, given: str, field_map: FieldMap, decoder: _Decoder) -> Iterator[_Read]:
    try:
        with _open_binary(path) as stream:
            for number, text, decode_error in _decoded_lines(stream, decoder, given):
                if decode_error is not None:
                    yield decode_error
                elif text.strip():
                    yield _record_from_json(text, path, given, number, field_map)
    except _GZIP_ERRORS as error:
        yield _gzip_error(error, given)
    except OSError as error:
        yield InputError(f"cannot be read ({error.strerror or error})", input=given)


def _record_from_json(text: str, path: Path, given: str, line: int, field_map: FieldMap) -> _Read:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return InputError(
            f"is not valid JSON ({error.msg} at column {error.colno})", input=given, line=line
        )
    except (ValueError, RecursionError) as error:
        return InputError(f"is not valid JSON ({error})", input=given, line=line)
    if not isinstance(value, dict):
        return InputError(
            f"holds a JSON {_json_type(value)}, not an object; "
            "each line of a JSON Lines file must be one JSON object",
            input=given,
            line=line,
        )
    return _document(value, path, given, line, field_map)


def _read_csv(path: Path, given: str, field_map: FieldMap, decoder: _Decoder) -> Iterator[_Read]:
    csv.field_size_limit(_CSV_FIELD_SIZE_LIMIT)
    try:
        with _open_binary(path) as stream:
            yield from _csv_records(stream, path, given, field_map, decoder)
    except _GZIP_ERRORS as error:
        yield _gzip_error(error, given)
    except OSError as error:
        yield InputError(f"cannot be read ({error.strerror or error})", input=given)


def _csv_records(
    stream: IO[bytes], path: Path, given: str, field_map: FieldMap, decoder: _Decoder
) -> Iterator[_Read]:
    decode_errors: list[InputError] = []

    def lines() -> Iterator[str]:
        # csv needs plain strings; a line that does not decode is read with replacement
        # characters so the row boundaries stay right, and its row is reported instead.
        for _, text, decode_error in _decoded_lines(stream, decoder, given):
            if decode_error is not None:
                decode_errors.append(decode_error)
            yield text

    # strict: a quote left open would otherwise swallow the rest of the file into one field.
    reader = csv.reader(lines(), strict=True)
    header: list[str] | None = None
    row_start = 1
    try:
        for row in reader:
            line, row_start = row_start, reader.line_num + 1
            if decode_errors:
                yield decode_errors[0]
                decode_errors.clear()
                if header is None:
                    return
                continue
            if not row:
                continue
            if header is None:
                header = row
                continue
            if len(row) != len(header):
                yield InputError(
                    f"has {len(row)} fields but the header row has {len(header)}; "
                    "check the quoting and the delimiter (a comma)",
                    input=given,
                    line=line,
                )
                continue
            yield _document(dict(zip(header, row, strict=True)), path, given, line, field_map)
    except csv.Error as error:
        yield InputError(
            f"is not valid CSV ({error}); check the quoting of this row",
            input=given,
            line=row_start,
        )
        return
    if header is None:
        yield InputError(
            "has no header row; the first row of a CSV file must name the fields", input=given
        )


def _document(
    record: dict[str, object], path: Path, given: str, line: int, field_map: FieldMap
) -> _Read:
    try:
        document = document_from_mapping(
            record, field_map, input=given, line=line, fallback_id=f"{path.name}:{line}"
        )
    except InputError as error:
        return error
    return document, given, line


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")  # noqa: SIM115 - the caller closes it


def _gzip_error(error: Exception, given: str) -> InputError:
    return InputError(
        f"is not a valid gzip file ({error}); check that it is complete, or decompress it "
        "and pass the plain file",
        input=given,
    )


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


def _decoded_lines(
    stream: IO[bytes], decoder: _Decoder, given: str
) -> Iterator[tuple[int, str, InputError | None]]:
    """Yield (1-based line number, text, decoding error) for each line, line ending kept."""
    if not decoder.splits_bytes:
        yield from _decoded_text_lines(stream, decoder, given)
        return
    offset = 0
    for number, raw in enumerate(stream, start=1):
        start, offset = offset, offset + len(raw)
        try:
            text = decoder.decode(raw, input=given, line=number, offset=start, first=number == 1)
        except InputError as error:
            yield number, raw.decode(decoder.codec, errors="replace"), error
            continue
        yield number, text, None


def _decoded_text_lines(
    stream: IO[bytes], decoder: _Decoder, given: str
) -> Iterator[tuple[int, str, InputError | None]]:
    # Codecs such as UTF-16 encode a newline as more than the byte b"\n", so the bytes cannot
    # be split into lines before decoding; decoding errors then end the file.
    text_stream = io.TextIOWrapper(stream, encoding=decoder.codec, newline="\n")
    number = 0
    try:
        for number, text in enumerate(text_stream, start=1):  # noqa: B007 - used below
            yield number, text, None
    except UnicodeDecodeError as error:
        yield (
            number + 1,
            "",
            InputError(f"{decoder.describe(error)}; {_ENCODING_FIX}", input=given, line=number + 1),
        )
    finally:
        text_stream.detach()


@attrs.frozen
class _Decoder:
    """How to turn an input's bytes into text, and how to explain bytes that do not decode."""

    codec: str
    label: str
    strip_bom: bool
    splits_bytes: bool

    @classmethod
    def for_encoding(cls, encoding: str) -> _Decoder:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise ConfigError(
                f"unknown encoding {encoding!r}; pass a Python codec name such as utf-8 or cp1252"
            ) from None
        if name in ("utf-8", "utf-8-sig"):
            return cls(codec="utf-8", label="UTF-8", strip_bom=True, splits_bytes=True)
        return cls(
            codec=name,
            label=encoding,
            strip_bom=False,
            splits_bytes="\n".encode(name) == b"\n",
        )

    def decode(self, raw: bytes, *, input: str, line: int | None, offset: int, first: bool) -> str:
        """Decode `raw`, found at byte `offset` of the input; InputError if it does not decode."""
        if first and self.strip_bom and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
            offset += len(codecs.BOM_UTF8)
        try:
            return raw.decode(self.codec)
        except UnicodeDecodeError as error:
            bad = error.object[error.start]
            reason = (
                f"is not valid {self.label} text (byte 0x{bad:02x} at offset "
                f"{offset + error.start}); {_ENCODING_FIX}"
            )
            raise InputError(reason, input=input, line=line) from None

    def describe(self, error: UnicodeDecodeError) -> str:
        """A short account of a decoding error whose file offset is not known."""
        bad = error.object[error.start : error.start + 1]
        return f"is not valid {self.label} text (byte 0x{bad.hex()})"
